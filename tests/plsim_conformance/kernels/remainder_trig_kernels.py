"""Remainders and trigonometry on FP32 tiles (plsim/ops/remainder_trig.py): ``pl.rem`` /
``pl.rems`` (floored, the divisor's sign), ``pl.fmod`` / ``pl.fmods`` (truncated, the
dividend's sign), ``pl.sin`` / ``pl.cos``. Divisors of both signs; a and b are [ROWS, COLS].
"""

import pypto.language as pl

ROWS = 8
COLS = 64
DIVISOR = 1.5

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "remainders": "compiles",
    "trig": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "remainders": "pass",
    "trig": "pass",
}


@pl.jit
def remainders(
    a: pl.Tensor[[ROWS, COLS], pl.FP32],
    b: pl.Tensor[[ROWS, COLS], pl.FP32],
    floored: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    floored_by_scalar: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    truncated: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    truncated_by_scalar: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="remainders"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        y = pl.load(b, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        pl.store(pl.rem(x, y, scratch), [0, 0], floored)
        pl.store(pl.rems(x, DIVISOR, scratch), [0, 0], floored_by_scalar)
        pl.store(pl.fmod(x, y), [0, 0], truncated)
        pl.store(pl.fmods(x, DIVISOR), [0, 0], truncated_by_scalar)
    return floored, floored_by_scalar, truncated, truncated_by_scalar


@pl.jit
def trig(
    a: pl.Tensor[[ROWS, COLS], pl.FP32],
    sines: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    cosines: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="trig"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        pl.store(pl.sin(x), [0, 0], sines)
        pl.store(pl.cos(x), [0, 0], cosines)
    return sines, cosines
