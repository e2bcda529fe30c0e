"""Fixture for a construct seen in pypto-lib kernels; the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit(auto_scope=False)
def sp(x: pl.Tensor[[16, 64], pl.FP32], y: pl.Out[pl.Tensor[[16, 64], pl.FP32]]):
    flat = pl.reshape(x, [16 * 64])
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="warm"):
        ctx = pl.prefetch.make_context()
        pl.prefetch.async_prefetch(flat, ctx)
    with pl.scope():  # noqa: SIM117 - the DSL nests scopes as statements
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="work"):
            y[0:16, 0:64] = pl.add(x[0:16, 0:64], 1.0)
    return y
