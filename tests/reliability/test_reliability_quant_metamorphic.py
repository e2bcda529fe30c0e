"""Metamorphic properties of the shared INT8 quant policy (models/deepseek_v4/reference/quant.py) —
no golden needed.

- Scaling a row by a power of two leaves its INT8 codes unchanged and scales its dequant scale
  by the same power (while the amax floor and the FP32 range are not reached).
- Negating a row negates its codes (round-half-away and trunc are symmetric).
- Permuting rows permutes codes and scales; each row's largest |x| maps to ±127.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from reliability_support import fuzz_settings

from models.deepseek_v4.reference import quant

WIDTH = 128


@st.composite
def bf16_rows(draw, max_rows: int = 6):
    """Signed BF16 rows of magnitudes in [2^-10, 2^10] (plus zeros), like normalized cache rows."""
    rows = draw(st.integers(1, max_rows))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    magnitude = np.exp2(rng.uniform(-10, 10, (rows, 1))) * rng.standard_normal((rows, WIDTH))
    magnitude[rng.random((rows, WIDTH)) < 0.05] = 0.0
    values = magnitude.astype(np.float32).astype(ml_dtypes.bfloat16)
    # Exact ties of the x * 127 / amax product are what makes the rounding mode matter.
    if draw(st.booleans()):
        values[:, 0] = values[:, 1] = values[:, 1]
    return values


@fuzz_settings(ci_examples=60)
@given(x=bf16_rows(), power=st.integers(-12, 12))
def test_power_of_two_row_scale_keeps_int8_codes(x, power):
    amax = np.abs(x.astype(np.float32)).max(axis=1)
    # Stay above the amax floor on both sides (the floor is not scale invariant, by design).
    assume(np.all(amax * 2.0 ** min(power, 0) >= 2 * float(quant.AMAX_FLOOR)))
    scaled = (x.astype(np.float32) * np.float32(2.0**power)).astype(ml_dtypes.bfloat16)
    assert np.array_equal(scaled.astype(np.float64), x.astype(np.float64) * 2.0**power)  # exact
    codes, scale = quant.quantize_rows(x)
    codes_scaled, scale_scaled = quant.quantize_rows(scaled)
    assert np.array_equal(codes_scaled, codes)
    assert np.array_equal(scale_scaled, (scale * np.float32(2.0**power)).astype(np.float32))


@fuzz_settings(ci_examples=60)
@given(x=bf16_rows())
def test_negating_a_row_negates_its_codes(x):
    codes, scale = quant.quantize_rows(x)
    codes_negated, scale_negated = quant.quantize_rows(-x)
    assert np.array_equal(codes_negated, -codes)
    assert np.array_equal(scale_negated, scale)


@fuzz_settings(ci_examples=40)
@given(x=bf16_rows(max_rows=8), seed=st.integers(0, 2**16))
def test_row_permutation_permutes_codes_and_amax_maps_to_127(x, seed):
    order = np.random.default_rng(seed).permutation(x.shape[0])
    codes, scale = quant.quantize_rows(x)
    codes_perm, scale_perm = quant.quantize_rows(x[order])
    assert np.array_equal(codes_perm, codes[order])
    assert np.array_equal(scale_perm, scale[order])
    assert np.all(np.abs(codes.astype(np.int32)) <= 127)
    big = np.abs(x.astype(np.float32)).max(axis=1) >= float(quant.AMAX_FLOOR)
    assert np.all(np.abs(codes[big].astype(np.int32)).max(axis=1) == 127)


def test_amax_floor_breaks_scale_invariance_as_documented():
    """Below the floor, scaling changes the codes: the property above needs its assumption."""
    x = np.full((1, WIDTH), 2.0**-16, np.float32).astype(ml_dtypes.bfloat16)  # amax < 1e-4
    codes_small, _ = quant.quantize_rows(x)
    codes_big, _ = quant.quantize_rows((x.astype(np.float32) * 2.0**8).astype(ml_dtypes.bfloat16))
    assert not np.array_equal(codes_small, codes_big)
