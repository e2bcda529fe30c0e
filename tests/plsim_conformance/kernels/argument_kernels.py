"""A kernel with one parameter of each kind, for plsim.run argument validation."""

import pypto.language as pl

N = pl.dynamic("N")


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "every_kind": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "every_kind": "pass",
}


@pl.jit
def every_kind(
    x: pl.Tensor[[N, 32], pl.FP32],
    y: pl.Tensor[[N, 32], pl.FP32],
    state: pl.InOut[pl.Tensor[[8, 32], pl.FP32]],
    out: pl.Out[pl.Tensor[[8, 32], pl.FP32]],
    count: pl.Scalar[pl.INT32],
    gain: pl.Scalar[pl.FP32],
    flag: pl.Scalar[pl.BOOL],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="body"):
        t = pl.add(pl.mul(x[0:8, :], gain), y[0:8, :])
        if flag:
            t = pl.add(t, state[:, :])
        state[:, :] = t
        out[:, :] = pl.add(t, pl.cast(pl.cast(count, pl.INT32), pl.FP32))
    return out
