"""Fixture kernels exercising the op families' shape rules and valid regions."""

import pypto.language as pl

M = 16
N = 32


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "concat_gather": "compiles",
    "expands": "compiles",
    "fillpad_min": "compiles",
    "gather_out_of_range": "runtime: data-driven out-of-bounds (gather index values)",
    "quant_chain": "compiles",
    "transposed_matmul": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "concat_gather": "pass",
    "expands": "pass",
    "fillpad_min": "pass",
    "gather_out_of_range": "pass",
    "quant_chain": "pass",
    "transposed_matmul": "pass",
}


@pl.jit
def expands(
    x: pl.Tensor[[M, N], pl.FP32],
    col: pl.Tensor[[M, 1], pl.FP32],
    row: pl.Tensor[[1, N], pl.FP32],
    out: pl.Out[pl.Tensor[[4 * M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="expand"):
        t = x[:, :]
        c = col[:, :]
        r = row[:, :]
        out[0:M, :] = pl.row_expand_sub(t, c)
        out[M : 2 * M, :] = pl.col_expand_div(t, r)
        out[2 * M : 3 * M, :] = pl.add(pl.row_expand(t, c), pl.col_expand(t, r))
        out[3 * M : 4 * M, :] = pl.mul(t, c)
    return out


@pl.jit
def concat_gather(
    a: pl.Tensor[[M, N], pl.FP32],
    b: pl.Tensor[[M, N], pl.FP32],
    idx: pl.Tensor[[M, 8], pl.INT32],
    out: pl.Out[pl.Tensor[[M, 2 * N], pl.FP32]],
    picked: pl.Out[pl.Tensor[[M, 8], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="concat_gather"):
        both = pl.concat(a[:, :], b[:, :])
        out[:, :] = both
        picked[:, :] = pl.gather(both, dim=-1, index=idx[:, :])
    return out, picked


@pl.jit
def fillpad_min(x: pl.Tensor[[1, N], pl.FP32], n: pl.Scalar[pl.INT32],
                out: pl.Out[pl.Tensor[[1, N], pl.FP32]]):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pad"):
        t = pl.set_validshape(x[:, :], 1, n)
        out[:, :] = pl.fillpad(t, pad_value=pl.PadValue.min)
    return out


@pl.jit
def transposed_matmul(
    a: pl.Tensor[[N, M], pl.FP32],
    b: pl.Tensor[[N, M], pl.FP32],
    out: pl.Out[pl.Tensor[[M, M], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="at_b"):
        out[:, :] = pl.matmul(a, b, out_dtype=pl.FP32, a_trans=True)
    return out


@pl.jit
def quant_chain(x: pl.Tensor[[1, N], pl.FP32], out: pl.Out[pl.Tensor[[1, N], pl.INT8]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="quant"):
        i32 = pl.cast(x[:, :], target_type=pl.INT32, mode="round")
        f16 = pl.cast(i32, target_type=pl.FP16, mode="round")
        out[:, :] = pl.cast(f16, target_type=pl.INT8, mode="trunc")
    return out


@pl.jit
def gather_out_of_range(
    a: pl.Tensor[[M, N], pl.FP32],
    idx: pl.Tensor[[M, 8], pl.INT32],
    picked: pl.Out[pl.Tensor[[M, 8], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_gather"):
        picked[:, :] = pl.gather(a[:, :], dim=-1, index=idx[:, :])  # @gather_oob
    return picked
