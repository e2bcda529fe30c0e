"""The cost model's scheduling terms: what a kernel's schedule (not its work) costs.

Each term reads exact counts that plsim records per stage (plsim.accounting.StageStats) and
is switched by name in ``Platform.terms`` so that its effect can be measured on its own
(``python -m plsim_tools.calibration_terms``, docs/cost_model_calibration.md):

- ``spmd_bundle``: a ``pl.spmd(N)`` launch is one dispatch that the runtime fans out to its N
  blocks ("N blocks cost one dispatch instead of N", pypto docs/en/user/performance/
  02-runtime-overhead.md); each further block costs ``block_dispatch_us``, not a task dispatch.
- ``placement``: where a stage's tasks run. A stage with cube and vector work is a mixed
  kernel on core groups (1 AIC + 2 AIV, 24 on a2a3): its vector work gets one AIV per task, or
  both AIVs of the group under a vector split (``pl.split(UP_DOWN/LEFT_RIGHT)``,
  ``pl.split_aiv``; same page, "Build a mixed kernel"); a pure vector stage gets one AIV per
  task (48), a pure cube stage one AIC. An SPMD launch of more blocks than cores runs in waves
  ("blocks that finish at different times leave their cores idle until the whole grid
  retires", same page): ``ceil(N / cores)`` waves of one block per core.
- ``pipeline_depth``: a ``pl.pipeline(stage=d)`` loop keeps ``d`` buffers in flight; each
  buffer beyond the first gives a transfer another chance to hide under compute, so the hidden
  share is ``1 - (1 - p) ** (d - 1)`` of ``pipelined_overlap = p`` at depth 2, and the loop's
  first ``d - 1`` iterations fill the pipeline without overlap (pypto
  docs/en/user/performance/04-incore.md, "Double buffering": the loop advances in strides of
  ``stage``, depths 2-4 usual).
- ``early_resolve``: a consumer all of whose producers are flagged ``allow_early_resolve=True``
  is pre-staged on a core and released the moment they finish, so its pickup latency (one task
  dispatch, "~0.8 us per switch" in pypto docs/en/user/performance/00-swimlane.md) leaves the
  critical path (docs/en/user/tasks/03-tuning.md).
- ``scalar_dcache``: a scalar read of GM (``pl.read`` of a tensor in a task) goes through the
  core's data cache, which fills whole 64-byte lines (CANN's Ascend C guide, "Reading/Writing
  Data by the Scalar Unit"); the model prices each line fill as one transfer and one segment
  and the reads it serves as nothing (plsim.scalar_cache). Without the term every scalar read
  is priced as a transfer of its own.
- ``round_trip_demotion``: a ``pl.pipeline`` loop whose iterations hand tiles between the cube
  and the AIVs both ways (a round trip) is built as a sequential loop by pypto's
  SkewCrossCorePipeline pass (measured: plsim.pipeline_crossings), so it hides nothing. Without
  the term it is credited like any other ``pl.pipeline`` loop.
- ``block_balance``: a launch lasts as long as its busiest core. The stage's work is scaled by
  the makespan of its tasks' own times (each handed to the first free core) over their even
  share (plsim.block_balance): 1 when the tasks are alike, more when a core holds more of the
  work (pypto's "Use SPMD": blocks that finish early idle until the grid retires).
"""

from __future__ import annotations

import math
from typing import Protocol

from plsim.hardware import Platform


class StageStats(Protocol):
    """The counts of a stage the terms read (plsim.accounting.StageStats has them; named here,
    not imported, because plsim.accounting imports this module)."""

    tasks: int
    launches: int
    cube_macs: int
    vector_split: bool
    pipelined: bool
    pipeline_depth: int
    pipeline_loops: int
    pipeline_iterations: int
    round_trip_depth: int
    round_trip_loops: int
    round_trip_iterations: int
    early_resolve: bool
    gm_transfers: int
    gm_segments: int
    scalar_reads: int
    scalar_read_lines: int

#: Every scheduling term, by the name Platform.terms switches it with.
TERMS: tuple[str, ...] = (
    "spmd_bundle", "placement", "pipeline_depth", "early_resolve", "scalar_dcache",
    "round_trip_demotion", "block_balance",
)  # fmt: skip


def priced_counts(transfers: int, segments: int, scalar_reads: int, scalar_read_lines: int,
                  platform: Platform) -> tuple[int, int]:  # fmt: skip
    """(transfers, contiguous segments) the model prices of the counted ones: the scalar reads
    among them replaced by their data cache line fills under ``scalar_dcache``."""
    if "scalar_dcache" not in platform.terms:
        return transfers, segments
    saved = scalar_reads - scalar_read_lines
    return transfers - saved, segments - saved


