"""pl.addc / subc / addsc / subsc (plsim/ops/three_operand.py; kernels/three_operand_kernels.py,
a2a3sim "pass": the same outputs). Expected values from NumPy alone: two FP32 roundings, the
first operation first."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("three_operand_kernels.py")
FILE = "three_operand_kernels.py"


def test_two_roundings_in_order():
    rng = np.random.default_rng(4)
    a, b, c = (rng.standard_normal((K.ROWS, K.COLS)).astype(np.float32) for _ in range(3))
    outs = [np.zeros_like(a) for _ in range(4)]
    plsim.run(K.three_operand_adds, a, b, c, *outs)
    h = np.float32(K.HALF)
    np.testing.assert_array_equal(outs[0], (a + b) + c)
    np.testing.assert_array_equal(outs[1], (a - b) + c)
    np.testing.assert_array_equal(outs[2], (a + h) + c)
    np.testing.assert_array_equal(outs[3], (a - h) + c)
    assert not np.array_equal((a + b) + c, a + (b + c))  # the order is observable here


def test_a_tensor_level_value_is_refused():
    a = np.ones((K.ROWS, K.COLS), np.float32)
    with pytest.raises(plsim.DSLError, match=r"only the tile form") as info:
        plsim.run(K.addc_of_tensors, a, np.zeros_like(a))
    assert marked_line(FILE, "tensor_addc") in str(info.value)
