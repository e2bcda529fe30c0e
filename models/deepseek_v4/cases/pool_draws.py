"""Large seeded input tensors drawn a block of rows at a time, stored in the kernel's dtype.

A cache pool of a long context holds hundreds of millions of values; drawn whole in float64
(NumPy's default) it took 8 bytes a value on top of the BF16 result, 16 GiB for a 1M-position
pool of 64 requests. Drawing along axis 0 in blocks gives bit-identical values (the generator's
stream does not depend on how the draws are split) with a peak of one block.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from models.deepseek_v4.reference.quant import quantize_rows, to_bf16

#: float64 values per block of a draw (16 MiB).
BLOCK_VALUES = 2**21


def _blocks(shape: tuple[int, ...]):
    """Slices of axis 0 holding about BLOCK_VALUES values each."""
    step = max(1, BLOCK_VALUES // max(1, math.prod(shape[1:])))
    for start in range(0, shape[0], step):
        yield slice(start, min(start + step, shape[0]))


def normal_bf16(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """``to_bf16(rng.standard_normal(shape))``, drawn a block at a time."""
    out = np.empty(shape, ml_dtypes.bfloat16)
    for rows in _blocks(shape):
        out[rows] = to_bf16(rng.standard_normal((rows.stop - rows.start, *shape[1:])))
    return out


def unit_rms_bf16(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal rows scaled to unit RMS along the last axis, as BF16 (rows after
    RMSNorm and the rotation), drawn a block at a time."""
    out = np.empty(shape, ml_dtypes.bfloat16)
    for rows in _blocks(shape):
        block = rng.standard_normal((rows.stop - rows.start, *shape[1:]))
        out[rows] = to_bf16(block / np.sqrt(np.mean(block**2, axis=-1, keepdims=True)))
    return out


def quantize_rows_blocked(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``reference.quant.quantize_rows`` of ``pool`` a block of rows at a time (INT8 codes and the
    FP32 dequant scale without the trailing axis): the per-row policy does not look across
    rows, so the result is the same, with float32 temporaries of one block."""
    codes = np.empty(pool.shape, np.int8)
    scale = np.empty(pool.shape[:-1], np.float32)
    for rows in _blocks(pool.shape):
        block_codes, block_scale = quantize_rows(pool[rows])
        codes[rows] = block_codes
        scale[rows] = block_scale[..., 0]
    return codes, scale
