"""Fixture: calls an inline helper from a sibling module."""

import pypto.language as pl
from config import COLS, ROWS
from helpers import double_rows

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "doubled": "compiles",
}


@pl.jit
def doubled(x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]):
    out = double_rows(x, out, ROWS)
    return out
