"""Fixture for a construct seen in pypto-lib kernels; the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit.inline
def stage_b(
    x: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
    done: pl.Array[1, pl.TASK_ID],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="b", deps=[done[0]]):
        y[0:16, 0:64] = pl.add(x[0:16, 0:64], 1.0)
    return y


@pl.jit
def arr(x: pl.Tensor[[16, 64], pl.FP32], y: pl.Out[pl.Tensor[[16, 64], pl.FP32]]):
    tids = pl.array.create(1, pl.TASK_ID)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="a") as tid:
        y[0:16, 0:64] = pl.mul(x[0:16, 0:64], 2.0)
    tids[0] = tid
    y = stage_b(x, y, tids)
    return y
