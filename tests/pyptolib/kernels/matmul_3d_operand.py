"""Fixture for a construct seen in pypto-lib kernels; the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit
def mm3(
    x: pl.Tensor[[16, 64], pl.BF16],
    w: pl.Tensor[[2, 32, 64], pl.BF16],
    y: pl.Out[pl.Tensor[[16, 32], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm"):
        acc = pl.matmul(x[0:16, 0:32], w[1:2, 0:32, 0:32], b_trans=True, out_dtype=pl.FP32)
        acc = pl.matmul_acc(acc, x[0:16, 32:64], w[1:2, 0:32, 32:64], b_trans=True)
        # the result keeps w's group axis: [1, 16, 32]; assemble writes it into 2-D y
        y = pl.assemble(y, acc, [0, 0])
    return y
