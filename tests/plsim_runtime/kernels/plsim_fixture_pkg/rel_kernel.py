"""Fixture: package-relative import of constants."""

import pypto.language as pl

from .consts import N


@pl.jit
def negate(x: pl.Tensor[[8, N], pl.FP32], out: pl.Out[pl.Tensor[[8, N], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="negate"):
        out[:, :] = pl.neg(x[:, :])
    return out
