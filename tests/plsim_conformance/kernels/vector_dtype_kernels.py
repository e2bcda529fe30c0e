"""The element types a2a3's vector instructions take (plsim/ops/vector_dtypes.py): pypto types
these kernels, ptoas refuses each for A2/A3 by its element type (or pypto itself, for
``bf16_row_min``), and ``fp16_and_int16`` builds and runs with the same ops on types ptoas takes.
"""

import pypto.language as pl

R = 32
C = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "bf16_add": "hardware: ptoas has no BF16 tadd for A2/A3",
    "int8_mul": "hardware: ptoas has no INT8 tmul for A2/A3",
    "int32_abs": "hardware: ptoas has tabs for FP16 / FP32 only",
    "int32_div": "hardware: ptoas has tdiv of two tiles for FP16 / FP32 only on A2/A3",
    "bf16_exp": "hardware: ptoas has no BF16 texp",
    "int16_relu": "hardware: ptoas has trelu for INT32 / FP16 / FP32 on A2/A3",
    "bf16_row_sum": "hardware: ptoas has no BF16 trowsum",
    "int8_col_expand_add": "hardware: ptoas has no INT8 tcolexpandadd for A2/A3",
    "bf16_row_min": "rejected: The operator tile.row_min requires input dtype in",
    "fp16_and_int16": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "bf16_add": "not run: 'pto.tadd' op expects A2/A3 tadd element type to be i32/i16/f16/f32",
    "int8_mul": "not run: 'pto.tmul' op expects A2/A3 tmul element type to be i32/i16/f16/f32",
    "int32_abs": "not run: 'pto.tabs' op expects element type to be f16 or f32",
    "int32_div": "not run: 'pto.tdiv' op expects A2/A3 tdiv element type to be f16 or f32",
    "bf16_exp": "not run: 'pto.texp' op expects vec tile element types to be supported",
    "int16_relu": "not run: 'pto.trelu' op expects A2/A3 trelu element type to be i32/f16/f32",
    "bf16_row_sum": "not run: 'pto.trowsum' op expects element type to be i16/i32/f16/f32",
    "int8_col_expand_add": (
        "not run: 'pto.tcolexpandadd' op expects A2/A3 tcolexpandadd element type to be "
        "i16/i32/f16/f32"
    ),
    "bf16_row_min": "not run: The operator tile.row_min requires input dtype in",
    "fp16_and_int16": "pass",
}


@pl.jit
def bf16_add(
    x: pl.Tensor[[R, C], pl.BF16], y: pl.Tensor[[R, C], pl.BF16],
    out: pl.Out[pl.Tensor[[R, C], pl.BF16]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_add"):
        a = pl.load(x, [0, 0], [R, C])
        b = pl.load(y, [0, 0], [R, C])
        pl.store(pl.add(a, b), [0, 0], out)  # @bf16_add
    return out


@pl.jit
def int8_mul(
    x: pl.Tensor[[R, C], pl.INT8], y: pl.Tensor[[R, C], pl.INT8],
    out: pl.Out[pl.Tensor[[R, C], pl.INT8]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int8_mul"):
        out[:, :] = pl.mul(x[:, :], y[:, :])  # @int8_mul
    return out


@pl.jit
def int32_abs(x: pl.Tensor[[R, C], pl.INT32], out: pl.Out[pl.Tensor[[R, C], pl.INT32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_abs"):
        a = pl.load(x, [0, 0], [R, C])
        pl.store(pl.abs(a), [0, 0], out)  # @int32_abs
    return out


@pl.jit
def int32_div(
    x: pl.Tensor[[R, C], pl.INT32], y: pl.Tensor[[R, C], pl.INT32],
    out: pl.Out[pl.Tensor[[R, C], pl.INT32]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_div"):
        a = pl.load(x, [0, 0], [R, C])
        b = pl.load(y, [0, 0], [R, C])
        pl.store(pl.div(a, b), [0, 0], out)  # @int32_div
    return out


@pl.jit
def bf16_exp(x: pl.Tensor[[R, C], pl.BF16], out: pl.Out[pl.Tensor[[R, C], pl.BF16]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_exp"):
        out[:, :] = pl.exp(x[:, :])  # @bf16_exp
    return out


@pl.jit
def int16_relu(x: pl.Tensor[[R, C], pl.INT16], out: pl.Out[pl.Tensor[[R, C], pl.INT16]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int16_relu"):
        a = pl.load(x, [0, 0], [R, C])
        pl.store(pl.relu(a), [0, 0], out)  # @int16_relu
    return out


@pl.jit
def bf16_row_sum(x: pl.Tensor[[R, C], pl.BF16], out: pl.Out[pl.Tensor[[R, 1], pl.BF16]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_row_sum"):
        a = pl.load(x, [0, 0], [R, C])
        tmp = pl.create_tile([R, C], dtype=pl.BF16, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.row_sum(a, tmp), [0, 0], out)  # @bf16_row_sum
    return out


@pl.jit
def int8_col_expand_add(
    x: pl.Tensor[[R, C], pl.INT8], r: pl.Tensor[[1, C], pl.INT8],
    out: pl.Out[pl.Tensor[[R, C], pl.INT8]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int8_col_expand_add"):
        a = pl.load(x, [0, 0], [R, C])
        b = pl.load(r, [0, 0], [1, C])
        pl.store(pl.col_expand_add(a, b), [0, 0], out)  # @int8_col_expand_add
    return out


@pl.jit
def bf16_row_min(x: pl.Tensor[[R, C], pl.BF16], out: pl.Out[pl.Tensor[[R, 1], pl.BF16]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_row_min"):
        a = pl.load(x, [0, 0], [R, C])
        tmp = pl.create_tile([R, C], dtype=pl.BF16, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.row_min(a, tmp), [0, 0], out)  # @bf16_row_min
    return out


@pl.jit
def fp16_and_int16(
    h: pl.Tensor[[R, C], pl.FP16], g: pl.Tensor[[R, C], pl.INT16],
    sums: pl.Out[pl.Tensor[[R, C], pl.FP16]], quotients: pl.Out[pl.Tensor[[R, C], pl.FP16]],
    products: pl.Out[pl.Tensor[[R, C], pl.INT16]], larger: pl.Out[pl.Tensor[[R, C], pl.INT16]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_and_int16"):
        a = pl.load(h, [0, 0], [R, C])
        b = pl.load(g, [0, 0], [R, C])
        pl.store(pl.add(a, a), [0, 0], sums)
        pl.store(pl.div(a, pl.exp(a)), [0, 0], quotients)
        pl.store(pl.mul(b, b), [0, 0], products)
        pl.store(pl.maximum(b, pl.neg(b)), [0, 0], larger)
    return sums, quotients, products, larger
