"""The c8 decode score stage on both vector cores (AIVs) of each core group.

Same work, lists and score policy as ``score.score_topk_stage_c8`` (its docstring has the stages
and the tie rule); what changes is who does the vector work, which is what bounds the stage
(docs/bench_indexer.md). The matmul is taken the other way round, q codes [S * 64, 128] x cache
codes [32, 128]^T, so the accumulator is [S * 64, 32]: token s's 64 heads are rows s * 64 ..
s * 64 + 63. A pl.split_aiv(UP_DOWN) region hands each AIV lane half of those rows, that is
whole tokens, and each lane keeps its tokens' chunk rows and top-k lists in its own UB from one
region to the next. No token's list is split across lanes, so equal scores still resolve to the
smaller cache index and topk_merge is unchanged. Per tile and lane: relu(acc) times each head
row's factor q_scale * weight (one FP32 column per lane, formed once per item), each token's 64
head rows summed per column (a [1, 32] row: no gather), times the rows' kv scales, into the
token's chunk row; the head sum is a different FP32 order than the one-lane stage's row sum (the
golden sums exactly: docs/indexer.md, step 10).

When: ``score_topk_c8`` below runs it for a top-k-only step (the serving entry; its score
placeholder is NO_SCORE_COLS wide) of S = 2 tokens per request (a lane takes one token) with a
block size that is a multiple of 32, and the one-lane stage then launches one block that does
nothing; at S = 4 it runs score_cube.py's stage (the same lanes, two tokens each, with the head
sums on the cube), at S = 1 and 3 score_pairs.py's, whose lanes take a group of cache rows each
(at S 3 the halves of this stage's product would split a token's heads). The stage's loops
are still written for one or two tokens a lane, as it ran at S = 4 until 2026-12-07. A
c16 step scores the c8-shaped scratch its ``kv_cache_quant`` stage fills, so it takes the same
stages. Why not for the entry that keeps score rows, as measured on the real toolchain
(docs/dsl.md §4.5 has the message): it is refused at the crossing.

What the compiler requires of the regions, and how this stage meets it (docs/dsl.md §4.5):
a region without a crossing is halved as data-parallel work, so the lanes' state is made in a
region that pops one extra product per item (of the pool's first tile); in a region with a
crossing every load or tile slice that does not read the crossing's result names the lane in its
address (``lane_zero`` = aiv_id // 2 = 0 added to offsets of values a lane reads whole); no
reduction over the split axis (the head sum is 6 row-window adds); the loops over a lane's
tokens are ``pl.unroll`` (the compiler does not follow a lane's tile through a loop-carried
value, so after a ``pl.range`` loop over two tokens the lane's state tiles were taken for
full-width work); and the row windows are given run-time valid shapes, as pto-isa's CPU
backend instantiates TADD with one tile type for all three operands. The stage is called from
a branch of a shape-constant ``if``, where every local is a run-time value to the compiler, so
each tile extent is written into its shape list.
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    MAX_TOKENS_PER_STEP,
)
from models.deepseek_v4.kernels.score import (
    CACHE_TILE,
    CORE_GROUPS,
    GROUP_CAP,
    HEAD_COLS,
    SCORE_TASKS,
    TOPK_CHUNK,
    multiplied_groups,
    score_groups,
    score_topk_stage_c8,
    tile_rows,
    topk_merge_stage,
    wave_filling_groups,
)
from models.deepseek_v4.kernels.score_cube import FACTOR_ROWS, score_topk_cube_c8
from models.deepseek_v4.kernels.score_pairs import CHUNK_TILES, LANES, score_topk_pairs_c8


@pl.jit.inline
def score_topk_lanes_c8(
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
    """Stages 8-11a, c8, for a top-k-only step (no score rows kept) of S = 2 or 4 tokens per
    request on blocks of a multiple of 32 rows (``score_topk_c8`` chooses it): each tile's
    stored codes and scales scored on both AIVs of the core group, each lane sorting its own
    tokens into their partial top-k lists (module docstring).

    Called from a branch of an orchestration ``if`` on the entry's shapes, where a local is a
    run-time value to the compiler (docs/dsl.md §14): every tile extent is written into its
    shape list from the tensors' shapes and module constants, none held in a local."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    POOL_ROWS = index_cache.shape[0] * index_cache.shape[1]
    cache_flat = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    weight_cols = pl.reshape(head_weights, [head_weights.shape[0] * INDEX_N_HEADS, 1])
    q_scale_cols = pl.reshape(q_dequant_by_token, [head_weights.shape[0] * INDEX_N_HEADS, 1])
    scale_row = pl.reshape(index_cache_scale, [1, POOL_ROWS])
    # At most one block per core group, block k taking the (request, group) items k, k +
    # blocks, k + 2 blocks, .. (score_cube.py says why: the launch's blocks stay bounded
    # whatever B is).
    items = B * splits
    blocks = pl.min(items, CORE_GROUPS)
    with pl.spmd(blocks, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_score_topk_lanes"):
            for turn in pl.range((items + blocks - 1) // blocks):
                item = pl.tile.get_block_idx() + turn * blocks
                # Group-major items (item g * B + b): a request of fewer 512-row chunks than
                # groups has empty groups (B 4 S 2 8k: 12 groups, 4 chunks), and in request-
                # major order block k's items k and k + 24 were both a request's first
                # groups while other blocks held only empty ones; group-major, the 16 groups
                # with rows are items 0 .. 15, one per block. A turn past the items has
                # g >= splits >= groups and does nothing.
                b = item % B
                g = item // B
                seen, _chunks, groups, group_rows = score_groups(kv_seq_lens, b, splits)
                group_end = pl.min(seen, (g + 1) * group_rows)
                if g < groups:
                    q_rows = pl.slice(
                        q_codes,
                        [position_ids.shape[1] * INDEX_N_HEADS, INDEX_HEAD_DIM],
                        [b * S * INDEX_N_HEADS, 0],
                    )
                    # A region with no crossing in it is halved by the compiler as data-parallel
                    # work (a pl.full of 16 rows became 8 per lane), so the lanes' state is made in
                    # a region that pops a product made for it (its values unused: the pool's first
                    # tile, always in bounds, where a padded request's first table entry is not)
                    # and every later use sits in the per-tile region, which pops each tile's.
                    probe = pl.matmul(
                        q_rows,
                        pl.slice(cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [0, 0]),
                        out_dtype=pl.INT32,
                        b_trans=True,
                    )
                    for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                        _probe = pl.aiv_shard(probe)
                        # The lane's head rows' factors q_scale * weight as one column (row r of the
                        # lane's accumulator half: token aiv_id * S/2 + r // 64, head r % 64), and
                        # its tokens' positions; once per item.
                        h0 = (b * S + aiv_id * (S // LANES)) * INDEX_N_HEADS
                        head_factor_col = pl.mul(
                            pl.slice(
                                q_scale_cols,
                                [position_ids.shape[1] * INDEX_N_HEADS // LANES, 1],
                                [h0, 0],
                            ),
                            pl.slice(
                                weight_cols,
                                [position_ids.shape[1] * INDEX_N_HEADS // LANES, 1],
                                [h0, 0],
                            ),
                        )
                        token_positions = pl.slice(
                            position_ids,
                            [1, 8],
                            [b, aiv_id * (S // LANES)],
                            valid_shape=[1, (position_ids.shape[1] + 1) // LANES],
                        )
                        best = pl.full(
                            [(position_ids.shape[1] + 1) // LANES, partial.shape[1]],
                            dtype=pl.FP32,
                            value=FP32_LOWEST,
                        )
                        # Reset after each chunk's sort, as in the one-lane stage.
                        chunk = pl.full(
                            [(position_ids.shape[1] + 1) // LANES * CHUNK_TILES, CACHE_TILE],
                            dtype=pl.FP32,
                            value=FP32_LOWEST,
                        )
                    for c0 in pl.range(g * group_rows, group_end, TOPK_CHUNK):
                        chunk_end = pl.min(group_end, c0 + TOPK_CHUNK)
                        # Two tiles per step (pl.pipeline, stage 2): pypto's LowerPipelineLoops
                        # copies the body twice with its own load buffers, run-time bounds and
                        # all (a tail of one tile after an odd count), so each core issues the
                        # next tile's loads before this tile's compute. The loop only sends the
                        # cube's products to the AIVs, so SkewCrossCorePipeline (which demotes a
                        # loop that also sends back) leaves it to that pass (score_pairs.py too).
                        for j0 in pl.pipeline(c0, chunk_end, CACHE_TILE, stage=2):
                            rows, physical = tile_rows(
                                block_table, index_cache, b, j0, seen, CACHE_TILE
                            )
                            # The whole tile (its rows lie in one block of the pool): the crossing
                            # to the lanes takes an accumulator with all its columns valid; the
                            # sums of rows past `rows` are never assembled (token_rows <= rows).
                            kv_codes = pl.slice(
                                cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [physical, 0]
                            )
                            acc = pl.matmul(q_rows, kv_codes, out_dtype=pl.INT32, b_trans=True)
                            for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                                # A slice or load in a region with a crossing must name the lane in
                                # its address unless it reads the crossing's result (the compiler
                                # takes anything else for full-width work left unsplit); the lane's
                                # own state and the rows' scales (both lanes need them all) are read
                                # at offsets plus lane_zero, aiv_id // 2 = 0.
                                lane_zero = aiv_id // LANES
                                kv_scale_row = pl.slice(
                                    scale_row, [1, CACHE_TILE], [0, physical + lane_zero]
                                )
                                # 10 on the lane's [S/2 * 64, tile] half: relu(acc) * (q_scale *
                                # weight) per head row, each token's 64 rows summed per column.
                                acc_all = pl.cast(
                                    pl.aiv_shard(acc), target_type=pl.FP32, mode="rint"
                                )
                                # Valid extents made constant (the popped half's are run-time
                                # values). The row windows of the halving below state their own
                                # valid shapes, their rows written as a constant + lane_zero: pypto
                                # types each add's result with run-time valid extents, and pto-isa's
                                # CPU TADD takes one tile type for all three operands.
                                weighted = pl.set_validshape(
                                    pl.row_expand_mul(pl.maximum(acc_all, 0.0), head_factor_col),
                                    position_ids.shape[1] * INDEX_N_HEADS // LANES,
                                    CACHE_TILE,
                                )
                                # Unrolled, as the sort loop below: through a pl.range loop's
                                # carried value the compiler no longer sees `chunk` as the lane's
                                # own (at S 4: "full-width vector op(s) [tile.reshape,
                                # tile.assemble]", docs/dsl.md §4.5).
                                for s2 in pl.unroll(S // LANES):
                                    visible = (
                                        pl.read(token_positions, [0, s2]) + 1
                                    ) // COMPRESS_RATIO
                                    # The token's 64 head rows summed by halving (32 + 16 + .. + 1
                                    # row adds): the compiler refuses a column sum over the split
                                    # axis in a region (AivSplitValid: a partial reduction of a
                                    # data-parallel half), though here each lane holds whole tokens.
                                    r0 = s2 * INDEX_N_HEADS
                                    # The second half's first row, r0 + 32 at S 2 and 4 (written
                                    # from S: the compiler type-checks this unbuilt branch at S 1
                                    # too, where the lane holds 32 rows and r0 + 32 would overrun).
                                    r32 = r0 + (S // LANES + 1) // 2 * (INDEX_N_HEADS // 2)
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
                                            [r32, 0],
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
                                    token_rows = pl.max(pl.min(rows, visible - j0), 0)
                                    chunk = pl.assemble(
                                        chunk,
                                        pl.set_validshape(row_scores, 1, token_rows),
                                        [s2 * CHUNK_TILES + (j0 - c0) // CACHE_TILE, 0],
                                    )
                                # 11a after the chunk's last tile, in this region (a region of its
                                # own would be halved): each of the lane's tokens' chunk row sorted
                                # into its running list, then the chunk reset.
                                if j0 + CACHE_TILE >= chunk_end:
                                    for s2 in pl.unroll(S // LANES):
                                        s = aiv_id * (S // LANES) + s2
                                        row = pl.slice(
                                            pl.reshape(
                                                chunk,
                                                [(position_ids.shape[1] + 1) // LANES, TOPK_CHUNK],
                                            ),
                                            [1, TOPK_CHUNK],
                                            [s2 + lane_zero, 0],
                                        )
                                        row_idx = pl.arange(
                                            pl.cast(c0, pl.UINT32), [1, TOPK_CHUNK], dtype=pl.UINT32
                                        )
                                        pairs = pl.sort32(row, row_idx)
                                        pairs = pl.mrgsort(pairs, block_len=64)
                                        pairs = pl.mrgsort(pairs, block_len=256)
                                        merged = pl.mrgsort(
                                            pl.slice(
                                                best, [1, partial.shape[1]], [s2 + lane_zero, 0]
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
                                        best = pl.assemble(best, head, [s2, 0])
                                        # After the group's last chunk: the token's list.
                                        if j0 + CACHE_TILE >= group_end:
                                            list_row = (b * splits + g) * S + s
                                            partial[list_row : list_row + 1, :] = pl.slice(
                                                best, [1, partial.shape[1]], [s2 + lane_zero, 0]
                                            )
                                    chunk = pl.assemble(
                                        chunk,
                                        pl.full(
                                            [
                                                (position_ids.shape[1] + 1) // LANES * CHUNK_TILES,
                                                CACHE_TILE,
                                            ],
                                            dtype=pl.FP32,
                                            value=FP32_LOWEST,
                                        ),
                                        [0, 0],
                                    )


@pl.jit.inline
def score_topk_c8(
    q_codes: pl.Tensor,
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    score_tokens: pl.Tensor,
    keep_scores: pl.Scalar[pl.INT32],
    topk_tokens: pl.Tensor,
    topk_offset: pl.Tensor,
):
    """Stages 8-11, c8: a two-AIV stage for a top-k-only step on blocks of a multiple of 32 rows
    (``score_topk_lanes_c8`` at 2 tokens per request, the lanes taking half the tokens;
    ``score_cube.score_topk_cube_c8`` at 4, the same with the head sums on the cube;
    ``score_pairs.score_topk_pairs_c8`` at 1 and 3, the lanes taking a group of cache rows
    each), the one-AIV stage (``score.score_topk_stage_c8``) otherwise; the same partial lists
    in a scratch tensor made here, which ``score.topk_merge_stage`` then merges into
    ``topk_tokens``. The
    choice is an ``if`` on shape constants, so the compiler builds a two-AIV stage only when it
    runs; the one-AIV stage is not in a branch (its tile extents are locals, which a branch
    would make run-time values) and computes the same condition itself, running one empty block
    when a two-AIV stage ran (the runtime refuses a launch of 0 blocks). The groups per request,
    which every one of these stages must agree on, are counted once here (score.py, SCORE_TASKS
    and GROUP_CAP)."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    # ceil or floor of 48 / B groups, whichever fills the waves of core groups better
    splits = wave_filling_groups(B, SCORE_TASKS, CORE_GROUPS)
    # one more group when ceil(48 / B) is 1 and B % 24 is in 1..12 (score.py, SCORE_TASKS)
    splits = splits + 1 // splits * ((B + CORE_GROUPS // 2 - 1) % CORE_GROUPS // (CORE_GROUPS // 2))
    splits = splits * (1 + splits % 2 * (S % 2))  # even at odd S (SCORE_TASKS)
    # Then twice or four times as many groups where that is cheaper (score.multiplied_groups),
    # a request's block-table row holding at most `chunks` 512-row chunks; one group per core
    # group at a time, two at odd S.
    chunks = (block_table.shape[1] * index_cache.shape[1] + TOPK_CHUNK - 1) // TOPK_CHUNK
    splits = multiplied_groups(B, splits, chunks, CORE_GROUPS * (1 + S % 2))
    # Partial top-k lists: row (b * splits + g) * S + s for request b's group g. Before the
    # multiplication B * splits < 2 (B + SCORE_TASKS), rows under 2 T + 2 * SCORE_TASKS *
    # MAX_TOKENS_PER_STEP; a multiplied count keeps B * splits within GROUP_CAP, rows at most
    # GROUP_CAP * MAX_TOKENS_PER_STEP. 2 T + GROUP_CAP * MAX_TOKENS_PER_STEP rows hold either.
    # 2 T as a dimension alias of its own (a [2 T, 1] tensor that is never read): pypto's kernel
    # wrapper recovers a dynamic extent only from a one-operation shape (var, var +/-/*// const),
    # and topk_merge sees T through this tensor alone; written `2 * tokens_dim + 192` it was
    # refused, "Cannot recover dynamic dimension ... non-invertible shape expressions".
    tokens_dim = pl.tensor.dim(topk_tokens, 0)
    topk_dim = pl.tensor.dim(topk_tokens, 1)
    list_rows = pl.create_tensor([tokens_dim * 2, 1], dtype=pl.INT32)
    lists_dim = pl.tensor.dim(list_rows, 0)
    partial = pl.create_tensor(
        [lists_dim + GROUP_CAP * MAX_TOKENS_PER_STEP, 2 * topk_dim], dtype=pl.FP32
    )
    # 1 exactly then: blocks of a multiple of 32 rows, and the last factor 1 only for the
    # top-k-only entry's score placeholder (NO_SCORE_COLS wide, not a multiple of 512;
    # score.score_topk_stage_c8 computes the same `lanes`).
    lanes = 1 - (index_cache.shape[1] % CACHE_TILE + 31) // 32
    lanes = lanes * ((score_tokens.shape[1] % TOPK_CHUNK + 7) // 8)
    # The cube head sum's factor matrices (kernels/score_cube.py), made here for the JIT to
    # infer its shape from two dimension aliases; only written and read at S 4.
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    factors = pl.create_tensor([batch_dim * FACTOR_ROWS, seq_dim * INDEX_N_HEADS], dtype=pl.FP32)
    # ... and its cache-row scales in logical order: a request's block-table rows, plus one
    # chunk (every 512-row load stays in the row), the rows as an alias of their own (a
    # [rows, 1] tensor never read: pypto's kernel wrapper inverts one operation per extent).
    table_dim = pl.tensor.dim(block_table, 1)
    block_dim = pl.tensor.dim(index_cache, 1)
    rows_alias = pl.create_tensor([table_dim * block_dim, 1], dtype=pl.INT32)
    rows_dim = pl.tensor.dim(rows_alias, 0)
    chunk_scales = pl.create_tensor([batch_dim, rows_dim + TOPK_CHUNK], dtype=pl.FP32)
    if lanes == 1:
        if S == 4:  # the head sums on the cube (kernels/score_cube.py says why not at S 2)
            score_topk_cube_c8(
                q_codes, q_dequant_by_token, head_weights, index_cache, index_cache_scale,
                block_table, position_ids, kv_seq_lens, factors, chunk_scales, partial, splits,
            )  # fmt: skip
        elif S == 2:
            score_topk_lanes_c8(
                q_codes, q_dequant_by_token, head_weights, index_cache, index_cache_scale,
                block_table, position_ids, kv_seq_lens, partial, splits,
            )  # fmt: skip
        else:  # S 1 or 3
            score_topk_pairs_c8(
                q_codes, q_dequant_by_token, head_weights, index_cache, index_cache_scale,
                block_table, position_ids, kv_seq_lens, partial, splits,
            )  # fmt: skip
    score_topk_stage_c8(
        q_codes, q_dequant_by_token, head_weights, index_cache, index_cache_scale,
        block_table, position_ids, kv_seq_lens, partial, score_tokens, keep_scores, splits,
    )  # fmt: skip
    topk_merge_stage(partial, topk_tokens, position_ids, kv_seq_lens, topk_offset, splits)
