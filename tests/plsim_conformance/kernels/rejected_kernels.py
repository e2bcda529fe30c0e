"""Kernels the real pypto parser or compiler rejects; each bad line is tagged ``# @name``.

Each kernel takes (x [16, 64] FP32, out Out [16, 64] FP32) unless noted.
"""

import pypto.language as pl

R = 16
C = 64
MAT = pl.MemorySpace.Mat


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "assertion": "rejected: Unsupported statement type: Assert",
    "augmented_assignment": "rejected: Unsupported statement type: AugAssign",
    "bad_cast_target": "rejected: Unsupported constant type: <class 'str'>",
    "bad_full_value": "rejected: 'full': __init__(): incompatible function arguments",
    "bad_keyword": "rejected: unexpected keyword argument 'fast'",
    "comprehension": "rejected: Unsupported expression type: ListComp",
    "compute_in_orchestration": (
        "rejected: Misplaced tensor op 'tensor.exp' in Orchestration function"
    ),
    "conditional_expression": "rejected: Unsupported expression type: IfExp",
    "inline_keyword_call": "compiles",
    "matmul_default_dtype": "compiles",
    "matmul_k_not_16": (
        "hardware: K = 40 BF16 breaks the 16-element L0A/L0B fractal box (pto_tile.hpp)"
    ),
    "matmul_mixed_dtypes": "rejected: requires identical lhs and rhs data types",
    "missing_argument": "rejected: missing 1 required positional argument: 'rhs'",
    "over_ub": "rejected: Vec buffer usage",
    "parallel_in_core": "compiles",
    "plain_range": "rejected: For loop must use pl.range()",
    "python_builtin": "rejected: Unsupported function call: min(16, 8)",
    "row_vector_broadcast": (
        "hardware: one tile type for [M,N] and [1,N] operands (docs/isa/TADD.md form)"
    ),
    "same_dtype_cast": "rejected: same-dtype cast is not a valid operation",
    "slice_step": "rejected: Slice step is not supported in tensor subscript",
    "store_dtype_mismatch": (
        "hardware: the compiler types pl.mul(INT32 tile, 0.5) FP32 but emits tmuls on the "
        "INT32 tile, whose scalar has the tile type (pto-isa TMULS_IMPL): 0.5 becomes 0; "
        "plsim refuses the float literal (MiscompileError)"
    ),
    "unaligned_rows": "hardware: UB tile row of 24 bytes (pto_tile.hpp 32-byte row rule)",
    "int8_to_fp32_cast": "rejected: no native cast path from int8 to fp32 for arch a2a3",
    "int32_valid_rows": "rejected: valid_rows must have dtype INT64, UINT64, or INDEX",
    "tile_as_subscript_source": "rejected: Subscript-write source must also be a tensor",
    "shape_local_to_inline": "rejected: missing inferred tensor metadata for parameter 'o'",
    "dim_alias_to_inline": "compiles",
    "dim_product_local_to_inline": "rejected: missing inferred tensor metadata for parameter 't'",
    "dim_product_in_shape_to_inline": "compiles",
    "dim_call_in_created_shape": (
        "rejected: GenerateExprString not implemented for expression type: Call"
    ),
    "dim_call_in_shape_to_inline": "rejected: missing inferred tensor metadata for parameter 'o'",
    "shape_read_in_shape_to_inline": (
        "rejected: missing inferred tensor metadata for parameter 'o'"
    ),
    "top_level_dim_to_inline": "rejected: missing inferred tensor metadata for parameter 'o'",
    "top_level_block_idx": "compiles",
    "mixed_level_add": (
        "rejected: pl.add: cannot mix Tensor and Tile arguments (Tile, Tensor). All operands must "
        "be the same type level"
    ),
    "tensor_full_with_tile": "rejected: pl.add: cannot mix Tensor and Tile arguments",
    "tile_full_with_tile": "compiles",
    "rsqrt_high_precision_tile": (
        "rejected: pl.rsqrt: 'high_precision' is not supported for Tile operands"
    ),
    "module_memory_alias": "rejected: Cannot resolve expression 'MAT'",
    "local_memory_alias": (
        "rejected: target_memory for tile.load must be MemorySpace.Vec or MemorySpace.Mat, got "
        "Scalar(expr=mat)"
    ),
    "shape_scalar_to_inline": "compiles",
    "rebind_in_loop_other_shape": (
        "gap: the parser keeps a name bound inside a pl.range loop at one type; a later "
        "binding of another shape is refused ('Cannot reassign ... with a different type'), "
        "the JIT's alpha-renaming decides which rebindings count, and plsim does not model it "
        "(found by the compile matrix: indexer topk_merge at PRO)"
    ),
    "unroll_runtime_bound": "rejected: pl.unroll() requires compile-time constant integer bounds",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "assertion": "not run: UnsupportedFeatureError: Unsupported statement type: Assert",
    "augmented_assignment": (
        "not run: UnsupportedFeatureError: Unsupported statement type: AugAssign"
    ),
    "bad_cast_target": "not run: ParserTypeError: Unsupported constant type: <class 'str'>",
    "bad_full_value": (
        "not run: InvalidOperationError: pl operation 'full': __init__(): incompatible "
        "function arguments. The following argument types are supported:"
    ),
    "bad_keyword": (
        "not run: InvalidOperationError: pl operation 'exp': exp() got an unexpected "
        "keyword argument 'fast'"
    ),
    "comprehension": "not run: UnsupportedFeatureError: Unsupported expression type: ListComp",
    "compute_in_orchestration": (
        "not run: Misplaced tensor op 'tensor.exp' in Orchestration function (should be "
        "inside InCore block)"
    ),
    "conditional_expression": (
        "not run: UnsupportedFeatureError: Unsupported expression type: IfExp"
    ),
    "inline_keyword_call": "pass",
    "matmul_default_dtype": "pass",
    "matmul_k_not_16": (
        "not run: 'pto.alloc_tile' op expects result boxed tile cols to be a multiple of "
        "innerCols (16), but got 40"
    ),
    "matmul_mixed_dtypes": (
        "not run: ValueError: The operator tile.matmul requires identical lhs and rhs "
        "data types, but got bfloat16 and fp16"
    ),
    "missing_argument": (
        "not run: InvalidOperationError: pl operation 'add': add() missing 1 required "
        "positional argument: 'rhs'"
    ),
    "over_ub": (
        "not run: ValueError: Vec buffer usage (262144 bytes) exceeds platform limit "
        "(188416 bytes)"
    ),
    "parallel_in_core": "pass",
    "plain_range": (
        "not run: ParserSyntaxError: For loop must use pl.range(), pl.parallel(), "
        "pl.unroll(), pl.pipeline(), pl.while_(), pl.spmd(), or pl.split_aiv()"
    ),
    "python_builtin": "not run: UnsupportedFeatureError: Unsupported function call: min(16, 8)",
    "row_vector_broadcast": (
        "not run: no matching function for call to 'TADD_IMPL' 182 |     "
        "MAP_INSTR_IMPL(TADD, dst, src0, src1); ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~ "
        "build/pto-isa/include/pto/common/pto_instr.hpp:48:9: note: expanded"
    ),
    "same_dtype_cast": (
        "not run: InvalidOperationError: pl operation 'cast': tensor.cast: target_type "
        "fp32 equals input dtype; same-dtype cast is not a valid operation. Remove the "
        "cast or use a different target_type."
    ),
    "slice_step": (
        "not run: UnsupportedFeatureError: Slice step is not supported in tensor "
        "subscript"
    ),
    "store_dtype_mismatch": "ran: plsim refuses it (MiscompileError)",
    "unaligned_rows": (
        "not run: 'pto.alloc_tile' op expects result row-major none_box tile row byte "
        "size (cols * sizeof(dtype)) to be 32-byte aligned, but got 24 bytes"
    ),
    "int8_to_fp32_cast": (
        "not run: ValueError: LegalizeTileCast: no native cast path from int8 to fp32 for"
        " arch a2a3; pto.tcvt does not support this conversion"
    ),
    "int32_valid_rows": (
        "not run: InvalidOperationError: pl operation 'set_validshape': "
        "tile.set_validshape valid_rows must have dtype INT64, UINT64, or INDEX, but got "
        "int32"
    ),
    "tile_as_subscript_source": (
        "not run: ParserTypeError: Subscript-write source must also be a tensor, got "
        "TileType"
    ),
    "shape_local_to_inline": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'o'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "dim_alias_to_inline": "pass",
    "dim_product_local_to_inline": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'t'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "dim_product_in_shape_to_inline": (
        "not run: Cannot recover dynamic dimension 'rows__ssa_v0' for kernel wrapper "
        "codegen: it only appears inside non-invertible shape expressions"
    ),
    "shape_scalar_to_inline": "pass",
    "dim_call_in_created_shape": (
        "not run: use of value '%arg3' expects different type than prior uses: "
        "'!pto.ptr<f32>' vs 'index'"
    ),
    "dim_call_in_shape_to_inline": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'o'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "shape_read_in_shape_to_inline": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'o'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "top_level_dim_to_inline": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'o'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "top_level_block_idx": "pass",
    "mixed_level_add": (
        "not run: InvalidOperationError: pl.add: cannot mix Tensor and Tile arguments (Tile, "
        "Tensor)"
    ),
    "tensor_full_with_tile": (
        "not run: InvalidOperationError: pl.add: cannot mix Tensor and Tile arguments (Tile, "
        "Tensor)"
    ),
    "tile_full_with_tile": "pass",
    "rsqrt_high_precision_tile": (
        "not run: InvalidOperationError: pl.rsqrt: 'high_precision' is not supported for Tile "
        "operands"
    ),
    "module_memory_alias": "not run: ParserTypeError: Cannot resolve expression 'MAT'",
    "local_memory_alias": (
        "not run: InvalidOperationError: pl operation 'load': target_memory for tile.load must be "
        "MemorySpace.Vec or MemorySpace.Mat, got Scalar(expr=mat)"
    ),
    "rebind_in_loop_other_shape": (
        "not run: ParserTypeError: Cannot reassign 't' with a different type: was "
        "pl.Tensor[[16, 64], pl.FP32], got pl.Tensor[[16, 1], pl.FP32]"
    ),
    "unroll_runtime_bound": (
        "not run: ParserSyntaxError: pl.unroll() requires compile-time constant integer "
        "bounds"
    ),
}


