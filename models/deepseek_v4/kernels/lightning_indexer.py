"""The lightning indexer's scoring and top-k alone, from a query already projected, rotated and
Hadamard-transformed (what ``torch_npu.npu_lightning_indexer`` takes), W8A8 on a paged C16 or
C8 cache: the decode indexer's stages 5 and 8-11 (decode_indexer.py, score.py) without the
query projection and the compressor. The torch call is ``ops.lightning_indexer``
(docs/torch_ops.md); its golden is reference/decode_indexer's ``paged_scores`` and
``topk_rows`` on the query's per-row INT8 codes (reference/quant.py).

Entry points ``lightning_indexer_c16`` / ``lightning_indexer_c8``; parameters in this order:

    query         [B * S * 64, 128]   BF16   row (b * S + s) * 64 + h: head h of token (b, s)
    weights       [B * S, 64]         FP32   head weights
    index_cache   [NB, BS, 128]       BF16 (c16) / INT8 (c8)  block pool (read only)
    index_cache_scale [NB, BS]        FP32   c8 only
    block_table   [B, MAX_BLOCKS]     INT32
    position_ids  [B, S]              INT32  token (b, s) sees rows j < (p + 1) // 4; -1 none
    kv_seq_lens   [B]                 INT32  request b's cache holds kv_seq_lens // 4 rows
    topk_idxs     [B, S, K]           INT32  Out: row index + offset, -1 unused (K % 8 == 0)
    topk_offset   [B, S]              INT32  added to token (b, s)'s indices (data, not compiled in)

Stages: ``query_quant`` (one task per token: its 64 head rows quantized per row, the chain of
reference/quant.py), c16 ``kv_cache_quant`` (the rows scored, quantized per row into a c8-shaped
scratch pool: kernels/cache_quant.py), then the decode indexer's c8 score stage
(``kv_score_topk_lanes`` / ``kv_score_topk_pairs`` / ``kv_score_topk``, kernels/score_lanes.py)
and ``topk_merge``. Scores stay on chip (no score row is written).
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    AMAX_FLOOR,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    INT8_MAX,
    MAX_TOKENS_PER_STEP,
)
from models.deepseek_v4.kernels.cache_quant import quantize_cache_rows
from models.deepseek_v4.kernels.score import (
    NO_SCORE_COLS,
)
from models.deepseek_v4.kernels.score_lanes import score_topk_c8


@pl.jit.inline
def quantize_query(
    query: pl.Tensor,
    position_ids: pl.Tensor,
    q_codes: pl.Tensor,
    q_dequant: pl.Tensor,
):
    """Per (token, head) row INT8 codes of the BF16 query and their FP32 dequant scales."""
    T = position_ids.shape[0] * position_ids.shape[1]
    with pl.spmd(T, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="query_quant"):
            h0 = pl.tile.get_block_idx() * INDEX_N_HEADS
            q_f32 = pl.cast(query[h0 : h0 + INDEX_N_HEADS, :], target_type=pl.FP32)
            amax = pl.maximum(pl.row_max(pl.abs(q_f32)), AMAX_FLOOR)
            # 127 / amax as one FP32 division (indexer.py says why the numerator is amax * 0 + 127)
            scaled = pl.row_expand_mul(q_f32, pl.div(pl.add(pl.mul(amax, 0.0), INT8_MAX), amax))
            q_i32 = pl.cast(scaled, target_type=pl.INT32, mode="round")
            q_f16 = pl.cast(q_i32, target_type=pl.FP16, mode="round")
            q_codes[h0 : h0 + INDEX_N_HEADS, :] = pl.cast(q_f16, target_type=pl.INT8, mode="trunc")
            q_dequant[h0 : h0 + INDEX_N_HEADS, :] = pl.div(amax, INT8_MAX)


@pl.jit
def lightning_indexer_c16(
    query: pl.Tensor,
    weights: pl.Tensor,
    index_cache: pl.Tensor,
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    topk_idxs: pl.Out[pl.Tensor],
    topk_offset: pl.Tensor,
):
    """Scores and top-k of a given query, c16 cache; returns topk_idxs."""
    pl.static_assert(
        position_ids.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per request S (position_ids.shape[1]) must be 1..4",
    )
    # T = B * S as one scalar (a [T, 1] view's extent), as in indexer.py's entry points.
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    topk_dim = pl.tensor.dim(topk_idxs, 2)
    topk_tokens = pl.reshape(topk_idxs, [tokens_dim, topk_dim])
    q_codes = pl.create_tensor([tokens_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.INT8)
    q_dequant = pl.create_tensor([tokens_dim * INDEX_N_HEADS, 1], dtype=pl.FP32)
    q_dequant_by_token = pl.reshape(q_dequant, [tokens_dim, INDEX_N_HEADS])
    # Never written (keep_scores = 0): the score stage's store target when scores are kept;
    # NO_SCORE_COLS wide, which tells the score stages this is the top-k-only entry.
    no_scores = pl.create_tensor([1, NO_SCORE_COLS], dtype=pl.FP32)
    quantize_query(query, position_ids, q_codes, q_dequant)
    blocks_dim = pl.tensor.dim(index_cache, 0)  # format: c16 rows -> c8 scratch (cache_quant)
    block_dim = pl.tensor.dim(index_cache, 1)  # format
    kv_codes = pl.create_tensor([blocks_dim, block_dim, INDEX_HEAD_DIM], dtype=pl.INT8)  # format
    kv_scales = pl.create_tensor([blocks_dim, block_dim], dtype=pl.FP32)  # format
    quantize_cache_rows(index_cache, block_table, kv_seq_lens, kv_codes, kv_scales)  # format
    score_topk_c8(  # format: the two-AIV or the one-AIV score stage (kernels/score_lanes.py)
        q_codes, q_dequant_by_token, weights, kv_codes,  # format
        kv_scales,  # format
        block_table, position_ids, kv_seq_lens, no_scores, 0, topk_tokens, topk_offset,
    )  # fmt: skip
    return topk_idxs


@pl.jit
def lightning_indexer_c8(
    query: pl.Tensor,
    weights: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,  # format
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    topk_idxs: pl.Out[pl.Tensor],
    topk_offset: pl.Tensor,
):
    """Scores and top-k of a given query, c8 cache; returns topk_idxs."""
    pl.static_assert(
        position_ids.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per request S (position_ids.shape[1]) must be 1..4",
    )
    # T = B * S as one scalar (a [T, 1] view's extent), as in indexer.py's entry points.
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    topk_dim = pl.tensor.dim(topk_idxs, 2)
    topk_tokens = pl.reshape(topk_idxs, [tokens_dim, topk_dim])
    q_codes = pl.create_tensor([tokens_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.INT8)
    q_dequant = pl.create_tensor([tokens_dim * INDEX_N_HEADS, 1], dtype=pl.FP32)
    q_dequant_by_token = pl.reshape(q_dequant, [tokens_dim, INDEX_N_HEADS])
    # Never written (keep_scores = 0): the score stage's store target when scores are kept;
    # NO_SCORE_COLS wide, which tells the score stages this is the top-k-only entry.
    no_scores = pl.create_tensor([1, NO_SCORE_COLS], dtype=pl.FP32)
    quantize_query(query, position_ids, q_codes, q_dequant)
    score_topk_c8(  # format: the two-AIV or the one-AIV score stage (kernels/score_lanes.py)
        q_codes, q_dequant_by_token, weights, index_cache,  # format
        index_cache_scale,  # format
        block_table, position_ids, kv_seq_lens, no_scores, 0, topk_tokens, topk_offset,
    )  # fmt: skip
    return topk_idxs
