"""pypto's scratch-tile rules for the reductions and pl.row_expand_add
(plsim/ops/reduce_expand.py; kernels/scratch_rule_kernels.py: each refusal measured with the
compiler, tile_reductions a2a3sim "pass"). Expected values from NumPy alone."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("scratch_rule_kernels.py")
FILE = "scratch_rule_kernels.py"
SHAPE = (K.ROWS, K.COLS)


def _x() -> np.ndarray:
    return (np.random.default_rng(1).integers(-8, 9, size=SHAPE) / 4).astype(np.float32)


def test_the_accepted_forms():
    x = _x()
    row_sums = np.zeros((K.ROWS, 1), np.float32)
    col_sums, col_tree, col_max = (np.zeros((1, K.COLS), np.float32) for _ in range(3))
    plsim.run(K.tile_reductions, x, row_sums, col_sums, col_tree, col_max)
    np.testing.assert_array_equal(row_sums, x.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(col_sums, x.sum(axis=0, keepdims=True))
    np.testing.assert_array_equal(col_tree, x.sum(axis=0, keepdims=True))
    np.testing.assert_array_equal(col_max, x.max(axis=0, keepdims=True))


@pytest.mark.parametrize(
    ("kernel", "tag", "pattern", "out_shape"),
    [
        ("row_max_without_scratch", "no_scratch", r"Tile inputs require tmp_tile", (K.ROWS, 1)),
        ("tensor_row_sum_with_scratch", "tensor_scratch", r"must not pass tmp_tile", (K.ROWS, 1)),
        ("col_max_with_scratch", "col_scratch", r"takes no tmp_tile", (1, K.COLS)),
    ],
)
def test_refused_as_the_compiler_refuses(kernel, tag, pattern, out_shape):
    with pytest.raises(plsim.DSLError, match=pattern) as info:
        plsim.run(getattr(K, kernel), _x(), np.zeros(out_shape, np.float32))
    assert marked_line(FILE, tag) in str(info.value)


def test_row_expand_add_with_a_scratch_is_a_hardware_error():
    with pytest.raises(plsim.HardwareError, match=r"does not parse") as info:
        plsim.run(K.row_expand_add_with_scratch, _x(), np.zeros(SHAPE, np.float32))
    assert marked_line(FILE, "expand_scratch") in str(info.value)
