"""Fixture kernels with declared shapes and dtypes, for plsim.run argument checking."""

import pypto.language as pl

M = 8
N = 32


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "scale_rows": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "scale_rows": "pass",
}


@pl.jit
def scale_rows(
    x: pl.Tensor[[M, N], pl.FP32],
    weight: pl.Tensor[[1, N], pl.BF16],
    state: pl.InOut[pl.Tensor[[M, N], pl.FP32]],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
    start_pos: pl.Scalar[pl.INT32],
    rotate: pl.Scalar[pl.BOOL],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scale_rows"):
        w = pl.cast(weight[:, :], target_type=pl.FP32)
        y = pl.col_expand_mul(x[:, :], w)
        state[:, :] = pl.add(state[:, :], y)
        out[:, :] = y
    return out
