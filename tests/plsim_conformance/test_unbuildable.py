"""Ops this chain cannot build for a2a3 stop with a HardwareError naming the measured reason
(plsim/ops/unbuildable.py; kernels/unbuildable_kernels.py, each verdict measured)."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("unbuildable_kernels.py")
FILE = "unbuildable_kernels.py"


def test_random_is_a5_only():
    with pytest.raises(plsim.HardwareError, match=r"A5 only") as info:
        plsim.run(K.random_words, np.zeros((K.ROWS, K.COLS), np.int32))
    assert marked_line(FILE, "random") in str(info.value)


def test_scatter_mask_does_not_parse_in_ptoas():
    pairs = np.zeros((K.ROWS, K.COLS), np.float32)
    values = np.ones((K.ROWS, K.HALF), np.float32)
    with pytest.raises(plsim.HardwareError, match=r"does not parse") as info:
        plsim.run(K.scatter_into_pairs, pairs, values, np.zeros_like(pairs))
    assert marked_line(FILE, "scatter_mask") in str(info.value)
