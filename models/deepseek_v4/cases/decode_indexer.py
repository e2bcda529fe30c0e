"""The registered case ``deepseek_v4.indexer``: configuration, structured inputs, comparisons.

The step follows the serving contract (contract/decode.py): per-request positions,
a paged cache in the c16 or c8 format behind a shuffled block table, a compressor state pool.
Inputs have the structure of a running model: signed hidden states and low-rank queries with a
few outlier channels; wq_b quantized per output channel (reference.quant) from a BF16 weight of
trained-layer scale; the real normalized Sylvester Hadamard; the compressed layers' YaRN rope
tables at every position; per request, a compressor state warmed up by running the compressor
golden over the previous positions of its current windows, and a synthetic cache history of
signed, unit-RMS-like rows (as rows that went through RMSNorm and the rotation) with a long tail
of row norms, a weak alignment with the request's queries and a few strongly matching rows.
Rows beyond a request's positions, unused blocks and spare state slots hold the same kind of
plausible data, including strong rows, so a token that sees too far or reads a wrong block
picks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

from golden import compare
from golden.case import Case, CaseConfig, Comparison
from models.deepseek_v4.cases import decode_inputs
from models.deepseek_v4.cases.decode_compare import pool_comparisons, score_visible
from models.deepseek_v4.cases.decode_signatures import indexer_signature
from models.deepseek_v4.cases.support import (
    COMPRESSOR_WEIGHT_STD,
    LARGE_PRESET_DEFAULT_SEQ_LEN,
    SEQ_LEN_MULTIPLE,
    WEIGHTS_PROJ_STD,
    WQ_CHANNEL_GAIN_STD,
    activations,
    compressor_weights,
    offset_scalar_to_rows,
    score_width,
)
from models.deepseek_v4.cases.tolerances import (
    CACHE_MAX_ULP,
    SCORE_ATOL,
    SCORE_RTOL,
    SCORE_SLACK,
    STATE_ATOL,
    STATE_RTOL,
)
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    Preset,
    get_preset,
)
from models.deepseek_v4.contract.decode import rows_after_step, visible_rows
from models.deepseek_v4.contract.topk_offsets import decode_topk_offsets
from models.deepseek_v4.reference.decode_compressor import (
    compressor_rows,
    empty_state,
)
from models.deepseek_v4.reference.decode_indexer import (
    float_query,
    indexer_paged_golden,
    indexer_paged_quality,
)
from models.deepseek_v4.reference.quant import quantize_columns_symmetric, to_bf16
from models.deepseek_v4.reference.tables import hadamard, rope_cos_sin

CASE_NAME = "deepseek_v4.indexer"
KERNEL_FILE = Path(__file__).parents[1] / "kernels" / "decode_indexer.py"
#: Default step: its first token sees index_topk + DEFAULT_EXTRA_ROWS rows (about twice top-k,
#: so the selection is a real choice; not a multiple of the 64-row cache tile) and a window
#: closes inside the step. DEMO: 1005 visible rows at start_pos 4023 (S = 1).
DEFAULT_EXTRA_ROWS = 493

# --- Input statistics (trained-layer scales) ----------------------------------------------------
CACHE_ROW_GAIN_STD = 0.35  # log-normal row-norm spread: the long tail of the cache
CACHE_ALIGNMENT_STD = 0.3  # weak alignment of every cache row with the step's query direction
STRONG_ROWS_VISIBLE = 6  # strongly matching rows among the rows every token sees
STRONG_ROWS_HIDDEN = 4  # ... and among rows no token of the step may see
STRONG_ALIGNMENT = 2.5


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


def _preset_default_start_pos(preset: Preset, seq: int, max_seq_len: int) -> int:
    return default_start_pos(preset.index_topk, seq, max_seq_len)


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
    gain = np.exp(rng.normal(0.0, CACHE_ROW_GAIN_STD, (batch, cache_rows, 1)))
    # Per-row arithmetic, so it runs a block of rows at a time (the same values as whole-array
    # operations; a block stays in cache instead of several passes over a 100+ MiB array).
    out = np.empty(rows.shape, dtype=ml_dtypes.bfloat16)
    for r in range(0, cache_rows, _SYNTHETIC_BLOCK_ROWS):
        block = rows[:, r : r + _SYNTHETIC_BLOCK_ROWS]
        block /= np.sqrt(np.mean(block**2, axis=-1, keepdims=True))
        block *= gain[:, r : r + _SYNTHETIC_BLOCK_ROWS]
        out[:, r : r + _SYNTHETIC_BLOCK_ROWS] = to_bf16(block)
    return out


#: Rows per block of _synthetic_cache's normalisation (128 FP64 columns: 4 MiB a block).
_SYNTHETIC_BLOCK_ROWS = 4096


# --- The serving contract (contract/decode.py) ---------------------------------------


def resolve_config(config: CaseConfig) -> CaseConfig:
    """Fill defaults and validate a serving step (ConfigError names argument and value).

    batch 1..128; seq 1..4; max_seq_len a multiple of 2048 up to the preset's maximum;
    cache_format c16|c8; block_size a multiple of 16 in 16..1024 (default 32); start_pos an
    int, a comma list (one per request, -1 padded) or absent with mixed.
    """
    return decode_inputs.resolve_serving_config(
        config,
        seq_len_multiple=SEQ_LEN_MULTIPLE,
        seq_len_reason=f" (whole 512-row top-k chunks of the {COMPRESS_RATIO}x compressed cache)",
        default_max_seq_len=LARGE_PRESET_DEFAULT_SEQ_LEN,
        default_start_pos=_preset_default_start_pos,
    )


def make_inputs(config: CaseConfig) -> dict[str, Any]:
    """Every serving-kernel argument by name for a resolved ``config`` (deterministic in seed).

    Each live request's logical cache rows are synthetic history (as :func:`_synthetic_cache`,
    aligned with its own query) followed by the rows its compressor warm-up wrote; unused
    blocks and state slots hold decoys. The c8 pool is the c16 pool quantized per row.
    """
    preset = get_preset(config.preset)
    batch, seq, max_seq_len = config.batch, config.seq, config.max_seq_len
    dim, q_lora, topk = preset.hidden_size, preset.q_lora_rank, preset.index_topk
    rng = np.random.default_rng(config.seed)
    step = decode_inputs.step_tensors(config, rng)

    x = activations(rng, (batch, seq, dim))
    qr = activations(rng, (batch, seq, q_lora))
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
        "position_ids": step.position_ids,
        "kv_seq_lens": step.kv_seq_lens,
        "block_table": step.block_table,
        "slot_mapping": step.slot_mapping,
        "state_slots": step.state_slots,
    }
    query, weights = float_query(inputs)
    block_size = step.block_size
    decoys = _synthetic_cache(rng, query[:1], weights[:1], step.num_blocks * block_size, 0, 0)
    pool = decoys[0].reshape(step.num_blocks, block_size, INDEX_HEAD_DIM)
    kv_pool, score_pool = decode_inputs.state_pools(rng, step.num_state_slots)
    visible = visible_rows(step.position_ids)
    # The compressor weights in float64 once (fp32_matmul would convert them per request; the
    # values it multiplies are the same).
    wkv64, wgate64 = (np.asarray(compressor[k], np.float64) for k in ("wkv", "wgate"))
    for b in step.live:
        start = int(step.starts[b])
        rows = _synthetic_cache(
            rng, query[b : b + 1], weights[b : b + 1], step.blocks_used(b) * block_size,
            int(visible[b, 0]), int(rows_after_step(step.kv_seq_lens)[b]),
        )[0]  # fmt: skip
        decode_inputs.write_rows(pool, step.block_table[b], 0, rows)
        # Warm the state up: the previous window and the current window's earlier tokens.
        history_start = max(0, (start // COMPRESS_RATIO - 1) * COMPRESS_RATIO)
        kv_state, score_state = empty_state(1)
        if start > history_start:
            history = activations(rng, (1, start - history_start, dim))
            positions = np.arange(history_start, start)[None, :]
            kv_state, score_state, written = compressor_rows(
                history, wkv64, wgate64, compressor["ape"],
                compressor["norm_weight"], rope_cos, rope_sin, hadamard_bf16,
                kv_state, score_state, positions,
            )  # fmt: skip
            for (_, s), row in written.items():
                row_index = (history_start + s) // COMPRESS_RATIO
                decode_inputs.write_rows(pool, step.block_table[b], row_index, row[None])
        slot = int(step.state_slots[b])
        kv_pool[slot], score_pool[slot] = kv_state[0], score_state[0]
    inputs.update(kv_state=kv_pool, score_state=score_pool)
    if config.cache_format == "c8":
        inputs["index_cache"], inputs["index_cache_scale"] = decode_inputs.to_c8(pool)
    else:
        inputs["index_cache"] = pool
    if not config.topk_only:  # the top-k-only entry point has no score output
        width = score_width(max_seq_len, block_size)
        inputs["score"] = np.zeros((batch, seq, width), np.float32)
    inputs["topk_idxs"] = np.zeros((batch, seq, topk), np.int32)
    inputs["topk_offset"] = decode_topk_offsets(batch, seq)
    return inputs


def kernel_inputs(config: CaseConfig) -> dict[str, Any]:
    """:func:`make_inputs`, checked against the serving contract (decode_inputs.check_inputs)."""
    values = make_inputs(config)
    decode_inputs.check_inputs(values, config.max_seq_len)
    return values


def parameter_names(cache_format: str, topk_only: bool = False) -> list[str]:
    """The kernel's parameter names in order for a cache format (from its signature)."""
    config = resolve_config(CaseConfig(cache_format=cache_format, topk_only=topk_only))
    return [p.name for p in indexer_signature(config)]


