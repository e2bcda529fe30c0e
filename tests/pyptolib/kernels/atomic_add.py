"""Fixture for a construct seen in pypto-lib kernels; the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit
def aa(x: pl.Tensor[[64, 64], pl.FP32], y: pl.Out[pl.Tensor[[16, 64], pl.FP32]]):
    acc = pl.create_tensor([16, 64], dtype=pl.FP32, init_value=0)
    for i in pl.parallel(4):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="partial"):
            part = pl.mul(x[i * 16 : i * 16 + 16, 0:64], 2.0)
            acc = pl.assemble(acc, part, [0, 0], atomic=pl.AtomicType.Add)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy"):
        y[0:16, 0:64] = acc[0:16, 0:64]
    return y
