"""Our decode indexer at one benchmark configuration: exact counts, modeled time and floor."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.configs import BenchConfig


@dataclass
class Measured:
    """The figures of one configuration (times in microseconds, modeled on plsim's a2a3 model).

    ``tasks``: InCore tasks (SPMD blocks included); ``dispatches``: of those, the ones the
    scheduler hands out (an SPMD launch is one); ``transfers`` / ``segments``: DMA transfers
    and the contiguous GM runs they touch; ``traffic_ratio``: GM bytes over compulsory bytes;
    ``cross_core_bytes``: the tiles handed between the cube and vector cores, both directions
    (counted, not priced: docs/cost_model.md).
    """

    config: BenchConfig
    passed: bool
    modeled_us: float
    floor_us: float
    floor_bound: str
    traffic_ratio: float
    gm_bytes: int
    tasks: int
    dispatches: int
    transfers: int
    segments: int
    cross_core_bytes: int
    slowest: str  # the stage with the largest modeled time, its time and its bound
    wall_s: float

    @property
    def over_floor(self) -> float:
        """Modeled time over the floor."""
        return self.modeled_us / self.floor_us


def measure(config: BenchConfig) -> Measured:
    """Run the decode indexer case on plsim at ``config`` (its golden checked, as every run of
    the harness does) and collect its figures."""
    from golden.registry import get_case
    from golden.runner import run_case

    start = time.perf_counter()
    report = run_case(get_case("deepseek_v4.indexer"), config.case_config(), "plsim")
    if report.error or not report.stages:
        raise RuntimeError(f"{config.name} {config.cache_format}: {report.error}")
    stages = report.stages
    top = max(stages, key=lambda s: s["modeled_us"])
    slowest = f"{top['name']} {top['modeled_us']:.0f} us, {top['bound']}"
    return Measured(
        config=config,
        passed=report.passed,
        modeled_us=float(report.modeled_us),
        floor_us=float(report.floor["floor_us"]),
        floor_bound=str(report.floor["bound"]),
        traffic_ratio=float(report.traffic["ratio"]),
        gm_bytes=int(report.traffic["gm_bytes"]),
        tasks=sum(s["tasks"] for s in stages),
        dispatches=sum(s["launches"] for s in stages),
        transfers=sum(s["gm_transfers"] for s in stages),
        segments=sum(s["gm_segments"] for s in stages),
        cross_core_bytes=sum(
            s["cube_to_vector_bytes"] + s["vector_to_cube_bytes"] for s in stages
        ),
        slowest=slowest,
        wall_s=time.perf_counter() - start,
    )
