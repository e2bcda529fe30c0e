"""pypto's rules for the scratch tile of the reductions and of pl.row_expand_add
(plsim/ops/reduce_expand.py check_scratch_rule): a tile's row reduction needs one, col_sum may
take one, col_max / col_min / col_prod take none, and a tensor-level value never takes one.
``tile_reductions`` uses every accepted form; the other kernels break one rule each, and
``row_expand_add_with_scratch`` is pypto's scratch form of row_expand_add, which ptoas does not
parse.
"""

import pypto.language as pl

ROWS = 16
COLS = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "tile_reductions": "compiles",
    "row_max_without_scratch": (
        "rejected: pl.row_max: Tile inputs require tmp_tile with the same dtype and rank as the "
        "input"
    ),
    "tensor_row_sum_with_scratch": (
        "rejected: pl.row_sum: Tensor inputs must not pass tmp_tile"
    ),
    "col_max_with_scratch": "rejected: unexpected keyword argument 'tmp_tile'",
    "row_expand_add_with_scratch": (
        "hardware: pypto emits pto.trowexpandadd with the scratch as a third input; this chain's "
        "ptoas does not parse it (\"expected ':'\")"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "tile_reductions": "pass",
    "row_max_without_scratch": (
        "not run: pl.row_max: Tile inputs require tmp_tile with the same dtype and rank as the "
        "input"
    ),
    "tensor_row_sum_with_scratch": "not run: pl.row_sum: Tensor inputs must not pass tmp_tile",
    "col_max_with_scratch": "not run: unexpected keyword argument 'tmp_tile'",
    "row_expand_add_with_scratch": "not run: expected ':'",
}


@pl.jit
def tile_reductions(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    row_sums: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]],
    col_sums: pl.Out[pl.Tensor[[1, COLS], pl.FP32]],
    col_sums_tree: pl.Out[pl.Tensor[[1, COLS], pl.FP32]],
    col_maxima: pl.Out[pl.Tensor[[1, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_reductions"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        sums = pl.row_sum(t, scratch)
        pl.store(sums, [0, 0], row_sums)
        pl.store(pl.col_sum(t), [0, 0], col_sums)
        pl.store(pl.col_sum(t, scratch), [0, 0], col_sums_tree)
        pl.store(pl.col_max(t), [0, 0], col_maxima)
    return row_sums, col_sums, col_sums_tree, col_maxima


@pl.jit
def row_expand_add_with_scratch(
    x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_expand_add_with_scratch"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        sums = pl.row_sum(t, scratch)
        pl.store(pl.row_expand_add(t, sums, scratch), [0, 0], out)  # @expand_scratch
    return out


@pl.jit
def row_max_without_scratch(
    x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_max_without_scratch"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.row_max(t), [0, 0], out)  # @no_scratch
    return out


@pl.jit
def tensor_row_sum_with_scratch(
    x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tensor_row_sum_with_scratch"):
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        out[:, :] = pl.row_sum(x[:, :], scratch)  # @tensor_scratch
    return out


@pl.jit
def col_max_with_scratch(
    x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[1, COLS], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="col_max_with_scratch"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        pl.store(pl.col_max(t, tmp_tile=scratch), [0, 0], out)  # @col_scratch
    return out
