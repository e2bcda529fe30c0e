"""pl.mrgsort of tile-level lists and pl.tile.gather (plsim/ops/sort_gather.py): the two-list
merge of two loaded [1, PAIRS] (score, index) pair rows takes a scratch tile at tile level;
without one the compiler refuses it. pl.tile.gather and pl.tile.scatter index their [ROWS, COLS]
source / destination as one flat array; the tensor-level pl.scatter(input, dim=-1, index=, src=)
scatters within each row.
"""

import pypto.language as pl

PAIRS = 128
MERGED = 2 * PAIRS
ROWS = 8
COLS = 64
HALF = COLS // 2

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "tile_merge_with_scratch": "compiles",
    "tile_merge_without_scratch": "rejected: mrgsort() format2 requires tmp",
    "flat_tile_gather": "compiles",
    "flat_tile_scatter": "compiles",
    "row_tensor_scatter": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "tile_merge_with_scratch": "pass",
    "tile_merge_without_scratch": (
        "not run: InvalidOperationError: pl operation 'mrgsort': mrgsort() format2 requires tmp"
    ),
    "flat_tile_gather": "pass",
    "flat_tile_scatter": "pass",
    "row_tensor_scatter": "pass",
}


@pl.jit
def tile_merge_with_scratch(
    x: pl.Tensor[[1, PAIRS], pl.FP32],
    y: pl.Tensor[[1, PAIRS], pl.FP32],
    out: pl.Out[pl.Tensor[[1, MERGED], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_merge_with_scratch"):
        a = pl.load(x, [0, 0], [1, PAIRS])
        b = pl.load(y, [0, 0], [1, PAIRS])
        scratch = pl.create_tile([1, MERGED], dtype=pl.FP32)
        pl.store(pl.mrgsort(a, b, tmp=scratch), [0, 0], out)
    return out


@pl.jit
def tile_merge_without_scratch(
    x: pl.Tensor[[1, PAIRS], pl.FP32],
    y: pl.Tensor[[1, PAIRS], pl.FP32],
    out: pl.Out[pl.Tensor[[1, MERGED], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_merge_without_scratch"):
        a = pl.load(x, [0, 0], [1, PAIRS])
        b = pl.load(y, [0, 0], [1, PAIRS])
        pl.store(pl.mrgsort(a, b), [0, 0], out)  # @no_tmp
    return out


@pl.jit
def flat_tile_gather(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    index: pl.Tensor[[ROWS, COLS], pl.INT32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="flat_tile_gather"):
        a = pl.load(x, [0, 0], [ROWS, COLS])
        i = pl.load(index, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.INT32)
        pl.store(pl.tile.gather(a, i, scratch), [0, 0], out)
    return out


@pl.jit
def flat_tile_scatter(
    base: pl.Tensor[[ROWS, COLS], pl.FP32],
    x: pl.Tensor[[ROWS, HALF], pl.FP32],
    index: pl.Tensor[[ROWS, HALF], pl.INT32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="flat_tile_scatter"):
        d = pl.load(base, [0, 0], [ROWS, COLS])
        v = pl.load(x, [0, 0], [ROWS, HALF])
        i = pl.load(index, [0, 0], [ROWS, HALF])
        pl.store(pl.tile.scatter(d, v, i), [0, 0], out)
    return out


@pl.jit
def row_tensor_scatter(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    index: pl.Tensor[[ROWS, HALF], pl.INT32],
    src: pl.Tensor[[ROWS, HALF], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_tensor_scatter"):
        out[:, :] = pl.scatter(x[:, :], dim=-1, index=index[:, :], src=src[:, :])
    return out
