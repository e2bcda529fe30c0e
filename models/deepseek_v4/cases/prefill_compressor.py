"""The registered case ``deepseek_v4.indexer_compressor_prefill``: the ratio-4 compressor over a
packed prefill chunk (contract/prefill.py) against compressor_prefill_golden.

Inputs as the indexer prefill case (cases/prefill_indexer.py): the same chunk tensors, pools and
prefix warm-up; the comparisons are the decode compressor case's (cases/decode_compressor.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from golden.case import Case, CaseConfig, Comparison
from models.deepseek_v4.cases import prefill_inputs
from models.deepseek_v4.cases.decode_compare import pool_comparisons
from models.deepseek_v4.cases.decode_inputs import to_c8
from models.deepseek_v4.cases.prefill_signatures import compressor_signature
from models.deepseek_v4.cases.support import (
    COMPRESSOR_DEFAULT_MAX_SEQ_LEN,
    PREFILL_SIZE_OPTIONS,
    activations,
    compressor_weights,
    unit_rows,
)
from models.deepseek_v4.cases.tolerances import CACHE_MAX_ULP, STATE_ATOL, STATE_RTOL
from models.deepseek_v4.config import COMPRESS_RATIO, INDEX_HEAD_DIM, get_preset
from models.deepseek_v4.reference.prefill import compressor_prefill_golden
from models.deepseek_v4.reference.quant import to_bf16
from models.deepseek_v4.reference.tables import hadamard, rope_cos_sin

CASE_NAME = "deepseek_v4.indexer_compressor_prefill"
KERNEL_FILE = Path(__file__).parents[1] / "kernels" / "prefill_compressor.py"
def resolve_config(config: CaseConfig) -> CaseConfig:
    """prefill_inputs.resolve_prefill_config; max_seq_len in whole windows (a multiple of 4),
    by default the decode compressor's context."""
    return prefill_inputs.resolve_prefill_config(
        config, seq_len_multiple=COMPRESS_RATIO, default_max_seq_len=COMPRESSOR_DEFAULT_MAX_SEQ_LEN
    )


def make_inputs(config: CaseConfig) -> dict[str, Any]:
    """Every compressor-prefill argument by name (deterministic in seed)."""
    preset = get_preset(config.preset)
    dim = preset.hidden_size
    rng = np.random.default_rng(config.seed)
    chunk = prefill_inputs.chunk_tensors(config, rng)
    x = activations(rng, (chunk.total_tokens, dim))
    compressor = compressor_weights(rng, dim, weight_std=dim**-0.5)
    rope_cos, rope_sin = rope_cos_sin(np.arange(config.max_seq_len), preset)
    tables = {
        "rope_cos": rope_cos,
        "rope_sin": rope_sin,
        "hadamard": to_bf16(hadamard(INDEX_HEAD_DIM)),
    }
    pool = unit_rows(rng, (chunk.num_blocks, chunk.block_size, INDEX_HEAD_DIM))
    kv_pool, score_pool = prefill_inputs.warm_prefixes(
        rng, chunk, compressor, tables, pool, activations
    )
    inputs: dict[str, Any] = {
        "x": x,
        **compressor,
        **tables,
        "position_ids": chunk.position_ids,
        "cu_seqlens": chunk.cu_seqlens,
        "state_slots": chunk.state_slots,
        "slot_mapping": chunk.slot_mapping,
        "kv_state": kv_pool,
        "score_state": score_pool,
        "block_table": chunk.block_table,  # validation only; not a kernel parameter
    }
    if config.cache_format == "c8":
        inputs["index_cache"], inputs["index_cache_scale"] = to_c8(pool)
    else:
        inputs["index_cache"] = pool
    return inputs


def kernel_inputs(config: CaseConfig) -> dict[str, Any]:
    """:func:`make_inputs` checked against the prefill contract, without ``block_table`` (which
    only that check reads: the compressor kernel takes none)."""
    values = make_inputs(config)
    prefill_inputs.check_chunk_inputs(values, config.max_seq_len)
    return {k: v for k, v in values.items() if k != "block_table"}


def golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """Expected state pools and cache pool(s) (compressor_prefill_golden)."""
    return compressor_prefill_golden(inputs)


def comparisons(config: CaseConfig) -> dict[str, Comparison]:
    """The decode compressor case's: states close (-inf cells exact), written cache rows within
    one BF16 ULP (c16) or one code / one scale ULP (c8), every other row bit-exact."""
    return pool_comparisons(
        config.cache_format,
        state_atol=STATE_ATOL,
        state_rtol=STATE_RTOL,
        cache_max_ulp=CACHE_MAX_ULP,
    )


def kernel_name(config: CaseConfig) -> str:
    """The kernel of the config's cache format."""
    return f"indexer_compressor_prefill_{config.cache_format}"


CASE = Case(
    name=CASE_NAME,
    description="DeepSeek-V4 ratio-4 indexer compressor over a packed varlen prefill chunk "
    "(cu_seqlens, per-request saved state) into the paged C16/C8 cache",
    kernel_file=KERNEL_FILE,
    kernel_name="indexer_compressor_prefill_c16",
    resolve_config=resolve_config,
    signature=compressor_signature,
    make_inputs=kernel_inputs,
    golden=golden,
    comparisons=comparisons,
    kernel_name_for=kernel_name,
    size_options=PREFILL_SIZE_OPTIONS,
    config_fields=prefill_inputs.CONFIG_FIELDS,
)

#: The kernel's parameters with their inputs (the signature bound to kernel_inputs).
make_specs = CASE.make_specs
