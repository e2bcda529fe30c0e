"""pl.aic_gather out of a data-parallel pl.split_aiv region (kernels/aic_gather_kernels.py).

Each AIV lane pushes its half of a vector-made tile and the cube receives the two halves
rejoined along the split axis, lane 0's first: the inverse of pl.aiv_shard. a2a3sim runs both
fixtures to the same values (the fixture file's A2A3SIM); plsim rejoins the halves in
plsim/control.py and places the rejoined tile in the vector->cube ring (plsim/checks.py).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim
from plsim import checks

FILE = "aic_gather_kernels.py"
K = load(FILE)


def _row_inputs():
    rng = np.random.default_rng(5)
    q = rng.integers(-127, 128, size=(2 * K.HALF, K.DIM)).astype(np.int8)
    k = rng.integers(-127, 128, size=(K.ITERS * K.TILE, K.DIM)).astype(np.int8)
    factors = (rng.standard_normal((2, K.HALF)) * 1e-3).astype(np.float32)
    w = np.zeros((K.W_ROWS, 2 * K.HALF), np.float32)
    w[0, : K.HALF] = factors[0]  # lane 0's row 0: the first half's rows
    w[8, K.HALF :] = factors[1]  # lane 1's row 0: the second half's rows
    scale = rng.uniform(0.5, 1.5, size=(1, K.ITERS * K.TILE)).astype(np.float32)
    return q, k, w, factors, scale


def test_row_halves_reach_the_cube_rejoined_in_lane_order():
    q, k, w, factors, scale = _row_inputs()
    y = np.zeros((K.ITERS * 2, K.TILE), np.float32)
    plsim.run(K.rows_rejoined_for_the_cube, q, k, w, scale, y)
    for it in range(K.ITERS):
        acc = q.astype(np.int64) @ k[it * K.TILE : (it + 1) * K.TILE].astype(np.int64).T
        cols = scale[0, it * K.TILE : (it + 1) * K.TILE]
        for lane in range(2):
            rows = np.maximum(acc[lane * K.HALF : (lane + 1) * K.HALF], 0)
            expected = (factors[lane].astype(np.float64) @ rows) * cols
            # An FP32 sum of HALF products, each rounded: within HALF ulps of the sum of
            # their magnitudes (the factors have both signs, so the sum cancels).
            bound = K.HALF * 2.0**-23 * (np.abs(factors[lane]).astype(np.float64) @ rows) * cols
            assert np.all(np.abs(y[it * 2 + lane] - expected) <= bound)
    # Swapped halves would give lane 0's factors the second half's rows.
    wrong = factors[0].astype(np.float64) @ np.maximum(
        q[K.HALF :].astype(np.int64) @ k[: K.TILE].astype(np.int64).T, 0
    )
    assert not np.allclose(y[0], wrong * scale[0, : K.TILE], rtol=1e-3)


def test_column_halves_reach_the_cube_rejoined_in_lane_order():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((K.M, K.DIM)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((2 * K.HALF_N, K.DIM)).astype(ml_dtypes.bfloat16)
    w = rng.standard_normal((2 * K.HALF_N, K.N_OUT)).astype(np.float32)
    y = np.zeros((K.M, K.N_OUT), np.float32)
    plsim.run(K.columns_rejoined_for_the_cube, a, b, w, y)
    product = np.maximum(a.astype(np.float64) @ b.astype(np.float64).T, 0)
    np.testing.assert_allclose(y, product @ w.astype(np.float64), rtol=1e-5, atol=1e-4)


def test_the_rejoined_tile_takes_a_vector_to_cube_ring_slot_of_its_whole_size(monkeypatch):
    """The compiler reserves the ring in the consumer's L1 (Mat) with a slot of the crossing
    tile, here the rejoined [2 * HALF, TILE] FP32 (16 KiB), not a lane's half."""
    q, k, w, _factors, scale = _row_inputs()
    y = np.zeros((K.ITERS * 2, K.TILE), np.float32)
    seen = {}
    original = checks.cross_core_rings

    def spy(scope):
        rings = original(scope)
        seen.update(rings)
        return rings

    monkeypatch.setattr(checks, "cross_core_rings", spy)
    plsim.run(K.rows_rejoined_for_the_cube, q, k, w, scale, y)
    assert seen["Mat"].direction == "vector->cube"
    assert seen["Mat"].slot_bytes == 2 * K.HALF * K.TILE * 4


