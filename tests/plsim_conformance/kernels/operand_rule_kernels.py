"""Operand rules of pypto's tile ops that plsim used to accept (measured with hw-native-sys/pypto
e2d0f78a; the a2a3sim column from the toolchain's simulator); each bad line is tagged
``# @name``. Found by the valid-shape audit (docs/dsl.md §7.3, §14).
"""

import pypto.language as pl

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "div_valid_shapes": (
        "rejected: tile.div requires src0, src1, and dst to have the same valid_shape"
    ),
    "column_add_rows": "rejected: requires src1 valid row extent to match src0/dst",
    "row_expand_add_rows": "rejected: requires src1 valid row extent to match src0/dst",
    "row_expand_mul_rows": "compiles",
    "relu_of_tensor_slice": "rejected: tile.relu requires argument to be a TileType",
    "expands_tile": "rejected: No codegen registered for operation: tile.expands",
    "fillpad_inplace_top_level": "rejected: Unknown operation 'pl.fillpad_inplace'",
    "matmul_acc_rows": "rejected: requires acc valid M to cover lhs valid M",
    "assemble_grows_valid": (
        "hardware: the result is typed grown, the tile buffer keeps its valid rows (a2a3sim "
        "stores 4 of 8)"
    ),
    "assemble_grows_runtime_valid": "rejected: tensor.assemble leaves a gap in dimension 0",
    "sort32_partial": "runtime: pl.sort32 sorts the cells outside the valid region too",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "div_valid_shapes": (
        "not run: ValueError: The operator tile.div requires src0, src1, and dst to have "
        "the same valid_shape, but dimension 0 differs; got src0 valid_shape [4, 32] and "
        "src1 valid_shape [16, 64]"
    ),
    "column_add_rows": (
        "not run: ValueError: The operator tile.row_expand_add requires src1 valid row "
        "extent to match src0/dst, but got src0 valid_shape [4, 32] and src1 valid_shape "
        "[16, 1]"
    ),
    "row_expand_add_rows": (
        "not run: ValueError: The operator tile.row_expand_add requires src1 valid row "
        "extent to match src0/dst, but got src0 valid_shape [4, 32] and src1 valid_shape "
        "[16, 1]"
    ),
    "row_expand_mul_rows": "pass",
    "relu_of_tensor_slice": (
        "not run: InvalidOperationError: pl operation 'relu': The operator tile.relu "
        "requires argument to be a TileType, but got TensorType"
    ),
    "expands_tile": "not run: No codegen registered for operation: tile.expands",
    "fillpad_inplace_top_level": (
        "not run: InvalidOperationError: Unknown operation 'pl.fillpad_inplace'"
    ),
    "matmul_acc_rows": (
        "not run: ValueError: The operator tile.matmul_acc requires acc valid M to cover "
        "lhs valid M, but got acc M=4 and lhs M=16"
    ),
    "assemble_grows_valid": "ran: plsim refuses it (MiscompileError)",
    "assemble_grows_runtime_valid": (
        "not run: InvalidOperationError: pl operation 'assemble': tensor.assemble leaves "
        "a gap in dimension 0: the write starts at 4, which is not provably at or before "
        "the target valid extent rows. A valid shape names"
    ),
    "sort32_partial": "ran: plsim refuses it (UninitializedReadError)",
}


@pl.jit
def div_valid_shapes(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="div_valid"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 32])
        out[0:16, 0:64] = pl.div(a, y[0:16, 0:64])  # @div
    return out


@pl.jit
def column_add_rows(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="column_add"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 32])
        out[0:16, 0:64] = pl.add(a, y[0:16, 0:1])  # @column_add
    return out


@pl.jit
def row_expand_add_rows(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_expand_add"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 32])
        out[0:16, 0:64] = pl.row_expand_add(a, y[0:16, 0:1])  # @row_expand_add
    return out


@pl.jit
def row_expand_mul_rows(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_expand_mul"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 32])
        out[0:16, 0:64] = pl.row_expand_mul(a, y[0:16, 0:1])
    return out


@pl.jit
def relu_of_tensor_slice(
    x: pl.Tensor[[16, 64], pl.FP32], out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="relu_slice"):
        out[0:16, 0:64] = pl.relu(x[0:16, 0:64])  # @relu
    return out


@pl.jit
def expands_tile(x: pl.Tensor[[16, 64], pl.FP32], out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="expands"):
        out[0:16, 0:64] = pl.expands(x[0:16, 0:64], 2.0)  # @expands
    return out


@pl.jit
def fillpad_inplace_top_level(
    x: pl.Tensor[[16, 64], pl.FP32], out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fillpad_top"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 32])
        out[0:16, 0:64] = pl.fillpad_inplace(a)  # @fillpad_inplace
    return out


@pl.jit
def matmul_acc_rows(
    x: pl.Tensor[[16, 64], pl.BF16],
    w: pl.Tensor[[64, 32], pl.BF16],
    out: pl.InOut[pl.Tensor[[16, 32], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="acc_rows"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 64])
        acc = pl.matmul(a, w[0:64, 0:32], out_dtype=pl.FP32)
        acc = pl.matmul_acc(acc, x[0:16, 0:64], w[0:64, 0:32])  # @acc_rows
        out[0:16, 0:32] = acc
    return out


@pl.jit
def assemble_grows_valid(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="assemble_grows"):
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 64])
        f = y[0:16, 0:64]
        out[0:16, 0:64] = pl.assemble(a, f[0:4, :], [4, 0])  # @grows
    return out


@pl.jit
def assemble_grows_runtime_valid(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="assemble_grows_rt"):
        rows = pl.cast(pl.read(n, [0]), pl.INDEX)
        a = pl.slice(x, [16, 64], [0, 0], valid_shape=[rows, 64])
        f = y[0:16, 0:64]
        out[0:16, 0:64] = pl.assemble(a, f[0:4, :], [4, 0])  # @grows_runtime
    return out


@pl.jit
def sort32_partial(x: pl.Tensor[[1, 64], pl.FP32], out: pl.InOut[pl.Tensor[[1, 128], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="sort32_partial"):
        a = pl.slice(x, [1, 64], [0, 0], valid_shape=[1, 32])
        pairs = pl.sort32(a, pl.arange(0, [1, 64], dtype=pl.UINT32))
        out[0:1, 0:128] = pairs  # @sort32_store
    return out
