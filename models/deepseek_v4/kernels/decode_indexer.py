"""DeepSeek-V4 decode lightning indexer, W8A8 with a C16 or C8 cache, as pypto kernels on the
serving contract of contract/decode.py.

One decode step of S = 1..4 tokens per request for B = 1..128 requests at independent
positions: INT8 weights and activations, a paged compressed cache (c16: BF16 rows quantized to
INT8 per row at score time; c8: INT8 rows with an FP32 per-row dequant scale, quantized once by
the compressor), INT32 accumulation and explicit FP32 dequant scales. The quant policy is
reference/quant.py; the golden is ``indexer_paged_golden`` in reference/decode_indexer.py.

Entry points: ``indexer_c16`` and ``indexer_c8`` (scores requested: they also return the score
rows, which the harness compares) and the serving ones ``indexer_topk_c16`` and
``indexer_topk_c8`` (the same parameters without ``score``; top-k only, no score row written to
GM). Parameters in this order (every shape is taken from the call; H = 64 heads of Dh = 128 are
fixed):

    x             [B, S, D]                  BF16   the step's hidden states
    qr            [B, S, Q_LORA]             BF16   low-rank query (before wq_b)
    wq_b          [Q_LORA, H * Dh]           INT8   per-output-channel INT8 weight
    wq_b_scale    [H * Dh]                   FP32   its per-channel dequant scale
    weights_proj  [D, H]                     BF16   head-weights projection
    rope_cos      [P, 32]                    FP32   cos of every position (compressed-layer rope)
    rope_sin      [P, 32]                    FP32   sin of every position
    hadamard      [128, 128]                 BF16   BF16(normalized Sylvester Hadamard)
    wkv, wgate    [D, 256]                   BF16   compressor projections
    ape           [4, 256]                   FP32   compressor position bias
    norm_weight   [128]                      BF16   compressor RMSNorm weight
    position_ids  [B, S]                     INT32  token positions (-1: padded request)
    kv_seq_lens   [B]                        INT32  tokens per request after the step (0: padded)
    block_table   [B, MAX_BLOCKS]            INT32  physical block of each logical cache block
    slot_mapping  [B, S]                     INT32  cache slot the compressor writes, or -1
    state_slots   [B]                        INT32  compressor state pool slot (-1: padded)
    kv_state      [NS, 8, 256]               FP32   InOut compressor state pool
    score_state   [NS, 8, 256]               FP32   InOut compressor state pool
    index_cache   [NB, BS, 128]              BF16 (c16) / INT8 (c8)  InOut block pool
    index_cache_scale [NB, BS]               FP32   InOut, c8 only: per-row dequant scale
    score         [B, S, W]                  FP32   Out (indexer_c16/_c8 only), logical row order,
                                                    W >= MAX_BLOCKS * BS a multiple of 512
                                                    (lowest FP32 where unseen)
    topk_idxs     [B, S, index_topk]         INT32  Out (cache index + offset; -1 where unused)
    topk_offset   [B, S]                     INT32  added to token (b, s)'s top-k indices (the
                                                    sliding window, 128, in DeepSeek-V4's decode)

Everything that changes from step to step (positions, lengths, table, mappings, slots, top-k
offsets) is tensor data read with pl.read: one compiled artifact per (B, S, shapes, format).

Stages (pl.at name_hints): qr_quant (1), qr_proj (2, with the head weights (6) as the last
blocks of its launch; a step of at most 32 tokens: qr_proj_parts over K parts), qr_rope (3,
vector: a task per token at the token's own position; per half token in short steps, per
ceil(T / 48) tokens above 48; qr_dequant_rope after qr_proj_parts: the K parts added and
dequantized first), qr_hadamard_quant (4-5, mixed, its vector work on both AIVs of a core
group; per ceil(T / 24) tokens above 24), the compressor's stages (7,
kernels/decode_compressor.py), c16 kv_cache_quant (8: the rows scored, quantized per row into
a c8-shaped scratch pool, kernels/cache_quant.py), kv_score_topk (8-11a, one mixed task per
request and group of 512-row cache chunks: scores kept on chip and sorted into the group's
partial top-k lists; each tile's rows come from the block the table names; kv_score_topk_lanes
/ kv_score_topk_pairs on both AIVs for top-k-only steps, kernels/score_lanes.py; at 4 tokens
per request kv_scale_rows and head_factor_matrix, then kv_score_topk_cube with the head sums
on the cube, kernels/score_cube.py) and topk_merge (11b, one merge per token, ceil(T / 48)
tokens per task), in kernels/score.py.
``topk_stage`` below is the score-row top-k the prefill kernels use.

Scheduling: every stage's launch is flagged ``allow_early_resolve=True``, pypto's scheduling
hint (its docs, user/tasks/03-tuning.md: results unaffected; a consumer is pre-staged on an idle
core once all of its producers are flagged, and released the moment they finish). A decode step
is a chain of short stages, so each link skips its consumer's pickup.

Visibility: token (b, s) at position p sees logical cache rows j < (p + 1) // 4. The compressor
runs before scoring, so a window closed by token s' is visible to tokens s >= s' only. A padded
request scores nothing: its score rows are the sentinel and its top-k rows -1.

Top-k: k = min(index_topk, visible) rows by descending score; equal scores take the smaller
cache index first. Values are logical cache index + topk_offset[b, s], unused slots -1.

Supported sizes: block size BS a multiple of 16 (score tiles of 32 rows when BS % 32 == 0, else
16), W a multiple of 512, Q_LORA and D multiples of their K tiles (128 and 256), index_topk a
multiple of 8.
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    AMAX_FLOOR,
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    INT8_MAX,
    MAX_TOKENS_PER_STEP,
    NOPE_DIM,
    ROPE_DIM,
)
from models.deepseek_v4.kernels.cache_quant import quantize_cache_rows
from models.deepseek_v4.kernels.decode_compressor import (
    K_SPLIT,
    PROJ_WIDTH,
    SAVED_ROWS,
    compress_step_c8,
    compress_step_c16,
    project_step,
    write_back_step,
)
from models.deepseek_v4.kernels.score import (
    HEAD_COLS,
    NO_SCORE_COLS,
    TOPK_CHUNK,
)
from models.deepseek_v4.kernels.score_lanes import score_topk_c8

# --- Quant policy (config.py, the same numbers as reference/quant.py) --------------------------
# Quant scale numerator: 127 / amax is one FP32 division (reference/quant.py). The compiler's layout
# pass rejects a pl.full([N, 1]) numerator against a row_max result (a column vector in another
# layout), so the numerator is derived from amax itself: amax * 0 + 127 is exactly 127 for every
# finite amax >= AMAX_FLOOR.
WEIGHTS_SCALE = INDEX_HEAD_DIM**-0.5 * INDEX_N_HEADS**-0.5  # Dh^-0.5 * H^-0.5
Q_WIDTH = INDEX_N_HEADS * INDEX_HEAD_DIM  # output width of wq_b
ROPE_PAIRS = ROPE_DIM // 2  # interleaved (even, odd) pairs = cos/sin columns
ROPE_PAIRS_FP32 = ROPE_PAIRS * 1.0  # the same count as an FP32 tile operand

# --- Tiling (one-line reason each) ------------------------------------------------------------
# qr_quant rows: [8, Q_LORA <= 1536] FP32 tiles are 48 KiB; at most two of them plus the BF16
# load are live at once in the quant chain (~120 KiB), inside the 184 KiB UB.
QR_QUANT_ROWS = 8
# qr_quant's blocks to aim for: 8, a block quantizing ceil(T / 8) rows, at most
# QR_QUANT_BLOCK_ROWS (two tiles; ceil(T / 16) blocks above T = 128). A row is about 7 vector
# element-ops per Q_LORA column (7k at FLASH) and each block one hand-out of the launch's
# serial fan-out; the launch waits on the slowest block, so a step's rows are cheaper in a few
# blocks of several rows than in a block per row (B 16 S 2: 32 blocks of one row were 7 of
# the stage's 11 us in hand-outs).
QR_QUANT_BLOCKS = 8
QR_QUANT_BLOCK_ROWS = 16
# qr_rope's tasks to aim for at large steps: one per AIV (48 on a2a3), a task taking
# ceil(T / 48) tokens one after another (the stage's column index rows built once per task, not
# once per token; B 128 S 4: 47 tasks of 11 tokens, not 512 of one).
ROPE_TASKS = 48
# qr_hadamard_quant's tasks to aim for at large steps: 1 per core group (24 on a2a3), each on
# both of its AIVs (pl.split(UP_DOWN)), a task taking ceil(T / 24) tokens one after another.
HAD_TASKS = 24
# qr_rope's head rows per step: a task's heads of a token (64, or 32 when a token's heads are
# split over two tasks) in steps of 32, so the partner index (an INT32 tile of the step's
# shape) is built once per task and held in UB across the steps (a [64, 128] one overflowed
# pypto's UB plan when RoPE shared its stage with the Hadamard and the quantization).
ROPE_STEP_HEADS = 32
# Most token rows per weights_proj task ([64, 64] FP32 accumulator).
PROJ_MAX_ROWS = 64
# Most token rows per iteration of a fused qr_proj task's token loop (every tile against the
# task's wq_b window held in L1): 32 rows leave room for 256-column windows (QPROJ_ACC_ELEMS),
# whose 256-byte wq_b rows are half as many DMA segments as 64-row tiles' 128-column windows
# (B 128 S 4: 99,392 -> 50,208 segments, 32 tasks instead of 64, codes read 32 times, not 64).
QPROJ_MAX_ROWS = 32
# Cube fractal M0: projection token tiles are the token count rounded up to 16 rows (T = 1 ->
# 16 rows, not 64), so a decode token does not pay for 64 padded rows of cube work.
CUBE_M = 16
# wq_b K tile: a [128, N] INT8 slice of the task's [Q_LORA, N] window in L1 (at most 1536 x 256
# = 384 KiB of the 512 KiB); K = 128 is a multiple of 16 (and of the 32-byte INT8 fractal).
QPROJ_K_TILE = 128
# wq_b N tile: the INT32 accumulator [rows rounded up to 32 (a2a3 INT32 L0C row alignment), N]
# is at most 32 KiB: N = 256 (token tiles of at most QPROJ_MAX_ROWS = 32 rows). The bound is the
# UB, not L0C: the vector dequant pops the accumulator through the cube->vector ring, 2 slots of
# the whole tile reserved in UB before its FP32 copies (64 KiB tiles would need 2 x 64 + 64 KiB).
QPROJ_ACC_ELEMS = 8192
ACC_INT32_ROW_ALIGN = 32  # a2a3 L0C stores INT32 accumulators in 32-row blocks
# A step of at most 32 tokens (one token tile of 16 or 32 rows) takes qr_proj as a cube stage
# over 1024-column windows (1024-byte wq_b rows: one DMA burst each, where the fused form's
# 256-byte rows at 32 tokens cost a burst for a quarter of the bytes; the [16 or 32, 1024] INT32
# accumulator, 64 or 128 KiB of L0C, goes to GM, not through the UB ring) in K parts of at most
# QPROJ_PART_TILES K tiles (a [<= 384, 1024] INT8 slice of wq_b per task, at most 384 KiB of
# L1), and the rope stage (qr_dequant_rope) adds the parts' INT32 sums (exact in any order) and
# dequantizes them, head row by head row.
# Parts of ceil(K tiles / 3) tiles, so FLASH (8 K tiles) runs 3 parts: 24 tasks, one per core
# group (4 parts were 32 tasks, two waves with 8 cores busy in the second); PRO (12) runs 4 of 3.
# When the parts' tiles overrun Q_LORA the last part is moved back to end at Q_LORA and starts
# its sum at its first tile past the part before it (FLASH: rows 640..1023, summing 768..1023).
# The parts' sums cross GM as parts x [rows, 8192] INT32 (3 MiB written and read at 32 tokens
# at FLASH).
# Larger steps keep the fused form.
QPROJ_SPLIT_N = 1024
QPROJ_PART_TILES = 3
QPROJ_PARTS_MAX_ROWS = 32
# weights_proj K tile: [64, 256] BF16 (32 KiB) in L0A and [256, 64] BF16 (32 KiB) in L0B.
WEIGHTS_K_TILE = 256
# Score-row top-k (topk_stage, the prefill kernels): candidates per partial top-k task, 8
# chunks (4096 cache rows, 16 KiB of scores). A token's visible rows are split into parts of
# this many candidates, each sorted into a partial top-k list by its own task; a merge task per
# token then merges the partial lists in index order. The decode entry points fuse the top-k
# into scoring instead (kernels/score.py).
TOPK_PART_CHUNKS = 8
TOPK_PART_ROWS = TOPK_PART_CHUNKS * TOPK_CHUNK


@pl.jit.inline
def rope_indices():
    """The rope stages' gather indices (cos_idx, sin_idx [1, 128], partner_idx
    [ROPE_STEP_HEADS, 128], INT32), built once per task (call inside a vector scope).

    RoPE over the whole 128-column head row (one contiguous load per token; column
    windows of GM rows are 128-byte segments): out = x * cos_full + partner * sin_full,
    partner[c] = x[c ^ 1] (the other member of c's interleaved pair), and per column c
    of the trailing ROPE_DIM: cos_full = cos[i], sin_full = -sin[i] on even c and
    sin[i] on odd c (i = c's pair); 1 and 0 on the NOPE_DIM leading columns, which
    therefore pass through unchanged. The same FP32 products and sums, in the same
    order, as rotating the two halves of each pair separately."""
    col = pl.cast(pl.arange(0, [1, INDEX_HEAD_DIM], dtype=pl.INT32), target_type=pl.FP32)
    pair = pl.cast(
        pl.cast(pl.mul(col, 0.5), target_type=pl.INT32, mode="trunc"), target_type=pl.FP32
    )
    lane = pl.sub(col, pl.mul(pair, 2.0))
    partner_col = pl.sub(pl.add(col, 1.0), pl.mul(lane, 2.0))
    # cos_full gathers [1 x 32 | cos] at column `pair` (< 32 on the leading columns);
    # sin_full gathers [0 x 32 | sin | -sin | 0 x 32] at pair + 32 * (1 - lane) on the
    # trailing columns and at 0 on the leading ones (high = c // 64).
    cos_idx = pl.cast(pair, target_type=pl.INT32, mode="round")
    high = pl.cast(
        pl.cast(pl.mul(col, 1.0 / NOPE_DIM), target_type=pl.INT32, mode="trunc"),
        target_type=pl.FP32,
    )
    pair_shift = pl.add(pl.mul(lane, -ROPE_PAIRS_FP32), ROPE_PAIRS_FP32)  # 32 (1 - lane)
    sin_idx = pl.cast(
        pl.mul(pl.add(pair, pair_shift), high),
        target_type=pl.INT32,
        mode="round",
    )
    # The partner column index of a ROPE_STEP_HEADS-row step, once per task (built per
    # step it was 3 of the stage's 17 element-ops per element; a [64, 128] INT32 index
    # held across the token loop overflowed pypto's UB plan, a [32, 128] one does not).
    partner_idx = pl.cast(
        pl.col_expand_mul(
            pl.full([ROPE_STEP_HEADS, INDEX_HEAD_DIM], dtype=pl.FP32, value=1.0),
            partner_col,
        ),
        target_type=pl.INT32,
        mode="round",
    )
    return cos_idx, sin_idx, partner_idx


@pl.jit.inline
def head_weight_rows(
    x_tokens: pl.Tensor,
    weights_proj: pl.Tensor,
    r0: pl.Scalar[pl.INT32],
    rows: pl.Scalar[pl.INT32],
    tile_rows: pl.Scalar[pl.INT32],
):
    """Stage 6, the head weights of token rows r0 .. r0 + rows of x_tokens [T, D]: (x @
    weights_proj) * Dh^-0.5 * H^-0.5 in FP32, a [tile_rows, H] tile (rows valid; ``tile_rows``
    a constant folded by the caller, at most PROJ_MAX_ROWS: a [64, 64] FP32 accumulator). Call
    inside a scope with a cube and a vector side."""
    D = x_tokens.shape[1]
    x0 = pl.slice(
        x_tokens, [tile_rows, WEIGHTS_K_TILE], [r0, 0], valid_shape=[rows, WEIGHTS_K_TILE]
    )
    w_acc = pl.matmul(x0, weights_proj[0:WEIGHTS_K_TILE, :], out_dtype=pl.FP32)
    for k0 in pl.range(WEIGHTS_K_TILE, D, WEIGHTS_K_TILE):
        xk = pl.slice(
            x_tokens, [tile_rows, WEIGHTS_K_TILE], [r0, k0], valid_shape=[rows, WEIGHTS_K_TILE]
        )
        w_acc = pl.matmul_acc(w_acc, xk, weights_proj[k0 : k0 + WEIGHTS_K_TILE, :])
    return pl.mul(w_acc, WEIGHTS_SCALE)


@pl.jit.inline
def project_query(
    x: pl.Tensor,
    qr: pl.Tensor,
    wq_b: pl.Tensor,
    wq_b_scale: pl.Tensor,
    weights_proj: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    position_ids: pl.Tensor,
    q_rope: pl.Tensor,
    head_weights: pl.Tensor,
):
    """Stages 1-3: qr [B, S, Q_LORA] to INT8 rows, times wq_b, dequantized to BF16 and roped
    at each token's position (position_ids [B, S]) into q_rope [B * S * H, Dh] (created by the
    caller, for ``query_heads``). The projection's form (K parts or column windows) and the
    stage that dequantizes it are chosen by the step's token count, a shape constant; both
    forms give the same values."""
    B = qr.shape[0]
    S = qr.shape[1]
    Q_LORA = qr.shape[2]
    T = B * S
    # The rope stage's tasks per token: 2 (32 heads each) when 2 T <= 48, else 1; its tokens
    # per task: ceil(T / ROPE_TASKS) (1 up to T = 48).
    rope_splits = 1 + 1 // ((T + 23) // 24)
    rope_heads = INDEX_N_HEADS // rope_splits
    rope_tokens = (T + ROPE_TASKS - 1) // ROPE_TASKS
    rope_blocks = (T + rope_tokens - 1) // rope_tokens
    qproj_tiles = (T + QPROJ_MAX_ROWS - 1) // QPROJ_MAX_ROWS
    qproj_rows = ((T + qproj_tiles - 1) // qproj_tiles + CUBE_M - 1) // CUBE_M * CUBE_M
    tile_rows = qproj_rows + (T - qproj_rows) * (1 // qproj_tiles)  # min(qproj_rows, T)
    qproj_n = QPROJ_ACC_ELEMS // (
        (qproj_rows + ACC_INT32_ROW_ALIGN - 1) // ACC_INT32_ROW_ALIGN * ACC_INT32_ROW_ALIGN
    )
    # The split qr_proj's K parts (set here, not in its branch of `if T <= 32`: a local
    # assigned inside the branch is a run-time value to the compiler, which tile shapes refuse):
    # ceil(K tiles / 3) whole 128-row K tiles each, at most QPROJ_PART_TILES (min() in integer
    # ops on shape constants), and as many parts as cover Q_LORA (FLASH 3 of 3, PRO 4 of 3).
    k_tiles = Q_LORA // QPROJ_K_TILE
    part_tiles = (k_tiles + 2) // 3
    part_tiles = part_tiles - (part_tiles - QPROJ_PART_TILES) * (
        1 - 1 // (part_tiles // QPROJ_PART_TILES + 1)
    )
    qproj_parts = (k_tiles + part_tiles - 1) // part_tiles
    part_k = part_tiles * QPROJ_K_TILE
    # ... and its token tile: T rounded up to 16 rows (16 or 32 where it runs).
    parts_rows = (T + CUBE_M - 1) // CUBE_M * CUBE_M
    # qr_quant's rows per block: ceil(T / QR_QUANT_BLOCKS), at most QR_QUANT_BLOCK_ROWS, in
    # tiles of QR_QUANT_ROWS (B 4 S 2: 8 blocks of a row; B 16 S 2: 8 of 4; B 128 S 4: 32 of
    # two tiles); min(., QR_QUANT_BLOCK_ROWS) in integer ops on shape constants.
    qr_quant_rows = (T + QR_QUANT_BLOCKS - 1) // QR_QUANT_BLOCKS
    qr_quant_rows = qr_quant_rows - (qr_quant_rows - QR_QUANT_BLOCK_ROWS) * (
        1 - 1 // (qr_quant_rows // QR_QUANT_BLOCK_ROWS + 1)
    )
    qr_tokens = pl.reshape(qr, [T, Q_LORA])
    # x as token rows for head_weight_rows, from pl.tensor.dim aliases (an inline helper's
    # tensor argument must be a shape the JIT can evaluate).
    tokens_dim = pl.tensor.dim(head_weights, 0)
    hidden_dim = pl.tensor.dim(x, 2)
    x_tokens = pl.reshape(x, [tokens_dim, hidden_dim])
    # The head weights' token tiles (at most PROJ_MAX_ROWS rows, a multiple of 16 each): one
    # tile up to T = 64.
    proj_tiles = (T + PROJ_MAX_ROWS - 1) // PROJ_MAX_ROWS
    proj_rows = ((T + proj_tiles - 1) // proj_tiles + CUBE_M - 1) // CUBE_M * CUBE_M
    wq_scale_row = pl.reshape(wq_b_scale, [1, Q_WIDTH])
    qr_codes = pl.create_tensor([T, Q_LORA], dtype=pl.INT8)
    qr_dequant = pl.create_tensor([T, 1], dtype=pl.FP32)

    # Each stage is one SPMD dispatch (one runtime task of many blocks): the runtime tracks
    # dependencies per whole tensor, so a stage of N tasks reading a tensor that M tasks wrote
    # costs N * M dependency entries (a pool of 16384 by default); a dispatch costs one.
    # 1 qr_quant: per-row INT8 of qr with its FP32 dequant scale.
    with pl.spmd((T + qr_quant_rows - 1) // qr_quant_rows, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="qr_quant"):
            r_first = pl.tile.get_block_idx() * qr_quant_rows
            block_rows = pl.min(qr_quant_rows, T - r_first)
            for tile_step in pl.range((block_rows + QR_QUANT_ROWS - 1) // QR_QUANT_ROWS):
                r0 = r_first + tile_step * QR_QUANT_ROWS
                rows = pl.min(QR_QUANT_ROWS, block_rows - tile_step * QR_QUANT_ROWS)
                qr_tile = pl.slice(
                    qr_tokens, [QR_QUANT_ROWS, Q_LORA], [r0, 0], valid_shape=[rows, Q_LORA]
                )
                qr_f32 = pl.cast(qr_tile, target_type=pl.FP32)
                qr_amax = pl.maximum(pl.row_max(pl.abs(qr_f32)), AMAX_FLOOR)
                qr_quant_scale = pl.div(pl.add(pl.mul(qr_amax, 0.0), INT8_MAX), qr_amax)
                qr_scaled = pl.row_expand_mul(qr_f32, qr_quant_scale)
                qr_i32 = pl.cast(qr_scaled, target_type=pl.INT32, mode="round")
                qr_f16 = pl.cast(qr_i32, target_type=pl.FP16, mode="round")
                qr_codes[r0 : r0 + QR_QUANT_ROWS, :] = pl.cast(
                    qr_f16, target_type=pl.INT8, mode="trunc"
                )
                qr_dequant[r0 : r0 + QR_QUANT_ROWS, :] = pl.div(qr_amax, INT8_MAX)

    # 2 qr_proj. A step of at most 32 tokens (one 16- or 32-row token tile) splits wq_b's rows
    # into K parts whose INT32 partial sums the rope stage adds (qr_dequant_rope); a larger step
    # dequantizes each window's accumulator in its own task. Both forms give the same values
    # (integer sums are exact in any order); the condition is a constant of the entry's shapes.
    if T <= QPROJ_PARTS_MAX_ROWS:
        qr_partial = pl.create_tensor([qproj_parts * parts_rows, Q_WIDTH], dtype=pl.INT32)
        # (cube) one task per (1024-column window, K part): the part [part_k, 1024] of the window
        # in L1, the step's codes [parts_rows, part_k] in one load, K tiles sliced on chip.
        # One more block than the projection's: the head weights (stage 6, x @ weights_proj
        # scaled), a cube task of the same kind, so the step has no stage of its own for them
        # (a submission on the serial path); each branch stores its own accumulator. The head
        # weights' blocks come first: each moves more than a K part (weights_proj, 512 KiB, in
        # 32 transfers) and the runtime hands blocks out in order, so last they would start
        # when the parts' first wave ends and finish the launch alone (plsim.block_balance).
        part_blocks = Q_WIDTH // QPROJ_SPLIT_N * qproj_parts
        with pl.spmd(part_blocks + proj_tiles, allow_early_resolve=True):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="qr_proj_parts"):
                if pl.tile.get_block_idx() < proj_tiles:
                    w0 = pl.tile.get_block_idx() * proj_rows
                    scaled = head_weight_rows(
                        x_tokens, weights_proj, w0, pl.min(proj_rows, T - w0), proj_rows
                    )
                    head_weights[w0 : w0 + proj_rows, :] = scaled
                else:
                    part_n0 = (pl.tile.get_block_idx() - proj_tiles) // qproj_parts * QPROJ_SPLIT_N
                    part = (pl.tile.get_block_idx() - proj_tiles) % qproj_parts
                    # A last part that would overrun Q_LORA ends at Q_LORA (the slice keeps its
                    # constant extent) and sums only its tiles from `first` on, the ones no earlier
                    # part summed.
                    part_k0 = pl.min(part * part_k, Q_LORA - part_k)
                    first = part * part_k - part_k0
                    w_part = wq_b[part_k0 : part_k0 + part_k, part_n0 : part_n0 + QPROJ_SPLIT_N]
                    codes_part = pl.slice(
                        qr_codes, [parts_rows, part_k], [0, part_k0], valid_shape=[T, part_k]
                    )
                    part_acc = pl.matmul(
                        pl.slice(codes_part, [parts_rows, QPROJ_K_TILE], [0, first]),
                        pl.slice(w_part, [QPROJ_K_TILE, QPROJ_SPLIT_N], [first, 0]),
                        out_dtype=pl.INT32,
                    )
                    for pk0 in pl.range(first + QPROJ_K_TILE, part_k, QPROJ_K_TILE):
                        part_acc = pl.matmul_acc(
                            part_acc,
                            pl.slice(codes_part, [parts_rows, QPROJ_K_TILE], [0, pk0]),
                            pl.slice(w_part, [QPROJ_K_TILE, QPROJ_SPLIT_N], [pk0, 0]),
                        )
                    part_row0 = part * parts_rows
                    part_cols = part_n0 + QPROJ_SPLIT_N
                    qr_partial[part_row0 : part_row0 + parts_rows, part_n0:part_cols] = part_acc
        # 2b-3 (vector) qr_dequant_rope: the rope stage's tasks (below), each (token, head)
        # row dequantized first: part 0 + 1 + ... (INT32, exact), then (acc * the token's row
        # scale) * the column's channel scale -> BF16, the values qr_dequant wrote into q_proj
        # as its own stage (same ops, same order), so the step has a submission fewer on its
        # serial path and q_proj is never written. The row of token t, head h in part p is
        # row (p * parts_rows + t) * H + h of the partial sums read as [., Dh] head rows.
        partial_heads = pl.reshape(
            qr_partial, [qproj_parts * parts_rows * INDEX_N_HEADS, INDEX_HEAD_DIM]
        )
        channel_heads = pl.reshape(wq_b_scale, [INDEX_N_HEADS, INDEX_HEAD_DIM])
        with pl.spmd(rope_blocks * rope_splits, allow_early_resolve=True):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="qr_dequant_rope"):
                t_first = pl.tile.get_block_idx() // rope_splits * rope_tokens
                head_part = pl.tile.get_block_idx() % rope_splits * rope_heads
                # This stage's token loop and qr_rope's (below) repeat the cos / sin gathers and the
                # rotation: they take the index tiles, and the compiler takes no computed tile as an
                # inline helper's argument (docs/dsl.md, "Inline helpers as shared tile chains").
                cos_idx, sin_idx, partner_idx = rope_indices()
                pair_ones = pl.full([1, ROPE_PAIRS], dtype=pl.FP32, value=1.0)
                pair_zeros = pl.full([1, ROPE_PAIRS], dtype=pl.FP32, value=0.0)
                for token_step in pl.pipeline(rope_tokens, stage=2):
                    t = pl.min(t_first + token_step, T - 1)
                    pos = pl.max(pl.read(position_ids, [t // S, t % S]), 0)
                    cos_row = rope_cos[pos : pos + 1, 0:ROPE_PAIRS]
                    sin_row = rope_sin[pos : pos + 1, 0:ROPE_PAIRS]
                    cos_full = pl.gather(pl.concat(pair_ones, cos_row), dim=-1, index=cos_idx)
                    sin_full = pl.gather(
                        pl.concat(
                            pl.concat(pair_zeros, sin_row),
                            pl.concat(pl.mul(sin_row, -1.0), pair_zeros),
                        ),
                        dim=-1,
                        index=sin_idx,
                    )
                    token_scale = pl.read(qr_dequant, [t, 0])
                    for head_step in pl.range(rope_heads // ROPE_STEP_HEADS):
                        h = head_part + head_step * ROPE_STEP_HEADS
                        h0 = t * INDEX_N_HEADS + h
                        sums = partial_heads[h0 : h0 + ROPE_STEP_HEADS, :]
                        for p in pl.range(1, qproj_parts):
                            hp = (p * parts_rows + t) * INDEX_N_HEADS + h
                            sums = pl.add(sums, partial_heads[hp : hp + ROPE_STEP_HEADS, :])
                        sums_scaled = pl.mul(pl.cast(sums, pl.FP32, mode="rint"), token_scale)
                        sums_deq = pl.mul(sums_scaled, channel_heads[h : h + ROPE_STEP_HEADS, :])
                        q_bf16 = pl.cast(sums_deq, target_type=pl.BF16, mode="rint")
                        q_f32 = pl.cast(q_bf16, target_type=pl.FP32)
                        partner = pl.gather(q_f32, dim=-1, index=partner_idx)
                        roped = pl.add(
                            pl.col_expand_mul(q_f32, cos_full),
                            pl.col_expand_mul(partner, sin_full),
                        )
                        q_rope[h0 : h0 + ROPE_STEP_HEADS, :] = pl.cast(
                            roped, target_type=pl.BF16, mode="rint"
                        )
    else:
        q_proj = pl.create_tensor([T, Q_WIDTH], dtype=pl.BF16)
        # INT8 x INT8 -> INT32 over Q_LORA, then (acc * row scale) * channel scale -> BF16. One
        # task per wq_b column window: the window [Q_LORA, qproj_n] is loaded into L1 once and
        # every token tile is multiplied against it (K tiles sliced on chip), so wq_b is read
        # once per step; each token tile's codes are one [rows, Q_LORA] load.
        # Its launch carries the head weights' blocks too, first (as qr_proj_parts' does).
        qproj_blocks = Q_WIDTH // qproj_n
        with pl.spmd(qproj_blocks + proj_tiles, allow_early_resolve=True):
            with pl.at(
                level=pl.Level.CORE_GROUP,
                name_hint="qr_proj",
                optimizations=[pl.split(pl.SplitMode.UP_DOWN)],
            ):
                if pl.tile.get_block_idx() < proj_tiles:
                    w0 = pl.tile.get_block_idx() * proj_rows
                    scaled = head_weight_rows(
                        x_tokens, weights_proj, w0, pl.min(proj_rows, T - w0), proj_rows
                    )
                    head_weights[w0 : w0 + proj_rows, :] = scaled
                else:
                    n0 = (pl.tile.get_block_idx() - proj_tiles) * qproj_n
                    w_window = wq_b[0:Q_LORA, n0 : n0 + qproj_n]
                    channel_scale = wq_scale_row[0:1, n0 : n0 + qproj_n]
                    for r_tile in pl.range(0, T, qproj_rows):
                        # The tile's codes [qproj_rows, Q_LORA] in one load (Q_LORA-byte rows), K
                        # tiles sliced on chip like the window's. A tile that a K slice is taken
                        # from needs constant valid rows (ptoas refuses a subview of a tile whose
                        # valid rows are a run-time value), so every tile has the same `tile_rows`
                        # valid rows: T when one tile holds the step's tokens, else qproj_rows (<
                        # T), the last tile moved back to end at row T (its first rows recomputed,
                        # the same values stored again).
                        r0 = pl.min(r_tile, T - tile_rows)
                        codes_tile = pl.slice(
                            qr_codes, [qproj_rows, Q_LORA], [r0, 0], valid_shape=[tile_rows, Q_LORA]
                        )
                        proj_acc = pl.matmul(
                            pl.slice(codes_tile, [qproj_rows, QPROJ_K_TILE], [0, 0]),
                            pl.slice(w_window, [QPROJ_K_TILE, qproj_n], [0, 0]),
                            out_dtype=pl.INT32,
                        )
                        for k0 in pl.range(QPROJ_K_TILE, Q_LORA, QPROJ_K_TILE):
                            proj_acc = pl.matmul_acc(
                                proj_acc,
                                pl.slice(codes_tile, [qproj_rows, QPROJ_K_TILE], [0, k0]),
                                pl.slice(w_window, [QPROJ_K_TILE, qproj_n], [k0, 0]),
                            )
                        row_scale = pl.slice(
                            qr_dequant, [qproj_rows, 1], [r0, 0], valid_shape=[tile_rows, 1]
                        )
                        proj_f32 = pl.cast(proj_acc, target_type=pl.FP32, mode="rint")
                        proj_scaled = pl.row_expand_mul(proj_f32, row_scale)
                        proj_deq = pl.col_expand_mul(proj_scaled, channel_scale)
                        q_proj[r0 : r0 + qproj_rows, n0 : n0 + qproj_n] = pl.cast(
                            proj_deq, target_type=pl.BF16, mode="rint"
                        )
        q_heads = pl.reshape(q_proj, [T * INDEX_N_HEADS, INDEX_HEAD_DIM])

        # 3 qr_rope (vector): one task per token, or per half of a token's heads when that still
        # fits one wave of the 48 AIVs (2 T <= 48: a short step's chain waits on this stage, and
        # each row is independent), or per rope_tokens tokens, one after another, above T = 48
        # (dispatches and the column index rows once per task): rotate the interleaved pairs of
        # each head's trailing ROPE_DIM dims by the cos/sin of the token's own position -> BF16
        # q_rope. A stage of its own, not the Hadamard task's vector side: that task's vector work
        # runs on both AIVs of its core group (pl.split(UP_DOWN)), where pypto halves every tile
        # by rows but not pl.gather's row loop (its output kept the unsplit [32, 128] shape, and
        # ptoas refused the next op: "'pto.tcolexpandmul' op expects src0/dst to have same
        # shape"). On a2a3 a vector-made matmul operand crosses GM anyway (there is no UB -> L1
        # path), so q_rope's round trip is the one the fused form made out of sight.
        with pl.spmd(rope_blocks * rope_splits, allow_early_resolve=True):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="qr_rope"):
                t_first = pl.tile.get_block_idx() // rope_splits * rope_tokens
                head_part = pl.tile.get_block_idx() % rope_splits * rope_heads
                cos_idx, sin_idx, partner_idx = rope_indices()
                pair_ones = pl.full([1, ROPE_PAIRS], dtype=pl.FP32, value=1.0)
                pair_zeros = pl.full([1, ROPE_PAIRS], dtype=pl.FP32, value=0.0)
                for token_step in pl.pipeline(rope_tokens, stage=2):
                    # The last task's steps past T redo token T - 1 (the same values stored again).
                    t = pl.min(t_first + token_step, T - 1)
                    # a padded token (position -1) reads row 0 of the tables: its q feeds no output.
                    pos = pl.max(pl.read(position_ids, [t // S, t % S]), 0)
                    cos_row = rope_cos[pos : pos + 1, 0:ROPE_PAIRS]
                    sin_row = rope_sin[pos : pos + 1, 0:ROPE_PAIRS]
                    cos_full = pl.gather(pl.concat(pair_ones, cos_row), dim=-1, index=cos_idx)
                    sin_full = pl.gather(
                        pl.concat(
                            pl.concat(pair_zeros, sin_row),
                            pl.concat(pl.mul(sin_row, -1.0), pair_zeros),
                        ),
                        dim=-1,
                        index=sin_idx,
                    )
                    # The task's heads of the token in ROPE_STEP_HEADS-row steps (each row is
                    # independent: the same values as one step over all of them).
                    for head_step in pl.range(rope_heads // ROPE_STEP_HEADS):
                        h0 = t * INDEX_N_HEADS + head_part + head_step * ROPE_STEP_HEADS
                        q_f32 = pl.cast(q_heads[h0 : h0 + ROPE_STEP_HEADS, :], target_type=pl.FP32)
                        partner = pl.gather(q_f32, dim=-1, index=partner_idx)
                        roped = pl.add(
                            pl.col_expand_mul(q_f32, cos_full), pl.col_expand_mul(partner, sin_full)
                        )
                        q_rope[h0 : h0 + ROPE_STEP_HEADS, :] = pl.cast(
                            roped, target_type=pl.BF16, mode="rint"
                        )


@pl.jit.inline
def query_heads(
    q_rope: pl.Tensor,
    hadamard: pl.Tensor,
    q_codes: pl.Tensor,
    q_dequant: pl.Tensor,
):
    """Stages 4-5: q_rope's (token, head) rows [T * H, Dh] rotated and quantized: INT8 rows
    (t * H + h) with their dequant scales."""
    T = q_rope.shape[0] // INDEX_N_HEADS
    # qr_hadamard_quant's tasks per token: 2 (32 head rows each) when 2 T <= 24, else 1; its
    # tokens per task: ceil(T / HAD_TASKS) (1 up to T = 24).
    had_splits = 1 + 1 // ((T + 11) // 12)
    had_heads = INDEX_N_HEADS // had_splits
    had_tokens = (T + HAD_TASKS - 1) // HAD_TASKS
    had_blocks = (T + had_tokens - 1) // had_tokens

    # 4-5 qr_hadamard_quant: one mixed task per token, or per half of a token's heads when that
    # still fits one wave of the 24 core groups (2 T <= 24), or per had_tokens tokens above
    # T = 24, its vector work split over both AIVs of the core group (pl.split(UP_DOWN): each
    # lane takes half of a step's head rows; every op is per row).
    #   cube:   q_rope @ Hadamard (BF16, FP32 accumulation; [<= 64, 128] FP32, 32 KiB of L0C);
    #   vector: -> BF16, then per (token, head) row INT8 with its dequant scale.
    with pl.spmd(had_blocks * had_splits, allow_early_resolve=True):
        with pl.at(
            level=pl.Level.CORE_GROUP,
            name_hint="qr_hadamard_quant",
            optimizations=[pl.split(pl.SplitMode.UP_DOWN)],
        ):
            t_first = pl.tile.get_block_idx() // had_splits * had_tokens
            head_part = pl.tile.get_block_idx() % had_splits * had_heads
            hadamard_tile = hadamard[0:INDEX_HEAD_DIM, 0:INDEX_HEAD_DIM]
            for token_step in pl.pipeline(had_tokens, stage=2):
                # The last task's steps past T redo token T - 1 (the same values stored again).
                h0 = pl.min(t_first + token_step, T - 1) * INDEX_N_HEADS + head_part
                q_had = pl.matmul(
                    q_rope[h0 : h0 + had_heads, :], hadamard_tile, out_dtype=pl.FP32
                )
                q_had_bf16 = pl.cast(q_had, target_type=pl.BF16, mode="rint")
                qh_f32 = pl.cast(q_had_bf16, target_type=pl.FP32)
                qh_amax = pl.maximum(pl.row_max(pl.abs(qh_f32)), AMAX_FLOOR)
                qh_scaled = pl.row_expand_mul(
                    qh_f32, pl.div(pl.add(pl.mul(qh_amax, 0.0), INT8_MAX), qh_amax)
                )
                qh_i32 = pl.cast(qh_scaled, target_type=pl.INT32, mode="round")
                qh_f16 = pl.cast(qh_i32, target_type=pl.FP16, mode="round")
                q_codes[h0 : h0 + had_heads, :] = pl.cast(
                    qh_f16, target_type=pl.INT8, mode="trunc"
                )
                q_dequant[h0 : h0 + had_heads, :] = pl.div(qh_amax, INT8_MAX)


@pl.jit.inline
def submit_projections(
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
    position_ids: pl.Tensor,
    q_codes: pl.Tensor,
    q_dequant: pl.Tensor,
    head_weights: pl.Tensor,
    proj_partial: pl.Tensor,
):
    """Stages 1-6 and the compressor's projection (7a) of x / qr [B, S, .] (position_ids
    [B, S]): q_codes / q_dequant, head_weights, and proj_partial [K_SPLIT * B * S, 512] for
    ``compress_step_*``. A step is two chains, the query and the compressor, that meet at the
    score stage. The query's projection goes first, with the head weights (6) in its launch,
    then its rope stage (3; the one that dequantizes the K parts at most 32 tokens), the
    compressor's projection (7a), then the Hadamard and quantization (4-5). Every stage is a
    submission on the orchestration's serial path, so the query chain has as few as its data
    allows. Each stage reads only what an earlier call wrote; the order moves when a stage is
    submitted, not what it reads. The prefill indexer calls it with its chunk as T steps of
    one token."""
    tokens_dim = pl.tensor.dim(head_weights, 0)
    q_rope = pl.create_tensor([tokens_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.BF16)
    project_query(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, position_ids, q_rope,
        head_weights,
    )  # fmt: skip
    project_step(x, position_ids, wkv, wgate, proj_partial)
    query_heads(q_rope, hadamard, q_codes, q_dequant)


@pl.jit.inline
def topk_stage(
    score_tokens: pl.Tensor,
    topk_tokens: pl.Tensor,
    position_ids: pl.Tensor,
    topk_offset: pl.Tensor,
):
    """Stage 11, in two steps; k = min(index_topk, visible); ties: smaller cache index first;
    a padded token (visible 0) gets -1 everywhere.

    topk_partial: one task per (token, part of TOPK_PART_ROWS visible rows): sort each 512-value
    chunk and merge it into the part's running top-k pair list, stored to GM scratch.
    topk_merge: one task per token: merge the parts' lists in index order (on equal scores the
    earlier list, i.e. the smaller index, comes first), then the indices + the row's offset
    (``topk_offset`` has position_ids' shape).
    """
    T = score_tokens.shape[0]
    W = score_tokens.shape[1]
    S = position_ids.shape[1]
    TOPK = topk_tokens.shape[1]
    PARTS = (W + TOPK_PART_ROWS - 1) // TOPK_PART_ROWS
    partial = pl.create_tensor([T * PARTS, 2 * TOPK], dtype=pl.FP32)
    # One SPMD dispatch per step, block (t, p); a part past the token's visible rows does
    # nothing (the merge reads only the parts that exist).
    with pl.spmd(T * PARTS, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="topk_partial"):
            t = pl.tile.get_block_idx() // PARTS
            p = pl.tile.get_block_idx() % PARTS
            visible = (pl.read(position_ids, [t // S, t % S]) + 1) // COMPRESS_RATIO
            part_end = pl.min(visible, (p + 1) * TOPK_PART_ROWS)
            if p * TOPK_PART_ROWS < visible:
                best = pl.full([1, 2 * TOPK], dtype=pl.FP32, value=FP32_LOWEST)
                for c0 in pl.range(p * TOPK_PART_ROWS, part_end, TOPK_CHUNK):
                    chunk = score_tokens[t : t + 1, c0 : c0 + TOPK_CHUNK]
                    chunk_idx = pl.arange(pl.cast(c0, pl.UINT32), [1, TOPK_CHUNK], dtype=pl.UINT32)
                    pairs = pl.sort32(chunk, chunk_idx)
                    pairs = pl.mrgsort(pairs, block_len=64)
                    pairs = pl.mrgsort(pairs, block_len=256)
                    merged = pl.mrgsort(best, pairs)
                    # The list's head through a row view (indexer_score.HEAD_COLS).
                    merged_rows = pl.reshape(
                        merged, [(2 * TOPK + 2 * TOPK_CHUNK) // HEAD_COLS, HEAD_COLS]
                    )
                    best = pl.reshape(merged_rows[0 : 2 * TOPK // HEAD_COLS, :], [1, 2 * TOPK])
                row = t * PARTS + p
                partial[row : row + 1, :] = best
    with pl.spmd(T, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="topk_merge"):
            t = pl.tile.get_block_idx()
            visible = (pl.read(position_ids, [t // S, t % S]) + 1) // COMPRESS_RATIO
            parts = (visible + TOPK_PART_ROWS - 1) // TOPK_PART_ROWS
            k = pl.min(TOPK, visible)
            if visible > 0:
                best = partial[t * PARTS : t * PARTS + 1, :]
                for p in pl.range(1, parts):
                    row = t * PARTS + p
                    # Its own name: `merged` above is [1, 2 * TOPK + 2 * TOPK_CHUNK] and the
                    # parser refuses a rebinding of another shape (PRO: 3072 vs 4096 columns).
                    merged_parts = pl.mrgsort(best, partial[row : row + 1, :])
                    parts_rows = pl.reshape(merged_parts, [4 * TOPK // HEAD_COLS, HEAD_COLS])
                    best = pl.reshape(parts_rows[0 : 2 * TOPK // HEAD_COLS, :], [1, 2 * TOPK])
                top_idx = pl.gather(
                    best, mask_pattern=pl.tile.MaskPattern.P1010, output_dtype=pl.INT32
                )
                # valid slots: index + the row's offset (data: one artifact serves every
                # offset); the rest: 0 after fillpad, then -1 after the shift.
                shift = pl.read(topk_offset, [t // S, t % S])
                shifted = pl.add(pl.add(top_idx, shift), 1)
                padded_idx = pl.fillpad(
                    pl.set_validshape(shifted, 1, k), pad_value=pl.PadValue.zero
                )
                topk_tokens[t : t + 1, :] = pl.sub(padded_idx, 1)
            else:
                topk_tokens[t : t + 1, :] = pl.full([1, TOPK], dtype=pl.INT32, value=-1)


@pl.jit.inline
def decode_step_c16(
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
    kv_seq_lens: pl.Tensor,
    block_table: pl.Tensor,
    slot_mapping: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    index_cache: pl.Tensor,
    score_tokens: pl.Tensor,
    topk_tokens: pl.Tensor,
    topk_offset: pl.Tensor,
    keep_scores: pl.Scalar[pl.INT32],
):
    """Stages 1-11 of one c16 step; score rows into ``score_tokens`` only when keep_scores."""
    # Extents as pl.tensor.dim aliases for the shapes of locals passed to inline helpers (the JIT
    # infers those shapes before parsing and does not follow x.shape[i] locals).
    # The token count T = B * S as one scalar of its own (the rows of topk_tokens): every
    # scratch tensor is sized by it alone, so each kernel that takes one can recover T from its
    # shape (pypto's kernel wrapper inverts `var` and `var * const`, not `B * S`).
    tokens_dim = pl.tensor.dim(topk_tokens, 0)
    q_codes = pl.create_tensor([tokens_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.INT8)
    q_dequant = pl.create_tensor([tokens_dim * INDEX_N_HEADS, 1], dtype=pl.FP32)
    q_dequant_by_token = pl.reshape(q_dequant, [tokens_dim, INDEX_N_HEADS])
    head_weights = pl.create_tensor([tokens_dim, INDEX_N_HEADS], dtype=pl.FP32)

    proj_partial = pl.create_tensor([K_SPLIT * tokens_dim, PROJ_WIDTH], dtype=pl.FP32)
    submit_projections(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate,
        position_ids, q_codes, q_dequant, head_weights, proj_partial,
    )  # fmt: skip
    # 7b compressor: a closing window's row is in the cache before any score stage reads it.
    sources = pl.create_tensor([tokens_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    index_cache = compress_step_c16(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
    )  # fmt: skip
    blocks_dim = pl.tensor.dim(index_cache, 0)  # format: 8 c16 rows -> c8 scratch (cache_quant)
    block_dim = pl.tensor.dim(index_cache, 1)  # format
    kv_codes = pl.create_tensor([blocks_dim, block_dim, INDEX_HEAD_DIM], dtype=pl.INT8)  # format
    kv_scales = pl.create_tensor([blocks_dim, block_dim], dtype=pl.FP32)  # format
    quantize_cache_rows(index_cache, block_table, kv_seq_lens, kv_codes, kv_scales)  # format
    score_topk_c8(  # format: the two-AIV or the one-AIV score stage (kernels/score_lanes.py)
        q_codes, q_dequant_by_token, head_weights, kv_codes,  # format
        kv_scales,  # format
        block_table,
        position_ids, kv_seq_lens, score_tokens, keep_scores,
        topk_tokens, topk_offset,
    )  # fmt: skip
    # 12 the compressor's state, last: no stage of the step reads it, so the score stages are
    # submitted one submission earlier on the orchestration's serial path.
    write_back_step(position_ids, state_slots, sources, kv_state, score_state)


@pl.jit
def indexer_c16(
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
    kv_seq_lens: pl.Tensor,
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
    """One decode step, c16 cache, scores requested; returns (score, topk_idxs)."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    pl.static_assert(
        score.shape[2] % TOPK_CHUNK == 0,
        "score row length (score.shape[2]) must be a multiple of 512",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernels that take the
    # token-major views recover T from their shapes (the wrapper cannot invert B * S).
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    width_dim = pl.tensor.dim(score, 2)
    topk_dim = pl.tensor.dim(topk_idxs, 2)
    score_tokens = pl.reshape(score, [tokens_dim, width_dim])
    topk_tokens = pl.reshape(topk_idxs, [tokens_dim, topk_dim])
    decode_step_c16(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate, ape,
        norm_weight, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache,
        score_tokens, topk_tokens, topk_offset, 1,
    )  # fmt: skip
    return score, topk_idxs


@pl.jit
def indexer_topk_c16(
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
    kv_seq_lens: pl.Tensor,
    block_table: pl.Tensor,
    slot_mapping: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
    topk_idxs: pl.Out[pl.Tensor],
    topk_offset: pl.Tensor,
):
    """One serving decode step, c16 cache: top-k only, no score row in GM; returns topk_idxs."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernels that take the
    # token-major views recover T from their shapes (the wrapper cannot invert B * S).
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    topk_dim = pl.tensor.dim(topk_idxs, 2)
    topk_tokens = pl.reshape(topk_idxs, [tokens_dim, topk_dim])
    # Never written (keep_scores = 0): the score stage's store target when scores are kept;
    # NO_SCORE_COLS wide, which tells the score stages this is the top-k-only entry.
    no_scores = pl.create_tensor([1, NO_SCORE_COLS], dtype=pl.FP32)
    decode_step_c16(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate, ape,
        norm_weight, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache,
        no_scores, topk_tokens, topk_offset, 0,
    )  # fmt: skip
    return topk_idxs


@pl.jit.inline
def decode_step_c8(
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
    kv_seq_lens: pl.Tensor,
    block_table: pl.Tensor,
    slot_mapping: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,  # format
    score_tokens: pl.Tensor,
    topk_tokens: pl.Tensor,
    topk_offset: pl.Tensor,
    keep_scores: pl.Scalar[pl.INT32],
):
    """Stages 1-11 of one c8 step; score rows into ``score_tokens`` only when keep_scores."""
    # Extents as pl.tensor.dim aliases for the shapes of locals passed to inline helpers (the JIT
    # infers those shapes before parsing and does not follow x.shape[i] locals).
    # The token count T = B * S as one scalar of its own (the rows of topk_tokens): every
    # scratch tensor is sized by it alone, so each kernel that takes one can recover T from its
    # shape (pypto's kernel wrapper inverts `var` and `var * const`, not `B * S`).
    tokens_dim = pl.tensor.dim(topk_tokens, 0)
    q_codes = pl.create_tensor([tokens_dim * INDEX_N_HEADS, INDEX_HEAD_DIM], dtype=pl.INT8)
    q_dequant = pl.create_tensor([tokens_dim * INDEX_N_HEADS, 1], dtype=pl.FP32)
    q_dequant_by_token = pl.reshape(q_dequant, [tokens_dim, INDEX_N_HEADS])
    head_weights = pl.create_tensor([tokens_dim, INDEX_N_HEADS], dtype=pl.FP32)

    proj_partial = pl.create_tensor([K_SPLIT * tokens_dim, PROJ_WIDTH], dtype=pl.FP32)
    submit_projections(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate,
        position_ids, q_codes, q_dequant, head_weights, proj_partial,
    )  # fmt: skip
    # 7b compressor: a closing window's row is in the cache before any score stage reads it.
    sources = pl.create_tensor([tokens_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    index_cache = compress_step_c8(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
        index_cache_scale,  # format
    )  # fmt: skip
    score_topk_c8(  # format: the two-AIV or the one-AIV score stage (kernels/score_lanes.py)
        q_codes, q_dequant_by_token, head_weights, index_cache,  # format
        index_cache_scale,  # format
        block_table,
        position_ids, kv_seq_lens, score_tokens, keep_scores,
        topk_tokens, topk_offset,
    )  # fmt: skip
    # 12 the compressor's state, last: no stage of the step reads it, so the score stages are
    # submitted one submission earlier on the orchestration's serial path.
    write_back_step(position_ids, state_slots, sources, kv_state, score_state)


@pl.jit
def indexer_c8(
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
    kv_seq_lens: pl.Tensor,
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
    """One decode step, c8 cache, scores requested; returns (score, topk_idxs)."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    pl.static_assert(
        score.shape[2] % TOPK_CHUNK == 0,
        "score row length (score.shape[2]) must be a multiple of 512",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernels that take the
    # token-major views recover T from their shapes (the wrapper cannot invert B * S).
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    width_dim = pl.tensor.dim(score, 2)
    topk_dim = pl.tensor.dim(topk_idxs, 2)
    score_tokens = pl.reshape(score, [tokens_dim, width_dim])
    topk_tokens = pl.reshape(topk_idxs, [tokens_dim, topk_dim])
    decode_step_c8(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate, ape,
        norm_weight, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache,
        index_cache_scale,  # format
        score_tokens, topk_tokens, topk_offset, 1,
    )  # fmt: skip
    return score, topk_idxs


@pl.jit
def indexer_topk_c8(
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
    kv_seq_lens: pl.Tensor,
    block_table: pl.Tensor,
    slot_mapping: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
    index_cache_scale: pl.InOut[pl.Tensor],  # format
    topk_idxs: pl.Out[pl.Tensor],
    topk_offset: pl.Tensor,
):
    """One serving decode step, c8 cache: top-k only, no score row in GM; returns topk_idxs."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernels that take the
    # token-major views recover T from their shapes (the wrapper cannot invert B * S).
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    topk_dim = pl.tensor.dim(topk_idxs, 2)
    topk_tokens = pl.reshape(topk_idxs, [tokens_dim, topk_dim])
    # Never written (keep_scores = 0): the score stage's store target when scores are kept;
    # NO_SCORE_COLS wide, which tells the score stages this is the top-k-only entry.
    no_scores = pl.create_tensor([1, NO_SCORE_COLS], dtype=pl.FP32)
    decode_step_c8(
        x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate, ape,
        norm_weight, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache,
        index_cache_scale,  # format
        no_scores, topk_tokens, topk_offset, 0,
    )  # fmt: skip
    return topk_idxs
