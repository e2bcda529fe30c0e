"""plsim ops against independent NumPy expectations on random shapes and values.

Every op runs inside a small generated kernel through ``plsim.run`` (load, slice, op, store),
so the whole path a kernel takes is exercised, not just plsim's numerics helpers. Values mix
random bit patterns with NaN, ±inf, -0.0, subnormals, integer extremes and exact rounding ties.
"""

from __future__ import annotations

import functools
import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from reference_numerics import (
    CAST_CHAINS,
    MODES,
    NUMPY,
    reference_cast,
    round_fp32_to,
    same_values,
)
from reliability_support import fuzz_settings, load_source

import plsim

KERNEL_HEADER = "import pypto.language as pl\n\n\n"

CAST_TEMPLATE = """@pl.jit
def cast_kernel(x: pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.{src}],
                out: pl.Out[pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.{dst}]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="cast"):
        out[:, :] = pl.cast(x[:, :], target_type=pl.{dst}, mode="{mode}")
    return out
"""

BINARY_TEMPLATE = """@pl.jit
def binary_kernel(a: pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.{dtype}],
                  b: pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.{dtype}],
                  out: pl.Out[pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.{dtype}]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="binary"):
        out[:, :] = pl.{op}(a[:, :], b[:, :])
    return out
"""

UNARY_TEMPLATE = """@pl.jit
def unary_kernel(x: pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.FP32],
                 out: pl.Out[pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="unary"):
        out[:, :] = pl.{op}(x[:, :])
    return out
"""

REDUCE_TEMPLATE = """@pl.jit
def reduce_kernel(x: pl.Tensor[[pl.dynamic("R"), pl.dynamic("C")], pl.FP32],
                  out: pl.Out[pl.Tensor[[pl.dynamic("R"), 8], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reduce"):
        col = pl.{op}(x[:, :])
        out[:, :] = pl.row_expand(pl.full([{rows}, 8], dtype=pl.FP32, value=0.0), col)
    return out
"""

MATMUL_TEMPLATE = """@pl.jit
def int8_matmul(a: pl.Tensor[[pl.dynamic("M"), pl.dynamic("K")], pl.INT8],
                b: pl.Tensor[[pl.dynamic("K"), pl.dynamic("N")], pl.INT8],
                out: pl.Out[pl.Tensor[[pl.dynamic("M"), pl.dynamic("N")], pl.INT32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="matmul"):
        out[:, :] = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)
    return out
"""

# -------------------------------------------------------------------------------- values
BITS = {"FP32": np.uint32, "FP16": np.uint16, "BF16": np.uint16}
SPECIAL_FLOATS = [
    0.0,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    0.5,
    -0.5,
    1.5,
    -2.5,
    127.5,
    -128.5,
    126.49999237060547,
    255.5,
    65504.0,
    65520.0,
    -65520.0,
    2.0**24 + 1,
    2.0**31,
    -(2.0**31),
    3.4028234663852886e38,
    -3.4028234663852886e38,
    1e-45,  # FP32 smallest subnormal
    -1.1754942106924411e-38,  # FP32 largest negative subnormal
    5.960464477539063e-08,  # FP16 smallest subnormal
    9.183549615799121e-41,  # BF16 smallest subnormal
]
INT_EXTREMES = {
    "INT32": [-(2**31), 2**31 - 1, 0, -1, 1, 2**24 + 1, -(2**24) - 3, 65520, -65520, 2049],
    "INT16": [-(2**15), 2**15 - 1, 0, -1, 2049, -2051],
    "INT8": [-128, 127, 0, -1, 1],
}


