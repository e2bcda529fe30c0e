"""Parameter shapes of the DeepSeek-V4 cases, computed from the configuration alone.

The harness sizes a run's memory from these before any input is generated (golden/memory.py),
so a configuration that cannot fit is refused instead of allocated. tests/models/
test_footprint.py checks them against the cases' own make_specs. The pools follow
cases/decode_inputs.py (decode) and prefill_inputs.py (prefill): a block pool that
holds every request at full context plus spare blocks, and one state slot per request plus
spare slots.
"""

from __future__ import annotations

from golden.case import CaseConfig
from models.deepseek_v4.cases import prefill_inputs
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

Shapes = dict[str, tuple[tuple[int, ...], str]]


def max_blocks(config: CaseConfig) -> int:
    """Block-table width: blocks of one request at full context."""
    rows = int(config.max_seq_len) // COMPRESS_RATIO
    return -(-rows // int(config.block_size))


def _compressor_shapes(config: CaseConfig) -> Shapes:
    preset = get_preset(config.preset)
    batch, seq, max_seq_len = config.batch, config.seq, int(config.max_seq_len)
    num_blocks = batch * max_blocks(config) + SPARE_BLOCKS
    state = ((batch + SPARE_STATE_SLOTS, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH), "float32")
    c8 = config.cache_format == "c8"
    shapes: Shapes = {
        "wkv": ((preset.hidden_size, COMPRESS_STATE_WIDTH), "bfloat16"),
        "wgate": ((preset.hidden_size, COMPRESS_STATE_WIDTH), "bfloat16"),
        "ape": ((COMPRESS_RATIO, COMPRESS_STATE_WIDTH), "float32"),
        "norm_weight": ((INDEX_HEAD_DIM,), "bfloat16"),
        "rope_cos": ((max_seq_len, ROPE_DIM // 2), "float32"),
        "rope_sin": ((max_seq_len, ROPE_DIM // 2), "float32"),
        "hadamard": ((INDEX_HEAD_DIM, INDEX_HEAD_DIM), "bfloat16"),
        "position_ids": ((batch, seq), "int32"),
        "state_slots": ((batch,), "int32"),
        "slot_mapping": ((batch, seq), "int32"),
        "kv_state": state,
        "score_state": state,
        "index_cache": (
            (num_blocks, int(config.block_size), INDEX_HEAD_DIM),
            "int8" if c8 else "bfloat16",
        ),
    }
    if c8:
        shapes["index_cache_scale"] = ((num_blocks, int(config.block_size)), "float32")
    return shapes


def compressor_shapes(config: CaseConfig) -> Shapes:
    """Tensor parameters of deepseek_v4.indexer_compressor for a resolved ``config``."""
    preset = get_preset(config.preset)
    shapes = {"x": ((config.batch, config.seq, preset.hidden_size), "bfloat16")}
    shapes.update(_compressor_shapes(config))
    return shapes


def indexer_shapes(config: CaseConfig) -> Shapes:
    """Tensor parameters of deepseek_v4.indexer for a resolved ``config``."""
    preset = get_preset(config.preset)
    batch, seq = config.batch, config.seq
    width = score_width_for_rows(max_blocks(config) * int(config.block_size))
    shapes = {
        "x": ((batch, seq, preset.hidden_size), "bfloat16"),
        "qr": ((batch, seq, preset.q_lora_rank), "bfloat16"),
        "wq_b": ((preset.q_lora_rank, preset.q_proj_width), "int8"),
        "wq_b_scale": ((preset.q_proj_width,), "float32"),
        "weights_proj": ((preset.hidden_size, INDEX_N_HEADS), "bfloat16"),
    }
    shapes.update(_compressor_shapes(config))
    shapes["kv_seq_lens"] = ((batch,), "int32")
    shapes["block_table"] = ((batch, max_blocks(config)), "int32")
    if not config.topk_only:  # the top-k-only entry point has no score output
        shapes["score"] = ((batch, seq, width), "float32")
    shapes["topk_idxs"] = ((batch, seq, preset.index_topk), "int32")
    return shapes


def _prefill_pool_shapes(config: CaseConfig) -> Shapes:
    """The compressor-side parameters of a prefill chunk (both prefill kernels take them)."""
    preset = get_preset(config.preset)
    prompts, _ = prefill_inputs.requests_of(config)
    tokens, requests = prefill_inputs.token_bucket(prompts), len(prompts)
    block_size, max_seq_len = int(config.block_size), int(config.max_seq_len)
    num_blocks = prefill_inputs.pool_blocks(requests, max_seq_len, block_size)
    state = ((requests + SPARE_STATE_SLOTS, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH), "float32")
    c8 = config.cache_format == "c8"
    shapes: Shapes = {
        "x": ((tokens, preset.hidden_size), "bfloat16"),
        "wkv": ((preset.hidden_size, COMPRESS_STATE_WIDTH), "bfloat16"),
        "wgate": ((preset.hidden_size, COMPRESS_STATE_WIDTH), "bfloat16"),
        "ape": ((COMPRESS_RATIO, COMPRESS_STATE_WIDTH), "float32"),
        "norm_weight": ((INDEX_HEAD_DIM,), "bfloat16"),
        "rope_cos": ((max_seq_len, ROPE_DIM // 2), "float32"),
        "rope_sin": ((max_seq_len, ROPE_DIM // 2), "float32"),
        "hadamard": ((INDEX_HEAD_DIM, INDEX_HEAD_DIM), "bfloat16"),
        "position_ids": ((tokens,), "int32"),
        "cu_seqlens": ((requests + 1,), "int32"),
        "state_slots": ((requests,), "int32"),
        "slot_mapping": ((tokens,), "int32"),
        "kv_state": state,
        "score_state": state,
        "index_cache": ((num_blocks, block_size, INDEX_HEAD_DIM), "int8" if c8 else "bfloat16"),
    }
    if c8:
        shapes["index_cache_scale"] = ((num_blocks, block_size), "float32")
    return shapes


def compressor_prefill_shapes(config: CaseConfig) -> Shapes:
    """Tensor parameters of deepseek_v4.indexer_compressor_prefill for a resolved ``config``."""
    return _prefill_pool_shapes(config)


def indexer_prefill_shapes(config: CaseConfig) -> Shapes:
    """Tensor parameters of deepseek_v4.indexer_prefill for a resolved ``config``."""
    preset = get_preset(config.preset)
    shapes = _prefill_pool_shapes(config)
    tokens = shapes["x"][0][0]
    requests = shapes["state_slots"][0][0]
    width = prefill_inputs.max_blocks(config.max_seq_len, config.block_size)
    shapes.update({
        "qr": ((tokens, preset.q_lora_rank), "bfloat16"),
        "wq_b": ((preset.q_lora_rank, preset.q_proj_width), "int8"),
        "wq_b_scale": ((preset.q_proj_width,), "float32"),
        "weights_proj": ((preset.hidden_size, INDEX_N_HEADS), "bfloat16"),
        "block_table": ((requests, width), "int32"),
        "score": ((tokens, score_width_for_rows(width * int(config.block_size))), "float32"),
        "topk_idxs": ((tokens, preset.index_topk), "int32"),
    })  # fmt: skip
    return shapes