def comparisons(config: CaseConfig) -> dict[str, Comparison]:
    """Score allclose on visible cells (sentinel elsewhere), tie-aware top-k, the pools'
    written rows within tolerance and every other row bit-exact, the state pools close."""
    scores = {} if config.topk_only else {
        "score": compare.allclose(
            SCORE_ATOL, SCORE_RTOL, valid=score_visible, sentinel=FP32_LOWEST, slack=SCORE_SLACK
        ),
    }  # fmt: skip
    return {
        **scores,
        "topk_idxs": compare.topk_tie_aware(
            "score", offset="topk_offset", atol=SCORE_ATOL, rtol=SCORE_RTOL, slack=SCORE_SLACK
        ),
        **pool_comparisons(
            config.cache_format,
            state_atol=STATE_ATOL,
            state_rtol=STATE_RTOL,
            cache_max_ulp=CACHE_MAX_ULP,
        ),
    }


def golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """The serving golden's outputs by name (inputs validated first)."""
    decode_inputs.check_inputs(dict(inputs), config.max_seq_len)
    return indexer_paged_golden(inputs)


def quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray], config: CaseConfig
) -> dict:
    """topk_recall_vs_float and score_rel_l2_vs_float of a serving step."""
    return indexer_paged_quality(inputs, outputs)


