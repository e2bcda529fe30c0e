"""Kernels each rejected by one stage of pypto's build; the line each stage names is tagged
``# @name``. For tests/toolchain/test_build_stages_live.py (needs the compiler and ptoas; the
C++ one also the simulator). Not run on plsim.
"""

import pypto.language as pl

R = 16
C = 64

#: What the real toolchain does with each kernel (kinds: tests/plsim_fixtures.py).
VERDICTS = {
    "augmented_assignment": "rejected: Unsupported statement type: AugAssign",
    "matmul_eight_rows": (
        "hardware: ptoas: 'pto.alloc_tile' op expects result boxed tile rows to be a multiple "
        "of innerRows (16), but got 8"
    ),
    "row_count_as_product": (
        "hardware: pypto's kernel wrapper: Cannot recover dynamic dimension (a runtime extent "
        "seen only as a product of two variables)"
    ),
    "row_vector_add": (
        "hardware: the simulator's C++ compile: no matching function for call to 'TADD_IMPL' "
        "(one TADD over [16, 64] and [1, 64] tiles)"
    ),
    "row_exp": "compiles",
}


@pl.jit
def augmented_assignment(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="aug"):
        t = x[:, :]
        t += 1.0  # @aug
        out[:, :] = t
    return out


@pl.jit
def matmul_eight_rows(
    x: pl.Tensor[[8, C], pl.BF16],
    w: pl.Tensor[[C, 32], pl.BF16],
    out: pl.Out[pl.Tensor[[8, 32], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm8"):
        out[:, :] = pl.matmul(x[:, :], w[:, :], out_dtype=pl.FP32)  # @mm8
    return out


@pl.jit.inline
def exp_into(t: pl.Tensor[[R, C], pl.FP32], o: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="exp_into"):
        o[:, :] = pl.exp(t[:, :])
    return o


@pl.jit
def row_count_as_product(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    rows = pl.tensor.dim(x, 0)
    cols = pl.tensor.dim(x, 1)
    flat = pl.reshape(x, [rows * cols // C, C])  # the wrapper cannot invert rows * cols
    out = exp_into(flat, out)
    return out


@pl.jit
def row_vector_add(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bcast"):
        t = x[:, :]
        out[:, :] = pl.add(t, t[0:1, :])
    return out


@pl.jit
def row_exp(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="exp_rows"):
        out[:, :] = pl.exp(x[:, :])
    return out
