"""The torch API's functions computed in plain PyTorch: same arguments, same checks, same
in-place writes and results as :mod:`deepseek_v4_pypto_ops.ops`, on the tensors' own device."""

from __future__ import annotations

import torch

from deepseek_v4_pypto_ops.ops import _serving_args, lightning
from deepseek_v4_pypto_ops.ops.decode import check_compressor_step_args, check_indexer_step
from deepseek_v4_pypto_ops.ops.prefill import check_compressor_chunk, check_indexer_chunk
from deepseek_v4_pypto_ops.ops.reference import scoring
from deepseek_v4_pypto_ops.ops.reference.compressor import Tokens, compress
from deepseek_v4_pypto_ops.ops.reference.quant import quantize_rows
from deepseek_v4_pypto_ops.ops.reference.query import quantized_query
from deepseek_v4_pypto_ops.ops.weights import IndexerWeights
from models.deepseek_v4.config import COMPRESS_RATIO, INDEX_N_HEADS


def visible_rows(positions: torch.Tensor) -> torch.Tensor:
    """Cache rows each token sees: (p + 1) // 4, 0 for a padded token (position -1)."""
    pos = positions.to(torch.int64)
    return torch.where(pos < 0, 0, (pos + 1) // COMPRESS_RATIO)


def _step_tokens(x, position_ids, slot_mapping, state_slots) -> Tokens:
    """The live requests of a decode step as compressor Tokens (S tokens each)."""
    live = torch.nonzero(state_slots >= 0).flatten()
    seq = x.shape[1]
    return Tokens(
        x=x[live].reshape(-1, x.shape[2]),
        positions=position_ids[live].reshape(-1).to(torch.int64),
        request=torch.arange(live.numel()).repeat_interleave(seq),
        slots=slot_mapping[live].reshape(-1).to(torch.int64),
        state_slots=state_slots[live].to(torch.int64),
        first=position_ids[live, 0].to(torch.int64),
    )


def _chunk_tokens(x, position_ids, cu_seqlens, slot_mapping, state_slots) -> Tokens:
    """The requests with tokens of a prefill chunk as compressor Tokens."""
    cu = cu_seqlens.to(torch.int64)
    counts = cu[1:] - cu[:-1]
    live = torch.nonzero(counts > 0).flatten()
    end = int(cu[-1])
    return Tokens(
        x=x[:end],
        positions=position_ids[:end].to(torch.int64),
        request=torch.arange(live.numel()).repeat_interleave(counts[live]),
        slots=slot_mapping[:end].to(torch.int64),
        state_slots=state_slots[live].to(torch.int64),
        first=position_ids[cu[live]].to(torch.int64),
    )


def indexer_decode(
    x: torch.Tensor,
    qr: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    kv_seq_lens: torch.Tensor,
    block_table: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    index_topk: int = 512,
    offset: int | torch.Tensor = _serving_args.DEFAULT_OFFSET,
    return_scores: bool = False,
    score_width: int | None = None,
    check: bool = True,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """:func:`deepseek_v4_pypto_ops.ops.indexer_decode` in PyTorch."""
    batch, seq, pools, topk, shift, width = check_indexer_step(
        x, qr, weights, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache, index_cache_scale, index_topk, offset,
        return_scores, score_width, check, x.device,
    )  # fmt: skip
    tokens = batch * seq
    q_codes, q_scale, head_weights = quantized_query(
        x.reshape(tokens, -1), qr.reshape(tokens, -1), position_ids.reshape(-1), weights
    )
    compress(_step_tokens(x, position_ids, slot_mapping, state_slots), weights, kv_state,
             score_state, index_cache, index_cache_scale)  # fmt: skip
    visible = visible_rows(position_ids)
    score = torch.full((batch, seq, width), scoring.SENTINEL, dtype=torch.float32)
    for b in range(batch):
        rows = slice(b * seq, (b + 1) * seq)
        score[b] = scoring.paged_scores(
            q_codes[rows], q_scale[rows], head_weights[rows], visible[b], block_table[b],
            pools.index_cache, pools.index_cache_scale, width,
        )  # fmt: skip
    idx = scoring.topk(score.reshape(tokens, width), visible.reshape(-1), topk, shift)
    idx = idx.reshape(batch, seq, topk)
    return (idx, score) if return_scores else idx


def compressor_decode(
    x: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    check: bool = True,
) -> None:
    """:func:`deepseek_v4_pypto_ops.ops.compressor_decode` in PyTorch."""
    check_compressor_step_args(
        x, weights, position_ids, slot_mapping, state_slots, kv_state, score_state,
        index_cache, index_cache_scale, check, x.device,
    )  # fmt: skip
    compress(_step_tokens(x, position_ids, slot_mapping, state_slots), weights, kv_state,
             score_state, index_cache, index_cache_scale)  # fmt: skip


def indexer_prefill(
    x: torch.Tensor,
    qr: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    cu_seqlens: torch.Tensor,
    block_table: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    index_topk: int = 512,
    offset: int | torch.Tensor = _serving_args.DEFAULT_OFFSET,
    return_scores: bool = False,
    score_width: int | None = None,
    check: bool = True,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """:func:`deepseek_v4_pypto_ops.ops.indexer_prefill` in PyTorch."""
    tokens, pools, topk, shift, width = check_indexer_chunk(
        x, qr, weights, position_ids, cu_seqlens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache, index_cache_scale, index_topk, offset, score_width,
        check, x.device,
    )  # fmt: skip
    q_codes, q_scale, head_weights = quantized_query(x, qr, position_ids, weights)
    compress(_chunk_tokens(x, position_ids, cu_seqlens, slot_mapping, state_slots), weights,
             kv_state, score_state, index_cache, index_cache_scale)  # fmt: skip
    visible = visible_rows(position_ids)
    score = torch.full((tokens, width), scoring.SENTINEL, dtype=torch.float32)
    cu = cu_seqlens.tolist()
    for r in range(len(cu) - 1):
        if cu[r + 1] > cu[r]:
            rows = slice(cu[r], cu[r + 1])
            score[rows] = scoring.paged_scores(
                q_codes[rows], q_scale[rows], head_weights[rows], visible[rows], block_table[r],
                pools.index_cache, pools.index_cache_scale, width,
            )  # fmt: skip
    idx = scoring.topk(score, visible, topk, shift)
    return (idx, score) if return_scores else idx


def compressor_prefill(
    x: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    cu_seqlens: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    check: bool = True,
) -> None:
    """:func:`deepseek_v4_pypto_ops.ops.compressor_prefill` in PyTorch."""
    check_compressor_chunk(
        x, weights, position_ids, cu_seqlens, slot_mapping, state_slots, kv_state,
        score_state, index_cache, index_cache_scale, check, x.device,
    )  # fmt: skip
    compress(_chunk_tokens(x, position_ids, cu_seqlens, slot_mapping, state_slots), weights,
             kv_state, score_state, index_cache, index_cache_scale)  # fmt: skip


def lightning_indexer(
    query: torch.Tensor,
    key: torch.Tensor,
    weights: torch.Tensor,
    actual_seq_lengths_query: torch.Tensor | None = None,
    actual_seq_lengths_key: torch.Tensor | None = None,
    block_table: torch.Tensor | None = None,
    layout_query: str = "BSND",
    layout_key: str = "PA_BSND",
    sparse_count: int = 2048,
    sparse_mode: int = 3,
    *,
    key_dequant_scale: torch.Tensor | None = None,
    return_value: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`deepseek_v4_pypto_ops.ops.lightning_indexer` in PyTorch."""
    call = lightning.check(
        query, key, weights, actual_seq_lengths_query, actual_seq_lengths_key, block_table,
        layout_query, layout_key, sparse_count, sparse_mode, key_dequant_scale, return_value,
        query.device,
    )  # fmt: skip
    batch, seq = call.position_ids.shape
    q_codes, q_scale = quantize_rows(call.query)
    q_codes = q_codes.reshape(batch * seq, INDEX_N_HEADS, -1)
    q_scale = q_scale.reshape(batch * seq, INDEX_N_HEADS)
    visible = visible_rows(call.position_ids)
    width = call.block_table.shape[1] * call.cache.shape[1]
    score = torch.full((batch * seq, width), scoring.SENTINEL, dtype=torch.float32)
    for b in range(batch):
        rows = slice(b * seq, (b + 1) * seq)
        score[rows] = scoring.paged_scores(
            q_codes[rows], q_scale[rows], call.weights[rows], visible[b], call.block_table[b],
            call.cache, call.scale, width,
        )  # fmt: skip
    idx = scoring.topk(score, visible.reshape(-1), call.width, 0)[:, : call.out_shape[-1]]
    return idx.reshape(call.out_shape), torch.empty(0, dtype=query.dtype)
