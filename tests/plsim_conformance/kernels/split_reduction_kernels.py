"""Row and column reductions over the split axis (plsim/aiv_regions.py check_reduction).

Each lane of an UP_DOWN / LEFT_RIGHT pl.split_aiv region holds half the rows / columns, so a
column / row reduction there would reduce one half: pypto refuses it (AivSplitValid), and so it
does in a scope with ``optimizations=[pl.split(UP_DOWN)]`` (SplitVectorKernel). A reduction
over the other axis builds and runs: ``row_sum_in_rows_region`` passes on a2a3sim.
"""

import pypto.language as pl

M = 32
D = 128
N = 32

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "column_sum_in_rows_region": "rejected: reduces over the split axis (dim 0)",
    "row_sum_in_rows_region": "compiles",
    "row_max_in_columns_region": "rejected: reduces over the split axis (dim 1)",
    "column_sum_in_split_scope": "rejected: partial reduction in a split kernel is not supported",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "column_sum_in_rows_region": "not run: Verification failed ... {AivSplitValid}",
    "row_sum_in_rows_region": "pass",
    "row_max_in_columns_region": "not run: Verification failed ... {AivSplitValid}",
    "column_sum_in_split_scope": "not run: partial reduction in a split kernel is not supported",
}


@pl.jit
def column_sum_in_rows_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[2, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="column_sum_in_rows_region"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            y[aiv_id : aiv_id + 1, :] = pl.col_sum(pl.aiv_shard(product))  # @rows_col_sum
    return y


@pl.jit
def row_sum_in_rows_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[M, 1], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_sum_in_rows_region"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            r0 = aiv_id * (M // 2)
            y[r0 : r0 + M // 2, :] = pl.row_sum(pl.aiv_shard(product))
    return y


@pl.jit
def row_max_in_columns_region(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[M, 2], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_max_in_columns_region"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            y[:, aiv_id : aiv_id + 1] = pl.row_max(pl.aiv_shard(product))  # @columns_row_max
    return y


@pl.jit
def column_sum_in_split_scope(
    a: pl.Tensor[[M, D], pl.BF16],
    b: pl.Tensor[[N, D], pl.BF16],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
):
    with pl.at(
        level=pl.Level.CORE_GROUP,
        name_hint="column_sum_in_split_scope",
        optimizations=[pl.split(pl.SplitMode.UP_DOWN)],
    ):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        y[0:1, :] = pl.col_sum(product)  # @scope_col_sum
    return y
