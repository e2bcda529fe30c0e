"""Tile ops plsim gained after they were measured on a2a3sim: a tile against a scalar
(``pl.maximums``, ``pl.minimums``, ``pl.lrelu``) and the index reductions (``pl.row_argmax``,
``pl.row_argmin``, ``pl.col_argmax``, ``pl.col_argmin``: INT32 indices, a scratch tile of the
input's shape). x is [ROWS, COLS] FP32 with repeated values, so ties are exercised.
"""

import pypto.language as pl

ROWS = 8
COLS = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "scalar_bounds": "compiles",
    "row_index_reductions": "compiles",
    "col_index_reductions": "compiles",
    "maximums_of_tensor": (
        "rejected: The operator tile.maximums requires first argument to be a TileType, but got "
        "TensorType"
    ),
    "argmax_without_scratch": (
        "rejected: Tile inputs require tmp_tile with exactly the same shape and dtype as the input"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "scalar_bounds": "pass",
    "row_index_reductions": "pass",
    "col_index_reductions": "pass",
    "maximums_of_tensor": (
        "not run: InvalidOperationError: pl operation 'maximums': The operator tile.maximums "
        "requires first argument to be a TileType, but got TensorType"
    ),
    "argmax_without_scratch": (
        "not run: InvalidOperationError: pl.row_argmax: Tile inputs require tmp_tile with "
        "exactly the same shape and dtype as the input"
    ),
}


@pl.jit
def scalar_bounds(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    upper: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    lower: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    leaky: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scalar_bounds"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.maximums(t, 0.25), [0, 0], upper)
        pl.store(pl.minimums(t, -0.5), [0, 0], lower)
        pl.store(pl.lrelu(t, 0.125), [0, 0], leaky)
    return upper, lower, leaky


@pl.jit
def row_index_reductions(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    top: pl.Out[pl.Tensor[[ROWS, 1], pl.INT32]],
    bottom: pl.Out[pl.Tensor[[ROWS, 1], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_index_reductions"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        pl.store(pl.row_argmax(t, scratch), [0, 0], top)
        pl.store(pl.row_argmin(t, scratch), [0, 0], bottom)
    return top, bottom


@pl.jit
def col_index_reductions(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    top: pl.Out[pl.Tensor[[1, COLS], pl.INT32]],
    bottom: pl.Out[pl.Tensor[[1, COLS], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="col_index_reductions"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        pl.store(pl.col_argmax(t, scratch), [0, 0], top)
        pl.store(pl.col_argmin(t, scratch), [0, 0], bottom)
    return top, bottom


@pl.jit
def maximums_of_tensor(
    x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="maximums_of_tensor"):
        out[:, :] = pl.maximums(x[:, :], 0.25)  # @tensor_maximums
    return out


@pl.jit
def argmax_without_scratch(
    x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, 1], pl.INT32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="argmax_without_scratch"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.row_argmax(t), [0, 0], out)  # @no_scratch
    return out

