"""pl.maximums / minimums / lrelu and the index reductions (plsim/ops/scalar_and_index.py;
kernels/scalar_and_index_op_kernels.py, whose a2a3sim verdicts are "pass": the same outputs).

Expected values from NumPy alone; x has repeated values, so the index reductions meet ties
(the first index wins, as a2a3sim gives).
"""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("scalar_and_index_op_kernels.py")
FILE = "scalar_and_index_op_kernels.py"


def _x() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.integers(-8, 9, size=(K.ROWS, K.COLS)) / 4).astype(np.float32)


def test_a_tile_against_a_scalar():
    x = _x()
    upper, lower, leaky = (np.zeros_like(x) for _ in range(3))
    plsim.run(K.scalar_bounds, x, upper, lower, leaky)
    np.testing.assert_array_equal(upper, np.maximum(x, np.float32(0.25)))
    np.testing.assert_array_equal(lower, np.minimum(x, np.float32(-0.5)))
    np.testing.assert_array_equal(leaky, np.where(x > 0, x, x * np.float32(0.125)))


def test_row_index_reductions_take_the_first_of_equal_values():
    x = _x()
    assert any(np.count_nonzero(row == row.max()) > 1 for row in x)  # ties are met
    top, bottom = np.zeros((K.ROWS, 1), np.int32), np.zeros((K.ROWS, 1), np.int32)
    plsim.run(K.row_index_reductions, x, top, bottom)
    np.testing.assert_array_equal(top[:, 0], np.argmax(x, axis=1))
    np.testing.assert_array_equal(bottom[:, 0], np.argmin(x, axis=1))


def test_col_index_reductions_take_the_first_of_equal_values():
    x = _x()
    top, bottom = np.zeros((1, K.COLS), np.int32), np.zeros((1, K.COLS), np.int32)
    plsim.run(K.col_index_reductions, x, top, bottom)
    np.testing.assert_array_equal(top[0], np.argmax(x, axis=0))
    np.testing.assert_array_equal(bottom[0], np.argmin(x, axis=0))


@pytest.mark.parametrize(
    ("kernel", "tag", "message"),
    [
        ("maximums_of_tensor", "tensor_maximums", r"only the tile form"),
        ("argmax_without_scratch", "no_scratch", r"needs tmp_tile with exactly the input's shape"),
    ],
)
def test_the_forms_the_compiler_refuses(kernel, tag, message):
    """tile.maximums refuses a TensorType argument, and a tile's row_argmax needs a tmp_tile of
    the input's shape and dtype (both measured: the fixtures' verdicts)."""
    x = _x()
    out = np.zeros((K.ROWS, 1 if "argmax" in kernel else K.COLS), np.float32)
    if "argmax" in kernel:
        out = out.astype(np.int32)
    with pytest.raises(plsim.DSLError, match=message) as info:
        plsim.run(getattr(K, kernel), x, out)
    assert marked_line(FILE, tag) in str(info.value)
