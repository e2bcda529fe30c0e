"""``pl.system.syncall``: a barrier across the blocks of one ``pl.spmd`` launch.

Each kernel writes a block's rows of a scratch tensor, meets the other blocks at the barrier,
then reads the rows its neighbouring block (b + 1) wrote: without the barrier the read races
the neighbour's write. x and out are [BLOCK_ROWS * blocks, COLS] FP32; out = 2 x (the
neighbour's rows of x) + 1.

``aiv_hard``: a vector-only launch of 48 blocks (every AIV of a2a3), sync_start=True, the hard
barrier. ``aiv_hard_partial``: the same at 8 blocks; ``aiv_hard_no_sync_start``: 48 blocks
without sync_start (the compiler refuses both: a hard barrier on a launch that does not hold
every core at once never completes). ``aiv_soft_partial``: 8 blocks meeting at the soft
(GM-polling) barrier, which takes a zero-initialized INT32 workspace and the participant count.
``aiv_hard_in_loop``: the barrier inside a loop of the body, which pypto builds and plsim does
not run (it cuts phases at the body's own statements only).
"""

import pypto.language as pl

BLOCK_ROWS = 8
COLS = 64
AIVS = 48
PARTIAL = 8

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "aiv_hard": "compiles",
    "aiv_hard_partial": (
        "rejected: requires the SPMD launch to fill all 48 AIV cores (one block per physical "
        "core), but the launch has 8 blocks"
    ),
    "aiv_hard_no_sync_start": "rejected: requires the SPMD launch to set sync_start=True",
    "aiv_hard_in_loop": (
        "gap: pypto builds a barrier inside a loop of the launch's body; plsim runs a barrier "
        "only as a statement of the body itself (phases of the launch) and refuses this one"
    ),
    "aiv_soft_partial": (
        "hardware: pypto builds it; this chain's ptoas refuses the pto.syncall it emits "
        "('operand #1 must be ranked tensor ... but got i32')"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
#: a2a3sim's runtime has 8 core groups (16 AIVs), so a launch that must hold 48 AIVs at once
#: cannot start there (its log: "require_sync_start block_num=48 > limit=16 (deadlock
#: guaranteed)"); on the chip it holds them all.
A2A3SIM = {
    "aiv_hard": (
        "fail: a2a3sim run failed: RuntimeError: finalize_native_run failed with code -7"
    ),
    "aiv_hard_in_loop": "ran: plsim refuses it (DSLError); a2a3sim's run fails",
    "aiv_hard_partial": (
        "not run: Error: Verification failed after 'ExpandMixedKernel' for properties "
        "{MixedKernelExpanded, HardSyncallOccupancyValid}:"
    ),
    "aiv_hard_no_sync_start": (
        "not run: Error: Verification failed after 'ExpandMixedKernel' for properties "
        "{MixedKernelExpanded, HardSyncallOccupancyValid}:"
    ),
    "aiv_soft_partial": (
        "not run: 'pto.syncall' op operand #1 must be ranked tensor of any type values or "
        "memref of any type values or A logical partition of a tensor view (high-dimensional) "
        "or , but got 'i32'"
    ),
}


@pl.jit
def aiv_hard(
    x: pl.Tensor[[BLOCK_ROWS * AIVS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[BLOCK_ROWS * AIVS, COLS], pl.FP32]],
):
    scratch = pl.create_tensor([BLOCK_ROWS * AIVS, COLS], dtype=pl.FP32)
    with pl.spmd(AIVS, name_hint="aiv_hard", sync_start=True):
        b = pl.tile.get_block_idx()
        r0 = b * BLOCK_ROWS
        scratch[r0 : r0 + BLOCK_ROWS, :] = pl.mul(x[r0 : r0 + BLOCK_ROWS, :], 2.0)
        pl.system.syncall(core_type="aiv_only")
        n0 = (b + 1) % AIVS * BLOCK_ROWS
        out[r0 : r0 + BLOCK_ROWS, :] = pl.add(scratch[n0 : n0 + BLOCK_ROWS, :], 1.0)
    return out


@pl.jit
def aiv_hard_partial(
    x: pl.Tensor[[BLOCK_ROWS * PARTIAL, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[BLOCK_ROWS * PARTIAL, COLS], pl.FP32]],
):
    scratch = pl.create_tensor([BLOCK_ROWS * PARTIAL, COLS], dtype=pl.FP32)
    with pl.spmd(PARTIAL, name_hint="aiv_hard_partial", sync_start=True):
        b = pl.tile.get_block_idx()
        r0 = b * BLOCK_ROWS
        scratch[r0 : r0 + BLOCK_ROWS, :] = pl.mul(x[r0 : r0 + BLOCK_ROWS, :], 2.0)
        pl.system.syncall(core_type="aiv_only")  # @partial
        n0 = (b + 1) % PARTIAL * BLOCK_ROWS
        out[r0 : r0 + BLOCK_ROWS, :] = pl.add(scratch[n0 : n0 + BLOCK_ROWS, :], 1.0)
    return out


@pl.jit
def aiv_hard_no_sync_start(
    x: pl.Tensor[[BLOCK_ROWS * AIVS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[BLOCK_ROWS * AIVS, COLS], pl.FP32]],
):
    scratch = pl.create_tensor([BLOCK_ROWS * AIVS, COLS], dtype=pl.FP32)
    with pl.spmd(AIVS, name_hint="aiv_hard_no_sync_start"):
        b = pl.tile.get_block_idx()
        r0 = b * BLOCK_ROWS
        scratch[r0 : r0 + BLOCK_ROWS, :] = pl.mul(x[r0 : r0 + BLOCK_ROWS, :], 2.0)
        pl.system.syncall(core_type="aiv_only")  # @no_sync_start
        n0 = (b + 1) % AIVS * BLOCK_ROWS
        out[r0 : r0 + BLOCK_ROWS, :] = pl.add(scratch[n0 : n0 + BLOCK_ROWS, :], 1.0)
    return out


@pl.jit
def aiv_soft_partial(
    x: pl.Tensor[[BLOCK_ROWS * PARTIAL, COLS], pl.FP32],
    workspace: pl.Tensor[[16], pl.INT32],
    out: pl.Out[pl.Tensor[[BLOCK_ROWS * PARTIAL, COLS], pl.FP32]],
):
    scratch = pl.create_tensor([BLOCK_ROWS * PARTIAL, COLS], dtype=pl.FP32)
    with pl.spmd(PARTIAL, name_hint="aiv_soft_partial"):
        b = pl.tile.get_block_idx()
        r0 = b * BLOCK_ROWS
        scratch[r0 : r0 + BLOCK_ROWS, :] = pl.mul(x[r0 : r0 + BLOCK_ROWS, :], 2.0)
        pl.system.syncall(
            core_type="aiv_only", mode="soft", gm_workspace=workspace, used_cores=PARTIAL
        )
        n0 = (b + 1) % PARTIAL * BLOCK_ROWS
        out[r0 : r0 + BLOCK_ROWS, :] = pl.add(scratch[n0 : n0 + BLOCK_ROWS, :], 1.0)
    return out


@pl.jit
def aiv_hard_in_loop(
    x: pl.Tensor[[BLOCK_ROWS * AIVS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[BLOCK_ROWS * AIVS, COLS], pl.FP32]],
):
    scratch = pl.create_tensor([BLOCK_ROWS * AIVS, COLS], dtype=pl.FP32)
    with pl.spmd(AIVS, name_hint="aiv_hard_in_loop", sync_start=True):
        b = pl.tile.get_block_idx()
        r0 = b * BLOCK_ROWS
        n0 = (b + 1) % AIVS * BLOCK_ROWS
        for _step in pl.range(2):
            scratch[r0 : r0 + BLOCK_ROWS, :] = pl.mul(x[r0 : r0 + BLOCK_ROWS, :], 2.0)
            pl.system.syncall(core_type="aiv_only")  # @in_loop
            out[r0 : r0 + BLOCK_ROWS, :] = pl.add(scratch[n0 : n0 + BLOCK_ROWS, :], 1.0)
    return out
