"""Fixture for a construct seen in pypto-lib kernels; the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit
def xs(x: pl.Tensor[[16, 64], pl.FP32], y: pl.Out[pl.Tensor[[16, 64], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="first"):
        t = pl.mul(x[0:16, 0:64], 2.0)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="second"):
        y[0:16, 0:64] = pl.add(t, 1.0)
    return y
