"""Elementwise ops, reductions and matmul numerics (docs/dsl.md §8, §9, §11)."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

from plsim import dtypes as D
from plsim.numerics import binary, matmul, reduce, unary

BF16 = ml_dtypes.bfloat16


def u16(x: np.ndarray) -> list[int]:
    return [int(b) for b in np.asarray(x).view(np.uint16)]


# ---------------------------------------------------------------- binary
def test_bf16_add_rounds_back_to_nearest_even():
    a = np.array([1.0, 1.0078125, -1.0], BF16)
    b = np.array([2**-8, 2**-8, -(2**-8)], BF16)  # exact sums are BF16 ties
    # 1 + 2^-8 -> tie between 0x3F80 (even) and 0x3F81 -> 0x3F80;
    # 1.0078125 (0x3F81, odd) + 2^-8 -> tie -> 0x3F82.
    assert u16(binary("add", a, b, D.BF16)) == [0x3F80, 0x3F82, 0xBF80]


def test_fp16_mul_computes_in_fp32_and_rounds_once():
    # (1 + 2^-10)^2 = 1 + 2^-9 + 2^-20; FP16 spacing at 1 is 2^-10, so the 2^-20 remainder
    # is far below half an ulp and the FP16 result is 1 + 2^-9.
    a = np.array([1 + 2**-10], np.float16)
    assert binary("mul", a, a, D.FP16).astype(float).tolist() == [1 + 2**-9]


def test_scalar_operand_is_converted_to_the_dtype_first():
    a = np.array([1.0], BF16)
    # 2^-8 + 2^-20 narrows to BF16 2^-8 first; 1 + 2^-8 is then an exact tie -> 1.0 (RNE).
    # Adding the unnarrowed scalar would land above the tie and give 0x3F81.
    assert u16(binary("add", a, 2**-8 + 2**-20, D.BF16)) == [0x3F80]
    i8 = np.array([10], np.int8)
    assert binary("add", i8, 300, D.INT8).tolist() == [54]  # 300 wraps to 44 first


def test_integer_ops_wrap():
    assert binary("add", np.array([127], np.int8), np.array([1], np.int8), D.INT8).tolist() == [
        -128
    ]
    big = np.array([65536, -(2**31)], np.int32)
    assert binary("mul", big, big, D.INT32).tolist() == [0, 0]
    assert binary("sub", np.array([-(2**31)], np.int32), 1, D.INT32).tolist() == [2**31 - 1]


def test_integer_division_truncates_toward_zero():
    a = np.array([-7, 7, -7, 7, -1, -128], np.int8)
    b = np.array([2, -2, -2, 2, 3, -1], np.int8)
    assert binary("div", a, b, D.INT8).tolist() == [-3, -3, 3, 3, 0, -128]
    a32 = np.array([-(2**31), -9], np.int32)
    assert binary("div", a32, 4, D.INT32).tolist() == [-(2**29), -2]


def test_integer_division_by_zero_saturates_by_sign():
    a = np.array([5, -5, 0, 6], np.int32)
    b = np.array([0, 0, 0, 3], np.int32)
    assert binary("div", a, b, D.INT32).tolist() == [2**31 - 1, -(2**31), 0, 2]
    assert binary("div", np.array([3, -3], np.int8), 0, D.INT8).tolist() == [127, -128]


def test_float_division_follows_ieee():
    a = np.array([1.0, -1.0, 0.0, 1.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, 3.0], np.float32)
    out = binary("div", a, b, D.FP32)
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2])
    assert out[3] == np.float32(1 / 3)


def test_maximum_minimum():
    a = np.array([1, -5, 3], np.int16)
    b = np.array([2, -6, 3], np.int16)
    assert binary("maximum", a, b, D.INT16).tolist() == [2, -5, 3]
    assert binary("minimum", a, b, D.INT16).tolist() == [1, -6, 3]


def test_binary_rejects_bad_op_and_dtype_mismatch():
    with pytest.raises(ValueError, match="op='pow'"):
        binary("pow", np.zeros(1, np.float32), np.zeros(1, np.float32), D.FP32)
    with pytest.raises(ValueError, match="does not store"):
        binary("add", np.zeros(1, np.float32), np.zeros(1, np.float16), D.FP32)
    with pytest.raises(ValueError, match="integer"):
        binary("add", np.zeros(1, np.int32), 2.5, D.INT32)


# ---------------------------------------------------------------- unary
def test_unary_float_values():
    x = np.array([4.0, 1.0, 0.0, -2.0], np.float32)
    assert unary("rsqrt", x[:1], D.FP32).tolist() == [0.5]
    assert unary("exp", x[2:3], D.FP32).tolist() == [1.0]
    assert unary("log", x[1:2], D.FP32).tolist() == [0.0]
    assert unary("relu", x, D.FP32).tolist() == [4.0, 1.0, 0.0, 0.0]
    assert unary("neg", x, D.FP32).tolist() == [-4.0, -1.0, -0.0, 2.0]
    assert unary("abs", x, D.FP32).tolist() == [4.0, 1.0, 0.0, 2.0]
    assert unary("recip", np.array([3.0], np.float32), D.FP32).tolist() == [
        float(np.float32(1 / 3))
    ]
    assert unary("sqrt", np.array([2.0], np.float32), D.FP32).tolist() == [
        float(np.float32(math.sqrt(2)))
    ]


def test_unary_bf16_rounds_result():
    # e = 2.71828...; BF16 spacing in [2, 4) is 2^-6, 2.71828 / 2^-6 = 173.97 -> 174 * 2^-6.
    out = unary("exp", np.array([1.0], BF16), D.BF16)
    assert out.dtype == BF16
    assert out.astype(float).tolist() == [174 * 2**-6]


def test_unary_integer_wraps_and_rejects_transcendentals():
    x = np.array([-128, -1, 5], np.int8)
    assert unary("neg", x, D.INT8).tolist() == [-128, 1, -5]
    assert unary("abs", x, D.INT8).tolist() == [-128, 1, 5]
    assert unary("relu", x, D.INT8).tolist() == [0, 0, 5]
    with pytest.raises(ValueError, match="integer"):
        unary("exp", x, D.INT8)


def test_relu_keeps_nan():
    out = unary("relu", np.array([np.nan, -np.inf], np.float32), D.FP32)
    assert np.isnan(out[0]) and out[1] == 0.0


# ---------------------------------------------------------------- reductions
def test_sum_runs_in_element_order_like_pto_isa():
    # pto-isa's CPU TRowSum: sum = 0; sum += x[j] for j in order. Measured on a2a3sim (row_sum
    # of an [8, 8] FP32 tile): [1e8, 1, -1e8, 1] -> 1 (1e8 + 1 rounds back to 1e8);
    # [1e8, 1 x 7] -> 1e8; [1 x 7, 1e8] -> 100000008; a row of -0.0 -> +0.0.
    x = np.array([[1e8, 1.0, -1e8, 1.0, 0, 0, 0, 0]], np.float32)
    assert reduce("sum", x, 1, D.FP32).tolist() == [[1.0]]
    ones = np.ones(7, np.float32)
    assert reduce("sum", np.array([[1e8, *ones]], np.float32), 1, D.FP32).tolist() == [[1e8]]
    assert reduce("sum", np.array([[*ones, 1e8]], np.float32), 1, D.FP32).tolist() == [
        [100000008.0]
    ]


def test_fp32_row_sum_of_50_or_more_runs_in_a2a3sims_vectorized_order():
    # Measured on a2a3sim (row_sum of a [16, N] FP32 tile, the toolchain bundle's clang build):
    # from 50 columns, 8 lane accumulators (column j into j % 8), their halves added lane by
    # lane, the 4 lanes in sequence, then the N % 8 tail. [1e8, 1 x 63]: lane 0 stays 1e8, the
    # other lanes reach 8, so 1e8 + 8 + 16 + 16 + 16 = 100000056 (in sequence: 1e8).
    ones = np.ones(64, np.float32)
    first = ones.copy()
    first[0] = 1e8
    last = ones.copy()
    last[63] = 1e8
    cancel = ones.copy()
    cancel[:2] = [1e8, -1e8]
    rows = np.stack([first, last, cancel])
    assert reduce("sum", rows, 1, D.FP32).ravel().tolist() == [100000056.0, 100000064.0, 48.0]
    # below 50 columns in sequence (measured at 48: 1e8, 48, 46)
    assert reduce("sum", rows[:, :48], 1, D.FP32).ravel().tolist() == [1e8, 48.0, 46.0]


def test_sum_of_negative_zeros_is_positive_zero():
    assert reduce("sum", np.array([[1.0, 2.0, 3.0]], np.float32), -1, D.FP32).tolist() == [[6.0]]
    z = reduce("sum", np.array([[-0.0, -0.0, -0.0]], np.float32), 1, D.FP32)
    assert z.tolist() == [[0.0]] and not np.signbit(z[0, 0])


def test_bf16_sum_accumulates_in_fp32():
    # 300 ones: an FP32 accumulator reaches 300 (a BF16 value); a BF16 accumulator stalls at 256.
    x = np.ones((2, 300), BF16)
    out = reduce("sum", x, 1, D.BF16)
    assert out.dtype == BF16
    assert out.astype(float).tolist() == [[300.0], [300.0]]


def test_reduce_axes_and_keepdims():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert reduce("max", x, 0, D.FP32).tolist() == [[8, 9, 10, 11]]
    assert reduce("min", x, 1, D.FP32).tolist() == [[0], [4], [8]]
    assert reduce("prod", x[:, 1:3], 1, D.FP32).tolist() == [[2], [30], [90]]
    assert reduce("sum", x, 0, D.FP32).tolist() == [[12, 15, 18, 21]]


def test_integer_sum_wraps():
    x = np.array([[2**31 - 1, 1, 5]], np.int32)
    assert reduce("sum", x, 1, D.INT32).tolist() == [[-(2**31) + 5]]


def test_reduce_errors():
    with pytest.raises(ValueError, match="axis=2"):
        reduce("sum", np.zeros((2, 2), np.float32), 2, D.FP32)
    with pytest.raises(ValueError, match="op='mean'"):
        reduce("mean", np.zeros((2, 2), np.float32), 1, D.FP32)


# ---------------------------------------------------------------- matmul
def test_int8_matmul_exact_near_extremes():
    k = 1024
    a = np.full((2, k), -128, np.int8)
    a[1] = 127
    b = np.full((k, 1), -128, np.int8)
    out, acc = matmul(a, b, D.INT8)
    assert acc is D.INT32 and out.dtype == np.int32
    assert out.tolist() == [[1024 * 16384], [-1024 * 127 * 128]]  # 16777216, -16646144


def test_int8_matmul_exact_where_fp32_would_round():
    # 1024 * 16384 + 1 = 16777217 is not an FP32 value; INT32 holds it exactly.
    a = np.zeros((1, 1040), np.int8)
    b = np.zeros((1040, 1), np.int8)
    a[0, :1024], b[:1024, 0] = -128, -128
    a[0, 1024], b[1024, 0] = 1, 1
    out, _ = matmul(a, b, D.INT8)
    assert out.tolist() == [[16777217]]


def test_int8_matmul_wraps_in_int32():
    k = 131088  # k * 16384 = 2147745792 > 2^31 - 1
    a = np.full((1, k), -128, np.int8)
    b = np.full((k, 1), -128, np.int8)
    out, _ = matmul(a, b, D.INT8)
    assert out.tolist() == [[2147745792 - 2**32]]


def test_bf16_products_accumulate_in_fp32():
    a = np.ones((1, 304), BF16)
    b = np.ones((304, 1), BF16)
    out, acc = matmul(a, b, D.BF16)
    assert acc is D.FP32 and out.dtype == np.float32
    assert out.tolist() == [[304.0]]  # a BF16 accumulator would stop at 256
    # Products are exact: (1 + 2^-7)^2 = 1 + 2^-6 + 2^-14 needs 15 bits, kept in FP32.
    c = np.full((1, 16), 1 + 2**-7, BF16)
    d = np.full((16, 1), 1 + 2**-7, BF16)
    out, _ = matmul(c, d, D.BF16)
    assert out.tolist() == [[16 * (1 + 2**-6 + 2**-14)]]


def test_float_matmul_accumulates_in_k_order_like_pto_isa():
    # pto-isa's CPU TMATMUL: mul_acc = fma(a[k], b[k], mul_acc) for k = 0 .. K-1. The exact sum
    # 2^24 + 2 is an FP32 value, but in k order each + 1 lands on 2^24 and rounds away.
    a = np.array([[2.0**24, 1.0, 1.0, 0.0]], np.float32)
    b = np.ones((4, 1), np.float32)
    out, _ = matmul(a, b, D.FP32)
    assert out.tolist() == [[2.0**24]]
    # In the other order the two ones add first and survive.
    out, _ = matmul(a[:, ::-1].copy(), b, D.FP32)
    assert out.tolist() == [[2.0**24 + 2]]
    # BF16 operands: the same order (2^8 * 2^8 = 2^16 then sixteen 2^-8 * 1 steps of 2^-8,
    # each below half an FP32 ulp of 2^16 and rounded away).
    c = np.array([[2.0**8] + [2.0**-8] * 16 + [0.0] * 15], BF16)
    d = np.concatenate([[[2.0**8]], np.ones((31, 1))]).astype(BF16)
    out, _ = matmul(c, d, D.BF16)
    assert out.tolist() == [[2.0**16]]


def test_matmul_rejects_mixed_and_unsupported_dtypes():
    with pytest.raises(ValueError, match="differ"):
        matmul(np.zeros((2, 16), np.int8), np.zeros((16, 2), np.float16), D.INT8)
    with pytest.raises(ValueError, match="not supported"):
        matmul(np.zeros((2, 16), np.int32), np.zeros((16, 2), np.int32), D.INT32)
    with pytest.raises(ValueError, match="K mismatch"):
        matmul(np.zeros((2, 16), np.int8), np.zeros((32, 2), np.int8), D.INT8)
