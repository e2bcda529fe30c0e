"""The prefill kernels' parameter tables, declared once (as decode_signatures.py for decode).

The pools follow cases/prefill_inputs.py: sized once from max_seq_len and the request count,
as a serving engine sizes them, so a chunk's prefixes never change a shape.
"""

from __future__ import annotations

from golden.case import CaseConfig
from golden.signature import Param, Signature
from models.deepseek_v4.cases import prefill_inputs
from models.deepseek_v4.cases.decode_inputs import SPARE_STATE_SLOTS
from models.deepseek_v4.cases.decode_signatures import (
    compressor_weights,
    pools,
    query_weights,
    tables,
)
from models.deepseek_v4.config import get_preset
from models.deepseek_v4.contract.decode import score_width_for_rows


def _chunk(config: CaseConfig) -> tuple[int, int, int]:
    """(token rows T of the bucket, requests R, pool blocks) of a resolved chunk config."""
    prompts, _ = prefill_inputs.requests_of(config)
    requests = len(prompts)
    blocks = prefill_inputs.pool_blocks(requests, int(config.max_seq_len), int(config.block_size))
    return prefill_inputs.token_bucket(prompts), requests, blocks


def compressor_signature(config: CaseConfig) -> Signature:
    """``indexer_compressor_prefill_c16`` / ``_c8`` (kernels/prefill_compressor.py)."""
    tokens, requests, num_blocks = _chunk(config)
    return [
        Param("x", (tokens, get_preset(config.preset).hidden_size), "bfloat16"),
        *compressor_weights(config),
        *tables(int(config.max_seq_len)),
        Param("position_ids", (tokens,), "int32"),
        Param("cu_seqlens", (requests + 1,), "int32"),
        Param("state_slots", (requests,), "int32"),
        Param("slot_mapping", (tokens,), "int32"),
        *pools(config, num_blocks, requests + SPARE_STATE_SLOTS),
    ]


def indexer_signature(config: CaseConfig) -> Signature:
    """``indexer_prefill_c16`` / ``_c8`` (kernels/prefill_indexer.py)."""
    preset = get_preset(config.preset)
    tokens, requests, num_blocks = _chunk(config)
    width = prefill_inputs.max_blocks(config.max_seq_len, config.block_size)
    return [
        Param("x", (tokens, preset.hidden_size), "bfloat16"),
        *query_weights(config, (tokens,)),
        *tables(int(config.max_seq_len)),
        *compressor_weights(config),
        Param("position_ids", (tokens,), "int32"),
        Param("cu_seqlens", (requests + 1,), "int32"),
        Param("block_table", (requests, width), "int32"),
        Param("slot_mapping", (tokens,), "int32"),
        Param("state_slots", (requests,), "int32"),
        *pools(config, num_blocks, requests + SPARE_STATE_SLOTS),
        Param("score", (tokens, score_width_for_rows(width * int(config.block_size))),
              "float32", "out"),
        Param("topk_idxs", (tokens, preset.index_topk), "int32", "out"),
        Param("topk_offset", (tokens,), "int32"),
    ]
