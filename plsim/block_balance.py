"""The ``block_balance`` scheduling term: a launch lasts as long as its busiest core.

The stage formula (plsim.accounting.stage_times) divides a stage's whole work by the cores its
tasks keep busy, which is exact when every task of a launch does the same work (``placement``
then counts the waves of a launch of more blocks than cores). When the blocks differ (a request
longer than another, a block that takes 11 items where others take 10) the launch ends when its
busiest core does: the runtime hands each block to the first core that is free, and "blocks
that finish at different times leave their cores idle until the whole grid retires" (pypto
docs/en/user/performance/02-runtime-overhead.md, "Use SPMD").

plsim records each task's own counts (``StageStats.task_loads``, one list per task in the
order the tasks ran, laid out as below). Under the term each task is timed with the stage
formula's per-core rates, the launch's tasks are handed out in order to the first free of the
stage's cores, and the stage's work is scaled by

    makespan of the tasks' own times / makespan of as many tasks of their mean time

which is 1 exactly when a launch's tasks are alike (the waves of alike tasks stay the stage
formula's business), above 1 when some core holds more of the work than the even share would
give it, and below 1 when a short last task finishes a wave early.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from plsim.hardware import Platform
from plsim.scheduling import priced_counts

#: The term's name in Platform.terms.
TERM = "block_balance"


# A task's counts are a list (a JSON record stores the same list), by these positions: the
# stage's launch the task belongs to (from 0), its vector element-ops, its cube MACs by operand
# dtype (a dict), GM bytes, transfers, contiguous segments, scalar GM reads and the data cache
# lines they filled.
LAUNCH, VECTOR_OPS, CUBE_MACS, GM_BYTES, GM_TRANSFERS, GM_SEGMENTS, SCALAR_READS, SCALAR_LINES = (
    range(8)
)


def new_load(launch: int) -> list:
    """A running task's counts, all zero (updated in place by plsim.counting)."""
    return [launch, 0, {}, 0, 0, 0, 0, 0]


def task_seconds(load: Sequence, lanes: int, overlap: float, platform: Platform) -> float:
    """A task's modeled time on one core, in seconds: the stage formula's DMA (its bytes, at
    least a burst per segment, at one core's DMA bandwidth, plus an issue latency per
    transfer, both as plsim.scheduling prices them) and compute (cube MACs at the AIC's rate
    per dtype, vector element-ops over ``lanes`` AIVs), ``overlap`` of the shorter hidden."""
    _, vector_ops, macs, nbytes, transfers, segments, reads, lines = load
    transfers, segments = priced_counts(transfers, segments, reads, lines, platform)
    dma = max(nbytes, segments * platform.dma_burst_bytes) / platform.core_dma_bytes_per_s
    dma += transfers * platform.dma_issue_us * 1e-6
    cube = sum(n / platform.cube_macs_per_second(d) for d, n in macs.items())
    vector = vector_ops / (platform.vector_ops_per_second() * lanes)
    compute = max(cube, vector)
    return dma + compute - overlap * min(dma, compute)


def makespan(times: Sequence[float], cores: int) -> float:
    """When the last of ``times`` ends, each task handed in order to the first free of
    ``cores`` cores."""
    free = [0.0] * max(1, min(cores, len(times)))
    for t in times:
        heapq.heapreplace(free, free[0] + t)
    return max(free)


#: Ratios this close to 1 are 1: a launch of alike tasks, up to the rounding of the sums.
EXACT = 1e-9


def balance(loads: Sequence[Sequence], cores: int, per_launch: bool, lanes: int, overlap: float,
            platform: Platform) -> float:  # fmt: skip
    """The factor the stage's work is scaled by (module docstring): the makespan of the tasks'
    own times on ``cores`` cores over the makespan of as many tasks of their mean time, so that
    alike tasks give exactly 1 and the waves stay the stage formula's business.
    ``per_launch`` (plsim.scheduling.waves_per_launch): the stage formula runs each SPMD
    launch's waves after the last launch's, so each launch is handed out on its own and the
    makespans are summed; otherwise all the tasks share the cores. 1.0 without the term or
    without per-task counts."""
    if TERM not in platform.terms or not loads:
        return 1.0
    times = [task_seconds(load, lanes, overlap, platform) for load in loads]
    total = sum(times)
    if total <= 0.0:
        return 1.0
    groups: dict[int, list[float]] = {}
    for load, t in zip(loads, times):
        groups.setdefault(int(load[LAUNCH]) if per_launch else 0, []).append(t)
    mean = total / len(times)
    actual = sum(makespan(group, cores) for group in groups.values())
    even = sum(makespan([mean] * len(group), cores) for group in groups.values())
    ratio = actual / even
    return 1.0 if abs(ratio - 1.0) < EXACT else ratio
