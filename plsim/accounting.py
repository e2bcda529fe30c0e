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


def count_transfer(stats: StageStats, direction: str, nbytes: int, region) -> None:
    """Account one DMA transfer of ``nbytes`` over the GM window ``region`` (a GMTensor)."""
    if direction == "read":
        stats.gm_read_bytes += nbytes
    else:
        stats.gm_write_bytes += nbytes
    if nbytes:
        stats.gm_transfers += 1
        stats.gm_segments += contiguous_segments(region.shape, region.strides)


def stage_times(stats: StageStats, platform: Platform) -> dict[str, float]:
    """The model's terms for one stage, in microseconds (see plsim.hardware for the model).

    ``dma``: bytes plus a fixed cost per contiguous segment, over the bandwidth of the cores the
    stage occupies (capped by HBM), plus an issue latency per transfer spread over those cores;
    ``cube``/``vector``: work over the rate of min(tasks, cores)
    cores; ``work``: DMA and compute with the overlapped share hidden (a larger share in
    stages that run a multi-buffered pl.pipeline loop); ``dispatch``: one stage
    launch plus one task dispatch per wave; ``wall``: work + dispatch.
    """
    tasks = max(stats.tasks, 1)
    uses_cube = stats.cube_macs > 0
    cores = platform.cube_cores if uses_cube else platform.vector_cores
    active = min(tasks, cores)
    bandwidth = min(platform.hbm_bytes_per_s, active * platform.core_dma_bytes_per_s)
    moved = stats.gm_read_bytes + stats.gm_write_bytes
    dma = (moved + stats.gm_segments * platform.dma_segment_bytes) / bandwidth
    dma += stats.gm_transfers / active * platform.dma_issue_us * 1e-6
    cube = sum(
        macs / (platform.cube_macs_per_second(dtype) * min(tasks, platform.cube_cores))
        for dtype, macs in stats.cube_macs_by_dtype.items()
    )
    vector = stats.vector_ops / (
        platform.vector_ops_per_second() * min(tasks, platform.vector_cores)
    )
    compute = max(cube, vector)
    overlap = platform.pipelined_overlap if stats.pipelined else platform.dma_compute_overlap
    work = dma + compute - overlap * min(dma, compute)
    waves = math.ceil(tasks / cores)
    dispatch = platform.stage_dispatch_us + platform.task_dispatch_us * waves
    return {
        "dma": dma * 1e6,
        "cube": cube * 1e6,
        "vector": vector * 1e6,
        "work": work * 1e6,
        "dispatch": dispatch,
        "wall": work * 1e6 + dispatch,
        "waves": float(waves),
    }


def stage_bound(stats: StageStats, platform: Platform) -> tuple[str, float]:
    """The term that sets a stage's modeled time and the share of it that term explains.

    "task floor" when the launch and dispatch cost is at least the work; otherwise the largest
    of the DMA ("GM"), cube and vector terms, with the work's share of the modeled time.
    """
    times = stage_times(stats, platform)
    if times["wall"] <= 0:
        return "task floor", 0.0
    if times["dispatch"] >= times["work"]:
        return "task floor", times["dispatch"] / times["wall"]
    terms = {"GM": times["dma"], "cube": times["cube"], "vector": times["vector"]}
    return max(terms, key=terms.get), times["work"] / times["wall"]


def model_stage(stats: StageStats, platform: Platform) -> float:
    """Modeled wall-clock microseconds of a stage (see plsim.hardware for the model)."""
    return stage_times(stats, platform)["wall"]


class Run:
    """The result of plsim.run: returns, per-stage stats, traffic, and a trace of the model."""

    def __init__(self, returns: tuple, stages: list[StageStats], traffic: Traffic, platform):
        self.returns = returns
        self.stages = stages
        self.traffic = traffic
        self.platform = platform

    def trace(self) -> dict[str, Any]:
        """Chrome/Perfetto trace-event JSON of the modeled stages, laid out in program order.

        Two tracks: "AIC (cube)" for stages with cube work, "AIV (vector)" for stages with
        vector work or data movement (a mixed stage appears on both).
        """
        events: list[dict[str, Any]] = [
            {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "plsim model"}},
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "AIC (cube)"}},
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": 2,
             "args": {"name": "AIV (vector)"}},
        ]  # fmt: skip
        t = 0.0
        for s in self.stages:
            args = s.to_dict()
            tracks = []
            if s.cube_macs:
                tracks.append(1)
            if s.vector_ops or not s.cube_macs:
                tracks.append(2)
            for tid in tracks:
                events.append(
                    {"name": s.name, "cat": "stage", "ph": "X", "pid": 1, "tid": tid,
                     "ts": t, "dur": s.modeled_us, "args": args}
                )  # fmt: skip
            t += s.modeled_us
        return {"traceEvents": events, "displayTimeUnit": "ns"}

    def __repr__(self) -> str:
        return f"Run(returns={len(self.returns)}, stages={[s.name for s in self.stages]})"
