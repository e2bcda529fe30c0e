"""Fixed tables of the model's math: the rotary-embedding frequencies (YaRN) and the Hadamard.

NumPy only. Goldens and input generators share these so that a kernel's inputs and its golden
follow one definition.
"""

from __future__ import annotations

import math

import numpy as np

from models.deepseek_v4.config import Preset


def _correction_dim(num_rotations: float, dim: int, base: float, max_seq_len: int) -> float:
    # The rotary dim index whose wavelength completes num_rotations turns over max_seq_len.
    return dim * math.log(max_seq_len / (num_rotations * 2 * math.pi)) / (2 * math.log(base))


def yarn_inverse_frequencies(preset: Preset) -> np.ndarray:
    """Per-pair inverse frequencies [rd/2] (float64) of the compressed layers' YaRN rope.

    Low-frequency pairs (long wavelengths) are interpolated by ``factor``, high-frequency pairs
    are kept, with a linear ramp between the correction dims of beta_fast and beta_slow.
    """
    dim = preset.rope_head_dim
    base = preset.compress_rope_theta
    scaling = preset.rope_scaling
    inv = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    original = scaling.original_max_position_embeddings
    low = max(math.floor(_correction_dim(scaling.beta_fast, dim, base, original)), 0)
    high = min(math.ceil(_correction_dim(scaling.beta_slow, dim, base, original)), dim - 1)
    if low == high:
        high += 0.001  # avoid a zero-width ramp
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    keep = 1.0 - ramp  # 1 for high-frequency pairs, 0 for interpolated ones
    return inv / scaling.factor * (1.0 - keep) + inv * keep


def rope_cos_sin(positions: np.ndarray, preset: Preset) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin [len(positions), rd/2] (float32) of each pair's angle at each position."""
    pos = np.asarray(positions, dtype=np.float64).reshape(-1)
    angles = np.outer(pos, yarn_inverse_frequencies(preset))
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def apply_rope_interleaved(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate interleaved pairs (x[..., 2i], x[..., 2i+1]) by angle i; float32 math.

    ``x`` [..., rd]; ``cos``/``sin`` broadcast against [..., rd/2].
    """
    x = np.asarray(x, dtype=np.float32)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = odd * cos + even * sin
    return out


def hadamard(n: int) -> np.ndarray:
    """The normalized n x n Sylvester Hadamard matrix (float64, orthogonal); n a power of two."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"n: expected a power of two, got {n}")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / math.sqrt(n)
