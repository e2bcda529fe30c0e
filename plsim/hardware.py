"""Hardware constants for capacity checks and the cost model (a2a3 and a5), kept in one place.

The time figures are a MODEL calibrated on published device timings of pypto-lib kernels
(docs/cost_model_calibration.md, ``python -m plsim_tools.calibration``). Per stage (one scope
name_hint, all its tasks), with ``active`` = min(tasks, cores of the kind the stage uses):

    dma      = max(gm_bytes, segments x dma_burst_bytes) / min(HBM, active x core DMA bandwidth)
               + transfers / active x dma_issue_us
    compute  = max(cube_macs / (cube rate x active AIC),
                   vector_ops / (vector rate x active AIV))
    work     = dma + compute - overlap x min(dma, compute)
    span     = work + task_dispatch_us x dispatches + block_dispatch_us x (tasks - dispatches)
    wall     = span + stage_dispatch_us                 (the stage on its own)

The scheduling terms (plsim.scheduling, switched by ``Platform.terms``) set the active cores
(a mixed stage on core groups, SPMD waves), the dispatches (one per SPMD launch), the
pipelined overlap (by pl.pipeline depth and trip count), the pickup an early-resolve
producer hides from its consumer, which scalar GM reads are priced (their data cache line
fills, plsim.scalar_cache), and how much longer than the even share a launch of unlike tasks
takes (its busiest core, plsim.block_balance: ``work`` is scaled by that factor).

``segments`` are the contiguous GM runs the transfers touch: a run shorter than one DMA burst
costs a whole burst (the compiler's PH001 hint: innermost dimension below 512 B is inefficient);
``overlap`` is
``pipelined_overlap`` in a stage that runs a multi-buffered ``pl.pipeline(stage >= 2)`` loop and
``dma_compute_overlap`` otherwise. A whole kernel (plsim.accounting.kernel_time) is the end of a
schedule in which the orchestration submits the stages in program order (``stage_dispatch_us``
each) and a stage starts once the earlier stages whose GM buffers it reads or overwrites have
finished; it is at least the cores', HBM's and the scheduler's time for all stages together.
Not modelled: L2 hits, bank conflicts, contention between concurrent stages beyond those bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024


@dataclass(frozen=True)
class Platform:
    """Per-core buffer capacities, core counts and throughput constants of one chip."""

    name: str
    cube_cores: int
    vector_cores: int
    clock_hz: float
    hbm_bytes_per_s: float
    # Usable bytes per memory space (per core): Vec = UB, Mat = L1, Acc = L0C.
    vec_bytes: int
    mat_bytes: int
    acc_bytes: int
    left_bytes: int
    right_bytes: int
    # Cube MACs per cycle per AIC for FP16/BF16 operands (one 16x16x16 fractal per cycle).
    cube_fp16_macs_per_cycle: int
    # Vector element operations per cycle per AIV: the vector unit processes 256 bytes per
    # cycle, i.e. 64 FP32 lanes; FP32 dominates the vector work of the kernels here, so one
    # FP32-lane rate is used for every dtype.
    vector_elems_per_cycle: int
    # Cost model terms fitted on published device timings (docs/cost_model_calibration.md):
    # per-core DMA bandwidth (the MTE engines of one core), bytes/s;
    core_dma_bytes_per_s: float
    # bytes of bandwidth the shortest contiguous GM segment costs (one DMA burst);
    dma_burst_bytes: float
    # issue latency of one DMA transfer (instruction + completion wait), microseconds;
    dma_issue_us: float
    # share of min(DMA, compute) hidden by running transfers and compute at once (0..1), in
    # plain stages and in stages with a multi-buffered pl.pipeline(stage >= 2) loop;
    dma_compute_overlap: float
    pipelined_overlap: float
    # submission of one stage (scope) by the orchestration, and the scheduler's hand-out of
    # one task to a core (serial: a stage of n tasks spends n of them), microseconds.
    stage_dispatch_us: float
    task_dispatch_us: float
    # each block of a pl.spmd launch after the first, fanned out by the runtime from the one
    # dispatch (plsim.scheduling "spmd_bundle"), microseconds.
    block_dispatch_us: float
    # the scheduling terms in force (plsim.scheduling.TERMS); all of them unless a calibration
    # measures one on its own.
    terms: frozenset[str] = frozenset(
        ("spmd_bundle", "placement", "pipeline_depth", "early_resolve", "scalar_dcache",
         "round_trip_demotion", "block_balance")
    )

    @property
    def capacity(self) -> dict[str, int]:
        """Usable bytes per modelled memory space."""
        return {"Vec": self.vec_bytes, "Mat": self.mat_bytes, "Acc": self.acc_bytes}

    def cube_macs_per_second(self, operand_dtype: str) -> float:
        """Per-core cube MAC rate for an operand dtype name (INT8 2x, FP32 0.5x of FP16).

        The fractal is 16 x 16 x C0 with C0 = 32 bytes / element: 16 for FP16/BF16, 32 for
        INT8, 8 for FP32 -- so the rate scales with 2 / itemsize.
        """
        factor = {"INT8": 2.0, "UINT8": 2.0, "FP32": 0.5}.get(operand_dtype, 1.0)
        return self.cube_fp16_macs_per_cycle * factor * self.clock_hz

    def vector_ops_per_second(self) -> float:
        """Per-core vector element-operation rate."""
        return self.vector_elems_per_cycle * self.clock_hz


#: Fitted by ``python -m plsim_tools.calibration fit`` on the fit half of the calibration set
#: completed from pypto-lib's history (20 claims running; docs/cost_model_calibration.md,
#: "Results": the halves' fits disagree, so these are not pinned down to better than that).
_FITTED = dict(
    core_dma_bytes_per_s=128e9,
    dma_burst_bytes=1024.0,
    dma_issue_us=0.1,
    dma_compute_overlap=0.0,
    pipelined_overlap=1.0,
    stage_dispatch_us=3.0,
    task_dispatch_us=0.75,
    block_dispatch_us=0.2,
    vector_elems_per_cycle=8,
)

#: Ascend 910B-class die: 24 AIC + 48 AIV, HBM ~1.6 TB/s, 4096 FP16 MAC/cycle/AIC at 1.8 GHz.
A2A3 = Platform(
    name="a2a3",
    cube_cores=24,
    vector_cores=48,
    clock_hz=1.8e9,
    hbm_bytes_per_s=1.6e12,
    vec_bytes=184 * KIB,  # 192 KiB physical; PyPTO budgets 184 KiB (top 8 KiB unsafe)
    mat_bytes=512 * KIB,
    acc_bytes=128 * KIB,
    left_bytes=64 * KIB,
    right_bytes=64 * KIB,
    cube_fp16_macs_per_cycle=4096,
    **_FITTED,
)

#: Ascend 950: 18 mix clusters of 1 AIC + 2 AIV per die (one die modelled), larger L0C and UB.
A5 = Platform(
    name="a5",
    cube_cores=18,
    vector_cores=36,
    clock_hz=1.8e9,
    hbm_bytes_per_s=1.6e12,
    vec_bytes=240 * KIB,  # 248 KiB physical, 240 KiB budget
    mat_bytes=512 * KIB,
    acc_bytes=256 * KIB,
    left_bytes=64 * KIB,
    right_bytes=64 * KIB,
    cube_fp16_macs_per_cycle=4096,
    **_FITTED,
)

PLATFORMS: dict[str, Platform] = {"a2a3": A2A3, "a5": A5}
DEFAULT_PLATFORM = A2A3
