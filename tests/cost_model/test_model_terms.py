"""The cost model's terms, computed by hand from the stated formula (plsim.hardware)."""

from __future__ import annotations

import dataclasses

import pytest

from plsim.accounting import (
    StageStats,
    contiguous_segments,
    kernel_schedule,
    kernel_time,
    stage_times,
)
from plsim.hardware import A2A3


def test_contiguous_segments_of_windows():
    assert contiguous_segments((16, 4096), (4096, 1)) == 1  # whole rows of a [*, 4096] tensor
    assert contiguous_segments((16, 64), (4096, 1)) == 16  # a column band: one run per row
    assert contiguous_segments((1, 1, 64), (8192, 64, 1)) == 1
    assert contiguous_segments((4, 8, 64), (512, 64, 1)) == 1  # dense 3-D
    assert contiguous_segments((4, 8, 32), (512, 64, 1)) == 32
    assert contiguous_segments((0, 64), (64, 1)) == 0


PLATFORM = dataclasses.replace(
    A2A3, core_dma_bytes_per_s=100e9, dma_burst_bytes=256.0, dma_issue_us=0.5,
    dma_compute_overlap=0.25, pipelined_overlap=1.0, stage_dispatch_us=3.0,
    task_dispatch_us=2.0, vector_elems_per_cycle=50,
)  # fmt: skip


def test_a_vector_stage_by_hand():
    s = StageStats("v", tasks=100, gm_read_bytes=6_000_000, gm_write_bytes=4_000_000,
                   gm_transfers=200, gm_segments=10_000, vector_ops=90_000_000)  # fmt: skip
    t = stage_times(s, PLATFORM)
    active = 48  # min(100 tasks, 48 AIV)
    dma_us = 10_000_000 / min(1.6e12, active * 100e9) * 1e6  # 1000-byte rows: over one burst
    dma_us += 200 / active * 0.5
    vec_us = 90_000_000 / (50 * 1.8e9 * 48) * 1e6
    work = dma_us + vec_us - 0.25 * min(dma_us, vec_us)
    assert t["dma"] == pytest.approx(dma_us)
    assert t["vector"] == pytest.approx(vec_us)
    assert t["work"] == pytest.approx(work)
    assert t["dispatch"] == pytest.approx(2.0 * 100)  # the scheduler hands out 100 tasks
    assert t["span"] == pytest.approx(work + 200.0)
    assert t["wall"] == pytest.approx(work + 200.0 + 3.0)


def test_a_pipelined_stage_hides_the_smaller_term():
    s = StageStats("c", tasks=4, gm_read_bytes=4_000_000, gm_transfers=8, gm_segments=8,
                   cube_macs=1 << 30, cube_macs_by_dtype={"BF16": 1 << 30})  # fmt: skip
    plain = stage_times(s, PLATFORM)
    s.pipelined = True
    piped = stage_times(s, PLATFORM)
    longer = max(plain["dma"], plain["cube"])
    assert piped["work"] == pytest.approx(longer)
    assert plain["work"] == pytest.approx(longer + 0.75 * min(plain["dma"], plain["cube"]))
    assert piped["wall"] == pytest.approx(longer + 3.0 + 4 * 2.0)  # launch + 4 task dispatches


def _vector_stage(name, nbytes, reads=(), writes=()):
    return StageStats(name, tasks=1, gm_read_bytes=nbytes, gm_transfers=1, gm_segments=1,
                      reads=set(reads), writes=set(writes))  # fmt: skip


def test_independent_stages_overlap_and_dependent_ones_wait():
    a = _vector_stage("a", 1_000_000, reads={"x"}, writes={"t"})
    b = _vector_stage("b", 2_000_000, reads={"x"}, writes={"u"})  # independent of a
    c = _vector_stage("c", 500_000, reads={"t", "u"}, writes={"y"})  # needs a and b
    span = {s.name: stage_times(s, PLATFORM)["span"] for s in (a, b, c)}
    (sa, fa), (sb, fb), (sc, fc) = kernel_schedule([a, b, c], PLATFORM)
    assert (sa, fa) == (3.0, pytest.approx(3.0 + span["a"]))  # submitted after one launch
    assert sb == pytest.approx(6.0)  # submitted one launch after a, runs before a finishes
    assert fb == pytest.approx(6.0 + span["b"])
    assert sc == pytest.approx(max(fa, fb)) and fc == pytest.approx(sc + span["c"])
    assert kernel_time([a, b, c], PLATFORM) == pytest.approx(fc)
    assert fc < sum(stage_times(s, PLATFORM)["wall"] for s in (a, b, c))


def test_write_after_read_and_write_after_write_order_stages():
    reader = _vector_stage("r", 1_000_000, reads={"buf"})
    writer = _vector_stage("w", 1_000, writes={"buf"})
    rewriter = _vector_stage("w2", 1_000, writes={"buf"})
    (_, f0), (s1, f1), (s2, _) = kernel_schedule([reader, writer, rewriter], PLATFORM)
    assert s1 == pytest.approx(f0)  # WAR: the writer waits for the reader
    assert s2 == pytest.approx(f1)  # WAW


def test_the_kernel_takes_at_least_the_cores_and_hbm_time_for_all_the_work():
    # 60 independent one-task stages on 48 AIV: the schedule alone would overlap them all.
    platform = dataclasses.replace(PLATFORM, stage_dispatch_us=0.0)
    stages = [_vector_stage(f"s{i}", 4_000_000, reads={"x"}, writes={f"y{i}"}) for i in range(60)]
    work = stage_times(stages[0], platform)["work"]
    span = max(f for _, f in kernel_schedule(stages, platform))
    assert span == pytest.approx(stage_times(stages[0], platform)["span"])
    cores_us, hbm_us = 60 * work / 48, 60 * 4_000_000 / 1.6e12 * 1e6
    assert span < cores_us < hbm_us  # 240 MB through one HBM: the bandwidth bounds the kernel
    assert kernel_time(stages, platform) == pytest.approx(hbm_us)
    few = stages[:12]  # 48 MB: now the 12 one-core stages' own time is the longest
    assert kernel_time(few, platform) == pytest.approx(span)
    many = [_vector_stage(f"s{i}", 1000, reads={"x"}, writes={f"y{i}"}) for i in range(60)]
    assert kernel_time(many, platform) == pytest.approx(60 * 2.0)  # one scheduler: 60 tasks


def test_rows_shorter_than_a_burst_cost_a_whole_burst():
    long_rows = StageStats("l", tasks=1, gm_read_bytes=1_024_000, gm_transfers=1, gm_segments=1000)
    short_rows = StageStats("s", tasks=1, gm_read_bytes=64_000, gm_transfers=1, gm_segments=1000)
    per_byte = 1e6 / 100e9  # us per byte on one core
    assert stage_times(long_rows, PLATFORM)["dma"] == pytest.approx(1_024_000 * per_byte + 0.5)
    # 64-byte rows move at the cost of 256-byte bursts
    assert stage_times(short_rows, PLATFORM)["dma"] == pytest.approx(256_000 * per_byte + 0.5)
