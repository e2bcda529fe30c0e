"""plsim on special values as a2a3sim computes them (kernels/special_value_kernels.py, compared
with a2a3sim bit for bit through sim_agreement's ``special`` inputs). Expected values come from
plain Python over the cells, written from pto-isa's CPU sources: ``std::max(a, b)`` is ``b if a
< b else a``, ``std::min(a, b)`` is ``b if b < a else a``, TAbs is ``-x if x < 0 else x``, and
the row / column max folds from the first element. plsim used NumPy's NaN-propagating
``maximum`` / ``max`` and ``abs`` before, which differ on NaN and on -0.0."""

from __future__ import annotations

import math
import warnings

import numpy as np
from conformance_support import load
from plsim_conformance.sim_agreement import SPECIAL_FLOATS, calls, special_inputs

import plsim

K = load("special_value_kernels.py")
FILE = "tests/plsim_conformance/kernels/special_value_kernels.py"


def _inputs(kernel: str) -> dict:
    return special_inputs(calls()[f"{FILE}::{kernel}"])


def _bits(x) -> int:
    return int(np.float32(x).view(np.uint32))


def _same(got: float, want: float) -> bool:
    return (math.isnan(got) and math.isnan(want)) or _bits(got) == _bits(want)


def _cxx_max(a, b):
    return b if a < b else a


def _cxx_min(a, b):
    return b if b < a else a


def test_the_special_inputs_hold_every_pair_of_values():
    values = _inputs("fp32_binary")
    a, b = values["a"], values["b"]
    pairs = {(_bits(x), _bits(y)) for x, y in zip(a.ravel(), b.ravel())}
    assert len(pairs) == len(SPECIAL_FLOATS) ** 2
    assert np.isnan(a).sum() == a.shape[0] and np.isnan(a[:, 0]).sum() == 1


def test_maximum_and_minimum_follow_std_max_and_min():
    values = _inputs("fp32_binary")
    plsim.run(K.fp32_binary, **values)
    a, b = values["a"].ravel(), values["b"].ravel()
    larger, smaller = values["larger"].ravel(), values["smaller"].ravel()
    wrong = [(x, y) for x, y, got in zip(a, b, larger) if not _same(got, _cxx_max(x, y))]
    wrong += [(x, y) for x, y, got in zip(a, b, smaller) if not _same(got, _cxx_min(x, y))]
    assert not wrong, wrong[:5]
    # the cases NumPy's maximum gets otherwise: a NaN second operand, zeros of both signs
    nan = np.float32("nan")
    assert _cxx_max(np.float32(1), nan) == 1 and math.isnan(_cxx_max(nan, np.float32(1)))
    assert np.signbit(_cxx_max(np.float32(-0.0), np.float32(0.0)))


def test_ieee_arithmetic_is_unchanged():
    values = _inputs("fp32_binary")
    plsim.run(K.fp32_binary, **values)
    a, b = values["a"], values["b"]
    with np.errstate(all="ignore"):
        for name, want in (("total", a + b), ("difference", a - b), ("product", a * b),
                           ("quotient", a / b)):  # fmt: skip
            got = values[name]
            same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
            assert same.all(), name


def test_abs_and_relu_keep_negative_zero():
    values = _inputs("fp32_unary")
    plsim.run(K.fp32_unary, **values)
    x = values["a"].ravel()
    for got, cell in zip(values["absolute"].ravel(), x):
        assert _same(got, -cell if cell < 0 else cell)
    for got, cell in zip(values["rectified"].ravel(), x):
        assert _same(got, _cxx_max(cell, np.float32(0)))
    zero = x == 0
    assert np.signbit(values["rectified"].ravel()[zero & np.signbit(x)]).all()


def test_scalar_maximum_and_minimum_keep_the_tile_value_on_ties():
    values = _inputs("fp32_scalar")
    plsim.run(K.fp32_scalar, **values)
    x = values["a"].ravel()
    zero = np.float32(0.0)
    for got, cell in zip(values["floored"].ravel(), x):
        assert _same(got, _cxx_max(cell, zero))
    for got, cell in zip(values["capped"].ravel(), x):
        assert _same(got, _cxx_min(cell, zero))


