"""Parameter shapes of the two DeepSeek-V4 cases, computed from the configuration alone.

The harness sizes a run's memory from these before any input is generated (golden/memory.py),
so a configuration that cannot fit is refused instead of allocated. tests/models/
test_footprint.py checks them against the cases' own make_specs.
"""

from __future__ import annotations

from golden.case import CaseConfig
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    ROPE_DIM,
    get_preset,
)

Shapes = dict[str, tuple[tuple[int, ...], str]]


def _compressor_shapes(config: CaseConfig) -> Shapes:
    preset = get_preset(config.preset)
    batch, max_seq_len = config.batch, int(config.max_seq_len)
    state = ((batch, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH), "float32")
    return {
        "wkv": ((preset.hidden_size, COMPRESS_STATE_WIDTH), "bfloat16"),
        "wgate": ((preset.hidden_size, COMPRESS_STATE_WIDTH), "bfloat16"),
        "ape": ((COMPRESS_RATIO, COMPRESS_STATE_WIDTH), "float32"),
        "norm_weight": ((INDEX_HEAD_DIM,), "bfloat16"),
        "rope_cos": ((max_seq_len, ROPE_DIM // 2), "float32"),
        "rope_sin": ((max_seq_len, ROPE_DIM // 2), "float32"),
        "hadamard": ((INDEX_HEAD_DIM, INDEX_HEAD_DIM), "bfloat16"),
        "kv_state": state,
        "score_state": state,
        "kv_cache": ((batch, preset.cache_rows(max_seq_len), INDEX_HEAD_DIM), "bfloat16"),
    }


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
    cache_rows = preset.cache_rows(int(config.max_seq_len))
    shapes = {
        "x": ((batch, seq, preset.hidden_size), "bfloat16"),
        "qr": ((batch, seq, preset.q_lora_rank), "bfloat16"),
        "wq_b": ((preset.q_lora_rank, preset.q_proj_width), "int8"),
        "wq_b_scale": ((preset.q_proj_width,), "float32"),
        "weights_proj": ((preset.hidden_size, INDEX_N_HEADS), "bfloat16"),
    }
    shapes.update(_compressor_shapes(config))
    shapes["score"] = ((batch, seq, cache_rows), "float32")
    shapes["topk_idxs"] = ((batch, seq, preset.index_topk), "int32")
    return shapes
