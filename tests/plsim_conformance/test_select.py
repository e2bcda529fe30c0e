"""pl.cmp / pl.cmps masks of tiles and pl.sel / pl.sels (plsim/ops/select.py;
kernels/select_kernels.py, a2a3sim "pass": the same outputs, the stored mask byte for byte).
Expected values from NumPy alone: np.where of the comparison, and np.packbits (least significant
bit first) for the mask's bytes. Inputs are quarter-steps in [-2, 2], so every comparison has
ties as well as both outcomes."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("select_kernels.py")
FILE = "select_kernels.py"
COMPARISONS = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)


def _steps(shape, seed: int, dtype=np.float32) -> np.ndarray:
    return (np.random.default_rng(seed).integers(-8, 9, size=shape) / 4).astype(dtype)


def test_each_cmp_type_selects_where_numpy_compares():
    a, b = _steps((K.ROWS, K.COLS), 1), _steps((K.ROWS, K.COLS), 2)
    assert (a == b).any() and (a < b).any() and (a > b).any()
    outs = [np.zeros_like(a) for _ in range(8)]
    plsim.run(K.every_comparison, a, b, *outs)
    for compare, out in zip(COMPARISONS, outs):
        np.testing.assert_array_equal(out, np.where(compare(a, b), a, b))
    fill = np.float32(K.FILL)
    np.testing.assert_array_equal(outs[6], np.where(a == np.float32(K.THRESHOLD), a, fill))
    np.testing.assert_array_equal(outs[7], np.where(a < np.float32(K.THRESHOLD), a, fill))


def test_half_and_int32_tiles():
    shape = (K.ROWS, K.HALF_COLS)
    a, b = _steps(shape, 3, np.float16), _steps(shape, 4, np.float16)
    lower, positive = np.zeros_like(a), np.zeros_like(a)
    plsim.run(K.select_half, a, b, lower, positive)
    np.testing.assert_array_equal(lower, np.where(a <= b, a, b))
    np.testing.assert_array_equal(positive, np.where(a > 0, a, np.float16(0)))
    rng = np.random.default_rng(5)
    x, y = (rng.integers(-3, 4, size=(K.ROWS, K.COLS)).astype(np.int32) for _ in range(2))
    lower, at_least = np.zeros_like(x), np.zeros_like(x)
    plsim.run(K.select_int32, x, y, lower, at_least)
    np.testing.assert_array_equal(lower, np.minimum(x, y))
    np.testing.assert_array_equal(at_least, np.where(x >= 1, x, -7))


def test_the_mask_is_one_bit_per_column_least_significant_first():
    a = _steps((K.ROWS, K.COLS), 6)
    mask = np.zeros((K.ROWS, K.MASK_BYTES), np.uint8)
    plsim.run(K.stored_mask, a, mask)
    expected = np.packbits(a > np.float32(K.THRESHOLD), axis=1, bitorder="little")
    np.testing.assert_array_equal(mask, expected)
    assert len(np.unique(mask)) > 4  # the bytes are not all alike


def test_a_mask_wider_than_one_32_byte_row():
    a = _steps((K.WIDE_ROWS, K.WIDE_COLS), 7)
    out = np.zeros_like(a)
    plsim.run(K.wide_select, a, out)
    np.testing.assert_array_equal(out, np.where(a != np.float32(K.THRESHOLD), a, np.float32(0)))


def test_a_ragged_selection_is_refused_as_a2a3sim_miscomputes_it():
    a = _steps((K.ROWS, K.COLS), 8)
    with pytest.raises(plsim.MiscompileError, match=r"36 valid columns") as info:
        plsim.run(K.ragged_select, a, np.zeros_like(a))
    assert marked_line(FILE, "ragged") in str(info.value)


def test_a_tensor_level_mask_is_refused():
    a = _steps((K.ROWS, K.COLS), 9)
    with pytest.raises(plsim.DSLError, match=r"tensor-level mask") as info:
        plsim.run(K.select_of_tensors, a, a, np.zeros_like(a))
    assert marked_line(FILE, "tensor_sel") in str(info.value)


def test_a_bf16_comparison_is_refused_as_ptoas_refuses_it():
    import ml_dtypes

    a = _steps((K.ROWS, K.HALF_COLS), 10).astype(ml_dtypes.bfloat16)
    with pytest.raises(plsim.HardwareError, match=r"i32/f16/f32") as info:
        plsim.run(K.compare_bf16, a, a, np.zeros_like(a))
    assert marked_line(FILE, "bf16_cmp") in str(info.value)