def _fold(cells, keep):
    best = cells[0]
    for cell in cells[1:]:
        best = keep(best, cell)
    return best


def test_row_and_column_max_min_fold_from_the_first_element():
    for kernel in ("fp32_reductions", "fp32_wide_reductions"):
        values = _inputs(kernel)
        plsim.run(getattr(K, kernel), **values)
        x = values["a"]
        for r in range(x.shape[0]):
            assert _same(values["row_high"][r, 0], _fold(list(x[r]), _cxx_max)), (kernel, r)
            assert _same(values["row_low"][r, 0], _fold(list(x[r]), _cxx_min)), (kernel, r)
        for c in range(x.shape[1]):
            assert _same(values["col_high"][0, c], _fold(list(x[:, c]), _cxx_max)), (kernel, c)
        # a NaN decides only in first place: one row of the 32 starts with it
        assert np.isnan(values["row_high"]).sum() == 1


#: The outputs a2a3sim computed otherwise, per cast kernel (measured: the fixture's A2A3SIM
#: column names the reasons), less fp32_to_bf16's ``away``: ties under ``round`` are one unit
#: in the last place apart and are not flagged (plsim/ops/cast_departures.py).
DIFFERED = {
    "fp32_to_int32": 6, "fp32_to_fp16": 4, "fp32_to_bf16": 3, "fp32_to_int16": 4,
    "fp16_to_int8": 5, "fp16_to_uint8": 3, "fp16_to_int16": 3, "fp16_to_int32": 3,
    "bf16_to_int32": 4, "int32_to_narrower": 1, "widening": 0,
}  # fmt: skip


def test_a_cast_warns_exactly_where_a2a3sim_was_measured_to_differ():
    for kernel, count in DIFFERED.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plsim.run(getattr(K, kernel), **_inputs(kernel))
        flagged = [w for w in caught if issubclass(w.category, plsim.DSLWarning)]
        assert len(flagged) == count, (kernel, [str(w.message) for w in flagged])
        assert all("a2a3sim's CPU TCVT" in str(w.message) for w in flagged)


