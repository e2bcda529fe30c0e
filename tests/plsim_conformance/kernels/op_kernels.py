"""Conformance kernels: casts, literal typing, creation ops, reductions, expands, loops."""

import pypto.language as pl

R = 16
C = 64


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "creation_ops": (
        "gap: the compiler's torch argument path has no uint32 tensors "
        "(golden/compile_worker.py), so the UINT32 parameter of this kernel cannot be "
        "compiled here"
    ),
    "literal_typing": "compiles",
    "loops": (
        "hardware: pl.while_ in orchestration: pypto's orchestration codegen emits no while "
        "loop, the C++ uses undeclared results (plsim refuses it)"
    ),
    "namespaced_spellings": (
        "rejected: The operator tile.gather_mask requires first argument to be a TileType, but "
        "got TensorType"
    ),
    "tensor_spellings": "compiles",
    "tensor_mask_scatter": (
        "hardware: pypto builds it; this chain's ptoas does not parse the pto.tscatter mask form "
        "(\"expected ')'\")"
    ),
    "padding_garbage_escapes": "runtime: read of undefined data",
    "padding_garbage_is_fine": "compiles",
    "quant_chain": (
        "gap: the compiler's layout pass rejects pl.div of an [N,1] pl.full by "
        "pl.maximum(pl.row_max(..), s) ([N,1] vs [1,N]); plsim does not model tile "
        "layouts"
    ),
    "range_carry": "compiles",
    "reductions_and_expands": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "creation_ops": "not run: uint32 arguments (pypto's torch argument path has none)",
    "literal_typing": "pass",
    # a2a3sim: the orchestration C++ does not compile, "'total_out' was not declared in this
    # scope" (pypto's orchestration codegen has no WhileStmt case; docs/dsl.md §14)
    "loops": "ran: plsim refuses it (HardwareError); a2a3sim's run fails",
    "namespaced_spellings": (
        "not run: InvalidOperationError: pl.tile operation 'gather_mask': The operator "
        "tile.gather_mask requires first argument to be a TileType, but got TensorType"
    ),
    "tensor_spellings": "pass",
    "tensor_mask_scatter": "not run: expected ')'",
    "padding_garbage_escapes": "ran: plsim refuses it (UninitializedReadError)",
    "padding_garbage_is_fine": "pass",
    "quant_chain": (
        "not run: ValueError: The operator tile.div requires src0, src1, and dst to have "
        "the same physical shape, but dimension 0 differs; got src0 shape [16, 1] and "
        "src1 shape [1, 16]"
    ),
    "range_carry": "pass",
    "reductions_and_expands": "pass",
}


@pl.jit
def quant_chain(
    x: pl.Tensor[[R, C], pl.FP32],
    codes: pl.Out[pl.Tensor[[R, C], pl.INT8]],
    dequant: pl.Out[pl.Tensor[[R, 8], pl.FP32]],
):
    """Per-row INT8 quant: amax floor, 127/amax, FP32 -> INT32 rint -> FP16 round -> INT8."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="quant"):
        t = x[:, :]
        amax = pl.maximum(pl.row_max(pl.abs(t)), 1e-4)
        scale = pl.div(pl.full([R, 1], dtype=pl.FP32, value=127.0), amax)
        q32 = pl.cast(pl.row_expand_mul(t, scale), target_type=pl.INT32, mode="rint")
        q16 = pl.cast(q32, target_type=pl.FP16, mode="round")
        codes[:, :] = pl.cast(q16, target_type=pl.INT8, mode="trunc")
        inv = pl.recip(scale)
        dequant[:, :] = pl.row_expand(pl.full([R, 8], dtype=pl.FP32, value=0.0), inv)
    return codes, dequant


@pl.jit
def literal_typing(
    a: pl.Tensor[[8, 8], pl.INT32],
    plus: pl.Out[pl.Tensor[[8, 8], pl.INT32]],
    scaled: pl.Out[pl.Tensor[[8, 8], pl.FP32]],
):
    """An int literal keeps an INT32 tile INT32; a float literal needs a float tile (§6.2): an
    INT32 tile times 2.5 is refused (rejected_kernels.store_dtype_mismatch; this kernel wrote
    pl.mul(t, 2.5) until a2a3sim computed 2.0 where plsim said 2.5)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="literals"):
        t = a[:, :]
        plus[:, :] = pl.mul(pl.add(t, 5), 3)
        scaled[:, :] = pl.mul(pl.cast(t, pl.FP32), 2.5)
    return plus, scaled


@pl.jit
def creation_ops(
    x: pl.Tensor[[8, 32], pl.FP32],
    ar: pl.Out[pl.Tensor[[1, 64], pl.UINT32]],
    cat: pl.Out[pl.Tensor[[8, 64], pl.FP32]],
    filled: pl.Out[pl.Tensor[[8, 32], pl.FP32]],
):
    """pl.arange UINT32, pl.concat (b after a's valid columns) and pl.full (pl.expands has no
    code generation in the compiler: operand_rule_kernels.expands_tile)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="create"):
        ar[:, :] = pl.arange(3, [1, 64], dtype=pl.UINT32)
        t = x[:, :]
        cat[:, :] = pl.concat(t, pl.neg(t))
        filled[:, :] = pl.add(
            pl.full([8, 32], dtype=pl.FP32, value=1.5), pl.full([8, 32], dtype=pl.FP32, value=0.25)
        )
    return ar, cat, filled


@pl.jit
def reductions_and_expands(
    x: pl.Tensor[[R, C], pl.FP32],
    col: pl.Tensor[[1, C], pl.FP32],
    sums: pl.Out[pl.Tensor[[2, C], pl.FP32]],
    expanded: pl.Out[pl.Tensor[[8, R, C], pl.FP32]],
):
    """col_sum/col_max and every row_expand_* / col_expand_* op."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reduce"):
        t = x[:, :]
        sums[0:1, :] = pl.col_sum(t)
        sums[1:2, :] = pl.col_max(t)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="expand"):
        t = x[:, :]
        v = pl.row_min(t)
        r = col[:, :]
        expanded[0, :, :] = pl.row_expand_sub(t, v)
        expanded[1, :, :] = pl.row_expand_div(t, pl.row_sum(pl.abs(t)))
        expanded[2, :, :] = pl.row_expand_max(t, v)
        expanded[3, :, :] = pl.row_expand_expdif(t, pl.row_max(t))
        expanded[4, :, :] = pl.col_expand_add(t, r)
        expanded[5, :, :] = pl.col_expand_min(t, r)
        expanded[6, :, :] = pl.col_expand_div(t, r)
        expanded[7, :, :] = pl.rsqrt(pl.col_expand_expdif(t, r))
    return sums, expanded


