"""The registered case ``deepseek_v4.indexer_prefill``: a packed prefill chunk of the indexer
(contract/prefill.py) against its golden (reference/prefill.py).

Inputs: signed BF16 hidden states and low-rank queries with a few outlier channels, wq_b
quantized per output channel from a BF16 weight, the real Hadamard and YaRN rope tables;
every pool row starts as a unit-RMS signed BF16 row (synthetic history for a prefix's older
rows, decoys elsewhere); a request continuing a prefix gets its state and latest rows from the
compressor golden (prefill_inputs.warm_prefixes). The c8 pool is the BF16 pool quantized per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from golden import compare
from golden.case import Case, CaseConfig, Comparison
from models.deepseek_v4.cases import prefill_inputs
from models.deepseek_v4.cases.decode_compare import pool_comparisons
from models.deepseek_v4.cases.decode_inputs import to_c8
from models.deepseek_v4.cases.prefill_compare import score_on_kernel_rows, topk_on_kernel_rows
from models.deepseek_v4.cases.prefill_signatures import indexer_signature
from models.deepseek_v4.cases.support import (
    COMPRESSOR_WEIGHT_STD,
    LARGE_PRESET_DEFAULT_SEQ_LEN,
    PREFILL_SIZE_OPTIONS,
    SEQ_LEN_MULTIPLE,
    WEIGHTS_PROJ_STD,
    WQ_CHANNEL_GAIN_STD,
    activations,
    compressor_weights,
    offset_scalar_to_rows,
    score_width,
    unit_rows,
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
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    get_preset,
)
from models.deepseek_v4.contract.decode import visible_rows
from models.deepseek_v4.contract.topk_offsets import prefill_topk_offsets
from models.deepseek_v4.reference.prefill import indexer_prefill_golden, indexer_prefill_quality
from models.deepseek_v4.reference.quant import quantize_columns_symmetric, to_bf16
from models.deepseek_v4.reference.tables import hadamard, rope_cos_sin

CASE_NAME = "deepseek_v4.indexer_prefill"
KERNEL_FILE = Path(__file__).parents[1] / "kernels" / "prefill_indexer.py"


def resolve_config(config: CaseConfig) -> CaseConfig:
    """prefill_inputs.resolve_prefill_config with max_seq_len in whole 2048-position multiples
    (whole 512-row top-k chunks of the compressed cache) and the decode indexer's default
    context: the pools a serving engine shares between prefill and decode."""
    return prefill_inputs.resolve_prefill_config(
        config,
        seq_len_multiple=SEQ_LEN_MULTIPLE,
        default_max_seq_len=LARGE_PRESET_DEFAULT_SEQ_LEN,
    )


def make_inputs(config: CaseConfig) -> dict[str, Any]:
    """Every prefill-kernel argument by name for a resolved ``config`` (deterministic in seed)."""
    preset = get_preset(config.preset)
    dim, q_lora, topk = preset.hidden_size, preset.q_lora_rank, preset.index_topk
    rng = np.random.default_rng(config.seed)
    chunk = prefill_inputs.chunk_tensors(config, rng)
    total = chunk.total_tokens
    x = activations(rng, (total, dim))
    qr = activations(rng, (total, q_lora))
    gain = np.exp(rng.normal(0.0, WQ_CHANNEL_GAIN_STD, (1, preset.q_proj_width)))
    wq_bf16 = to_bf16(rng.standard_normal((q_lora, preset.q_proj_width)) * q_lora**-0.5 * gain)
    wq_b, wq_b_scale = quantize_columns_symmetric(wq_bf16)
    weights_proj = to_bf16(rng.standard_normal((dim, INDEX_N_HEADS)) * WEIGHTS_PROJ_STD)
    rope_cos, rope_sin = rope_cos_sin(np.arange(config.max_seq_len), preset)
    tables = {"rope_cos": rope_cos, "rope_sin": rope_sin, "hadamard": to_bf16(hadamard(128))}
    compressor = compressor_weights(rng, dim, weight_std=COMPRESSOR_WEIGHT_STD)
    pool = unit_rows(rng, (chunk.num_blocks, chunk.block_size, INDEX_HEAD_DIM))
    kv_pool, score_pool = prefill_inputs.warm_prefixes(
        rng, chunk, compressor, tables, pool, activations
    )
    inputs: dict[str, Any] = {
        "x": x, "qr": qr, "wq_b": wq_b, "wq_b_scale": wq_b_scale,
        "weights_proj": weights_proj, **tables, **compressor,
        "position_ids": chunk.position_ids, "cu_seqlens": chunk.cu_seqlens,
        "block_table": chunk.block_table, "slot_mapping": chunk.slot_mapping,
        "state_slots": chunk.state_slots, "kv_state": kv_pool, "score_state": score_pool,
    }  # fmt: skip
    if config.cache_format == "c8":
        inputs["index_cache"], inputs["index_cache_scale"] = to_c8(pool)
    else:
        inputs["index_cache"] = pool
    inputs["score"] = np.zeros((total, score_width(config.max_seq_len, chunk.block_size)),
                               np.float32)  # fmt: skip
    inputs["topk_idxs"] = np.zeros((total, topk), np.int32)
    inputs["topk_offset"] = prefill_topk_offsets(chunk.position_ids, chunk.cu_seqlens)
    return inputs


def kernel_inputs(config: CaseConfig) -> dict[str, Any]:
    """:func:`make_inputs`, checked against the prefill contract (check_chunk_inputs)."""
    values = make_inputs(config)
    prefill_inputs.check_chunk_inputs(values, config.max_seq_len)
    return values


def score_visible(expected: np.ndarray, inputs: Mapping[str, Any]) -> np.ndarray:
    """[T, W] mask of the cells each token row may see, from position_ids (not the golden)."""
    visible = visible_rows(inputs["position_ids"])
    return np.arange(expected.shape[1])[None, :] < visible[:, None]


def comparisons(config: CaseConfig) -> dict[str, Comparison]:
    """The decode indexer's tolerances: scores on visible cells (sentinel elsewhere), tie-aware
    top-k, written pool rows within one BF16 ULP / one code and the rest bit-exact, states
    close. Score and top-k cells of a row the kernel wrote differently from the golden (within
    the cache tolerance) are checked against the golden's math on the kernel's row
    (prefill_compare.py says why)."""
    return {
        "score": score_on_kernel_rows(
            compare.allclose(
                SCORE_ATOL, SCORE_RTOL, valid=score_visible, sentinel=FP32_LOWEST, slack=SCORE_SLACK
            )
        ),
        "topk_idxs": topk_on_kernel_rows(
            compare.topk_tie_aware(
                "score", offset="topk_offset", atol=SCORE_ATOL, rtol=SCORE_RTOL, slack=SCORE_SLACK
            )
        ),
        **pool_comparisons(
            config.cache_format,
            state_atol=STATE_ATOL,
            state_rtol=STATE_RTOL,
            cache_max_ulp=CACHE_MAX_ULP,
        ),
    }


def golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """The prefill golden's outputs by name (inputs validated first)."""
    prefill_inputs.check_chunk_inputs(dict(inputs), config.max_seq_len)
    return indexer_prefill_golden(inputs)


def quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray], config: CaseConfig
) -> dict:
    """topk_recall_vs_float and score_rel_l2_vs_float of the chunk."""
    return indexer_prefill_quality(inputs, outputs)


def kernel_name(config: CaseConfig) -> str:
    """The kernel of the config's cache format."""
    return f"indexer_prefill_{config.cache_format}"


def reference_outputs(config: CaseConfig) -> tuple[str, ...]:
    """The score allowance (SCORE_SLACK), a golden-only output."""
    return (SCORE_SLACK,)


CASE = Case(
    name=CASE_NAME,
    description="DeepSeek-V4 lightning indexer, packed varlen prefill chunk (cu_seqlens, "
    "per-request prefixes) into the paged C16/C8 cache: compressor, W8A8 scores, top-k",
    kernel_file=KERNEL_FILE,
    kernel_name="indexer_prefill_c16",
    resolve_config=resolve_config,
    signature=indexer_signature,
    make_inputs=kernel_inputs,
    golden=golden,
    comparisons=comparisons,
    quality=quality,
    kernel_name_for=kernel_name,
    reference_outputs=reference_outputs,
    upgrade_saved=offset_scalar_to_rows,
    size_options=PREFILL_SIZE_OPTIONS,
    config_fields=prefill_inputs.CONFIG_FIELDS,
)

#: The kernel's parameters with their inputs (the signature bound to kernel_inputs).
make_specs = CASE.make_specs
