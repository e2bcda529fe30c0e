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
    x64 = np.asarray(x, dtype=np.float64)
    r = np.clip(round_half_away(x64), -(2**31), 2**31 - 1)
    return np.nan_to_num(r, nan=0.0).astype(np.int32)


def quantize_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row INT8 codes and FP32 dequant scales of ``x`` [..., N] (reduces the last axis).

    Returns ``(codes int8 [..., N], dequant_scale float32 [..., 1])``.
    """
    xf = np.asarray(x).astype(np.float32)
    amax = np.maximum(np.max(np.abs(xf), axis=-1, keepdims=True), AMAX_FLOOR).astype(np.float32)
    quant_scale = (INT8_MAX / amax).astype(np.float32)
    scaled = (xf * quant_scale).astype(np.float32)
    codes32 = fp32_to_int32_round(scaled)
    codes16 = codes32.astype(np.float16)
    codes8 = np.trunc(codes16.astype(np.float32)).astype(np.int64).astype(np.int8)
    dequant_scale = (amax / INT8_MAX).astype(np.float32)
    return codes8, dequant_scale


def quantize_columns_symmetric(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel INT8 of a weight ``w`` [K, N]: codes [K, N] and FP32 scales [N].

    Same chain as :func:`quantize_rows`, over each column.
    """
    codes_t, scale_t = quantize_rows(np.asarray(w).T)
    return np.ascontiguousarray(codes_t.T), scale_t.reshape(-1)


def to_bf16(x: np.ndarray) -> np.ndarray:
    """Round to BF16 (nearest, ties to even)."""
    return np.asarray(x, dtype=np.float32).astype(ml_dtypes.bfloat16)


#: Integers below this are exact in float64 (and so are their sums while they stay below it).
_FLOAT64_EXACT = 2.0**53


def int32_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact INT8 x INT8 -> INT32 matmul (exact accumulate, then wrap to INT32 like the cube).

    The sum is taken in float64 (BLAS) when no partial sum can reach 2^53 (K * max|a| * max|b|
    below it: every product and partial sum is then an exact float64 integer), else in int64;
    both give the same exact integers, float64 about 100x faster for prefill-sized operands.
    """
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    k = a_arr.shape[-1]
    a_max = float(np.abs(a_arr.astype(np.int64)).max()) if a_arr.size else 0.0
    b_max = float(np.abs(b_arr.astype(np.int64)).max()) if b_arr.size else 0.0
    if k * a_max * b_max < _FLOAT64_EXACT:
        exact = (a_arr.astype(np.float64) @ b_arr.astype(np.float64)).astype(np.int64)
    else:
        exact = a_arr.astype(np.int64) @ b_arr.astype(np.int64)
    return exact.astype(np.int32)
