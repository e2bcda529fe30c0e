"""Elementwise, reduction and matmul arithmetic of pl ops, rounded to the result dtype.

Rules (docs/dsl.md §8, §9, §11):

- FP32 add/sub/mul/div/max/min are IEEE single-precision operations (NumPy float32), so they
  are correctly rounded to nearest even; overflow gives ±inf, 0/0 NaN.
- FP16/BF16 operands are widened to FP32 (exact), computed in FP32 and rounded back to the
  operand dtype, ties to even. (FP32 holds 2p+2 bits of a 16-bit format's significand, so
  add/sub/mul/div stay correctly rounded despite the two roundings.)
- exp, log, sqrt, rsqrt, recip are evaluated in float64 and rounded once to FP32; for FP16,
  log / sqrt / rsqrt round the float64 value once to FP16, exp and recip go through FP32 (as
  pto-isa's CPU TExp uses expf for half, and TRecip divides in the tile's type). Equal to
  a2a3sim bit for bit on all 65536 FP16 inputs and 65536 random FP32 bit patterns. The
  device's fast paths are not correctly rounded; compare kernel results with tolerances, not
  bits, after these ops.
- Integers wrap (two's complement); integer div truncates toward zero (C semantics). Integer
  division by zero is undefined on the device and kills a2a3sim: the ops raise
  DivisionByZeroError for a zero in a valid cell (ops/common.no_integer_zero_divisor). Here it
  saturates like float division followed by a saturating cast (x/0 -> the dtype's max for
  x > 0, min for x < 0, 0 for 0/0), the value padding cells get.
- Float sums and products accumulate in FP32 (an FP16 col_sum, col_prod or row_prod in FP16,
  the running type of pto-isa's CPU TColSum / TColProd / TRowProd) in pto-isa's order, the one
  its CPU backend (a2a3sim / a5sim) runs: element 0, 1, ... in sequence from 0 (sum) or 1
  (product), one rounding per step (``TRowSum`` / ``TColSum`` in pto-isa's include/pto/cpu:
  ``sum = 0; sum += src[...]``). Except an FP32 row sum of 50 or more elements: TRowSum's loop
  is marked ``#pragma clang loop vectorize(enable) interleave(enable)``, which lets clang
  reorder it, and the toolchain bundle builds sim kernels with clang++-19 -O2 (x86-64
  baseline). As measured on
  a2a3sim (row sums of [16, N] FP32 tiles, N = 32 .. 128): below 50 elements in sequence; from
  50, element j of the first N - N % 8 goes to accumulator j % 8 (each in sequence), the two
  halves of the 8 are added lane by lane, the 4 lanes summed in sequence from 0, then the last
  N % 8 elements added in sequence (ROW_SUM_LANES_FROM). Integer sum/prod wrap
  (order-independent).
- matmul: INT8 x INT8 products are summed exactly (float64 sums of int8 products are exact for
  K < 2^39) and wrapped to INT32; BF16/FP16/FP32 products are accumulated in FP32 in pto-isa's
  order, the one its CPU backend (a2a3sim / a5sim) runs: per output element, k = 0 .. K-1 in
  sequence, each step one fused multiply-add (``TMatmulNzZn`` in pto-isa's
  include/pto/cpu/TMatmul.hpp: ``mul_acc = std::fma(a, b, mul_acc)``); a ``matmul_acc`` adds
  that sum to the accumulator afterwards (``acc + mul_acc``). BF16 and FP16 products are exact
  in FP32, so each step is one FP32 addition; FP32 products are formed in float64 (exact) and
  each step rounded to FP32. The cube's own blocked order differs in the last bits; the
  goldens sum exactly and their tolerances cover both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from plsim import dtypes as dt
from plsim.dtypes import DType


class _FloatingPoint:
    """Whether every NumPy floating-point warning is already ignored (inside plsim.run)."""

    ignored = False


_FP = _FloatingPoint()
_NO_CONTEXT = contextlib.nullcontext()


@contextlib.contextmanager
def floating_point_ignored() -> Iterator[None]:
    """``np.errstate(all="ignore")`` for a whole run, so each op can skip entering its own
    errstate (about as costly as the op itself on a small tile)."""
    previous = _FP.ignored
    with np.errstate(all="ignore"):
        _FP.ignored = True
        try:
            yield
        finally:
            _FP.ignored = previous


def quiet(**kinds: str):
    """``np.errstate(**kinds)``, or nothing when floating_point_ignored already covers it."""
    return _NO_CONTEXT if _FP.ignored else np.errstate(**kinds)


BINARY_OPS = ("add", "sub", "mul", "div", "maximum", "minimum")
UNARY_OPS = ("neg", "abs", "exp", "sqrt", "rsqrt", "recip", "log", "relu")
REDUCE_OPS = ("sum", "max", "min", "prod")
MATMUL_OPERANDS = ("INT8", "FP16", "BF16", "FP32")

_FLOAT16_TYPES = ("FP16", "BF16")


def _check_array(x: np.ndarray, dtype: DType, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != dtype.numpy:
        raise ValueError(f"{what}: array dtype {x.dtype} does not store {dtype!r}")
    return x


def _check_numeric(dtype: DType, what: str) -> None:
    if not (dtype.is_float or dtype.is_int):
        raise ValueError(f"{what}: dtype {dtype!r} is not a numeric type")


def scalar_to_dtype(value: int | float | bool, dtype: DType, what: str = "scalar") -> np.ndarray:
    """A Python scalar converted to ``dtype`` (floats RNE, integers wrap); 0-d array."""
    if dtype.is_float:
        # A float literal is FP32 in the DSL (§6.2); the tile op then narrows it (RNE).
        with quiet(over="ignore"):
            return np.asarray(np.float32(value)).astype(dtype.numpy)
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise ValueError(
                f"{what}: float value {value!r} cannot be an operand of an integer {dtype!r} op"
            )
        value = int(value)
    value = int(value)
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"{what}: integer {value} does not fit a 64-bit scalar")
    wide = np.uint64(value) if value >= 2**63 else np.int64(value)
    return np.asarray(wide).astype(dtype.numpy)


def larger(a, b) -> np.ndarray:
    """``std::max(a, b)``, pto-isa's CPU TMAX / TMAXS: ``b`` where ``a < b``, else ``a``. A NaN
    second operand loses (max(1, NaN) = 1, max(NaN, 1) = NaN) and of equal values the first
    wins (max(-0.0, +0.0) = -0.0); measured on a2a3sim (special_value_kernels.fp32_binary)."""
    return np.where(a < b, b, a)


def smaller(a, b) -> np.ndarray:
    """``std::min(a, b)``, pto-isa's CPU TMIN / TMINS: ``b`` where ``b < a``, else ``a``."""
    return np.where(b < a, b, a)


