"""The decode indexer's stages 8-11 with top-k fused into scoring: per request and group of
cache chunks, score the chunk's rows for the step's tokens on chip and sort them straight into
the group's partial top-k lists; then one merge per token. ``@pl.jit.inline`` functions called
by the entry points in kernels/decode_indexer.py (parameter meanings there).

Why fused: the top-k needs a token's scores, not a score row in GM. Each score task keeps a
[S, 512] chunk of scores and [S, 2 * index_topk] running (score, index) lists in UB, so a
serving step writes only the partial lists (2 * index_topk FP32 per token and group) to GM.
Scores reach GM only when the caller asks for them (``keep_scores`` = 1: the harness, which
compares them); then each chunk row is also stored, 2 KiB at a time.

Stages (pl.at name_hints):
- kv_score_topk: one mixed task per (request, group of 512-row chunks). Per 32-row cache tile
  (its rows from the block the table names): INT8 codes and FP32 row scales as the c8 pool
  stores them (a c16 step's rows are quantized into such a pool first, kernels/cache_quant.py),
  one INT32 matmul [tile, 128] x [128, S * 64], then relu(acc) * (q_scale * weight) on the whole
  [tile, S * 64] accumulator for all S tokens at once (the tokens' head factors q_scale *
  weight one row, formed once per task), the sum over each token's 64 heads as a row sum of the
  tile read as [tile * S, 64], and each token's tile sums gathered, times the rows' kv scales,
  into its chunk row (lowest FP32 on rows it may not see): the score policy of docs/indexer.md,
  step 10. Per tile that is 4 element-ops per (row, token, head) and three DMA transfers (the
  block's table entry, its codes, its scales). Per full chunk and token: sort32, two mrgsorts,
  merged into the token's list. At the end each token's list goes to ``partial``.
- topk_merge: one task per token: merge its groups' lists in group (= index) order, then
  indices + offset, -1 where unused.

Top-k ties: sort32 and mrgsort keep the earlier (smaller) index first on equal scores, the
chunk merge puts the running list (smaller indices) first, and the final merge takes groups in
index order, so equal scores always resolve to the smaller cache index (docs/dsl.md, 12).
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
)

# --- Tiling (one-line reason each) ------------------------------------------------------------
# Cache rows per score tile: 32, or 16 for a block size that is an odd multiple of 16 (a tile
# never straddles two blocks) and, in the decode score stages, for S >= 3 tokens (the stage's
# [tile, S * 64] FP32 epilogue temporaries). The cube->vector ring holds 2 slots of the
# [tile, S*H <= 256] INT32 accumulator; 32 rows are also the INT32 L0C row alignment of a2a3.
CACHE_TILE = 32
# Score tasks to aim for: 2 per AIC (24 on a2a3), so the vector work spreads over all 48 AIVs;
# a request's chunks are split into at most SCORE_TASKS / B groups, rounded up, or rounded down
# where that takes fewer waves of the CORE_GROUPS per group's share of a request (the tasks run
# one per core group at a time: B 7 runs 6 groups each, 42 tasks in 2 waves, not 7 in 49 tasks
# and 3 waves, the last of one task; B 5, 9 - 11, 13 - 15 likewise: wave_filling_groups), and
# above SCORE_TASKS requests into 2 when B tasks would leave the last wave of the CORE_GROUPS half
# empty or less (B % 24 in 1..12; the stages run one task per core group at a time: B 128 runs
# 256 tasks in 11 waves of 24, not 128 in 6); then, at an odd number of tokens per request, an
# odd count is doubled, so that the two-AIV groups stage (score_pairs.py, S 1 and 3: two groups
# per task, one per AIV) never leaves an AIV without a group (B 16: 6 groups, 48 tasks of two,
# not 3 in 32 tasks with 16 AIVs idle; B 64: 2, not 1 with every second AIV idle). At S 2 and 4
# the count stays as it is (the tokens stage splits tokens, not groups: B 16 S 2 64k modeled
# 143.6 us with the doubling, 140.4 without, on the cost model's constants before its 2026-12-07
# recalibration). score_lanes.score_topk_c8 counts it once for the
# score stages and topk_merge, which must agree on it, and passes it to each.
SCORE_TASKS = 48
CORE_GROUPS = 24
# Groups per request are then doubled, or quadrupled (multiplied_groups), where that lowers waves x
# (2 x chunks / groups + 1): the waves of the launch (ceil(B x groups / per wave), CORE_GROUPS
# groups at a time, twice that at odd S where a task holds two) times a group's share of a request's
# block-table row, its 512-row chunks, plus a fixed half chunk per group for its launch, q rows,
# list store and the list it adds to the merge. The wave count is the cost model's (an SPMD launch
# of N blocks runs in ceil(N / cores) waves over which the stage's work is spread,
# plsim/scheduling.py); half a chunk is what the model shows at 64k (FLASH B 25 S 1 c8: 8 groups and
# 16 model 157.5 and 157.2 us, 2 groups 217.6, on the constants before the recalibration; not
# re-tuned since). Only up to GROUP_CAP groups in all, which bounds the list scratch
# (score_lanes.score_topk_c8). The chunks are the most a request can see, so the count follows
# from shapes alone. Between 17 and 47 requests at long context the last wave of the count above was
# mostly idle: FLASH B 25 S 1 64k, 50 groups in 2 waves of 48 -> 8 per request, 200 in 5 waves of a
# quarter the rows; B 17 S 2 64k, 51 in 3 waves of 24 -> 12.
GROUP_CAP = 256
# A selection in integer ops on shape constants: (d + PICK_RANGE) // (PICK_RANGE + 1) is 1 for
# 1 <= d <= PICK_RANGE and 0 for -PICK_RANGE <= d <= 0. The scaled costs stay inside that range
# (under 800k at B 512 with 2048 chunks, a 4M-position request).
PICK_RANGE = 1 << 22
# topk_merge's tasks to aim for: one per AIV (48 on a2a3), a task merging ceil(T / 48) tokens'
# lists one after another (B 128 S 4: 47 tasks of 11 tokens, not 512 of one).
MERGE_TASKS = 48
# Top-k chunk: sort32 + two format-1 mrgsorts fully sort 512 values (1024 pair columns =
# 4 * 256), which format-2 mrgsort then merges into the running top-k list. Score groups are
# whole chunks, so every chunk is sorted by the task that scored it.
TOPK_CHUNK = 512
# Sentinel fill width beyond the seen chunks (scores requested only): 512 FP32 = 2 KiB per
# store (score rows are a multiple of 512).
SENTINEL_WIDTH = TOPK_CHUNK
# Head of a merged list: mrgsort's output is wider than the running list, and its first TOPK2
# columns are taken through a row view ([width / 16, 16], the leading rows, back to one row).
# A column slice of a row-major tile keeps the parent's row stride, and ptoas refuses to move
# it into a narrower tile ("A2/A3 non-mat tmov ... matching src/dst shapes"; pypto issue #2717);
# leading rows of a row-major tile are contiguous, so the row view is the same bytes. 16 FP32
# columns (64 B rows, 32-byte aligned) divide every list width: 2 * index_topk (a multiple of
# 16, index_topk being a multiple of 8) and the 1024 pair columns of a sorted chunk.
HEAD_COLS = 16
# Columns of the top-k-only entries' score placeholder ([1, 520] FP32, never written): a width
# no score tensor has (theirs are multiples of 512), so `W % 512 != 0` tells the score stages
# they serve the top-k-only entry at every batch, B 1 S 1 included, where a kept score tensor
# also has one row.
NO_SCORE_COLS = TOPK_CHUNK + 8


@pl.jit.inline
def wave_filling_groups(
    B: pl.Scalar[pl.INT32],
    tasks: pl.Scalar[pl.INT32],
    per_wave: pl.Scalar[pl.INT32],
):
    """Groups per request for about ``tasks`` tasks in all: ceil(tasks / B), or floor(tasks /
    B) where B x that takes fewer waves of ``per_wave`` tasks per group's share of a request
    (SCORE_TASKS above). In integer ops: the PICK_RANGE selection is 1 when d = waves * fewer -
    waves_fewer * splits >= 1 and 0 when d <= 0, |d| staying far below PICK_RANGE."""
    splits = (tasks + B - 1) // B
    fewer = tasks // B + 1 // (tasks // B + 1)
    waves = (B * splits + per_wave - 1) // per_wave
    waves_fewer = (B * fewer + per_wave - 1) // per_wave
    pick = (waves * fewer - waves_fewer * splits + PICK_RANGE) // (PICK_RANGE + 1)
    return splits - (splits - fewer) * pick


@pl.jit.inline
def multiplied_groups(
    B: pl.Scalar[pl.INT32],
    splits: pl.Scalar[pl.INT32],
    chunks: pl.Scalar[pl.INT32],
    per_wave: pl.Scalar[pl.INT32],
):
    """``splits``, twice it or four times it: the cheapest by waves x (2 x chunks / groups + 1)
    of B requests' groups, ``per_wave`` groups at a time, a request at most ``chunks`` 512-row
    chunks; a multiple only when it costs strictly less and keeps B x groups within GROUP_CAP
    (GROUP_CAP above). Each cost is scaled by 4 x splits to stay in integers; `two` / `four`
    are 1 exactly when that candidate wins (each operand of // non-negative by construction)."""
    cost = (B * splits + per_wave - 1) // per_wave * (2 * chunks + splits) * 4
    cost_two = (B * splits * 2 + per_wave - 1) // per_wave * (2 * chunks + splits * 2) * 2
    cost_four = (B * splits * 4 + per_wave - 1) // per_wave * (2 * chunks + splits * 4)
    two = (cost - cost_two + PICK_RANGE) // (PICK_RANGE + 1)
    two = two * ((GROUP_CAP - B * splits * 2 + PICK_RANGE + 1) // (PICK_RANGE + 1))
    cost = cost + (cost_two - cost) * two
    four = (cost - cost_four + PICK_RANGE) // (PICK_RANGE + 1)
    four = four * ((GROUP_CAP - B * splits * 4 + PICK_RANGE + 1) // (PICK_RANGE + 1))
    return splits * (1 + two + (3 - two) * four)


@pl.jit.inline
def score_groups(
    kv_seq_lens: pl.Tensor,
    b: pl.Scalar[pl.INT32],
    splits: pl.Scalar[pl.INT32],
):
    """(seen rows, chunks, groups, rows per group) of request b: its seen rows (kv_seq_lens //
    4) in 512-row chunks, split into at most ``splits`` groups of whole chunks (at least one
    group, so a padded request still writes its lists)."""
    seen = pl.read(kv_seq_lens, [b]) // COMPRESS_RATIO
    chunks = (seen + TOPK_CHUNK - 1) // TOPK_CHUNK
    group_chunks = pl.max((chunks + splits - 1) // splits, 1)
    groups = pl.max((chunks + group_chunks - 1) // group_chunks, 1)
    return seen, chunks, groups, group_chunks * TOPK_CHUNK


@pl.jit.inline
def head_column_index(index_cache: pl.Tensor):
    """[tile, 64] INT32 whose column h holds h in every row: a score tile's accumulator
    [tile, tokens * 64] has token s's head columns at these + s * 64 (gathered, not sliced:
    ptoas refuses a column window of the accumulator). tile: the score tile's rows for
    index_cache's block size, written into the shape list: in a helper a local holding it is
    a run-time scalar, which tile shapes refuse (docs/dsl.md §14, "Inline helpers")."""
    head_columns = pl.cast(
        pl.col_expand_add(
            pl.full(
                [CACHE_TILE - index_cache.shape[1] % CACHE_TILE, INDEX_N_HEADS],
                dtype=pl.FP32,
                value=0.0,
            ),
            pl.cast(pl.arange(0, [1, INDEX_N_HEADS], dtype=pl.INT32), pl.FP32),
        ),
        pl.INT32,
    )
    return head_columns


@pl.jit.inline
def tile_rows(
    block_table: pl.Tensor,
    index_cache: pl.Tensor,
    b: pl.Scalar[pl.INT32],
    j0: pl.Scalar[pl.INDEX],
    seen: pl.Scalar[pl.INDEX],
    tile: pl.Scalar[pl.INDEX],
):
    """(valid rows, pool row) of the ``tile``-row score tile at request b's logical cache row j0
    (j0 < seen, a multiple of the tile, which divides the block size): its rows lie in one
    block, the one block_table names."""
    BS = index_cache.shape[1]
    rows = pl.min(tile, seen - j0)
    block = pl.read(block_table, [b, j0 // BS])
    physical = block * BS + j0 % BS
    return rows, physical


@pl.jit.inline
def sentinel_tail(
    score_tokens: pl.Tensor,
    b: pl.Scalar[pl.INT32],
    S: pl.Scalar[pl.INT32],
    tail_start: pl.Scalar[pl.INT32],
    last: pl.Scalar[pl.INT32],
):
    """Lowest FP32 in score columns [tail_start, W) of request b's S tokens when ``last`` is
    1, nothing when it is 0 (inside a scope; tail_start a multiple of 512)."""
    W = score_tokens.shape[1]
    tail_end = tail_start + (W - tail_start) * last
    for s in pl.range(S):
        t = b * S + s
        wide = pl.full([1, SENTINEL_WIDTH], dtype=pl.FP32, value=FP32_LOWEST)
        for j1 in pl.range(tail_start, tail_end, SENTINEL_WIDTH):
            score_tokens[t : t + 1, j1 : j1 + SENTINEL_WIDTH] = wide


@pl.jit.inline
def score_topk_stage_c8(
    q_codes: pl.Tensor,
    q_dequant_by_token: pl.Tensor,
    head_weights: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,  # format
    block_table: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    partial: pl.Tensor,
    score_tokens: pl.Tensor,
    keep_scores: pl.Scalar[pl.INT32],
    splits: pl.Scalar[pl.INT32],
):
    """Stages 8-11a, c8: each tile's stored INT8 codes and FP32 scales read as they are, scored,
    and sorted into the group's partial top-k lists (module docstring); ``splits`` groups per
    request (score_lanes.score_topk_c8 computes the count)."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    BS = index_cache.shape[1]
    POOL_ROWS = index_cache.shape[0] * BS
    TOPK2 = partial.shape[1]
    # 32 rows, or 16 when BS is an odd multiple of 16 or S >= 3 (stage 10's [tile, S * 64] FP32
    # temporaries beside the ring: pypto allocated 227,616 of 188,416 UB bytes at S 4, 32 rows).
    tile = CACHE_TILE - CACHE_TILE // 2 * ((BS % CACHE_TILE // 16 + S // 3 + 1) // 2)
    # A token's chunk of scores is held as chunk_tiles rows of `tile` (one row per cache tile,
    # so each tile's sums fill a whole row; its 512 values are those rows read as one row).
    chunk_tiles = TOPK_CHUNK // tile
    STEP_HEADS = S * INDEX_N_HEADS
    cache_flat = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    TOKEN_HEADS = q_dequant_by_token.shape[0] * INDEX_N_HEADS
    q_scale_rows = pl.reshape(q_dequant_by_token, [1, TOKEN_HEADS])
    weight_rows = pl.reshape(head_weights, [1, TOKEN_HEADS])
    scale_row = pl.reshape(index_cache_scale, [1, POOL_ROWS])  # format
    # `lanes` is 1 when score_lanes.score_topk_c8 runs a two-AIV stage  # format
    # instead (blocks of a multiple of 32 rows, the top-k-only entry's  # format
    # score placeholder, NO_SCORE_COLS; the same expression there): this stage then  # format
    # runs one block that does nothing (the runtime refuses 0 blocks).  # format
    lanes = 1 - (BS % CACHE_TILE + 31) // 32  # format
    lanes = lanes * ((score_tokens.shape[1] % TOPK_CHUNK + 7) // 8)  # format
    # One SPMD dispatch of B * splits blocks, block (b, g) for request b's group g; a block past
    # its request's groups does nothing (the merge reads only the groups that exist).
    with pl.spmd(B * splits * (1 - lanes) + lanes, allow_early_resolve=True):  # format
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_score_topk"):  # format
            b = pl.tile.get_block_idx() // splits
            g = pl.tile.get_block_idx() % splits
            seen, chunks, groups, group_rows = score_groups(kv_seq_lens, b, splits)
            group_end = pl.min(seen, (g + 1) * group_rows)
            if g < groups * (1 - lanes):  # format
                q_rows = q_codes[b * STEP_HEADS : b * STEP_HEADS + STEP_HEADS, :]
                # The step's per-token operands, loaded once per task, not once per cache tile
                # and token: the S tokens' q dequant scales and head weights as one row each
                # (token s's head h at column s * 64 + h, as in the accumulator) and their
                # positions (read back on chip; the tile padded to 8 columns, 32 bytes).
                q_scale_row = q_scale_rows[0:1, b * STEP_HEADS : b * STEP_HEADS + STEP_HEADS]
                weight_row = weight_rows[0:1, b * STEP_HEADS : b * STEP_HEADS + STEP_HEADS]
                token_positions = pl.slice(position_ids, [1, 8], [b, 0], valid_shape=[1, S])
                # Each head's score factor q_scale * weight, once per task (the golden's
                # score_head_factors): relu(acc) times it needs no per-tile dequant product.
                head_factor_row = pl.mul(q_scale_row, weight_row)
                # Token s's head sum of tile row i is column i * S + s of the tile's head sums.
                sum_columns = pl.cast(
                    pl.mul(pl.cast(pl.arange(0, [1, tile], dtype=pl.INT32), pl.FP32), S * 1.0),
                    pl.INT32,
                )
                best = pl.full([S, TOPK2], dtype=pl.FP32, value=FP32_LOWEST)
                # Each chunk starts all sentinel, so the rows its tiles do not reach (beyond
                # seen, or beyond what a token may see) sort last. Reset at the end of each
                # chunk, not redefined at its start: the compiler's codegen loses a tile that is
                # redefined in an outer loop and assembled in an inner one ("no MLIR mapping").
                chunk = pl.full([S * chunk_tiles, tile], dtype=pl.FP32, value=FP32_LOWEST)
                for c0 in pl.range(g * group_rows, group_end, TOPK_CHUNK):
                    for j0 in pl.range(c0, pl.min(group_end, c0 + TOPK_CHUNK), tile):
                        rows, physical = tile_rows(block_table, index_cache, b, j0, seen, tile)
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
                        # 10: kv_scale * sum_h relu(acc) * (q_scale * weight) for all S tokens
                        # at once on the [tile, S * 64] accumulator, the sum over each token's
                        # 64 columns taken on its rows read as [tile * S, 64] (row i * S + s:
                        # tile row i, token s); then each token's sums gathered, times the rows'
                        # scales, into its chunk row on the rows it may see (the rest of the row
                        # keeps the sentinel).
                        weighted = pl.col_expand_mul(pl.maximum(acc_all, 0.0), head_factor_row)
                        # Valid rows made the whole tile for the reshape (the compiler reshapes
                        # only a tile of constant valid rows): the sums of rows past `rows` are
                        # never assembled (token_rows <= rows).
                        whole = pl.set_validshape(weighted, tile, STEP_HEADS)
                        head_sums = pl.reshape(
                            pl.row_sum(pl.reshape(whole, [tile * S, INDEX_N_HEADS])),
                            [1, tile * S],
                        )
                        for s in pl.range(S):
                            visible = (pl.read(token_positions, [0, s]) + 1) // COMPRESS_RATIO
                            row_sums = pl.gather(
                                head_sums, dim=-1, index=pl.add(sum_columns, pl.cast(s, pl.INT32))
                            )
                            row_scores = pl.mul(row_sums, kv_scale_row)
                            token_rows = pl.max(pl.min(rows, visible - j0), 0)
                            chunk = pl.assemble(
                                chunk,
                                pl.set_validshape(row_scores, 1, token_rows),
                                [s * chunk_tiles + (j0 - c0) // tile, 0],
                            )
                    # 11a: each token's chunk row sorted and merged into its running list.
                    for s in pl.range(S):
                        t = b * S + s
                        row = pl.slice(pl.reshape(chunk, [S, TOPK_CHUNK]), [1, TOPK_CHUNK], [s, 0])
                        for _keep in pl.range(keep_scores):
                            score_tokens[t : t + 1, c0 : c0 + TOPK_CHUNK] = row
                        row_idx = pl.arange(
                            pl.cast(c0, pl.UINT32), [1, TOPK_CHUNK], dtype=pl.UINT32
                        )
                        pairs = pl.sort32(row, row_idx)
                        pairs = pl.mrgsort(pairs, block_len=64)
                        pairs = pl.mrgsort(pairs, block_len=256)
                        merged = pl.mrgsort(pl.slice(best, [1, TOPK2], [s, 0]), pairs)
                        merged_rows = pl.reshape(
                            merged, [(TOPK2 + 2 * TOPK_CHUNK) // HEAD_COLS, HEAD_COLS]
                        )
                        head = pl.reshape(merged_rows[0 : TOPK2 // HEAD_COLS, :], [1, TOPK2])
                        best = pl.assemble(best, head, [s, 0])
                    chunk = pl.assemble(
                        chunk,
                        pl.full([S * chunk_tiles, tile], dtype=pl.FP32, value=FP32_LOWEST),
                        [0, 0],
                    )
                for s in pl.range(S):
                    list_row = (b * splits + g) * S + s
                    partial[list_row : list_row + 1, :] = pl.slice(best, [1, TOPK2], [s, 0])
                # The last group also fills the sentinel tail when scores are kept; elsewhere its
                # loops run empty.
                last_group = (g + 1) // groups  # 1 for g == groups - 1 (g < groups here)
                sentinel_tail(score_tokens, b, S, chunks * TOPK_CHUNK, last_group * keep_scores)


@pl.jit.inline
def topk_merge_stage(
    partial: pl.Tensor,
    topk_tokens: pl.Tensor,
    position_ids: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    topk_offset: pl.Tensor,
    splits: pl.Scalar[pl.INT32],
):
    """Stage 11b, per token: merge the partial lists of the groups that hold rows it may see, in
    group order, three more lists per four-list mrgsort; k = min(index_topk, visible) indices +
    topk_offset[b, s], -1 after them (and everywhere for a token that sees nothing). A task
    takes ceil(T / MERGE_TASKS) tokens one after another (one token per task up to T = 48)."""
    B = position_ids.shape[0]
    S = position_ids.shape[1]
    T = B * S
    TOPK = topk_tokens.shape[1]
    TOPK2 = partial.shape[1]
    merge_tokens = (T + MERGE_TASKS - 1) // MERGE_TASKS
    with pl.spmd((T + merge_tokens - 1) // merge_tokens, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="topk_merge"):
            t_first = pl.tile.get_block_idx() * merge_tokens
            for token_step in pl.range(merge_tokens):
                # The last task's steps past T redo token T - 1 (the same row stored again).
                t = pl.min(t_first + token_step, T - 1)
                b = t // S
                s = t % S
                _seen_rows, _chunk_count, groups, group_rows = score_groups(kv_seq_lens, b, splits)
                visible = (pl.read(position_ids, [b, s]) + 1) // COMPRESS_RATIO
                used = pl.min(groups, (visible + group_rows - 1) // group_rows)
                k = pl.min(TOPK, visible)
                first = b * splits * S + s
                if visible > 0:
                    # Names of their own: the score stage's `best`/`merged` have other shapes
                    # and the parser refuses rebinding a name with another shape in one
                    # function.
                    token_best = partial[first : first + 1, :]
                    # Three more groups' lists per merge (mrgsort's four-list form: a third
                    # fewer merged elements than one list at a time, the same order, since
                    # equal scores take the earlier list, the smaller cache index, either way).
                    # Two merges per step (pl.pipeline, stage 2): the next three lists load
                    # while this merge runs.
                    triples = (used - 1) // 3
                    for step in pl.pipeline(0, triples, 1, stage=2):
                        list_row = first + (3 * step + 1) * S
                        merged_four = pl.mrgsort(
                            token_best,
                            partial[list_row : list_row + 1, :],
                            partial[list_row + S : list_row + S + 1, :],
                            partial[list_row + 2 * S : list_row + 2 * S + 1, :],
                        )
                        four_rows_view = pl.reshape(
                            merged_four, [4 * TOPK2 // HEAD_COLS, HEAD_COLS]
                        )
                        token_best = pl.reshape(
                            four_rows_view[0 : TOPK2 // HEAD_COLS, :], [1, TOPK2]
                        )
                    # The one or two lists left.
                    tail_row = first + (3 * triples + 1) * S
                    if used - 1 - 3 * triples == 2:
                        merged_three = pl.mrgsort(
                            token_best,
                            partial[tail_row : tail_row + 1, :],
                            partial[tail_row + S : tail_row + S + 1, :],
                        )
                        three_rows_view = pl.reshape(
                            merged_three, [3 * TOPK2 // HEAD_COLS, HEAD_COLS]
                        )
                        token_best = pl.reshape(
                            three_rows_view[0 : TOPK2 // HEAD_COLS, :], [1, TOPK2]
                        )
                    if used - 1 - 3 * triples == 1:
                        merged_two = pl.mrgsort(token_best, partial[tail_row : tail_row + 1, :])
                        two_rows_view = pl.reshape(merged_two, [2 * TOPK2 // HEAD_COLS, HEAD_COLS])
                        token_best = pl.reshape(
                            two_rows_view[0 : TOPK2 // HEAD_COLS, :], [1, TOPK2]
                        )
                    top_idx = pl.gather(
                        token_best, mask_pattern=pl.tile.MaskPattern.P1010, output_dtype=pl.INT32
                    )
                    # valid slots: index + the token's offset (data: one artifact serves every
                    # offset); the rest: 0 after fillpad, -1 after the shift.
                    shift = pl.read(topk_offset, [b, s])
                    shifted = pl.add(pl.add(top_idx, shift), 1)
                    padded_idx = pl.fillpad(
                        pl.set_validshape(shifted, 1, k), pad_value=pl.PadValue.zero
                    )
                    topk_tokens[t : t + 1, :] = pl.sub(padded_idx, 1)
                else:
                    topk_tokens[t : t + 1, :] = pl.full([1, TOPK], dtype=pl.INT32, value=-1)
