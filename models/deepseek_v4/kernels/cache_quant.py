"""A c16 step's cache rows quantized for scoring: stage 8 as a vector stage of its own.

A c16 cache holds BF16 rows that are quantized per row to INT8 codes and an FP32 dequant scale
every time they are scored (docs/indexer.md, the policy of reference/quant.py). This stage does
it for every row a step's requests see, on all 48 AIVs, into a scratch pool laid out like a c8
cache (codes [num_blocks, block_size, 128] INT8, scales [num_blocks, block_size] FP32, each row
at its own pool row), so the c8 score stages (kernels/score_lanes.py) score the step. The codes
and scales are the ones the c8 format stores, so the scores and the top-k are the same as
quantizing inside the score stage. The score stage it replaces did this on one AIV per core
group, in front of its matmul; on a2a3 a vector-made matmul operand crosses GM anyway (there is
no UB -> L1 path), so the codes' round trip through the scratch is the one that stage made out
of sight.
"""

import pypto.language as pl

from models.deepseek_v4.config import AMAX_FLOOR, COMPRESS_RATIO, INDEX_HEAD_DIM, INT8_MAX
from models.deepseek_v4.kernels.score import (
    CACHE_TILE,
    TOPK_CHUNK,
    multiplied_groups,
    wave_filling_groups,
)

# Tasks to aim for: one per AIV (48 on a2a3), a request's rows split into ceil(48 / B) groups of
# whole tiles, or floor(48 / B) where their tasks take fewer waves of the 48 AIVs per group's
# share of a request (B 7: 6 groups, 42 tasks in one wave, not 7 in 49 tasks and two waves, the
# second of one task; score.wave_filling_groups, which the score stages use over the 24 core
# groups, with groups of whole 512-row chunks).
QUANT_TASKS = 48


@pl.jit.inline
def quantize_cache_rows(
    index_cache: pl.Tensor,
    block_table: pl.Tensor,
    kv_seq_lens: pl.Tensor,
    kv_codes: pl.Tensor,
    kv_scales: pl.Tensor,
):
    """INT8 codes and FP32 dequant scales of every cache tile holding a row a request sees
    (its first kv_seq_lens // 4 rows), at the tile's pool rows of ``kv_codes`` / ``kv_scales``.
    Whole tiles: the score stages read whole tiles' scales, and a tile lies in one block."""
    B = block_table.shape[0]
    BS = index_cache.shape[1]
    POOL_ROWS = index_cache.shape[0] * BS
    # 32-row tiles, or 16 when the block size is an odd multiple of 16 (the form of
    # score.head_column_index): every tile a score stage reads is one of these or half of one.
    tile = CACHE_TILE - BS % CACHE_TILE
    cache_rows = pl.reshape(index_cache, [POOL_ROWS, INDEX_HEAD_DIM])
    code_rows = pl.reshape(kv_codes, [POOL_ROWS, INDEX_HEAD_DIM])
    scale_rows = pl.reshape(kv_scales, [POOL_ROWS, 1])
    splits = wave_filling_groups(B, QUANT_TASKS, QUANT_TASKS)
    # Then twice or four times as many groups where that is cheaper, as the score stages choose
    # theirs (score.multiplied_groups), here over waves of the 48 AIVs (FLASH B 25 c16 64k: 50
    # tasks in 2 waves -> 200 in 5).
    chunks = (block_table.shape[1] * BS + TOPK_CHUNK - 1) // TOPK_CHUNK
    splits = multiplied_groups(B, splits, chunks, QUANT_TASKS)
    with pl.spmd(B * splits, allow_early_resolve=True):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="kv_cache_quant"):
            b = pl.tile.get_block_idx() // splits
            g = pl.tile.get_block_idx() % splits
            # The request's seen tiles in `splits` groups of whole tiles, not of whole 512-row
            # chunks as the score stages group them: nothing here is sorted per chunk, and a
            # request of fewer chunks than groups would leave groups empty (FLASH B 4 8k: 12
            # groups of a 4-chunk request, so 32 of the 48 blocks quantized nothing while 16
            # took a chunk, 16 tiles, each; now 44 blocks take 6 tiles or 4 and 4 none).
            seen = pl.read(kv_seq_lens, [b]) // COMPRESS_RATIO
            group_rows = ((seen + tile - 1) // tile + splits - 1) // splits * tile
            group_end = pl.min(seen, (g + 1) * group_rows)
            # A group past the request's rows (or a padded request) runs no step.
            for j0 in pl.pipeline(g * group_rows, group_end, tile, stage=2):
                physical = pl.read(block_table, [b, j0 // BS]) * BS + j0 % BS
                kv_f32 = pl.cast(cache_rows[physical : physical + tile, :], target_type=pl.FP32)
                kv_amax = pl.maximum(pl.row_max(pl.abs(kv_f32)), AMAX_FLOOR)
                # 127 / amax, numerator derived from amax (decode_indexer.py, quant policy).
                kv_scaled = pl.row_expand_mul(
                    kv_f32, pl.div(pl.add(pl.mul(kv_amax, 0.0), INT8_MAX), kv_amax)
                )
                kv_i32 = pl.cast(kv_scaled, target_type=pl.INT32, mode="round")
                kv_f16 = pl.cast(kv_i32, target_type=pl.FP16, mode="round")
                code_rows[physical : physical + tile, :] = pl.cast(
                    kv_f16, target_type=pl.INT8, mode="trunc"
                )
                scale_rows[physical : physical + tile, :] = pl.div(kv_amax, INT8_MAX)
