"""DeepSeek-V4 lightning indexer over a packed varlen prefill chunk (contract/prefill.py),
W8A8 with a C16 or C8 paged cache, as pypto kernels. The golden is ``indexer_prefill_golden`` in
reference/prefill.py; the math is the decode indexer's (indexer.py), whose query
and top-k stages this file calls on the chunk's token rows.

Entry points ``indexer_prefill_c16`` and ``indexer_prefill_c8``; parameters in this order:

    x             [T, D]                     BF16   the chunk's hidden states (packed requests)
    qr            [T, Q_LORA]                BF16   low-rank query
    wq_b          [Q_LORA, H * Dh]           INT8   per-output-channel INT8 weight
    wq_b_scale    [H * Dh]                   FP32   its per-channel dequant scale
    weights_proj  [D, H]                     BF16   head-weights projection
    rope_cos      [P, 32]                    FP32   cos of every position (compressed-layer rope)
    rope_sin      [P, 32]                    FP32
    hadamard      [128, 128]                 BF16   BF16(normalized Sylvester Hadamard)
    wkv, wgate    [D, 256]                   BF16   compressor projections
    ape           [4, 256]                   FP32   compressor position bias
    norm_weight   [128]                      BF16   compressor RMSNorm weight
    position_ids  [T]                        INT32  token positions (-1: padding row)
    cu_seqlens    [R + 1]                    INT32  request r owns rows cu[r] .. cu[r+1]-1
    block_table   [R, MAX_BLOCKS]            INT32  physical block of each logical cache block
    slot_mapping  [T]                        INT32  cache slot the compressor writes, or -1
    state_slots   [R]                        INT32  compressor state pool slot (-1: empty)
    kv_state      [NS, 8, 256]               FP32   InOut compressor state pool
    score_state   [NS, 8, 256]               FP32   InOut
    index_cache   [NB, BS, 128]              BF16 (c16) / INT8 (c8)  InOut block pool
    index_cache_scale [NB, BS]               FP32   InOut, c8 only
    score         [T, W]                     FP32   Out, logical row order, W a multiple of 512
    topk_idxs     [T, index_topk]            INT32  Out (cache index + offset; -1 where unused)
    topk_offset   [T]                        INT32  added to token t's top-k indices (data: the
                                                    reference's per-call offset, docs/prefill.md)

Positions, lengths, tables and mappings are tensor data: one artifact per (T bucket, R, pool
shapes, format).

Stages: the decode indexer's query stages on the T token rows and the chunk compressor
(prefill_compressor.py: every window the chunk closes is in the cache before scoring),
submitted in the decode step's order (qr_quant, qr_proj, kv_gate_projection, weights_proj,
qr_rope, qr_hadamard_quant, then the compressor's other stages), ``prefill_kv_quant_score`` (c16) /
``prefill_kv_score`` (c8): one mixed task per group of TOKEN_GROUP consecutive tokens of one
request, scanning the rows its last token sees in CACHE_TILE-row tiles, each tile one INT8
matmul [CACHE_TILE, 128] x [128, TOKEN_GROUP * H = 256] on the cube; ``padding_sentinel`` for
the rows beyond cu_seqlens[R]; the decode indexer's top-k (topk_partial, topk_merge).

Visibility: token t at position p of request r sees rows j < (p + 1) // 4 of request r, rows
closed earlier in the same chunk included; every other score cell is the lowest FP32.
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    AMAX_FLOOR,
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    INT8_MAX,
)
from models.deepseek_v4.kernels.decode_compressor import (
    K_SPLIT,
    PROJ_WIDTH,
    SAVED_ROWS,
    compress_tokens_c8,
    compress_tokens_c16,
    write_back_state,
)
from models.deepseek_v4.kernels.decode_indexer import submit_projections, topk_stage
from models.deepseek_v4.kernels.score import (
    CACHE_TILE,
    SENTINEL_WIDTH,
    TOPK_CHUNK,
    head_column_index,
    tile_rows,
)

# Tokens per score task: their 4 * 64 = 256 head rows are the cube's N side, so each cache tile
# is read once for 4 tokens; the [32, 256] INT32 accumulator (32 KiB) and its 2 ring slots in UB
# are the decode indexer's S = 4 budget (kernels/decode_indexer.py, CACHE_TILE).
TOKEN_GROUP = 4
GROUP_HEADS = TOKEN_GROUP * INDEX_N_HEADS


@pl.jit.inline
def group_of(
    cu_seqlens: pl.Tensor,
    block: pl.Scalar[pl.INDEX],
):
    """(request r, group g, found) of score block ``block``: the blocks number each request's
    groups of TOKEN_GROUP tokens in request order; found is 0 past the last group."""
    R = cu_seqlens.shape[0] - 1
    r = 0
    g = 0
    found = 0
    groups_before = 0
    for k in pl.range(R):
        count = pl.read(cu_seqlens, [k + 1]) - pl.read(cu_seqlens, [k])
        groups = (count + TOKEN_GROUP - 1) // TOKEN_GROUP
        # 1 when groups_before <= block < groups_before + groups
        inside = pl.min(pl.max(block - groups_before + 1, 0), 1) * pl.min(
            pl.max(groups_before + groups - block, 0), 1
        )
        r = r + inside * k
        g = g + inside * (block - groups_before)
        found = found + inside
        groups_before = groups_before + groups
    return r, g, found


@pl.jit.inline
def padding_sentinel(
    score_tokens: pl.Tensor,
    cu_seqlens: pl.Tensor,
):
    """Lowest FP32 in every score cell of the padding rows cu_seqlens[R] .. T - 1."""
    T = score_tokens.shape[0]
    W = score_tokens.shape[1]
    R = cu_seqlens.shape[0] - 1
    with pl.spmd((T + TOKEN_GROUP - 1) // TOKEN_GROUP, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="padding_sentinel"):
            t0 = pl.read(cu_seqlens, [R]) + pl.tile.get_block_idx() * TOKEN_GROUP
            t_end = pl.min(T, t0 + TOKEN_GROUP)
            wide = pl.full([1, SENTINEL_WIDTH], dtype=pl.FP32, value=FP32_LOWEST)
            for t in pl.range(t0, t_end):
                for j1 in pl.range(0, W, SENTINEL_WIDTH):
                    score_tokens[t : t + 1, j1 : j1 + SENTINEL_WIDTH] = wide


@pl.jit.inline
def token_group(
    cu_seqlens: pl.Tensor,
    position_ids: pl.Tensor,
    r: pl.Scalar[pl.INT32],
    g: pl.Scalar[pl.INT32],
):
    """(first token row t0, token count n, first position, rows seen by the last token) of
    group g of request r: its tokens t0 .. t0 + n - 1 (at most TOKEN_GROUP)."""
    first = pl.read(cu_seqlens, [r])
    count = pl.read(cu_seqlens, [r + 1]) - first
    t0 = first + g * TOKEN_GROUP
    n = pl.min(TOKEN_GROUP, count - g * TOKEN_GROUP)
    # A request's positions are consecutive (prefill.check_chunk): token t0 + s is at
    # first_pos + s, so no position is read inside the tile loop.
    first_pos = pl.read(position_ids, [t0])
    seen = (first_pos + n) // COMPRESS_RATIO
    return t0, n, first_pos, seen


@pl.jit.inline
def sentinel_columns(
    score_tokens: pl.Tensor,
    index_cache: pl.Tensor,
    t0: pl.Scalar[pl.INT32],
    n: pl.Scalar[pl.INT32],
    seen: pl.Scalar[pl.INT32],
):
    """Lowest FP32 in score columns beyond the tiles that cover ``seen`` rows, for tokens t0 ..
    t0 + n - 1: tile-wide stores up to a 512 boundary, then 512-wide ones."""
    W = score_tokens.shape[1]
    BS = index_cache.shape[1]
    tile = CACHE_TILE - BS % CACHE_TILE
    tail_start = (seen + tile - 1) // tile * tile
    wide_start = (tail_start + SENTINEL_WIDTH - 1) // SENTINEL_WIDTH * SENTINEL_WIDTH
    # The width written into the shape list: in a helper a local holding it is a run-time
    # scalar, which tile shapes refuse (score.head_column_index).
    narrow = pl.full(
        [1, CACHE_TILE - index_cache.shape[1] % CACHE_TILE], dtype=pl.FP32, value=FP32_LOWEST
    )
    wide = pl.full([1, SENTINEL_WIDTH], dtype=pl.FP32, value=FP32_LOWEST)
    for s in pl.range(n):
        t = t0 + s
        for j1 in pl.range(tail_start, pl.min(wide_start, W), tile):
            score_tokens[t : t + 1, j1 : j1 + tile] = narrow
        for j1 in pl.range(wide_start, W, SENTINEL_WIDTH):
            score_tokens[t : t + 1, j1 : j1 + SENTINEL_WIDTH] = wide


@pl.jit.inline
def prefill_score_c16(
    q_codes: pl.Tensor,
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    index_cache: pl.Tensor,
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    score_tokens: pl.Tensor,
):
    """Scores, c16: each tile's BF16 rows quantized per row to INT8 on chip (+ their scales)."""
    R = block_table.shape[0]
    T = score_tokens.shape[0]
    BS = index_cache.shape[1]
    POOL_ROWS = index_cache.shape[0] * BS
    tile = CACHE_TILE - BS % CACHE_TILE  # 32, or 16 when BS is an odd multiple of 16
    cache_flat = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    # One SPMD dispatch: block i is the i-th (request, group of TOKEN_GROUP tokens) in request
    # order; blocks past the chunk's groups do nothing.
    with pl.spmd((T + TOKEN_GROUP - 1) // TOKEN_GROUP + R, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="prefill_kv_quant_score"):  # format
            r, g, found = group_of(cu_seqlens, pl.tile.get_block_idx())
            if found > 0:
                t0, n, first_pos, seen = token_group(cu_seqlens, position_ids, r, g)
                q_rows = pl.slice(
                    q_codes,
                    [GROUP_HEADS, INDEX_HEAD_DIM],
                    [t0 * INDEX_N_HEADS, 0],
                    valid_shape=[n * INDEX_N_HEADS, INDEX_HEAD_DIM],
                )
                head_columns = head_column_index(index_cache)
                for j0 in pl.range(0, seen, tile):
                    rows, physical = tile_rows(block_table, index_cache, r, j0, seen, tile)
                    kv_tile = pl.slice(  # format
                        cache_flat,
                        [tile, INDEX_HEAD_DIM],
                        [physical, 0],
                        valid_shape=[rows, INDEX_HEAD_DIM],
                    )
                    kv_f32 = pl.cast(kv_tile, target_type=pl.FP32)  # format
                    kv_amax = pl.maximum(pl.row_max(pl.abs(kv_f32)), AMAX_FLOOR)  # format
                    kv_scaled = pl.row_expand_mul(  # format
                        kv_f32, pl.div(pl.add(pl.mul(kv_amax, 0.0), INT8_MAX), kv_amax)  # format
                    )  # format
                    kv_i32 = pl.cast(kv_scaled, target_type=pl.INT32, mode="round")  # format
                    kv_f16 = pl.cast(kv_i32, target_type=pl.FP16, mode="round")  # format
                    kv_codes = pl.cast(kv_f16, target_type=pl.INT8, mode="trunc")  # format
                    kv_scale = pl.div(kv_amax, INT8_MAX)  # format
                    # The rows' scales as one row (rows past `rows` unused).  # format
                    kv_scale_row = pl.reshape(  # format
                        pl.set_validshape(kv_scale, tile, 1), [1, tile]  # format
                    )  # format
                    acc = pl.matmul(kv_codes, q_rows, out_dtype=pl.INT32, b_trans=True)
                    acc_all = pl.cast(acc, target_type=pl.FP32, mode="rint")
                    for s in pl.range(n):
                        t = t0 + s
                        visible = (first_pos + s + 1) // COMPRESS_RATIO
                        if j0 < visible:
                            # Token s's head columns, gathered (not a column slice of the
                            # accumulator, which ptoas refuses; decode does the same).
                            token_columns = pl.add(
                                head_columns, pl.cast(s * INDEX_N_HEADS, pl.INT32)
                            )
                            acc_f32 = pl.gather(acc_all, dim=-1, index=token_columns)
                            # kv_scale * sum_h relu(acc) * (q_scale * weight), the score
                            # policy of the decode stages (score.py).
                            head_factor = pl.mul(
                                q_dequant_by_token[t : t + 1, :], head_weights[t : t + 1, :]
                            )
                            weighted = pl.col_expand_mul(pl.maximum(acc_f32, 0.0), head_factor)
                            row_sums = pl.reshape(pl.row_sum(weighted), [1, tile])
                            row_scores = pl.mul(row_sums, kv_scale_row)
                            padded = pl.fillpad(
                                pl.set_validshape(row_scores, 1, pl.min(tile, visible - j0)),
                                pad_value=pl.PadValue.min,
                            )
                            score_tokens[t : t + 1, j0 : j0 + tile] = pl.maximum(
                                padded, FP32_LOWEST
                            )
                        else:
                            score_tokens[t : t + 1, j0 : j0 + tile] = pl.full(
                                [1, tile], dtype=pl.FP32, value=FP32_LOWEST
                            )
                sentinel_columns(score_tokens, index_cache, t0, n, seen)


@pl.jit.inline
def prefill_score_c8(
    q_codes: pl.Tensor,
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,  # format
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    score_tokens: pl.Tensor,
):
    """Scores, c8: each tile's stored INT8 codes and FP32 scales, read as they are."""
    R = block_table.shape[0]
    T = score_tokens.shape[0]
    BS = index_cache.shape[1]
    POOL_ROWS = index_cache.shape[0] * BS
    tile = CACHE_TILE - BS % CACHE_TILE  # 32, or 16 when BS is an odd multiple of 16
    cache_flat = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    scale_row = pl.reshape(index_cache_scale, [1, POOL_ROWS])  # format
    # One SPMD dispatch: block i is the i-th (request, group of TOKEN_GROUP tokens) in request
    # order; blocks past the chunk's groups do nothing.
    with pl.spmd((T + TOKEN_GROUP - 1) // TOKEN_GROUP + R, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="prefill_kv_score"):  # format
            r, g, found = group_of(cu_seqlens, pl.tile.get_block_idx())
            if found > 0:
                t0, n, first_pos, seen = token_group(cu_seqlens, position_ids, r, g)
                q_rows = pl.slice(
                    q_codes,
                    [GROUP_HEADS, INDEX_HEAD_DIM],
                    [t0 * INDEX_N_HEADS, 0],
                    valid_shape=[n * INDEX_N_HEADS, INDEX_HEAD_DIM],
                )
                head_columns = head_column_index(index_cache)
                for j0 in pl.range(0, seen, tile):
                    rows, physical = tile_rows(block_table, index_cache, r, j0, seen, tile)
                    kv_codes = pl.slice(  # format
                        cache_flat,
                        [tile, INDEX_HEAD_DIM],
                        [physical, 0],
                        valid_shape=[rows, INDEX_HEAD_DIM],
                    )
                    # The rows' scales as one row (4-byte values, contiguous).  # format
                    kv_scale_row = pl.slice(  # format
                        scale_row, [1, tile], [0, physical], valid_shape=[1, rows]  # format
                    )  # format
                    acc = pl.matmul(kv_codes, q_rows, out_dtype=pl.INT32, b_trans=True)
                    acc_all = pl.cast(acc, target_type=pl.FP32, mode="rint")
                    for s in pl.range(n):
                        t = t0 + s
                        visible = (first_pos + s + 1) // COMPRESS_RATIO
                        if j0 < visible:
                            # Token s's head columns, gathered (not a column slice of the
                            # accumulator, which ptoas refuses; decode does the same).
                            token_columns = pl.add(
                                head_columns, pl.cast(s * INDEX_N_HEADS, pl.INT32)
                            )
                            acc_f32 = pl.gather(acc_all, dim=-1, index=token_columns)
                            # kv_scale * sum_h relu(acc) * (q_scale * weight), the score
                            # policy of the decode stages (score.py).
                            head_factor = pl.mul(
                                q_dequant_by_token[t : t + 1, :], head_weights[t : t + 1, :]
                            )
                            weighted = pl.col_expand_mul(pl.maximum(acc_f32, 0.0), head_factor)
                            row_sums = pl.reshape(pl.row_sum(weighted), [1, tile])
                            row_scores = pl.mul(row_sums, kv_scale_row)
                            padded = pl.fillpad(
                                pl.set_validshape(row_scores, 1, pl.min(tile, visible - j0)),
                                pad_value=pl.PadValue.min,
                            )
                            score_tokens[t : t + 1, j0 : j0 + tile] = pl.maximum(
                                padded, FP32_LOWEST
                            )
                        else:
                            score_tokens[t : t + 1, j0 : j0 + tile] = pl.full(
                                [1, tile], dtype=pl.FP32, value=FP32_LOWEST
                            )
                sentinel_columns(score_tokens, index_cache, t0, n, seen)


@pl.jit
def indexer_prefill_c16(
    x: pl.Tensor,
    qr: pl.Tensor,
    wq_b: pl.Tensor,
    wq_b_scale: pl.Tensor,
    weights_proj: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    block_table: pl.Tensor,
    slot_mapping: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
    score: pl.Out[pl.Tensor],
    topk_idxs: pl.Out[pl.Tensor],
    topk_offset: pl.Tensor,
):
    """The lightning indexer over a packed prefill chunk, c16 cache; returns (score, topk)."""
    W = score.shape[1]
    pl.static_assert(
        W % TOPK_CHUNK == 0, "score row length (score.shape[1]) must be a multiple of 512"
    )
    token_dim = pl.tensor.dim(x, 0)
    hidden_dim = pl.tensor.dim(x, 1)
    lora_dim = pl.tensor.dim(qr, 1)
    x_steps = pl.reshape(x, [token_dim, 1, hidden_dim])
    qr_steps = pl.reshape(qr, [token_dim, 1, lora_dim])
    positions = pl.reshape(position_ids, [token_dim, 1])
    row_offsets = pl.reshape(topk_offset, [token_dim, 1])
    q_codes = pl.create_tensor([token_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.INT8)
    q_dequant = pl.create_tensor([token_dim * INDEX_N_HEADS, 1], dtype=pl.FP32)
    q_dequant_by_token = pl.reshape(q_dequant, [token_dim, INDEX_N_HEADS])
    head_weights = pl.create_tensor([token_dim, INDEX_N_HEADS], dtype=pl.FP32)

    proj_partial = pl.create_tensor([K_SPLIT * token_dim, PROJ_WIDTH], dtype=pl.FP32)
    submit_projections(
        x_steps, qr_steps, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv,
        wgate, positions, q_codes, q_dequant, head_weights, proj_partial,
    )  # fmt: skip
    # The chunk's windows are in the cache before any score task reads it.
    sources = pl.create_tensor([token_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    index_cache = compress_tokens_c16(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        cu_seqlens, 0, state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
    )  # fmt: skip
    prefill_score_c16(
        q_codes, q_dequant_by_token, head_weights, index_cache,
        block_table, position_ids, cu_seqlens, score,
    )  # fmt: skip
    padding_sentinel(score, cu_seqlens)
    topk_stage(score, topk_idxs, positions, row_offsets)
    # the compressor's state, last: no stage of the chunk reads it (one submission earlier
    # for the score stages on the orchestration's serial path).
    write_back_state(position_ids, cu_seqlens, 0, state_slots, sources, kv_state, score_state)
    return score, topk_idxs


@pl.jit
def indexer_prefill_c8(
    x: pl.Tensor,
    qr: pl.Tensor,
    wq_b: pl.Tensor,
    wq_b_scale: pl.Tensor,
    weights_proj: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    block_table: pl.Tensor,
    slot_mapping: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
    index_cache_scale: pl.InOut[pl.Tensor],  # format
    score: pl.Out[pl.Tensor],
    topk_idxs: pl.Out[pl.Tensor],
    topk_offset: pl.Tensor,
):
    """The lightning indexer over a packed prefill chunk, c8 cache; returns (score, topk)."""
    W = score.shape[1]
    pl.static_assert(
        W % TOPK_CHUNK == 0, "score row length (score.shape[1]) must be a multiple of 512"
    )
    token_dim = pl.tensor.dim(x, 0)
    hidden_dim = pl.tensor.dim(x, 1)
    lora_dim = pl.tensor.dim(qr, 1)
    x_steps = pl.reshape(x, [token_dim, 1, hidden_dim])
    qr_steps = pl.reshape(qr, [token_dim, 1, lora_dim])
    positions = pl.reshape(position_ids, [token_dim, 1])
    row_offsets = pl.reshape(topk_offset, [token_dim, 1])
    q_codes = pl.create_tensor([token_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.INT8)
    q_dequant = pl.create_tensor([token_dim * INDEX_N_HEADS, 1], dtype=pl.FP32)
    q_dequant_by_token = pl.reshape(q_dequant, [token_dim, INDEX_N_HEADS])
    head_weights = pl.create_tensor([token_dim, INDEX_N_HEADS], dtype=pl.FP32)

    proj_partial = pl.create_tensor([K_SPLIT * token_dim, PROJ_WIDTH], dtype=pl.FP32)
    submit_projections(
        x_steps, qr_steps, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv,
        wgate, positions, q_codes, q_dequant, head_weights, proj_partial,
    )  # fmt: skip
    # The chunk's windows are in the cache before any score task reads it.
    sources = pl.create_tensor([token_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    index_cache = compress_tokens_c8(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        cu_seqlens, 0, state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
        index_cache_scale,  # format
    )  # fmt: skip
    prefill_score_c8(
        q_codes, q_dequant_by_token, head_weights, index_cache,
        index_cache_scale,  # format
        block_table, position_ids, cu_seqlens, score,
    )  # fmt: skip
    padding_sentinel(score, cu_seqlens)
    topk_stage(score, topk_idxs, positions, row_offsets)
    # the compressor's state, last: no stage of the chunk reads it (one submission earlier
    # for the score stages on the orchestration's serial path).
    write_back_state(position_ids, cu_seqlens, 0, state_slots, sources, kv_state, score_state)
    return score, topk_idxs