def test_a_gather_on_one_lane_only_is_refused():
    """Both lanes push at the same calls; plsim refuses a lane-1 push lane 0 did not make, at
    its line (pypto refuses the kernel too, for the gathered name used outside its branch)."""
    rng = np.random.default_rng(7)
    a = rng.standard_normal((K.M, K.DIM)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((2 * K.HALF_N, K.DIM)).astype(ml_dtypes.bfloat16)
    w = rng.standard_normal((2 * K.HALF_N, K.N_OUT)).astype(np.float32)
    with pytest.raises(plsim.DSLError, match="no counterpart on lane 0") as err:
        plsim.run(K.gather_on_one_lane, a, b, w, np.zeros((K.M, K.N_OUT), np.float32))
    assert marked_line(FILE, "one_lane") in str(err.value)


def test_a_lane_tile_read_by_the_cube_without_a_gather_is_refused():
    """The cube reads a lane's half straight after its region: pypto refuses the implicit
    vector -> cube crossing (AivSplitValid), and plsim refuses it at the matmul's line."""
    rng = np.random.default_rng(8)
    a = rng.standard_normal((K.M, K.DIM)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((2 * K.HALF_N, K.DIM)).astype(ml_dtypes.bfloat16)
    w = rng.standard_normal((K.HALF_N, K.N_OUT)).astype(np.float32)
    with pytest.raises(plsim.DSLError, match="would cross from the AIVs to the cube") as err:
        plsim.run(K.lane_tile_to_the_cube, a, b, w, np.zeros((K.M, K.N_OUT), np.float32))
    assert marked_line(FILE, "implicit_crossing") in str(err.value)


def test_a_cube_product_read_in_a_region_without_its_shard_is_refused():
    """A vector op in an UP_DOWN region reads the whole product instead of pl.aiv_shard's half:
    pypto refuses the implicit cube -> vector crossing (AivSplitValid), plsim at the line."""
    rng = np.random.default_rng(10)
    a = rng.standard_normal((K.M, K.DIM)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((2 * K.HALF_N, K.DIM)).astype(ml_dtypes.bfloat16)
    y = np.zeros((2 * K.M, 2 * K.HALF_N), np.float32)
    with pytest.raises(plsim.DSLError, match="would cross from the cube to the AIVs") as err:
        plsim.run(K.product_read_whole_in_region, a, b, y)
    assert marked_line(FILE, "implicit_pop") in str(err.value)


def test_the_bytes_handed_between_the_cores_are_counted_per_direction():
    """Per iteration: the INT32 product [2 * HALF, TILE] and the FP32 sums [16, TILE] go to the
    lanes, the rejoined FP32 relu [2 * HALF, TILE] to the cube (the stage's StageStats; the cost
    model prices none of them)."""
    q, k, w, _factors, scale = _row_inputs()
    y = np.zeros((K.ITERS * 2, K.TILE), np.float32)
    run = plsim.run(K.rows_rejoined_for_the_cube, q, k, w, scale, y)
    stage = next(s for s in run.stages if s.name == "rows_rejoined_for_the_cube")
    product = 2 * K.HALF * K.TILE * 4
    sums = K.W_ROWS * K.TILE * 4
    assert stage.cube_to_vector_bytes == K.ITERS * (product + sums)
    assert stage.vector_to_cube_bytes == K.ITERS * product
    assert stage.to_dict()["vector_to_cube_bytes"] == K.ITERS * product


def test_each_lanes_pushed_half_holds_its_ub_until_the_push(monkeypatch):
    """The half a lane pushes is a live UB tile (the push reads it after the op that made it),
    so the capacity check places it in Vec; the rejoined tile takes no Vec or Mat buffer of its
    own (it sits in the ring slot)."""
    q, k, w, _factors, scale = _row_inputs()
    y = np.zeros((K.ITERS * 2, K.TILE), np.float32)
    placed = []
    original = checks._spaces

    def spy(tile, platform):
        spaces = original(tile, platform)
        if tile.used_cube and tile.origin in ("vector", "gather"):
            placed.append((tile.origin, tile.lane, tuple(tile.shape), spaces))
        return spaces

    monkeypatch.setattr(checks, "_spaces", spy)
    plsim.run(K.rows_rejoined_for_the_cube, q, k, w, scale, y)
    halves = {(lane, shape, spaces) for origin, lane, shape, spaces in placed if origin == "vector"}
    assert halves == {(0, (K.HALF, K.TILE), ("Vec",)), (1, (K.HALF, K.TILE), ("Vec",))}
    assert {spaces for origin, *_, spaces in placed if origin == "gather"} == {()}