def test_finite_in_range_casts_do_not_warn():
    x = np.linspace(-100, 100, K.N * K.N, dtype=np.float32).reshape(K.N, K.N)
    outs = [np.zeros((K.N, K.N), np.int32) for _ in range(6)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plsim.run(K.fp32_to_int32, x, *outs)
    np.testing.assert_array_equal(outs[5], np.trunc(x).astype(np.int32))


def test_sorting_nan_warns_and_a_cleaned_row_sorts_like_the_cpu_backend():
    values = _inputs("fp32_sorted_rows")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plsim.run(K.fp32_sorted_rows, **values)
    assert any("pl.sort32 of NaN values" in str(w.message) for w in caught)
    values = _inputs("fp32_sorted_clean_rows")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plsim.run(K.fp32_sorted_clean_rows, **values)
    lowest = np.float32(K.LOWEST)
    for r, row in enumerate(values["a"]):
        clean = [_cxx_max(lowest, v) for v in row]  # NaN, -inf and -3.4e38 become lowest
        # TSort32: larger value first, equal values (-0.0 and +0.0 too) by smaller index
        order = sorted(range(len(clean)), key=lambda k: (-clean[k], k))
        got = values["pairs"][r]
        assert [_bits(v) for v in got[0::2]] == [_bits(clean[k]) for k in order], r
        assert list(got[1::2].view(np.uint32)) == order, r


def test_floored_remainder_keeps_the_dividends_zero_sign():
    values = _inputs("fp32_more_ops")
    plsim.run(K.fp32_more_ops, **values)
    a, b = values["a"].ravel(), values["b"].ravel()
    for x, y, got in zip(a, b, values["floored_remainder"].ravel()):
        # pto-isa's CPU TRem: C's fmod, then + b where the signs differ and the result is not 0
        want = np.float32(math.fmod(x, y)) if y != 0 and math.isfinite(x) else np.float32("nan")
        if (x >= 0) != (y >= 0) and want != 0:
            want = np.float32(want + y)
        assert _same(got, want), (x, y, got, want)
    rem = dict(zip(zip(a.tolist(), b.tolist()), values["floored_remainder"].ravel().tolist()))
    assert math.copysign(1, rem[(-300.0, 2.5)]) == -1  # NumPy's mod gives +0.0


def test_sine_and_cosine_are_pyptos_expansion():
    values = _inputs("fp32_more_ops")
    plsim.run(K.fp32_more_ops, **values)
    x = values["a"][:, 0]
    sines, cosines = values["sines"][:, 0], values["cosines"][:, 0]
    got = dict(zip(x.tolist(), sines.tolist()))
    # measured on a2a3sim (fixture fp32_more_ops, bit for bit): the expansion's special values
    assert got[math.inf] == math.inf and got[-math.inf] == -math.inf
    assert got[-0.0] == 0.0 and math.copysign(1, got[-0.0]) == 1
    assert got[2147483648.0] == np.float32(4.6292854e09)
    small = np.abs(x) <= 300
    np.testing.assert_allclose(sines[small], np.sin(x[small].astype(np.float64)), atol=1.5e-7)
    np.testing.assert_allclose(cosines[small], np.cos(x[small].astype(np.float64)), atol=1.5e-7)


def test_integer_ops_wrap_and_shift_as_two_s_complement():
    values = _inputs("int16_ops")
    plsim.run(K.int16_ops, **values)
    a, b = values["a"].ravel().tolist(), values["b"].ravel().tolist()

    def wrap(v: int) -> int:
        return (v + 2**15) % 2**16 - 2**15

    checks = {
        "total": lambda x, y: wrap(x + y), "product": lambda x, y: wrap(x * y),
        "smaller": min, "shifted_left": lambda x, y: wrap(x << 3),
        "shifted_right": lambda x, y: x >> 2, "both": lambda x, y: x & y,
    }  # fmt: skip
    for name, want in checks.items():
        got = values[name].ravel().tolist()
        assert got == [want(x, y) for x, y in zip(a, b)], name


def test_an_integer_column_sum_runs_but_says_a2a3sim_cannot_build_it():
    values = _inputs("int32_col_sum")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plsim.run(K.int32_col_sum, **values)
    assert any("a2a3sim cannot build it" in str(w.message) and "TColSum" in str(w.message)
               for w in caught)  # fmt: skip
    sums = [sum(int(v) for v in col) for col in values["a"].T]
    assert values["col_total"][0].tolist() == [(s + 2**31) % 2**32 - 2**31 for s in sums]
    values = _inputs("int32_reductions")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the row reductions and col_min build on a2a3sim
        plsim.run(K.int32_reductions, **values)


def test_fp16_log_rounds_once_and_exp_goes_through_fp32_on_every_input():
    # pto-isa's CPU TLog: (half)std::log(double); TExp of half: (half)expf(float). Measured on
    # a2a3sim over all 65536 FP16 bit patterns: equal to these rules everywhere.
    every = np.arange(2**16, dtype=np.uint16).view(np.float16).reshape(-1, K.N, K.N)
    for block in every:
        logs, exps = np.zeros_like(block), np.zeros_like(block)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plsim.run(K.fp16_logs, block, logs, exps)
        x = block.astype(np.float64)
        with np.errstate(all="ignore"):
            want_log = np.log(x).astype(np.float16)
            want_exp = np.exp(x).astype(np.float32).astype(np.float16)
        for got, want in ((logs, want_log), (exps, want_exp)):
            same = (got.view(np.uint16) == want.view(np.uint16)) | (np.isnan(got) & np.isnan(want))
            assert same.all(), block[~same][:3]
    one = np.full((K.N, K.N), 0.005340576171875, np.float16)
    logs = np.zeros_like(one)
    plsim.run(K.fp16_logs, one, logs, np.zeros_like(one))
    assert logs[0, 0] == np.float16(-5.23046875)  # a2a3sim's; through FP32 it was -5.234375
