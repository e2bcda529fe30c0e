"""Per-stage accounting, the modeled time, compulsory traffic, the Run result and its trace.

Counting rules: GM bytes are the valid rectangles moved by loads and stores (and 1 element per
InCore pl.read/pl.write); each such DMA transfer also counts its contiguous GM segments (runs of
consecutive addresses: a [16, 64] FP32 window of a [16, 4096] tensor is 16 segments of 256 B,
a whole contiguous tensor is 1); cube MACs are M x N x K of the physical operand tiles (the cube
computes padded rows too), keyed by operand dtype; vector element operations are the valid
elements each vector op produces (a reduction counts the elements it reads). Loads and stores
are DMA, not vector work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from plsim import block_balance, scheduling
from plsim.hardware import Platform


@dataclass
class StageStats:
    """Accounting of all tasks of one scope name_hint."""

    name: str
    tasks: int = 0
    gm_read_bytes: int = 0
    gm_write_bytes: int = 0
    gm_transfers: int = 0
    gm_segments: int = 0
    cube_macs: int = 0
    cube_macs_by_dtype: dict[str, int] = field(default_factory=dict)
    vector_ops: int = 0
    # Bytes moved to (write) or from (read) another rank's window; also counted in gm_*_bytes.
    remote_read_bytes: int = 0
    remote_write_bytes: int = 0
    pipelined: bool = False  # a pl.pipeline(stage >= 2) loop runs in its tasks
    # Scheduling, counted exactly (docs/cost_model.md "Scheduling"): dispatches (a pl.at entry,
    # an incore call, one per pl.spmd launch however many blocks it fans out to); the deepest
    # pl.pipeline stage= and the entries and iterations of those loops; allow_early_resolve on
    # the scope; a vector split over the two AIVs of a core group (pl.split / pl.split_aiv).
    launches: int = 0
    pipeline_depth: int = 1
    pipeline_loops: int = 0
    pipeline_iterations: int = 0
    # pl.pipeline(stage >= 2) loops whose iterations hand tiles between the cube and the AIVs
    # both ways: pypto builds them sequential (plsim.pipeline_crossings), so they are counted
    # here and not above (the "round_trip_demotion" term of plsim.scheduling).
    round_trip_depth: int = 1
    round_trip_loops: int = 0
    round_trip_iterations: int = 0
    early_resolve: bool = False
    vector_split: bool = False
    # Bytes handed between the cube and vector kernels of the stage's tasks, per direction
    # (plsim.checks.crossing_bytes): counted, not priced.
    cube_to_vector_bytes: int = 0
    vector_to_cube_bytes: int = 0
    # Scalar GM reads (pl.read of a tensor in a task; each also counted as a transfer of its
    # bytes above) and the 64-byte data cache lines they filled (plsim.scalar_cache).
    scalar_reads: int = 0
    scalar_read_lines: int = 0
    # Each task's own counts, in the order the tasks ran (a list each, laid out as
    # plsim.block_balance says): the "block_balance" term's input.
    task_loads: list = field(default_factory=list, repr=False)
    # GM buffers (opaque keys) the stage's transfers read and write: the data dependences
    # between stages that kernel_time schedules by.
    reads: set = field(default_factory=set)
    writes: set = field(default_factory=set)
    # The buffers behind those keys, held while the kernel runs so that no key (an id) is
    # reused by a later buffer; plsim.run empties it when the run ends.
    held: list = field(default_factory=list, repr=False, compare=False)
    modeled_us: float = 0.0
    # The model term that sets modeled_us ("task floor", "GM", "cube" or "vector") and the
    # share of modeled_us it explains (see stage_bound).
    bound: str = ""
    bound_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return {
            "name": self.name,
            "tasks": self.tasks,
            "gm_read_bytes": self.gm_read_bytes,
            "gm_write_bytes": self.gm_write_bytes,
            "gm_transfers": self.gm_transfers,
            "gm_segments": self.gm_segments,
            "cube_macs": self.cube_macs,
            "cube_macs_by_dtype": dict(self.cube_macs_by_dtype),
            "vector_ops": self.vector_ops,
            "remote_read_bytes": self.remote_read_bytes,
            "remote_write_bytes": self.remote_write_bytes,
            "pipelined": self.pipelined,
            "launches": self.launches,
            "pipeline_depth": self.pipeline_depth,
            "pipeline_loops": self.pipeline_loops,
            "pipeline_iterations": self.pipeline_iterations,
            "round_trip_depth": self.round_trip_depth,
            "round_trip_loops": self.round_trip_loops,
            "round_trip_iterations": self.round_trip_iterations,
            "early_resolve": self.early_resolve,
            "vector_split": self.vector_split,
            "cube_to_vector_bytes": self.cube_to_vector_bytes,
            "vector_to_cube_bytes": self.vector_to_cube_bytes,
            "scalar_reads": self.scalar_reads,
            "scalar_read_lines": self.scalar_read_lines,
            "task_loads": [list(load) for load in self.task_loads],
            "reads": sorted(self.reads),
            "writes": sorted(self.writes),
            "modeled_us": self.modeled_us,
            "bound": self.bound,
            "bound_share": self.bound_share,
        }


@dataclass
class Traffic:
    """Whole-kernel GM traffic against the compulsory minimum (parameters read/written once)."""

    gm_bytes: int
    compulsory_bytes: int

    @property
    def ratio(self) -> float:
        """gm_bytes / compulsory_bytes (inf when nothing compulsory moved)."""
        if self.compulsory_bytes == 0:
            return math.inf if self.gm_bytes else 1.0
        return self.gm_bytes / self.compulsory_bytes

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ratio included)."""
        return {
            "gm_bytes": self.gm_bytes,
            "compulsory_bytes": self.compulsory_bytes,
            "ratio": self.ratio,
        }


