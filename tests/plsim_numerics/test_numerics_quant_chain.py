"""The W8A8C16 INT8 quant chain of models/deepseek_v4/reference/quant.py rebuilt from pl.cast steps.

Kernels quantize with FP32 -> INT32 (mode round) -> FP16 (mode round) -> INT8 (mode trunc);
the golden uses NumPy arithmetic. The two must give identical codes, exact .5 ties included.
"""

from __future__ import annotations

import numpy as np

from models.deepseek_v4.reference import quant
from plsim import dtypes as D
from plsim.numerics import binary, cast, reduce, unary


def kernel_codes(scaled: np.ndarray) -> np.ndarray:
    as_int32 = cast(scaled, D.FP32, D.INT32, "round")
    as_fp16 = cast(as_int32, D.INT32, D.FP16, "round")
    return cast(as_fp16, D.FP16, D.INT8, "trunc")


def test_chain_on_exact_ties_is_half_away_from_zero():
    # amax = 127 makes quant_scale exactly 1, so the scaled values are the inputs themselves.
    row = np.array(
        [127.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, 63.5, -0.0, 0.49999997],
        np.float32,
    )
    expected = [127, 1, 2, 3, -1, -2, -3, 127, -127, 64, 0, 0]
    assert kernel_codes(row).tolist() == expected
    codes, dequant = quant.quantize_rows(row[None])
    assert codes[0].tolist() == expected
    assert dequant.tolist() == [[1.0]]


def test_chain_matches_golden_quant_on_structured_rows():
    rng = np.random.default_rng(2024)
    rows = rng.standard_normal((6, 64)).astype(np.float32) * np.float32(3.0)
    rows[1] *= np.float32(1e-6)  # amax below the floor
    rows[2, :8] = [127.0, -63.5, 31.5, -15.5, 7.5, -3.5, 1.5, -0.5]  # exact ties, scale 1
    rows[2, 8:] = np.clip(rows[2, 8:], -100, 100)
    rows[3] = np.round(rows[3] * 2) / 2  # values on a 1/2 grid
    rows[3, 0] = 127.0  # scale 1: every .5 of the grid is an exact tie
    # pl ops the kernel uses: amax = row_max(|x|) floored; scale = 127 / amax; x * scale.
    amax = reduce("max", unary("abs", rows, D.FP32), 1, D.FP32)
    amax = binary("maximum", amax, float(quant.AMAX_FLOOR), D.FP32)
    quant_scale = binary("div", np.full_like(amax, 127.0), amax, D.FP32)
    scaled = binary("mul", rows, np.broadcast_to(quant_scale, rows.shape).copy(), D.FP32)
    golden_codes, _ = quant.quantize_rows(rows)
    assert np.array_equal(kernel_codes(scaled), golden_codes)
    # The fixture really contains ties (else this test would not cover them).
    frac = np.abs(scaled - np.trunc(scaled))
    assert np.count_nonzero(frac == 0.5) >= 20
    assert rows.size >= 300
