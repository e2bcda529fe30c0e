"""NumPy INT8 quantization helpers shared by goldens (the W8A8C16 policy).

Policy (one definition for every golden and kernel in this library):

- ``amax`` = max over the row of |x| in FP32, floored at ``AMAX_FLOOR``.
- ``quant_scale`` = 127 / amax and ``dequant_scale`` = amax / 127, each one FP32 division.
- codes: ``x * quant_scale`` in FP32 -> INT32 rounding half away from zero (pl cast mode
  ``round``, saturating) -> FP16 (exact, |code| <= 127) -> INT8 (mode ``trunc``).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

AMAX_FLOOR = np.float32(1e-4)
INT8_MAX = np.float32(127.0)


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to nearest, ties away from zero (pl cast mode ``round``), in the input dtype."""
    x = np.asarray(x)
    return np.where(x >= 0, np.floor(x + x.dtype.type(0.5)), np.ceil(x - x.dtype.type(0.5)))


def fp32_to_int32_round(x: np.ndarray) -> np.ndarray:
    """FP32 -> INT32 with ties away from zero, saturating (NaN -> 0)."""
    r = np.array(x, dtype=np.float64)  # a copy: the steps below work in place
    # trunc(x + copysign(0.5, x)) is round-half-away for FP32 values held in float64: the sum is
    # exact below 2^52 (and above, x is already an integer); cheaper than floor/ceil/where.
    r += np.copysign(0.5, r)
    np.trunc(r, out=r)
    np.clip(r, -(2**31), 2**31 - 1, out=r)
    nan = np.isnan(r)
    if nan.any():
        r[nan] = 0.0
    return r.astype(np.int32)


#: Codes up to this magnitude pass FP16 and ``trunc`` unchanged (FP16 holds integers to 2^11).
_FP16_EXACT_INT = 2048
#: FP32 values below this magnitude have a fractional part FP32 can represent exactly.
_FP32_FRACTION_LIMIT = np.float32(2.0**23)


def _round_half_away_fp32(x: np.ndarray) -> np.ndarray:
    """fp32_to_int32_round for finite FP32 ``x`` with |x| < 2^23, computed in FP32.

    Exact: trunc and ``x - trunc(x)`` are exact in FP32, so is adding the +-1 step.
    """
    rounded = np.trunc(x)
    step = (np.abs(x - rounded) >= np.float32(0.5)).astype(np.float32)
    np.copysign(step, x, out=step)
    rounded += step
    return rounded.astype(np.int32)


def _quantize(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """INT8 codes and FP32 dequant scales of ``x``, one scale per slice along ``axis``."""
    xf = np.asarray(x).astype(np.float32)
    amax = np.maximum(np.max(np.abs(xf), axis=axis, keepdims=True), AMAX_FLOOR).astype(np.float32)
    quant_scale = (INT8_MAX / amax).astype(np.float32)
    scaled = (xf * quant_scale).astype(np.float32)
    peak = np.max(np.abs(scaled)) if scaled.size else np.float32(0)
    if np.isfinite(peak) and peak < _FP32_FRACTION_LIMIT:  # always, unless x holds inf/NaN
        codes32 = _round_half_away_fp32(scaled)
    else:
        codes32 = fp32_to_int32_round(scaled)
    if codes32.size and int(np.abs(codes32, dtype=np.int64).max()) <= _FP16_EXACT_INT:
        # INT32 -> FP16 -> trunc -> INT8 is then exactly INT32 -> INT8: skip the two passes.
        codes8 = codes32.astype(np.int8)
    else:
        codes16 = codes32.astype(np.float16)
        codes8 = np.trunc(codes16.astype(np.float32)).astype(np.int64).astype(np.int8)
    dequant_scale = (amax / INT8_MAX).astype(np.float32)
    return codes8, dequant_scale


def quantize_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row INT8 codes and FP32 dequant scales of ``x`` [..., N] (reduces the last axis).

    Returns ``(codes int8 [..., N], dequant_scale float32 [..., 1])``.
    """
    return _quantize(x, axis=-1)


def quantize_columns_symmetric(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel INT8 of a weight ``w`` [K, N]: codes [K, N] and FP32 scales [N].

    Same chain as :func:`quantize_rows`, over each column (computed in place along axis 0,
    no transposed copies).
    """
    codes, scale = _quantize(w, axis=0)
    return codes, scale.reshape(-1)


def to_bf16(x: np.ndarray) -> np.ndarray:
    """Round to BF16 (nearest, ties to even)."""
    return np.asarray(x, dtype=np.float32).astype(ml_dtypes.bfloat16)


#: Largest K for which a float64 matmul of INT8 codes is exact: every partial sum of K
#: products (|p| <= 128 * 128 = 2^14) stays below 2^53, where float64 still counts integers.
EXACT_FLOAT64_K = 2**39


def int32_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact INT8 x INT8 -> INT32 matmul, wrapped to INT32 like the cube's accumulator.

    Computed as a float64 BLAS matmul, which is exact here (see EXACT_FLOAT64_K) in any
    summation order, and several times faster than NumPy's non-BLAS int64 matmul.
    """
    a64 = np.asarray(a, np.float64)
    b64 = np.asarray(b, np.float64)
    if a64.shape[-1] >= EXACT_FLOAT64_K:
        raise ValueError(f"int32_matmul: K = {a64.shape[-1]} is too large for an exact sum")
    return (a64 @ b64).astype(np.int64).astype(np.int32)