@pl.jit
def augmented_assignment(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="aug"):
        t = x[:, :]
        t += 1.0  # @aug
        out[:, :] = t
    return out


@pl.jit
def plain_range(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    for _i in range(2):  # @plain_range
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="loop"):
            out[:, :] = x[:, :]
    return out


@pl.jit
def conditional_expression(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="ifexp"):
        t = x[:, :]
        out[:, :] = pl.exp(t) if R > 8 else t  # @ifexp
    return out


@pl.jit
def python_builtin(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="builtin"):
        n = min(R, 8)  # @builtin
        out[0:n, :] = x[0:n, :]
    return out


@pl.jit
def comprehension(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="comp"):
        offsets = [i * 4 for i in pl.range(4)]  # @comp
        out[:, :] = x[:, :]
    return offsets


@pl.jit
def assertion(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="assert_stmt"):
        assert R == 16  # @assert
        out[:, :] = x[:, :]
    return out


@pl.jit
def compute_in_orchestration(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    y = pl.exp(x)  # @orchestration
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy"):
        out[:, :] = y[:, :]
    return out


@pl.jit
def parallel_in_core(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="par"):
        for i in pl.parallel(2):  # @parallel_in_core
            out[i * 8 : i * 8 + 8, :] = x[i * 8 : i * 8 + 8, :]
    return out


@pl.jit
def slice_step(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="step"):
        out[0:8, :] = x[0:16:2, :]  # @step
    return out


# Legal (accepted with a DSLWarning): kept here because the rejection tests share its fixture.
@pl.jit
def matmul_default_dtype(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, R], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm_default"):
        a = pl.cast(x[:, :], pl.BF16)
        out[:, :] = pl.matmul(a, a, b_trans=True)  # @no_out_dtype
    return out


@pl.jit
def matmul_k_not_16(x: pl.Tensor[[R, 40], pl.BF16], out: pl.Out[pl.Tensor[[R, R], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm_k"):
        a = x[:, :]
        out[:, :] = pl.matmul(a, a, out_dtype=pl.FP32, b_trans=True)  # @k16
    return out


@pl.jit
def matmul_mixed_dtypes(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, R], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mm_mixed"):
        a = pl.cast(x[:, :], pl.BF16)
        b = pl.cast(x[:, :], pl.FP16)
        out[:, :] = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)  # @mixed
    return out


@pl.jit
def unaligned_rows(x: pl.Tensor[[R, 6], pl.FP32], out: pl.Out[pl.Tensor[[R, 6], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="unaligned"):
        out[:, :] = pl.exp(x[:, :])  # @unaligned
    return out


@pl.jit
def over_ub(x: pl.Tensor[[256, 256], pl.FP32], out: pl.Out[pl.Tensor[[256, 256], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="big"):
        out[:, :] = pl.exp(x[:, :])  # @over_ub
    return out


@pl.jit
def same_dtype_cast(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="cast"):
        out[:, :] = pl.cast(x[:, :], pl.FP32)  # @same_cast
    return out


@pl.jit
def row_vector_broadcast(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bcast"):
        t = x[:, :]
        out[:, :] = pl.add(t, t[0:1, :])  # @row_bcast
    return out


@pl.jit
def unroll_runtime_bound(
    x: pl.Tensor[[R, C], pl.FP32], n: pl.Tensor[[1], pl.INT32],
    out: pl.Out[pl.Tensor[[R, C], pl.FP32]],
):  # fmt: skip
    count = pl.read(n, [0])
    for _i in pl.unroll(count):  # @unroll_runtime
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="unroll"):
            out[:, :] = x[:, :]
    return out


@pl.jit
def missing_argument(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="args"):
        out[:, :] = pl.add(x[:, :])  # @missing_arg
    return out


@pl.jit
def bad_keyword(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="kw"):
        out[:, :] = pl.exp(x[:, :], fast=True)  # @bad_kw
    return out


@pl.jit
def bad_cast_target(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="cast_target"):
        out[:, :] = pl.cast(x[:, :], "bf16")  # @bad_target
    return out


@pl.jit
def bad_full_value(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="full"):
        out[:, :] = pl.full([R, C], dtype=pl.FP32, value="zero")  # @bad_full
    return out


@pl.jit
def store_dtype_mismatch(x: pl.Tensor[[R, C], pl.INT32], out: pl.Out[pl.Tensor[[R, C], pl.INT32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="promote"):
        out[:, :] = pl.mul(x[:, :], 0.5)  # @float_literal_store
    return out


@pl.jit
def inline_keyword_call(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="inline_kw"):
        y = helper(t=x)  # @inline_kw
        out[:, :] = y
    return out


@pl.jit.inline
def helper(t: pl.Tensor[[R, C], pl.FP32]):
    return pl.exp(t)


@pl.jit
def int8_to_fp32_cast(x: pl.Tensor[[R, C], pl.INT8], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="i8_f32"):
        out[:, :] = pl.cast(x[:, :], pl.FP32)  # @i8_f32
    return out


@pl.jit
def int32_valid_rows(
    x: pl.Tensor[[R, C], pl.FP32],
    lens: pl.Tensor[[4], pl.INT32],
    out: pl.Out[pl.Tensor[[R, C], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="valid_i32"):
        n = pl.read(lens, [0])
        t = pl.load(x, [0, 0], [R, C])
        pl.store(pl.set_validshape(t, n, C), [0, 0], out)  # @valid_i32
    return out


@pl.jit
def tile_as_subscript_source(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_src"):
        t = pl.load(x, [0, 0], [R, C])
        out[:, :] = pl.add(t, 1.0)  # @tile_src
    return out


@pl.jit.inline
def exp_into(t: pl.Tensor[[R, C], pl.FP32], o: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="exp_into"):
        o[:, :] = pl.exp(t[:, :])
    return o


@pl.jit
def shape_local_to_inline(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    rows = x.shape[0]
    tmp = pl.create_tensor([rows, C], dtype=pl.FP32)
    tmp = exp_into(x, tmp)  # @shape_local
    out = exp_into(tmp, out)
    return out


@pl.jit
def dim_alias_to_inline(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    rows = pl.tensor.dim(x, 0)
    tmp = pl.create_tensor([rows, C], dtype=pl.FP32)
    tmp = exp_into(x, tmp)
    out = exp_into(tmp, out)
    return out


@pl.jit
def dim_product_local_to_inline(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    rows = pl.tensor.dim(x, 0) * pl.tensor.dim(x, 1) // C  # an expression, not an alias
    flat = pl.reshape(x, [rows, C])
    out = exp_into(flat, out)  # @dim_product
    return out


@pl.jit
def dim_product_in_shape_to_inline(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    rows = pl.tensor.dim(x, 0)
    cols = pl.tensor.dim(x, 1)
    flat = pl.reshape(x, [rows * cols // C, C])  # arithmetic of aliases inside the shape
    out = exp_into(flat, out)
    return out


@pl.jit
def dim_call_in_created_shape(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    tmp = pl.create_tensor([pl.tensor.dim(x, 0), C], dtype=pl.FP32)  # @dim_call
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dim_call"):
        tmp[:, :] = pl.exp(x[:, :])
        out[:, :] = pl.exp(x[:, :])
    return out


@pl.jit
def dim_call_in_shape_to_inline(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    rows = pl.tensor.dim(x, 0)
    tmp = pl.create_tensor([rows, pl.tensor.dim(x, 1)], dtype=pl.FP32)  # @dim_call_inline
    tmp = exp_into(x, tmp)
    out = exp_into(tmp, out)
    return out


@pl.jit.inline
def exp_rows(
    t: pl.Tensor[[R, C], pl.FP32], o: pl.Out[pl.Tensor[[R, C], pl.FP32]], n: pl.Scalar[pl.INT32]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="exp_rows"):
        o[:, :] = pl.exp(pl.slice(t, [R, C], [0, 0], valid_shape=[n, C]))
    return o


@pl.jit
def shape_scalar_to_inline(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    rows = x.shape[0]
    valid = pl.min(rows, R)  # a scalar from a shape local: nothing for the JIT to infer
    out = exp_rows(x, out, valid)
    return out


@pl.jit
def rebind_in_loop_other_shape(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="wide"):
        for _i in pl.range(2):
            t = pl.exp(x[0:R, 0:C])
            out[0:R, 0:C] = t
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="narrow"):
        t = pl.row_sum(x[0:R, 0:C])  # @rebind_shape
        out[0:R, 0:1] = t
    return out


@pl.jit
def shape_read_in_shape_to_inline(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    rows = pl.tensor.dim(x, 0)
    tmp = pl.create_tensor([rows, x.shape[1]], dtype=pl.FP32)
    tmp = exp_into(x, tmp)  # @shape_read_inline
    out = exp_into(tmp, out)
    return out


@pl.jit
def top_level_dim_to_inline(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    rows = pl.dim(x, 0)  # the top-level spelling: not an alias to the JIT
    tmp = pl.create_tensor([rows, C], dtype=pl.FP32)
    tmp = exp_into(x, tmp)  # @top_level_dim
    out = exp_into(tmp, out)
    return out


@pl.jit
def top_level_block_idx(
    x: pl.Tensor[[4 * R, C], pl.FP32], out: pl.Out[pl.Tensor[[4 * R, C], pl.FP32]]
):
    with pl.spmd(4, name_hint="top_level_block_idx"):
        r0 = pl.get_block_idx() * R
        out[r0 : r0 + R, :] = pl.add(x[r0 : r0 + R, :], 1.0)
    return out



@pl.jit
def mixed_level_add(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mixed_level_add"):
        t = pl.load(x, [0, 0], [R, C])
        total = pl.add(t, x[:, :])  # @mixed_add
        pl.store(total, [0, 0], out)
    return out


@pl.jit
def tensor_full_with_tile(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tensor_full_with_tile"):
        t = pl.load(x, [0, 0], [R, C])
        total = pl.add(t, pl.full([R, C], dtype=pl.FP32, value=1.0))  # @tensor_full
        pl.store(total, [0, 0], out)
    return out


@pl.jit
def tile_full_with_tile(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    """pl.tile.full makes a tile, which a loaded tile may meet."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_full_with_tile"):
        t = pl.load(x, [0, 0], [R, C])
        total = pl.add(t, pl.tile.full([R, C], dtype=pl.FP32, value=1.0))
        pl.store(total, [0, 0], out)
    return out


@pl.jit
def rsqrt_high_precision_tile(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="rsqrt_high_precision_tile"):
        t = pl.load(x, [0, 0], [R, C])
        pl.store(pl.rsqrt(t, high_precision=True), [0, 0], out)  # @rsqrt_hp
    return out


@pl.jit
def module_memory_alias(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="module_memory_alias"):
        t = pl.load(x, [0, 0], [R, C], target_memory=MAT)  # @module_mat
        pl.store(pl.move(t, target_memory=pl.MemorySpace.Vec), [0, 0], out)
    return out


@pl.jit
def local_memory_alias(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="local_memory_alias"):
        mat = pl.MemorySpace.Mat
        t = pl.load(x, [0, 0], [R, C], target_memory=mat)  # @local_mat
        pl.store(pl.move(t, target_memory=pl.MemorySpace.Vec), [0, 0], out)
    return out
