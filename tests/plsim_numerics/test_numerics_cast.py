"""pl.cast bit-level semantics (docs/dsl.md §10); every expectation is derived by hand."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from plsim import dtypes as D
from plsim.numerics import CAST_MODES, cast, cast_chain

BF16 = ml_dtypes.bfloat16


def f32_bits(*bits: int) -> np.ndarray:
    return np.array(bits, np.uint32).view(np.float32)


def u16(x: np.ndarray) -> list[int]:
    return [int(b) for b in np.asarray(x).view(np.uint16)]


# ---------------------------------------------------------------- FP32 -> INT32 ties
TIES = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5], np.float32)
TIE_RESULTS = {
    "rint": [0, 2, 2, 0, -2, -2],
    "round": [1, 2, 3, -1, -2, -3],
    "floor": [0, 1, 2, -1, -2, -3],
    "ceil": [1, 2, 3, 0, -1, -2],
    "trunc": [0, 1, 2, 0, -1, -2],
    "none": [0, 1, 2, 0, -1, -2],  # hardware default for float->int: truncate
    "odd": [0, 1, 2, 0, -1, -2],  # not honoured for float->int: behaves as none
}


@pytest.mark.parametrize("mode", CAST_MODES)
def test_fp32_to_int32_ties_every_mode(mode):
    out = cast(TIES, D.FP32, D.INT32, mode)
    assert out.dtype == np.int32
    assert out.tolist() == TIE_RESULTS[mode]


def test_fp32_to_int32_just_off_ties():
    below = np.nextafter(np.float32(2.5), np.float32(0))
    above = np.nextafter(np.float32(2.5), np.float32(3))
    x = np.array([below, above, -below, -above], np.float32)
    assert cast(x, D.FP32, D.INT32, "round").tolist() == [2, 3, -2, -3]
    assert cast(x, D.FP32, D.INT32, "rint").tolist() == [2, 3, -2, -3]


def test_fp32_to_int32_saturates_and_nan_is_zero():
    x = np.array([3e9, -3e9, np.inf, -np.inf, np.nan, -0.0, 2147483520.0], np.float32)
    for mode in CAST_MODES:
        assert cast(x, D.FP32, D.INT32, mode).tolist() == [
            2147483647,
            -2147483648,
            2147483647,
            -2147483648,
            0,
            0,
            2147483520,
        ]


def test_default_mode_is_round_half_away():
    assert cast(TIES, D.FP32, D.INT32).tolist() == TIE_RESULTS["round"]


# ---------------------------------------------------------------- float narrowing ties
# x = 1 + (k + 0.5) ulp for k = 0, 1, 2 and their negatives; expected offsets in ulps.
NARROW_TIE_OFFSETS = {
    "rint": [0, 2, 2],
    "none": [0, 2, 2],
    "round": [1, 2, 3],
    "trunc": [0, 1, 2],
}


def _narrow_ties(ulp_exp: int) -> np.ndarray:
    ulp = 2.0**ulp_exp
    pos = [1 + (k + 0.5) * ulp for k in range(3)]
    return np.array(pos + [-p for p in pos], np.float32)


@pytest.mark.parametrize(
    ("dst", "ulp_exp", "one_bits"), [(D.BF16, -7, 0x3F80), (D.FP16, -10, 0x3C00)]
)
@pytest.mark.parametrize("mode", ["rint", "none", "round", "trunc", "floor", "ceil", "odd"])
def test_fp32_narrowing_ties_every_mode(dst, ulp_exp, one_bits, mode):
    x = _narrow_ties(ulp_exp)
    if mode in NARROW_TIE_OFFSETS:
        pos = neg = NARROW_TIE_OFFSETS[mode]
    elif mode == "floor":
        pos, neg = [0, 1, 2], [1, 2, 3]  # toward -inf: larger magnitude for negatives
    elif mode == "ceil":
        pos, neg = [1, 2, 3], [0, 1, 2]
    elif dst is D.FP16:  # odd, honoured for FP32->FP16: the neighbour with an odd last bit
        pos = neg = [1, 1, 3]
    else:  # odd is not honoured for FP32->BF16: behaves as none
        pos = neg = [0, 2, 2]
    expected = [one_bits + k for k in pos] + [0x8000 | (one_bits + k) for k in neg]
    out = cast(x, D.FP32, dst, mode)
    assert out.dtype == dst.numpy
    assert u16(out) == expected


def test_fp32_to_bf16_ties_by_raw_bits():
    # Low 16 bits exactly 0x8000 is a tie between hi and hi+1.
    x = f32_bits(0x3F808000, 0x3F818000, 0xBF808000, 0x3F808001, 0x3F807FFF)
    assert u16(cast(x, D.FP32, D.BF16, "rint")) == [0x3F80, 0x3F82, 0xBF80, 0x3F81, 0x3F80]
    assert u16(cast(x, D.FP32, D.BF16, "round")) == [0x3F81, 0x3F82, 0xBF81, 0x3F81, 0x3F80]
    assert u16(cast(x, D.FP32, D.BF16, "floor")) == [0x3F80, 0x3F81, 0xBF81, 0x3F80, 0x3F80]
    assert u16(cast(x, D.FP32, D.BF16, "ceil")) == [0x3F81, 0x3F82, 0xBF80, 0x3F81, 0x3F81]
    assert u16(cast(x, D.FP32, D.BF16, "trunc")) == [0x3F80, 0x3F81, 0xBF80, 0x3F80, 0x3F80]


def test_bf16_rint_ties_go_to_even():
    # rint is RNE: ties go to the even BF16 pattern (hi even stays, hi odd goes up).
    hi = np.arange(0x3F00, 0x3F40, dtype=np.uint32)
    x = ((hi << 16) | 0x8000).view(np.float32)
    expected = [int(h) if h % 2 == 0 else int(h) + 1 for h in hi]
    assert u16(cast(x, D.FP32, D.BF16, "rint")) == expected


@pytest.mark.parametrize("mode", CAST_MODES)
def test_negative_zero_preserved(mode):
    z = np.array([-0.0, 0.0], np.float32)
    assert u16(cast(z, D.FP32, D.BF16, mode)) == [0x8000, 0x0000]
    assert u16(cast(z, D.FP32, D.FP16, mode)) == [0x8000, 0x0000]


def test_tiny_values_round_to_signed_zero_or_smallest_subnormal():
    x = f32_bits(0x00000001, 0x80000001)  # ±1.4e-45, below BF16's smallest subnormal
    assert u16(cast(x, D.FP32, D.BF16, "rint")) == [0x0000, 0x8000]
    assert u16(cast(x, D.FP32, D.BF16, "ceil")) == [0x0001, 0x8000]
    assert u16(cast(x, D.FP32, D.BF16, "floor")) == [0x0000, 0x8001]
    assert u16(cast(x, D.FP32, D.BF16, "trunc")) == [0x0000, 0x8000]
    assert u16(cast(x, D.FP32, D.FP16, "odd")) == [0x0001, 0x8001]  # sticky bit


@pytest.mark.parametrize("mode", CAST_MODES)
def test_nan_and_inf_survive_float_narrowing(mode):
    x = np.array([np.nan, np.inf, -np.inf], np.float32)
    for dst in (D.BF16, D.FP16):
        out = cast(x, D.FP32, dst, mode).astype(np.float32)
        assert np.isnan(out[0])
        assert out[1] == np.inf
        assert out[2] == -np.inf


def test_fp32_to_fp16_overflow_follows_mode():
    x = np.array([65519.0, 65520.0, 70000.0, -70000.0], np.float32)
    inf = np.inf
    assert cast(x, D.FP32, D.FP16, "round").astype(float).tolist() == [65504, inf, inf, -inf]
    assert cast(x, D.FP32, D.FP16, "rint").astype(float).tolist() == [65504, inf, inf, -inf]
    assert cast(x, D.FP32, D.FP16, "trunc").astype(float).tolist() == [
        65504,
        65504,
        65504,
        -65504,
    ]
    assert cast(x, D.FP32, D.FP16, "floor").astype(float).tolist() == [
        65504,
        65504,
        65504,
        -inf,
    ]
    assert cast(x, D.FP32, D.FP16, "ceil").astype(float).tolist() == [inf, inf, inf, -65504]


def test_saturating_float_narrowing_switch(monkeypatch):
    from plsim import numerics_cast

    monkeypatch.setattr(numerics_cast, "SATURATE_FLOAT_NARROWING", True)
    x = np.array([70000.0, -70000.0, np.inf], np.float32)
    assert cast(x, D.FP32, D.FP16, "round").astype(float).tolist() == [65504, -65504, np.inf]


def test_widening_is_exact():
    h = np.array([1.0009765625, -0.0, 6e-8, np.inf], np.float16)
    out = cast(h, D.FP16, D.FP32, "trunc")
    assert out.dtype == np.float32
    assert out.tolist() == [1.0009765625, -0.0, float(np.float16(6e-8)), np.inf]
    assert np.signbit(out[1])
    b = np.array([1.0078125, -3.0], BF16)
    assert cast(b, D.BF16, D.FP32, "floor").tolist() == [1.0078125, -3.0]


# ---------------------------------------------------------------- FP16 -> INT8 (wrapping)
def test_fp16_to_int8_limits_and_pytorch_wrap():
    x = np.array([127, -128, 127.5, 300, -300, 255, 256, -129, 128], np.float16)
    assert cast(x, D.FP16, D.INT8, "trunc").tolist() == [127, -128, 127, 44, -44, -1, 0, 127, -128]
    # 127.5 rounds (half away / half even) to 128, which wraps to -128.
    assert cast(x, D.FP16, D.INT8, "round").tolist() == [127, -128, -128, 44, -44, -1, 0, 127, -128]
    assert cast(x, D.FP16, D.INT8, "rint").tolist() == [127, -128, -128, 44, -44, -1, 0, 127, -128]


def test_fp16_to_int8_specials():
    # NaN -> 0; ±inf saturate to INT32 first (0x7FFFFFFF / 0x80000000), then keep the low byte.
    x = np.array([np.nan, np.inf, -np.inf, -0.0], np.float16)
    assert cast(x, D.FP16, D.INT8, "round").tolist() == [0, -1, 0, 0]


def test_fp32_to_int16_wraps_fp32_to_int32_saturates():
    x = np.array([40000.0, -40000.0, 1e10], np.float32)
    assert cast(x, D.FP32, D.INT16, "round").tolist() == [40000 - 65536, 65536 - 40000, -1]
    assert cast(x, D.FP32, D.INT32, "round").tolist() == [40000, -40000, 2147483647]


# ---------------------------------------------------------------- int -> float
def test_int32_to_fp32_rounds_only_when_inexact():
    x = np.array([16777216, 16777217, -16777217, 16777219, 123], np.int32)
    expect = {
        "rint": [16777216, 16777216, -16777216, 16777220, 123],
        "round": [16777216, 16777218, -16777218, 16777220, 123],
        "floor": [16777216, 16777216, -16777218, 16777218, 123],
        "ceil": [16777216, 16777218, -16777216, 16777220, 123],
        "trunc": [16777216, 16777216, -16777216, 16777218, 123],
    }
    for mode, values in expect.items():
        assert cast(x, D.INT32, D.FP32, mode).astype(np.int64).tolist() == values


def test_int32_to_fp16_deq_path_rounding_and_overflow():
    x = np.array([2049, 2051, 65519, 65520, 70000, -70000], np.int32)
    inf = np.inf
    assert cast(x, D.INT32, D.FP16, "round").astype(float).tolist() == [
        2050,
        2052,
        65504,
        inf,
        inf,
        -inf,
    ]
    assert cast(x, D.INT32, D.FP16, "rint").astype(float).tolist() == [
        2048,
        2052,
        65504,
        inf,
        inf,
        -inf,
    ]
    assert cast(x, D.INT32, D.FP16, "trunc").astype(float).tolist() == [
        2048,
        2050,
        65504,
        65504,
        65504,
        -65504,
    ]


def test_int64_to_fp32_directed_rounding_is_exact():
    x = np.array([2**62 + 1, 2**63 - 1], np.int64)
    ulp = 2.0**39  # FP32 spacing just below 2^63
    assert cast(x, D.INT64, D.FP32, "floor").astype(float).tolist() == [2.0**62, 2.0**63 - ulp]
    assert cast(x, D.INT64, D.FP32, "ceil").astype(float).tolist() == [2.0**62 + ulp, 2.0**63]


def test_int_narrowing_wraps_on_the_wrapping_pairs():
    assert cast(np.array([2**32 + 5, -(2**32) - 5], np.int64), D.INT64, D.INT32).tolist() == [5, -5]
    assert cast(np.array([70000, -70000], np.int32), D.INT32, D.INT16).tolist() == [4464, -4464]


# ---------------------------------------------------------------- legalised chains
@pytest.mark.parametrize(
    ("src", "dst", "chain"),
    [
        (D.FP32, D.INT8, [D.FP16, D.INT8]),
        (D.INT32, D.BF16, [D.FP32, D.BF16]),
        (D.BF16, D.INT8, [D.FP32, D.FP16, D.INT8]),
        (D.FP16, D.BF16, [D.FP32, D.BF16]),
        (D.BF16, D.FP16, [D.FP32, D.FP16]),
        (D.INT8, D.FP32, [D.FP16, D.FP32]),
        (D.FP32, D.BF16, [D.BF16]),
    ],
)
def test_a2a3_chains(src, dst, chain):
    assert cast_chain(src, dst) == chain


def test_fp32_to_int8_double_rounds_through_fp16():
    # 2.4998 -> FP16 (spacing 2^-9 near 2.5) rounds to 2.5, which then rounds away to 3;
    # a direct rounding would give 2.
    x = np.array([2.4998, 127.5, 300.3, -2.4998], np.float32)
    assert cast(x, D.FP32, D.INT8, "round").tolist() == [3, -128, 44, -3]
    assert cast(x, D.FP32, D.INT8, "trunc").tolist() == [2, 127, 44, -2]


def test_int32_to_bf16_applies_mode_at_each_hop():
    # 2^24 + 2^16 + 1: FP32 spacing 2 (tie), BF16 spacing 2^17 (the FP32 result may be a tie).
    x = np.array([2**24 + 2**16 + 1], np.int32)
    assert cast(x, D.INT32, D.BF16, "round").astype(float).tolist() == [2.0**24 + 2**17]
    # rint: first hop ties to even -> 2^24 + 2^16, an exact BF16 tie -> even -> 2^24.
    assert cast(x, D.INT32, D.BF16, "rint").astype(float).tolist() == [2.0**24]
    assert cast(x, D.INT32, D.BF16, "ceil").astype(float).tolist() == [2.0**24 + 2**17]
    assert cast(x, D.INT32, D.BF16, "floor").astype(float).tolist() == [2.0**24]


def test_fp16_to_bf16_via_fp32_rounds_with_mode():
    x = np.array([1 + 2**-8, -(1 + 2**-8)], np.float16)  # a BF16 tie
    assert u16(cast(x, D.FP16, D.BF16, "round")) == [0x3F81, 0xBF81]
    assert u16(cast(x, D.FP16, D.BF16, "rint")) == [0x3F80, 0xBF80]


def test_bf16_to_int8_three_hops_and_int8_to_fp32():
    b = np.array([300, -1.5, 126.5, -129], BF16)
    assert cast(b, D.BF16, D.INT8, "round").tolist() == [44, -2, 127, 127]
    i8 = np.array([-128, 127, 0], np.int8)
    out = cast(i8, D.INT8, D.FP32, "round")
    assert out.dtype == np.float32
    assert out.tolist() == [-128.0, 127.0, 0.0]


# ---------------------------------------------------------------- contract violations
def test_same_dtype_is_an_error():
    with pytest.raises(ValueError, match="equals the input dtype"):
        cast(np.zeros(2, np.float32), D.FP32, D.FP32)


def test_unreachable_pair_names_src_and_dst():
    with pytest.raises(ValueError, match=r"pl\.BOOL to pl\.FP32"):
        cast(np.zeros(2, np.bool_), D.BOOL, D.FP32)
    with pytest.raises(ValueError, match=r"pl\.FP32 to pl\.UINT64"):
        cast(np.zeros(2, np.float32), D.FP32, D.UINT64)


def test_bad_mode_and_mismatched_array():
    with pytest.raises(ValueError, match="mode='nearest'"):
        cast(np.zeros(2, np.float32), D.FP32, D.INT32, "nearest")
    with pytest.raises(ValueError, match=r"does not store pl\.FP32"):
        cast(np.zeros(2, np.float64), D.FP32, D.INT32)


def test_mode_numbers_are_accepted():
    assert cast(TIES, D.FP32, D.INT32, 1).tolist() == TIE_RESULTS["rint"]
    assert cast(TIES, D.FP32, D.INT32, 2).tolist() == TIE_RESULTS["round"]
