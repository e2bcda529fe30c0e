"""pl.part_* and pl.fmod beyond FP32 (kernels/dtype_extension_kernels.py). Measured on a2a3sim
with these random inputs, every output equal bit for bit to the rules below: a partial op
combines where the second tile is valid and keeps the first elsewhere; fmod is C's fmod (FP16,
exact) and C's ``%`` (integers, the dividend's sign). plsim refused these dtypes before."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("dtype_extension_kernels.py")
FILE = "dtype_extension_kernels.py"
SHAPE = (K.R, K.C)


def _part(a, b, op):
    out = a.copy()
    with np.errstate(all="ignore"):
        out[: K.NR, : K.NC] = op(a[: K.NR, : K.NC], b[: K.NR, : K.NC])
    return out


def _nonzero(a):
    a[a == 0] = 3
    return a


def test_fp16_partial_ops_and_fmod():
    rng = np.random.default_rng(9)
    x = (rng.standard_normal(SHAPE) * 50).astype(np.float16)
    y = _nonzero((rng.standard_normal(SHAPE) * 7).astype(np.float16))
    outs = [np.zeros(SHAPE, np.float16) for _ in range(5)]
    plsim.run(K.partial_fmod_half, x, y, *outs)
    wide = lambda op: lambda p, q: op(p.astype(np.float32), q.astype(np.float32)).astype(np.float16)  # noqa: E731
    expected = [
        _part(x, y, wide(np.add)), _part(x, y, lambda p, q: np.where(p < q, q, p)),
        _part(x, y, lambda p, q: np.where(q < p, q, p)), _part(x, y, wide(np.multiply)),
        np.fmod(x.astype(np.float64), y.astype(np.float64)).astype(np.float16),
    ]  # fmt: skip
    for got, want in zip(outs, expected):
        np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))


def test_integer_partial_ops_and_fmod_wrap_and_truncate():
    rng = np.random.default_rng(9)
    x = rng.integers(-(10**6), 10**6, SHAPE).astype(np.int32)
    y = _nonzero(rng.integers(-1000, 1000, SHAPE).astype(np.int32))
    u = rng.integers(-300, 300, SHAPE).astype(np.int16)
    w = _nonzero(rng.integers(-50, 50, SHAPE).astype(np.int16))
    outs = [np.zeros(SHAPE, d) for d in (np.int32, np.int32, np.int16, np.int16, np.int32,
                                         np.int16, np.int32)]  # fmt: skip
    plsim.run(K.partial_fmod_int, x, y, u, w, *outs)
    padd, pmax, pmul, pmin, fm, fm16, fms = outs
    np.testing.assert_array_equal(padd, _part(x, y, np.add))
    np.testing.assert_array_equal(pmax, _part(x, y, np.maximum))
    np.testing.assert_array_equal(
        pmul, _part(u, w, lambda p, q: (p.astype(np.int64) * q).astype(np.int16))
    )
    np.testing.assert_array_equal(pmin, _part(u, w, np.minimum))
    # C's %: the sign of the dividend (Python's % takes the divisor's)
    c_rem = lambda p, q: np.sign(p) * (np.abs(p) % np.abs(q))  # noqa: E731
    np.testing.assert_array_equal(fm, c_rem(x.astype(np.int64), y))
    np.testing.assert_array_equal(fm16, c_rem(u.astype(np.int64), w))
    np.testing.assert_array_equal(fms, c_rem(x.astype(np.int64), 7))
    assert (fm[x < 0] <= 0).all() and (x < 0).any()


def test_an_fp16_fmods_with_a_float_literal_is_what_ptoas_refuses():
    x = np.ones(SHAPE, np.float16)
    with pytest.raises(plsim.HardwareError, match="scalar type to match the tile") as err:
        plsim.run(K.half_fmods_literal, x, np.zeros_like(x))
    assert f"{marked_line(FILE, 'fmods_literal')} " in str(err.value)


def test_an_integer_remainder_by_zero_is_a_finding_as_it_kills_a2a3sim():
    # measured: partial_fmod_int with one zero divisor; a2a3sim's worker process died (SIGFPE)
    rng = np.random.default_rng(9)
    x = rng.integers(-100, 100, SHAPE).astype(np.int32)
    y = _nonzero(rng.integers(-9, 9, SHAPE).astype(np.int32))
    u, w = x.astype(np.int16), y.astype(np.int16)
    y[3, 5] = 0
    outs = [np.zeros(SHAPE, d) for d in (np.int32, np.int32, np.int16, np.int16, np.int32,
                                         np.int16, np.int32)]  # fmt: skip
    with pytest.raises(plsim.DivisionByZeroError, match=r"pl\.fmod of an INT32 tile by zero"):
        plsim.run(K.partial_fmod_int, x, y, u, w, *outs)
    y[3, 5] = 2  # the same kernel with every divisor nonzero runs
    plsim.run(K.partial_fmod_int, x, y, u, w, *outs)