def _float_element(src: str, tie_target: str | None):
    """One value storable in ``src``: raw bits, a special value or a rounding tie."""
    width = 32 if src == "FP32" else 16
    options = [
        st.integers(0, 2**width - 1).map(
            lambda b: float(np.array(b, BITS[src]).view(NUMPY[src]).astype(np.float64))
        ),
        st.sampled_from(SPECIAL_FLOATS),
        st.integers(-300, 300).map(lambda k: k + 0.5),
        st.floats(-1e5, 1e5, width=32),
    ]
    if tie_target in ("FP16", "BF16"):
        # Exact midpoints between neighbouring target values (ties for every rounding mode).
        mids = st.integers(0, 2**16 - 1).map(lambda b: _midpoint(b, tie_target))
        options.append(mids.filter(math.isfinite))
    return st.one_of(options)


def _midpoint(bits: int, name: str) -> float:
    value = np.array(bits, np.uint16).view(NUMPY[name])
    with np.errstate(invalid="ignore"):  # NaN bit patterns are drawn too; filtered by the caller
        up = np.nextafter(value.astype(np.float64), math.inf)
        nxt = float(np.array(up).astype(NUMPY[name]).astype(np.float64))
        here = float(value.astype(np.float64))
        if nxt == here:  # astype rounded back; step through bits instead
            nxt = float(np.array(bits + 1, np.uint16).view(NUMPY[name]).astype(np.float64))
    return (here + nxt) / 2


@st.composite
def arrays_of(
    draw, dtype: str, tie_target: str | None = None, finite: bool = False, rows=(1, 2, 3, 5, 6)
):
    """A small [rows, cols] array of ``dtype`` with 32-byte aligned rows for every dtype."""
    rows = draw(st.sampled_from(rows))
    cols = draw(st.sampled_from([32, 64]))
    if dtype in BITS:
        element = _float_element(dtype, tie_target)
        if finite:
            element = element.filter(lambda v: math.isfinite(v) and abs(v) < 1e30)
        flat = draw(st.lists(element, min_size=rows * cols, max_size=rows * cols))
        with np.errstate(over="ignore"):
            return np.array(flat, np.float64).astype(NUMPY[dtype]).reshape(rows, cols)
    info = np.iinfo(NUMPY[dtype])
    element = st.one_of(
        st.integers(int(info.min), int(info.max)), st.sampled_from(INT_EXTREMES[dtype])
    )
    flat = draw(st.lists(element, min_size=rows * cols, max_size=rows * cols))
    return np.array(flat, np.int64).astype(NUMPY[dtype]).reshape(rows, cols)


def _report(actual: np.ndarray, expected: np.ndarray, x: np.ndarray, ok: np.ndarray) -> str:
    where = np.argwhere(~ok)[:5]
    lines = []
    for idx in where:
        i = tuple(int(v) for v in idx)
        lines.append(f"  at {i}: input {x[i]!r} -> plsim {actual[i]!r}, expected {expected[i]!r}")
    return f"{int((~ok).sum())} of {ok.size} elements differ:\n" + "\n".join(lines)


# -------------------------------------------------------------------------------- casts
@fuzz_settings(ci_examples=2)
@pytest.mark.parametrize("pair", sorted(CAST_CHAINS), ids=lambda p: f"{p[0]}-{p[1]}")
@given(data=st.data())
def test_cast_matches_numpy_reference_in_every_mode(pair, data):
    src, dst = pair
    x = data.draw(arrays_of(src, tie_target=dst if dst in ("FP16", "BF16") else None), "x")
    for mode in MODES:
        kernel = load_source(KERNEL_HEADER + CAST_TEMPLATE.format(src=src, dst=dst, mode=mode))
        out = np.zeros(x.shape, NUMPY[dst])
        # a2a3 has no native INT8 -> FP32 cast (the compiler rejects it; plsim too, see
        # tests/plsim_conformance/test_rejections.py), so that pair's numerics run as a5.
        platform = "a5" if (src, dst) == ("INT8", "FP32") else "a2a3"
        plsim.run(kernel.cast_kernel, x, out, platform=platform)
        expected = reference_cast(x, src, dst, mode)
        ok = same_values(out, expected)
        note(f"{src}->{dst} mode={mode}")
        assert ok.all(), f"pl.cast {src}->{dst} mode={mode!r}: " + _report(out, expected, x, ok)