def priced_transfers(stats: StageStats, platform: Platform) -> tuple[int, int]:
    """``priced_counts`` of a stage."""
    return priced_counts(stats.gm_transfers, stats.gm_segments, stats.scalar_reads,
                         stats.scalar_read_lines, platform)  # fmt: skip


def launches(stats: StageStats) -> int:
    """Dispatches of the stage; a stage without the count (older records) is one per task."""
    return stats.launches if stats.launches > 0 else max(stats.tasks, 1)


def dispatch_us(stats: StageStats, platform: Platform) -> float:
    """The scheduler's time handing out the stage's tasks, in microseconds.

    Without ``spmd_bundle`` every task (SPMD block or not) is a dispatch of its own."""
    tasks = max(stats.tasks, 1)
    if "spmd_bundle" not in platform.terms:
        return platform.task_dispatch_us * tasks
    n = min(launches(stats), tasks)
    return platform.task_dispatch_us * n + platform.block_dispatch_us * (tasks - n)


def parallel(stats: StageStats, cores: int, platform: Platform) -> float:
    """How many of ``cores`` the stage's tasks keep busy on average.

    ``min(tasks, cores)``; under ``placement`` an SPMD launch of N > cores blocks runs in
    ``ceil(N / cores)`` waves, so it keeps ``N / waves`` busy."""
    tasks = max(stats.tasks, 1)
    if not waves_per_launch(stats, cores, platform):
        return float(min(tasks, cores))
    per_launch = tasks / stats.launches
    return per_launch / math.ceil(per_launch / cores)


def waves_per_launch(stats: StageStats, cores: int, platform: Platform) -> bool:
    """Whether each of the stage's SPMD launches runs in waves of its own, one launch after
    another: under ``placement``, launches of more blocks than ``cores``. Otherwise every task
    is taken to share the cores at once."""
    tasks = max(stats.tasks, 1)
    return ("placement" in platform.terms and 0 < stats.launches < tasks
            and tasks / stats.launches > cores)  # fmt: skip


def lanes_per_task(stats: StageStats, platform: Platform) -> int:
    """AIVs one task's vector work runs on: under ``placement`` both of its core group's in a
    mixed stage with a vector split, else one."""
    return 2 if "placement" in platform.terms and stats.cube_macs and stats.vector_split else 1


def vector_lanes(stats: StageStats, platform: Platform) -> float:
    """AIV cores the stage's vector work runs on at once.

    Under ``placement`` a mixed stage (cube and vector work) runs on core groups: one AIV per
    task, two under a vector split, at most one group per AIC; otherwise one AIV per task."""
    if "placement" not in platform.terms or not stats.cube_macs:
        return parallel(stats, platform.vector_cores, platform)
    return min(parallel(stats, platform.cube_cores, platform) * lanes_per_task(stats, platform),
               float(platform.vector_cores))  # fmt: skip


def credited_pipeline(stats: StageStats, platform: Platform) -> tuple[bool, int, int, int]:
    """(credited, deepest stage=, loops, iterations) of the stage's ``pl.pipeline(stage >= 2)``
    loops that the model credits with an overlap: the one-way loops, and without
    ``round_trip_demotion`` the round-trip loops too."""
    one_way = (stats.pipelined, stats.pipeline_depth, stats.pipeline_loops,
               stats.pipeline_iterations)  # fmt: skip
    if "round_trip_demotion" in platform.terms or not stats.round_trip_loops:
        return one_way
    return (True, max(stats.pipeline_depth, stats.round_trip_depth),
            stats.pipeline_loops + stats.round_trip_loops,
            stats.pipeline_iterations + stats.round_trip_iterations)  # fmt: skip


def pipelined_share(stats: StageStats, platform: Platform) -> float | None:
    """The share of min(DMA, compute) hidden in a stage that runs a credited pl.pipeline(stage
    >= 2) loop (``credited_pipeline``), None for a stage without one: ``pipelined_overlap`` at
    any depth without ``pipeline_depth``; with it, deeper buffering hides more and the fill
    iterations hide nothing."""
    credited, depth, loops, iterations = credited_pipeline(stats, platform)
    if not credited:
        return None
    p = platform.pipelined_overlap
    if "pipeline_depth" not in platform.terms:
        return p
    depth = max(depth, 2)
    share = 1.0 - (1.0 - p) ** (depth - 1)
    if iterations > 0:
        filled = loops * (depth - 1) / iterations
        share *= max(0.0, 1.0 - filled)
    return share


def hidden_pickup_us(consumer: StageStats, producers: list[StageStats],
                     platform: Platform) -> float:  # fmt: skip
    """Microseconds of ``consumer``'s start taken off the critical path because every stage it
    waits for is flagged allow_early_resolve (its first pickup, at most its dispatch)."""
    if "early_resolve" not in platform.terms or not producers:
        return 0.0
    if not all(p.early_resolve for p in producers):
        return 0.0
    return min(platform.task_dispatch_us, dispatch_us(consumer, platform))
