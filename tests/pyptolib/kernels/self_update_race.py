"""Fixture: each block changes its own row while reading another block's row: a race."""

import pypto.language as pl


@pl.jit
def selfcopy(
    kv: pl.InOut[pl.Tensor[[4, 64], pl.FP32]],
    y: pl.Out[pl.Tensor[[4, 64], pl.FP32]],
):
    for t in pl.spmd(4, name_hint="gather"):
        touch = kv[t : t + 1, 0:64]
        kv[t : t + 1, 0:64] = pl.add(touch, 1.0)
        other = (t + 1) % 4
        y[t : t + 1, 0:64] = pl.add(kv[other : other + 1, 0:64], 1.0)
    return y
