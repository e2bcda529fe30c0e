"""Fixture: a hand-placed pl.scope() under the default auto_scope; the compiler rejects it."""

import pypto.language as pl


@pl.jit
def sp(x: pl.Tensor[[16, 64], pl.FP32], y: pl.Out[pl.Tensor[[16, 64], pl.FP32]]):
    with pl.scope():  # noqa: SIM117 - the DSL nests scopes as statements
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="work"):
            y[0:16, 0:64] = pl.add(x[0:16, 0:64], 1.0)
    return y
