"""The c8 decode score stage with each token's head sum on the cube, at 4 tokens per request.

``score_lanes`` splits a step's tokens over the two AIV lanes and each lane sums its tokens' 64
head rows itself: relu(acc), times each head row's factor q_scale * weight, six row-window adds,
4 vector element-ops per (cache row, token, head). Here the lanes do 2 of them (the INT32 ->
FP32 cast and the relu) and hand the relu'd product back to the cube, which takes the weighted
head sum as one FP32 matmul:

    head_sums [16, S * 64] x relu [S * 64, 32] = [16, 32]

The left matrix holds every token's factors in its own row and in its own 64 columns (zeros
elsewhere), so row r of the product is one token's weighted head sum over the tile's 32 cache
rows. Token s sits at row (s // half) * 8 + s % half, half = S / 2 tokens per lane, so the
product's UP_DOWN halves hand each lane its tokens' sums in its first rows. The lanes then take
those rows times the rows' kv scales into each token's chunk row, and sort and merge as in
``score_lanes`` (same lists, same tie rule, same topk_merge). The head sum is FP32 on chip, in the
cube's order: step 10 of docs/indexer.md, whose golden sums exactly.

Stages:
- kv_scale_rows: each request's cache-row scales in logical order, one [1, 512] row per chunk,
  into ``chunk_scales``: its paged scales gathered a 32-row tile at a time through the block
  table, once per step. The score stage then loads a chunk's 512 scales once per lane where it
  loaded each tile's 32 once per lane: at 32-row blocks 2 transfers a tile become 2 a chunk
  (B 128 S 4 8k: 16384 -> 1024), and the gather's 8192 reads run beside the query chain, off the
  score stage's path. A stage of its own at S 4 only: its transfers are not hidden by a
  pl.pipeline there, while at S 1 and 2 they mostly are and the gather would sit on the path.
- head_factor_matrix: per request, the [16, S * 64] matrix above into ``factors`` (a zero band,
  then each token's q_scale * weight row), from q_dequant and the head weights that earlier
  stages wrote. A matrix the lanes stored in the score task itself would reach the cube
  unsynchronised, and one gathered from the lanes once per task hangs (docs/dsl.md §4.5).
- kv_score_topk_cube: one item per (request, group of 512-row chunks), as in score_lanes, run
  as at most 24 blocks (one per core group), each taking items in turn.
  Per tile: the cube's INT32 product [S * 64, 32]; each lane its half, cast and relu'd, pushed
  back (pl.aic_gather); the cube's head sums; each lane its tokens' rows of them, times the
  rows' scales (from the chunk's row the lane loaded before the chunk's tiles).

Why the tile loop is a plain ``pl.range``: its body is a cube -> vector -> cube -> vector chain,
which pypto's SkewCrossCorePipeline turns into a sequential loop whatever the loop says (more
than one round trip per iteration; its pass docs), so a ``pl.pipeline`` here would buy nothing
(plsim models such a loop as sequential too: plsim/pipeline_crossings.py).

When: score_lanes.score_topk_c8 runs it for the top-k-only entry at S = 4 on blocks of a multiple
of 32 rows (B 128 S 4 8k c8: docs/bench_indexer.md). At S = 2 it does not pay: the tile loop of
``score_lanes`` is pipelined (its loads hide under its vector work) and this one is not, and the
vector work it saves is half as large per tile. Per tile this stage hands 66 KiB between the
cores where score_lanes hands 32 KiB (at S 4); on a2a3 that is a GM ring, which the cost model
counts (plsim's cube_to_vector_bytes / vector_to_cube_bytes) but does not price.
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
from models.deepseek_v4.kernels.score_pairs import CHUNK_TILES, LANES

#: Rows of a request's head-factor matrix: the cube's smallest M (ptoas: "boxed tile rows to be
#: a multiple of innerRows (16)"), 8 per lane.
FACTOR_ROWS = 16
#: kv_scale_rows' blocks at most: one per AIV (48), a block gathering (request, chunk) items
#: in turn.
SCALE_TASKS = 48
#: head_factor_matrix's tasks to aim for: one per AIV (48), a task writing ceil(B / 48)
#: requests' matrices one after another.
FACTOR_TASKS = 48


@pl.jit.inline
def chunk_scale_rows_stage(
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
    block_table: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    chunk_scales: pl.Tensor,
):
    """``kv_scale_rows``: request b's cache-row scales in logical order, chunk by chunk: row b of
    ``chunk_scales`` [B, >= rows + 512], columns c0 .. c0 + 511 for each 512-row chunk c0 < the
    request's seen rows (its paged scales gathered a 32-row tile at a time through the block
    table; rows past the seen ones are 0 and never read). The score stage then loads a chunk's
    512 scales once per lane (module docstring)."""
    B = block_table.shape[0]
    POOL_ROWS = index_cache.shape[0] * index_cache.shape[1]
    scale_row = pl.reshape(index_cache_scale, [1, POOL_ROWS])
    chunks = (block_table.shape[1] * index_cache.shape[1] + TOPK_CHUNK - 1) // TOPK_CHUNK
    items = B * chunks
    blocks = pl.min(items, SCALE_TASKS)
    with pl.spmd(blocks, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_scale_rows"):
            for turn in pl.range((items + blocks - 1) // blocks):
                item = pl.tile.get_block_idx() + turn * blocks
                # Chunk-major items (item c * B + b), so the requests' first chunks go to
                # different blocks; a turn past the items has c0 past every row and does
                # nothing.
                b = item % B
                c0 = item // B * TOPK_CHUNK
                seen = pl.read(kv_seq_lens, [b]) // COMPRESS_RATIO
                if c0 < seen:
                    # A tile's 32 scales per row of a [16, 32] view of the chunk (an assemble
                    # takes whole rows), stored as the chunk's one row.
                    tiles = pl.full([CHUNK_TILES, CACHE_TILE], dtype=pl.FP32, value=0.0)
                    for j0 in pl.range(c0, pl.min(seen, c0 + TOPK_CHUNK), CACHE_TILE):
                        _rows, physical = tile_rows(
                            block_table, index_cache, b, j0, seen, CACHE_TILE
                        )
                        tiles = pl.assemble(
                            tiles,
                            pl.slice(scale_row, [1, CACHE_TILE], [0, physical]),
                            [(j0 - c0) // CACHE_TILE, 0],
                        )
                    chunk_scales[b : b + 1, c0 : c0 + TOPK_CHUNK] = pl.reshape(
                        tiles, [1, TOPK_CHUNK]
                    )


@pl.jit.inline
def head_factor_matrix_stage(
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    position_ids: pl.Tensor,
    factors: pl.Tensor,
):
    """``head_factor_matrix``: request b's rows b * 16 .. b * 16 + 15 of ``factors`` [B * 16,
    S * 64]: zeros, except token s's q_scale * weight (64 FP32) in row (s // half) * 8 + s %
    half, columns s * 64 .. s * 64 + 63 (module docstring)."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    per_task = (B + FACTOR_TASKS - 1) // FACTOR_TASKS
    with pl.spmd((B + per_task - 1) // per_task, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="head_factor_matrix"):
            b0 = pl.tile.get_block_idx() * per_task
            for b in pl.range(b0, pl.min(B, b0 + per_task)):
                # The zero band first; each token's row then overwrites its own 64 columns
                # (one task's stores to one tensor land in order).
                factors[b * FACTOR_ROWS : b * FACTOR_ROWS + FACTOR_ROWS, :] = pl.full(
                    [FACTOR_ROWS, position_ids.shape[1] * INDEX_N_HEADS],
                    dtype=pl.FP32,
                    value=0.0,
                )
                for s in pl.unroll(position_ids.shape[1]):
                    t = b * S + s
                    # (S + 1) // 2 tokens per lane, written so that an odd S, for which this
                    # unbuilt branch is still type-checked, divides by 1 and not by 0.
                    r = b * FACTOR_ROWS + s // ((S + 1) // LANES) * 8 + s % ((S + 1) // LANES)
                    factors[r : r + 1, s * INDEX_N_HEADS : s * INDEX_N_HEADS + INDEX_N_HEADS] = (
                        pl.mul(q_dequant_by_token[t : t + 1, :], head_weights[t : t + 1, :])
                    )


@pl.jit.inline
def score_topk_cube_stage(
    q_codes: pl.Tensor,
    factors: pl.Tensor,
    index_cache: pl.Tensor,
    chunk_scales: pl.Tensor,
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    partial: pl.Tensor,
    splits: pl.Scalar[pl.INT32],
):
    """``kv_score_topk_cube``: score_lanes.score_topk_lanes_c8's groups, lists and tie rule, with
    each tile's weighted head sums taken on the cube (module docstring). Called from a branch of
    a shape-constant ``if``: every tile extent is written into its shape list."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    POOL_ROWS = index_cache.shape[0] * index_cache.shape[1]
    cache_flat = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    # At most one block per core group, block k taking the (request, group) items k, k +
    # blocks, k + 2 blocks, ..: the launch's blocks are bounded whatever B is (each block is a
    # dispatch for the scheduler). At B 128 the 256 items were 256 blocks in 11 waves of 24;
    # now they are 24 blocks of at most 11 items each, the same items per core group.
    items = B * splits
    blocks = pl.min(items, CORE_GROUPS)
    with pl.spmd(blocks, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_score_topk_cube"):
            for turn in pl.range((items + blocks - 1) // blocks):
                item = pl.tile.get_block_idx() + turn * blocks
                # Group-major items (item g * B + b): the requests' groups that hold rows
                # (a request of fewer chunks than groups has empty ones) spread over the
                # blocks instead of sharing one (score_lanes.py says more). A turn past the
                # items has g >= splits >= groups and does nothing.
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
                    head_factors = pl.slice(
                        factors,
                        [FACTOR_ROWS, position_ids.shape[1] * INDEX_N_HEADS],
                        [b * FACTOR_ROWS, 0],
                    )
                    # The lanes' state is made in a region with a crossing (score_lanes.py says
                    # why): it pops a product of the pool's first tile, its values unused.
                    probe = pl.matmul(
                        q_rows,
                        pl.slice(cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [0, 0]),
                        out_dtype=pl.INT32,
                        b_trans=True,
                    )
                    for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                        _probe = pl.aiv_shard(probe)
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
                        chunk = pl.full(
                            [(position_ids.shape[1] + 1) // LANES * CHUNK_TILES, CACHE_TILE],
                            dtype=pl.FP32,
                            value=FP32_LOWEST,
                        )
                    for c0 in pl.range(g * group_rows, group_end, TOPK_CHUNK):
                        chunk_end = pl.min(group_end, c0 + TOPK_CHUNK)
                        # The chunk's 512 row scales in logical order (kv_scale_rows wrote
                        # them), one load per lane and chunk where each tile's 32 were one per
                        # lane and tile. A one-row tile from a region with no crossing is not
                        # halved (docs/dsl.md §4.5), so both lanes keep all 512.
                        for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                            chunk_scale = pl.slice(
                                chunk_scales, [1, TOPK_CHUNK], [b, c0 + aiv_id // LANES]
                            )
                        for j0 in pl.range(c0, chunk_end, CACHE_TILE):
                            rows, physical = tile_rows(
                                block_table, index_cache, b, j0, seen, CACHE_TILE
                            )
                            kv_codes = pl.slice(
                                cache_flat, [CACHE_TILE, INDEX_HEAD_DIM], [physical, 0]
                            )
                            acc = pl.matmul(q_rows, kv_codes, out_dtype=pl.INT32, b_trans=True)
                            # 10, the lanes' part: relu of their half of the product in FP32 (exact:
                            # |acc| <= 128 * 127 * 127 < 2 ** 24), back to the cube whole.
                            for _lane in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                                relu = pl.maximum(
                                    pl.cast(pl.aiv_shard(acc), target_type=pl.FP32, mode="rint"),
                                    0.0,
                                )
                                relu_rows = pl.aic_gather(relu)
                            # 10, the cube's part: every token's weighted head sum, one row each.
                            head_sums = pl.matmul(head_factors, relu_rows, out_dtype=pl.FP32)
                            for aiv_id in pl.split_aiv(LANES, mode=pl.SplitMode.UP_DOWN):
                                lane_zero = aiv_id // LANES
                                # The tile's 32 scales, from the chunk's row loaded above.
                                kv_scale_row = pl.slice(
                                    chunk_scale, [1, CACHE_TILE], [lane_zero, j0 - c0]
                                )
                                # The lane's 8 rows of sums times the rows' kv scales; row s2 is
                                # its token s2's (the other rows are zero).
                                scores = pl.col_expand_mul(pl.aiv_shard(head_sums), kv_scale_row)
                                for s2 in pl.unroll(S // LANES):
                                    visible = (
                                        pl.read(token_positions, [0, s2]) + 1
                                    ) // COMPRESS_RATIO
                                    token_rows = pl.max(pl.min(rows, visible - j0), 0)
                                    # The row's visible columns (pypto narrows a view only at
                                    # the slice, not by pl.set_validshape).
                                    row_scores = pl.slice(
                                        scores,
                                        [1, CACHE_TILE],
                                        [s2, 0],
                                        valid_shape=[1, token_rows],
                                    )
                                    chunk = pl.assemble(
                                        chunk,
                                        row_scores,
                                        [s2 * CHUNK_TILES + (j0 - c0) // CACHE_TILE, 0],
                                    )
                                # 11a after the chunk's last tile (score_lanes.py): each of the
                                # lane's tokens' chunk row sorted into its running list.
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
def score_topk_cube_c8(
    q_codes: pl.Tensor,
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    factors: pl.Tensor,
    chunk_scales: pl.Tensor,
    partial: pl.Tensor,
    splits: pl.Scalar[pl.INT32],
):
    """Stages 8-11a, c8, for a top-k-only step (score_lanes.score_topk_c8 chooses it and makes
    ``factors`` [B * 16, S * 64] and ``chunk_scales`` [B, >= rows + 512] FP32): the cache-row
    scales in logical order, the head-factor matrices, then the score stage that takes each
    tile's head sums on the cube."""
    chunk_scale_rows_stage(index_cache, index_cache_scale, block_table, kv_seq_lens, chunk_scales)
    head_factor_matrix_stage(q_dequant_by_token, head_weights, position_ids, factors)
    score_topk_cube_stage(
        q_codes, factors, index_cache, chunk_scales, block_table, position_ids,
        kv_seq_lens, partial, splits,
    )  # fmt: skip
