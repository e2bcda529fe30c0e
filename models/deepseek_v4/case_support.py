"""What the DeepSeek-V4 decode-step cases share: integer checks and compressor weights.

The serving-step configuration both cases validate lives in models/deepseek_v4/serving_inputs.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from golden.case import ConfigError, option_name
from golden.quant import to_bf16
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
)

# Compressor parameters of trained-layer scale (both cases draw them the same way).
APE_STD = 0.1
NORM_WEIGHT_STD = 0.25


def check_int(name: str, value: Any) -> int:
    """``value`` as an int; ConfigError naming the option of field ``name`` for a bool or a
    non-integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{option_name(name)}: expected an integer, got {value!r}")
    return int(value)


def compressor_weights(rng: np.random.Generator, dim: int, weight_std: float) -> dict[str, Any]:
    """The compressor's ``wkv``, ``wgate`` [dim, 256] BF16 (std ``weight_std``), ``ape``
    [4, 256] FP32 and ``norm_weight`` [128] BF16, drawn from ``rng`` in that order."""
    wkv = to_bf16(rng.standard_normal((dim, COMPRESS_STATE_WIDTH)) * weight_std)
    wgate = to_bf16(rng.standard_normal((dim, COMPRESS_STATE_WIDTH)) * weight_std)
    ape = (rng.standard_normal((COMPRESS_RATIO, COMPRESS_STATE_WIDTH)) * APE_STD).astype(np.float32)
    norm_weight = to_bf16(1.0 + rng.standard_normal(INDEX_HEAD_DIM) * NORM_WEIGHT_STD)
    return {"wkv": wkv, "wgate": wgate, "ape": ape, "norm_weight": norm_weight}
