"""Fixture kernels of the distributed layer (plsim/distributed.py, plsim/ranks.py).

Each ``@pl.jit.host`` entry dispatches one chip orchestration per rank; the chip kernels take
window-bound parameters and are compiled as part of their host function.
"""

import pypto.language as pl
import pypto.language.distributed as pld

N = 64  # elements per rank
RANKS = 2

VERDICTS = {
    "gather_scaled": "compiles",
    "two_phase": "compiles",
    "double_chip": "compiles",
    "copy_chip": "compiles",
    "gather_sum": "compiles",
    "ring_store": "compiles",
    "never_notified": "runtime: DeadlockError, each rank waits for a notify no rank sends",
    "remote_load_past_end": "rejected: pld.tile.remote_load reads past the end of dimension 0",
    "notify_in_orchestration": "rejected: Verification failed after 'GenerateOrchestration",
    "remote_load_row_past_end": "runtime: OutOfBoundsError, a row offset given at run time "
    "reads past the window",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "gather_scaled": "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)",
    "two_phase": "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)",
    "double_chip": (
        "not run: cannot combine with previous 'void' declaration specifier 47 | static "
        "__aicore__ void double(__gm__ float* v1, __gm__ float* v2) { ^ <build>"
    ),
    "copy_chip": "pass",
    "gather_sum": "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)",
    "ring_store": "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)",
    "never_notified": "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)",
    "remote_load_past_end": (
        "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)"
    ),
    "notify_in_orchestration": (
        "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)"
    ),
    "remote_load_row_past_end": (
        "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)"
    ),
}


