"""Each comparison on crafted arrays whose verdict is known, both ways."""

from __future__ import annotations

import json

import ml_dtypes
import numpy as np
import pytest

from golden import compare

BF16 = ml_dtypes.bfloat16
FP32_LOWEST = np.float32(np.finfo(np.float32).min)


def run(comparison, actual, expected, outputs=None, inputs=None):
    actual_outputs = dict(outputs or {})
    expected_outputs = dict(outputs or {})
    return comparison(
        np.asarray(actual),
        np.asarray(expected),
        actual_outputs=actual_outputs,
        expected_outputs=expected_outputs,
        inputs=inputs or {},
    )


# ----------------------------------------------------------------------------- allclose


def test_allclose_passes_within_tolerance_and_fails_outside():
    expected = np.array([[1.0, -2.0], [0.5, 100.0]], dtype=np.float32)
    # 100 * 1e-3 = 0.1 allowed at the last cell; 1e-4 absolute at the others.
    inside = expected + np.array([[5e-5, -5e-5], [0.0, 0.09]], dtype=np.float32)
    outside = expected + np.array([[0.0, 0.0], [0.0, 0.2]], dtype=np.float32)
    comparison = compare.allclose(1e-4, 1e-3)
    ok = run(comparison, inside, expected)
    assert ok.passed, ok.message
    bad = run(comparison, outside, expected)
    assert not bad.passed
    assert bad.figures["mismatches"] == 1
    assert bad.figures["mismatch_positions"] == [[1, 1]]
    assert bad.figures["max_abs_err"] == pytest.approx(0.2, rel=1e-4)  # FP32 spacing at 100
    json.dumps(bad.figures, allow_nan=False)


def test_allclose_nan_never_passes():
    expected = np.ones((2, 3), dtype=np.float32)
    actual = expected.copy()
    actual[0, 1] = np.nan
    result = run(compare.allclose(1.0, 1.0), actual, expected)
    assert not result.passed
    assert result.figures["nan_cells"] == 1
    both_nan = np.full((1, 1), np.nan, dtype=np.float32)
    assert not run(compare.allclose(1.0, 1.0), both_nan, both_nan).passed
    json.dumps(result.figures, allow_nan=False)


def test_allclose_equal_infinities_pass_opposite_fail():
    expected = np.array([np.inf, 1.0], dtype=np.float32)
    assert run(compare.allclose(0, 0), expected.copy(), expected).passed
    assert not run(compare.allclose(0, 0), np.array([-np.inf, 1.0], np.float32), expected).passed


def test_allclose_sentinel_must_match_bitwise_outside_valid_cells():
    expected = np.array([[0.25, -1.5, FP32_LOWEST, FP32_LOWEST]], dtype=np.float32)
    comparison = compare.allclose(1e-4, 1 / 128, sentinel=float(FP32_LOWEST))
    actual = expected.copy()
    actual[0, 0] += np.float32(1e-3)  # within rtol on a valid cell
    ok = run(comparison, actual, expected)
    assert ok.passed, ok.message
    assert ok.figures["valid_cells"] == 2
    # One ulp away from the sentinel would pass allclose (rtol), but must fail as a sentinel.
    near = expected.copy()
    near[0, 3] = np.nextafter(FP32_LOWEST, np.float32(0))
    bad = run(comparison, near, expected)
    assert not bad.passed
    assert bad.figures["outside_mismatches"] == 1
    # A cell the kernel should have left at the sentinel but overwrote with a plausible value.
    leaked = expected.copy()
    leaked[0, 2] = 0.25
    assert not run(comparison, leaked, expected).passed


def test_allclose_valid_mask_callable_and_golden_not_sentinel():
    expected = np.array([[1.0, 2.0, 7.0]], dtype=np.float32)
    inputs = {"visible": 2}

    def valid(exp, inp):
        return np.arange(exp.shape[-1]) < inp["visible"]

    comparison = compare.allclose(1e-6, 0, valid=valid, sentinel=-1.0)
    actual = expected.copy()
    # Golden holds 7.0 outside the valid cells where the sentinel -1 is promised: a case bug.
    result = run(comparison, actual, expected, inputs=inputs)
    assert not result.passed
    assert result.figures["golden_outside_not_sentinel"] == 1
    # Without a sentinel the same data passes: outside cells only need bitwise equality.
    plain = compare.allclose(1e-6, 0, valid=valid)
    assert run(plain, actual, expected, inputs=inputs).passed
    off = actual.copy()
    off[0, 2] = 7.000001
    assert not run(plain, off, expected, inputs=inputs).passed


