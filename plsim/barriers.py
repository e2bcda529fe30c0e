"""``pl.system.syncall``: a barrier across the blocks of one ``pl.spmd`` launch, as phases.

On chip every block of the launch waits at the barrier until all have arrived, so what any
block wrote before it is there for every block after it. plsim runs a launch's blocks one
after the other, so it runs a body with barriers as phases: the source checker
(plsim.strictness) cuts the ``with pl.spmd(...)`` body at each ``pl.system.syncall(...)``
statement of the body itself, and each phase runs every block before the next phase starts.
A block stays one task across its phases (one scope, counted once), and its local names keep
their own values from one phase to the next (plsim.lane_frames). Each phase is a parallel loop
of its own to the race checker: a block's reads after the barrier do not race the other
blocks' writes before it.

The compiler's rules, measured with the pypto wheel this project builds with (fixtures
tests/plsim_conformance/kernels/syncall_kernels.py):

- the hard form (the default) needs the launch to hold every core at once: ``sync_start=True``
  and one block per physical core of ``core_type`` (``aiv_only``: 48 AIVs on a2a3;
  ``aic_only`` and ``mix``: 24 AICs / core groups). pypto's HardSyncallOccupancy verifier
  refuses anything else ("Use mode=\\"soft\\" (GM-polling) for partial occupancy");
- the soft form (``mode="soft"``, a zero-initialized INT32 GM workspace of 16 or more elements,
  ``used_cores``) passes pypto, but this chain's ptoas refuses the ``pto.syncall`` it emits
  ("operand #1 must be ranked tensor ... but got 'i32'"): a HardwareError here.

Not modelled: the barrier's cost (the cost model prices the launch's tasks as if they ran
through), and whether ``core_type`` matches the kinds of cores the launch's code uses.
Measured and not reproducible here: a2a3sim's runtime has 8 core groups / 16 AIVs, so a hard
barrier's launch of 24 or 48 blocks stops there before it runs ("require_sync_start
block_num=48 > limit=16").
"""

from __future__ import annotations

from typing import Any

from plsim import errors
from plsim.context import STATE, dsl, fail

CORE_TYPES = ("aiv_only", "aic_only", "mix")
MODES = ("hard", "soft")


def syncall_outside_body(*args: Any, **kwargs: Any) -> None:
    """``pl.system.syncall`` where plsim cannot cut a phase: not a statement of a
    ``with pl.spmd(...)`` body itself (inside a loop or a branch, or outside a launch)."""
    del args, kwargs
    dsl(
        "pl.system.syncall here: plsim runs a barrier only as a statement of a "
        "`with pl.spmd(...)` body itself (each block runs up to it, then every block goes on "
        "from it); inside a loop, a branch or a helper it cannot stop the other blocks"
    )


def check_syncall(launch_blocks: int, sync_start: bool, core_type: str = "mix",
                  mode: str = "hard", gm_workspace: Any = None, used_cores: Any = None,
                  **unknown: Any) -> None:  # fmt: skip
    """Refuse a barrier the toolchain refuses (module docstring), at its line."""
    if unknown:
        dsl(f"pl.system.syncall: unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    if core_type not in CORE_TYPES:
        dsl(f"pl.system.syncall: core_type must be one of {'|'.join(CORE_TYPES)}, got "
            f"{core_type!r}")  # fmt: skip
    if mode not in MODES:
        dsl(f"pl.system.syncall: mode must be 'hard' or 'soft', got {mode!r}")
    if mode == "soft":
        fail(
            errors.HardwareError,
            "pl.system.syncall(mode=\"soft\"): pypto builds it, but the ptoas of this chain "
            "refuses the pto.syncall it emits (\"'pto.syncall' op operand #1 must be ranked "
            "tensor ... but got 'i32'\"); use the hard form on a launch that holds every core",
        )
    if gm_workspace is not None or used_cores is not None:
        dsl("pl.system.syncall(mode='hard') takes no gm_workspace/used_cores (the compiler "
            "refuses them: they belong to the soft form)")  # fmt: skip
    if not sync_start:
        dsl(
            f"hard pl.system.syncall(core_type=\"{core_type}\") requires the SPMD launch to "
            "set sync_start=True so all blocks are co-resident at the barrier (the compiler's "
            "HardSyncallOccupancy check; without it the runtime may dispatch blocks in waves "
            "and the barrier deadlocks on device, 507018)"
        )
    platform = STATE.recorder.platform if STATE.recorder is not None else None
    if platform is None:
        return
    if core_type == "aiv_only":
        cores, what = platform.vector_cores, "AIV cores"
    else:
        cores = platform.cube_cores
        what = "AIC cores" if core_type == "aic_only" else "core groups"
    if launch_blocks != cores:
        dsl(
            f"hard pl.system.syncall(core_type=\"{core_type}\") requires the SPMD launch to "
            f"fill all {cores} {what} of {platform.name} (one block per physical core), but "
            f"the launch has {launch_blocks} blocks (the compiler's HardSyncallOccupancy "
            "check); launch one block per core and take the work in turns"
        )