def contiguous_segments(shape, strides) -> int:
    """Number of runs of consecutive GM addresses in a strided window (element strides)."""
    total = math.prod(shape)
    if total == 0:
        return 0
    run = 1
    for n, stride in zip(reversed(shape), reversed(strides)):
        if n == 1:
            continue
        if stride != run:
            break
        run *= n
    return total // run


def count_transfer(stats: StageStats, direction: str, nbytes: int, region, owner=None) -> None:
    """Account one DMA transfer of ``nbytes`` over the GM window ``region`` (a GMTensor);
    ``owner`` is the GM buffer the dependence sets name (default: the region's buffer)."""
    if owner is None:
        owner = getattr(region, "buf", region)
    key = id(owner)
    seen = stats.reads if direction == "read" else stats.writes
    if key not in seen:
        seen.add(key)
        stats.held.append(owner)
    if direction == "read":
        stats.gm_read_bytes += nbytes
    else:
        stats.gm_write_bytes += nbytes
    if nbytes:
        stats.gm_transfers += 1
        stats.gm_segments += contiguous_segments(region.shape, region.strides)


def stage_times(stats: StageStats, platform: Platform) -> dict[str, float]:
    """The model's terms for one stage, in microseconds (see plsim.hardware for the model).

    ``dma``: bytes (at least one burst per contiguous segment), over the bandwidth of the cores the
    stage occupies (capped by HBM), plus an issue latency per transfer spread over those cores;
    ``cube``/``vector``: work over the rate of the cores the stage's tasks keep busy;
    ``work``: DMA and compute with the overlapped share hidden (a larger share in stages that
    run a multi-buffered pl.pipeline loop); ``dispatch``: the scheduler handing the stage's
    dispatches to cores one after another; ``span``: work + dispatch, the stage running;
    ``launch``: the orchestration submitting the stage (``stage_dispatch_us``); ``wall``:
    span + launch, the stage on its own. Core counts, dispatches and the pipelined share follow
    the scheduling terms of plsim.scheduling.
    """
    uses_cube = stats.cube_macs > 0
    cores = platform.cube_cores if uses_cube else platform.vector_cores
    active = scheduling.parallel(stats, cores, platform)
    cube_active = scheduling.parallel(stats, platform.cube_cores, platform)
    vector_active = scheduling.vector_lanes(stats, platform)
    bandwidth = min(platform.hbm_bytes_per_s, active * platform.core_dma_bytes_per_s)
    moved = stats.gm_read_bytes + stats.gm_write_bytes
    # A contiguous segment costs at least one DMA burst: rows shorter than dma_burst_bytes move
    # at the cost of a whole burst (the compiler's PH001 hint). Segments are taken as equally
    # long within a stage (its counts are totals).
    transfers, segments = scheduling.priced_transfers(stats, platform)
    dma = max(moved, segments * platform.dma_burst_bytes) / bandwidth
    dma += transfers / active * platform.dma_issue_us * 1e-6
    cube = sum(
        macs / (platform.cube_macs_per_second(dtype) * cube_active)
        for dtype, macs in stats.cube_macs_by_dtype.items()
    )
    vector = stats.vector_ops / (platform.vector_ops_per_second() * vector_active)
    compute = max(cube, vector)
    overlap = scheduling.pipelined_share(stats, platform)
    if overlap is None:
        overlap = platform.dma_compute_overlap
    balance = block_balance.balance(
        stats.task_loads, cores, scheduling.waves_per_launch(stats, cores, platform),
        scheduling.lanes_per_task(stats, platform), overlap, platform,
    )  # fmt: skip
    work = (dma + compute - overlap * min(dma, compute)) * balance * 1e6
    dispatch = scheduling.dispatch_us(stats, platform)
    launch = platform.stage_dispatch_us
    return {
        "dma": dma * 1e6,
        "cube": cube * 1e6,
        "vector": vector * 1e6,
        "work": work,
        "active": active,
        "dispatch": dispatch,
        "span": work + dispatch,
        "launch": launch,
        "wall": work + dispatch + launch,
    }