_FLOAT_UFUNCS = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "maximum": larger,
    "minimum": smaller,
}


def _compute_dtype(dtype: DType) -> np.dtype:
    return np.dtype(np.float32) if dtype.name in _FLOAT16_TYPES else dtype.numpy


def binary(op: str, a: np.ndarray, b: np.ndarray | int | float, dtype: DType) -> np.ndarray:
    """Elementwise ``op`` of ``a`` and ``b`` in ``dtype`` (see module doc for rounding)."""
    ufunc = _FLOAT_UFUNCS.get(op)
    if ufunc is None:
        raise ValueError(f"binary: op={op!r} is not one of {BINARY_OPS}")
    if not dtype.is_float:
        _check_numeric(dtype, f"binary {op}")
    # The messages are formatted only on a mismatch (a per-op hot path).
    a = np.asarray(a)
    if a.dtype != dtype.numpy:
        _check_array(a, dtype, f"binary {op} lhs")
    if isinstance(b, np.ndarray):
        if b.dtype != dtype.numpy:
            _check_array(b, dtype, f"binary {op} rhs")
    elif dtype is dt.FP32 and b.__class__ is np.float32:
        pass  # already the FP32 value scalar_to_dtype would make (the elementwise ops' case)
    else:
        b = scalar_to_dtype(b, dtype, f"binary {op} scalar")
    if dtype is dt.FP32:  # the common case: no widening, no narrowing
        if _FP.ignored:
            return np.asarray(ufunc(a, b))
        with np.errstate(all="ignore"):
            return np.asarray(ufunc(a, b))
    if dtype.is_float:
        work = _compute_dtype(dtype)
        fa, fb = a.astype(work, copy=False), b.astype(work, copy=False)
        with quiet(all="ignore"):
            out = ufunc(fa, fb)
        return np.asarray(out.astype(dtype.numpy, copy=False))
    # Integers: NumPy fixed-width integer arithmetic wraps (two's complement).
    with quiet(all="ignore"):
        if op == "add":
            out = np.add(a, b)
        elif op == "sub":
            out = np.subtract(a, b)
        elif op == "mul":
            out = np.multiply(a, b)
        elif op == "maximum":
            out = np.maximum(a, b)
        elif op == "minimum":
            out = np.minimum(a, b)
        else:
            out = _truncating_div(a, b, dtype)
    return np.asarray(out).astype(dtype.numpy, copy=False)


