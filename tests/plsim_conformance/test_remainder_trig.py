"""pl.rem / rems / fmod / fmods and pl.sin / pl.cos (plsim/ops/remainder_trig.py;
kernels/remainder_trig_kernels.py, a2a3sim "pass": the same outputs). Expected values from
NumPy alone, divisors of both signs."""

from __future__ import annotations

import numpy as np
from conformance_support import load

import plsim

K = load("remainder_trig_kernels.py")


def _operands() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((K.ROWS, K.COLS)) * 5).astype(np.float32)
    sign = np.where(rng.random((K.ROWS, K.COLS)) < 0.5, -1.0, 1.0)
    b = (rng.uniform(0.5, 3.0, (K.ROWS, K.COLS)) * sign).astype(np.float32)
    return a, b


def test_floored_and_truncated_remainders():
    a, b = _operands()
    outs = [np.zeros_like(a) for _ in range(4)]
    plsim.run(K.remainders, a, b, *outs)
    floored, floored_s, truncated, truncated_s = outs
    s = np.float32(K.DIVISOR)
    np.testing.assert_array_equal(floored, np.mod(a, b))  # the divisor's sign
    np.testing.assert_array_equal(floored_s, np.mod(a, s))
    np.testing.assert_array_equal(truncated, np.fmod(a, b))  # the dividend's sign
    np.testing.assert_array_equal(truncated_s, np.fmod(a, s))
    assert (np.sign(floored) != np.sign(truncated)).any()  # the two rules differ on these inputs


def test_sine_and_cosine():
    a, _ = _operands()
    sines, cosines = np.zeros_like(a), np.zeros_like(a)
    plsim.run(K.trig, a, sines, cosines)
    np.testing.assert_allclose(sines, np.sin(a.astype(np.float64)), rtol=0, atol=2e-7)
    np.testing.assert_allclose(cosines, np.cos(a.astype(np.float64)), rtol=0, atol=2e-7)
