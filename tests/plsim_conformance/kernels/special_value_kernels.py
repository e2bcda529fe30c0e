"""Elementwise ops, reductions and casts on special values (sim_agreement's ``special`` inputs:
NaN, infinities, signed zeros, subnormals, rounding ties, range edges), compared with a2a3sim
bit for bit. Each kernel loads its inputs as tiles and stores one output per op or mode.
"""

import pypto.language as pl

N = 32
WIDE = 200
LOWEST = -3.0e38

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "fp32_binary": "compiles",
    "fp32_unary": "compiles",
    "fp32_scalar": "compiles",
    "fp32_reductions": "compiles",
    "fp32_wide_reductions": "compiles",
    "fp32_comparisons": "compiles",
    "fp32_sorted_rows": "compiles",
    "fp32_sorted_clean_rows": "compiles",
    "fp32_more_ops": "compiles",
    "int16_ops": "compiles",
    "int32_reductions": "compiles",
    "int32_col_sum": "compiles",
    "fp16_special": "compiles",
    "fp16_logs": "compiles",
    "fp16_binary": "compiles",
    "bf16_binary": "hardware: ptoas has no BF16 tadd / tmul / tmax for A2/A3",
    "int32_binary": "compiles",
    "fp32_to_int32": "compiles",
    "fp32_to_fp16": "compiles",
    "fp32_to_bf16": "compiles",
    "fp32_to_int16": "compiles",
    "fp16_to_int8": "compiles",
    "fp16_to_uint8": "compiles",
    "fp16_to_int16": "compiles",
    "fp16_to_int32": "compiles",
    "bf16_to_int32": "compiles",
    "int32_to_narrower": "compiles",
    "widening": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py);
#: the casts' differences are a2a3sim's CPU backend departing from pto-isa's a2a3 one.
A2A3SIM = {
    "fp32_binary": "pass",
    "fp32_unary": "pass",
    "fp32_scalar": "pass",
    "fp32_reductions": "pass",
    "fp32_wide_reductions": "pass",
    "fp32_comparisons": "pass",
    "fp32_sorted_rows": (
        "fail: the rows holding a NaN differ: a2a3sim's CPU TSort32 sorts with std::stable_sort "
        "and a comparator that takes NaN as equal to everything, plsim puts NaN last and warns"
    ),
    "fp32_sorted_clean_rows": "pass",
    "fp32_more_ops": "pass",
    "int16_ops": "pass",
    "int32_reductions": "pass",
    "int32_col_sum": (
        "not run: static assertion failed due to requirement '(std::is_same_v<int, _Float16>"
    ),
    "fp16_special": "pass",
    "fp16_logs": "pass",
    "fp16_binary": "pass",
    "bf16_binary": ("not run: 'pto.tadd' op expects A2/A3 tadd element type to be i32/i16/f16/f32"),
    "int32_binary": "pass",
    "fp32_to_int32": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "fp32_to_fp16": (
        "fail: the modes other than none / rint differ: a2a3sim's CPU TCVT ignores the mode of "
        "a float -> float or int -> float conversion (nearest even), plsim applies it as "
        "pto-isa's a2a3 TCVT does (vconv_f322f16f and the like)"
    ),
    "fp32_to_bf16": (
        "fail: the modes other than none / rint differ: a2a3sim's CPU TCVT ignores the mode of "
        "a float -> float or int -> float conversion (nearest even), plsim applies it as "
        "pto-isa's a2a3 TCVT does (vconv_f322f16f and the like)"
    ),
    "fp32_to_int16": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "fp16_to_int8": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "fp16_to_uint8": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "fp16_to_int16": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "fp16_to_int32": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "bf16_to_int32": (
        "fail: NaN, infinite and out-of-range values differ: a2a3sim's CPU TCVT converts them "
        "with saturation off through C++'s undefined float -> int conversion (INT32_MIN; 0 in "
        "the narrower types), plsim as pto-isa's a2a3 TCVT (NaN -> 0, saturated, the wrapping "
        "pairs' low bits)"
    ),
    "int32_to_narrower": (
        "fail: the modes other than none / rint differ: a2a3sim's CPU TCVT ignores the mode of "
        "a float -> float or int -> float conversion (nearest even), plsim applies it as "
        "pto-isa's a2a3 TCVT does (vconv_f322f16f and the like)"
    ),
    "widening": "pass",
}

#: sim_agreement fills this file's float and integer inputs with special values.
INPUTS = "special"


