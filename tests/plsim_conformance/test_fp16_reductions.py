"""FP16 reductions in a2a3sim's accumulation types (kernels/fp16_reduction_kernels.py, a2a3sim
the same values). pto-isa's CPU TRowSum sums an FP16 row in FP32 and rounds once; TColSum,
TColProd and TRowProd keep the running value in FP16, one rounding per step. plsim summed and
multiplied everything in FP32 before: measured on a2a3sim, an FP16 col_sum of 32 rows of
N(0, 16) values then differed in 191 of 256 columns (up to 1.8 %). The expected values are
Python loops over NumPy scalars, one rounding per step in the stated type."""

from __future__ import annotations

import numpy as np
from conformance_support import load

import plsim

K = load("fp16_reduction_kernels.py")


def _fold(values, kind, start):
    acc = kind(start)
    for v in values:
        acc = kind(acc + kind(v)) if start == 0 else kind(acc * kind(v))
    return acc


def test_fp16_reductions_use_the_cpu_backends_running_types():
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((K.R, K.C)) * 4).astype(np.float16)
    x[:, K.C // 2 :] = (1 + rng.standard_normal((K.R, K.C // 2)) * 0.2).astype(np.float16)
    outs = [np.zeros((K.R, 16), np.float16), np.zeros((K.R, 16), np.float16),
            np.zeros((1, K.C), np.float16), np.zeros((1, K.C), np.float16)]  # fmt: skip
    plsim.run(K.fp16_reductions, x, *outs)
    row_sums, row_products, col_sums, col_products = outs
    with np.errstate(over="ignore"):
        for r in range(K.R):
            assert row_sums[r, 0] == np.float16(_fold(x[r], np.float32, 0)), r
            assert row_products[r, 0] == _fold(x[r], np.float16, 1), r
        for c in range(K.C):
            assert col_sums[0, c] == _fold(x[:, c], np.float16, 0), c
            assert col_products[0, c] == _fold(x[:, c], np.float16, 1), c
    # the FP32 running sum, plsim's before, is another value in most columns
    wide = np.array([np.float16(_fold(x[:, c], np.float32, 0)) for c in range(K.C)])
    assert (wide != col_sums[0]).sum() > K.C // 2
