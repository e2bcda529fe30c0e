"""pl.part_add / part_mul / part_max / part_min and pl.tri (plsim/ops/partial.py,
plsim/ops/creation.py; kernels/partial_kernels.py, a2a3sim "pass": the same outputs). Expected
values from NumPy alone."""

from __future__ import annotations

import numpy as np
from conformance_support import load

import plsim

K = load("partial_kernels.py")
SHAPE = (K.ROWS, K.COLS)


def _steps(seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).integers(-8, 9, size=SHAPE) / 4).astype(np.float32)


def test_the_op_where_both_are_valid_and_the_first_elsewhere():
    a, b = _steps(1), _steps(2)
    inside = np.zeros(SHAPE, bool)
    inside[: K.NARROW_ROWS, : K.NARROW_COLS] = True
    outs = [np.zeros(SHAPE, np.float32) for _ in range(4)]
    plsim.run(K.partial_ops, a, b, *outs)
    for out, op in zip(outs, (np.add, np.multiply, np.maximum, np.minimum)):
        np.testing.assert_array_equal(out, np.where(inside, op(a, b), a))
    assert not np.array_equal(outs[0], a) and not np.array_equal(outs[0][inside], a[inside])


def test_the_result_has_the_first_operands_valid_region():
    a, b = _steps(3), _steps(4)
    out = np.zeros((K.NARROW_ROWS, K.NARROW_COLS), np.float32)
    plsim.run(K.narrow_first, a, b, out)
    window = (slice(0, K.NARROW_ROWS), slice(0, K.NARROW_COLS))
    np.testing.assert_array_equal(out, np.maximum(a[window], b[window]))


def test_triangles():
    shape = (K.TRI_ROWS, K.COLS)
    lower, shifted = np.zeros(shape, np.int32), np.zeros(shape, np.int32)
    upper = np.zeros(shape, np.float32)
    plsim.run(K.triangles, lower, upper, shifted)
    rows, cols = np.indices(shape)
    np.testing.assert_array_equal(lower, (cols <= rows).astype(np.int32))
    np.testing.assert_array_equal(upper, (cols >= rows + K.UPPER_DIAGONAL).astype(np.float32))
    np.testing.assert_array_equal(shifted, (cols <= rows + K.LOWER_DIAGONAL).astype(np.int32))
