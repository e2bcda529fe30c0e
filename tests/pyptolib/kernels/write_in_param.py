"""A kernel that writes a parameter declared pl.Tensor (In): the compiler promotes it to InOut."""

import pypto.language as pl


@pl.jit
def write_in_param(
    x: pl.Tensor[[16, 64], pl.FP32],
    state: pl.Tensor[[16, 64], pl.FP32],
    y: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="update"):
        t = pl.add(x[0:16, 0:64], state[0:16, 0:64])
        state[0:16, 0:64] = t
        y[0:16, 0:64] = t
    return y
