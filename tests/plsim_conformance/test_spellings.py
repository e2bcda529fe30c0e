"""pypto spellings plsim gained (kernels/spelling_kernels.py, a2a3sim "pass"): an atomic-add
store, the tile scalar forms and the high-precision log flag. Expected values from NumPy."""

from __future__ import annotations

import numpy as np
from conformance_support import load

import plsim

K = load("spelling_kernels.py")
SHAPE = (K.ROWS, K.COLS)


def _x(seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).integers(-8, 9, size=SHAPE) / 4).astype(np.float32)


def test_an_atomic_store_adds_to_what_the_tensor_holds():
    x, total = _x(1), _x(2)
    expected = total + x
    plsim.run(K.atomic_store, x, total)
    np.testing.assert_array_equal(total, expected)


def test_scalar_forms_and_the_log_flag():
    x = _x(3)
    outs = [np.zeros(SHAPE, np.float32) for _ in range(5)]
    plsim.run(K.scalar_forms, x, *outs)
    f = np.float32
    np.testing.assert_array_equal(outs[0], x + f(K.SHIFT))
    np.testing.assert_array_equal(outs[1], x - f(K.DROP))
    np.testing.assert_array_equal(outs[2], x * f(K.SCALE))
    np.testing.assert_array_equal(outs[3], x / f(K.DIVISOR))
    expected = np.log((np.abs(x) + f(1)).astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(outs[4], expected)
