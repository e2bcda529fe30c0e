"""models/deepseek_v4/reference/quant.py's fast paths give exactly what the policy's step-by-step
chain gives.

The references below spell the policy out the slow way (floor/ceil rounding, the FP16 and
trunc steps, an int64 matmul) so a shortcut that changes one bit fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.deepseek_v4.reference import quant


def _round_reference(x):
    x64 = np.asarray(x, np.float64)
    r = np.where(x64 >= 0, np.floor(x64 + 0.5), np.ceil(x64 - 0.5))
    return np.nan_to_num(np.clip(r, -(2**31), 2**31 - 1), nan=0.0).astype(np.int32)


def _rows_reference(x):
    xf = np.asarray(x).astype(np.float32)
    amax = np.maximum(np.max(np.abs(xf), axis=-1, keepdims=True), quant.AMAX_FLOOR)
    amax = amax.astype(np.float32)
    scaled = (xf * (quant.INT8_MAX / amax).astype(np.float32)).astype(np.float32)
    codes16 = _round_reference(scaled).astype(np.float16)
    codes8 = np.trunc(codes16.astype(np.float32)).astype(np.int64).astype(np.int8)
    return codes8, (amax / quant.INT8_MAX).astype(np.float32)


def test_fp32_to_int32_round_matches_the_reference():
    rng = np.random.default_rng(0)
    spread = 10 ** rng.uniform(-8, 12, 50_000)
    values = np.concatenate(
        [
            rng.standard_normal(50_000) * spread,
            np.arange(-300, 300, 0.5),  # every tie
            [np.nan, np.inf, -np.inf, 2.0**31, -(2.0**31) - 1e3, 3e9, -0.0],
        ]
    ).astype(np.float32)
    assert np.array_equal(quant.fp32_to_int32_round(values), _round_reference(values))


@pytest.mark.parametrize("shape", [(64, 512), (3, 5, 128), (2, 4)])
def test_quantize_rows_matches_the_reference(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * rng.uniform(0, 1e3, (*shape[:-1], 1))
    x = x.astype(np.float32)
    x[..., 0] = 0.0
    x.reshape(-1, shape[-1])[0] = 0.0  # an all-zero row takes the AMAX_FLOOR path
    codes, scales = quant.quantize_rows(x)
    want_codes, want_scales = _rows_reference(x)
    assert np.array_equal(codes, want_codes) and np.array_equal(scales, want_scales)


def test_int32_matmul_is_exact_and_wraps_like_the_cube():
    rng = np.random.default_rng(2)
    a = rng.integers(-128, 128, (33, 4096), dtype=np.int8)
    b = rng.integers(-128, 128, (4096, 17), dtype=np.int8)
    want = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)
    assert np.array_equal(quant.int32_matmul(a, b), want)
    # All products at +2^14 over K = 2^17 + 4 rows: the sum passes 2^31 and must wrap.
    k = 2**17 + 4
    big_a = np.full((1, k), -128, np.int8)
    big_b = np.full((k, 1), -128, np.int8)
    exact = k * 128 * 128
    assert quant.int32_matmul(big_a, big_b)[0, 0] == np.int64(exact).astype(np.int32)


def test_quantize_columns_matches_quantizing_the_transpose_by_rows():
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((96, 40)) * rng.uniform(0.01, 50, (1, 40))).astype(np.float32)
    w[:, 7] = 0.0  # an all-zero column takes the AMAX_FLOOR path
    codes, scales = quant.quantize_columns_symmetric(w)
    want_codes, want_scales = _rows_reference(w.T)
    assert np.array_equal(codes, want_codes.T) and np.array_equal(scales, want_scales.reshape(-1))
    assert codes.flags.c_contiguous


@pytest.mark.parametrize("special", [np.inf, -np.inf, np.nan])
def test_quantize_rows_with_non_finite_values_takes_the_general_path(special):
    x = np.array([[1.0, 2.5, -3.0, 0.25], [0.5, 0.5, 0.5, 0.5]], np.float32)
    x[0, 1] = special
    with np.errstate(invalid="ignore"):  # inf * 0 and NaN arithmetic are the point here
        codes, scales = quant.quantize_rows(x)
        want_codes, want_scales = _rows_reference(x)
    assert np.array_equal(codes, want_codes)
    assert np.array_equal(scales, want_scales, equal_nan=True)


def test_fp32_rounding_fast_path_matches_the_reference_on_ties_and_near_ties():
    rng = np.random.default_rng(4)
    halves = np.arange(-4096, 4096, dtype=np.float32) + np.float32(0.5)  # every tie
    near = np.nextafter(halves, np.float32(0)), np.nextafter(halves, np.float32(np.inf))
    large = rng.uniform(-(2.0**23), 2.0**23, 100_000).astype(np.float32)
    values = np.concatenate([halves, *near, large, [0.0, -0.0, 0.49999997, -0.49999997]])
    values = values.astype(np.float32)
    assert np.array_equal(quant._round_half_away_fp32(values), _round_reference(values))
