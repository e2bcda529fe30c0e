"""Fixture: package-relative import of constants."""

import pypto.language as pl

from .consts import N

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "negate": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "negate": "not run: ImportError: attempted relative import with no known parent package",
}


@pl.jit
def negate(x: pl.Tensor[[8, N], pl.FP32], out: pl.Out[pl.Tensor[[8, N], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="negate"):
        out[:, :] = pl.neg(x[:, :])
    return out