def _truncating_div(a: np.ndarray, b: np.ndarray, dtype: DType) -> np.ndarray:
    a, b = np.broadcast_arrays(a, b)
    wide = np.int64 if dtype.bits < 64 else dtype.numpy
    wa, wb = a.astype(wide), b.astype(wide)
    zero = wb == 0
    # Division by zero is undefined on the device; give the value a float division followed
    # by a saturating cast back would (x/0 -> max or min by sign of x, 0/0 -> 0) rather than
    # raising, because the op layer also divides the padding lanes of a tile.
    safe = np.where(zero, 1, wb).astype(wide)
    q = wa // safe
    if dtype.is_signed:
        # Floor division rounds toward -inf; C truncates toward zero.
        q = q + (((wa % safe) != 0) & ((wa < 0) != (safe < 0)))
    info = np.iinfo(dtype.numpy)
    by_zero = np.where(wa > 0, info.max, np.where(wa < 0, info.min, 0)).astype(wide)
    return np.where(zero, by_zero, q).astype(dtype.numpy)


def unary(op: str, x: np.ndarray, dtype: DType) -> np.ndarray:
    """Elementwise ``op`` of ``x`` in ``dtype`` (see module doc for rounding)."""
    if op not in UNARY_OPS:
        raise ValueError(f"unary: op={op!r} is not one of {UNARY_OPS}")
    _check_numeric(dtype, f"unary {op}")
    x = _check_array(x, dtype, f"unary {op}")
    if dtype.is_int:
        with quiet(all="ignore"):
            if op == "neg":
                return np.negative(x).astype(dtype.numpy)
            if op == "abs":
                return (np.abs(x) if dtype.is_signed else x.copy()).astype(dtype.numpy)
            if op == "relu":
                return np.maximum(x, np.zeros((), dtype.numpy))
        raise ValueError(f"unary {op}: not defined for integer dtype {dtype!r}")
    if op in ("neg", "abs", "relu"):
        fx = x.astype(np.float32)  # exact; these ops are exact in any float format
        if op == "neg":
            out = np.negative(fx)
        elif op == "abs":  # pto-isa's TAbs: x < 0 ? -x : x, so -0.0 stays -0.0 (a2a3sim)
            out = np.where(fx < 0, -fx, fx)
        else:  # relu = std::max(x, 0): NaN stays NaN, -0.0 stays -0.0 (a2a3sim)
            out = larger(fx, np.float32(0))
        return out.astype(dtype.numpy)
    x64 = x.astype(np.float64)
    with quiet(all="ignore"):
        if op == "exp":
            r = np.exp(x64)
        elif op == "log":
            r = np.log(x64)
        elif op == "sqrt":
            r = np.sqrt(x64)
        elif op == "rsqrt":
            r = 1.0 / np.sqrt(x64)
        else:  # recip
            r = 1.0 / x64
        if op in ("log", "sqrt", "rsqrt"):
            # pto-isa's CPU TLog / TSqrt / TRsqrt round the double result once to the tile's
            # type; through FP32 first, an FP16 log differs for one input of the 65536
            # (0.00534058: -5.234375 against a2a3sim's -5.23046875, measured exhaustively). exp
            # of FP16 is expf's FP32 result rounded (TExp's half case), recip an FP32 division
            # rounded: both as below, equal to a2a3sim on every FP16 input.
            return r.astype(dtype.numpy)
        return r.astype(np.float32).astype(dtype.numpy)


