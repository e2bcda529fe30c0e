"""pypto spellings plsim gained after measuring them (plsim/ops/stores.py, elementwise.py):
``pl.store(..., atomic=pl.AtomicType.Add)`` into an InOut tensor, the scalar forms
``pl.tile.adds`` / ``subs`` / ``muls`` / ``divs`` and ``pl.log(..., high_precision=True)``.
"""

import pypto.language as pl

ROWS = 16
COLS = 64
SHIFT = 0.5
DROP = 0.25
SCALE = 3.0
DIVISOR = 4.0

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "atomic_store": "compiles",
    "scalar_forms": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "atomic_store": "pass",
    "scalar_forms": "pass",
}


@pl.jit
def atomic_store(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    total: pl.InOut[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="atomic_store"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(t, [0, 0], total, atomic=pl.AtomicType.Add)
    return total


@pl.jit
def scalar_forms(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    shifted: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    dropped: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    scaled: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    divided: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    logged: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scalar_forms"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.tile.adds(t, SHIFT), [0, 0], shifted)
        pl.store(pl.tile.subs(t, DROP), [0, 0], dropped)
        pl.store(pl.tile.muls(t, SCALE), [0, 0], scaled)
        pl.store(pl.tile.divs(t, DIVISOR), [0, 0], divided)
        positive = pl.tile.adds(pl.abs(t), 1.0)
        pl.store(pl.log(positive, high_precision=True), [0, 0], logged)
    return shifted, dropped, scaled, divided, logged
