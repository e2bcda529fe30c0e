"""pl.pipeline loops that hand tiles between the cores (kernels/pipeline_crossing_kernels.py).

pypto copies a one-way loop's body with its own buffers and demotes a round-trip loop to a
sequential one (its SkewCrossCorePipeline pass; plsim/pipeline_crossings.py has what was
measured). plsim's cost model follows: a round trip gets no pipelined overlap.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conformance_support import load

import plsim
from plsim.accounting import stage_times
from plsim.hardware import A2A3

K = load("pipeline_crossing_kernels.py")


def _inputs():
    rng = np.random.default_rng(11)
    q = rng.integers(-127, 128, size=(2 * K.HALF, K.DIM)).astype(np.int8)
    k = rng.integers(-127, 128, size=(K.ITERS * K.TILE, K.DIM)).astype(np.int8)
    w = np.zeros((K.W_ROWS, 2 * K.HALF), np.float32)
    w[0, : K.HALF] = rng.standard_normal(K.HALF).astype(np.float32) * 1e-3
    w[8, K.HALF :] = rng.standard_normal(K.HALF).astype(np.float32) * 1e-3
    scale = rng.uniform(0.5, 1.5, size=(1, K.ITERS * K.TILE)).astype(np.float32)
    n = np.array([K.ITERS], np.int32)
    return q, k, w, scale, n


def _stage(run, name):
    (stage,) = [s for s in run.stages if s.name == name]
    return stage


@pytest.fixture(scope="module")
def round_trips():
    q, k, w, scale, n = _inputs()
    runs, outputs = {}, {}
    for name in ("round_trip_pipelined", "round_trip_sequential"):
        y = np.zeros((K.ITERS * 2, K.TILE), np.float32)
        runs[name] = _stage(plsim.run(getattr(K, name), q, k, w, scale, n, y), name)
        outputs[name] = y
    return runs, outputs


def test_a_round_trip_loop_is_counted_apart_from_the_pipelined_ones(round_trips):
    runs, _ = round_trips
    stage = runs["round_trip_pipelined"]
    assert (stage.pipelined, stage.pipeline_loops, stage.pipeline_iterations) == (False, 0, 0)
    assert (stage.round_trip_depth, stage.round_trip_loops, stage.round_trip_iterations) == (
        2, 1, K.ITERS)  # fmt: skip
    assert runs["round_trip_sequential"].round_trip_loops == 0  # a pl.range loop: not counted


def test_a_round_trip_loop_is_modeled_as_its_pl_range_twin(round_trips):
    """Same counts, same time: what pl.pipeline says buys nothing once pypto demotes it."""
    runs, outputs = round_trips
    piped, plain = runs["round_trip_pipelined"], runs["round_trip_sequential"]
    assert piped.modeled_us == pytest.approx(plain.modeled_us, rel=1e-12)
    assert (piped.gm_transfers, piped.vector_ops, piped.cube_macs) == (
        plain.gm_transfers, plain.vector_ops, plain.cube_macs)  # fmt: skip
    np.testing.assert_array_equal(outputs["round_trip_pipelined"], outputs["round_trip_sequential"])


def test_without_the_term_a_round_trip_loop_hides_what_a_pipelined_loop_would(round_trips):
    """The round_trip_demotion term switched off (the model before it): the round-trip loop is
    credited like a one-way loop of the same depth and trip count, so it models faster."""
    runs, _ = round_trips
    off = dataclasses.replace(A2A3, terms=A2A3.terms - {"round_trip_demotion"})
    piped, plain = runs["round_trip_pipelined"], runs["round_trip_sequential"]
    assert stage_times(piped, off)["wall"] < stage_times(plain, off)["wall"]
    assert stage_times(piped, A2A3)["wall"] == stage_times(plain, A2A3)["wall"]
    as_one_way = dataclasses.replace(piped, pipelined=True, pipeline_depth=2, pipeline_loops=1,
                                     pipeline_iterations=K.ITERS, round_trip_loops=0)  # fmt: skip
    assert stage_times(piped, off)["wall"] == stage_times(as_one_way, A2A3)["wall"]


def test_a_one_way_loop_keeps_its_pipelined_overlap():
    q, k, _w, scale, n = _inputs()
    y = np.zeros((K.ITERS * 2 * K.HALF, K.TILE), np.float32)
    stage = _stage(plsim.run(K.one_way_pipelined, q, k, scale, n, y), "one_way_pipelined")
    assert (stage.pipelined, stage.pipeline_depth, stage.pipeline_loops) == (True, 2, 1)
    assert stage.pipeline_iterations == K.ITERS
    assert stage.cube_to_vector_bytes == K.ITERS * 2 * K.HALF * K.TILE * 4
    assert stage.vector_to_cube_bytes == 0
    assert stage.round_trip_loops == 0
