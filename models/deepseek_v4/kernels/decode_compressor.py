"""DeepSeek-V4 indexer compressor (ratio 4, overlapping windows) as pypto kernels, on the
serving contract of contract/decode.py (decode) and contract/prefill.py
(packed prefill chunks).

Public entry points
-------------------
``indexer_compressor_c16(...)`` / ``indexer_compressor_c8(...)``: the ``@pl.jit`` kernels (one
decode step of S tokens for B requests), one per cache format.
``project_step(x, position_ids, wkv, wgate, proj_partial)``, ``compress_step_c16(...)`` /
``compress_step_c8(...)``, then ``write_back_step(position_ids, state_slots, sources,
kv_state, score_state)``: the same computation as ``@pl.jit.inline`` functions, for the
indexer kernel's stage 7, in three calls so that the indexer can submit its own stages between
them. ``project_step`` writes the projection's partial sums into proj_partial, an FP32
[K_SPLIT * B * S, 512] scratch the caller creates; ``compress_step_*`` takes proj_partial in
place of wkv and wgate, and ``sources``, an FP32 [B * S + SAVED_ROWS, 512] scratch the caller
creates, which ``write_back_step`` reads. The entry points' parameters (positional, shapes
from the call; B, S, D, the pools and the rope tables are run-time sizes):

    x             [B, S, D] BF16                 the step's hidden states
    wkv, wgate    [D, 256] BF16                  kv / gate projections
    ape           [4, 256] FP32                  position bias per slot pos % 4
    norm_weight   [128] BF16                     RMSNorm weight
    rope_cos, rope_sin [P, 32] FP32              per-position tables (compressed-layer rope)
    hadamard      [128, 128] BF16                BF16(normalized Sylvester Hadamard)
    position_ids  [B, S] INT32                   token positions (-1: padded request)
    state_slots   [B] INT32                      state pool slot per request (-1: padded)
    slot_mapping  [B, S] INT32                   cache slot of the row a token closes, or -1
    kv_state      [NS, 8, 256] FP32  in/out      state pool (slot state_slots[b])
    score_state   [NS, 8, 256] FP32  in/out
    index_cache   [NB, BS, 128] BF16 (c16) / INT8 (c8)  in/out  block pool
    index_cache_scale [NB, BS] FP32  in/out      c8 only: per-row dequant scale

    Positions, slots and mappings are tensor data read with pl.read (run-time scalars), so one
    compiled artifact serves every step of a given shape. A padded request (state slot -1)
    reads and writes nothing. Call from orchestration before any stage that reads the cache.
    The prefill kernels (prefill_compressor.py) run the same stages over a packed chunk
    (``project_tokens``, ``compress_tokens_c16`` / ``_c8``, then ``write_back_state``,
    requests given by cu_seqlens).

Math (per token at position pos; reference/decode_compressor.py follows it step by step)
-------------------------------------------------------------------------------------
kv = x @ wkv, score = x @ wgate + ape[pos % 4] (FP32), stored in state row 4 + pos % 4 of the
request's slot. When (pos + 1) % 4 == 0: per feature f, a softmax over 8 rows of the gates
(rows 0..3: column f, the previous window's front half; rows 4..7: column 128 + f) pools the
kv values; the state shifts (rows 4..7 copied to rows 0..3); the pooled row goes through
RMSNorm, RoPE on the trailing 64 dims at the window's first position pos - 3 and the Hadamard,
and lands in cache slot slot_mapping[b, s]: as BF16 (c16) or as per-row INT8 codes plus its
FP32 dequant scale (c8; the quant chain of reference/quant.py, the one the c16 indexer applies at
score time, so both formats give the same codes for the same row).

Parallel windows
----------------
The golden walks each request's tokens in order through its state; the kernels compute every
window at once, which gives the same rows and the same final state. Row i of the window that
closes at position c is position q = c - 7 + i: a token of this step (or chunk) when q is at or
after the request's first position p0, else one of the 8 rows saved in its state slot (row
q - w0 + 4, w0 = p0 - p0 % 4: rows 0..3 hold the window before w0, rows 4..7 the one from w0).
So every row a window reads is in ``sources`` [T + 1024, 512]: rows 0..T-1 each token's
[kv | gate + ape] (the state row it would have written), rows T + 8 r .. each request's saved
state. The state written back is what the sequential walk leaves: rows 0..3 the last window
closed in the step (or as saved), row 4 + k the latest token at a position = k (mod 4) (or as
saved; rows are never cleared).

Stages (pl.at name_hints; each one SPMD dispatch, one runtime task)
------------------------------------------------------------------
``kv_gate_projection``  cube: x @ [wkv | wgate] in 2 column blocks (wkv, wgate) x 8 K parts (D /
                        128 parts below D = 1024) per group of up to 512 token rows. Its own
                        helper (``project_tokens`` / ``project_step``), called by the entry
                        before the rest: the chain's longest stage, it depends on x alone, so
                        an indexer submits it beside its own query projection.
``source_rows``         vector: per token, the sum of the K parts (fixed order), + ape on the
                        gate half; per request, its 8 saved state rows; all into ``sources``.
``window_pool_rmsnorm_rope_hadamard``  mixed, per closing token: pooling, RMSNorm, RoPE
                        (vector), Hadamard (cube), the BF16 cache row written (c16);
``window_pool_rmsnorm_rope_hadamard_quant``  c8: the same row as INT8 codes + FP32 scale
                        (vector, in the same task).
``state_write_back``    per request: the 8 state rows the sequential walk leaves. Its own call
                        (``write_back_step`` / ``write_back_state``), which an indexer submits
                        after its score stages: nothing in the step reads the state.

A decode step's requests are spans of S token rows (request r: rows r * S ..), computed
where they are needed (``request_start``); a prefill chunk reads them from cu_seqlens. Every
stage is one submission on the orchestration's serial path (3 us in the cost model), so the
chain has no stage that only moves data another stage could move: the saved rows ride with
the token rows, the c8 quantization with the window it quantizes.

Dtype chain
-----------
1. projections: BF16 x BF16 on the cube, FP32 accumulation; score + ape in FP32.
2. pooling: FP32 (max, exp, sums, one division); the pooled row rounded to BF16 ("rint").
3. rmsnorm: FP32 on the BF16 pooled value: x * rsqrt(sum(x*x) / 128 + 1e-6) * weight -> BF16.
4. rope: FP32 on the BF16 normed values -> BF16; the leading 64 dims unchanged.
5. hadamard: BF16 row x BF16 matrix on the cube, FP32 accumulation -> BF16.
6. c16: the BF16 row is stored; c8: amax = max(row_max|x|, 1e-4), codes = trunc(f16(round(x *
   (127 / amax)))) and scale amax / 127 are stored.
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    AMAX_FLOOR,
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    INT8_MAX,
    MAX_TOKENS_PER_STEP,
    NOPE_DIM,
    RMS_NORM_EPS,
    ROPE_DIM,
)

# --- Derived sizes --------------------------------------------------------------------------
HALF_WIDTH = INDEX_HEAD_DIM  # one half of a state row: front (previous window) or back (current)
ROPE_PAIRS = ROPE_DIM // 2  # interleaved (even, odd) pairs of the rotary dims = cos/sin columns
PROJ_WIDTH = 2 * COMPRESS_STATE_WIDTH  # [wkv | wgate] output columns of one token
GATE_COLUMN = COMPRESS_STATE_WIDTH  # a sources row is [kv (256) | gate + ape (256)]
NOPE_DIM_FP32 = NOPE_DIM * 1.0  # first rope column, as an FP32 tile operand
INV_HEAD_DIM = 1.0 / INDEX_HEAD_DIM  # mean of squares = sum * 1/128 (exact power of two)

# --- Tiling ---------------------------------------------------------------------------------
# Projection K chunk: BF16 [rows, 128] token chunk and [128, 128] weight chunk (32 KiB) in L1,
# auto-tiled into L0A/L0B by the compiler; K = 128 is a multiple of 16.
K_CHUNK = 128
# Projection output columns per cube task: [wkv | wgate] (512 columns) in 256-column blocks,
# one per weight: each task reads whole 512-byte weight rows (128-column blocks read 256-byte
# rows, twice the DMA runs for the same bytes: B 4 S 2 8k, 17.5k runs and 20.4 us modeled), and
# each weight element is read by exactly one task of a group.
PROJ_N_TILE = 256
# K parts per output block: 2 column blocks x 8 K parts = 16 cube tasks on the 24 AICs while the
# token rows are read only twice; the FP32 partial sums are added in a fixed order (part 0 + 1 +
# ... ) by the source_rows stage, which reads them anyway. Fewer parts when D has fewer than 8
# K chunks (D / 128: 4 parts at D = 512, the smallest D taken); project_tokens computes it.
K_SPLIT = 8
# Cube fractal M0: a token tile is the token count rounded up to 16 rows, so one decode token
# costs 16 padded rows of cube work instead of a fixed large tile.
CUBE_M = 16
# Most token rows per projection tile: the [128, 256] FP32 accumulator is 128 KiB, the whole
# L0C (pypto places the projection's accumulators at one address; a step of at most 64 tokens
# uses 64 KiB or less), and the [128, 128] BF16 token chunk 32 KiB of L1. Each token tile
# reads the task's weight block again, so 64-row tiles would read it twice as often (B 128
# S 4: 32 MiB of wkv / wgate instead of 16).
PROJ_MAX_ROWS = 128
# Rows of the window tiles: one valid row (each window has its own sources and cache slot) in
# 16-row tiles: the Hadamard matmul's left operand needs M a multiple of the 16-row cube
# fractal (ptoas: "boxed tile rows ... multiple of innerRows (16)"), and the row reductions'
# [M, 1] FP32 column results need M * 4 bytes to be a multiple of 32.
BATCH_TILE = 16
# Token rows per block of a projection group: the group's weight blocks are read once for up
# to 512 token rows (4 tiles of 128); a decode step (T <= 512) is one group, 16 blocks.
PROJ_GROUP_ROWS = 4 * PROJ_MAX_ROWS
# Blocks of the per-token dispatches: the step's tokens in at most this many blocks of
# consecutive tokens, one per core that runs them on a2a3: the AIVs (48) for the vector-only
# token rows and cache rows, the core groups (24) for the windows (a cube Hadamard each). Each
# token's work is independent of the others'; 32 tokens took 2 blocks of 16 before.
VECTOR_TOKEN_BLOCKS = 48
MIXED_TOKEN_BLOCKS = 24
# Requests whose saved state rows fit in ``sources`` after the token rows: the most of a decode
# step (128) and of a prefill chunk (64). A fixed count keeps the scratch's row count T + 1024,
# which pypto's kernel wrapper can invert (T + 8 * R, two run-time extents, it cannot).
MAX_REQUESTS = 128
SAVED_ROWS = COMPRESS_STATE_ROWS * MAX_REQUESTS
# request_of's bisection counts its steps for up to 2 ** 16 requests (scalar work only; its GM
# reads are ceil(log2 R)).
SEARCH_BITS = 16


@pl.jit.inline
def project_tile(
    x_tokens: pl.Tensor,
    weight: pl.Tensor,
    weight_column: pl.Scalar[pl.INT32],
    t0: pl.Scalar[pl.INT32],
    token_rows: pl.Scalar[pl.INT32],
    k_begin: pl.Scalar[pl.INT32],
    k_end: pl.Scalar[pl.INT32],
    token_tile: pl.Scalar[pl.INT32],
):
    """The FP32 [token_tile, PROJ_N_TILE] tile sum over k in [k_begin, k_end) of
    x_tokens[t0 + t, k] * weight[k, weight_column + n] (rows t < token_rows valid), in K_CHUNK
    order. ``token_tile`` is a constant folded by the caller from entry shapes. Call inside a
    cube scope."""
    x_chunk = pl.slice(
        x_tokens, [token_tile, K_CHUNK], [t0, k_begin], valid_shape=[token_rows, K_CHUNK]
    )
    w_chunk = pl.slice(weight, [K_CHUNK, PROJ_N_TILE], [k_begin, weight_column])
    acc = pl.matmul(x_chunk, w_chunk, out_dtype=pl.FP32)
    for k0 in pl.range(k_begin + K_CHUNK, k_end, K_CHUNK):
        x_chunk = pl.slice(
            x_tokens, [token_tile, K_CHUNK], [t0, k0], valid_shape=[token_rows, K_CHUNK]
        )
        w_chunk = pl.slice(weight, [K_CHUNK, PROJ_N_TILE], [k0, weight_column])
        acc = pl.matmul_acc(acc, x_chunk, w_chunk)
    return acc


@pl.jit.inline
def sum_parts(
    partial_by_request: pl.Tensor,
    B: pl.Scalar[pl.INT32],
    b0: pl.Scalar[pl.INT32],
    rows: pl.Scalar[pl.INT32],
    column: pl.Scalar[pl.INT32],
    parts: pl.Scalar[pl.INT32],
):
    """The [BATCH_TILE, 256] FP32 sum of the ``parts`` partial projections at ``column`` of rows
    b0.. (part 0 + part 1 + ... in that order). Call inside a vector scope."""
    total = pl.slice(
        partial_by_request,
        [BATCH_TILE, COMPRESS_STATE_WIDTH],
        [b0, column],
        valid_shape=[rows, COMPRESS_STATE_WIDTH],
    )
    for p in pl.range(1, parts):
        part = pl.slice(
            partial_by_request,
            [BATCH_TILE, COMPRESS_STATE_WIDTH],
            [p * B + b0, column],
            valid_shape=[rows, COMPRESS_STATE_WIDTH],
        )
        total = pl.add(total, part)
    return total


@pl.jit.inline
def source_row(
    q: pl.Scalar[pl.INT32],
    p0: pl.Scalar[pl.INT32],
    first: pl.Scalar[pl.INT32],
    w0: pl.Scalar[pl.INT32],
    base: pl.Scalar[pl.INT32],
):
    """The ``sources`` row of position q of a request whose step starts at position p0 (token
    row ``first``): its token row when q >= p0, else its saved state row base + 4 + (q - w0)
    (q in the two windows around w0 = p0 - p0 % 4).

    A branch, not arithmetic on a 0/1 flag: pypto's simplifier folds min/max and %, // of
    index expressions as if they could not go negative (q - p0 does here), and its truncating
    codegen then disagrees with the folded form (docs/dsl.md, scalar arithmetic)."""
    # Both branches cast to INDEX: the compiler requires one type for a name assigned in both.
    if q >= p0:
        row = pl.cast(first + (q - p0), pl.INDEX)
    else:
        row = pl.cast(base + COMPRESS_RATIO + (q - w0), pl.INDEX)
    return row


@pl.jit.inline
def request_of(
    cu_seqlens: pl.Tensor,
    t: pl.Scalar[pl.INT32],
):
    """The request owning token row t: the last r with cu_seqlens[r] <= t (empty requests own
    no row, so a tie goes to the later one), by bisection: ceil(log2 R) reads of cu_seqlens
    (7 at R = 128), not R - 1 (each a GM read)."""
    R = cu_seqlens.shape[0] - 1
    # ceil(log2 R): the powers of two below R (R <= 2 ** SEARCH_BITS).
    steps = 0
    span = 1
    for _bit in pl.range(SEARCH_BITS):
        steps = steps + pl.min(pl.max(R - span, 0), 1)
        span = span * 2
    # The answer stays in [lo, hi]; cu_seqlens[lo] <= t throughout (cu_seqlens[0] = 0).
    lo = 0
    hi = R - 1
    for _step in pl.range(steps):
        mid = (lo + hi + 1) // 2
        take = pl.min(pl.max(t - pl.read(cu_seqlens, [mid]) + 1, 0), 1)
        lo = lo + (mid - lo) * take
        hi = hi - (hi - mid + 1) * (1 - take)
    return lo


@pl.jit.inline
def request_index(
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    t: pl.Scalar[pl.INT32],
):
    """The request owning token row t: t // span when every request has ``span`` token rows
    (a decode step, span = S), else request_of (span 0: a packed chunk, cu_seqlens read)."""
    # t // max(span, 1): a prefill chunk passes span as the literal 0, and pypto folds the
    # untaken branch's constants too ("Floor division by zero" for t // 0).
    if span > 0:
        r = pl.cast(t // pl.max(span, 1), pl.INDEX)
    else:
        found = request_of(cu_seqlens, t)  # a statement of its own: the compiler inlines those
        r = pl.cast(found, pl.INDEX)
    return r


@pl.jit.inline
def request_start(
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    r: pl.Scalar[pl.INT32],
):
    """The first token row of request r (r = R: the row count): r * span when every request
    has ``span`` token rows (a decode step), else cu_seqlens[r] (span 0). Computed, a decode
    step needs no starts tensor, and so no stage of its own to write one (the step's requests
    once came as cu_seqlens from a one-task ``request_starts`` stage: a submission on the
    serial path for B integers)."""
    if span > 0:
        first = pl.cast(r * span, pl.INDEX)
    else:
        first = pl.cast(pl.read(cu_seqlens, [r]), pl.INDEX)
    return first


@pl.jit.inline
def pool_window(
    sources: pl.Tensor,
    norm_weight_row: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    pos: pl.Scalar[pl.INT32],
    p0: pl.Scalar[pl.INT32],
    first: pl.Scalar[pl.INT32],
    w0: pl.Scalar[pl.INT32],
    base: pl.Scalar[pl.INT32],
):
    """Pool the window closing at ``pos`` from its 8 ``sources`` rows, RMSNorm and RoPE the
    pooled row; returns the BF16 [BATCH_TILE, 128] tile, row 0 valid (call in a vector scope).
    Row i (position pos - 7 + i) contributes its front half for i < 4, its back half after."""
    q0 = pos - (COMPRESS_STATE_ROWS - 1)
    src = source_row(q0, p0, first, w0, base)
    gate_max = pl.slice(
        sources, [BATCH_TILE, HALF_WIDTH], [src, GATE_COLUMN], valid_shape=[1, HALF_WIDTH]
    )
    for i in pl.range(1, COMPRESS_STATE_ROWS):
        src = source_row(q0 + i, p0, first, w0, base)
        column = GATE_COLUMN + (i // COMPRESS_RATIO) * HALF_WIDTH
        gate = pl.slice(
            sources, [BATCH_TILE, HALF_WIDTH], [src, column], valid_shape=[1, HALF_WIDTH]
        )
        gate_max = pl.maximum(gate_max, gate)
    src = source_row(q0, p0, first, w0, base)
    gate = pl.slice(
        sources, [BATCH_TILE, HALF_WIDTH], [src, GATE_COLUMN], valid_shape=[1, HALF_WIDTH]
    )
    kv_part = pl.slice(sources, [BATCH_TILE, HALF_WIDTH], [src, 0], valid_shape=[1, HALF_WIDTH])
    weight = pl.exp(pl.sub(gate, gate_max))  # empty rows: exp(-inf) = 0
    weight_sum = weight
    weighted_kv = pl.mul(weight, kv_part)
    for i in pl.range(1, COMPRESS_STATE_ROWS):
        src = source_row(q0 + i, p0, first, w0, base)
        half = (i // COMPRESS_RATIO) * HALF_WIDTH
        gate = pl.slice(
            sources,
            [BATCH_TILE, HALF_WIDTH],
            [src, GATE_COLUMN + half],
            valid_shape=[1, HALF_WIDTH],
        )
        kv_part = pl.slice(
            sources, [BATCH_TILE, HALF_WIDTH], [src, half], valid_shape=[1, HALF_WIDTH]
        )
        weight = pl.exp(pl.sub(gate, gate_max))
        weight_sum = pl.add(weight_sum, weight)
        weighted_kv = pl.add(weighted_kv, pl.mul(weight, kv_part))
    pooled = pl.cast(pl.div(weighted_kv, weight_sum), pl.BF16, mode="rint")

    # rmsnorm on the BF16-rounded pooled value.
    values = pl.cast(pooled, pl.FP32)
    mean_square = pl.mul(pl.row_sum(pl.mul(values, values)), INV_HEAD_DIM)
    inv_rms = pl.rsqrt(pl.add(mean_square, RMS_NORM_EPS))
    gain = pl.cast(pl.slice(norm_weight_row, [1, INDEX_HEAD_DIM], [0, 0]), pl.FP32)
    normed = pl.cast(
        pl.col_expand_mul(pl.row_expand_mul(values, inv_rms), gain), pl.BF16, mode="rint"
    )

    # rope of the trailing ROPE_DIM dims at the window's first position. Interleaved pairs via
    # pl.gather(index) on FP32: with k the column, out[k] = x[k] * cos[k // 2] + x[k ^ 1] *
    # (+-sin[k // 2]) (minus on even k). The index rows are built from pl.arange with exact FP32
    # arithmetic; a pair-swap permutation matmul would need a constant matrix input instead.
    window_start = pos - (COMPRESS_RATIO - 1)
    column_index = pl.cast(pl.arange(0, [1, ROPE_DIM], dtype=pl.INT32), pl.FP32)
    pair_index = pl.cast(pl.mul(column_index, 0.5), pl.INT32, mode="floor")
    parity = pl.sub(column_index, pl.mul(pl.cast(pair_index, pl.FP32), 2.0))
    sin_sign = pl.sub(pl.mul(parity, 2.0), 1.0)  # -1 on even k, +1 on odd k
    partner = pl.sub(pl.add(column_index, 1.0), pl.mul(parity, 2.0))  # k ^ 1
    partner_index = pl.cast(partner, pl.INT32)  # exact small integers
    cos_row = pl.slice(rope_cos, [1, ROPE_PAIRS], [window_start, 0])
    sin_row = pl.slice(rope_sin, [1, ROPE_PAIRS], [window_start, 0])
    cos_wide = pl.gather(cos_row, dim=-1, index=pair_index)
    sin_wide = pl.mul(pl.gather(sin_row, dim=-1, index=pair_index), sin_sign)
    # The two halves of the row come out through gathers, not column slices: ptoas refuses a
    # column slice of a row-major tile as a cast or move operand on A2/A3 (it keeps its parent's
    # row stride). Gathering FP32 values is exact, and so is the BF16 -> FP32 -> BF16 round trip.
    # Every index is a [1, N] tile built directly, static and valid over its whole shape, and
    # a gather's result is valid where its index is: row 0. A [BATCH_TILE, N] index (cut to
    # row 0 or not) makes the gather's lowering add each row's offset, a TADD of the index
    # (static valid shape) and an offset tile of runtime valid shape, which pto-isa's a5 CPU
    # TADD_IMPL rejects (one tile type for all operands); a one-row index needs no offsets.
    normed_f32 = pl.cast(normed, pl.FP32)
    nope_index = pl.cast(column_index, pl.INT32)
    rope_index = pl.cast(pl.add(column_index, NOPE_DIM_FP32), pl.INT32)
    rope_part = pl.gather(normed_f32, dim=-1, index=rope_index)
    nope_part = pl.cast(pl.gather(normed_f32, dim=-1, index=nope_index), pl.BF16, mode="rint")
    swapped = pl.gather(rope_part, dim=-1, index=partner_index)
    rotated = pl.add(pl.mul(rope_part, cos_wide), pl.mul(swapped, sin_wide))
    row = pl.concat(nope_part, pl.cast(rotated, pl.BF16, mode="rint"))
    # Whole rows into a [BATCH_TILE, 128] tile for the Hadamard matmul; re-assert the window's
    # row so the product and the cache store cover that row only.
    rows = pl.assemble(
        pl.full([BATCH_TILE, INDEX_HEAD_DIM], dtype=pl.BF16, value=0.0), row, [0, 0]
    )
    return pl.set_validshape(rows, 1, INDEX_HEAD_DIM)


@pl.jit.inline
def project_tokens(
    x_tokens: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    proj_partial: pl.Tensor,
):
    """``kv_gate_projection``: the min(K_SPLIT, D / 128) partial products [x @ wkv | x @ wgate]
    of every token row into proj_partial [K_SPLIT * T, 512] (part p in rows p * T ..), one block
    per (group of up to PROJ_GROUP_ROWS token rows, 256-column block, K part)."""
    T = x_tokens.shape[0]
    D = x_tokens.shape[1]
    pl.static_assert(D % K_CHUNK == 0, "hidden size D must be a multiple of 128 (K_CHUNK)")
    pl.static_assert(D >= 4 * K_CHUNK, "hidden size D must be at least 512 (4 K parts)")
    chunks = D // K_CHUNK
    # min(K_SPLIT, chunks) in integer ops on shape constants (source_rows computes the same)
    parts = chunks - (chunks - K_SPLIT) * (1 - 1 // (chunks // K_SPLIT + 1))
    token_tiles = (T + PROJ_MAX_ROWS - 1) // PROJ_MAX_ROWS
    token_tile = ((T + token_tiles - 1) // token_tiles + CUBE_M - 1) // CUBE_M * CUBE_M
    group_rows = PROJ_GROUP_ROWS // PROJ_MAX_ROWS * token_tile
    column_blocks = PROJ_WIDTH // PROJ_N_TILE
    groups = (T + group_rows - 1) // group_rows
    with pl.spmd(parts * column_blocks * groups, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_gate_projection"):
            part = pl.tile.get_block_idx() % parts
            n0 = pl.tile.get_block_idx() // parts % column_blocks * PROJ_N_TILE
            g0 = pl.tile.get_block_idx() // (parts * column_blocks) * group_rows
            k_begin = part * chunks // parts * K_CHUNK
            k_end = (part + 1) * chunks // parts * K_CHUNK
            for t0 in pl.range(g0, pl.min(T, g0 + group_rows), token_tile):
                token_rows = pl.min(token_tile, T - t0)
                # Each branch stores its own accumulator: an L0C tile may not be the value of
                # an if/else (the compiler's MemoryReuse pass rejects it).
                if n0 < COMPRESS_STATE_WIDTH:
                    kv_acc = project_tile(
                        x_tokens, wkv, n0, t0, token_rows, k_begin, k_end, token_tile
                    )
                    proj_partial = pl.assemble(proj_partial, kv_acc, [part * T + t0, n0])
                else:
                    gate_acc = project_tile(
                        x_tokens, wgate, n0 - COMPRESS_STATE_WIDTH,
                        t0, token_rows, k_begin, k_end, token_tile,
                    )  # fmt: skip
                    proj_partial = pl.assemble(proj_partial, gate_acc, [part * T + t0, n0])


@pl.jit.inline
def gather_sources(
    x_tokens: pl.Tensor,
    positions: pl.Tensor,
    ape: pl.Tensor,
    proj_partial: pl.Tensor,
    state_slots: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    sources: pl.Tensor,
):
    """``source_rows``: every row a window can read into ``sources`` (module docstring): each
    live token's [kv | gate + ape] row (the state row the sequential walk would write), its K
    parts summed in order (x_tokens for D only), and each live request's 8 saved state rows.
    One stage for both: block b takes its run of consecutive tokens and its run of requests.
    The saved rows need no projection and once ran beside it as a stage of their own, but on
    the chip every stage costs a submission on the orchestration's serial path (the cost
    model's 5 us), more than the copies it overlapped (16 KiB per request)."""
    T = positions.shape[0]
    R = state_slots.shape[0]
    chunks = x_tokens.shape[1] // K_CHUNK
    # project_tokens' part count, min(K_SPLIT, chunks)
    parts = chunks - (chunks - K_SPLIT) * (1 - 1 // (chunks // K_SPLIT + 1))
    per_block = (T + VECTOR_TOKEN_BLOCKS - 1) // VECTOR_TOKEN_BLOCKS
    blocks = (T + per_block - 1) // per_block
    requests_per_block = (R + blocks - 1) // blocks
    state_rows = kv_state.shape[0] * COMPRESS_STATE_ROWS
    kv_rows = pl.reshape(kv_state, [state_rows, COMPRESS_STATE_WIDTH])
    score_rows = pl.reshape(score_state, [state_rows, COMPRESS_STATE_WIDTH])
    with pl.spmd(blocks, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="source_rows"):
            r0 = pl.tile.get_block_idx() * requests_per_block
            for r in pl.range(r0, pl.min(R, r0 + requests_per_block)):
                slot = pl.read(state_slots, [r])
                if slot >= 0:
                    base = T + COMPRESS_STATE_ROWS * r
                    row0 = slot * COMPRESS_STATE_ROWS
                    sources = pl.assemble(
                        sources, kv_rows[row0 : row0 + COMPRESS_STATE_ROWS, :], [base, 0]
                    )
                    sources = pl.assemble(
                        sources,
                        score_rows[row0 : row0 + COMPRESS_STATE_ROWS, :],
                        [base, GATE_COLUMN],
                    )
            t0 = pl.tile.get_block_idx() * per_block
            for t in pl.range(t0, pl.min(T, t0 + per_block)):
                pos = pl.read(positions, [t])
                if pos >= 0:
                    # Inline helpers are called as whole statements: the compiler inlines
                    # `x = helper(...)`, not a call nested in an expression ("No codegen
                    # registered for operation: sum_parts").
                    gate = sum_parts(proj_partial, T, t, 1, GATE_COLUMN, parts)
                    ape_row = pl.slice(ape, [1, COMPRESS_STATE_WIDTH], [pos % COMPRESS_RATIO, 0])
                    sources = pl.assemble(
                        sources, pl.col_expand_add(gate, ape_row), [t, GATE_COLUMN]
                    )
                    kv = sum_parts(proj_partial, T, t, 1, 0, parts)
                    sources = pl.assemble(sources, kv, [t, 0])


@pl.jit.inline
def closed_window_row(
    positions: pl.Tensor,
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    sources: pl.Tensor,
    norm_weight_row: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    t: pl.Scalar[pl.INT32],
):
    """The BF16 cache row of the window token row t closes: pooled from its ``sources`` rows,
    normed and roped (pool_window), times the Hadamard on the cube; a [BATCH_TILE, 128] tile,
    row 0 valid. Call inside a scope with a cube and a vector side."""
    T = positions.shape[0]
    pos = pl.read(positions, [t])
    r = request_index(cu_seqlens, span, t)
    first = request_start(cu_seqlens, span, r)
    p0 = pl.read(positions, [first])
    pooled = pool_window(
        sources, norm_weight_row, rope_cos, rope_sin, pos, p0, first,
        p0 - p0 % COMPRESS_RATIO, T + COMPRESS_STATE_ROWS * r,
    )  # fmt: skip
    matrix = pl.slice(hadamard, [INDEX_HEAD_DIM, INDEX_HEAD_DIM], [0, 0])
    product = pl.matmul(pooled, matrix, out_dtype=pl.FP32)
    # The product's row 0 only (a matmul result is typed valid over its M rows).
    return pl.set_validshape(pl.cast(product, pl.BF16, mode="rint"), 1, INDEX_HEAD_DIM)


@pl.jit.inline
def pool_windows(
    positions: pl.Tensor,
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    slot_mapping: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    sources: pl.Tensor,
    index_cache: pl.Tensor,
):
    """``window_pool_rmsnorm_rope_hadamard`` (c16): every window the step closes (a token with
    a cache slot), pooled from its ``sources`` rows, normed, roped and rotated; its BF16 row
    goes to its cache slot of index_cache [N, BS, 128]."""
    T = positions.shape[0]
    pool_rows = index_cache.shape[0] * index_cache.shape[1]
    cache_rows = pl.reshape(index_cache, [pool_rows, INDEX_HEAD_DIM])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])
    per_block = (T + MIXED_TOKEN_BLOCKS - 1) // MIXED_TOKEN_BLOCKS
    with pl.spmd((T + per_block - 1) // per_block, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="window_pool_rmsnorm_rope_hadamard"):
            t0 = pl.tile.get_block_idx() * per_block
            for t in pl.range(t0, pl.min(T, t0 + per_block)):
                cache_slot = pl.read(slot_mapping, [t])
                if cache_slot >= 0:
                    row = closed_window_row(
                        positions, cu_seqlens, span, sources, norm_weight_row, rope_cos,
                        rope_sin, hadamard, t,
                    )  # fmt: skip
                    cache_rows = pl.assemble(cache_rows, row, [cache_slot, 0])


@pl.jit.inline
def pool_quant_windows(
    positions: pl.Tensor,
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    slot_mapping: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    sources: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
):
    """``window_pool_rmsnorm_rope_hadamard_quant`` (c8): pool_windows' BF16 row of each
    window the step closes, as per-row INT8 codes and their FP32 dequant scale in its cache
    slot (reference/quant.py's chain), in the same task: the row never leaves the core group
    (it once went through a [T, 128] staging tensor to a quantize stage of its own, a second
    submission on the serial path)."""
    T = positions.shape[0]
    pool_rows = index_cache.shape[0] * index_cache.shape[1]
    cache_flat = pl.reshape(index_cache, [pool_rows, INDEX_HEAD_DIM])
    scale_flat = pl.reshape(index_cache_scale, [pool_rows, 1])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])
    per_block = (T + MIXED_TOKEN_BLOCKS - 1) // MIXED_TOKEN_BLOCKS
    with pl.spmd((T + per_block - 1) // per_block, allow_early_resolve=True):
        with pl.at(
            level=pl.Level.CORE_GROUP, name_hint="window_pool_rmsnorm_rope_hadamard_quant"
        ):
            t0 = pl.tile.get_block_idx() * per_block
            for t in pl.range(t0, pl.min(T, t0 + per_block)):
                cache_slot = pl.read(slot_mapping, [t])
                if cache_slot >= 0:
                    row = closed_window_row(
                        positions, cu_seqlens, span, sources, norm_weight_row, rope_cos,
                        rope_sin, hadamard, t,
                    )  # fmt: skip
                    row_f32 = pl.cast(row, pl.FP32)
                    amax = pl.maximum(pl.row_max(pl.abs(row_f32)), AMAX_FLOOR)
                    # numerator 127 derived from amax (the compiler's layout pass rejects a
                    # pl.full column against a row_max result); exact for amax >= 1e-4.
                    scaled = pl.row_expand_mul(
                        row_f32, pl.div(pl.add(pl.mul(amax, 0.0), INT8_MAX), amax)
                    )
                    codes_i32 = pl.cast(scaled, pl.INT32, mode="round")
                    codes_f16 = pl.cast(codes_i32, pl.FP16, mode="round")
                    codes = pl.cast(codes_f16, pl.INT8, mode="trunc")
                    cache_flat = pl.assemble(cache_flat, codes, [cache_slot, 0])
                    scale_flat = pl.assemble(scale_flat, pl.div(amax, INT8_MAX), [cache_slot, 0])


@pl.jit.inline
def write_back_state(
    positions: pl.Tensor,
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    state_slots: pl.Tensor,
    sources: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
):
    """``state_write_back``: per live request with tokens this step, the state rows the
    sequential walk changes: row 4 + q % 4 for each of the step's last (up to 4) positions q,
    and, when a window closed in the step, rows 0..3 from the last one (positions c_last - 3
    .. c_last). Every other row keeps its saved value. All scalar arithmetic stays
    non-negative (source_row says why)."""
    T = positions.shape[0]
    R = state_slots.shape[0]
    state_rows = kv_state.shape[0] * COMPRESS_STATE_ROWS
    kv_rows = pl.reshape(kv_state, [state_rows, COMPRESS_STATE_WIDTH])
    score_rows = pl.reshape(score_state, [state_rows, COMPRESS_STATE_WIDTH])
    with pl.spmd(R, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="state_write_back"):
            r = pl.tile.get_block_idx()
            slot = pl.read(state_slots, [r])
            first = request_start(cu_seqlens, span, r)
            end = request_start(cu_seqlens, span, r + 1)
            count = end - first
            if slot >= 0:
                row0 = slot * COMPRESS_STATE_ROWS
                p0 = pl.read(positions, [first])
                # rows 4..7: the step's last min(count, 4) tokens, each its own slot.
                for i in pl.range(COMPRESS_RATIO):
                    if i < count:
                        token = first + count - 1 - i
                        back = row0 + COMPRESS_RATIO + (p0 + count - 1 - i) % COMPRESS_RATIO
                        kv_rows[back : back + 1, :] = sources[
                            token : token + 1, 0:COMPRESS_STATE_WIDTH
                        ]
                        score_rows[back : back + 1, :] = sources[
                            token : token + 1, GATE_COLUMN : GATE_COLUMN + COMPRESS_STATE_WIDTH
                        ]
                # rows 0..3: the last closed window (the last position c with c % 4 == 3 is
                # pe - (pe + 1) % 4; it is in the step when (pe + 1) % 4 < count).
                pe = p0 + count - 1
                if (pe + 1) % COMPRESS_RATIO < count:
                    window = pe - (pe + 1) % COMPRESS_RATIO - (COMPRESS_RATIO - 1)
                    w0 = p0 - p0 % COMPRESS_RATIO
                    base = T + COMPRESS_STATE_ROWS * r
                    for k in pl.range(COMPRESS_RATIO):
                        src = source_row(window + k, p0, first, w0, base)
                        kv_rows[row0 + k : row0 + k + 1, :] = sources[
                            src : src + 1, 0:COMPRESS_STATE_WIDTH
                        ]
                        score_rows[row0 + k : row0 + k + 1, :] = sources[
                            src : src + 1, GATE_COLUMN : GATE_COLUMN + COMPRESS_STATE_WIDTH
                        ]


@pl.jit.inline
def project_step(
    x: pl.Tensor,
    position_ids: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    proj_partial: pl.Tensor,
):
    """``kv_gate_projection`` of a decode step's B * S tokens (x [B, S, D], position_ids
    [B, S]) into proj_partial [K_SPLIT * B * S, 512], for ``compress_step_c16`` / ``_c8``."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernel wrapper recovers T from
    # the token-major shapes (it inverts `var * const`, not `B * S`).
    batch_dim = pl.tensor.dim(x, 0)
    seq_dim = pl.tensor.dim(x, 1)
    hidden_dim = pl.tensor.dim(x, 2)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    x_tokens = pl.reshape(x, [tokens_dim, hidden_dim])
    project_tokens(x_tokens, wkv, wgate, proj_partial)


@pl.jit.inline
def compress_tokens_c16(
    x_tokens: pl.Tensor,
    proj_partial: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    positions: pl.Tensor,
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    sources: pl.Tensor,
    index_cache: pl.Tensor,
):
    """The compressor's cache rows over T packed token rows [T, D] of R requests (request r
    owns rows cu_seqlens[r] .. cu_seqlens[r + 1] - 1, or r * span .. when span > 0; positions
    and slot_mapping [T]), BF16 cache rows, after ``project_tokens`` has filled proj_partial
    [K_SPLIT * T, 512]; returns index_cache. ``sources`` is the caller's FP32
    [T + SAVED_ROWS, 512] scratch, which ``write_back_state`` then reads: the caller submits
    that stage after the ones that read the cache (nothing else waits on the state)."""
    pl.static_assert(
        state_slots.shape[0] <= MAX_REQUESTS, "at most 128 requests (MAX_REQUESTS) per call"
    )
    gather_sources(
        x_tokens, positions, ape, proj_partial, state_slots, kv_state, score_state, sources
    )
    pool_windows(  # format
        positions, cu_seqlens, span, slot_mapping, norm_weight, rope_cos, rope_sin, hadamard,
        sources, index_cache,  # format
    )  # fmt: skip
    return index_cache


@pl.jit.inline
def compress_tokens_c8(
    x_tokens: pl.Tensor,
    proj_partial: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    positions: pl.Tensor,
    cu_seqlens: pl.Tensor,
    span: pl.Scalar[pl.INT32],
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    sources: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,  # format
):
    """compress_tokens_c16's stages with INT8 rows + FP32 row scale (c8): each window's BF16
    row quantized into its cache slot in the task that makes it; returns index_cache."""
    pl.static_assert(
        state_slots.shape[0] <= MAX_REQUESTS, "at most 128 requests (MAX_REQUESTS) per call"
    )
    gather_sources(
        x_tokens, positions, ape, proj_partial, state_slots, kv_state, score_state, sources
    )
    pool_quant_windows(  # format
        positions, cu_seqlens, span, slot_mapping, norm_weight, rope_cos, rope_sin, hadamard,
        sources, index_cache, index_cache_scale,  # format
    )  # fmt: skip
    return index_cache


@pl.jit.inline
def compress_step_c16(
    x: pl.Tensor,
    proj_partial: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    sources: pl.Tensor,
    index_cache: pl.Tensor,
):
    """One serving step's cache rows (c16), after ``project_step``: the step's B * S tokens
    as B requests of S token rows each (compress_tokens_c16); returns index_cache. Then
    ``write_back_step`` with the same ``sources``."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernels recover T from their
    # token-major shapes (pypto's kernel wrapper inverts `var * const`, not `B * S`).
    batch_dim = pl.tensor.dim(x, 0)
    seq_dim = pl.tensor.dim(x, 1)
    hidden_dim = pl.tensor.dim(x, 2)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    x_tokens = pl.reshape(x, [tokens_dim, hidden_dim])
    positions = pl.reshape(position_ids, [tokens_dim])
    token_slots = pl.reshape(slot_mapping, [tokens_dim])
    # span S > 0: request r's rows are r * S .. (request_start), so the cu_seqlens argument
    # is never read; positions stands in for it (an INT32 vector the step has).
    index_cache = compress_tokens_c16(
        x_tokens, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, positions,
        positions, x.shape[1], state_slots, token_slots, kv_state, score_state, sources,
        index_cache,  # format
    )  # fmt: skip
    return index_cache


