"""Conformance kernels for the tile-level spellings pypto-lib kernels use.

pl.load / pl.store / pl.create_tile (and pl.tile.*), a reduction's scratch tile, a tensor's
bind_dynamic marker, an inline helper called as a statement, FP32 matmul without out_dtype.
"""

import pypto.language as pl

ROWS_DYN = pl.dynamic("ROWS_DYN")
COLS = 64
ROW_TILE = 8


@pl.jit.inline
def _double_rows(src: pl.Tensor, dst: pl.Tensor):
    """No return: its effect is the write through the aliased ``dst``."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="double"):
        dst[:, :] = pl.mul(src[:, :], 2.0)


@pl.jit
def inline_statement(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, COLS], pl.FP32]],
):
    """Calls a return-less inline helper as a statement."""
    _double_rows(x, out)
    return out


@pl.jit
def row_sums_with_tail(
    x: pl.Tensor[[ROWS_DYN, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS_DYN, COLS], pl.FP32]],
):
    """Each block loads ROW_TILE rows (fewer in the last block), divides by the row sum
    computed with a caller-owned scratch tile, and stores only the valid rows."""
    x.bind_dynamic(0, ROWS_DYN)
    out.bind_dynamic(0, ROWS_DYN)
    rows = pl.tensor.dim(x, 0)
    blocks = (rows + ROW_TILE - 1) // ROW_TILE
    for blk in pl.spmd(blocks, name_hint="tail_rows"):
        r0 = blk * ROW_TILE
        valid_rows = pl.min(ROW_TILE, rows - r0)
        scratch = pl.create_tile([ROW_TILE, COLS], dtype=pl.FP32, target_memory=pl.MemorySpace.Vec)
        tile = pl.load(x, [r0, 0], [ROW_TILE, COLS], valid_shapes=[valid_rows, COLS])
        sums = pl.row_sum(tile, scratch)
        scaled = pl.row_expand_div(tile, sums)
        pl.store(pl.set_validshape(scaled, valid_rows, COLS), [r0, 0], out)
    return out


@pl.jit
def tile_namespace_store(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, COLS], pl.FP32]],
):
    """pl.tile.load one row per block and pl.tile.store it with an explicit partition shape."""
    for row in pl.spmd(ROW_TILE, name_hint="rows"):
        line = pl.tile.load(x, [row, 0], [1, COLS])
        pl.tile.store(pl.add(line, 1.0), [row, 0], out, shapes=[1, COLS])
    return out


@pl.jit
def scratch_too_small(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, 1], pl.FP32]],
):
    """The scratch tile is narrower than the input: rejected."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="small_tmp"):
        scratch = pl.create_tile([ROW_TILE, COLS // 2], dtype=pl.FP32)
        out[:, :] = pl.row_sum(x[:, :], scratch)  # @small_tmp
    return out


@pl.jit
def create_tile_in_orchestration(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, COLS], pl.FP32]],
):
    """pl.create_tile outside an InCore scope: rejected."""
    scratch = pl.create_tile([ROW_TILE, COLS], dtype=pl.FP32)  # @orch_tile
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy"):
        out[:, :] = pl.add(scratch, x[:, :])
    return out


@pl.jit
def bad_bind_dynamic(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, COLS], pl.FP32]],
):
    """bind_dynamic on an axis the tensor does not have: rejected."""
    x.bind_dynamic(2, ROWS_DYN)  # @bad_axis
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy"):
        out[:, :] = x[:, :]
    return out


@pl.jit
def fp32_matmul_default_dtype(
    a: pl.Tensor[[16, 32], pl.FP32],
    b: pl.Tensor[[32, 16], pl.FP32],
    out: pl.Out[pl.Tensor[[16, 16], pl.FP32]],
):
    """FP32 x FP32 without out_dtype: Promote(FP32, FP32) is the FP32 accumulator."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm"):
        out[:, :] = pl.matmul(a[:, :], b[:, :])
    return out


@pl.jit
def transposed_load(
    w: pl.Tensor[[32, 16], pl.FP32],
    x: pl.Tensor[[16, 32], pl.FP32],
    out: pl.Out[pl.Tensor[[16, 16], pl.FP32]],
):
    """A Mat load with transpose=True gives the [16, 32] tile w.T; out = w.T @ x.T."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm_t"):
        w_t = pl.load(w, [0, 0], [32, 16], target_memory=pl.MemorySpace.Mat, transpose=True)
        out[:, :] = pl.matmul(w_t, x[:, :], out_dtype=pl.FP32, b_trans=True)
    return out
