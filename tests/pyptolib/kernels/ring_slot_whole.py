"""Fixture: a cube result read by vector ops whole; the compiler rejects it."""

import pypto.language as pl


@pl.jit
def ring(
    a: pl.Tensor[[128, 256], pl.INT8],
    b: pl.Tensor[[256, 1024], pl.INT8],
    y: pl.Out[pl.Tensor[[128, 1024], pl.FP32]],
):
    for i in pl.spmd(4, name_hint="proj"):
        o0 = i * 256
        acc = pl.create_tensor([128, 256], dtype=pl.INT32)
        for kb in pl.pipeline(0, 2, stage=2):
            k0 = kb * 128
            if k0 == 0:
                acc = pl.matmul(
                    a[:, k0 : k0 + 128], b[k0 : k0 + 128, o0 : o0 + 256], out_dtype=pl.INT32
                )
            else:
                acc = pl.matmul_acc(acc, a[:, k0 : k0 + 128], b[k0 : k0 + 128, o0 : o0 + 256])
        for r0 in pl.range(0, 128, 128):
            f = pl.cast(acc[r0 : r0 + 128, :], target_type=pl.FP32, mode="none")
            y[r0 : r0 + 128, o0 : o0 + 256] = pl.mul(f, 0.5)
    return y
