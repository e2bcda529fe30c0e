"""The decode kernels' parameter tables, declared once: name, shape, dtype and role of every
parameter, in kernel order, computed from the resolved configuration without any data.

The harness sizes a run's memory from them, ``--compile-only`` compiles from them and a replay
checks a save against them (golden/signature.py); the cases' inputs are bound to them by name.
tests/models/test_signatures.py checks every table against its ``@pl.jit`` function (names,
order, pl.Out / pl.InOut). The pools follow cases/decode_inputs.py: a block pool that
holds every request at full context plus spare blocks, one state slot per request plus spares.
"""

from __future__ import annotations

from golden.case import CaseConfig
from golden.signature import Param, Signature
from models.deepseek_v4.cases.decode_inputs import SPARE_BLOCKS, SPARE_STATE_SLOTS
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    ROPE_DIM,
    get_preset,
)
from models.deepseek_v4.contract.decode import score_width_for_rows


def max_blocks(config: CaseConfig) -> int:
    """Block-table width: blocks of one request at full context."""
    rows = int(config.max_seq_len) // COMPRESS_RATIO
    return -(-rows // int(config.block_size))


def compressor_weights(config: CaseConfig) -> list[Param]:
    """wkv, wgate, ape, norm_weight: the compressor's weights (every kernel takes them)."""
    dim = get_preset(config.preset).hidden_size
    return [
        Param("wkv", (dim, COMPRESS_STATE_WIDTH), "bfloat16"),
        Param("wgate", (dim, COMPRESS_STATE_WIDTH), "bfloat16"),
        Param("ape", (COMPRESS_RATIO, COMPRESS_STATE_WIDTH), "float32"),
        Param("norm_weight", (INDEX_HEAD_DIM,), "bfloat16"),
    ]


def tables(max_seq_len: int) -> list[Param]:
    """rope_cos, rope_sin at every position, and the BF16 Hadamard."""
    return [
        Param("rope_cos", (max_seq_len, ROPE_DIM // 2), "float32"),
        Param("rope_sin", (max_seq_len, ROPE_DIM // 2), "float32"),
        Param("hadamard", (INDEX_HEAD_DIM, INDEX_HEAD_DIM), "bfloat16"),
    ]


def pools(config: CaseConfig, num_blocks: int, state_slots: int) -> list[Param]:
    """kv_state, score_state (InOut state pools), index_cache and, c8, index_cache_scale."""
    state = (state_slots, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH)
    block_size = int(config.block_size)
    c8 = config.cache_format == "c8"
    params = [
        Param("kv_state", state, "float32", "inout"),
        Param("score_state", state, "float32", "inout"),
        Param("index_cache", (num_blocks, block_size, INDEX_HEAD_DIM),
              "int8" if c8 else "bfloat16", "inout"),
    ]  # fmt: skip
    if c8:
        params.append(Param("index_cache_scale", (num_blocks, block_size), "float32", "inout"))
    return params


def query_weights(config: CaseConfig, leading: tuple[int, ...]) -> list[Param]:
    """qr (rows ``leading``), wq_b, wq_b_scale, weights_proj: the indexer's query side."""
    preset = get_preset(config.preset)
    return [
        Param("qr", (*leading, preset.q_lora_rank), "bfloat16"),
        Param("wq_b", (preset.q_lora_rank, preset.q_proj_width), "int8"),
        Param("wq_b_scale", (preset.q_proj_width,), "float32"),
        Param("weights_proj", (preset.hidden_size, INDEX_N_HEADS), "bfloat16"),
    ]


def compressor_signature(config: CaseConfig) -> Signature:
    """``indexer_compressor_c16`` / ``_c8`` (kernels/decode_compressor.py)."""
    batch, seq = config.batch, config.seq
    num_blocks = batch * max_blocks(config) + SPARE_BLOCKS
    return [
        Param("x", (batch, seq, get_preset(config.preset).hidden_size), "bfloat16"),
        *compressor_weights(config),
        *tables(int(config.max_seq_len)),
        Param("position_ids", (batch, seq), "int32"),
        Param("state_slots", (batch,), "int32"),
        Param("slot_mapping", (batch, seq), "int32"),
        *pools(config, num_blocks, batch + SPARE_STATE_SLOTS),
    ]


def indexer_signature(config: CaseConfig) -> Signature:
    """``indexer_c16`` / ``_c8`` and, with topk_only, ``indexer_topk_c16`` / ``_c8`` (no score
    output) (kernels/decode_indexer.py)."""
    preset = get_preset(config.preset)
    batch, seq = config.batch, config.seq
    width = max_blocks(config)
    num_blocks = batch * width + SPARE_BLOCKS
    score = [] if config.topk_only else [
        Param("score", (batch, seq, score_width_for_rows(width * int(config.block_size))),
              "float32", "out"),
    ]  # fmt: skip
    return [
        Param("x", (batch, seq, preset.hidden_size), "bfloat16"),
        *query_weights(config, (batch, seq)),
        *tables(int(config.max_seq_len)),
        *compressor_weights(config),
        Param("position_ids", (batch, seq), "int32"),
        Param("kv_seq_lens", (batch,), "int32"),
        Param("block_table", (batch, width), "int32"),
        Param("slot_mapping", (batch, seq), "int32"),
        Param("state_slots", (batch,), "int32"),
        *pools(config, num_blocks, batch + SPARE_STATE_SLOTS),
        *score,
        Param("topk_idxs", (batch, seq, preset.index_topk), "int32", "out"),
        Param("topk_offset", (batch, seq), "int32"),
    ]
