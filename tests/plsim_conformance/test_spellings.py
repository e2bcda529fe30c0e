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


def test_a_clamped_load_is_valid_up_to_the_source_edge():
    rng = np.random.default_rng(4)
    x = (rng.integers(-8, 9, size=(K.SOURCE_ROWS, K.COLS)) / 4).astype(np.float32)
    tail = np.full(SHAPE, -7.0, np.float32)
    sums = np.full((K.ROWS, 1), -7.0, np.float32)
    plsim.run(K.clamped_load, x, tail, sums)
    rows = K.SOURCE_ROWS - K.TAIL_OFFSET
    np.testing.assert_array_equal(tail[:rows], x[K.TAIL_OFFSET :])
    np.testing.assert_array_equal(sums[:rows, 0], x[K.TAIL_OFFSET :].sum(axis=1))
    assert (tail[rows:] == -7.0).all() and (sums[rows:] == -7.0).all()  # nothing stored there


def test_a_reinterpreted_tile_is_the_same_bytes():
    x = _x(5)
    words = np.zeros(SHAPE, np.int32)
    halves = np.zeros((K.ROWS, 2 * K.COLS), np.int16)
    plsim.run(K.reinterpreted, x, words, halves)
    np.testing.assert_array_equal(words, x.view(np.int32))
    np.testing.assert_array_equal(halves, x.view(np.int16))


def test_fillpad_expand_pads_outside_the_source_valid_region():
    rng = np.random.default_rng(6)
    x = (rng.integers(-8, 9, size=(K.PAD_ROWS, K.COLS)) / 4).astype(np.float32)
    out = np.zeros(SHAPE, np.float32)
    plsim.run(K.expanded_pad, x, out)
    expected = np.full(SHAPE, np.inf, np.float32)
    expected[: K.PAD_ROWS, : K.PAD_VALID_COLS] = x[:, : K.PAD_VALID_COLS]
    np.testing.assert_array_equal(out, expected)


def test_static_print_has_no_effect():
    x = _x(7)
    out = np.zeros(SHAPE, np.float32)
    plsim.run(K.printed, x, out)
    np.testing.assert_array_equal(out, x + np.float32(1.0))


def test_extracted_k_halves_multiply_to_the_whole():
    import ml_dtypes

    rng = np.random.default_rng(8)
    a = (rng.integers(-8, 9, size=(K.MM_ROWS, K.MM_K)) / 4).astype(np.float32)
    b = (rng.integers(-8, 9, size=(K.MM_K, K.MM_COLS)) / 4).astype(np.float32)
    out = np.zeros((K.MM_ROWS, K.MM_COLS), np.float32)
    plsim.run(K.extracted_halves, a.astype(ml_dtypes.bfloat16), b.astype(ml_dtypes.bfloat16), out)
    np.testing.assert_array_equal(out, a @ b)
