"""The scheduling the cost model sees: what plsim counts per stage (dispatches, pipeline depth
and trip counts, early resolve, vector split) on small kernels, and the scheduling terms
(plsim.scheduling) computed by hand from their stated formulas."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pytest

import plsim
from plsim.accounting import StageStats, kernel_schedule, stage_times
from plsim.hardware import A2A3

KERNELS = textwrap.dedent('''
    import pypto.language as pl

    C = 64


    @pl.jit
    def scheduled(x: pl.Tensor[[64, C], pl.FP32], out: pl.Out[pl.Tensor[[64, C], pl.FP32]],
                  out2: pl.Out[pl.Tensor[[64, C], pl.FP32]]):
        for b in pl.spmd(4, name_hint="bundle", allow_early_resolve=True):
            out[b * 16 : b * 16 + 16, :] = pl.mul(x[b * 16 : b * 16 + 16, :], 3.0)
        for i in pl.parallel(4):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="each"):
                out2[i * 16 : i * 16 + 16, :] = pl.add(out[i * 16 : i * 16 + 16, :], 1.0)
        with pl.spmd(4, name_hint="ignored"):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="carried"):
                b = pl.tile.get_block_idx()
                out[b * 16 : b * 16 + 16, :] = pl.add(out2[b * 16 : b * 16 + 16, :], 2.0)
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="piped"):
            for k in pl.pipeline(0, 4, stage=3):
                out2[k * 16 : k * 16 + 16, :] = pl.mul(out[k * 16 : k * 16 + 16, :], 2.0)
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="never_piped"):
            n = pl.read(x, [0, 0])
            for k in pl.pipeline(0, pl.cast(n, pl.INDEX), stage=2):
                out2[k * 16 : k * 16 + 16, :] = pl.mul(out[k * 16 : k * 16 + 16, :], 2.0)
        return out, out2
''')


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    path = tmp_path_factory.mktemp("sched") / "sched_kernel.py"
    path.write_text(KERNELS, encoding="utf-8")
    module = plsim.load(str(path))
    x = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    out, out2 = np.zeros_like(x), np.zeros_like(x)
    run = plsim.run(module.scheduled, x, out, out2)
    np.testing.assert_array_equal(out2, ((x * 3 + 1) + 2) * 2)  # the kernel ran as written
    return {s.name: s for s in run.stages}


def test_an_spmd_loop_is_one_dispatch_of_its_blocks(stages):
    s = stages["bundle"]
    assert (s.tasks, s.launches, s.early_resolve) == (4, 1, True)


def test_pl_at_entries_are_a_dispatch_each(stages):
    s = stages["each"]
    assert (s.tasks, s.launches, s.early_resolve) == (4, 4, False)


def test_a_carried_spmd_is_one_dispatch_named_by_its_pl_at(stages):
    assert "ignored" not in stages
    s = stages["carried"]
    assert (s.tasks, s.launches) == (4, 1)


def test_pipeline_depth_and_trip_count(stages):
    s = stages["piped"]
    assert (s.pipelined, s.pipeline_depth, s.pipeline_loops, s.pipeline_iterations) == (
        True, 3, 1, 4)  # fmt: skip
    assert stages["each"].pipeline_depth == 1 and not stages["each"].pipelined


def test_a_pipeline_loop_that_never_iterates_overlaps_nothing(stages):
    """Its trip count is 0 (x[0, 0] = 0): no buffer is filled, so the stage is not modeled as
    pipelined (a stage with no loop counts would get the whole pipelined share)."""
    s = stages["never_piped"]
    assert (s.pipelined, s.pipeline_loops, s.pipeline_iterations) == (False, 0, 0)


# -- the terms by hand ------------------------------------------------------------------------

P = dataclasses.replace(
    A2A3, core_dma_bytes_per_s=100e9, dma_burst_bytes=32.0, dma_issue_us=0.0,
    dma_compute_overlap=0.0, pipelined_overlap=0.5, stage_dispatch_us=1.0,
    task_dispatch_us=2.0, block_dispatch_us=0.25, vector_elems_per_cycle=50,
)  # fmt: skip
OFF = dataclasses.replace(P, terms=frozenset())


def test_spmd_blocks_after_the_first_cost_a_block_dispatch():
    s = StageStats("s", tasks=10, launches=1, vector_ops=1000)
    assert stage_times(s, P)["dispatch"] == pytest.approx(2.0 + 9 * 0.25)
    assert stage_times(s, OFF)["dispatch"] == pytest.approx(10 * 2.0)  # every block a task
    legacy = StageStats("s", tasks=10, vector_ops=1000)  # no dispatch count recorded
    assert stage_times(legacy, P)["dispatch"] == pytest.approx(10 * 2.0)


def test_an_spmd_launch_over_the_cores_runs_in_waves():
    macs = 32 * 1_000_000
    s = StageStats("c", tasks=32, launches=1, cube_macs=macs, cube_macs_by_dtype={"BF16": macs})
    per_core = 4096 * 1.8e9
    # 32 blocks on 24 AIC: two waves, 16 cores busy on average
    assert stage_times(s, P)["cube"] == pytest.approx(macs / (per_core * 16) * 1e6)
    assert stage_times(s, OFF)["cube"] == pytest.approx(macs / (per_core * 24) * 1e6)
    many = dataclasses.replace(s, launches=32)  # 32 dispatches fill cores as they free up
    assert stage_times(many, P)["cube"] == pytest.approx(macs / (per_core * 24) * 1e6)


def test_a_mixed_stage_runs_its_vector_work_on_core_groups():
    s = StageStats("m", tasks=30, launches=30, cube_macs=1, cube_macs_by_dtype={"BF16": 1},
                   vector_ops=48_000_000)  # fmt: skip
    rate = 50 * 1.8e9
    assert stage_times(s, P)["vector"] == pytest.approx(48e6 / (rate * 24) * 1e6)  # 1 AIV/group
    split = dataclasses.replace(s, vector_split=True)
    assert stage_times(split, P)["vector"] == pytest.approx(48e6 / (rate * 48) * 1e6)  # both
    assert stage_times(s, OFF)["vector"] == pytest.approx(48e6 / (rate * 30) * 1e6)
    pure = dataclasses.replace(s, cube_macs=0, cube_macs_by_dtype={})
    assert stage_times(pure, P)["vector"] == pytest.approx(48e6 / (rate * 30) * 1e6)


def test_deeper_pipelines_hide_more_and_fill_iterations_hide_nothing():
    # DMA 8 MB over 4 cores x 100 GB/s = 20 us; vector 36e6 ops over 4 x 90e9/s = 100 us
    base = StageStats("p", tasks=4, launches=4, gm_read_bytes=8_000_000, gm_transfers=0,
                      gm_segments=1, vector_ops=36_000_000, pipelined=True)  # fmt: skip
    for depth, loops, iters, hidden in [(2, 4, 40, 0.5 * 0.9), (3, 4, 40, 0.75 * 0.8),
                                        (4, 1, 2, 0.0), (2, 0, 0, 0.5)]:  # fmt: skip
        s = dataclasses.replace(base, pipeline_depth=depth, pipeline_loops=loops,
                                pipeline_iterations=iters)  # fmt: skip
        assert stage_times(s, P)["work"] == pytest.approx(120.0 - hidden * 20.0)
        assert stage_times(s, OFF)["work"] == pytest.approx(120.0 - 0.5 * 20.0)


def _stage(name, reads, writes, early=False):
    return StageStats(name, tasks=1, launches=1, gm_read_bytes=1_600_000, gm_transfers=1,
                      gm_segments=1, reads=set(reads), writes=set(writes),
                      early_resolve=early)  # fmt: skip


def test_a_consumer_of_flagged_producers_skips_its_pickup():
    span = stage_times(_stage("a", "x", "t"), P)["span"]  # 16 us of DMA + 2 us dispatch
    assert span == pytest.approx(16.0 + 2.0)
    for flags, start in [((True, True), 1.0 + span - 2.0), ((True, False), 1.0 + span),
                         ((False, False), 1.0 + span)]:  # fmt: skip
        a = _stage("a", "x", "t", flags[0])
        b = _stage("b", "x", "u", flags[1])  # submitted at 2 us, finishes at 2 + span
        c = _stage("c", "tu", "y")  # waits for both
        _, (_, fb), (sc, _) = kernel_schedule([a, b, c], P)
        assert fb == pytest.approx(2.0 + span)
        assert sc == pytest.approx(max(start + 1.0, 3.0))  # b finishes 1 us after a
        (_, _), (_, _), (sc_off, _) = kernel_schedule([a, b, c], OFF)
        assert sc_off == pytest.approx(2.0 + span)
