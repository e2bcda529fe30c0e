"""What the DeepSeek-V4 cases share: integer checks, contexts, input statistics and draws.

Every case module imports what it shares with another case from here (or from tolerances.py),
never from another case module. The decode step's configuration lives in decode_inputs.py,
the prefill chunk's in prefill_inputs.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from golden.case import ConfigError, option_name
from models.deepseek_v4.cases import pool_draws
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
)
from models.deepseek_v4.contract.decode import score_width_for_rows
from models.deepseek_v4.reference.quant import to_bf16

# --- Contexts ------------------------------------------------------------------------------------
#: Indexer cases: max_seq_len must be a multiple of this: cache rows (max_seq_len / 4) come in
#: whole 512-value top-k chunks (kernels/score.py TOPK_CHUNK), which also makes them whole
#: 64-row score tiles.
SEQ_LEN_MULTIPLE = 2048
#: Indexer cases: FLASH / PRO default context (their 1M-position maximum is opt-in: huge caches
#: and tables).
LARGE_PRESET_DEFAULT_SEQ_LEN = 16384
#: Compressor cases: DEMO's whole context; FLASH/PRO contexts are opt-in (huge caches).
COMPRESSOR_DEFAULT_MAX_SEQ_LEN = 4096
#: Prefill cases: what shrinks a chunk's run: fewer requests or tokens, a shorter context.
PREFILL_SIZE_OPTIONS = ("--prompt-lens", "--max-seq-len")

# --- Input statistics (trained-layer scales) ----------------------------------------------------
OUTLIER_CHANNELS = 8  # activation channels with a larger scale, as in real hidden states
OUTLIER_SCALE = 6.0
WQ_CHANNEL_GAIN_STD = 0.3  # log-normal spread of wq_b's output-channel norms
WEIGHTS_PROJ_STD = 0.02  # head weights of O(0.1..1) after the Dh^-0.5 * H^-0.5 scale
COMPRESSOR_WEIGHT_STD = 0.02  # the indexer cases' compressor projections

# Compressor parameters of trained-layer scale (both cases draw them the same way).
APE_STD = 0.1
NORM_WEIGHT_STD = 0.25


def check_int(name: str, value: Any) -> int:
    """``value`` as an int; ConfigError naming the option of field ``name`` for a bool or a
    non-integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{option_name(name)}: expected an integer, got {value!r}")
    return int(value)


def activations(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Signed unit-scale BF16 activations with a few outlier channels."""
    values = rng.standard_normal(shape)
    outliers = rng.choice(shape[-1], size=OUTLIER_CHANNELS, replace=False)
    values[..., outliers] *= OUTLIER_SCALE
    return to_bf16(values)


def unit_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """BF16 rows of unit RMS (as rows after RMSNorm and the rotation), drawn a block of rows at
    a time (a pool can be gigabytes)."""
    return pool_draws.unit_rms_bf16(rng, shape)


def score_width(max_seq_len: int, block_size: int) -> int:
    """Score row length: the table's addressable rows, rounded up to whole top-k chunks."""
    rows = -(-(max_seq_len // COMPRESS_RATIO) // block_size) * block_size
    return score_width_for_rows(rows)


def compressor_weights(rng: np.random.Generator, dim: int, weight_std: float) -> dict[str, Any]:
    """The compressor's ``wkv``, ``wgate`` [dim, 256] BF16 (std ``weight_std``), ``ape``
    [4, 256] FP32 and ``norm_weight`` [128] BF16, drawn from ``rng`` in that order."""
    wkv = to_bf16(rng.standard_normal((dim, COMPRESS_STATE_WIDTH)) * weight_std)
    wgate = to_bf16(rng.standard_normal((dim, COMPRESS_STATE_WIDTH)) * weight_std)
    ape = (rng.standard_normal((COMPRESS_RATIO, COMPRESS_STATE_WIDTH)) * APE_STD).astype(np.float32)
    norm_weight = to_bf16(1.0 + rng.standard_normal(INDEX_HEAD_DIM) * NORM_WEIGHT_STD)
    return {"wkv": wkv, "wgate": wgate, "ape": ape, "norm_weight": norm_weight}



# --- Saves of earlier versions ----------------------------------------------------------------
def offset_scalar_to_rows(inputs: dict[str, Any], config: Any) -> dict[str, Any]:
    """The inputs of an indexer save made while the top-k offset was one compile-time scalar
    (``offset``): that value for every top-k row as ``topk_offset`` (position_ids' shape), the
    kernel's parameter since the offset became data. Today's saves pass through unchanged."""
    if "offset" in inputs and "topk_offset" not in inputs and "position_ids" in inputs:
        shape = np.asarray(inputs["position_ids"]).shape
        inputs["topk_offset"] = np.full(shape, int(inputs.pop("offset")), np.int32)
    return inputs
