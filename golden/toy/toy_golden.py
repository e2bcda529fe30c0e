"""NumPy golden of the toy row-scaled matmul (same dtype chain as the kernel)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

AMAX_FLOOR = np.float32(1e-4)


def row_amax(x: np.ndarray) -> np.ndarray:
    """max(max_k |x[m, k]|, AMAX_FLOOR) per row, FP32 [M, 1]."""
    xf = x.astype(np.float32)
    return np.maximum(np.abs(xf).max(axis=1, keepdims=True), AMAX_FLOOR)


def scale_matmul(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(out FP32, out_bf16 BF16) for BF16 x [M, K] and w [K, N].

    BF16 x BF16 products are exact in FP32; the sum is taken in float64 and rounded once to
    FP32 (the kernel sums in FP32 in its own order, hence the comparison tolerance).
    """
    acc = (x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    out = (acc / row_amax(x)).astype(np.float32)
    return out, out.astype(ml_dtypes.bfloat16)


def scale_matmul_signed_max(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A deliberately WRONG golden: scales by the row's signed max instead of max |x|.

    Used only by the self-test case that must fail; it models the "wrong absolute-max" bug.
    """
    acc = (x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    signed_max = np.maximum(x.astype(np.float32).max(axis=1, keepdims=True), AMAX_FLOOR)
    out = (acc / signed_max).astype(np.float32)
    return out, out.astype(ml_dtypes.bfloat16)


def float_reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The same math entirely in float64 (no FP32 rounding), for the quality figure."""
    x64 = x.astype(np.float64)
    amax = np.maximum(np.abs(x64).max(axis=1, keepdims=True), float(AMAX_FLOOR))
    return (x64 @ w.astype(np.float64)) / amax
