# ruff: noqa  (intentionally rejected constructs: this file is a test fixture)
"""Fixture kernels that the real pypto parser/compiler rejects (one construct each)."""

import pypto.language as pl

R = 16
C = 64


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "assert_stmt": "rejected: Unsupported statement type: Assert",
    "aug_assign": "rejected: Unsupported statement type: AugAssign",
    "break_in_parallel": "rejected: 'break' not supported in parallel loops",
    "builtin_min": "rejected: Unsupported function call: min(16, 64)",
    "calls_python_function": "rejected: Unsupported function call: python_helper(3)",
    "chained_compare": "rejected: Only simple comparisons supported",
    "comprehension": "rejected: Unsupported expression type: ListComp",
    "compute_in_orchestration": (
        "rejected: Misplaced tensor op 'tensor.exp' in Orchestration function"
    ),
    "cond_expr": "rejected: Unsupported expression type: IfExp",
    "inline_kwargs": "compiles",
    "lambda_use": "rejected: Unsupported expression type: Lambda",
    "matmul_k_not_16": (
        "hardware: K = 40 BF16 breaks the 16-element L0A/L0B fractal box (pto_tile.hpp)"
    ),
    "matmul_wrong_out": "compiles",
    "mixed_dtype_add": (
        "hardware: TADD takes one tile type for FP32 and BF16 operands (docs/isa/TADD.md)"
    ),
    "mixed_matmul": "rejected: requires identical lhs and rhs data types",
    "nested_def": "rejected: Unsupported statement type: FunctionDef",
    "parallel_in_core": "compiles",
    "plain_range": "rejected: For loop must use pl.range()",
    "power_of_tile": "rejected: Unsupported binary operator: Pow",
    "power_op": "hardware: the kernel runs no task; the runtime's scheduler never ends such a run",
    "row_broadcast": (
        "hardware: TMUL takes one tile type for [16,64] and [1,64] operands (docs/isa/TADD.md form)"
    ),
    "row_broadcast_explicit": "compiles",
    "same_dtype_cast": "rejected: same-dtype cast is not a valid operation",
    "try_block": "rejected: Unsupported statement type: Try",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "assert_stmt": "not run: UnsupportedFeatureError: Unsupported statement type: Assert",
    "aug_assign": "not run: UnsupportedFeatureError: Unsupported statement type: AugAssign",
    "break_in_parallel": "not run: InvalidOperationError: 'break' not supported in parallel loops",
    "builtin_min": "not run: UnsupportedFeatureError: Unsupported function call: min(16, 64)",
    "calls_python_function": (
        "not run: UnsupportedFeatureError: Unsupported function call: python_helper(3)"
    ),
    "chained_compare": "not run: ParserSyntaxError: Only simple comparisons supported",
    "comprehension": "not run: UnsupportedFeatureError: Unsupported expression type: ListComp",
    "compute_in_orchestration": (
        "not run: Misplaced tensor op 'tensor.exp' in Orchestration function (should be "
        "inside InCore block)"
    ),
    "cond_expr": "not run: UnsupportedFeatureError: Unsupported expression type: IfExp",
    "inline_kwargs": "pass",
    "lambda_use": "not run: UnsupportedFeatureError: Unsupported expression type: Lambda",
    "matmul_k_not_16": (
        "not run: 'pto.alloc_tile' op expects result boxed tile cols to be a multiple of "
        "innerCols (16), but got 40"
    ),
    "matmul_wrong_out": "pass",
    "mixed_dtype_add": "not run: 'pto.tadd' op expects src0 and src1 to have the same element type",
    "mixed_matmul": (
        "not run: ValueError: The operator tile.matmul requires identical lhs and rhs "
        "data types, but got bfloat16 and fp16"
    ),
    "nested_def": "not run: UnsupportedFeatureError: Unsupported statement type: FunctionDef",
    "parallel_in_core": "pass",
    "plain_range": (
        "not run: ParserSyntaxError: For loop must use pl.range(), pl.parallel(), "
        "pl.unroll(), pl.pipeline(), pl.while_(), pl.spmd(), or pl.split_aiv()"
    ),
    "power_of_tile": "not run: UnsupportedFeatureError: Unsupported binary operator: Pow",
    # power_op submits no task: simpler's scheduler never ends such a run (docs/dsl.md §14)
    "power_op": "ran: plsim refuses it (HardwareError); a2a3sim hangs",
    "row_broadcast": "ran: plsim refuses it (HardwareError)",
    "row_broadcast_explicit": "pass",
    "same_dtype_cast": (
        "not run: InvalidOperationError: pl operation 'cast': tensor.cast: target_type "
        "fp32 equals input dtype; same-dtype cast is not a valid operation. Remove the "
        "cast or use a different target_type."
    ),
    "try_block": "not run: UnsupportedFeatureError: Unsupported statement type: Try",
}


