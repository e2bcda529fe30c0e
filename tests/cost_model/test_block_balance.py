"""The ``block_balance`` term (plsim.block_balance): plsim records each task's own counts, and a
launch whose blocks differ lasts as long as its busiest core. Expected factors are worked out
from the kernels' structure, not from the code under test."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pytest

import plsim
from plsim.accounting import stage_times
from plsim.block_balance import TERM, makespan
from plsim.hardware import A2A3

C = 64
KERNELS = textwrap.dedent('''
    import pypto.language as pl

    C = 64


    @pl.jit
    def blocks(x: pl.Tensor[[64, C], pl.FP32], out: pl.Out[pl.Tensor[[64, C], pl.FP32]],
               out2: pl.Out[pl.Tensor[[64, C], pl.FP32]]):
        # Block b doubles its 16 rows b + 1 times: the same step 1, 2, 3 and 4 times.
        with pl.spmd(4, allow_early_resolve=True):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="uneven"):
                b = pl.tile.get_block_idx()
                for _k in pl.range(b + 1):
                    out[b * 16 : b * 16 + 16, :] = pl.mul(x[b * 16 : b * 16 + 16, :], 2.0)
        # Every block the same step once.
        with pl.spmd(4, allow_early_resolve=True):
            with pl.at(level=pl.Level.CORE_GROUP, name_hint="even"):
                b = pl.tile.get_block_idx()
                out2[b * 16 : b * 16 + 16, :] = pl.mul(x[b * 16 : b * 16 + 16, :], 3.0)
        return out, out2
''')


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    path = tmp_path_factory.mktemp("balance") / "balance_kernel.py"
    path.write_text(KERNELS, encoding="utf-8")
    module = plsim.load(str(path))
    x = np.arange(64 * C, dtype=np.float32).reshape(64, C)
    out, out2 = np.zeros_like(x), np.zeros_like(x)
    run = plsim.run(module.blocks, x, out, out2)
    np.testing.assert_array_equal(out, x * 2)  # the kernel ran as written
    np.testing.assert_array_equal(out2, x * 3)
    return {s.name: s for s in run.stages}


WITHOUT = dataclasses.replace(A2A3, terms=A2A3.terms - {TERM})


def test_each_task_records_its_own_counts(stages):
    loads = stages["uneven"].task_loads
    assert len(loads) == 4
    for b, (launch, vector_ops, macs, nbytes, transfers, *_rest) in enumerate(loads):
        steps = b + 1
        assert launch == 0  # one pl.spmd launch
        assert vector_ops == steps * 16 * C  # one mul of 16 x 64 a step
        assert (nbytes, transfers) == (steps * 2 * 16 * C * 4, steps * 2)  # a load and a store
        assert macs == {}
    assert sum(load[1] for load in loads) == stages["uneven"].vector_ops


def test_alike_blocks_leave_the_stage_as_it_was(stages):
    even = stages["even"]
    assert stage_times(even, A2A3) == stage_times(even, WITHOUT)


def test_a_launch_lasts_as_long_as_its_busiest_block(stages):
    """4 blocks on 48 AIVs, block b doing b + 1 equal steps: the busiest does 4 steps where the
    stage formula spreads 10 evenly over 4 cores (2.5 each), so the work is 4 / 2.5 = 1.6 times
    the formula's."""
    uneven = stages["uneven"]
    with_term, without = stage_times(uneven, A2A3), stage_times(uneven, WITHOUT)
    assert with_term["work"] == pytest.approx(without["work"] * 4 / 2.5, rel=1e-12)
    # only the work: dispatch and launch are the scheduler's, as before
    assert with_term["dispatch"] == without["dispatch"]
    assert with_term["launch"] == without["launch"]


def test_blocks_go_to_the_first_free_core():
    assert makespan([3.0, 1.0, 1.0, 1.0], 2) == 3.0  # the 1s share the second core
    assert makespan([1.0] * 5, 2) == 3.0  # three waves
    assert makespan([1.0, 1.0, 4.0], 2) == 5.0  # the 4 waits for the first core to free
    assert makespan([2.0, 5.0], 8) == 5.0  # more cores than blocks


def test_a_record_read_back_from_json_is_priced_the_same(stages):
    """Calibration runs store StageStats.to_dict as JSON and price the dicts they read back."""
    uneven = stages["uneven"]
    record = uneven.to_dict()
    fields = {f.name for f in dataclasses.fields(type(uneven))}
    again = type(uneven)(**{k: v for k, v in record.items() if k in fields})
    assert again.task_loads == [list(load) for load in uneven.task_loads]
    assert stage_times(again, A2A3) == stage_times(uneven, A2A3)