# --- gather_sum: every rank puts its row into row my_rank of every peer's window, signals,
# waits for all peers, then sums the rows of its own window.
@pl.jit.incore
def gather_sum_step(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    for p in pl.range(RANKS):
        pld.tensor.put(rows, p, x, [me, 0], [0, 0], [1, N])
        pld.system.notify(flags, peer=p, offsets=[me, 0], value=1, op=pld.NotifyOp.AtomicAdd)
    for p in pl.range(RANKS):
        pld.system.wait(signal=flags, offsets=[p, 0], expected=1, cmp=pld.WaitCmp.Ge)
    acc = pl.load(rows, [0, 0], [1, N])
    for p in pl.range(1, RANKS):
        acc = pl.add(acc, pl.load(rows, [p, 0], [1, N]))
    return pl.store(acc, [0, 0], y)


@pl.jit
def gather_sum_chip(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    return gather_sum_step(x, y, rows, flags, me)


@pl.jit.host
def gather_sum(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    rows_buf = pld.alloc_window_buffer([RANKS, N], dtype=pl.FP32)
    flags_buf = pld.alloc_window_buffer([RANKS, 1], dtype=pl.INT32)
    for r in pl.range(pld.world_size()):
        rows = pld.window(rows_buf, [RANKS, N], dtype=pl.FP32)
        flags = pld.window(flags_buf, [RANKS, 1], dtype=pl.INT32)
        gather_sum_chip(xs[r], ys[r], rows, flags, r, device=r)


# --- ring_store: rank r stores 2 * x into rank (r + 1) % RANKS's window with remote_store,
# sets the peer's flag, waits for its own flag with Eq, then copies its window out.
@pl.jit.incore
def ring_store_step(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    inbox: pld.DistributedTensor[[1, N], pl.FP32],
    flag: pld.DistributedTensor[[1, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
    nxt: pl.Scalar[pl.INT32],
):
    t = pl.mul(pl.load(x, [0, 0], [1, N]), 2.0)
    pld.tile.remote_store(t, target=inbox, peer=nxt, offsets=[0, 0])
    pld.system.notify(flag, peer=nxt, offsets=[0, 0], value=7, op=pld.NotifyOp.Set)
    pld.system.wait(signal=flag, offsets=[0, 0], expected=7, cmp=pld.WaitCmp.Eq)
    got = pl.load(inbox, [0, 0], [1, N])
    return pl.store(got, [0, 0], y)


@pl.jit
def ring_store_chip(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    inbox: pld.DistributedTensor[[1, N], pl.FP32],
    flag: pld.DistributedTensor[[1, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
    nxt: pl.Scalar[pl.INT32],
):
    return ring_store_step(x, y, inbox, flag, me, nxt)


@pl.jit.host
def ring_store(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    inbox_buf = pld.alloc_window_buffer([1, N], dtype=pl.FP32)
    flag_buf = pld.alloc_window_buffer([1, 1], dtype=pl.INT32)
    for r in pl.range(pld.world_size()):
        inbox = pld.window(inbox_buf, [1, N], dtype=pl.FP32)
        flag = pld.window(flag_buf, [1, 1], dtype=pl.INT32)
        ring_store_chip(xs[r], ys[r], inbox, flag, r, (r + 1) % RANKS, device=r)


# --- never_notified: each rank waits on its own flag; nobody notifies it.
@pl.jit.incore
def wait_alone_step(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    pld.system.wait(signal=flags, offsets=[me, 0], expected=1, cmp=pld.WaitCmp.Ge)  # @never
    return pl.store(pl.load(x, [0, 0], [1, N]), [0, 0], y)


@pl.jit
def wait_alone_chip(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    return wait_alone_step(x, y, flags, me)


@pl.jit.host
def never_notified(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    flags_buf = pld.alloc_window_buffer([RANKS, 1], dtype=pl.INT32)
    for r in pl.range(pld.world_size()):
        flags = pld.window(flags_buf, [RANKS, 1], dtype=pl.INT32)
        wait_alone_chip(xs[r], ys[r], flags, r, device=r)


# --- remote_load_past_end: the peer offset reads one row past the [RANKS, N] window.
@pl.jit.incore
def load_past_step(
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    peer: pl.Scalar[pl.INT32],
):
    t = pld.tile.remote_load(rows, peer=peer, offsets=[RANKS, 0], shape=[1, N])  # @past
    return pl.store(t, [0, 0], y)


@pl.jit
def load_past_chip(
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    peer: pl.Scalar[pl.INT32],
):
    return load_past_step(y, rows, peer)


@pl.jit.host
def remote_load_past_end(ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]]):
    rows_buf = pld.alloc_window_buffer([RANKS, N], dtype=pl.FP32)
    for r in pl.range(pld.world_size()):
        rows = pld.window(rows_buf, [RANKS, N], dtype=pl.FP32)
        load_past_chip(ys[r], rows, (r + 1) % RANKS, device=r)


# --- remote_load_row_past_end: the same read with the row offset read from tensor data at
# run time (a pl.Scalar parameter would be specialized into the artifact and checked there).
@pl.jit.incore
def load_row_step(
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    row_of: pl.Tensor[[1], pl.INT32],
    peer: pl.Scalar[pl.INT32],
):
    row = pl.read(row_of, [0])
    t = pld.tile.remote_load(rows, peer=peer, offsets=[row, 0], shape=[1, N])  # @row_past
    return pl.store(t, [0, 0], y)


@pl.jit
def load_row_chip(
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    row_of: pl.Tensor[[1], pl.INT32],
    peer: pl.Scalar[pl.INT32],
):
    return load_row_step(y, rows, row_of, peer)


@pl.jit.host
def remote_load_row_past_end(
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
    row_of: pl.Tensor[[RANKS, 1], pl.INT32],
):
    rows_buf = pld.alloc_window_buffer([RANKS, N], dtype=pl.FP32)
    for r in pl.range(pld.world_size()):
        rows = pld.window(rows_buf, [RANKS, N], dtype=pl.FP32)
        load_row_chip(ys[r], rows, row_of[r], (r + 1) % RANKS, device=r)


# --- notify_in_orchestration: notify and wait outside any InCore scope.
@pl.jit
def orch_notify_chip(
    x: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    pld.system.notify(flags, peer=1 - me, offsets=[me, 0], value=1, op=pld.NotifyOp.Set)  # @orch
    pld.system.wait(signal=flags, offsets=[1 - me, 0], expected=1, cmp=pld.WaitCmp.Ge)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy_out"):
        y = pl.store(pl.load(x, [0, 0], [1, N]), [0, 0], y)
    return y


@pl.jit.host
def notify_in_orchestration(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    flags_buf = pld.alloc_window_buffer([RANKS, 1], dtype=pl.INT32)
    for r in pl.range(pld.world_size()):
        flags = pld.window(flags_buf, [RANKS, 1], dtype=pl.INT32)
        orch_notify_chip(xs[r], ys[r], flags, r, device=r)


# --- gather_scaled: gather_sum with a weight every rank reads whole (shared input).
@pl.jit.incore
def gather_scaled_step(
    x: pl.Tensor[[1, N], pl.FP32],
    w: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    for p in pl.range(RANKS):
        pld.tensor.put(rows, p, x, [me, 0], [0, 0], [1, N])
        pld.system.notify(flags, peer=p, offsets=[me, 0], value=1, op=pld.NotifyOp.AtomicAdd)
    for p in pl.range(RANKS):
        pld.system.wait(signal=flags, offsets=[p, 0], expected=1, cmp=pld.WaitCmp.Ge)
    acc = pl.load(rows, [0, 0], [1, N])
    for p in pl.range(1, RANKS):
        acc = pl.add(acc, pl.load(rows, [p, 0], [1, N]))
    return pl.store(pl.mul(acc, pl.load(w, [0, 0], [1, N])), [0, 0], y)


@pl.jit
def gather_scaled_chip(
    x: pl.Tensor[[1, N], pl.FP32],
    w: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    rows: pld.DistributedTensor[[RANKS, N], pl.FP32],
    flags: pld.DistributedTensor[[RANKS, 1], pl.INT32],
    me: pl.Scalar[pl.INT32],
):
    return gather_scaled_step(x, w, y, rows, flags, me)


@pl.jit.host
def gather_scaled(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    w: pl.Tensor[[1, N], pl.FP32],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    rows_buf = pld.alloc_window_buffer([RANKS, N], dtype=pl.FP32)
    flags_buf = pld.alloc_window_buffer([RANKS, 1], dtype=pl.INT32)
    for r in pl.range(pld.world_size()):
        rows = pld.window(rows_buf, [RANKS, N], dtype=pl.FP32)
        flags = pld.window(flags_buf, [RANKS, 1], dtype=pl.INT32)
        gather_scaled_chip(xs[r], w, ys[r], rows, flags, r, device=r)


# --- two_phase: phase 1 writes mid[r] on rank r; phase 2 on rank r reads the other rank's
# mid row, so it must wait for that rank's phase 1.
@pl.jit
def double_chip(x: pl.Tensor[[1, N], pl.FP32], mid: pl.Out[pl.Tensor[[1, N], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="double"):
        mid = pl.store(pl.mul(pl.load(x, [0, 0], [1, N]), 2.0), [0, 0], mid)
    return mid


@pl.jit
def copy_chip(mid: pl.Tensor[[1, N], pl.FP32], y: pl.Out[pl.Tensor[[1, N], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy"):
        y = pl.store(pl.add(pl.load(mid, [0, 0], [1, N]), 1.0), [0, 0], y)
    return y


@pl.jit.host
def two_phase(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    mids: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    for r in pl.range(pld.world_size()):
        double_chip(xs[r], mids[r], device=r)
    for r in pl.range(pld.world_size()):
        copy_chip(mids[(r + 1) % RANKS], ys[r], device=r)
