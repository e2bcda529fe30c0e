"""Fixture for a construct seen in pypto-lib kernels; the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit
def lv(x: pl.Tensor[[16, 64], pl.FP32], y: pl.Out[pl.Tensor[[16, 64], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="part"):
        t = pl.load(x, [0, 0], [16, 64], valid_shape=[16, 32], target_memory=pl.MemorySpace.Vec)
        t = pl.fillpad(t, pad_value=pl.PadValue.zero)
        pl.store(pl.add(t, 1.0), [0, 0], y)
    return y
