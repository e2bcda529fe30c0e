"""DeepSeek-V4 indexer compressor over a packed prefill chunk (models/deepseek_v4/prefill.py),
as pypto kernels. The math per token is the decode compressor's (indexer_compressor.py, whose
helpers project_tile, sum_parts and compress_window this file calls); the golden is
``compressor_prefill_golden`` in models/deepseek_v4/prefill_golden.py.

Entry points ``indexer_compressor_prefill_c16`` / ``_c8``; ``compress_chunk_c16`` / ``_c8`` are
the same computation as ``@pl.jit.inline`` functions for the prefill indexer. Parameters:

    x             [T, D] BF16                    the chunk's hidden states (packed requests)
    wkv, wgate    [D, 256] BF16                  kv / gate projections
    ape           [4, 256] FP32                  position bias per slot pos % 4
    norm_weight   [128] BF16                     RMSNorm weight
    rope_cos/sin  [P, 32] FP32                   per-position tables (compressed-layer rope)
    hadamard      [128, 128] BF16                BF16(normalized Sylvester Hadamard)
    position_ids  [T] INT32                      token positions (-1: padding row)
    cu_seqlens    [R + 1] INT32                  request r owns rows cu[r] .. cu[r+1]-1
    state_slots   [R] INT32                      state pool slot per request (-1: empty request)
    slot_mapping  [T] INT32                      cache slot of the row a token closes, or -1
    kv_state      [NS, 8, 256] FP32  in/out      state pool
    score_state   [NS, 8, 256] FP32  in/out
    index_cache   [NB, BS, 128] BF16 (c16) / INT8 (c8)  in/out  block pool
    index_cache_scale [NB, BS] FP32  in/out      c8 only: per-row dequant scale

Positions, lengths, slots and mappings are tensor data: one artifact per (T, R, pool shapes,
format). Stages (pl.at name_hints): ``kv_gate_projection`` (cube, one task per 128-token tile,
128-column block and K part: the chunk's projections fill the cube), ``ape_add_state_scatter``
and ``pooling_shift_rmsnorm_rope_hadamard_cache_write`` (c8: ``..._quant_cache_write``) per
token, the tokens of a request in order from its saved state, requests in parallel.
"""

import pypto.language as pl

from models.deepseek_v4.config import (
    AMAX_FLOOR,
    COMPRESS_RATIO,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    INT8_MAX,
)
from models.deepseek_v4.indexer_compressor import (
    K_CHUNK,
    K_SPLIT,
    PROJ_N_TILE,
    PROJ_WIDTH,
    STATE_FLAT_WIDTH,
    compress_window,
    project_tile,
    sum_parts,
)

# Token rows per projection tile: [128, 128] FP32 accumulator = 64 KiB of the 128 KiB L0C, the
# [128, 128] BF16 token chunk 32 KiB of L1 (the decode compressor's largest tile).
PREFILL_PROJ_ROWS = 128


@pl.jit.inline
def project_chunk(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    proj_partial: pl.Tensor,
):
    """The K_SPLIT partial projections [x @ wkv | x @ wgate] of every token row into
    proj_partial [K_SPLIT * T, 512] (part p in rows p * T ..), one cube task per (128-row token
    tile, 128-column block, K part)."""
    T = x.shape[0]
    D = x.shape[1]
    chunks = D // K_CHUNK
    for t0 in pl.parallel(0, T, PREFILL_PROJ_ROWS):
        token_rows = pl.min(PREFILL_PROJ_ROWS, T - t0)
        for part in pl.parallel(K_SPLIT):
            k_begin = part * chunks // K_SPLIT * K_CHUNK
            k_end = (part + 1) * chunks // K_SPLIT * K_CHUNK
            for n0 in pl.parallel(0, PROJ_WIDTH, PROJ_N_TILE):
                with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_gate_projection"):
                    # Each branch stores its own accumulator (an L0C tile may not be the value
                    # of an if/else).
                    if n0 < COMPRESS_STATE_WIDTH:
                        kv_acc = project_tile(
                            x, wkv, n0, t0, token_rows, k_begin, k_end, PREFILL_PROJ_ROWS
                        )
                        proj_partial = pl.assemble(proj_partial, kv_acc, [part * T + t0, n0])
                    else:
                        gate_acc = project_tile(
                            x, wgate, n0 - COMPRESS_STATE_WIDTH, t0, token_rows, k_begin,
                            k_end, PREFILL_PROJ_ROWS,
                        )  # fmt: skip
                        proj_partial = pl.assemble(proj_partial, gate_acc, [part * T + t0, n0])