def _depends(later: StageStats, earlier: StageStats) -> bool:
    """True if ``later`` must wait for ``earlier``: it reads what ``earlier`` writes (RAW),
    or writes what ``earlier`` reads or writes (WAR, WAW)."""
    reads, writes = set(later.reads), set(later.writes)
    before_reads, before_writes = set(earlier.reads), set(earlier.writes)
    return bool(reads & before_writes or writes & (before_reads | before_writes))


def kernel_schedule(stages: list[StageStats], platform: Platform) -> list[tuple[float, float]]:
    """(start, finish) of each stage, in microseconds, as the runtime runs them.

    The orchestration submits the stages in program order, one ``stage_dispatch_us`` each,
    without waiting for them to run; the runtime orders tasks by the tensors they touch, so a
    submitted stage starts once the earlier stages it depends on (``_depends``: RAW, WAR, WAW on
    a GM buffer) have finished, and runs for its ``span``. Independent stages overlap; the
    cores, HBM and scheduler they share are bounded in ``kernel_time``.
    """
    out: list[tuple[float, float]] = []
    submitted = 0.0
    for i, stats in enumerate(stages):
        t = stage_times(stats, platform)
        submitted += t["launch"]
        producers = [j for j in range(i) if _depends(stats, stages[j])]
        ready = max((out[j][1] for j in producers), default=0.0)
        if producers:
            # pre-staged behind early-resolve producers: its pickup is off the critical path
            ready -= scheduling.hidden_pickup_us(stats, [stages[j] for j in producers], platform)
        start = max(submitted, ready)
        out.append((start, start + t["span"]))
    return out


def kernel_time(stages: list[StageStats], platform: Platform) -> float:
    """Modeled wall time of a whole kernel, in microseconds: the end of ``kernel_schedule``,
    and at least what the shared resources need for all stages together: each core kind's busy
    time over its core count, all GM bytes over HBM bandwidth, and every task's dispatch on the
    one scheduler."""
    if not stages:
        return 0.0
    span = max(finish for _, finish in kernel_schedule(stages, platform))
    busy = {"cube": 0.0, "vector": 0.0}
    moved = 0
    dispatch = 0.0
    for stats in stages:
        t = stage_times(stats, platform)
        kind = "cube" if stats.cube_macs else "vector"
        busy[kind] += t["work"] * t["active"]
        moved += stats.gm_read_bytes + stats.gm_write_bytes
        dispatch += t["dispatch"]
    floor = max(
        busy["cube"] / platform.cube_cores,
        busy["vector"] / platform.vector_cores,
        moved / platform.hbm_bytes_per_s * 1e6,
        dispatch + stage_times(stages[0], platform)["launch"],
    )
    return max(span, floor)


def kernel_floor(stages: list[StageStats], traffic: Traffic, platform: Platform) -> dict[str, Any]:
    """The chip's floor for this kernel, in microseconds: its compulsory GM bytes over HBM
    bandwidth and its cube MACs over the whole chip's peak rate for their operand dtype (a2a3:
    24 AIC x 8192 INT8 MAC/cycle x 1.8 GHz = 353.9 T MAC/s, i.e. 707.8 TOPS), whichever is
    larger. Only documented constants enter it, none of the fitted ones; the MACs are the
    counted ones (padded tile rows included: the cube computes them)."""
    gm_us = traffic.compulsory_bytes / platform.hbm_bytes_per_s * 1e6
    macs: dict[str, int] = {}
    for s in stages:
        for dtype, n in s.cube_macs_by_dtype.items():
            macs[dtype] = macs.get(dtype, 0) + n
    chip = platform.cube_cores
    cube_us = sum(n / (platform.cube_macs_per_second(d) * chip) for d, n in macs.items()) * 1e6
    floor = max(gm_us, cube_us)
    return {
        "floor_us": floor,
        "gm_floor_us": gm_us,
        "cube_floor_us": cube_us,
        "bound": "GM" if gm_us >= cube_us else "cube",
    }


