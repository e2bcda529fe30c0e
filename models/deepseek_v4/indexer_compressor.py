"""DeepSeek-V4 indexer compressor (ratio 4, overlapping windows) as pypto kernels, on the
serving contract of models/deepseek_v4/serving.py.

Public entry points
-------------------
``indexer_compressor_c16(...)`` / ``indexer_compressor_c8(...)``: the ``@pl.jit`` kernels (one
decode step of S tokens for B requests), one per cache format.
``compress_step_c16(...)`` / ``compress_step_c8(...)``: the same computation as
``@pl.jit.inline`` functions, for the indexer kernel's stage 7. Parameters (positional, shapes
from the call; B, S, D, the pools and the rope tables are run-time sizes):

    x             [B, S, D] BF16                 the step's hidden states
    wkv, wgate    [D, 256] BF16                  kv / gate projections
    ape           [4, 256] FP32                  position bias per slot pos % 4
    norm_weight   [128] BF16                     RMSNorm weight
    rope_cos/sin  [P, 32] FP32                   per-position tables (compressed-layer rope)
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

Math (per token at position pos; indexer_compressor_golden.py follows it step by step)
-------------------------------------------------------------------------------------
kv = x @ wkv, score = x @ wgate + ape[pos % 4] (FP32), stored in state row 4 + pos % 4 of the
request's slot. When (pos + 1) % 4 == 0: per feature f, a softmax over 8 rows of the gates
(rows 0..3: column f, the previous window's front half; rows 4..7: column 128 + f) pools the
kv values; the state shifts (rows 4..7 copied to rows 0..3); the pooled row goes through
RMSNorm, RoPE on the trailing 64 dims at the window's first position pos - 3 and the Hadamard,
and lands in cache slot slot_mapping[b, s]: as BF16 (c16) or as per-row INT8 codes plus its
FP32 dequant scale (c8; the quant chain of golden/quant.py, the one the c16 indexer applies at
score time, so both formats give the same codes for the same row).

Stages (pl.at name_hints)
------------------------
``kv_gate_projection``  cube: x @ [wkv | wgate], 16 tasks (4 column blocks x 4 K parts).
``ape_add_state_scatter``  vector, per live (request, token): sum of the 4 K parts (fixed
                           order), + ape, into the request's state row 4 + pos % 4.
``pooling_shift_rmsnorm_rope_hadamard_cache_write`` (c8: ``..._quant_cache_write``), per
                           closing token: the pooled row stays on chip up to the cache store.
Tokens of one request run in order (each reads the state the previous one wrote); requests
run in parallel.

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
STATE_FLAT_WIDTH = COMPRESS_STATE_ROWS * COMPRESS_STATE_WIDTH  # one request's state as one row
CURRENT_WINDOW_COLUMN = COMPRESS_RATIO * COMPRESS_STATE_WIDTH  # rows 4..7 in the flat view
PROJ_WIDTH = 2 * COMPRESS_STATE_WIDTH  # [wkv | wgate] output columns of one token
NOPE_DIM_FP32 = NOPE_DIM * 1.0  # first rope column, as an FP32 tile operand
INV_HEAD_DIM = 1.0 / INDEX_HEAD_DIM  # mean of squares = sum * 1/128 (exact power of two)

# --- Tiling ---------------------------------------------------------------------------------
# Projection K chunk: BF16 [rows, 128] token chunk and [128, 128] weight chunk (32 KiB) in L1,
# auto-tiled into L0A/L0B by the compiler; K = 128 is a multiple of 16.
K_CHUNK = 128
# Projection output columns per cube task: [wkv | wgate] (512 columns) in 128-column blocks;
# 256-byte weight rows per DMA burst, and each weight element is read by exactly one task.
PROJ_N_TILE = 128
# K parts per output block: 4 column blocks x 4 K parts = 16 cube tasks on the 24 AICs while
# the token rows are read only 4 times; the 4 FP32 partial sums are added in a fixed order
# (part 0 + 1 + 2 + 3) by the scatter stage, which reads them anyway.
K_SPLIT = 4
# Cube fractal M0: a token tile is the token count rounded up to 16 rows, so one decode token
# costs 16 padded rows of cube work instead of a fixed large tile.
CUBE_M = 16
# Most token rows per projection tile: the [128, 128] FP32 accumulator is 64 KiB (half of the
# 128 KiB L0C) and the [128, 128] BF16 token chunk 32 KiB of L1.
PROJ_MAX_ROWS = 128
# Rows of the per-request vector tiles: one valid row (requests sit at independent positions
# and their states in arbitrary pool slots), in 8-row tiles because the row reductions' [M, 1]
# FP32 column results need M * 4 bytes to be a multiple of 32.
BATCH_TILE = 16


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
):
    """The [BATCH_TILE, 256] FP32 sum of the K_SPLIT partial projections at ``column`` of rows
    b0.. (part 0 + part 1 + ... in that order). Call inside a vector scope."""
    total = pl.slice(
        partial_by_request,
        [BATCH_TILE, COMPRESS_STATE_WIDTH],
        [b0, column],
        valid_shape=[rows, COMPRESS_STATE_WIDTH],
    )
    for p in pl.range(1, K_SPLIT):
        part = pl.slice(
            partial_by_request,
            [BATCH_TILE, COMPRESS_STATE_WIDTH],
            [p * B + b0, column],
            valid_shape=[rows, COMPRESS_STATE_WIDTH],
        )
        total = pl.add(total, part)
    return total


@pl.jit.inline
def compress_window(
    kv_state_flat: pl.Tensor,
    score_state_flat: pl.Tensor,
    norm_weight_row: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    b0: pl.Scalar[pl.INT32],
    rows: pl.Scalar[pl.INDEX],
    window_start: pl.Scalar[pl.INT32],
):
    """Pool one closing window of BATCH_TILE requests, shift their state, RMSNorm and RoPE the
    pooled row; returns the BF16 [BATCH_TILE, 128] row tile (call inside a vector scope)."""
    # pooling: state row r, half h sits at column r * 256 + h * 128 of the flat view: rows
    # 0..3 contribute their front half, rows 4..7 their back half.
    gate_max = pl.slice(
        score_state_flat, [BATCH_TILE, HALF_WIDTH], [b0, 0], valid_shape=[rows, HALF_WIDTH]
    )
    for r in pl.range(1, COMPRESS_STATE_ROWS):
        column = r * COMPRESS_STATE_WIDTH + (r // COMPRESS_RATIO) * HALF_WIDTH
        gate = pl.slice(
            score_state_flat,
            [BATCH_TILE, HALF_WIDTH],
            [b0, column],
            valid_shape=[rows, HALF_WIDTH],
        )
        gate_max = pl.maximum(gate_max, gate)
    gate = pl.slice(
        score_state_flat, [BATCH_TILE, HALF_WIDTH], [b0, 0], valid_shape=[rows, HALF_WIDTH]
    )
    kv_part = pl.slice(
        kv_state_flat, [BATCH_TILE, HALF_WIDTH], [b0, 0], valid_shape=[rows, HALF_WIDTH]
    )
    weight = pl.exp(pl.sub(gate, gate_max))  # empty rows: exp(-inf) = 0
    weight_sum = weight
    weighted_kv = pl.mul(weight, kv_part)
    for r in pl.range(1, COMPRESS_STATE_ROWS):
        column = r * COMPRESS_STATE_WIDTH + (r // COMPRESS_RATIO) * HALF_WIDTH
        gate = pl.slice(
            score_state_flat,
            [BATCH_TILE, HALF_WIDTH],
            [b0, column],
            valid_shape=[rows, HALF_WIDTH],
        )
        kv_part = pl.slice(
            kv_state_flat,
            [BATCH_TILE, HALF_WIDTH],
            [b0, column],
            valid_shape=[rows, HALF_WIDTH],
        )
        weight = pl.exp(pl.sub(gate, gate_max))
        weight_sum = pl.add(weight_sum, weight)
        weighted_kv = pl.add(weighted_kv, pl.mul(weight, kv_part))
    pooled = pl.cast(pl.div(weighted_kv, weight_sum), pl.BF16, mode="rint")

    # state shift, after every pooling read: rows 4..7 -> rows 0..3; rows 4..7 keep their
    # values (overwritten by the next window's tokens before the next pooling reads them).
    current_kv = pl.slice(
        kv_state_flat,
        [BATCH_TILE, CURRENT_WINDOW_COLUMN],
        [b0, CURRENT_WINDOW_COLUMN],
        valid_shape=[rows, CURRENT_WINDOW_COLUMN],
    )
    kv_state_flat = pl.assemble(kv_state_flat, current_kv, [b0, 0])
    current_score = pl.slice(
        score_state_flat,
        [BATCH_TILE, CURRENT_WINDOW_COLUMN],
        [b0, CURRENT_WINDOW_COLUMN],
        valid_shape=[rows, CURRENT_WINDOW_COLUMN],
    )
    score_state_flat = pl.assemble(score_state_flat, current_score, [b0, 0])

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
    column_index = pl.cast(pl.arange(0, [1, ROPE_DIM], dtype=pl.INT32), pl.FP32)
    pair_index = pl.cast(pl.mul(column_index, 0.5), pl.INT32, mode="floor")
    parity = pl.sub(column_index, pl.mul(pl.cast(pair_index, pl.FP32), 2.0))
    sin_sign = pl.sub(pl.mul(parity, 2.0), 1.0)  # -1 on even k, +1 on odd k
    partner = pl.sub(pl.add(column_index, 1.0), pl.mul(parity, 2.0))  # k ^ 1
    partner_rows = pl.col_expand_add(
        pl.full([BATCH_TILE, ROPE_DIM], dtype=pl.FP32, value=0.0), partner
    )
    partner_index = pl.cast(partner_rows, pl.INT32)  # exact small integers
    cos_row = pl.slice(rope_cos, [1, ROPE_PAIRS], [window_start, 0])
    sin_row = pl.slice(rope_sin, [1, ROPE_PAIRS], [window_start, 0])
    cos_wide = pl.gather(cos_row, dim=-1, index=pair_index)
    sin_wide = pl.mul(pl.gather(sin_row, dim=-1, index=pair_index), sin_sign)
    # The two halves of the row come out through gathers, not column slices: ptoas refuses a
    # column slice of a row-major tile as a cast or move operand on A2/A3 (it keeps its parent's
    # row stride). Gathering FP32 values is exact, and so is the BF16 -> FP32 -> BF16 round trip.
    normed_f32 = pl.cast(normed, pl.FP32)
    nope_index = pl.cast(
        pl.col_expand_add(pl.full([BATCH_TILE, NOPE_DIM], dtype=pl.FP32, value=0.0), column_index),
        pl.INT32,
    )
    rope_index = pl.cast(
        pl.col_expand_add(
            pl.full([BATCH_TILE, ROPE_DIM], dtype=pl.FP32, value=0.0),
            pl.add(column_index, NOPE_DIM_FP32),
        ),
        pl.INT32,
    )
    # A gather's result is valid where its index is: only the window's `rows` rows.
    rope_part = pl.gather(normed_f32, dim=-1, index=pl.set_validshape(rope_index, rows, ROPE_DIM))
    nope_part = pl.cast(
        pl.gather(normed_f32, dim=-1, index=pl.set_validshape(nope_index, rows, NOPE_DIM)),
        pl.BF16,
        mode="rint",
    )
    swapped = pl.gather(rope_part, dim=-1, index=partner_index)
    rotated = pl.add(
        pl.col_expand_mul(rope_part, cos_wide),
        pl.col_expand_mul(swapped, sin_wide),
    )
    # pypto types a concat as valid over its whole shape; re-assert the window's rows so the
    # Hadamard product and the cache store cover those rows only.
    row = pl.concat(nope_part, pl.cast(rotated, pl.BF16, mode="rint"))
    return pl.set_validshape(row, rows, INDEX_HEAD_DIM)


@pl.jit.inline
def compress_step_c16(
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
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    index_cache: pl.Tensor,
):
    """One serving step of the compressor, BF16 cache rows (c16); returns index_cache."""
    B = x.shape[0]
    S = x.shape[1]
    D = x.shape[2]
    T = B * S
    pl.static_assert(D % K_CHUNK == 0, "hidden size D must be a multiple of 128 (K_CHUNK)")
    pl.static_assert(D >= K_SPLIT * K_CHUNK, "hidden size D must be at least 512 (K parts)")
    pl.static_assert(
        S <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # Extents as pl.tensor.dim aliases for the shapes of locals passed to inline helpers (the
    # JIT infers those shapes before parsing and does not follow x.shape[i] locals).
    batch_dim = pl.tensor.dim(x, 0)
    seq_dim = pl.tensor.dim(x, 1)
    hidden_dim = pl.tensor.dim(x, 2)
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the projection kernel recovers T
    # from its token-major shapes (pypto's kernel wrapper inverts `var * const`, not `B * S`).
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    slots_dim = pl.tensor.dim(kv_state, 0)
    pool_rows_dim = pl.tensor.dim(index_cache, 0) * pl.tensor.dim(index_cache, 1)

    # Orchestration views (no copies): token rows t = b * S + s; one pool slot's state as one
    # row; the block pool as rows of 128 (slot = block * block_size + offset).
    x_tokens = pl.reshape(x, [tokens_dim, hidden_dim])
    kv_state_flat = pl.reshape(kv_state, [slots_dim, STATE_FLAT_WIDTH])
    score_state_flat = pl.reshape(score_state, [slots_dim, STATE_FLAT_WIDTH])
    cache_flat = pl.reshape(index_cache, [pool_rows_dim, INDEX_HEAD_DIM])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])

    # GM scratch: K_SPLIT partial projections of every token (FP32), part p in rows p*T..;
    # columns 0..255 kv, 256..511 gate. Viewed per request: row p * B + b, token s at column
    # s * 512.
    proj_partial = pl.create_tensor([K_SPLIT * tokens_dim, PROJ_WIDTH], dtype=pl.FP32)
    partial_by_request = pl.reshape(proj_partial, [K_SPLIT * batch_dim, seq_dim * PROJ_WIDTH])

    # Stage 1: kv and gate projections of all tokens at once (they do not depend on state).
    chunks = D // K_CHUNK
    token_tiles = (T + PROJ_MAX_ROWS - 1) // PROJ_MAX_ROWS
    token_tile = ((T + token_tiles - 1) // token_tiles + CUBE_M - 1) // CUBE_M * CUBE_M
    for part in pl.parallel(K_SPLIT):
        k_begin = part * chunks // K_SPLIT * K_CHUNK
        k_end = (part + 1) * chunks // K_SPLIT * K_CHUNK
        for n0 in pl.parallel(0, PROJ_WIDTH, PROJ_N_TILE):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_gate_projection"):
                for t0 in pl.range(0, T, token_tile):
                    token_rows = pl.min(token_tile, T - t0)
                    # Each branch stores its own accumulator: an L0C tile may not be the
                    # value of an if/else (the compiler's MemoryReuse pass rejects it).
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

    # Stages 2..: requests in parallel (each its own state slot and positions), the tokens of a
    # request in order. A padded request (state slot -1) is skipped.
    for b in pl.parallel(B):
        state = pl.read(state_slots, [b])
        if state >= 0:
            for s in pl.range(S):
                pos = pl.read(position_ids, [b, s])
                slot = pos % COMPRESS_RATIO
                kv_column = s * PROJ_WIDTH
                gate_column = kv_column + COMPRESS_STATE_WIDTH
                state_column = (COMPRESS_RATIO + slot) * COMPRESS_STATE_WIDTH
                with pl.at(level=pl.Level.CORE_GROUP, name_hint="ape_add_state_scatter"):
                    gate = sum_parts(partial_by_request, B, b, 1, gate_column)
                    ape_row = pl.slice(ape, [1, COMPRESS_STATE_WIDTH], [slot, 0])
                    score_state_flat = pl.assemble(
                        score_state_flat, pl.col_expand_add(gate, ape_row), [state, state_column]
                    )
                    kv_row = sum_parts(partial_by_request, B, b, 1, kv_column)
                    kv_state_flat = pl.assemble(kv_state_flat, kv_row, [state, state_column])
                if (pos + 1) % COMPRESS_RATIO == 0:
                    # The closing window goes from state to cache slot in one task, the pooled
                    # row on chip: pooling, state shift, rmsnorm, rope (vector), Hadamard (cube).
                    cache_slot = pl.read(slot_mapping, [b, s])
                    window_start = pos - (COMPRESS_RATIO - 1)
                    with pl.at(
                        level=pl.Level.CORE_GROUP,
                        name_hint="pooling_shift_rmsnorm_rope_hadamard_cache_write",
                    ):
                        pooled = compress_window(
                            kv_state_flat, score_state_flat, norm_weight_row, rope_cos,
                            rope_sin, state, 1, window_start,
                        )  # fmt: skip
                        matrix = pl.slice(hadamard, [INDEX_HEAD_DIM, INDEX_HEAD_DIM], [0, 0])
                        product = pl.matmul(pooled, matrix, out_dtype=pl.FP32)
                        row = pl.cast(product, pl.BF16, mode="rint")
                        cache_flat = pl.assemble(cache_flat, row, [cache_slot, 0])
    return index_cache


@pl.jit.inline
def compress_step_c8(
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
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
):
    """One serving step of the compressor, INT8 rows + FP32 row scale (c8); returns index_cache."""
    B = x.shape[0]
    S = x.shape[1]
    D = x.shape[2]
    T = B * S
    pl.static_assert(D % K_CHUNK == 0, "hidden size D must be a multiple of 128 (K_CHUNK)")
    pl.static_assert(D >= K_SPLIT * K_CHUNK, "hidden size D must be at least 512 (K parts)")
    pl.static_assert(
        S <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )
    # Extents as pl.tensor.dim aliases for the shapes of locals passed to inline helpers (the
    # JIT infers those shapes before parsing and does not follow x.shape[i] locals).
    batch_dim = pl.tensor.dim(x, 0)
    seq_dim = pl.tensor.dim(x, 1)
    hidden_dim = pl.tensor.dim(x, 2)
    # T = B * S as one scalar (tensor.dim of a [T, 1] view): the projection kernel recovers T
    # from its token-major shapes (pypto's kernel wrapper inverts `var * const`, not `B * S`).
    token_positions = pl.reshape(position_ids, [batch_dim * seq_dim, 1])
    tokens_dim = pl.tensor.dim(token_positions, 0)
    slots_dim = pl.tensor.dim(kv_state, 0)
    pool_rows_dim = pl.tensor.dim(index_cache, 0) * pl.tensor.dim(index_cache, 1)

    # Orchestration views (no copies): token rows t = b * S + s; one pool slot's state as one
    # row; the block pool as rows of 128 (slot = block * block_size + offset).
    x_tokens = pl.reshape(x, [tokens_dim, hidden_dim])
    kv_state_flat = pl.reshape(kv_state, [slots_dim, STATE_FLAT_WIDTH])
    score_state_flat = pl.reshape(score_state, [slots_dim, STATE_FLAT_WIDTH])
    cache_flat = pl.reshape(index_cache, [pool_rows_dim, INDEX_HEAD_DIM])
    scale_flat = pl.reshape(index_cache_scale, [pool_rows_dim, 1])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])

    # GM scratch: K_SPLIT partial projections of every token (FP32), part p in rows p*T..;
    # columns 0..255 kv, 256..511 gate. Viewed per request: row p * B + b, token s at column
    # s * 512.
    proj_partial = pl.create_tensor([K_SPLIT * tokens_dim, PROJ_WIDTH], dtype=pl.FP32)
    partial_by_request = pl.reshape(proj_partial, [K_SPLIT * batch_dim, seq_dim * PROJ_WIDTH])

    # Stage 1: kv and gate projections of all tokens at once (they do not depend on state).
    chunks = D // K_CHUNK
    token_tiles = (T + PROJ_MAX_ROWS - 1) // PROJ_MAX_ROWS
    token_tile = ((T + token_tiles - 1) // token_tiles + CUBE_M - 1) // CUBE_M * CUBE_M
    for part in pl.parallel(K_SPLIT):
        k_begin = part * chunks // K_SPLIT * K_CHUNK
        k_end = (part + 1) * chunks // K_SPLIT * K_CHUNK
        for n0 in pl.parallel(0, PROJ_WIDTH, PROJ_N_TILE):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_gate_projection"):
                for t0 in pl.range(0, T, token_tile):
                    token_rows = pl.min(token_tile, T - t0)
                    # Each branch stores its own accumulator: an L0C tile may not be the
                    # value of an if/else (the compiler's MemoryReuse pass rejects it).
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

    # Stages 2..: requests in parallel (each its own state slot and positions), the tokens of a
    # request in order. A padded request (state slot -1) is skipped.
    for b in pl.parallel(B):
        state = pl.read(state_slots, [b])
        if state >= 0:
            for s in pl.range(S):
                pos = pl.read(position_ids, [b, s])
                slot = pos % COMPRESS_RATIO
                kv_column = s * PROJ_WIDTH
                gate_column = kv_column + COMPRESS_STATE_WIDTH
                state_column = (COMPRESS_RATIO + slot) * COMPRESS_STATE_WIDTH
                with pl.at(level=pl.Level.CORE_GROUP, name_hint="ape_add_state_scatter"):
                    gate = sum_parts(partial_by_request, B, b, 1, gate_column)
                    ape_row = pl.slice(ape, [1, COMPRESS_STATE_WIDTH], [slot, 0])
                    score_state_flat = pl.assemble(
                        score_state_flat, pl.col_expand_add(gate, ape_row), [state, state_column]
                    )
                    kv_row = sum_parts(partial_by_request, B, b, 1, kv_column)
                    kv_state_flat = pl.assemble(kv_state_flat, kv_row, [state, state_column])
                if (pos + 1) % COMPRESS_RATIO == 0:
                    # The closing window goes from state to cache slot in one task, the pooled
                    # row on chip: pooling, state shift, rmsnorm, rope (vector), Hadamard (cube).
                    cache_slot = pl.read(slot_mapping, [b, s])
                    window_start = pos - (COMPRESS_RATIO - 1)
                    with pl.at(
                        level=pl.Level.CORE_GROUP,
                        name_hint="pooling_shift_rmsnorm_rope_hadamard_quant_cache_write",
                    ):
                        pooled = compress_window(
                            kv_state_flat, score_state_flat, norm_weight_row, rope_cos,
                            rope_sin, state, 1, window_start,
                        )  # fmt: skip
                        matrix = pl.slice(hadamard, [INDEX_HEAD_DIM, INDEX_HEAD_DIM], [0, 0])
                        product = pl.matmul(pooled, matrix, out_dtype=pl.FP32)
                        row = pl.cast(product, pl.BF16, mode="rint")
                        row_f32 = pl.cast(row, pl.FP32)
                        amax = pl.maximum(pl.row_max(pl.abs(row_f32)), AMAX_FLOOR)
                        # numerator 127 derived from amax (the compiler's layout pass rejects
                        # a pl.full column against a row_max result); exact for amax >= 1e-4.
                        scaled = pl.row_expand_mul(
                            row_f32, pl.div(pl.add(pl.mul(amax, 0.0), INT8_MAX), amax)
                        )
                        codes_i32 = pl.cast(scaled, pl.INT32, mode="round")
                        codes_f16 = pl.cast(codes_i32, pl.FP16, mode="round")
                        codes = pl.cast(codes_f16, pl.INT8, mode="trunc")
                        cache_flat = pl.assemble(cache_flat, codes, [cache_slot, 0])
                        scale_flat = pl.assemble(
                            scale_flat, pl.div(amax, INT8_MAX), [cache_slot, 0]
                        )
    return index_cache


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
    index_cache = compress_step_c16(
        x, wkv, wgate, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        state_slots, slot_mapping, kv_state, score_state, index_cache,
    )  # fmt: skip
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
    index_cache_scale: pl.InOut[pl.Tensor],
):
    """Ratio-4 compressor, one serving step, INT8 rows + FP32 scale (see module doc)."""
    index_cache = compress_step_c8(
        x, wkv, wgate, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        state_slots, slot_mapping, kv_state, score_state, index_cache, index_cache_scale,
    )  # fmt: skip
    return index_cache
