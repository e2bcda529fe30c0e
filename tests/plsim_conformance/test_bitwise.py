"""The bitwise family on INT16 tiles (plsim/ops/bitwise.py; kernels/bitwise_kernels.py, a2a3sim
"pass": the same outputs). Expected values from NumPy alone: shifts in 32 bits, the low 16 kept
(so a count of 16 or more shifts everything out, and shr keeps the sign)."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("bitwise_kernels.py")
FILE = "bitwise_kernels.py"
SHAPE = (K.ROWS, K.COLS)


def _a() -> np.ndarray:
    return np.random.default_rng(2).integers(-32768, 32768, size=SHAPE).astype(np.int16)


def _shifted(a: np.ndarray, counts, left: bool) -> np.ndarray:
    wide = a.astype(np.int32)
    out = wide << np.asarray(counts, np.int32) if left else wide >> np.asarray(counts, np.int32)
    return out.astype(np.int16)


def test_pairwise_ops_and_shifts_past_the_width():
    a = _a()
    counts = np.random.default_rng(3).integers(0, 20, size=SHAPE).astype(np.int16)
    assert (counts >= 16).any() and (a < 0).any()
    outs = [np.zeros(SHAPE, np.int16) for _ in range(5)]
    plsim.run(K.pairwise, a, counts, *outs)
    both, either, differ, left, right = outs
    np.testing.assert_array_equal(both, a & counts)
    np.testing.assert_array_equal(either, a | counts)
    np.testing.assert_array_equal(differ, a ^ counts)
    np.testing.assert_array_equal(left, _shifted(a, counts, True))
    np.testing.assert_array_equal(right, _shifted(a, counts, False))
    assert (left[counts >= 16] == 0).all()
    assert set(np.unique(right[counts >= 16])) <= {0, -1}


def test_scalar_forms_and_not():
    a = _a()
    outs = [np.zeros(SHAPE, np.int16) for _ in range(5)]
    plsim.run(K.with_scalars, a, *outs)
    both, either, differ, left, right = outs
    np.testing.assert_array_equal(both, a & np.int16(12))
    np.testing.assert_array_equal(either, a | np.int16(5))
    np.testing.assert_array_equal(differ, a ^ np.int16(6))
    np.testing.assert_array_equal(left, _shifted(a, 3, True))
    np.testing.assert_array_equal(right, _shifted(a, 2, False))
    flipped = np.zeros(SHAPE, np.int16)
    plsim.run(K.complement, a, flipped)
    np.testing.assert_array_equal(flipped, ~a)


def test_int32_tiles_are_refused_as_ptoas_refuses_them():
    a = _a().astype(np.int32)
    with pytest.raises(plsim.HardwareError, match=r"i8/i16") as info:
        plsim.run(K.bitwise_int32, a, a, np.zeros_like(a))
    assert marked_line(FILE, "int32_and") in str(info.value)


def test_a_tiles_xor_needs_its_scratch_tile():
    """pypto: "pl.xor: Tile inputs require an explicit scratch tile" (xor_without_scratch)."""
    a = _a()
    with pytest.raises(plsim.DSLError, match=r"without tmp") as info:
        plsim.run(K.xor_without_scratch, a, np.zeros_like(a))
    assert marked_line(FILE, "xor_no_scratch") in str(info.value)
