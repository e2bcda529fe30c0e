"""Each AIV lane's own values across pl.split_aiv regions (kernels/aiv_lane_state.py).

On chip each lane runs a region's code on its own UB and keeps its values from one region of a
task to the next (a2a3sim: the fixture file's A2A3SIM). plsim runs the lanes one after the other
in one frame, so it refuses a read of the other lane's value instead of using it.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "aiv_lane_state.py"
K = load(FILE)
ITERS, M, N, DIM = 2, 32, 128, 64


def _inputs():
    rng = np.random.default_rng(11)
    k = rng.standard_normal((2 * ITERS * M, DIM)).astype(ml_dtypes.bfloat16)
    q = rng.standard_normal((N, DIM)).astype(ml_dtypes.bfloat16)
    return k, q, np.zeros((2 * M, N), np.float32)


def test_a_read_of_the_other_lanes_value_is_refused_at_its_line():
    k, q, y = _inputs()
    with pytest.raises(plsim.DSLError) as err:
        plsim.run(K.running_sum_per_lane, k, q, y)
    message = str(err.value)
    assert marked_line(FILE, "other_lane") in message
    assert "AIV lane 0 reads a value made by AIV lane 1" in message

