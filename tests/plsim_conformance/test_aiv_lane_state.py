"""Each AIV lane's own values across pl.split_aiv regions (kernels/aiv_lane_state.py).

On chip each lane runs a region's code on its own UB and keeps its values from one region of a
task to the next (a2a3sim: the fixture file's A2A3SIM). plsim runs the lanes one after the other
in one frame and hands each lane its own values back (plsim/lane_frames.py).
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


def test_each_lane_carries_its_own_running_sum_across_regions():
    k, q, y = _inputs()
    plsim.run(K.running_sum_per_lane, k, q, y)
    # Lane 0 sums rows [0, M) of each iteration's [2M, N] product, lane 1 rows [M, 2M).
    products = [
        k[2 * M * it : 2 * M * (it + 1)].astype(np.float64) @ q.astype(np.float64).T
        for it in range(ITERS)
    ]
    expected = np.concatenate(
        [sum(p[lane * M : (lane + 1) * M] for p in products) for lane in range(2)]
    )
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-4)
    # Each band differs from the other lane's: a shared running value would give one lane's
    # sum in both (or a mix).
    assert not np.allclose(y[:M], y[M:])



def test_a_lane_tile_that_leaves_the_frames_is_refused_at_its_line():
    """A tile returned out of a helper's regions is the last lane's; the next region's other
    lane must not compute with it."""
    k, q, y = _inputs()
    with pytest.raises(plsim.DSLError) as err:
        plsim.run(K.lane_value_from_a_helper, k, q, y)
    assert marked_line(FILE, "other_lane") in str(err.value)
    assert "AIV lane 0 reads a value made by AIV lane 1" in str(err.value)
