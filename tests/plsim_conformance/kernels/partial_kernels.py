"""Partial elementwise ops and triangles (plsim/ops/partial.py, pl.tri in plsim/ops/creation.py):
``partial_ops`` combines a whole tile with one valid over its top-left [NARROW_ROWS,
NARROW_COLS] only, ``narrow_first`` puts the narrow one first (the result then has its valid
region), ``triangles`` makes lower and upper 0/1 tiles at three diagonals.
"""

import pypto.language as pl

ROWS = 8
COLS = 64
NARROW_ROWS = 4
NARROW_COLS = 32
TRI_ROWS = 16
UPPER_DIAGONAL = 2
LOWER_DIAGONAL = -3

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "partial_ops": "compiles",
    "narrow_first": "compiles",
    "triangles": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "partial_ops": "pass",
    "narrow_first": "pass",
    "triangles": "pass",
}


@pl.jit
def partial_ops(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    y: pl.Tensor[[ROWS, COLS], pl.FP32],
    sums: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    products: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    larger: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    smaller: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="partial_ops"):
        a = pl.load(x, [0, 0], [ROWS, COLS])
        b = pl.tile.set_validshape(pl.load(y, [0, 0], [ROWS, COLS]), NARROW_ROWS, NARROW_COLS)
        pl.store(pl.part_add(a, b), [0, 0], sums)
        pl.store(pl.part_mul(a, b), [0, 0], products)
        pl.store(pl.part_max(a, b), [0, 0], larger)
        pl.store(pl.part_min(a, b), [0, 0], smaller)
    return sums, products, larger, smaller


@pl.jit
def narrow_first(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    y: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[NARROW_ROWS, NARROW_COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="narrow_first"):
        a = pl.load(x, [0, 0], [ROWS, COLS])
        b = pl.tile.set_validshape(pl.load(y, [0, 0], [ROWS, COLS]), NARROW_ROWS, NARROW_COLS)
        pl.store(pl.part_max(b, a), [0, 0], out)
    return out


@pl.jit
def triangles(
    lower: pl.Out[pl.Tensor[[TRI_ROWS, COLS], pl.INT32]],
    upper: pl.Out[pl.Tensor[[TRI_ROWS, COLS], pl.FP32]],
    shifted: pl.Out[pl.Tensor[[TRI_ROWS, COLS], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="triangles"):
        pl.store(pl.tri(0, [TRI_ROWS, COLS]), [0, 0], lower)
        pl.store(pl.tri(UPPER_DIAGONAL, [TRI_ROWS, COLS], dtype=pl.FP32, upper=True), [0, 0], upper)
        pl.store(pl.tri(LOWER_DIAGONAL, [TRI_ROWS, COLS]), [0, 0], shifted)
    return lower, upper, shifted