def kernel_name(config: CaseConfig) -> str:
    """The kernel of the config's cache format; the serving (top-k-only) one with topk_only."""
    return f"indexer_{'topk_' if config.topk_only else ''}{config.cache_format}"


def reference_outputs(config: CaseConfig) -> tuple[str, ...]:
    """The score allowance (SCORE_SLACK); a top-k-only run also has the golden's scores, for
    the tie-aware top-k check only."""
    return ("score", SCORE_SLACK) if config.topk_only else (SCORE_SLACK,)


CASE = Case(
    name=CASE_NAME,
    description="DeepSeek-V4 decode lightning indexer on the serving contract: per-request "
    "positions, paged C16 (BF16 rows quantized at score time) or C8 (INT8 rows + FP32 scale) "
    "cache, W8A8 INT32 scores with FP32 dequant, top-k, with its inner compressor",
    kernel_file=KERNEL_FILE,
    kernel_name="indexer_c16",
    resolve_config=resolve_config,
    signature=indexer_signature,
    make_inputs=kernel_inputs,
    golden=golden,
    comparisons=comparisons,
    quality=quality,
    kernel_name_for=kernel_name,
    reference_outputs=reference_outputs,
    upgrade_saved=offset_scalar_to_rows,
    size_options=decode_inputs.SIZE_OPTIONS,
)

#: The kernel's parameters with their inputs (the signature bound to kernel_inputs).
make_specs = CASE.make_specs