@pl.jit.inline
def helper(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="helper"):
        out[:, :] = pl.exp(x[:, :])
    return out


def python_helper(v):
    return v


@pl.jit
def aug_assign(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    n = 0
    n += 1  # @aug
    return out


@pl.jit
def plain_range(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    for i in range(2):  # @range
        out = helper(x, out)
    return out


@pl.jit
def cond_expr(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    n = 1 if R > 8 else 2  # @ifexp
    return out


@pl.jit
def builtin_min(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    n = min(R, C)  # @builtin
    return out


@pl.jit
def comprehension(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    sizes = [i for i in pl.range(3)]  # @comp
    return out


@pl.jit
def lambda_use(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    f = lambda v: v  # noqa: E731 @lambda
    return out


@pl.jit
def nested_def(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    def inner(v):  # @nested
        return v

    return out


@pl.jit
def try_block(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    try:  # @try
        out = helper(x, out)
    finally:
        pass
    return out


@pl.jit
def assert_stmt(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    assert R == 16  # @assert
    return out


@pl.jit
def power_op(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    n = R**2  # @pow
    return out


@pl.jit
def power_of_tile(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pow_tile"):
        out[:, :] = x[:, :] ** 2  # @pow_tile
    return out


@pl.jit
def chained_compare(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    if 0 < R < 32:  # @chain
        out = helper(x, out)
    return out


@pl.jit
def inline_kwargs(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    out = helper(x, out=out)  # @kwargs
    return out


@pl.jit
def break_in_parallel(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    for i in pl.parallel(2):
        break  # @break
    return out


@pl.jit
def calls_python_function(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    n = python_helper(3)  # @pycall
    return out


# --- run-time strictness ---------------------------------------------------------------------
@pl.jit
def compute_in_orchestration(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    y = pl.exp(x)  # @orch
    return out


@pl.jit
def parallel_in_core(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_parallel"):
        for i in pl.parallel(2):  # @par_core
            out[i * 8 : i * 8 + 8, :] = x[i * 8 : i * 8 + 8, :]
    return out


@pl.jit
def mixed_dtype_add(
    x: pl.Tensor[[R, C], pl.FP32],
    y: pl.Tensor[[R, C], pl.BF16],
    out: pl.Out[pl.Tensor[[R, C], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mixed"):
        out[:, :] = pl.add(x[:, :], y[:, :])  # @mixed
    return out


@pl.jit
def mixed_matmul(x: pl.Tensor[[R, 32], pl.BF16], w: pl.Tensor[[32, 32], pl.FP16],
                 out: pl.Out[pl.Tensor[[R, 32], pl.FP32]]):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mixed_mm"):
        out[:, :] = pl.matmul(x, w, out_dtype=pl.FP32)  # @mixed_mm
    return out


@pl.jit
def matmul_wrong_out(x: pl.Tensor[[R, 32], pl.BF16], w: pl.Tensor[[32, 32], pl.BF16],
                     out: pl.Out[pl.Tensor[[R, 32], pl.BF16]]):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_out"):
        out[:, :] = pl.matmul(x, w, out_dtype=pl.BF16)  # @mm_out
    return out


@pl.jit
def matmul_k_not_16(x: pl.Tensor[[R, 40], pl.BF16], w: pl.Tensor[[40, 32], pl.BF16],
                    out: pl.Out[pl.Tensor[[R, 32], pl.FP32]]):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="k40"):
        out[:, :] = pl.matmul(x, w, out_dtype=pl.FP32)  # @k16
    return out


@pl.jit
def same_dtype_cast(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="recast"):
        out[:, :] = pl.cast(x[:, :], target_type=pl.FP32)  # @samecast
    return out


@pl.jit
def row_broadcast(
    x: pl.Tensor[[R, C], pl.FP32],
    r: pl.Tensor[[1, C], pl.FP32],
    out: pl.Out[pl.Tensor[[R, C], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_bcast"):
        out[:, :] = pl.mul(x[:, :], r[:, :])  # @rowbcast
    return out


@pl.jit
def row_broadcast_explicit(
    x: pl.Tensor[[R, C], pl.FP32],
    r: pl.Tensor[[1, C], pl.FP32],
    out: pl.Out[pl.Tensor[[R, C], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="col_expand"):
        out[:, :] = pl.col_expand_mul(x[:, :], r[:, :])
    return out