@pl.jit
def loops(
    x: pl.Tensor[[4, 8, 32], pl.FP32],
    out: pl.Out[pl.Tensor[[4, 8, 32], pl.FP32]],
    counts: pl.Out[pl.Tensor[[4], pl.INT32]],
):
    """pl.parallel over batch, pl.unroll inside the scope, pl.while_ + pl.cond counting."""
    for b in pl.parallel(4):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="unrolled"):
            acc = pl.full([8, 32], dtype=pl.FP32, value=0.0)
            for j in pl.unroll(3):
                acc = pl.add(acc, pl.mul(x[b, :, :], pl.cast(pl.cast(j + 1, pl.INT32), pl.FP32)))
            out[b, :, :] = acc
        n = b * 2 + 1
        for i, total in pl.while_(init_values=(0, 0)):  # @while_orch
            pl.cond(i < n)
            i_out, total_out = pl.yield_(i + 1, total + i)
        pl.write(counts, [b], pl.cast(total_out + i_out, pl.INT32))
    return out, counts


@pl.jit
def range_carry(x: pl.Tensor[[8, 32], pl.FP32], out: pl.Out[pl.Tensor[[8, 32], pl.FP32]]):
    """pl.range with init_values and pl.yield_: the post-loop name holds the last yield."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="carry"):
        start = x[:, :]
        for _i, (acc,) in pl.range(4, init_values=(start,)):
            acc_out = pl.yield_(pl.add(acc, acc))
        out[:, :] = acc_out
    return out


@pl.jit
def padding_garbage_is_fine(x: pl.Tensor[[3, C], pl.FP32], out: pl.Out[pl.Tensor[[3, C], pl.FP32]]):
    """Rows 3..15 of the tile are never written (undefined); they are computed on and dropped,
    as pypto-lib kernels do with their padding rows. Only the 3 valid rows reach the output."""
    scratch = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pad_rows"):
        scratch[0:3, :] = x[:, :]
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="compute"):
        t = scratch[:, :]
        y = pl.row_expand_mul(pl.exp(t), pl.recip(pl.row_sum(pl.exp(t))))
        out[0:3, :] = y[0:3, :]
    return out


@pl.jit
def padding_garbage_escapes(x: pl.Tensor[[3, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    """The same, but all 16 rows are stored: undefined data reaches an output."""
    scratch = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pad_rows"):
        scratch[0:3, :] = x[:, :]
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="compute"):
        t = scratch[:, :]  # @garbage_load
        out[:, :] = pl.exp(t)  # @garbage_store
    return out


@pl.jit
def namespaced_spellings(
    x: pl.Tensor[[8, 64], pl.FP32],
    dst: pl.Tensor[[8, 64], pl.FP32],
    evens: pl.Out[pl.Tensor[[8, 32], pl.FP32]],
    merged: pl.Out[pl.Tensor[[8, 64], pl.FP32]],
):
    """pl.tensor.* / pl.tile.* spellings and the mask-form scatter (inverse of the gather)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="namespaces"):
        t = x[:, :]
        e = pl.tensor.gather(t, mask_pattern=pl.tile.MaskPattern.P0101)
        o = pl.tile.gather_mask(t, pl.tile.MaskPattern.P1010)  # @tile_on_tensor
        evens[:, :] = pl.tensor.add(e, pl.tile.mul(o, 0.0))
        merged[:, :] = pl.tensor.scatter(o, mask_pattern=pl.tile.MaskPattern.P0101, dst=dst[:, :])
    return evens, merged


@pl.jit
def tensor_spellings(
    x: pl.Tensor[[8, 64], pl.FP32], evens: pl.Out[pl.Tensor[[8, 32], pl.FP32]]
):
    """pl.tensor.* spellings of the mask gather at the tensor level throughout."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tensor_spellings"):
        t = x[:, :]
        e = pl.tensor.gather(t, mask_pattern=pl.tile.MaskPattern.P0101)
        o = pl.tensor.gather(t, mask_pattern=pl.tile.MaskPattern.P1010)
        evens[:, :] = pl.tensor.add(e, pl.tensor.mul(o, 0.0))
    return evens


@pl.jit
def tensor_mask_scatter(
    x: pl.Tensor[[8, 64], pl.FP32],
    dst: pl.Tensor[[8, 64], pl.FP32],
    merged: pl.Out[pl.Tensor[[8, 64], pl.FP32]],
):
    """The mask-form scatter (the inverse of the mask gather), which ptoas does not parse."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tensor_mask_scatter"):
        o = pl.tensor.gather(x[:, :], mask_pattern=pl.tile.MaskPattern.P1010)
        merged[:, :] = pl.tensor.scatter(  # @mask_scatter
            o, mask_pattern=pl.tile.MaskPattern.P0101, dst=dst[:, :]
        )
    return merged
