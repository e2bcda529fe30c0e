"""Conformance kernels for the tile-level spellings pypto-lib kernels use.

pl.load / pl.store / pl.create_tile (and pl.tile.*), a reduction's scratch tile, a tensor's
bind_dynamic marker, an inline helper called as a statement, FP32 matmul without out_dtype.
"""

import pypto.language as pl

ROWS_DYN = pl.dynamic("ROWS_DYN")
COLS = 64
ROW_TILE = 8


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "bad_bind_dynamic": "compiles",
    "create_tile_in_orchestration": "rejected: InCore parameters must be TensorType",
    "fp32_matmul_default_dtype": "compiles",
    "inline_statement": "compiles",
    "row_sums_with_tail": "rejected: unexpected keyword argument 'valid_shapes'",
    "scratch_too_small": "rejected: tmp_tile shape to be at least the input shape",
    "tile_namespace_store": "compiles",
    "transposed_load": "rejected: unexpected keyword argument 'transpose'",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "bad_bind_dynamic": "pass",
    "create_tile_in_orchestration": (
        "not run: InternalError: InCore function parameter 'scratch__ssa_v0' has "
        "TileType, but InCore parameters must be TensorType"
    ),
    "fp32_matmul_default_dtype": "pass",
    "inline_statement": (
        "not run: cannot combine with previous 'void' declaration specifier 47 | static "
        "__aicore__ void double(__gm__ float* v1, __gm__ float* v2) { ^ <build>"
    ),
    "row_sums_with_tail": (
        "not run: InvalidOperationError: pl operation 'load': load() got an unexpected "
        "keyword argument 'valid_shapes'"
    ),
    "scratch_too_small": (
        "not run: InvalidOperationError: pl operation 'row_sum': The operator "
        "tile.row_sum requires tmp_tile shape to be at least the input shape in every "
        "dimension, but tmp_tile dimension 1 is undersized; got tmp_tile"
    ),
    "tile_namespace_store": "pass",
    "transposed_load": (
        "not run: InvalidOperationError: pl operation 'load': load() got an unexpected "
        "keyword argument 'transpose'"
    ),
}


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
    """pl.load(..., valid_shapes=...) for a partial last block: not a keyword of this compiler
    build (rejected; write pl.set_validshape on the loaded tile instead)."""
    x.bind_dynamic(0, ROWS_DYN)
    out.bind_dynamic(0, ROWS_DYN)
    rows = pl.tensor.dim(x, 0)
    blocks = (rows + ROW_TILE - 1) // ROW_TILE
    for blk in pl.spmd(blocks, name_hint="tail_rows"):
        r0 = blk * ROW_TILE
        valid_rows = pl.min(ROW_TILE, rows - r0)
        scratch = pl.create_tile([ROW_TILE, COLS], dtype=pl.FP32, target_memory=pl.MemorySpace.Vec)
        window = [ROW_TILE, COLS]
        tile = pl.load(x, [r0, 0], window, valid_shapes=[valid_rows, COLS])  # @valid_shapes
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
        t = pl.load(x, [0, 0], [ROW_TILE, COLS])
        pl.store(pl.row_sum(t, scratch), [0, 0], out)  # @small_tmp
    return out


@pl.jit
def create_tile_in_orchestration(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, COLS], pl.FP32]],
):
    """pl.create_tile outside an InCore scope: rejected."""
    scratch = pl.create_tile([ROW_TILE, COLS], dtype=pl.FP32)  # @orch_tile
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy"):
        t = pl.load(x, [0, 0], [ROW_TILE, COLS])
        pl.store(pl.add(scratch, t), [0, 0], out)
    return out


@pl.jit
def bad_bind_dynamic(
    x: pl.Tensor[[ROW_TILE, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROW_TILE, COLS], pl.FP32]],
):
    """bind_dynamic on an axis past the rank: the compiler does not check it (compiles)."""
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
    """pl.load(..., transpose=True): not a keyword of this compiler build (rejected)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm_t"):
        mat = pl.MemorySpace.Mat
        w_t = pl.load(w, [0, 0], [32, 16], target_memory=mat, transpose=True)  # @transpose
        out[:, :] = pl.matmul(w_t, x[:, :], out_dtype=pl.FP32, b_trans=True)
    return out
