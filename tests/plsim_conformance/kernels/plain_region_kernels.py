"""A lane's tile carried out of a pl.split_aiv region with no crossing in it (plsim/aiv_regions.py).

pypto halves a region without pl.aiv_shard / pl.aic_gather as data-parallel work. A tile made
there and read in a later region of the task is not carried: ``state_from_plain_region``
(UP_DOWN, a [16, 32] tile) and ``columns_from_plain_region`` (LEFT_RIGHT, [32, 16]) stop in
pypto's code generation. The same tile made in a region that pops a product is carried
(``state_from_crossing_region``), and so is a one-row tile from a plain UP_DOWN region
(``row_from_plain_region``): both build and pass on a2a3sim. Each kernel adds the carried tile
(ones) to the lane's half of an FP32 product.
"""

import pypto.language as pl

M = 32
D = 128
N = 32

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "state_from_plain_region": "rejected: no MLIR mapping for MemRef base",
    "columns_from_plain_region": "rejected: no MLIR mapping for MemRef base",
    "state_from_crossing_region": "compiles",
    "row_from_plain_region": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "state_from_plain_region": "not run: no MLIR mapping for MemRef base",
    "columns_from_plain_region": "not run: no MLIR mapping for MemRef base",
    "state_from_crossing_region": "pass",
    "row_from_plain_region": "pass",
}


@pl.jit
def state_from_plain_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="state_from_plain_region"):
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            bias = pl.full([M // 2, N], dtype=pl.FP32, value=1.0)
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            r0 = aiv_id * (M // 2)
            y[r0 : r0 + M // 2, :] = pl.add(pl.aiv_shard(product), bias)  # @carried_rows
    return y


@pl.jit
def columns_from_plain_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="columns_from_plain_region"):
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            bias = pl.full([M, N // 2], dtype=pl.FP32, value=1.0)
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            c0 = aiv_id * (N // 2)
            y[:, c0 : c0 + N // 2] = pl.add(pl.aiv_shard(product), bias)  # @carried_columns
    return y


@pl.jit
def state_from_crossing_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="state_from_crossing_region"):
        probe = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            _probe = pl.aiv_shard(probe)
            bias = pl.full([M // 2, N], dtype=pl.FP32, value=1.0)
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            r0 = aiv_id * (M // 2)
            y[r0 : r0 + M // 2, :] = pl.add(pl.aiv_shard(product), bias)
    return y


@pl.jit
def row_from_plain_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_from_plain_region"):
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            bias = pl.full([1, N], dtype=pl.FP32, value=1.0)
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            r0 = aiv_id * (M // 2)
            y[r0 : r0 + M // 2, :] = pl.col_expand_add(pl.aiv_shard(product), bias)
    return y