@pl.jit
def fp32_binary(
    a: pl.Tensor[[N, N], pl.FP32],
    b: pl.Tensor[[N, N], pl.FP32],
    total: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    difference: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    product: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    quotient: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    larger: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    smaller: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_binary"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        pl.store(pl.add(x, y), [0, 0], total)
        pl.store(pl.sub(x, y), [0, 0], difference)
        pl.store(pl.mul(x, y), [0, 0], product)
        pl.store(pl.div(x, y), [0, 0], quotient)
        pl.store(pl.maximum(x, y), [0, 0], larger)
        pl.store(pl.minimum(x, y), [0, 0], smaller)
    return total, difference, product, quotient, larger, smaller


@pl.jit
def fp32_unary(
    a: pl.Tensor[[N, N], pl.FP32],
    negated: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    absolute: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    exponent: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    root: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    inverse_root: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    inverse: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    logarithm: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    rectified: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_unary"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.neg(x), [0, 0], negated)
        pl.store(pl.abs(x), [0, 0], absolute)
        pl.store(pl.exp(x), [0, 0], exponent)
        pl.store(pl.sqrt(x), [0, 0], root)
        pl.store(pl.rsqrt(x), [0, 0], inverse_root)
        pl.store(pl.recip(x), [0, 0], inverse)
        pl.store(pl.log(x), [0, 0], logarithm)
        pl.store(pl.relu(x), [0, 0], rectified)
    return negated, absolute, exponent, root, inverse_root, inverse, logarithm, rectified


@pl.jit
def fp32_scalar(
    a: pl.Tensor[[N, N], pl.FP32],
    shifted: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    scaled: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    divided: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    floored: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    capped: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    leaky: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_scalar"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.add(x, 0.5), [0, 0], shifted)
        pl.store(pl.mul(x, -3.0), [0, 0], scaled)
        pl.store(pl.div(x, 3.0), [0, 0], divided)
        pl.store(pl.maximums(x, 0.0), [0, 0], floored)
        pl.store(pl.minimums(x, 0.0), [0, 0], capped)
        pl.store(pl.lrelu(x, 0.125), [0, 0], leaky)
    return shifted, scaled, divided, floored, capped, leaky


@pl.jit
def fp32_reductions(
    a: pl.Tensor[[N, N], pl.FP32],
    row_high: pl.Out[pl.Tensor[[N, 1], pl.FP32]],
    row_low: pl.Out[pl.Tensor[[N, 1], pl.FP32]],
    row_total: pl.Out[pl.Tensor[[N, 1], pl.FP32]],
    col_high: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    col_low: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    col_total: pl.Out[pl.Tensor[[1, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_reductions"):
        x = pl.load(a, [0, 0], [N, N])
        tmp = pl.create_tile([N, N], dtype=pl.FP32, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.row_max(x, tmp), [0, 0], row_high)
        pl.store(pl.row_min(x, tmp), [0, 0], row_low)
        pl.store(pl.row_sum(x, tmp), [0, 0], row_total)
        pl.store(pl.col_max(x), [0, 0], col_high)
        pl.store(pl.col_min(x), [0, 0], col_low)
        pl.store(pl.col_sum(x), [0, 0], col_total)
    return row_high, row_low, row_total, col_high, col_low, col_total


@pl.jit
def fp32_wide_reductions(
    a: pl.Tensor[[N, WIDE], pl.FP32],
    row_high: pl.Out[pl.Tensor[[N, 1], pl.FP32]],
    row_low: pl.Out[pl.Tensor[[N, 1], pl.FP32]],
    col_high: pl.Out[pl.Tensor[[1, WIDE], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_wide_reductions"):
        x = pl.load(a, [0, 0], [N, WIDE])
        tmp = pl.create_tile([N, WIDE], dtype=pl.FP32, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.row_max(x, tmp), [0, 0], row_high)
        pl.store(pl.row_min(x, tmp), [0, 0], row_low)
        pl.store(pl.col_max(x), [0, 0], col_high)
    return row_high, row_low, col_high


@pl.jit
def fp32_comparisons(
    a: pl.Tensor[[N, N], pl.FP32],
    b: pl.Tensor[[N, N], pl.FP32],
    equal: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    unequal: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    less: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    greater_equal: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    below_one: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_comparisons"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        scratch = pl.create_tile([1, 32], dtype=pl.UINT8)
        pl.store(pl.sel(pl.cmp(x, y, cmp_type=0), x, y, scratch), [0, 0], equal)
        pl.store(pl.sel(pl.cmp(x, y, cmp_type=1), x, y, scratch), [0, 0], unequal)
        pl.store(pl.sel(pl.cmp(x, y, cmp_type=2), x, y, scratch), [0, 0], less)
        pl.store(pl.sel(pl.cmp(x, y, cmp_type=5), x, y, scratch), [0, 0], greater_equal)
        pl.store(pl.sels(pl.cmps(x, 1.0, cmp_type=2), x, scratch, -7.0), [0, 0], below_one)
    return equal, unequal, less, greater_equal, below_one


@pl.jit
def fp32_sorted_rows(
    a: pl.Tensor[[N, N], pl.FP32],
    pairs: pl.Out[pl.Tensor[[N, 2 * N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_sorted_rows"):
        for r in pl.range(N):
            idx = pl.arange(0, [1, N], dtype=pl.UINT32)
            pairs[r : r + 1, :] = pl.sort32(a[r : r + 1, :], idx)
    return pairs


@pl.jit
def fp32_sorted_clean_rows(
    a: pl.Tensor[[N, N], pl.FP32],
    pairs: pl.Out[pl.Tensor[[N, 2 * N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_sorted_clean_rows"):
        for r in pl.range(N):
            idx = pl.arange(0, [1, N], dtype=pl.UINT32)
            floor = pl.full([1, N], dtype=pl.FP32, value=LOWEST)
            clean = pl.maximum(floor, a[r : r + 1, :])  # std::max(LOWEST, NaN) is LOWEST
            pairs[r : r + 1, :] = pl.sort32(clean, idx)
    return pairs


@pl.jit
def fp32_more_ops(
    a: pl.Tensor[[N, N], pl.FP32],
    b: pl.Tensor[[N, N], pl.FP32],
    c: pl.Tensor[[N, 1], pl.FP32],
    floored_remainder: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    truncated_remainder: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    row_quotient: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    row_larger: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    sines: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    cosines: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    leaky: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_more_ops"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        col = pl.load(c, [0, 0], [N, 1])
        tmp = pl.create_tile([N, N], dtype=pl.FP32, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.rem(x, y, tmp), [0, 0], floored_remainder)
        pl.store(pl.fmod(x, y), [0, 0], truncated_remainder)
        pl.store(pl.row_expand_div(x, col), [0, 0], row_quotient)
        pl.store(pl.row_expand_max(x, col), [0, 0], row_larger)
        pl.store(pl.sin(x), [0, 0], sines)
        pl.store(pl.cos(x), [0, 0], cosines)
        pl.store(pl.lrelu(x, 0.125), [0, 0], leaky)
    return (
        floored_remainder, truncated_remainder, row_quotient, row_larger, sines, cosines, leaky
    )


@pl.jit
def int16_ops(
    a: pl.Tensor[[N, N], pl.INT16],
    b: pl.Tensor[[N, N], pl.INT16],
    total: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    product: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    smaller: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    shifted_left: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    shifted_right: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    both: pl.Out[pl.Tensor[[N, N], pl.INT16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int16_ops"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        pl.store(pl.add(x, y), [0, 0], total)
        pl.store(pl.mul(x, y), [0, 0], product)
        pl.store(pl.minimum(x, y), [0, 0], smaller)
        pl.store(pl.shls(x, 3), [0, 0], shifted_left)
        pl.store(pl.shrs(x, 2), [0, 0], shifted_right)
        pl.store(pl.and_(x, y), [0, 0], both)
    return total, product, smaller, shifted_left, shifted_right, both


@pl.jit
def int32_reductions(
    a: pl.Tensor[[N, N], pl.INT32],
    row_total: pl.Out[pl.Tensor[[N, 8], pl.INT32]],
    row_high: pl.Out[pl.Tensor[[N, 8], pl.INT32]],
    col_low: pl.Out[pl.Tensor[[1, N], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_reductions"):
        x = pl.load(a, [0, 0], [N, N])
        tmp = pl.create_tile([N, N], dtype=pl.INT32, target_memory=pl.MemorySpace.Vec)
        wide = pl.create_tile([N, 8], dtype=pl.INT32)
        pl.store(pl.row_expand(wide, pl.row_sum(x, tmp)), [0, 0], row_total)
        pl.store(pl.row_expand(wide, pl.row_max(x, tmp)), [0, 0], row_high)
        pl.store(pl.col_min(x), [0, 0], col_low)
    return row_total, row_high, col_low


@pl.jit
def int32_col_sum(a: pl.Tensor[[N, N], pl.INT32], col_total: pl.Out[pl.Tensor[[1, N], pl.INT32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_col_sum"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.col_sum(x), [0, 0], col_total)  # @int32_col_sum
    return col_total


@pl.jit
def fp16_special(
    a: pl.Tensor[[N, N], pl.FP16],
    root: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    inverse: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    inverse_root: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    rectified: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    row_total: pl.Out[pl.Tensor[[N, 16], pl.FP16]],
    col_high: pl.Out[pl.Tensor[[1, N], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_special"):
        x = pl.load(a, [0, 0], [N, N])
        tmp = pl.create_tile([N, N], dtype=pl.FP16, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.sqrt(x), [0, 0], root)
        pl.store(pl.recip(x), [0, 0], inverse)
        pl.store(pl.rsqrt(x), [0, 0], inverse_root)
        pl.store(pl.relu(x), [0, 0], rectified)
        wide = pl.create_tile([N, 16], dtype=pl.FP16)
        pl.store(pl.row_expand(wide, pl.row_sum(x, tmp)), [0, 0], row_total)
        pl.store(pl.col_max(x), [0, 0], col_high)
    return root, inverse, inverse_root, rectified, row_total, col_high


@pl.jit
def fp16_logs(
    a: pl.Tensor[[N, N], pl.FP16],
    logs: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    exps: pl.Out[pl.Tensor[[N, N], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_logs"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.log(x), [0, 0], logs)
        pl.store(pl.exp(x), [0, 0], exps)
    return logs, exps


@pl.jit
def fp16_binary(
    a: pl.Tensor[[N, N], pl.FP16],
    b: pl.Tensor[[N, N], pl.FP16],
    total: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    product: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    quotient: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    larger: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    exponent: pl.Out[pl.Tensor[[N, N], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_binary"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        pl.store(pl.add(x, y), [0, 0], total)
        pl.store(pl.mul(x, y), [0, 0], product)
        pl.store(pl.div(x, y), [0, 0], quotient)
        pl.store(pl.maximum(x, y), [0, 0], larger)
        pl.store(pl.exp(x), [0, 0], exponent)
    return total, product, quotient, larger, exponent


@pl.jit
def bf16_binary(
    a: pl.Tensor[[N, N], pl.BF16],
    b: pl.Tensor[[N, N], pl.BF16],
    total: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    product: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    larger: pl.Out[pl.Tensor[[N, N], pl.BF16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_binary"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        pl.store(pl.add(x, y), [0, 0], total)
        pl.store(pl.mul(x, y), [0, 0], product)
        pl.store(pl.maximum(x, y), [0, 0], larger)
    return total, product, larger


@pl.jit
def int32_binary(
    a: pl.Tensor[[N, N], pl.INT32],
    b: pl.Tensor[[N, N], pl.INT32],
    total: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    difference: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    product: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    larger: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    smaller: pl.Out[pl.Tensor[[N, N], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_binary"):
        x = pl.load(a, [0, 0], [N, N])
        y = pl.load(b, [0, 0], [N, N])
        pl.store(pl.add(x, y), [0, 0], total)
        pl.store(pl.sub(x, y), [0, 0], difference)
        pl.store(pl.mul(x, y), [0, 0], product)
        pl.store(pl.maximum(x, y), [0, 0], larger)
        pl.store(pl.minimum(x, y), [0, 0], smaller)
    return total, difference, product, larger, smaller


@pl.jit
def fp32_to_int32(
    a: pl.Tensor[[N, N], pl.FP32],
    plain: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    even: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    away: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    down: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    up: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_to_int32"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.INT32, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="round"), [0, 0], away)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="floor"), [0, 0], down)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="ceil"), [0, 0], up)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="trunc"), [0, 0], toward_zero)
    return plain, even, away, down, up, toward_zero


@pl.jit
def fp32_to_fp16(
    a: pl.Tensor[[N, N], pl.FP32],
    plain: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    even: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    away: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    down: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    up: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    odd: pl.Out[pl.Tensor[[N, N], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_to_fp16"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.FP16, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.FP16, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.FP16, mode="round"), [0, 0], away)
        pl.store(pl.cast(x, target_type=pl.FP16, mode="floor"), [0, 0], down)
        pl.store(pl.cast(x, target_type=pl.FP16, mode="ceil"), [0, 0], up)
        pl.store(pl.cast(x, target_type=pl.FP16, mode="trunc"), [0, 0], toward_zero)
        pl.store(pl.cast(x, target_type=pl.FP16, mode="odd"), [0, 0], odd)
    return plain, even, away, down, up, toward_zero, odd


@pl.jit
def fp32_to_bf16(
    a: pl.Tensor[[N, N], pl.FP32],
    plain: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    even: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    away: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    down: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    up: pl.Out[pl.Tensor[[N, N], pl.BF16]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.BF16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_to_bf16"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.BF16, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.BF16, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.BF16, mode="round"), [0, 0], away)
        pl.store(pl.cast(x, target_type=pl.BF16, mode="floor"), [0, 0], down)
        pl.store(pl.cast(x, target_type=pl.BF16, mode="ceil"), [0, 0], up)
        pl.store(pl.cast(x, target_type=pl.BF16, mode="trunc"), [0, 0], toward_zero)
    return plain, even, away, down, up, toward_zero


@pl.jit
def fp32_to_int16(
    a: pl.Tensor[[N, N], pl.FP32],
    plain: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    even: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    away: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.INT16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp32_to_int16"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.INT16, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.INT16, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.INT16, mode="round"), [0, 0], away)
        pl.store(pl.cast(x, target_type=pl.INT16, mode="trunc"), [0, 0], toward_zero)
    return plain, even, away, toward_zero


@pl.jit
def fp16_to_int8(
    a: pl.Tensor[[N, N], pl.FP16],
    plain: pl.Out[pl.Tensor[[N, N], pl.INT8]],
    even: pl.Out[pl.Tensor[[N, N], pl.INT8]],
    away: pl.Out[pl.Tensor[[N, N], pl.INT8]],
    down: pl.Out[pl.Tensor[[N, N], pl.INT8]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.INT8]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_to_int8"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.INT8, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.INT8, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.INT8, mode="round"), [0, 0], away)
        pl.store(pl.cast(x, target_type=pl.INT8, mode="floor"), [0, 0], down)
        pl.store(pl.cast(x, target_type=pl.INT8, mode="trunc"), [0, 0], toward_zero)
    return plain, even, away, down, toward_zero


@pl.jit
def fp16_to_uint8(
    a: pl.Tensor[[N, N], pl.FP16],
    plain: pl.Out[pl.Tensor[[N, N], pl.UINT8]],
    even: pl.Out[pl.Tensor[[N, N], pl.UINT8]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.UINT8]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_to_uint8"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.UINT8, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.UINT8, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.UINT8, mode="trunc"), [0, 0], toward_zero)
    return plain, even, toward_zero


@pl.jit
def fp16_to_int16(
    a: pl.Tensor[[N, N], pl.FP16],
    plain: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    even: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    toward_zero: pl.Out[pl.Tensor[[N, N], pl.INT16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_to_int16"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.INT16, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.INT16, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.INT16, mode="trunc"), [0, 0], toward_zero)
    return plain, even, toward_zero


@pl.jit
def fp16_to_int32(
    a: pl.Tensor[[N, N], pl.FP16],
    plain: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    even: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    up: pl.Out[pl.Tensor[[N, N], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_to_int32"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.INT32, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="ceil"), [0, 0], up)
    return plain, even, up


@pl.jit
def bf16_to_int32(
    a: pl.Tensor[[N, N], pl.BF16],
    plain: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    even: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    away: pl.Out[pl.Tensor[[N, N], pl.INT32]],
    down: pl.Out[pl.Tensor[[N, N], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bf16_to_int32"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.INT32, mode="none"), [0, 0], plain)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="rint"), [0, 0], even)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="round"), [0, 0], away)
        pl.store(pl.cast(x, target_type=pl.INT32, mode="floor"), [0, 0], down)
    return plain, even, away, down


@pl.jit
def int32_to_narrower(
    a: pl.Tensor[[N, N], pl.INT32],
    as_fp16: pl.Out[pl.Tensor[[N, N], pl.FP16]],
    as_fp32: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    as_int16: pl.Out[pl.Tensor[[N, N], pl.INT16]],
    as_fp32_down: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_to_narrower"):
        x = pl.load(a, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.FP16, mode="none"), [0, 0], as_fp16)
        pl.store(pl.cast(x, target_type=pl.FP32, mode="none"), [0, 0], as_fp32)
        pl.store(pl.cast(x, target_type=pl.INT16, mode="none"), [0, 0], as_int16)
        pl.store(pl.cast(x, target_type=pl.FP32, mode="floor"), [0, 0], as_fp32_down)
    return as_fp16, as_fp32, as_int16, as_fp32_down


@pl.jit
def widening(
    h: pl.Tensor[[N, N], pl.FP16],
    g: pl.Tensor[[N, N], pl.BF16],
    from_fp16: pl.Out[pl.Tensor[[N, N], pl.FP32]],
    from_bf16: pl.Out[pl.Tensor[[N, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="widening"):
        x = pl.load(h, [0, 0], [N, N])
        y = pl.load(g, [0, 0], [N, N])
        pl.store(pl.cast(x, target_type=pl.FP32, mode="none"), [0, 0], from_fp16)
        pl.store(pl.cast(y, target_type=pl.FP32, mode="none"), [0, 0], from_bf16)
    return from_fp16, from_bf16
