"""The scalar data cache the cost model counts (plsim.scalar_cache): which scalar GM reads fill a
64-byte line, per task, and how the ``scalar_dcache`` term prices them."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pytest

import plsim
from plsim.accounting import StageStats, stage_times
from plsim.hardware import A2A3
from plsim.scalar_cache import LINE_BYTES, LINES, LineCache

KERNELS = textwrap.dedent('''
    import pypto.language as pl


    @pl.jit
    def reads(idx: pl.Tensor[[1024], pl.INT32], out: pl.Out[pl.Tensor[[4, 16], pl.FP32]]):
        with pl.spmd(2):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="consecutive"):
                b = pl.tile.get_block_idx()
                total = pl.read(idx, [0])
                for i in pl.range(1, 40):
                    total = total + pl.read(idx, [i])
                out[b : b + 1, :] = pl.full([1, 16], dtype=pl.FP32, value=0.0)
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="strided"):
            total = pl.read(idx, [0])
            for i in pl.range(1, 20):
                total = total + pl.read(idx, [16 * i])
            out[2:3, :] = pl.full([1, 16], dtype=pl.FP32, value=0.0)
        return out
''')


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    path = tmp_path_factory.mktemp("dcache") / "dcache_kernel.py"
    path.write_text(KERNELS, encoding="utf-8")
    module = plsim.load(str(path))
    run = plsim.run(module.reads, np.arange(1024, dtype=np.int32), np.zeros((4, 16), np.float32))
    return {s.name: s for s in run.stages}


def test_consecutive_reads_fill_one_line_per_16_int32_and_each_task_starts_cold(stages):
    s = stages["consecutive"]
    # per task: 40 reads of 4 bytes = 160 bytes = lines 0, 1 and 2; two tasks
    assert (s.tasks, s.scalar_reads, s.scalar_read_lines) == (2, 80, 6)
    assert s.gm_transfers == 80 + 2  # every read is still counted, plus the two row stores


def test_reads_a_line_apart_fill_a_line_each(stages):
    s = stages["strided"]
    assert (s.scalar_reads, s.scalar_read_lines) == (20, 20)


def test_the_least_recently_used_line_leaves_a_full_cache():
    cache = LineCache()
    assert cache.read("t", 0) and not cache.read("t", LINE_BYTES - 1)
    for line in range(1, LINES):
        assert cache.read("t", line * LINE_BYTES)
    assert not cache.read("t", 0)  # line 0 used again: line 1 is now the oldest
    assert cache.read("t", LINES * LINE_BYTES)  # one line too many evicts line 1
    assert not cache.read("t", 0)
    assert cache.read("t", LINE_BYTES)
    assert cache.read("u", 0)  # another buffer's line 0 is a line of its own


P = dataclasses.replace(A2A3, core_dma_bytes_per_s=100e9, dma_burst_bytes=32.0,
                        dma_issue_us=0.5, dma_compute_overlap=0.0)  # fmt: skip


def test_the_term_prices_line_fills_instead_of_reads():
    # 100 transfers on 1 core, 30 of them scalar reads that filled 2 lines: 72 transfers and
    # segments priced with the term (72 bursts of 32 B, 36 us of issue), 100 without.
    s = StageStats("s", tasks=1, launches=1, gm_read_bytes=1000, gm_transfers=100,
                   gm_segments=100, scalar_reads=30, scalar_read_lines=2)  # fmt: skip
    on = stage_times(s, P)["dma"]
    off = stage_times(s, dataclasses.replace(P, terms=P.terms - {"scalar_dcache"}))["dma"]
    assert on == pytest.approx(72 * 32 / 100e9 * 1e6 + 72 * 0.5)
    assert off == pytest.approx(100 * 32 / 100e9 * 1e6 + 100 * 0.5)