# -------------------------------------------------------------------------------- binary
#: (op, dtype) pairs a2a3's vector unit has no instruction for (ptoas refuses them;
#: plsim/ops/vector_dtypes.py): a HardwareError there, not a value.
A2A3_UNBUILDABLE = {(op, "BF16") for op in ("add", "sub", "mul", "maximum", "minimum")} | {
    ("div", "INT32")
}
BINARY_CASES = [
    (op, dtype)
    for dtype in ("FP32", "FP16", "BF16", "INT32")
    for op in ("add", "sub", "mul", "div", "maximum", "minimum")
    if not (op == "div" and dtype == "BF16")  # tensor/tensor div: INT16/INT32/FP16/FP32 only
    and (op, dtype) not in A2A3_UNBUILDABLE
]


def _cxx_max(a, b):
    return b if a < b else a  # std::max, pto-isa's CPU TMAX


def _cxx_min(a, b):
    return b if b < a else a  # std::min, pto-isa's CPU TMIN


def _binary_reference(op: str, a: np.ndarray, b: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "INT32":
        a64, b64 = a.astype(np.int64), b.astype(np.int64)
        if op == "div":  # C division: truncate toward zero (divisor 0 excluded by the caller)
            q = np.abs(a64) // np.abs(b64)
            out = np.where((a64 < 0) != (b64 < 0), -q, q)
        else:
            out = {"add": a64 + b64, "sub": a64 - b64, "mul": a64 * b64}.get(op)
            if out is None:
                out = np.maximum(a64, b64) if op == "maximum" else np.minimum(a64, b64)
        return (out & 0xFFFFFFFF).astype(np.uint32).view(np.int32)  # two's complement wrap
    fa, fb = a.astype(np.float32), b.astype(np.float32)  # exact widening
    with np.errstate(all="ignore"):
        r = {
            "add": np.add,
            "sub": np.subtract,
            "mul": np.multiply,
            "div": np.divide,
            "maximum": lambda x, y: _elementwise(_cxx_max, x, y),
            "minimum": lambda x, y: _elementwise(_cxx_min, x, y),
        }[op](fa, fb)
    return round_fp32_to(r, dtype)


def _elementwise(pick, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([pick(p, q) for p, q in zip(x.ravel(), y.ravel())], x.dtype).reshape(x.shape)


@fuzz_settings(ci_examples=3)
@pytest.mark.parametrize("op,dtype", BINARY_CASES)
@given(data=st.data())
def test_binary_op_matches_ieee_fp32_then_round(op, dtype, data):
    a = data.draw(arrays_of(dtype), "a")
    b_flat = data.draw(arrays_of(dtype).filter(lambda v: v.size >= a.size), "b")
    b = b_flat.ravel()[: a.size].reshape(a.shape).copy()
    if dtype == "INT32" and op == "div":
        b[b == 0] = 7  # integer division by zero is undefined on the device
    kernel = load_source(KERNEL_HEADER + BINARY_TEMPLATE.format(op=op, dtype=dtype))
    out = np.zeros(a.shape, NUMPY[dtype])
    plsim.run(kernel.binary_kernel, a, b, out)
    expected = _binary_reference(op, a, b, dtype)
    ok = same_values(out, expected)
    assert ok.all(), f"pl.{op} {dtype}: " + _report(out, expected, a, ok)


@pytest.mark.parametrize("op,dtype", sorted(A2A3_UNBUILDABLE))
def test_binary_op_a2a3_has_no_instruction_for_is_a_hardware_error(op, dtype):
    kernel = load_source(KERNEL_HEADER + BINARY_TEMPLATE.format(op=op, dtype=dtype))
    a = np.ones((8, 32), NUMPY[dtype])
    with pytest.raises(plsim.HardwareError, match="ptoas builds"):
        plsim.run(kernel.binary_kernel, a, a, np.zeros_like(a))


# -------------------------------------------------------------------------------- unary
def _ulps_apart(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Distance in FP32 units in the last place (monotone integer mapping of the bits)."""

    def ordered(v: np.ndarray) -> np.ndarray:
        i = v.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(2**31) - i, i)

    return np.abs(ordered(actual) - ordered(expected))


UNARY_REFERENCES = {
    "neg": lambda x: -x,
    "abs": lambda x: np.where(x < 0, -x, x),  # pto-isa's TAbs: -0.0 stays -0.0
    "exp": np.exp,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1.0 / np.sqrt(x),
    "recip": lambda x: 1.0 / x,
}


@fuzz_settings(ci_examples=6)
@pytest.mark.parametrize("op", sorted(UNARY_REFERENCES))
@given(x=arrays_of("FP32"))
def test_unary_op_within_one_ulp_of_float64_and_ieee_specials(op, x):
    kernel = load_source(KERNEL_HEADER + UNARY_TEMPLATE.format(op=op))
    out = np.zeros(x.shape, np.float32)
    plsim.run(kernel.unary_kernel, x, out)
    with np.errstate(all="ignore"):
        exact = UNARY_REFERENCES[op](x.astype(np.float64))
        expected = exact.astype(np.float32)
    special = ~np.isfinite(expected) | (expected == 0) | ~np.isfinite(x)
    ok = np.where(special, same_values(out, expected), _ulps_apart(out, expected) <= 1)
    if op in ("neg", "abs"):  # exact ops: bit-identical everywhere
        ok = same_values(out, expected)
    assert ok.all(), f"pl.{op}: " + _report(out, expected, x, ok)


# -------------------------------------------------------------------------------- reductions
@fuzz_settings(ci_examples=8)
@pytest.mark.parametrize("op", ["row_max", "row_min"])
@given(x=arrays_of("FP32", rows=(8, 16)))
def test_row_max_min_exact(op, x):
    kernel = load_source(KERNEL_HEADER + REDUCE_TEMPLATE.format(op=op, rows=x.shape[0]))
    out = np.zeros((x.shape[0], 8), np.float32)
    plsim.run(kernel.reduce_kernel, x, out)
    # pto-isa's CPU TRowMax / TRowMin fold from element 0 with std::max / std::min, so a NaN
    # decides only in first place and the first of equal zeros stays (§9)
    pick = _cxx_max if op == "row_max" else _cxx_min
    folded = [functools.reduce(pick, row) for row in x]
    expected = np.repeat(np.array(folded, np.float32)[:, None], 8, axis=1)
    ok = same_values(out, expected)
    assert ok.all(), f"pl.{op}: " + _report(out, expected, np.repeat(x[:, :1], 8, 1), ok)


@fuzz_settings(ci_examples=8)
@given(
    x=arrays_of("FP32", finite=True, rows=(8, 16)),
    specials=st.sampled_from(["none", "nan", "inf", "both"]),
)
def test_row_sum_within_fp32_bound_and_ieee_specials(x, specials):
    if specials in ("nan", "both"):
        x[0, 3] = np.nan
    if specials in ("inf", "both"):
        x[-1, 0], x[-1, 5] = np.inf, -np.inf
    kernel = load_source(KERNEL_HEADER + REDUCE_TEMPLATE.format(op="row_sum", rows=x.shape[0]))
    out = np.zeros((x.shape[0], 8), np.float32)
    plsim.run(kernel.reduce_kernel, x, out)
    got = out[:, 0].astype(np.float64)
    with np.errstate(invalid="ignore"):  # inf + -inf rows sum to NaN on purpose
        exact = x.astype(np.float64).sum(axis=1)
    # Any FP32 summation order is within n * 2^-24 * sum|x| of the exact sum (no overflow:
    # |x| < 1e30 and at most 64 terms).
    bound = x.shape[1] * 2.0**-24 * np.abs(x.astype(np.float64)).sum(axis=1)
    for r in range(x.shape[0]):
        if np.isnan(exact[r]):
            assert np.isnan(got[r]), f"row {r}: NaN/inf-inf row summed to {got[r]}"
        else:
            assert abs(got[r] - exact[r]) <= bound[r], (r, got[r], exact[r], bound[r])
    assert np.all(out == out[:, :1]) or np.isnan(out).any()


# -------------------------------------------------------------------------------- matmul
@fuzz_settings(ci_examples=10)
@given(
    # M on the 16-row cube fractal (plsim.ops.view_rules.check_cube_shapes; ptoas refuses others)
    m=st.sampled_from([16, 32, 48]),
    k=st.sampled_from([32, 64, 128, 256]),
    n=st.sampled_from([32, 64]),
    fill=st.sampled_from(["random", "extremes", "min_times_min"]),
    seed=st.integers(0, 2**16),
)
def test_int8_matmul_is_exact_in_int32_at_the_extremes(m, k, n, fill, seed):
    rng = np.random.default_rng(seed)
    if fill == "random":
        a = rng.integers(-128, 128, (m, k)).astype(np.int8)
        b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    elif fill == "extremes":
        a = rng.choice(np.array([-128, 127, -127, 0], np.int8), (m, k))
        b = rng.choice(np.array([-128, 127, 1, -1], np.int8), (k, n))
    else:  # every product is +16384: the largest INT32 sum the cube can be asked for here
        a = np.full((m, k), -128, np.int8)
        b = np.full((k, n), -128, np.int8)
    kernel = load_source(KERNEL_HEADER + MATMUL_TEMPLATE)
    out = np.zeros((m, n), np.int32)
    plsim.run(kernel.int8_matmul, a, b, out)
    expected = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)
    assert np.array_equal(out, expected)


def test_reference_cast_agrees_with_hand_derived_values():
    """Guard the reference itself with values derived by hand from docs/dsl.md §10."""
    x = np.array([2.5, -2.5, 0.5, 300.0, -129.0, np.nan, np.inf], np.float16)
    assert reference_cast(x, "FP16", "INT8", "round").tolist() == [3, -3, 1, 44, 127, 0, -1]
    assert reference_cast(x, "FP16", "INT8", "rint").tolist() == [2, -2, 0, 44, 127, 0, -1]
    assert reference_cast(x, "FP16", "INT8", "trunc").tolist() == [2, -2, 0, 44, 127, 0, -1]
    assert reference_cast(x, "FP16", "INT8", "floor").tolist() == [2, -3, 0, 44, 127, 0, -1]
    y = np.array([1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, -(1.0 + 2.0**-8), 2.0**128 * 0.999], np.float32)
    bf = {m: reference_cast(y, "FP32", "BF16", m).astype(np.float64).tolist() for m in MODES}
    assert bf["rint"][:3] == [1.0, 1.0 + 2.0**-6, -1.0]
    assert bf["round"][:3] == [1.0 + 2.0**-7, 1.0 + 2.0**-6, -(1.0 + 2.0**-7)]
    assert bf["floor"][2] == -(1.0 + 2.0**-7) and bf["ceil"][2] == -1.0
    assert bf["rint"][3] == math.inf and bf["trunc"][3] < math.inf
    big = np.array([2**24 + 1, -(2**24) - 1, 2**31 - 1], np.int32)
    assert reference_cast(big, "INT32", "FP32", "round").tolist() == [
        2**24 + 2,
        -(2**24) - 2,
        2**31,
    ]
    assert reference_cast(big, "INT32", "FP32", "rint").tolist() == [2**24, -(2**24), 2**31]
    assert reference_cast(big, "INT32", "FP32", "trunc").tolist() == [2**24, -(2**24), 2**31 - 128]
    odd = reference_cast(np.array([1.0 + 2.0**-12], np.float32), "FP32", "FP16", "odd")
    assert odd.astype(np.float64).tolist() == [1.0 + 2.0**-10]
    assert ml_dtypes.bfloat16 == NUMPY["BF16"]
