"""Fixture kernels for plsim's semantics: valid regions, views, scalars, spmd, sort, matmul."""

import pypto.language as pl

NEG = -7
C = 64


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "accounting": "compiles",
    "column_to_row": "compiles",
    "int8_acc": "compiles",
    "parallel_blocks": "compiles",
    "prefix_assemble": "compiles",
    "reshape_views": "compiles",
    "runtime_if": "compiles",
    "scalar_division": "compiles",
    "spmd_loop": "compiles",
    "spmd_with_form": "compiles",
    "tail_store": "compiles",
    "topk_indices": "compiles",
    "uses_unwritten_tail": "runtime: read of undefined data",
    "valid_row_sum": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "accounting": "pass",
    "column_to_row": "pass",
    "int8_acc": "pass",
    "parallel_blocks": "pass",
    "prefix_assemble": "not run: 'pto.partition_view' op size at dim 1 must be positive, got 0",
    "reshape_views": "pass",
    "runtime_if": "pass",
    "scalar_division": "pass",
    "spmd_loop": "pass",
    "spmd_with_form": "pass",
    "tail_store": "pass",
    "topk_indices": "pass",
    "uses_unwritten_tail": "ran: plsim refuses it (UninitializedReadError)",
    "valid_row_sum": "pass",
}


@pl.jit
def tail_store(x: pl.Tensor[[8, C], pl.FP32], out: pl.InOut[pl.Tensor[[16, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tail"):
        t = pl.slice(x, [16, C], [0, 0], valid_shape=[8, C])
        out[0:16, :] = pl.mul(t, 2.0)
    return out


@pl.jit
def prefix_assemble(
    x: pl.Tensor[[1, C], pl.INT32], k: pl.Scalar[pl.INT32], out: pl.Out[pl.Tensor[[1, C], pl.INT32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="prefix"):
        out[0:1, :] = pl.full([1, C], dtype=pl.INT32, value=-1)
        t = pl.set_validshape(x[0:1, :], 1, k)
        out = pl.assemble(out, pl.add(t, 100), [0, 0])
    return out


@pl.jit
def reshape_views(x: pl.Tensor[[4, C], pl.FP32], out: pl.Out[pl.Tensor[[4, C], pl.FP32]]):
    flat = pl.reshape(out, [8, C // 2])
    for r in pl.range(8):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="halves"):
            src = pl.reshape(x, [8, C // 2])
            flat[r : r + 1, :] = pl.add(src[r : r + 1, :], 1.0)
    return out


@pl.jit
def column_to_row(x: pl.Tensor[[16, C], pl.FP32], out: pl.Out[pl.Tensor[[1, 16], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_max_row"):
        m = pl.row_max(x[:, :])
        out[:, :] = pl.reshape(m, [1, 16])
    return out


@pl.jit
def scalar_division(vals: pl.Tensor[[4], pl.INT32], out: pl.Out[pl.Tensor[[10], pl.INT32]]):
    # inside a pl.at scope: a run that submits no task never ends (check_submits_a_task)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scalar_div"):
        for i in pl.range(4):
            v = pl.read(vals, [i])
            pl.write(out, [i], pl.cast(v // 4, pl.INT32))
            pl.write(out, [4 + i], pl.cast(v % 4, pl.INT32))
        pl.write(out, [8], pl.cast(NEG // 2, pl.INT32))
        pl.write(out, [9], pl.cast(NEG % 2, pl.INT32))
    return out


@pl.jit
def runtime_if(vals: pl.Tensor[[4], pl.INT32], out: pl.Out[pl.Tensor[[4, 8], pl.FP32]]):
    for i in pl.range(4):
        v = pl.read(vals, [i])
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="branch"):
            if v > 0:
                out[i : i + 1, :] = pl.full([1, 8], dtype=pl.FP32, value=1.0)
            else:
                out[i : i + 1, :] = pl.full([1, 8], dtype=pl.FP32, value=-1.0)
    return out


@pl.jit
def spmd_with_form(x: pl.Tensor[[32, C], pl.FP32], out: pl.Out[pl.Tensor[[32, C], pl.FP32]]):
    with pl.spmd(4, name_hint="blocks") as _tid:
        b = pl.tile.get_block_idx()
        out[b * 8 : b * 8 + 8, :] = pl.add(
            x[b * 8 : b * 8 + 8, :], pl.cast(pl.cast(b, pl.INT32), pl.FP32)
        )
    return out


@pl.jit
def spmd_loop(x: pl.Tensor[[32, C], pl.FP32], out: pl.Out[pl.Tensor[[32, C], pl.FP32]]):
    for b in pl.spmd(4, name_hint="blocks"):
        out[b * 8 : b * 8 + 8, :] = pl.mul(x[b * 8 : b * 8 + 8, :], 3.0)
    return out


@pl.jit
def topk_indices(scores: pl.Tensor[[1, 512], pl.FP32], out: pl.Out[pl.Tensor[[1, 512], pl.INT32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="topk"):
        idx = pl.arange(0, [1, 512], dtype=pl.UINT32)
        pairs = pl.sort32(scores[:, :], idx)
        pairs = pl.mrgsort(pairs, block_len=64)
        pairs = pl.mrgsort(pairs, block_len=256)
        out[:, :] = pl.gather(pairs, mask_pattern=pl.tile.MaskPattern.P1010, output_dtype=pl.INT32)
    return out


@pl.jit
def int8_acc(
    a: pl.Tensor[[16, 32], pl.INT8],
    b: pl.Tensor[[16, 32], pl.INT8],
    out: pl.Out[pl.Tensor[[16, 16], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int8_mm"):
        acc = pl.create_tensor([16, 16], dtype=pl.INT32)
        for k in pl.range(2):
            if k == 0:
                acc = pl.matmul(a, b, out_dtype=pl.INT32, b_trans=True)
            else:
                acc = pl.matmul_acc(acc, a, b, b_trans=True)
        out[:, :] = acc
    return out


@pl.jit
def valid_row_sum(x: pl.Tensor[[16, C], pl.FP32], out: pl.Out[pl.Tensor[[16, 1], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="partial_sum"):
        t = pl.slice(x, [16, C], [0, 0], valid_shape=[16, 40])
        out[:, :] = pl.row_sum(t)
    return out


@pl.jit
def uses_unwritten_tail(x: pl.Tensor[[8, C], pl.FP32], out: pl.Out[pl.Tensor[[16, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="grow"):
        t = pl.slice(x, [16, C], [0, 0], valid_shape=[8, C])
        grown = pl.set_validshape(t, 16, C)
        out[:, :] = pl.exp(grown)  # @grown
    return out


@pl.jit
def parallel_blocks(x: pl.Tensor[[32, C], pl.FP32], out: pl.Out[pl.Tensor[[32, C], pl.FP32]]):
    for i in pl.parallel(4):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="par"):
            out[i * 8 : i * 8 + 8, :] = pl.sub(x[i * 8 : i * 8 + 8, :], 1.0)
    return out


@pl.jit
def accounting(
    a: pl.Tensor[[32, 64], pl.BF16],
    b: pl.Tensor[[64, 128], pl.BF16],
    bias: pl.Tensor[[32, 128], pl.FP32],
    out: pl.Out[pl.Tensor[[32, 128], pl.FP32]],
):
    for i in pl.parallel(2):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm"):
            acc = pl.matmul(a[i * 16 : i * 16 + 16, :], b, out_dtype=pl.FP32)
            out[i * 16 : i * 16 + 16, :] = pl.add(acc, bias[i * 16 : i * 16 + 16, :])
    return out
