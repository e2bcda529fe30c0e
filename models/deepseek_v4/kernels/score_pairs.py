"""The c8 decode score stage on both vector cores (AIVs) of each core group, at 1 or 3 tokens per
request.

``score_lanes`` splits a step's tokens over the two AIV lanes, each lane whole tokens; a step of
one token per request (S = 1, plain decode) has no second token, and at three tokens the halves
of the [3 * 64, 32] product would split the middle token's heads. So here the lanes take two
*groups* of the request's cache rows instead: a task owns the groups 2 g and 2 g + 1 of the
one-AIV stage's grouping, lane 0 the first and lane 1 the second, each lane scoring all S tokens
against its group's rows and sorting them into the group's partial top-k lists, the same lists
the one-AIV stage writes. Every list still covers consecutive cache rows, so topk_merge and the
tie rule (equal scores: the smaller cache index) are unchanged.

The cube makes one [2 * S * 64, 32] product per step of the loop holding both lanes' tiles: the
step's q codes [S * 64, 128] against lane 0's cache tile in the first S * 64 rows and against
lane 1's in the next, as two products accumulated into one, [q; 0] x A^T + [0; q] x B^T (a tile
cannot be the destination of a matmul into part of an accumulator, and two GM slices cannot be
stacked into one L1 operand: docs/dsl.md §4.5). The zero halves come from ``q_padded``
[3 * T * 64, 128]: per request S * 64 zero rows, its S * 64 q rows, S * 64 zero rows, written
by the ``q_pad`` stage before it, so [0; q] and [q; 0] are its row windows at 0 and S * 64. The
pl.split_aiv(UP_DOWN) crossing then hands lane 0 the first S * 64 rows (its tile's head rows of
every token) and lane 1 the rest. The lane work per tile and token is ``score_lanes``'s: relu(acc)
times each head row's q_scale * weight, the token's 64 head rows summed by halving, times the
rows' kv scales, into the token's chunk row.

When: score_lanes.score_topk_c8 runs it for the top-k-only entry at S = 1 and 3 on blocks of a
multiple of 32 rows. The cube work doubles (a product against zeros per tile: cube time stays
under the vector time it shares the stage with) and each loop step loads two cache tiles; where
lane 1's group is shorter or absent, the step loads lane 0's tile in its place and lane 1 skips
it.
"""

import pypto.language as pl

from models.deepseek_v4.config import COMPRESS_RATIO, FP32_LOWEST, INDEX_HEAD_DIM, INDEX_N_HEADS
from models.deepseek_v4.kernels.score import (
    CACHE_TILE,
    CORE_GROUPS,
    HEAD_COLS,
    TOPK_CHUNK,
    score_groups,
    tile_rows,
)

#: AIV lanes of a core group (a2a3: one cube core, two vector cores).
LANES = 2
#: Score tiles per 512-row chunk (32-row tiles only: both two-AIV stages run at block sizes
#: that are multiples of 32).
CHUNK_TILES = TOPK_CHUNK // CACHE_TILE
#: Blocks of S * 64 rows per request in ``q_padded``: zeros, the step's q rows, zeros.
PAD_BLOCKS = 3


