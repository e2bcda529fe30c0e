"""L0C placement of matmul results (AutoTileMatmulL0): a 256 x 256 FP32 result is 256 KiB, twice
the a2a3 L0C; whether that is legal depends on how the result is consumed."""

import pypto.language as pl

M = 256
KD = 64


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "accumulated_over_l0c": "rejected: Acc buffer usage",
    "result_to_matmul_only": "rejected: Acc buffer usage",
    "result_to_one_store": "compiles",
    "softmax_feeds_matmul": "compiles",
    "vector_reads_result": "rejected: Acc buffer usage",
    "whole_tensor_operand_over_l1": "rejected: Mat buffer usage",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "accumulated_over_l0c": (
        "not run: ValueError: Acc buffer usage (262144 bytes) exceeds platform limit "
        "(131072 bytes)"
    ),
    "result_to_matmul_only": (
        "not run: ValueError: Acc buffer usage (262144 bytes) exceeds platform limit "
        "(131072 bytes)"
    ),
    "result_to_one_store": "pass",
    "softmax_feeds_matmul": "pass",
    "vector_reads_result": (
        "not run: ValueError: Acc buffer usage (262144 bytes) exceeds platform limit "
        "(131072 bytes)"
    ),
    "whole_tensor_operand_over_l1": (
        "not run: ValueError: Mat buffer usage (557056 bytes) exceeds platform limit "
        "(524288 bytes)"
    ),
}


@pl.jit
def result_to_one_store(
    a: pl.Tensor[[M, KD], pl.BF16], b: pl.Tensor[[KD, M], pl.BF16],
    out: pl.Out[pl.Tensor[[M, M], pl.FP32]],
):  # fmt: skip
    """Legal: the compiler M/N-tiles a result whose only consumer is one GM store."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="direct_store"):
        out[:, :] = pl.matmul(a[:, :], b[:, :], out_dtype=pl.FP32)
    return out


@pl.jit
def result_to_matmul_only(
    a: pl.Tensor[[M, KD], pl.FP32], b: pl.Tensor[[KD, M], pl.FP32],
    c: pl.Tensor[[M, 32], pl.FP32], out: pl.Out[pl.Tensor[[M, 32], pl.FP32]],
):  # fmt: skip
    """Rejected: a result consumed only as a matmul operand still lives whole in L0C."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mat_scratch"):
        ab = pl.matmul(a[:, :], b[:, :], out_dtype=pl.FP32)
        out[:, :] = pl.matmul(ab, c[:, :], out_dtype=pl.FP32)
    return out


@pl.jit
def accumulated_over_l0c(
    a: pl.Tensor[[M, KD], pl.BF16], b: pl.Tensor[[KD, M], pl.BF16],
    out: pl.Out[pl.Tensor[[M, M], pl.FP32]],
):  # fmt: skip
    """Illegal: a matmul_acc accumulator stays whole in L0C."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="acc_chain"):
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.FP32)  # @acc_over
        acc = pl.matmul_acc(acc, a[:, :], b[:, :])
        out[:, :] = acc
    return out


@pl.jit
def vector_reads_result(
    a: pl.Tensor[[M, KD], pl.BF16], b: pl.Tensor[[KD, M], pl.BF16],
    out: pl.Out[pl.Tensor[[M, M], pl.FP32]], head: pl.Out[pl.Tensor[[16, M], pl.FP32]],
):  # fmt: skip
    """Illegal: a result stored and also read by a vector op stays whole in L0C."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mixed_use"):
        ab = pl.matmul(a[:, :], b[:, :], out_dtype=pl.FP32)  # @vector_over
        out[:, :] = ab
        head[:, :] = pl.exp(ab[0:16, :])
    return out, head


@pl.jit
def softmax_feeds_matmul(
    s: pl.Tensor[[16, KD], pl.FP32], v: pl.Tensor[[KD, 32], pl.BF16],
    out: pl.Out[pl.Tensor[[16, 32], pl.FP32]],
):  # fmt: skip
    """Legal: a vector-produced (softmax) tile is the LEFT matmul operand (staged to L1)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="softmax_matmul"):
        t = s[:, :]
        e = pl.row_expand_expdif(t, pl.row_max(t))
        p = pl.row_expand_div(e, pl.row_sum(e))
        out[:, :] = pl.matmul(pl.cast(p, pl.BF16, mode="rint"), v[:, :], out_dtype=pl.FP32)
    return out


@pl.jit
def whole_tensor_operand_over_l1(
    x: pl.Tensor[[16, 1024], pl.BF16], w: pl.Tensor[[1024, 256], pl.BF16],
    out: pl.Out[pl.Tensor[[16, 256], pl.FP32]],
):  # fmt: skip
    """Illegal: a GM tensor passed whole as a matmul operand is loaded to L1 like a slice;
    512 KiB of w plus 32 KiB of x overflow the 512 KiB L1."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="whole_operand"):
        out[:, :] = pl.matmul(x[:, :], w, out_dtype=pl.FP32)  # @whole_operand
    return out
