"""DeepSeek-V4 indexer compressor (ratio 4, overlapping windows) as a pypto kernel.

Public entry points
-------------------
``indexer_compressor(...)``  the ``@pl.jit`` kernel (one decode step of S tokens).
``compress_step(...)``       the same computation as a ``@pl.jit.inline`` function, for the
                             indexer kernel's stage 7. Signature (positional arguments only,
                             shapes taken from the call, B/S/D/MAX_SEQ_LEN are run-time):

    kv_cache = compress_step(
        x,            # [B, S, D] BF16             the step's hidden states
        wkv,          # [D, 256] BF16              kv projection
        wgate,        # [D, 256] BF16              gate (score) projection
        ape,          # [4, 256] FP32              absolute position bias per slot pos % 4
        norm_weight,  # [128] BF16                 RMSNorm weight
        rope_cos,     # [MAX_SEQ_LEN, 32] FP32     per-position cos table (compressed-layer rope)
        rope_sin,     # [MAX_SEQ_LEN, 32] FP32
        hadamard,     # [128, 128] BF16            BF16(normalized Sylvester Hadamard)
        kv_state,     # [B, 8, 256] FP32  in/out   compressor state (updated in place)
        score_state,  # [B, 8, 256] FP32  in/out
        kv_cache,     # [B, MAX_SEQ_LEN/4, 128] BF16 in/out (row pos // 4 written on closing)
        start_pos,    # INT32 scalar: position of the step's first token
        rotate,       # BOOL scalar: apply the Hadamard before the cache write
    )

    Usage note for the indexer: call it from orchestration (outside any ``pl.at``), before the
    score stages, and read ``kv_cache`` afterwards; it updates kv_state, score_state and
    kv_cache in place and returns ``kv_cache``. Token s (position start_pos + s) is processed in
    order; a token's cache row (pos // 4, written when (pos + 1) % 4 == 0) is in kv_cache when
    the call returns. Requires D % 128 == 0 and start_pos + S <= MAX_SEQ_LEN.

Math (per token at position pos; docs/indexer.md "The indexer compressor")
---------------------------------------------------------------------------
kv = x @ wkv, score = x @ wgate + ape[pos % 4] (FP32), stored in state row 4 + pos % 4. When
(pos + 1) % 4 == 0: per feature f, a softmax over 8 rows of the gates (rows 0..3: column f,
the previous window's front half; rows 4..7: column 128 + f, the current window's back half)
pools the matching kv values; the state shifts (rows 4..7 are copied to rows 0..3, and rows
4..7 keep their values: the next window's tokens overwrite them before any pooling reads them,
as in the model's reference code); the pooled row goes through RMSNorm, RoPE on the trailing
64 dims at the window's first position pos - 3, the optional Hadamard, and lands in
kv_cache[b, pos // 4].

Stages (pl.at name_hints)
------------------------
``kv_gate_projection``  cube: x @ [wkv | wgate], 16 tasks (4 column blocks x 4 K parts).
``ape_add_state_scatter``  vector, per token: sum of the 4 K parts (fixed order), + ape, into
                           state row 4 + pos % 4.
``pooling_shift_rmsnorm_rope_hadamard_cache_write`` (``..._rope_cache_write`` without rotate),
                           per closing token: the window's pooled row stays on chip from the
                           softmax pooling to the cache store (Hadamard on the cube).

Dtype chain (the golden in indexer_compressor_golden.py follows it step by step)
--------------------------------------------------------------------------------
1. projections: BF16 x BF16 on the cube, FP32 accumulation; score + ape in FP32.
2. pooling: FP32 (max, exp, sum of e, sum of e * kv, one division); the pooled row is rounded
   to BF16 (round to nearest even, the model's ``kv.to(bfloat16)``).
3. rmsnorm: FP32 math on the BF16 pooled value: x * rsqrt(sum(x*x) / 128 + 1e-6) * weight,
   rounded to BF16.
4. rope: FP32 math on the BF16 normed values (even' = e*cos - o*sin, odd' = o*cos + e*sin),
   rounded to BF16; the leading 64 dims pass through unchanged.
5. hadamard (rotate): BF16 row x BF16 matrix on the cube, FP32 accumulation, rounded to BF16.
6. the BF16 row is written to the cache.
Every FP32 -> BF16 rounding uses cast mode "rint" (ties to even), as the model's torch code.
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    MAX_TOKENS_PER_STEP,
    NOPE_DIM,
    RMS_NORM_EPS,
    ROPE_DIM,
)

# --- Derived sizes --------------------------------------------------------------------------
HALF_WIDTH = INDEX_HEAD_DIM  # one half of a state row: front (previous window) or back (current)
ROPE_PAIRS = ROPE_DIM // 2  # interleaved (even, odd) pairs of the rotary dims = cos/sin columns
PROJ_WIDTH = 2 * COMPRESS_STATE_WIDTH  # [wkv | wgate] output columns of one token
STATE_FLAT_WIDTH = COMPRESS_STATE_ROWS * COMPRESS_STATE_WIDTH  # one request's state as one row
CURRENT_WINDOW_COLUMN = COMPRESS_RATIO * COMPRESS_STATE_WIDTH  # rows 4..7 in the flat view
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
# Batch rows per vector task: window compression keeps ~7 live [16, 128] FP32 tiles (8 KiB each)
# and the state shift one [16, 1024] FP32 tile (64 KiB) at a time, well inside the 184 KiB UB;
# 16 rows are also one cube fractal for the Hadamard matmul of the same task.
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
    rows: pl.Scalar[pl.INT32],
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
    rope_part = pl.cast(normed[:, NOPE_DIM:INDEX_HEAD_DIM], pl.FP32)
    swapped = pl.gather(rope_part, dim=-1, index=partner_index)
    rotated = pl.add(
        pl.col_expand_mul(rope_part, cos_wide),
        pl.col_expand_mul(swapped, sin_wide),
    )
    return pl.concat(normed[:, 0:NOPE_DIM], pl.cast(rotated, pl.BF16, mode="rint"))


@pl.jit.inline
def compress_step(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    kv_cache: pl.Tensor,
    start_pos: pl.Scalar[pl.INT32],
    rotate: pl.Scalar[pl.BOOL],
):
    """One decode step of the ratio-4 overlapping compressor; returns the updated kv_cache."""
    B = x.shape[0]
    S = x.shape[1]
    D = x.shape[2]
    T = B * S
    # The same extents as pl.tensor.dim aliases, for the shapes of locals passed to inline
    # helpers: the JIT infers those shapes before parsing and does not follow x.shape[i] locals.
    batch_dim = pl.tensor.dim(x, 0)
    seq_dim = pl.tensor.dim(x, 1)
    hidden_dim = pl.tensor.dim(x, 2)
    cache_rows_dim = pl.tensor.dim(kv_cache, 1)
    pl.static_assert(D % K_CHUNK == 0, "hidden size D must be a multiple of 128 (K_CHUNK)")
    pl.static_assert(D >= K_SPLIT * K_CHUNK, "hidden size D must be at least 512 (K parts)")
    pl.static_assert(
        S <= MAX_TOKENS_PER_STEP,
        "tokens per step S (x.shape[1]) must be 1..4 (MAX_TOKENS_PER_STEP)",
    )

    # Orchestration views (no copies): token rows t = b * S + s; one request's state or cache
    # as a single row, so a state row / cache row of every request is a strided 2-D tile.
    x_tokens = pl.reshape(x, [batch_dim * seq_dim, hidden_dim])
    kv_state_flat = pl.reshape(kv_state, [batch_dim, STATE_FLAT_WIDTH])
    score_state_flat = pl.reshape(score_state, [batch_dim, STATE_FLAT_WIDTH])
    kv_cache_flat = pl.reshape(kv_cache, [batch_dim, cache_rows_dim * INDEX_HEAD_DIM])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])

    # GM scratch: K_SPLIT partial projections of every token (FP32), part p in rows p*T..;
    # columns 0..255 kv, 256..511 gate. Viewed per request: row p * B + b, token s at column
    # s * 512.
    proj_partial = pl.create_tensor([K_SPLIT * batch_dim * seq_dim, PROJ_WIDTH], dtype=pl.FP32)
    partial_by_request = pl.reshape(proj_partial, [K_SPLIT * batch_dim, seq_dim * PROJ_WIDTH])

    # Stage 1: kv and gate projections of all S tokens at once (they do not depend on state):
    # one cube task per (128-column block of [wkv | wgate], K part); K part p covers the
    # K_CHUNK chunks [p * chunks / K_SPLIT, (p + 1) * chunks / K_SPLIT).
    chunks = D // K_CHUNK
    # Token tile, folded at specialization from the entry's x.shape: the fewest tiles of at most
    # PROJ_MAX_ROWS rows, each rounded up to the 16-row cube fractal (T = 1 -> 16 rows). It is
    # computed here, from a parameter's shape, because the JIT folds .shape only on parameters.
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

    # Stages 2..: tokens in order, each at its own position.
    for s in pl.range(S):
        pos = start_pos + s
        slot = pos % COMPRESS_RATIO
        kv_column = s * PROJ_WIDTH
        gate_column = kv_column + COMPRESS_STATE_WIDTH
        state_column = (COMPRESS_RATIO + slot) * COMPRESS_STATE_WIDTH  # state row 4 + slot
        for b0 in pl.parallel(0, B, BATCH_TILE):
            rows = pl.min(BATCH_TILE, B - b0)
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="ape_add_state_scatter"):
                gate = sum_parts(partial_by_request, B, b0, rows, gate_column)
                ape_row = pl.slice(ape, [1, COMPRESS_STATE_WIDTH], [slot, 0])
                score_row = pl.col_expand_add(gate, ape_row)
                score_state_flat = pl.assemble(score_state_flat, score_row, [b0, state_column])
                kv_row = sum_parts(partial_by_request, B, b0, rows, kv_column)
                kv_state_flat = pl.assemble(kv_state_flat, kv_row, [b0, state_column])

        if (pos + 1) % COMPRESS_RATIO == 0:
            # The closing window goes from state to cache row in one task per batch tile, the
            # pooled row staying on chip: pooling, state shift, rmsnorm, rope (vector), then
            # the optional Hadamard (cube) and the cache write.
            window_start = pos - (COMPRESS_RATIO - 1)  # RoPE position of the compressed row
            cache_column = (pos // COMPRESS_RATIO) * INDEX_HEAD_DIM
            for b0 in pl.parallel(0, B, BATCH_TILE):
                rows = pl.min(BATCH_TILE, B - b0)
                if rotate:
                    with pl.at(
                        level=pl.Level.CORE_GROUP,
                        name_hint="pooling_shift_rmsnorm_rope_hadamard_cache_write",
                    ):
                        row = compress_window(
                            kv_state_flat, score_state_flat, norm_weight_row,
                            rope_cos, rope_sin, b0, rows, window_start,
                        )  # fmt: skip
                        matrix = pl.slice(hadamard, [INDEX_HEAD_DIM, INDEX_HEAD_DIM], [0, 0])
                        product = pl.matmul(row, matrix, out_dtype=pl.FP32)
                        kv_cache_flat = pl.assemble(
                            kv_cache_flat,
                            pl.cast(product, pl.BF16, mode="rint"),
                            [b0, cache_column],
                        )
                else:
                    with pl.at(
                        level=pl.Level.CORE_GROUP,
                        name_hint="pooling_shift_rmsnorm_rope_cache_write",
                    ):
                        row = compress_window(
                            kv_state_flat, score_state_flat, norm_weight_row,
                            rope_cos, rope_sin, b0, rows, window_start,
                        )  # fmt: skip
                        kv_cache_flat = pl.assemble(kv_cache_flat, row, [b0, cache_column])
    return kv_cache


@pl.jit
def indexer_compressor(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    kv_cache: pl.InOut[pl.Tensor],
    start_pos: pl.Scalar[pl.INT32],
    rotate: pl.Scalar[pl.BOOL],
):
    """Ratio-4 overlapping indexer compressor for one decode step of S tokens (see module doc)."""
    kv_cache = compress_step(
        x,
        wkv,
        wgate,
        ape,
        norm_weight,
        rope_cos,
        rope_sin,
        hadamard,
        kv_state,
        score_state,
        kv_cache,
        start_pos,
        rotate,
    )
    return kv_cache