@pl.jit.inline
def compress_chunk_c16(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    index_cache: pl.Tensor,
):
    """The compressor over a packed chunk, BF16 cache rows (c16); returns index_cache."""
    T = x.shape[0]
    D = x.shape[1]
    R = state_slots.shape[0]
    pl.static_assert(D % K_CHUNK == 0, "hidden size D must be a multiple of 128 (K_CHUNK)")
    pl.static_assert(D >= K_SPLIT * K_CHUNK, "hidden size D must be at least 512 (K parts)")
    token_dim = pl.tensor.dim(x, 0)
    slots_dim = pl.tensor.dim(kv_state, 0)
    pool_rows_dim = pl.tensor.dim(index_cache, 0) * pl.tensor.dim(index_cache, 1)
    kv_state_flat = pl.reshape(kv_state, [slots_dim, STATE_FLAT_WIDTH])
    score_state_flat = pl.reshape(score_state, [slots_dim, STATE_FLAT_WIDTH])
    cache_flat = pl.reshape(index_cache, [pool_rows_dim, INDEX_HEAD_DIM])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])
    proj_partial = pl.create_tensor([K_SPLIT * token_dim, PROJ_WIDTH], dtype=pl.FP32)

    project_chunk(x, wkv, wgate, proj_partial)
    # Requests in parallel, each one's tokens in order from its saved state (an empty request
    # runs zero iterations).
    for r in pl.parallel(R):
        state = pl.read(state_slots, [r])
        first = pl.read(cu_seqlens, [r])
        end = pl.read(cu_seqlens, [r + 1])
        for t in pl.range(first, end):
            pos = pl.read(position_ids, [t])
            slot = pos % COMPRESS_RATIO
            state_column = (COMPRESS_RATIO + slot) * COMPRESS_STATE_WIDTH
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="ape_add_state_scatter"):
                gate = sum_parts(proj_partial, T, t, 1, COMPRESS_STATE_WIDTH)
                ape_row = pl.slice(ape, [1, COMPRESS_STATE_WIDTH], [slot, 0])
                score_state_flat = pl.assemble(
                    score_state_flat, pl.col_expand_add(gate, ape_row), [state, state_column]
                )
                kv_row = sum_parts(proj_partial, T, t, 1, 0)
                kv_state_flat = pl.assemble(kv_state_flat, kv_row, [state, state_column])
            if (pos + 1) % COMPRESS_RATIO == 0:
                cache_slot = pl.read(slot_mapping, [t])
                window_start = pos - (COMPRESS_RATIO - 1)
                with pl.at(
                    level=pl.Level.CORE_GROUP,
                    name_hint="pooling_shift_rmsnorm_rope_hadamard_cache_write",
                ):
                    pooled = compress_window(
                        kv_state_flat, score_state_flat, norm_weight_row, rope_cos, rope_sin,
                        state, 1, window_start,
                    )  # fmt: skip
                    matrix = pl.slice(hadamard, [INDEX_HEAD_DIM, INDEX_HEAD_DIM], [0, 0])
                    product = pl.matmul(pooled, matrix, out_dtype=pl.FP32)
                    row = pl.cast(product, pl.BF16, mode="rint")
                    cache_flat = pl.assemble(cache_flat, row, [cache_slot, 0])
    return index_cache


