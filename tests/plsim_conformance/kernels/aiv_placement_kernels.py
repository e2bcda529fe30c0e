"""Where pypto lets vector and cube work sit in a task that opens pl.split_aiv regions
(pypto's AivSplitValid verifier; plsim/aiv_placement.py). Each kernel multiplies a [16, 64]
BF16 block by a [64, 64] one and hands the product to the two AIV lanes, eight rows each; the
refused ones put one op where the verifier does not take it (the line tagged ``# @name``).
"""

import pypto.language as pl

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "scale_read_outside_regions": "rejected: sits outside every pl.split_aiv region",
    "scale_read_in_own_region": "compiles",
    "add_before_region": "rejected: sits outside every pl.split_aiv region",
    "matmul_inside_region": "rejected: cube ops do not belong in it",
    "split_option_and_region": "rejected: mutually exclusive",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "scale_read_outside_regions": (
        "not run: Verification failed after 'ConvertTensorToTileOps' for properties "
        "{AivSplitValid}"
    ),
    "scale_read_in_own_region": "pass",
    "add_before_region": (
        "not run: Verification failed after 'ConvertTensorToTileOps' for properties "
        "{AivSplitValid}"
    ),
    "matmul_inside_region": (
        "not run: Verification failed after 'ConvertTensorToTileOps' for properties "
        "{AivSplitValid}"
    ),
    "split_option_and_region": (
        "not run: scope combines a function-level pl.split(pl.SplitMode.UP_DOWN) "
        "(optimizations=[pl.split(...)]) with a pl.split_aiv region; these are mutually "
        "exclusive AIV-split mechanisms"
    ),
}


@pl.jit
def scale_read_outside_regions(
    a: pl.Tensor[[16, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    scales: pl.Tensor[[1, 8], pl.FP32],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="read_outside"):
        acc = pl.matmul(a[0:16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)
        scale_row = scales[0:1, 0:8]
        factor = pl.read(scale_row, [0, 0])  # @read_outside
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            half = pl.aiv_shard(acc)
            y[aiv_id * 8 : aiv_id * 8 + 8, 0:64] = pl.mul(half, factor)
    return y


@pl.jit
def scale_read_in_own_region(
    a: pl.Tensor[[16, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    scales: pl.Tensor[[1, 8], pl.FP32],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="read_in_region"):
        acc = pl.matmul(a[0:16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            half = pl.aiv_shard(acc)
            scale_row = scales[0:1, aiv_id // 2 : aiv_id // 2 + 8]
            factor = pl.read(scale_row, [0, 0])
            y[aiv_id * 8 : aiv_id * 8 + 8, 0:64] = pl.mul(half, factor)
    return y


@pl.jit
def add_before_region(
    a: pl.Tensor[[16, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    bias: pl.Tensor[[1, 64], pl.FP32],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="add_outside"):
        acc = pl.matmul(a[0:16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)
        doubled = pl.add(bias[0:1, 0:64], bias[0:1, 0:64])  # @add_outside
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            half = pl.aiv_shard(acc)
            y[aiv_id * 8 : aiv_id * 8 + 8, 0:64] = pl.col_expand_mul(half, doubled)
    return y


@pl.jit
def matmul_inside_region(
    a: pl.Tensor[[16, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="matmul_inside"):
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            acc = pl.matmul(a[0:16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)  # @matmul_inside
            half = pl.aiv_shard(acc)
            y[aiv_id * 8 : aiv_id * 8 + 8, 0:64] = pl.mul(half, 2.0)
    return y


@pl.jit
def split_option_and_region(
    a: pl.Tensor[[16, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(
        level=pl.Level.CORE_GROUP,
        name_hint="both_splits",
        optimizations=[pl.split(pl.SplitMode.UP_DOWN)],
    ):
        acc = pl.matmul(a[0:16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):  # @both_splits
            half = pl.aiv_shard(acc)
            y[aiv_id * 8 : aiv_id * 8 + 8, 0:64] = pl.mul(half, 2.0)
    return y
