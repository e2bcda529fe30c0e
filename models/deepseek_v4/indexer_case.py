"""The registered case ``deepseek_v4.indexer``: configuration, structured inputs, comparisons.

Inputs have the structure of a running model: signed hidden states and low-rank queries with a
few outlier channels; wq_b quantized per output channel (golden.quant) from a BF16 weight of
trained-layer scale; the real normalized Sylvester Hadamard; the compressed layers' YaRN rope
tables at every position; a compressor state warmed up by running the compressor golden over the
previous positions of the current windows; and a synthetic cache history of signed, unit-RMS-like
rows (as rows that went through RMSNorm and the rotation) with a long tail of row norms, a weak
alignment with the step's queries and a few strongly matching rows. Rows beyond the step's
positions (and the rows this step's compressor overwrites) hold the same kind of plausible data,
including strong rows, so a token that sees too far picks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from golden import compare
from golden.case import Case, CaseConfig, Comparison
from golden.quant import quantize_columns_symmetric, to_bf16
from golden.spec import ScalarSpec, TensorSpec
from models.deepseek_v4.case_support import compressor_weights, resolve_step_config
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    SLIDING_WINDOW,
    Preset,
    get_preset,
)
from models.deepseek_v4.footprint import indexer_shapes
from models.deepseek_v4.indexer_compressor_golden import compressor_golden, empty_state
from models.deepseek_v4.indexer_golden import (
    float_query,
    indexer_golden,
    indexer_quality,
    visible_mask,
)
from models.deepseek_v4.tables import hadamard, rope_cos_sin

CASE_NAME = "deepseek_v4.indexer"
KERNEL_FILE = Path(__file__).with_name("indexer.py")
#: max_seq_len must be a multiple of this: cache rows (max_seq_len / 4) come in whole 512-value
#: top-k chunks (indexer.py TOPK_CHUNK), which also makes them whole 64-row score tiles.
SEQ_LEN_MULTIPLE = 2048
#: FLASH / PRO default context (their 1M-position maximum is opt-in: huge caches and tables).
LARGE_PRESET_DEFAULT_SEQ_LEN = 16384
#: Default step: its first token sees index_topk + DEFAULT_EXTRA_ROWS rows (about twice top-k,
#: so the selection is a real choice; not a multiple of the 64-row cache tile) and a window
#: closes inside the step. DEMO: 1005 visible rows at start_pos 4023 (S = 1).
DEFAULT_EXTRA_ROWS = 493

# --- Input statistics (trained-layer scales) ----------------------------------------------------
OUTLIER_CHANNELS = 8  # activation channels with a larger scale, as in real hidden states
OUTLIER_SCALE = 6.0
WQ_CHANNEL_GAIN_STD = 0.3  # log-normal spread of wq_b's output-channel norms
WEIGHTS_PROJ_STD = 0.02  # head weights of O(0.1..1) after the Dh^-0.5 * H^-0.5 scale
COMPRESSOR_WEIGHT_STD = 0.02
CACHE_ROW_GAIN_STD = 0.35  # log-normal row-norm spread: the long tail of the cache
CACHE_ALIGNMENT_STD = 0.3  # weak alignment of every cache row with the step's query direction
STRONG_ROWS_VISIBLE = 6  # strongly matching rows among the rows every token sees
STRONG_ROWS_HIDDEN = 4  # ... and among rows no token of the step may see
STRONG_ALIGNMENT = 2.5

# --- Tolerances (docs/indexer.md) ---------------------------------------------------------------
SCORE_ATOL = 1e-4
SCORE_RTOL = 1.0 / 128
# The compressor state is FP32 projections accumulated over D in the kernel's chunk order, the
# golden rounds the exact sum once: a few FP32 ulps of O(1) values; 1e-5 is ~10x that.
STATE_ATOL = 1e-5
STATE_RTOL = 1e-5
CACHE_MAX_ULP = 1


def default_start_pos(index_topk: int, seq: int, max_seq_len: int) -> int:
    """First position of the default step: a window closes in it and visibility > index_topk.

    With one token the step closes a window (pos % 4 == 3); with more, token 1 closes it so
    token 0 sees one row fewer than the others. Falls back to the last such step that fits.
    """
    residue = 3 if seq == 1 else 2
    start = COMPRESS_RATIO * (index_topk + DEFAULT_EXTRA_ROWS) + residue
    last = max_seq_len - seq
    if start > last:
        start = last - ((last - residue) % COMPRESS_RATIO)
    return start


def resolve_config(config: CaseConfig) -> CaseConfig:
    """Fill defaults and validate; ConfigError names the argument, the value and what is allowed.

    batch 1..64; seq 1..4; max_seq_len a multiple of 2048 up to the preset's maximum (default
    4096 for DEMO, 16384 for FLASH/PRO); start_pos >= 0 with start_pos + seq <= max_seq_len
    (default: see :func:`default_start_pos`).
    """
    return resolve_step_config(
        config,
        seq_len_multiple=SEQ_LEN_MULTIPLE,
        seq_len_reason=f" (whole 512-row top-k chunks of the {COMPRESS_RATIO}x compressed cache)",
        default_max_seq_len=LARGE_PRESET_DEFAULT_SEQ_LEN,
        default_start_pos=_preset_default_start_pos,
    )


def _preset_default_start_pos(preset: Preset, seq: int, max_seq_len: int) -> int:
    return default_start_pos(preset.index_topk, seq, max_seq_len)


def _activations(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Signed unit-scale BF16 activations with a few outlier channels."""
    values = rng.standard_normal(shape)
    outliers = rng.choice(shape[-1], size=OUTLIER_CHANNELS, replace=False)
    values[..., outliers] *= OUTLIER_SCALE
    return to_bf16(values)


