"""What the DeepSeek-V4 decode-step cases share: config validation and compressor inputs.

Both registered cases (``deepseek_v4.indexer`` and ``deepseek_v4.indexer_compressor``) run one
decode step of S tokens and validate the same arguments the same way; they differ only in the
allowed ``max_seq_len`` and in the default step, which each case passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from golden.case import CaseConfig, ConfigError
from golden.quant import to_bf16
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    MAX_TOKENS_PER_STEP,
    Preset,
    get_preset,
)

MAX_BATCH = 64
# Compressor parameters of trained-layer scale (both cases draw them the same way).
APE_STD = 0.1
NORM_WEIGHT_STD = 0.25


def check_int(name: str, value: Any) -> int:
    """``value`` as an int; ConfigError naming ``name`` for a bool or a non-integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name}: expected an integer, got {value!r}")
    return int(value)


def resolve_step_config(
    config: CaseConfig,
    *,
    seq_len_multiple: int,
    seq_len_reason: str,
    default_max_seq_len: int,
    default_start_pos: Callable[[Preset, int, int], int],
) -> CaseConfig:
    """Fill defaults and validate a decode-step config (ConfigError names argument and value).

    batch 1..MAX_BATCH; seq 1..MAX_TOKENS_PER_STEP; max_seq_len a multiple of
    ``seq_len_multiple`` in [seq_len_multiple, preset max] (``seq_len_reason`` says why, in the
    error; default ``default_max_seq_len`` capped at the preset's maximum); start_pos >= 0 with
    start_pos + seq <= max_seq_len (default ``default_start_pos(preset, seq, max_seq_len)``).
    """
    try:
        preset = get_preset(config.preset)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    batch = check_int("batch", config.batch)
    if not 1 <= batch <= MAX_BATCH:
        raise ConfigError(f"batch: got {batch}; allowed 1..{MAX_BATCH}")
    seq = check_int("seq", config.seq)
    if not 1 <= seq <= MAX_TOKENS_PER_STEP:
        raise ConfigError(f"seq: got {seq}; allowed 1..{MAX_TOKENS_PER_STEP} tokens per step")
    limit = preset.max_position_embeddings
    if config.max_seq_len is None:
        max_seq_len = min(default_max_seq_len, limit)
    else:
        max_seq_len = check_int("max_seq_len", config.max_seq_len)
        if max_seq_len % seq_len_multiple or not seq_len_multiple <= max_seq_len <= limit:
            raise ConfigError(
                f"max_seq_len: got {max_seq_len}; allowed a multiple of {seq_len_multiple}"
                f"{seq_len_reason} in [{seq_len_multiple}, {limit}] for preset {preset.name}"
            )
    if config.start_pos is None:
        start_pos = default_start_pos(preset, seq, max_seq_len)
    else:
        start_pos = check_int("start_pos", config.start_pos)
        if not 0 <= start_pos <= max_seq_len - seq:
            raise ConfigError(
                f"start_pos: got {start_pos}; allowed 0..{max_seq_len - seq} "
                f"(start_pos + seq <= max_seq_len = {max_seq_len})"
            )
    return replace(
        config,
        preset=preset.name,
        batch=batch,
        seq=seq,
        max_seq_len=max_seq_len,
        start_pos=start_pos,
        seed=check_int("seed", config.seed),
    )


def compressor_weights(rng: np.random.Generator, dim: int, weight_std: float) -> dict[str, Any]:
    """The compressor's ``wkv``, ``wgate`` [dim, 256] BF16 (std ``weight_std``), ``ape``
    [4, 256] FP32 and ``norm_weight`` [128] BF16, drawn from ``rng`` in that order."""
    wkv = to_bf16(rng.standard_normal((dim, COMPRESS_STATE_WIDTH)) * weight_std)
    wgate = to_bf16(rng.standard_normal((dim, COMPRESS_STATE_WIDTH)) * weight_std)
    ape = (rng.standard_normal((COMPRESS_RATIO, COMPRESS_STATE_WIDTH)) * APE_STD).astype(np.float32)
    norm_weight = to_bf16(1.0 + rng.standard_normal(INDEX_HEAD_DIM) * NORM_WEIGHT_STD)
    return {"wkv": wkv, "wgate": wgate, "ape": ape, "norm_weight": norm_weight}