@pl.jit.inline
def compress_step_c8(
    x: pl.Tensor,
    proj_partial: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    sources: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,  # format
):
    """One serving step's cache rows, INT8 rows + FP32 row scale (c8), after
    ``project_step``: the step's B * S tokens as B requests of S token rows each
    (compress_tokens_c8); returns index_cache. Then ``write_back_step`` with the same
    ``sources``."""
    pl.static_assert(
        x.shape[1] <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the kernels recover T from their
    # token-major shapes (pypto's kernel wrapper inverts `var * const`, not `B * S`).
    batch_dim = pl.tensor.dim(x, 0)
    seq_dim = pl.tensor.dim(x, 1)
    hidden_dim = pl.tensor.dim(x, 2)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    x_tokens = pl.reshape(x, [tokens_dim, hidden_dim])
    positions = pl.reshape(position_ids, [tokens_dim])
    token_slots = pl.reshape(slot_mapping, [tokens_dim])
    # span S > 0: request r's rows are r * S .. (request_start), so the cu_seqlens argument
    # is never read; positions stands in for it (an INT32 vector the step has).
    index_cache = compress_tokens_c8(
        x_tokens, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, positions,
        positions, x.shape[1], state_slots, token_slots, kv_state, score_state, sources,
        index_cache, index_cache_scale,  # format
    )  # fmt: skip
    return index_cache


@pl.jit.inline
def write_back_step(
    position_ids: pl.Tensor,
    state_slots: pl.Tensor,
    sources: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
):
    """``state_write_back`` of one serving step (position_ids [B, S]; ``sources`` as
    ``compress_step_*`` filled it): submit it after every stage the step's outputs wait on."""
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    positions = pl.reshape(position_ids, [tokens_dim])
    write_back_state(
        positions, positions, position_ids.shape[1], state_slots, sources, kv_state, score_state
    )


@pl.jit
def indexer_compressor_c16(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
):
    """Ratio-4 compressor, one serving step, BF16 cache rows (see module doc)."""
    # T = B * S as one scalar: the projection's partial sums are sized by it alone.
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    proj_partial = pl.create_tensor([K_SPLIT * tokens_dim, PROJ_WIDTH], dtype=pl.FP32)
    sources = pl.create_tensor([tokens_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    project_step(x, position_ids, wkv, wgate, proj_partial)
    index_cache = compress_step_c16(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
    )  # fmt: skip
    write_back_step(position_ids, state_slots, sources, kv_state, score_state)
    return index_cache


@pl.jit
def indexer_compressor_c8(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
    index_cache_scale: pl.InOut[pl.Tensor],  # format
):
    """Ratio-4 compressor, one serving step, INT8 rows + FP32 scale (see module doc)."""
    # T = B * S as one scalar: the projection's partial sums are sized by it alone.
    batch_dim = pl.tensor.dim(position_ids, 0)
    seq_dim = pl.tensor.dim(position_ids, 1)
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    proj_partial = pl.create_tensor([K_SPLIT * tokens_dim, PROJ_WIDTH], dtype=pl.FP32)
    sources = pl.create_tensor([tokens_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    project_step(x, position_ids, wkv, wgate, proj_partial)
    index_cache = compress_step_c8(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
        index_cache_scale,  # format
    )  # fmt: skip
    write_back_step(position_ids, state_slots, sources, kv_state, score_state)
    return index_cache