@pl.jit.inline
def score_topk_pairs_c8(
    q_codes: pl.Tensor,
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    partial: pl.Tensor,
    splits: pl.Scalar[pl.INT32],
):
    """Stages 8-11a, c8, for a top-k-only step of S = 1 or 3 tokens per request on blocks of a
    multiple of 32 rows: each task scores two groups of a request's cache rows, one per AIV lane
    (module docstring), each lane writing its group's partial top-k lists.

    Called from a branch of an orchestration ``if`` on the entry's shapes, where a local is a
    run-time value to the compiler (docs/dsl.md §14): every tile extent is written into its
    shape list from the tensors' shapes and module constants."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    POOL_ROWS = index_cache.shape[0] * index_cache.shape[1]
    cache_flat = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    weight_cols = pl.reshape(head_weights, [head_weights.shape[0] * INDEX_N_HEADS, 1])
    q_scale_cols = pl.reshape(q_dequant_by_token, [head_weights.shape[0] * INDEX_N_HEADS, 1])
    scale_row = pl.reshape(index_cache_scale, [1, POOL_ROWS])
    # q_pad: each request's S * 64 q code rows between two blocks of as many zero rows (made
    # here, not passed in: pypto infers no metadata for a tensor created in a branch and handed
    # to another helper, "missing inferred tensor metadata for parameter"). Sized from q_codes'
    # rows, T * 64, alone: the kernel wrapper inverts `var * const`, not B * S.
    q_padded = pl.create_tensor([q_codes.shape[0] * PAD_BLOCKS, INDEX_HEAD_DIM], dtype=pl.INT8)
    with pl.spmd(B, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="q_pad"):
            r = pl.tile.get_block_idx()
            step_rows = S * INDEX_N_HEADS
            base = r * PAD_BLOCKS * step_rows
            # INT8 zeros through the cast chain the quantizers use (FP16 -> INT8, trunc).
            zeros = pl.cast(
                pl.full(
                    [position_ids.shape[1] * INDEX_N_HEADS, INDEX_HEAD_DIM],
                    dtype=pl.FP16,
                    value=0.0,
                ),
                target_type=pl.INT8,
                mode="trunc",
            )
            # Each extent written from the shapes (in this branch a local is a run-time value,
            # which a tile's shape may not be).
            q_padded[base : base + position_ids.shape[1] * INDEX_N_HEADS, :] = zeros
            q_padded[
                base + step_rows : base + step_rows + position_ids.shape[1] * INDEX_N_HEADS, :
            ] = q_codes[r * step_rows : r * step_rows + position_ids.shape[1] * INDEX_N_HEADS, :]
            q_padded[
                base + 2 * step_rows : base + 2 * step_rows + position_ids.shape[1] * INDEX_N_HEADS,
                :,
            ] = zeros
    # `splits` groups per request (an even count at odd S, score_lanes.score_topk_c8), two per
    # item: lane 0 takes group g0, lane 1 group g0 + 1.
    request_pairs = splits // LANES
    # At most one block per core group, block k taking the (request, group pair) items k,
    # k + blocks, k + 2 blocks, .. (score_cube.py says why: the launch's blocks stay bounded
    # whatever B is).
    items = B * request_pairs
    blocks = pl.min(items, CORE_GROUPS)
    with pl.spmd(blocks, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_score_topk_pairs"):
            for turn in pl.range((items + blocks - 1) // blocks):
                item = pl.tile.get_block_idx() + turn * blocks
                # Group-major items (item pair * B + b, score_lanes.py says why); a turn past
                # the items has g0 >= splits >= groups and does nothing.
                b = item % B
                g0 = item // B * LANES
                seen, _chunks, groups, group_rows = score_groups(kv_seq_lens, b, splits)
                # Lane 0's group g0 and lane 1's g0 + 1: their first rows and lengths (0 for a
                # group past the request's rows). Lane 1's group is never longer than lane 0's.
                start0 = g0 * group_rows
                start1 = start0 + group_rows
                len0 = pl.max(pl.min(seen, start1) - start0, 0)
                len1 = pl.max(pl.min(seen, start1 + group_rows) - start1, 0)
                if g0 < groups:
                    # [0; q] and [q; 0]: the request's rows of q_padded at 0 and S * 64.
                    q_zero_top = pl.slice(
                        q_padded,
                        [LANES * position_ids.shape[1] * INDEX_N_HEADS, INDEX_HEAD_DIM],
                        [b * PAD_BLOCKS * S * INDEX_N_HEADS, 0],
                    )
                    q_zero_bottom = pl.slice(
                        q_padded,
                        [LANES * position_ids.shape[1] * INDEX_N_HEADS, INDEX_HEAD_DIM],
                        [(b * PAD_BLOCKS + 1) * S * INDEX_N_HEADS, 0],
                    )
                    # The lanes' state is made in a region that pops a product made for it (a
                    # region without a crossing is halved as data-parallel work): the pool's first
                    # tile, always in bounds.
                    probe = pl.matmul(
                        q_zero_bottom,
                        pl.slice(cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [0, 0]),
                        out_dtype=pl.INT32,
                        b_trans=True,
                    )
                    for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                        _probe = pl.aiv_shard(probe)
                        # The step's head factors q_scale * weight as one column, row s * 64 + h
                        # for token s's head h (both lanes the same tokens: the offset names the
                        # lane through aiv_id // 2 = 0), and its tokens' positions.
                        h0 = b * S * INDEX_N_HEADS + aiv_id // LANES
                        head_factor_col = pl.mul(
                            pl.slice(
                                q_scale_cols, [position_ids.shape[1] * INDEX_N_HEADS, 1], [h0, 0]
                            ),
                            pl.slice(
                                weight_cols, [position_ids.shape[1] * INDEX_N_HEADS, 1], [h0, 0]
                            ),
                        )
                        token_positions = pl.slice(
                            position_ids,
                            [1, 8],
                            [b, aiv_id // LANES],
                            valid_shape=[1, position_ids.shape[1]],
                        )
                        best = pl.full(
                            [position_ids.shape[1], partial.shape[1]],
                            dtype=pl.FP32,
                            value=FP32_LOWEST,
                        )
                        # Reset after each chunk's sort.
                        chunk = pl.full(
                            [position_ids.shape[1] * CHUNK_TILES, CACHE_TILE],
                            dtype=pl.FP32,
                            value=FP32_LOWEST,
                        )
                    for c_off in pl.range(0, len0, TOPK_CHUNK):
                        c_stop = pl.min(len0, c_off + TOPK_CHUNK)
                        # Two loop steps per iteration, each with its own load buffers
                        # (pl.pipeline, stage 2; why pypto keeps it: score_lanes.py).
                        for off in pl.pipeline(c_off, c_stop, CACHE_TILE, stage=2):
                            # Lane 1's tile when its group has one at this offset, else lane 0's
                            # again (loaded, not used).
                            has1 = pl.min(pl.max(len1 - off, 0), 1)
                            j_a = start0 + off
                            j_b = j_a + (start1 - start0) * has1
                            rows_a, physical_a = tile_rows(
                                block_table, index_cache, b, j_a, seen, CACHE_TILE
                            )
                            rows_b, physical_b = tile_rows(
                                block_table, index_cache, b, j_b, seen, CACHE_TILE
                            )
                            acc = pl.matmul(
                                q_zero_bottom,
                                pl.slice(cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [physical_a, 0]),
                                out_dtype=pl.INT32,
                                b_trans=True,
                            )
                            acc = pl.matmul_acc(
                                acc,
                                q_zero_top,
                                pl.slice(cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [physical_b, 0]),
                                b_trans=True,
                            )
                            for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                                # The lane's tile: lane 0 tile a, lane 1 tile b (each value names
                                # the lane, as a region with a crossing requires of its loads).
                                j0 = j_a + (j_b - j_a) * aiv_id
                                rows = rows_a + (rows_b - rows_a) * aiv_id
                                physical = physical_a + (physical_b - physical_a) * aiv_id
                                lane_len = len0 + (len1 - len0) * aiv_id
                                live = 1 - aiv_id + aiv_id * has1
                                chunk_start = start0 + (start1 - start0) * aiv_id + c_off
                                kv_scale_row = pl.slice(scale_row, [1, CACHE_TILE], [0, physical])
                                acc_lane = pl.cast(
                                    pl.aiv_shard(acc), target_type=pl.FP32, mode="rint"
                                )
                                weighted = pl.set_validshape(
                                    pl.row_expand_mul(pl.maximum(acc_lane, 0.0), head_factor_col),
                                    position_ids.shape[1] * INDEX_N_HEADS,
                                    CACHE_TILE,
                                )
                                lane_zero = aiv_id // LANES
                                # Unrolled over the step's tokens, as score_lanes.py's loops (the
                                # compiler follows a lane's tiles along straight-line code only).
                                for s in pl.unroll(S):
                                    visible = (
                                        pl.read(token_positions, [0, s]) + 1
                                    ) // COMPRESS_RATIO
                                    # Token s's 64 head rows summed by halving (the compiler refuses
                                    # a column sum over the split axis in a region); the windows'
                                    # valid rows carry + aiv_id // 2 (run-time valid shapes:
                                    # pto-isa's CPU TADD takes one tile type for its operands).
                                    r0 = s * INDEX_N_HEADS
                                    h32 = pl.add(
                                        pl.slice(
                                            weighted,
                                            [32, CACHE_TILE],
                                            [r0, 0],
                                            valid_shape=[INDEX_N_HEADS // 2 + lane_zero, rows],
                                        ),
                                        pl.slice(
                                            weighted,
                                            [32, CACHE_TILE],
                                            [r0 + INDEX_N_HEADS // 2, 0],
                                            valid_shape=[INDEX_N_HEADS // 2 + lane_zero, rows],
                                        ),
                                    )
                                    h16 = pl.add(
                                        pl.slice(
                                            h32,
                                            [16, CACHE_TILE],
                                            [0, 0],
                                            valid_shape=[INDEX_N_HEADS // 4 + lane_zero, rows],
                                        ),
                                        pl.slice(
                                            h32,
                                            [16, CACHE_TILE],
                                            [16, 0],
                                            valid_shape=[INDEX_N_HEADS // 4 + lane_zero, rows],
                                        ),
                                    )
                                    h8 = pl.add(
                                        pl.slice(
                                            h16,
                                            [8, CACHE_TILE],
                                            [0, 0],
                                            valid_shape=[INDEX_N_HEADS // 8 + lane_zero, rows],
                                        ),
                                        pl.slice(
                                            h16,
                                            [8, CACHE_TILE],
                                            [8, 0],
                                            valid_shape=[INDEX_N_HEADS // 8 + lane_zero, rows],
                                        ),
                                    )
                                    h4 = pl.add(
                                        pl.slice(
                                            h8,
                                            [4, CACHE_TILE],
                                            [0, 0],
                                            valid_shape=[INDEX_N_HEADS // 16 + lane_zero, rows],
                                        ),
                                        pl.slice(
                                            h8,
                                            [4, CACHE_TILE],
                                            [4, 0],
                                            valid_shape=[INDEX_N_HEADS // 16 + lane_zero, rows],
                                        ),
                                    )
                                    h2 = pl.add(
                                        pl.slice(
                                            h4,
                                            [2, CACHE_TILE],
                                            [0, 0],
                                            valid_shape=[INDEX_N_HEADS // 32 + lane_zero, rows],
                                        ),
                                        pl.slice(
                                            h4,
                                            [2, CACHE_TILE],
                                            [2, 0],
                                            valid_shape=[INDEX_N_HEADS // 32 + lane_zero, rows],
                                        ),
                                    )
                                    head_sum = pl.add(
                                        pl.slice(
                                            h2,
                                            [1, CACHE_TILE],
                                            [0, 0],
                                            valid_shape=[INDEX_N_HEADS // 64 + lane_zero, rows],
                                        ),
                                        pl.slice(
                                            h2,
                                            [1, CACHE_TILE],
                                            [1, 0],
                                            valid_shape=[INDEX_N_HEADS // 64 + lane_zero, rows],
                                        ),
                                    )
                                    row_scores = pl.mul(head_sum, kv_scale_row)
                                    token_rows = pl.max(pl.min(rows, visible - j0), 0) * live
                                    chunk = pl.assemble(
                                        chunk,
                                        pl.set_validshape(row_scores, 1, token_rows),
                                        [s * CHUNK_TILES + (off - c_off) // CACHE_TILE, 0],
                                    )
                                # 11a after the lane's chunk's last tile: each token's chunk row
                                # sorted into its running list, then the chunk reset; after the
                                # group's last tile the lists are the group's.
                                # (never for a lane with no tile at this offset: live 0)
                                chunk_end = pl.min(lane_len, c_off + TOPK_CHUNK) * live + 1 - live
                                if (off + CACHE_TILE) * live >= chunk_end:
                                    for s in pl.unroll(S):
                                        row = pl.slice(
                                            pl.reshape(chunk, [position_ids.shape[1], TOPK_CHUNK]),
                                            [1, TOPK_CHUNK],
                                            [s + lane_zero, 0],
                                        )
                                        row_idx = pl.arange(
                                            pl.cast(chunk_start, pl.UINT32),
                                            [1, TOPK_CHUNK],
                                            dtype=pl.UINT32,
                                        )
                                        pairs = pl.sort32(row, row_idx)
                                        pairs = pl.mrgsort(pairs, block_len=64)
                                        pairs = pl.mrgsort(pairs, block_len=256)
                                        merged = pl.mrgsort(
                                            pl.slice(
                                                best, [1, partial.shape[1]], [s + lane_zero, 0]
                                            ),
                                            pairs,
                                        )
                                        merged_rows = pl.reshape(
                                            merged,
                                            [
                                                (partial.shape[1] + 2 * TOPK_CHUNK) // HEAD_COLS,
                                                HEAD_COLS,
                                            ],
                                        )
                                        head = pl.reshape(
                                            merged_rows[0 : partial.shape[1] // HEAD_COLS, :],
                                            [1, partial.shape[1]],
                                        )
                                        best = pl.assemble(best, head, [s, 0])
                                        if off + CACHE_TILE >= lane_len:
                                            list_row = (b * splits + g0 + aiv_id) * S + s
                                            partial[list_row : list_row + 1, :] = pl.slice(
                                                best, [1, partial.shape[1]], [s + lane_zero, 0]
                                            )
                                    chunk = pl.assemble(
                                        chunk,
                                        pl.full(
                                            [position_ids.shape[1] * CHUNK_TILES, CACHE_TILE],
                                            dtype=pl.FP32,
                                            value=FP32_LOWEST,
                                        ),
                                        [0, 0],
                                    )
