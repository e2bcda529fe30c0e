"""Fixture: a kernel that imports pl and a sibling config exactly like pypto-lib kernels."""

import pypto.language as pl
from config import COLS, ROWS

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "scale_add": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "scale_add": "pass",
}


@pl.jit
def scale_add(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    y: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scale_add"):
        a = x[0:ROWS, :]
        b = y[0:ROWS, :]
        out[0:ROWS, :] = pl.add(pl.mul(a, 2.0), b)
    return out