def test_allclose_shape_mismatch_fails():
    result = run(compare.allclose(1, 1), np.zeros((2, 2), np.float32), np.zeros((2, 3), np.float32))
    assert not result.passed
    assert "shape" in result.message


# ----------------------------------------------------------------------------- bf16_ulp


def _bf16_from_bits(bits):
    return np.array(bits, dtype=np.uint16).view(BF16)


def test_bf16_one_ulp_passes_two_fails():
    base = _bf16_from_bits([0x3F80, 0xC040, 0x0001])  # 1.0, -3.0, smallest subnormal
    one = _bf16_from_bits([0x3F81, 0xC041, 0x0002])
    two = _bf16_from_bits([0x3F82, 0xC040, 0x0001])
    assert run(compare.bf16_ulp(1), one, base).passed
    result = run(compare.bf16_ulp(1), two, base)
    assert not result.passed
    assert result.figures["max_ulp_seen"] == 2
    assert result.figures["mismatches"] == 1
    assert run(compare.bf16_ulp(2), two, base).passed


def test_bf16_signed_zero_and_crossing_zero():
    zeros = _bf16_from_bits([0x0000])
    neg_zero = _bf16_from_bits([0x8000])
    assert run(compare.bf16_ulp(0), neg_zero, zeros).passed
    # smallest negative subnormal to smallest positive subnormal: 2 ulp apart.
    result = run(compare.bf16_ulp(1), _bf16_from_bits([0x8001]), _bf16_from_bits([0x0001]))
    assert not result.passed
    assert result.figures["max_ulp_seen"] == 2


def test_bf16_nan_and_infinity():
    nan = _bf16_from_bits([0x7FC0])
    assert not run(compare.bf16_ulp(100), nan, nan).passed
    inf = _bf16_from_bits([0x7F80])
    max_finite = _bf16_from_bits([0x7F7F])
    assert not run(compare.bf16_ulp(1), max_finite, inf).passed
    assert run(compare.bf16_ulp(0), inf, inf.copy()).passed


def test_bf16_requires_bf16():
    x = np.ones(3, np.float32)
    assert not run(compare.bf16_ulp(1), x, x).passed


# ----------------------------------------------------------------------------- exact


def test_exact_bitwise():
    expected = np.array([1, -2, 3], dtype=np.int32)
    assert run(compare.exact(), expected.copy(), expected).passed
    bad = run(compare.exact(), np.array([1, -2, 4], dtype=np.int32), expected)
    assert not bad.passed
    assert bad.figures["mismatch_positions"] == [[2]]
    # -0.0 == 0.0 numerically but not bitwise.
    assert not run(
        compare.exact(), np.array([-0.0], np.float32), np.array([0.0], np.float32)
    ).passed


# ----------------------------------------------------------------------------- topk


SCORES = np.array([[9.0, 5.0, 5.0, 3.0, 1.0, 5.0000001, 0.5, 0.0]], dtype=np.float32)
OFFSET = 128


def _topk(rows):
    return np.array(rows, dtype=np.int32) + OFFSET


def _topk_run(actual, expected, scores=SCORES, atol=1e-6, rtol=1e-6):
    comparison = compare.topk_tie_aware("score", offset=OFFSET, atol=atol, rtol=rtol)
    return run(comparison, actual, expected, outputs={"score": scores})


def test_topk_legal_tie_swap_passes():
    expected = _topk([[0, 1, 2, 5]])
    swapped = _topk([[0, 2, 5, 1]])  # 1, 2, 5 all score 5 within tolerance
    result = _topk_run(swapped, expected)
    assert result.passed, result.message
    assert result.figures["tie_swaps"] == 3


def test_topk_real_swap_fails():
    expected = _topk([[0, 1, 2, 3]])
    swapped = _topk([[1, 0, 2, 3]])  # 9 and 5 are not tied
    result = _topk_run(swapped, expected)
    assert not result.passed
    assert result.figures["bad_positions"] == 2


def test_topk_boundary_tie_with_outside_candidate_passes_but_better_candidate_dropped_fails():
    expected = _topk([[0, 1, 2]])
    # 5 (score 5.0000001) instead of 2 (score 5): tied within tolerance at the last rank.
    assert _topk_run(_topk([[0, 1, 5]]), expected).passed
    # Dropping the best (9) for the next tie candidate shifts every rank: fails.
    assert not _topk_run(_topk([[1, 2, 5]]), expected).passed


