"""Fixture: calls an inline helper from a sibling module."""

import pypto.language as pl
from config import COLS, ROWS
from helpers import double_rows

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "doubled": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "doubled": (
        "not run: cannot combine with previous 'void' declaration specifier 47 | static "
        "__aicore__ void double(__gm__ float* v1, __gm__ float* v2) { ^ <build>"
    ),
}


@pl.jit
def doubled(x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]):
    out = double_rows(x, out, ROWS)
    return out