def _synthetic_cache(
    rng: np.random.Generator,
    query: np.ndarray,
    weights: np.ndarray,
    cache_rows: int,
    visible_first: int,
    seen: int,
) -> np.ndarray:
    """Cache history [B, rows, 128] BF16: unit-RMS-like signed rows with a long tail of norms.

    Every row carries a weak random-signed component along the request's query direction (the
    head-weighted sum of token 0's rotated q), so scores are spread out; a few rows align
    strongly (STRONG_ROWS_VISIBLE among rows every token sees, STRONG_ROWS_HIDDEN among rows
    no token of the step may see).
    """
    batch = query.shape[0]
    rows = rng.standard_normal((batch, cache_rows, INDEX_HEAD_DIM))
    for b in range(batch):
        direction = (np.maximum(weights[b, 0], 0.0)[:, None] * query[b, 0]).sum(axis=0)
        direction = direction / max(float(np.sqrt(np.mean(direction**2))), 1e-12)
        rows[b] += rng.normal(0.0, CACHE_ALIGNMENT_STD, (cache_rows, 1)) * direction
        strong = []
        if visible_first > 0:
            strong += list(
                rng.choice(visible_first, min(STRONG_ROWS_VISIBLE, visible_first), False)
            )
        if cache_rows > seen:
            hidden = rng.choice(
                cache_rows - seen, min(STRONG_ROWS_HIDDEN, cache_rows - seen), False
            )
            strong += list(seen + hidden)
        for j in strong:
            rows[b, j] = STRONG_ALIGNMENT * direction + 0.5 * rows[b, j]
    rows /= np.sqrt(np.mean(rows**2, axis=-1, keepdims=True))
    rows *= np.exp(rng.normal(0.0, CACHE_ROW_GAIN_STD, (batch, cache_rows, 1)))
    return to_bf16(rows)