@pl.jit.inline
def compress_chunk_c8(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.Tensor,
    score_state: pl.Tensor,
    index_cache: pl.Tensor,
    index_cache_scale: pl.Tensor,
):
    """The compressor over a packed chunk, INT8 rows + FP32 row scale (c8); returns
    index_cache."""
    T = x.shape[0]
    D = x.shape[1]
    R = state_slots.shape[0]
    pl.static_assert(D % K_CHUNK == 0, "hidden size D must be a multiple of 128 (K_CHUNK)")
    pl.static_assert(D >= K_SPLIT * K_CHUNK, "hidden size D must be at least 512 (K parts)")
    token_dim = pl.tensor.dim(x, 0)
    slots_dim = pl.tensor.dim(kv_state, 0)
    pool_rows_dim = pl.tensor.dim(index_cache, 0) * pl.tensor.dim(index_cache, 1)
    kv_state_flat = pl.reshape(kv_state, [slots_dim, STATE_FLAT_WIDTH])
    score_state_flat = pl.reshape(score_state, [slots_dim, STATE_FLAT_WIDTH])
    cache_flat = pl.reshape(index_cache, [pool_rows_dim, INDEX_HEAD_DIM])
    scale_flat = pl.reshape(index_cache_scale, [pool_rows_dim, 1])
    norm_weight_row = pl.reshape(norm_weight, [1, INDEX_HEAD_DIM])
    proj_partial = pl.create_tensor([K_SPLIT * token_dim, PROJ_WIDTH], dtype=pl.FP32)

    project_chunk(x, wkv, wgate, proj_partial)
    for r in pl.parallel(R):
        state = pl.read(state_slots, [r])
        first = pl.read(cu_seqlens, [r])
        end = pl.read(cu_seqlens, [r + 1])
        for t in pl.range(first, end):
            pos = pl.read(position_ids, [t])
            slot = pos % COMPRESS_RATIO
            state_column = (COMPRESS_RATIO + slot) * COMPRESS_STATE_WIDTH
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="ape_add_state_scatter"):
                gate = sum_parts(proj_partial, T, t, 1, COMPRESS_STATE_WIDTH)
                ape_row = pl.slice(ape, [1, COMPRESS_STATE_WIDTH], [slot, 0])
                score_state_flat = pl.assemble(
                    score_state_flat, pl.col_expand_add(gate, ape_row), [state, state_column]
                )
                kv_row = sum_parts(proj_partial, T, t, 1, 0)
                kv_state_flat = pl.assemble(kv_state_flat, kv_row, [state, state_column])
            if (pos + 1) % COMPRESS_RATIO == 0:
                cache_slot = pl.read(slot_mapping, [t])
                window_start = pos - (COMPRESS_RATIO - 1)
                with pl.at(
                    level=pl.Level.CORE_GROUP,
                    name_hint="pooling_shift_rmsnorm_rope_hadamard_quant_cache_write",
                ):
                    pooled = compress_window(
                        kv_state_flat, score_state_flat, norm_weight_row, rope_cos, rope_sin,
                        state, 1, window_start,
                    )  # fmt: skip
                    matrix = pl.slice(hadamard, [INDEX_HEAD_DIM, INDEX_HEAD_DIM], [0, 0])
                    product = pl.matmul(pooled, matrix, out_dtype=pl.FP32)
                    row = pl.cast(product, pl.BF16, mode="rint")
                    row_f32 = pl.cast(row, pl.FP32)
                    amax = pl.maximum(pl.row_max(pl.abs(row_f32)), AMAX_FLOOR)
                    # numerator 127 derived from amax (indexer_compressor.py says why).
                    scaled = pl.row_expand_mul(
                        row_f32, pl.div(pl.add(pl.mul(amax, 0.0), INT8_MAX), amax)
                    )
                    codes_i32 = pl.cast(scaled, pl.INT32, mode="round")
                    codes_f16 = pl.cast(codes_i32, pl.FP16, mode="round")
                    codes = pl.cast(codes_f16, pl.INT8, mode="trunc")
                    cache_flat = pl.assemble(cache_flat, codes, [cache_slot, 0])
                    scale_flat = pl.assemble(scale_flat, pl.div(amax, INT8_MAX), [cache_slot, 0])
    return index_cache


@pl.jit
def indexer_compressor_prefill_c16(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
):
    """Ratio-4 compressor over a packed prefill chunk, BF16 cache rows (see module doc)."""
    index_cache = compress_chunk_c16(
        x, wkv, wgate, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        cu_seqlens, state_slots, slot_mapping, kv_state, score_state, index_cache,
    )  # fmt: skip
    return index_cache


@pl.jit
def indexer_compressor_prefill_c8(
    x: pl.Tensor,
    wkv: pl.Tensor,
    wgate: pl.Tensor,
    ape: pl.Tensor,
    norm_weight: pl.Tensor,
    rope_cos: pl.Tensor,
    rope_sin: pl.Tensor,
    hadamard: pl.Tensor,
    position_ids: pl.Tensor,
    cu_seqlens: pl.Tensor,
    state_slots: pl.Tensor,
    slot_mapping: pl.Tensor,
    kv_state: pl.InOut[pl.Tensor],
    score_state: pl.InOut[pl.Tensor],
    index_cache: pl.InOut[pl.Tensor],
    index_cache_scale: pl.InOut[pl.Tensor],
):
    """Ratio-4 compressor over a packed prefill chunk, INT8 rows + FP32 scale (module doc)."""
    index_cache = compress_chunk_c8(
        x, wkv, wgate, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        cu_seqlens, state_slots, slot_mapping, kv_state, score_state, index_cache,
        index_cache_scale,
    )  # fmt: skip
    return index_cache