def test_topk_padding_must_agree():
    expected = np.array([[OFFSET + 0, OFFSET + 1, -1, -1]], dtype=np.int32)
    ok = expected.copy()
    assert _topk_run(ok, expected).passed
    short = np.array([[OFFSET + 0, -1, -1, -1]], dtype=np.int32)
    result = _topk_run(short, expected)
    assert not result.passed
    assert result.figures["pad_mismatches"] == 1
    long = np.array([[OFFSET + 0, OFFSET + 1, OFFSET + 2, -1]], dtype=np.int32)
    assert not _topk_run(long, expected).passed


def test_topk_duplicates_and_out_of_range_fail():
    expected = _topk([[1, 2]])
    dup = _topk([[1, 1]])  # second position would be a "tie" (equal score) but repeats index 1
    result = _topk_run(dup, expected)
    assert not result.passed
    assert result.figures["duplicates"] == 1
    oor = np.array([[OFFSET + 1, OFFSET + 8]], dtype=np.int32)  # column 8 does not exist
    result = _topk_run(oor, expected)
    assert not result.passed
    assert result.figures["out_of_range"] == 1
    below = np.array([[OFFSET + 1, 2]], dtype=np.int32)  # forgot the offset
    assert not _topk_run(below, expected).passed


def test_topk_tolerance_is_relative_to_the_score():
    scores = np.array([[100.0, 100.5, 50.0]], dtype=np.float32)
    expected = _topk([[1, 0, 2]])
    swapped = _topk([[0, 1, 2]])
    assert _topk_run(swapped, expected, scores, atol=0, rtol=1 / 128).passed
    assert not _topk_run(swapped, expected, scores, atol=0, rtol=1e-3).passed


def test_topk_leading_dims_map_to_score_rows():
    scores = np.array([[[3.0, 2.0, 1.0]], [[1.0, 2.0, 3.0]]], dtype=np.float32)  # [B=2, S=1, N]
    expected = _topk([[[0, 1]], [[2, 1]]])
    assert _topk_run(expected.copy(), expected, scores).passed
    wrong_row = _topk([[[0, 1]], [[0, 1]]])
    result = _topk_run(wrong_row, expected, scores)
    assert not result.passed
    assert result.figures["bad_row_positions"] == [[1, 0]]


# ----------------------------------------------------------------------------- error_distribution


def test_error_distribution_figures():
    expected = np.array([1.0, 2.0, 4.0, 8.0], dtype=np.float64)
    actual = expected + np.array([0.0, 0.004, -0.08, 0.8])
    dist = compare.error_distribution(actual, expected)
    assert dist["cells"] == 4
    assert dist["max_abs_err"] == pytest.approx(0.8)
    assert dist["max_rel_err"] == pytest.approx(0.1)
    diff = actual - expected
    assert dist["rel_l2"] == pytest.approx(np.linalg.norm(diff) / np.linalg.norm(expected))
    cos = actual @ expected / (np.linalg.norm(actual) * np.linalg.norm(expected))
    assert dist["cosine"] == pytest.approx(cos)
    # errors |a-e|/max(|e|,1): 0, 0.002, 0.02, 0.1
    assert dist["frac_err_above"] == {"0.001": 0.75, "0.01": 0.5, "0.05": 0.25}
    assert dist["abs_err_quantiles"]["p100"] == pytest.approx(0.8)
    assert dist["abs_err_quantiles"]["p50"] == pytest.approx(np.percentile(np.abs(diff), 50))
    json.dumps(dist, allow_nan=False)


def test_error_distribution_mask_and_nonfinite():
    expected = np.array([1.0, 1.0, 1.0, np.inf], dtype=np.float32)
    actual = np.array([1.5, np.nan, 1.0, np.inf], dtype=np.float32)
    dist = compare.error_distribution(actual, expected, mask=np.array([False, True, True, True]))
    assert dist["nonfinite"] == 1  # the NaN; equal infinities are not an error
    assert dist["cells"] == 1
    assert dist["max_abs_err"] == 0.0
    empty = compare.error_distribution(actual, expected, mask=np.zeros(4, bool))
    assert empty["cells"] == 0
    json.dumps(empty, allow_nan=False)