def make_inputs(config: CaseConfig) -> dict[str, Any]:
    """Every kernel argument by parameter name for a resolved ``config`` (deterministic in seed)."""
    preset = get_preset(config.preset)
    batch, seq = config.batch, config.seq
    start_pos, max_seq_len = config.start_pos, config.max_seq_len
    dim, q_lora, topk = preset.hidden_size, preset.q_lora_rank, preset.index_topk
    cache_rows = preset.cache_rows(max_seq_len)
    rng = np.random.default_rng(config.seed)

    x = _activations(rng, (batch, seq, dim))
    qr = _activations(rng, (batch, seq, q_lora))
    gain = np.exp(rng.normal(0.0, WQ_CHANNEL_GAIN_STD, (1, preset.q_proj_width)))
    wq_bf16 = to_bf16(rng.standard_normal((q_lora, preset.q_proj_width)) * q_lora**-0.5 * gain)
    wq_b, wq_b_scale = quantize_columns_symmetric(wq_bf16)
    weights_proj = to_bf16(rng.standard_normal((dim, INDEX_N_HEADS)) * WEIGHTS_PROJ_STD)
    rope_cos, rope_sin = rope_cos_sin(np.arange(max_seq_len), preset)
    hadamard_bf16 = to_bf16(hadamard(INDEX_HEAD_DIM))
    compressor = compressor_weights(rng, dim, weight_std=COMPRESSOR_WEIGHT_STD)

    inputs: dict[str, Any] = {
        "x": x,
        "qr": qr,
        "wq_b": wq_b,
        "wq_b_scale": wq_b_scale,
        "weights_proj": weights_proj,
        "rope_cos": rope_cos,
        "rope_sin": rope_sin,
        "hadamard": hadamard_bf16,
        **compressor,
        "start_pos": start_pos,
        "offset": SLIDING_WINDOW,
    }
    query, weights = float_query(inputs)
    visible_first = (start_pos + 1) // COMPRESS_RATIO
    seen = (start_pos + seq) // COMPRESS_RATIO
    cache = _synthetic_cache(rng, query, weights, cache_rows, visible_first, seen)

    # Warm the compressor state up: replay the previous window and the current window's earlier
    # tokens from an empty state (their closing rows overwrite the synthetic history).
    history_start = max(0, (start_pos // COMPRESS_RATIO - 1) * COMPRESS_RATIO)
    kv_state, score_state = empty_state(batch)
    if start_pos > history_start:
        history = _activations(rng, (batch, start_pos - history_start, dim))
        kv_state, score_state, cache = compressor_golden(
            history, compressor["wkv"], compressor["wgate"], compressor["ape"],
            compressor["norm_weight"], rope_cos, rope_sin, hadamard_bf16,
            kv_state, score_state, cache, history_start, True,
        )  # fmt: skip
    inputs.update(kv_state=kv_state, score_state=score_state, kv_cache=cache)
    inputs["score"] = np.zeros((batch, seq, cache_rows), np.float32)
    inputs["topk_idxs"] = np.zeros((batch, seq, topk), np.int32)
    return inputs


def make_specs(config: CaseConfig) -> list[TensorSpec | ScalarSpec]:
    """The kernel's parameters in order (indexer.py), inputs built from ``config.seed``."""
    values = make_inputs(config)

    def tensor(name: str, dtype: str, output: bool = False, state: bool = False) -> TensorSpec:
        array = values[name]
        init = array if (state or not output) else None
        return TensorSpec(name, tuple(array.shape), dtype, init=init, is_output=output)

    return [
        tensor("x", "bfloat16"),
        tensor("qr", "bfloat16"),
        tensor("wq_b", "int8"),
        tensor("wq_b_scale", "float32"),
        tensor("weights_proj", "bfloat16"),
        tensor("rope_cos", "float32"),
        tensor("rope_sin", "float32"),
        tensor("hadamard", "bfloat16"),
        tensor("wkv", "bfloat16"),
        tensor("wgate", "bfloat16"),
        tensor("ape", "float32"),
        tensor("norm_weight", "bfloat16"),
        tensor("kv_state", "float32", output=True, state=True),
        tensor("score_state", "float32", output=True, state=True),
        tensor("kv_cache", "bfloat16", output=True, state=True),
        tensor("score", "float32", output=True),
        tensor("topk_idxs", "int32", output=True),
        ScalarSpec("start_pos", "int32", values["start_pos"]),
        ScalarSpec("offset", "int32", values["offset"]),
    ]


def _score_visible(expected: np.ndarray, inputs: Mapping[str, Any]) -> np.ndarray:
    """Cells a token may see (its own visible prefix), from the positions, not the golden."""
    batch, seq, cache_rows = expected.shape
    return visible_mask(int(inputs["start_pos"]), batch, seq, cache_rows)


def comparisons(config: CaseConfig) -> dict[str, Comparison]:
    """Score allclose (+ exact sentinel), tie-aware top-k, cache within 1 BF16 ULP, state close."""
    return {
        "score": compare.allclose(
            SCORE_ATOL, SCORE_RTOL, valid=_score_visible, sentinel=FP32_LOWEST
        ),
        "topk_idxs": compare.topk_tie_aware(
            "score", offset=SLIDING_WINDOW, atol=SCORE_ATOL, rtol=SCORE_RTOL
        ),
        "kv_cache": compare.bf16_ulp(CACHE_MAX_ULP),
        "kv_state": compare.allclose(STATE_ATOL, STATE_RTOL),
        "score_state": compare.allclose(STATE_ATOL, STATE_RTOL),
    }


def golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """The W8A8C16 golden outputs by name."""
    return indexer_golden(inputs)


def quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray], config: CaseConfig
) -> dict:
    """topk_recall_vs_float and score_rel_l2_vs_float of the kernel's outputs."""
    return indexer_quality(inputs, outputs)


CASE = Case(
    name=CASE_NAME,
    description="DeepSeek-V4 decode lightning indexer, W8A8C16 (INT8 q and weights, BF16 cache "
    "quantized per row at run time, INT32 scores, FP32 dequant), with its inner compressor",
    kernel_file=KERNEL_FILE,
    kernel_name="indexer",
    resolve_config=resolve_config,
    make_specs=make_specs,
    golden=golden,
    comparisons=comparisons,
    quality=quality,
    param_shapes=indexer_shapes,
)
