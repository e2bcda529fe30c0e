"""Accounting on a tiny kernel, computed by hand."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from support import load

import plsim
import plsim.hardware

K = load("semantics_kernels.py")


@pytest.fixture(scope="module")
def run():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((32, 64)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((64, 128)).astype(ml_dtypes.bfloat16)
    bias = rng.standard_normal((32, 128)).astype(np.float32)
    out = np.zeros((32, 128), np.float32)
    calls = []
    result = plsim.run(K.accounting, a, b, bias, out, progress=lambda s, i: calls.append((s, i)))
    return result, calls


def test_stage_counts(run):
    result, calls = run
    assert calls == [("mm", 0), ("mm", 1)]
    (stage,) = result.stages
    assert stage.name == "mm" and stage.tasks == 2
    # per task: a rows 16x64 BF16 = 2048 B, all of b 64x128 BF16 = 16384 B, bias 16x128 FP32
    # = 8192 B read; 16x128 FP32 = 8192 B stored.
    assert stage.gm_read_bytes == 2 * (2048 + 16384 + 8192)
    assert stage.gm_write_bytes == 2 * 8192
    assert stage.cube_macs == 2 * 16 * 128 * 64
    assert stage.cube_macs_by_dtype == {"BF16": 2 * 16 * 128 * 64}
    assert stage.vector_ops == 2 * 16 * 128  # the add


def test_traffic(run):
    result, _ = run
    # compulsory: a 4096 B + b 16384 B + bias 16384 B read once, out 16384 B written once
    assert result.traffic.compulsory_bytes == 4096 + 16384 + 16384 + 16384
    assert result.traffic.gm_bytes == 2 * (2048 + 16384 + 8192) + 2 * 8192
    assert result.traffic.ratio == pytest.approx(69632 / 53248)
    assert result.traffic.to_dict()["ratio"] == pytest.approx(69632 / 53248)


def test_modeled_time_follows_the_stated_model(run):
    result, _ = run
    (stage,) = result.stages
    p = plsim.hardware.A2A3
    # 2 tasks x (a rows, all of b, bias rows, out rows): 8 transfers of whole rows, so each
    # window is one contiguous segment.
    assert (stage.gm_transfers, stage.gm_segments) == (8, 8)
    moved = max(69632, 8 * p.dma_burst_bytes)  # 8 segments, each longer than a burst
    dma_s = moved / min(p.hbm_bytes_per_s, 2 * p.core_dma_bytes_per_s)
    dma_s += 8 / 2 * p.dma_issue_us * 1e-6  # 8 transfers over the 2 cores the stage occupies
    cube_s = 262144 / (4096 * 1.8e9 * 2)  # BF16 rate, 2 tasks on 2 AIC
    vec_s = 4096 / (p.vector_elems_per_cycle * 1.8e9 * 2)
    compute_s = max(cube_s, vec_s)
    assert not stage.pipelined  # no pl.pipeline loop: the plain overlap share
    work_s = dma_s + compute_s - p.dma_compute_overlap * min(dma_s, compute_s)
    dispatch_us = p.stage_dispatch_us + p.task_dispatch_us * 2  # one launch, 2 task dispatches
    assert stage.modeled_us == pytest.approx(work_s * 1e6 + dispatch_us)


def test_trace_lays_out_stages_on_both_tracks(run):
    result, _ = run
    trace = result.trace()
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    names = {e["tid"]: e for e in trace["traceEvents"] if e.get("name") == "thread_name"}
    assert names[1]["args"]["name"] == "AIC (cube)"
    assert names[2]["args"]["name"] == "AIV (vector)"
    assert sorted(e["tid"] for e in spans) == [1, 2]  # mixed stage: cube and vector work
    launch = plsim.hardware.A2A3.stage_dispatch_us  # the stage runs once it is submitted
    assert all(e["name"] == "mm" and e["ts"] == pytest.approx(launch) for e in spans)
    assert spans[0]["dur"] == pytest.approx(result.stages[0].modeled_us - launch)
    stage_dict = result.stages[0].to_dict()
    assert set(stage_dict) >= {"name", "tasks", "gm_read_bytes", "gm_write_bytes", "cube_macs",
                               "vector_ops", "modeled_us"}  # fmt: skip


def test_stages_name_the_buffers_they_touch_and_release_them(run):
    result, _ = run
    (stage,) = result.stages
    assert stage.reads and stage.writes and not stage.reads & stage.writes
    assert stage.held == []  # the buffers are only held while the kernel runs
    assert stage.to_dict()["reads"] == sorted(stage.reads)