def stage_bound(stats: StageStats, platform: Platform) -> tuple[str, float]:
    """The term that sets a stage's modeled time and the share of it that term explains.

    "task floor" when the launch and dispatch cost is at least the work; otherwise the largest
    of the DMA ("GM"), cube and vector terms, with the work's share of the modeled time.
    """
    times = stage_times(stats, platform)
    if times["wall"] <= 0:
        return "task floor", 0.0
    overhead = times["launch"] + times["dispatch"]
    if overhead >= times["work"]:
        return "task floor", overhead / times["wall"]
    terms = {"GM": times["dma"], "cube": times["cube"], "vector": times["vector"]}
    return max(terms, key=terms.get), times["work"] / times["wall"]


def model_stage(stats: StageStats, platform: Platform) -> float:
    """Modeled wall-clock microseconds of a stage (see plsim.hardware for the model)."""
    return stage_times(stats, platform)["wall"]


class NotCountedError(RuntimeError):
    """A figure asked of a functional-only run, which collected no counts."""


class Run:
    """The result of plsim.run: returns, per-stage stats, traffic, and a trace of the model.

    A functional-only run (``counted`` False) has ``stages`` and ``traffic`` None, and its
    ``modeled_us``, ``floor`` and ``trace()`` raise NotCountedError. ``observers`` are the
    run's observers (plsim.observers; a host run's recorders one after another).
    """

    def __init__(self, returns: tuple, stages: list[StageStats] | None,
                 traffic: Traffic | None, platform, observers: list | None = None):  # fmt: skip
        self.returns = returns
        self.stages = stages
        self.traffic = traffic
        self.platform = platform
        self.observers = list(observers or ())

    @property
    def counted(self) -> bool:
        """False for a functional-only run (no stage counts, traffic or model)."""
        return self.stages is not None

    def observer(self, cls: type) -> Any:
        """The run's first observer that is a ``cls`` (None if it has none)."""
        return next((o for o in self.observers if isinstance(o, cls)), None)

    def _counted_stages(self, what: str) -> list[StageStats]:
        if self.stages is None:
            raise NotCountedError(
                f"{what}: this run was functional-only (plsim.run(..., functional_only=True)); "
                "it collected no counts"
            )
        return self.stages

    @property
    def modeled_us(self) -> float:
        """The kernel's modeled wall time (stages overlap by their dependences: kernel_time)."""
        return kernel_time(self._counted_stages("modeled_us"), self.platform)

    @property
    def floor(self) -> dict[str, Any]:
        """The chip's floor for the kernel and the modeled time over it (kernel_floor)."""
        out = kernel_floor(self._counted_stages("floor"), self.traffic, self.platform)
        out["modeled_over_floor"] = self.modeled_us / out["floor_us"] if out["floor_us"] else None
        return out

    def trace(self) -> dict[str, Any]:
        """Chrome/Perfetto trace-event JSON of the modeled stages, each running from its start to
        its finish in kernel_schedule (the kernel begins at 0 with the first stage's submission;
        independent stages overlap).

        Two tracks: "AIC (cube)" for stages with cube work, "AIV (vector)" for stages with
        vector work or data movement (a mixed stage appears on both).
        """
        events: list[dict[str, Any]] = [
            {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "plsim model"}},
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "AIC (cube)"}},
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": 2,
             "args": {"name": "AIV (vector)"}},
        ]  # fmt: skip
        schedule = kernel_schedule(self._counted_stages("trace"), self.platform)
        for s, (t, finish) in zip(self.stages, schedule):
            args = s.to_dict()
            tracks = []
            if s.cube_macs:
                tracks.append(1)
            if s.vector_ops or not s.cube_macs:
                tracks.append(2)
            for tid in tracks:
                events.append(
                    {"name": s.name, "cat": "stage", "ph": "X", "pid": 1, "tid": tid,
                     "ts": t, "dur": finish - t, "args": args}
                )  # fmt: skip
        return {"traceEvents": events, "displayTimeUnit": "ns"}

    def __repr__(self) -> str:
        if self.stages is None:
            return f"Run(returns={len(self.returns)}, functional-only)"
        return f"Run(returns={len(self.returns)}, stages={[s.name for s in self.stages]})"
