"""DeepSeek-V4 indexer compressor over a packed prefill chunk (contract/prefill.py),
as pypto kernels: the decode compressor's stages (``compress_tokens_c16`` / ``_c8`` in
decode_compressor.py) over the chunk's token rows, requests given by cu_seqlens; the golden is
``compressor_prefill_golden`` in reference/prefill.py.

Entry points ``indexer_compressor_prefill_c16`` / ``_c8`` (the prefill indexer calls
``project_tokens`` and ``compress_tokens_c16`` / ``_c8`` itself, its own query projection
submitted between them). Parameters:

    x             [T, D] BF16                    the chunk's hidden states (packed requests)
    wkv, wgate    [D, 256] BF16                  kv / gate projections
    ape           [4, 256] FP32                  position bias per slot pos % 4
    norm_weight   [128] BF16                     RMSNorm weight
    rope_cos, rope_sin [P, 32] FP32              per-position tables (compressed-layer rope)
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
format). Every window the chunk closes is pooled at once from the chunk's token rows and the
request's saved state (decode_compressor.py, "Parallel windows"); the stages are that
module's.
"""

import pypto.language as pl

from models.deepseek_v4.kernels.decode_compressor import (
    K_SPLIT,
    PROJ_WIDTH,
    SAVED_ROWS,
    compress_tokens_c8,
    compress_tokens_c16,
    project_tokens,
    write_back_state,
)


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
    token_dim = pl.tensor.dim(x, 0)
    proj_partial = pl.create_tensor([K_SPLIT * token_dim, PROJ_WIDTH], dtype=pl.FP32)
    project_tokens(x, wkv, wgate, proj_partial)
    sources = pl.create_tensor([token_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    index_cache = compress_tokens_c16(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        cu_seqlens, 0, state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
    )  # fmt: skip
    write_back_state(position_ids, cu_seqlens, 0, state_slots, sources, kv_state, score_state)
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
    index_cache_scale: pl.InOut[pl.Tensor],  # format
):
    """Ratio-4 compressor over a packed prefill chunk, INT8 rows + FP32 scale (module doc)."""
    token_dim = pl.tensor.dim(x, 0)
    proj_partial = pl.create_tensor([K_SPLIT * token_dim, PROJ_WIDTH], dtype=pl.FP32)
    project_tokens(x, wkv, wgate, proj_partial)
    sources = pl.create_tensor([token_dim + SAVED_ROWS, PROJ_WIDTH], dtype=pl.FP32)
    index_cache = compress_tokens_c8(
        x, proj_partial, ape, norm_weight, rope_cos, rope_sin, hadamard, position_ids,
        cu_seqlens, 0, state_slots, slot_mapping, kv_state, score_state, sources, index_cache,
        index_cache_scale,  # format
    )  # fmt: skip
    write_back_state(position_ids, cu_seqlens, 0, state_slots, sources, kv_state, score_state)
    return index_cache