#: FP32 row sums of at least this many elements run in a2a3sim's vectorized order (module doc).
ROW_SUM_LANES_FROM = 50


def _lanes_row_sum(x: np.ndarray) -> np.ndarray:
    """FP32 sum over the last axis (keepdims) in the order of a2a3sim's vectorized TRowSum:
    8 lane accumulators over the first N - N % 8 elements, their two halves added lane by lane,
    the 4 lanes in sequence from 0, then the tail in sequence."""
    n = x.shape[-1]
    body = n - n % 8
    # lane k: elements k, k + 8, ... of the body, each lane in sequence
    lanes = x[..., :body].reshape((*x.shape[:-1], body // 8, 8))
    acc = _sequential_reduce(np.swapaxes(lanes, -1, -2), np.add)[..., 0]
    with quiet(all="ignore"):
        four = (acc[..., :4] + acc[..., 4:]).astype(np.float32)
    return _sequential_reduce(np.concatenate([four, x[..., body:]], axis=-1), np.add)


def _sequential_reduce(x: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc`` over the last axis in x's dtype, element by element in order (keepdims).

    pto-isa starts a sum at +0.0: the only difference that makes to a chain that starts at
    element 0 is an all-(-0.0) row, which sums to +0.0 there; any zero sum is therefore +0.0.
    A product starts at 1, which changes nothing."""
    with quiet(all="ignore"):
        out = ufunc.accumulate(x, axis=-1, dtype=x.dtype)[..., -1:]
    if ufunc is np.add:
        out = np.where(out == 0, np.zeros((), x.dtype), out)
    return out


def _first_extreme(x: np.ndarray, largest: bool) -> np.ndarray:
    """Float max / min over the last axis (keepdims) as pto-isa's CPU TRowMax / TColMax (and
    the min forms) fold it: from element 0, taking a later element only when it is strictly
    larger (smaller). So a NaN decides only in first place, and of equal values (-0.0 and +0.0)
    the first stays; measured on a2a3sim (special_value_kernels.fp32_reductions)."""
    later_nan = np.isnan(x)
    later_nan[..., 0] = False
    fill = np.float32(-np.inf if largest else np.inf)
    clean = np.where(later_nan, fill, x) if later_nan.any() else x
    index = (np.argmax if largest else np.argmin)(clean, axis=-1)[..., None]
    # argmax / argmin give the first occurrence, and a NaN in first place is found first
    return np.take_along_axis(clean, index, axis=-1)


def reduce(op: str, x: np.ndarray, axis: int, dtype: DType) -> np.ndarray:
    """``op`` over ``axis`` (keepdims) in ``dtype`` (see module doc for accumulation order)."""
    if op not in REDUCE_OPS:
        raise ValueError(f"reduce: op={op!r} is not one of {REDUCE_OPS}")
    _check_numeric(dtype, f"reduce {op}")
    x = _check_array(x, dtype, f"reduce {op}")
    if x.ndim == 0:
        raise ValueError(f"reduce {op}: needs an array with at least one axis, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"reduce {op}: axis={axis} out of range for a {x.ndim}-D array")
    if x.shape[axis] == 0:
        raise ValueError(f"reduce {op}: axis {axis} is empty (shape {x.shape})")
    last = axis in (-1, x.ndim - 1)  # the common case: no axis moves (a per-op hot path)
    moved = x if last else np.moveaxis(x, axis, -1)
    if op in ("max", "min"):
        work = moved.astype(np.float32, copy=False) if dtype.is_float else moved
        out = _first_extreme(work, op == "max") if dtype.is_float else (
            np.max if op == "max" else np.min)(work, axis=-1, keepdims=True)
    elif dtype.name in _FLOAT16_TYPES and (op == "prod" or not last):
        # pto-isa's CPU TColSum, TColProd and TRowProd keep the running value in the tile's
        # type, one 16-bit rounding per step (TRowSum alone sums in FP32): measured on a2a3sim,
        # an FP16 col_sum of 32 rows differed in 191 of 256 columns when summed in FP32
        out = _sequential_reduce(moved, np.add if op == "sum" else np.multiply)
    elif dtype.is_float:
        work = moved.astype(np.float32, copy=False)
        if op == "sum" and last and dtype is dt.FP32 and work.shape[-1] >= ROW_SUM_LANES_FROM:
            out = _lanes_row_sum(work)
        else:
            out = _sequential_reduce(work, np.add if op == "sum" else np.multiply)
    else:
        with quiet(all="ignore"):
            func = np.sum if op == "sum" else np.prod
            out = func(moved, axis=-1, keepdims=True, dtype=moved.dtype)
    out = np.asarray(out).astype(dtype.numpy)  # a fresh array, never a view of x
    return np.ascontiguousarray(out if last else np.moveaxis(out, -1, axis))


def matmul(a: np.ndarray, b: np.ndarray, operand: DType) -> tuple[np.ndarray, DType]:
    """``a @ b`` for 2-D operands of dtype ``operand``; returns (result, accumulator dtype)."""
    if operand.name not in MATMUL_OPERANDS:
        raise ValueError(
            f"matmul: operand dtype {operand!r} is not supported; expected one of "
            f"{', '.join('pl.' + n for n in MATMUL_OPERANDS)}"
        )
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        raise ValueError(f"matmul: operand dtypes differ ({a.dtype} and {b.dtype}); cast first")
    if a.dtype != operand.numpy:
        raise ValueError(f"matmul: operand arrays store {a.dtype}, not {operand!r}")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul: operands must be 2-D, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: K mismatch, lhs {a.shape} @ rhs {b.shape}")
    # Every partial sum of int8 products is an integer below 2^53 in magnitude for K < 2^39,
    # so the float64 product is exact whatever order the BLAS library adds in; for K <= 1024
    # every partial sum is below 2^24 (|product| <= 2^14), so FP32 is exact too, and faster.
    if operand.name == "INT8":
        wide = np.float32 if a.shape[1] <= 1024 else np.float64
        exact = a.astype(wide) @ b.astype(wide)
        return exact.astype(np.int64).astype(np.int32), dt.INT32
    return _sequential_fma(a, b), dt.FP32


#: Elements of one [rows, K, N] product block (64 MiB of FP32) in _sequential_fma.
_PRODUCT_BLOCK = 1 << 24


def _sequential_fma(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """FP32 ``a @ b`` summed k = 0 .. K-1 in sequence with one rounding per step (a fused
    multiply-add per step, as pto-isa's CPU backend computes TMATMUL)."""
    m, k = a.shape
    n = b.shape[1]
    out = np.empty((m, n), np.float32)
    if k == 0:
        out[...] = 0.0
        return out
    if a.dtype == np.float32:
        # FP32 x FP32 is exact in float64 (48 significant bits); add, then round each step.
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        acc = np.zeros((m, n), np.float32)
        with np.errstate(all="ignore"):
            for i in range(k):
                acc = (acc.astype(np.float64) + a64[:, i : i + 1] * b64[i : i + 1, :]).astype(
                    np.float32
                )
        return acc
    # BF16 / FP16 products are exact in FP32 (at most 22 significant bits), so an FP32
    # running sum in k order is the fused multiply-add chain; np.add.accumulate runs in order.
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    rows = max(1, _PRODUCT_BLOCK // max(1, k * n))
    with np.errstate(all="ignore"):
        for r0 in range(0, m, rows):
            products = a32[r0 : r0 + rows, :, None] * b32[None, :, :]
            out[r0 : r0 + rows] = np.add.accumulate(products, axis=1, dtype=np.float32)[:, -1]
    return out
