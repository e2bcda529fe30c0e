"""Toy kernel for harness self-tests: a row-scaled matmul in two stages.

out[m, :] = (x @ w)[m, :] / max(max_k |x[m, k]|, AMAX_FLOOR) in FP32, and out_bf16 = BF16(out)
rounded to nearest-even. Rows are processed in independent tiles of ROW_TILE.
"""

import pypto.language as pl

ROW_TILE = 16  # one cube fractal of rows per task
K_DIM = 64  # reduction width: a multiple of 16 as the cube requires
N_DIM = 32  # 32 FP32 columns = 128-byte rows, 32-byte aligned in UB
AMAX_FLOOR = 1e-4  # keeps an all-zero row from dividing by zero


@pl.jit
def scale_matmul(
    x: pl.Tensor,
    w: pl.Tensor,
    out: pl.Out[pl.Tensor],
    out_bf16: pl.Out[pl.Tensor],
    row_tiles: pl.Scalar[pl.INT32],
):
    for t in pl.parallel(row_tiles):
        r0 = t * ROW_TILE
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="matmul"):
            x_tile = x[r0 : r0 + ROW_TILE, 0:K_DIM]
            w_tile = w[0:K_DIM, 0:N_DIM]
            acc = pl.matmul(x_tile, w_tile, out_dtype=pl.FP32)
            out[r0 : r0 + ROW_TILE, 0:N_DIM] = acc
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_scale"):
            x_rows = pl.cast(x[r0 : r0 + ROW_TILE, 0:K_DIM], pl.FP32)
            amax = pl.maximum(pl.row_max(pl.abs(x_rows)), AMAX_FLOOR)
            scaled = pl.row_expand_div(out[r0 : r0 + ROW_TILE, 0:N_DIM], amax)
            out[r0 : r0 + ROW_TILE, 0:N_DIM] = scaled
            out_bf16[r0 : r0 + ROW_TILE, 0:N_DIM] = pl.cast(scaled, pl.BF16, mode="rint")
    return out, out_bf16
