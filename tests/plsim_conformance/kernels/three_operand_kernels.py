"""Three-operand adds on FP32 tiles (plsim/ops/three_operand.py): pl.addc, subc, addsc, subsc;
``addc_of_tensors`` writes pl.addc on tensor-level values, which the compiler refuses."""

import pypto.language as pl

ROWS = 8
COLS = 64
HALF = 0.5

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "three_operand_adds": "compiles",
    "addc_of_tensors": (
        "rejected: The operator tile.addc requires first argument to be a TileType, but got "
        "TensorType"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "three_operand_adds": "pass",
    "addc_of_tensors": (
        "not run: InvalidOperationError: pl operation 'addc': The operator tile.addc requires "
        "first argument to be a TileType, but got TensorType"
    ),
}


@pl.jit
def three_operand_adds(
    a: pl.Tensor[[ROWS, COLS], pl.FP32],
    b: pl.Tensor[[ROWS, COLS], pl.FP32],
    c: pl.Tensor[[ROWS, COLS], pl.FP32],
    sums: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    differences: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    scalar_sums: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    scalar_differences: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="three_operand_adds"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        y = pl.load(b, [0, 0], [ROWS, COLS])
        z = pl.load(c, [0, 0], [ROWS, COLS])
        pl.store(pl.addc(x, y, z), [0, 0], sums)
        pl.store(pl.subc(x, y, z), [0, 0], differences)
        pl.store(pl.addsc(x, HALF, z), [0, 0], scalar_sums)
        pl.store(pl.subsc(x, HALF, z), [0, 0], scalar_differences)
    return sums, differences, scalar_sums, scalar_differences


@pl.jit
def addc_of_tensors(
    a: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="addc_of_tensors"):
        out[:, :] = pl.addc(a[:, :], a[:, :], a[:, :])  # @tensor_addc
    return out
