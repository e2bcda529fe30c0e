"""plsim's ``pypto.language.distributed`` namespace (imported by kernels as ``pld``).

Window buffers are the only memory ranks share. ``pld.alloc_window_buffer`` (host body) makes
one zero-filled byte buffer per rank; ``pld.window(buf, shape, dtype=)`` views it with a shape
and dtype, and a launch on rank r binds that view to rank r's bytes. A window-bound tensor is
an ordinary GM tensor of its rank (``pl.load`` / ``pl.store`` / ``pl.read`` / ``pl.write``
reach the local slice) that also knows its peers' slices, which ``pld.tile.remote_load``,
``pld.tile.remote_store``, ``pld.tensor.put`` / ``get`` and ``pld.system.notify`` reach.
``pld.system.wait`` blocks the rank (see plsim.ranks) until its local signal cell compares
true. Remote transfers are counted as GM traffic of the stage and, separately, as remote bytes
(StageStats.remote_read_bytes / remote_write_bytes) when the peer is another rank.
Docs: docs/dsl.md, "The distributed layer".
"""

from __future__ import annotations

import enum
import math
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plsim import dtypes as dt
from plsim import errors, events
from plsim.context import STATE, dsl, fail, kernel_location
from plsim.language_types import AtomicType, TensorType
from plsim.memory import GMBuffer, GMTensor, Tile
from plsim.scalars import Scalar, to_int
from plsim.source_names import assigned_names


class NotifyOp(enum.Enum):
    """pld.NotifyOp: how pld.system.notify combines its value with the peer's cell."""

    AtomicAdd = 0
    Set = 1


class WaitCmp(enum.Enum):
    """pld.WaitCmp: the comparison pld.system.wait waits for."""

    Eq = 0
    Ge = 1


class ReduceOp(enum.Enum):
    """pld.ReduceOp (payload of the collectives, which plsim does not simulate)."""

    Sum = 0
    Max = 1
    Min = 2
    Prod = 3


class _DistributedMeta(type):
    def __getitem__(cls, item) -> TensorType:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError("pld.DistributedTensor[[shape], dtype] takes a shape list and a dtype")
        shape, dtype = item
        return TensorType(tuple(shape), dtype, "in", "distributed")


class DistributedTensor(metaclass=_DistributedMeta):
    """pld.DistributedTensor[[shape], dtype]: a parameter bound to a window buffer slice."""

    kind = "distributed"


# --- window buffers (host) ------------------------------------------------------------------
@dataclass(eq=False)
class WindowBuffer:
    """``pld.alloc_window_buffer``: ``nbytes`` per rank, zero-filled, one array per rank."""

    name: str
    nbytes: int
    world_size: int
    storage: dict[int, np.ndarray] = field(default_factory=dict)
    views: dict[tuple, GMBuffer] = field(default_factory=dict)

    def rank_bytes(self, rank: int) -> np.ndarray:
        """Rank ``rank``'s bytes (allocated zero-filled on first use)."""
        data = self.storage.get(rank)
        if data is None:
            data = self.storage[rank] = np.zeros(self.nbytes, dtype=np.uint8)
        return data

    def gm_buffer(self, shape: tuple[int, ...], dtype: dt.DType, rank: int) -> GMBuffer:
        """The GM buffer viewing rank ``rank``'s bytes as ``shape`` x ``dtype``."""
        key = (shape, dtype.name, rank)
        buf = self.views.get(key)
        if buf is None:
            count = math.prod(shape)
            raw = self.rank_bytes(rank)[: count * dtype.itemsize]
            data = raw.view(dtype.numpy).reshape(shape)
            buf = GMBuffer(data, dtype, f"{self.name}@rank{rank}", "scratch")
            buf.window = WindowBinding(self, shape, dtype, rank)
            self.views[key] = buf
        return buf


@dataclass(frozen=True, eq=False)
class WindowBinding:
    """What a window-bound GM buffer is: which window, viewed how, on which rank."""

    buffer: WindowBuffer
    shape: tuple[int, ...]
    dtype: dt.DType
    rank: int

    def peer(self, view: GMTensor, peer: int) -> GMTensor:
        """The same window region as ``view`` on rank ``peer``."""
        buf = self.buffer.gm_buffer(self.shape, self.dtype, peer)
        return GMTensor(buf, view.offset, view.shape, view.strides)


@dataclass(frozen=True, eq=False)
class WindowView:
    """``pld.window(buf, shape, dtype=)`` in a host body; bound to a rank at launch."""

    buffer: WindowBuffer
    shape: tuple[int, ...]
    dtype: dt.DType

    def for_rank(self, rank: int) -> GMTensor:
        """The GM tensor of this view on rank ``rank``."""
        return GMTensor.whole(self.buffer.gm_buffer(self.shape, self.dtype, rank))

    def __repr__(self) -> str:
        return f"pld.window({self.buffer.name}, {list(self.shape)}, {self.dtype.name})"


def _host(op: str):
    host = STATE.host
    if host is None:
        dsl(f"{op} is callable only in a @pl.jit.host function (the HOST-level orchestrator)")
    return host


def world_size() -> int:
    """pld.world_size(): the number of ranks (host functions only)."""
    return _host("pld.world_size()").world_size


def alloc_window_buffer(size, *, dtype: dt.DType | None = None, name: str = "") -> WindowBuffer:
    """pld.alloc_window_buffer(size_bytes) or (shape, dtype=): a per-rank window buffer."""
    host = _host("pld.alloc_window_buffer")
    if name:
        dsl("pld.alloc_window_buffer(name=...): the parser derives the name from the assigned "
            "variable; do not pass it")  # fmt: skip
    if isinstance(size, (list, tuple)):
        if dtype is None:
            dsl("pld.alloc_window_buffer(shape) needs dtype= when the first argument is a shape")
        dims = [to_int(d, "pld.alloc_window_buffer shape") for d in size]
        if not dims or any(d <= 0 for d in dims):
            dsl(f"pld.alloc_window_buffer shape {dims}: every dimension must be positive")
        nbytes = math.prod(dims) * dtype.itemsize
    else:
        if dtype is not None:
            dsl("pld.alloc_window_buffer(size, dtype=): dtype= is only valid with a shape")
        nbytes = to_int(size, "pld.alloc_window_buffer size")
        if nbytes <= 0:
            dsl(f"pld.alloc_window_buffer size {nbytes}: must be a positive number of bytes")
    file, line = kernel_location()
    label = assigned_names(file).get(line) or f"window@{file.rsplit('/', 1)[-1]}:{line}"
    return WindowBuffer(label, nbytes, host.world_size)


def window(buf, shape, *, dtype: dt.DType) -> WindowView:
    """pld.window(buf, shape, dtype=): a typed view of a window buffer (host functions)."""
    _host("pld.window")
    if not isinstance(buf, WindowBuffer):
        dsl(f"pld.window expects the result of pld.alloc_window_buffer, got {type(buf).__name__}")
    dims = tuple(to_int(d, "pld.window shape") for d in shape)
    need = math.prod(dims) * dtype.itemsize
    if need > buf.nbytes:
        fail(errors.OutOfBoundsError,
             f"pld.window({buf.name}, {list(dims)}, dtype={dtype.name}) needs {need} bytes but "
             f"the window buffer holds {buf.nbytes} per rank")  # fmt: skip
    return WindowView(buf, dims, dtype)


# --- rank-side helpers ----------------------------------------------------------------------
def _bound(x, op: str, role: str) -> WindowBinding:
    """The window binding of a window-bound tensor argument, else a DSLError."""
    binding = getattr(x.buf, "window", None) if isinstance(x, GMTensor) else None
    if binding is None:
        got = type(x).__name__ if not isinstance(x, GMTensor) else f"tensor '{x.buf.name}'"
        dsl(f"{op} expects a DistributedTensor {role} (window-bound), got {got}")
    return binding


def _peer(peer, op: str, binding: WindowBinding) -> int:
    p = to_int(peer, f"{op} peer")
    world = binding.buffer.world_size
    if not 0 <= p < world:
        fail(errors.OutOfBoundsError, f"{op} peer {p} is outside ranks 0..{world - 1}")
    return p


def _offsets(offsets, t: GMTensor, op: str) -> list[int]:
    offs = [to_int(o, f"{op} offsets") for o in offsets]
    if len(offs) != t.ndim:
        dsl(f"{op} needs one offset per axis of the rank-{t.ndim} tensor, got {offs}")
    return offs


def _check_region(op: str, t: GMTensor, peer: int, offs, extent) -> None:
    """OutOfBoundsError naming the op, the peer and the window when the region leaves it."""
    for axis, (o, e, n) in enumerate(zip(offs, extent, t.shape)):
        if o < 0 or o + e > n:
            fail(errors.OutOfBoundsError,
                 f"{op} on rank {peer}'s window '{t.buf.window.buffer.name}' {list(t.shape)}: "
                 f"offset {o} + extent {e} is outside dimension {axis} of size {n} "
                 f"(offsets {offs}, shape {list(extent)})")  # fmt: skip


def _count_remote(peer: int, nbytes: int, direction: str) -> None:
    if peer == STATE.rank or not STATE.scopes:
        return
    events.remote_transfer(direction, nbytes)


def _in_scope(op: str) -> None:
    # The compiler outlines none of the pld ops from orchestration: there its orchestration
    # check fails with "references undefined function 'pld.system.notify'" (fixture
    # tests/plsim_distributed/kernels/window_kernels.py notify_in_orchestration).
    if not STATE.scopes:
        dsl(f"{op} in orchestration: call it inside an InCore scope (pl.at, a pl.spmd body or "
            "a @pl.jit.incore function); the compiler rejects it (\"references undefined "
            f"function '{op}'\")")  # fmt: skip


def _atomic(atomic, op: str) -> bool:
    mode = getattr(atomic, "name", None)
    if mode not in ("None_", "Add"):
        dsl(f"{op}(atomic={atomic!r}): expected pld.AtomicType.None_ or pld.AtomicType.Add")
    return mode == "Add"


def remote_load(target, peer, offsets, shape, valid_shape=None) -> Tile:
    """pld.tile.remote_load(target, peer, offsets, shape, valid_shape=None): a tile from rank
    ``peer``'s slice of the window-bound ``target``."""
    from plsim.ops.indexing import tile_load

    op = "pld.tile.remote_load"
    _in_scope(op)
    binding = _bound(target, op, "target")
    p = _peer(peer, op, binding)
    offs = _offsets(offsets, target, op)
    dims = [to_int(n, f"{op} shape") for n in shape]
    valid = dims if valid_shape is None else [to_int(v, f"{op} valid_shape") for v in valid_shape]
    _check_region(op, target, p, offs, valid)
    tile = tile_load(binding.peer(target, p), offs, dims, valid_shapes=valid_shape)
    _count_remote(p, math.prod(valid) * target.dtype.itemsize, "read")
    return tile


def remote_store(src, target, peer, offsets, *, atomic=AtomicType.None_) -> None:
    """pld.tile.remote_store / pld.tensor.remote_store(src, target, peer, offsets, atomic=):
    write the value's valid rectangle into rank ``peer``'s slice of ``target``."""
    from plsim.ops.common import operand
    from plsim.ops.stores import expand_rank, store

    op = "pld.remote_store"
    _in_scope(op)
    binding = _bound(target, op, "target")
    p = _peer(peer, op, binding)
    offs = _offsets(offsets, target, op)
    add = _atomic(atomic, op)
    STATE.seq += 1
    tile = operand(src, "remote_store", store=True)
    _, extent = expand_rank(tile, target.ndim, ())
    _check_region(op, target, p, offs, extent)
    store(binding.peer(target, p), tile, offs, atomic=add)
    _count_remote(p, math.prod(tile.valid) * target.dtype.itemsize, "write")


def _transfer(op: str, dst: GMTensor, dst_offsets, src: GMTensor, src_offsets, shape,
              peer: int, remote_side: str, atomic: bool = False) -> None:  # fmt: skip
    """Copy a ``shape`` region of ``src`` at ``src_offsets`` into ``dst`` at ``dst_offsets``."""
    from plsim.ops.loads import load
    from plsim.ops.stores import store

    _in_scope(op)
    if shape is None:
        if dst_offsets is not None or src_offsets is not None:
            dsl(f"{op}: dst_offsets, src_offsets and shape must be given together")
        if tuple(dst.shape) != tuple(src.shape):
            dsl(f"{op} without a region copies whole slices: dst {list(dst.shape)} and src "
                f"{list(src.shape)} must have the same shape")  # fmt: skip
        dims = list(src.shape)
        d_offs = [0] * dst.ndim
        s_offs = [0] * src.ndim
    else:
        if dst_offsets is None or src_offsets is None:
            dsl(f"{op}: dst_offsets, src_offsets and shape must be given together")
        dims = [to_int(n, f"{op} shape") for n in shape]
        d_offs = _offsets(dst_offsets, dst, op)
        s_offs = _offsets(src_offsets, src, op)
    if src.dtype is not dst.dtype:
        dsl(f"{op}: src dtype {src.dtype.name} differs from dst dtype {dst.dtype.name}")
    _check_region(op, dst if remote_side == "dst" else src, peer,
                  d_offs if remote_side == "dst" else s_offs, dims)  # fmt: skip
    local, local_offs = (src, s_offs) if remote_side == "dst" else (dst, d_offs)
    for axis, (o, e, n) in enumerate(zip(local_offs, dims, local.shape)):
        if o < 0 or o + e > n:
            fail(errors.OutOfBoundsError,
                 f"{op}: local tensor '{local.buf.name}' {list(local.shape)}: offset {o} + "
                 f"extent {e} is outside dimension {axis} of size {n}")  # fmt: skip
    STATE.seq += 1
    tile = load(src, s_offs, dims)
    store(dst, tile, d_offs, atomic=atomic)
    _count_remote(peer, math.prod(dims) * src.dtype.itemsize,
                  "write" if remote_side == "dst" else "read")  # fmt: skip


def put(dst, peer, src, dst_offsets=None, src_offsets=None, shape=None, *,
        atomic=AtomicType.None_, chunk_rows: int = 0, chunk_cols: int = 0,
        pipeline: bool = False) -> None:  # fmt: skip
    """pld.tensor.put(dst, peer, src, dst_offsets=, src_offsets=, shape=): copy a local GM
    region into rank ``peer``'s slice of the window-bound ``dst``. The chunking knobs change
    how the transfer is staged, not what arrives."""
    op = "pld.tensor.put"
    binding = _bound(dst, op, "dst")
    if not isinstance(src, GMTensor):
        dsl(f"{op} expects a Tensor or DistributedTensor src, got {type(src).__name__}")
    _chunks(op, chunk_rows, chunk_cols, pipeline)
    p = _peer(peer, op, binding)
    _transfer(op, binding.peer(dst, p), dst_offsets, src, src_offsets, shape, p, "dst",
              _atomic(atomic, op))  # fmt: skip


def get(dst, peer, src, dst_offsets=None, src_offsets=None, shape=None, *,
        chunk_rows: int = 0, chunk_cols: int = 0, pipeline: bool = False) -> None:  # fmt: skip
    """pld.tensor.get(dst, peer, src, ...): copy rank ``peer``'s slice of the window-bound
    ``src`` into the local GM tensor ``dst``."""
    op = "pld.tensor.get"
    binding = _bound(src, op, "src")
    if not isinstance(dst, GMTensor):
        dsl(f"{op} expects a Tensor or DistributedTensor dst, got {type(dst).__name__}")
    _chunks(op, chunk_rows, chunk_cols, pipeline)
    p = _peer(peer, op, binding)
    _transfer(op, dst, dst_offsets, binding.peer(src, p), src_offsets, shape, p, "src")


def _chunks(op: str, chunk_rows, chunk_cols, pipeline) -> None:
    for name, value in (("chunk_rows", chunk_rows), ("chunk_cols", chunk_cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            dsl(f"{op} {name} must be a non-negative int (0 = full), got {value!r}")
    if pipeline and not (chunk_rows > 0 and chunk_cols > 0):
        dsl(f"{op} pipeline=True requires chunk_rows > 0 and chunk_cols > 0")


def _signal_cell(op: str, t, offsets, rank: int) -> tuple[GMTensor, tuple[int, ...]]:
    binding = _bound(t, op, "signal")
    if not t.dtype.is_int:
        dsl(f"{op}: the signal window must hold integers, got {t.dtype.name}")
    offs = _offsets(offsets, t, op)
    _check_region(op, t, rank, offs, [1] * t.ndim)
    view = binding.peer(t, rank) if rank != binding.rank else t
    return view, tuple(offs)


def _int_value(value, op: str) -> int:
    if isinstance(value, Scalar):
        return int(value.value)
    return to_int(value, f"{op} value")


def notify(target, peer, offsets, value, *, op) -> None:
    """pld.system.notify(target, peer, offsets, value, op=): add ``value`` to (AtomicAdd) or
    set (Set) the cell ``offsets`` of rank ``peer``'s slice of the signal window."""
    name = "pld.system.notify"
    _in_scope(name)
    if not isinstance(op, NotifyOp):
        dsl(f"{name}(op={op!r}): expected pld.NotifyOp.AtomicAdd or pld.NotifyOp.Set")
    p = _peer(peer, name, _bound(target, name, "target"))
    view, offs = _signal_cell(name, target, offsets, p)
    cell = view.data()
    v = _int_value(value, name)
    current = int(cell[offs])
    new = current + v if op is NotifyOp.AtomicAdd else v
    info = np.iinfo(view.dtype.numpy)
    # Integer cells wrap like the device's atomic add.
    cell[offs] = (new - info.min) % (1 << (8 * view.dtype.itemsize)) + info.min


def wait(signal, offsets, expected, *, cmp) -> None:
    """pld.system.wait(signal, offsets, expected, cmp=): block this rank until its own signal
    cell compares ``cmp`` with ``expected`` (other ranks run meanwhile)."""
    from plsim import ranks

    name = "pld.system.wait"
    _in_scope(name)
    if not isinstance(cmp, WaitCmp):
        dsl(f"{name}(cmp={cmp!r}): expected pld.WaitCmp.Eq or pld.WaitCmp.Ge")
    if STATE.rank is None:
        dsl(f"{name} outside a distributed run: launch the kernel from a @pl.jit.host function "
            "with device=rank")  # fmt: skip
    view, offs = _signal_cell(name, signal, offsets, STATE.rank)
    target = _int_value(expected, name)
    cell = view.data()

    def ready() -> bool:
        have = int(cell[offs])
        return have == target if cmp is WaitCmp.Eq else have >= target

    from plsim.context import where

    place = where()

    def describe() -> str:
        name = view.buf.window.buffer.name
        return (f"{place}: pld.system.wait on '{name}' offsets {list(offs)} for "
                f"{cmp.name} {target}, the cell holds {int(cell[offs])}")  # fmt: skip

    ranks.block_until(ready, describe)


@dataclass(frozen=True)
class CommCtx:
    """pld.get_comm_ctx(t): the communication context of a window-bound tensor."""

    rank: int
    nranks: int


def get_comm_ctx(dist_tensor) -> CommCtx:
    """pld.system.get_comm_ctx(t): the rank and rank count of ``t``'s communication domain."""
    binding = _bound(dist_tensor, "pld.system.get_comm_ctx", "argument")
    return CommCtx(binding.rank, binding.buffer.world_size)


def rank(ctx: CommCtx) -> Scalar:
    """pld.system.rank(ctx): the local rank (INT32)."""
    if not isinstance(ctx, CommCtx):
        dsl(f"pld.system.rank expects a pld.CommCtx, got {type(ctx).__name__}")
    return Scalar(ctx.rank, dt.INT32)


def nranks(ctx: CommCtx) -> Scalar:
    """pld.system.nranks(ctx): the rank count (INT32)."""
    if not isinstance(ctx, CommCtx):
        dsl(f"pld.system.nranks expects a pld.CommCtx, got {type(ctx).__name__}")
    return Scalar(ctx.nranks, dt.INT32)


def _not_simulated(name: str):
    def fn(*args: Any, **kwargs: Any):
        dsl(f"{name} is not simulated by plsim (a collective lowered by the compiler); write it "
            "with pld.tensor.put / pld.tile.remote_load and pld.system.notify / wait")  # fmt: skip

    fn.__name__ = name.rsplit(".", 1)[-1]
    fn.__doc__ = f"{name}: not simulated (DSLError when called)."
    return fn


system = types.SimpleNamespace(
    world_size=world_size,
    get_comm_ctx=get_comm_ctx,
    rank=rank,
    nranks=nranks,
    notify=notify,
    wait=wait,
    defer_wait=_not_simulated("pld.system.defer_wait"),
)
tensor = types.SimpleNamespace(
    alloc_window_buffer=alloc_window_buffer,
    window=window,
    put=put,
    get=get,
    remote_store=remote_store,
    **{n: _not_simulated(f"pld.tensor.{n}") for n in (
        "allreduce", "barrier", "broadcast", "allgather", "reduce_scatter", "all_to_all",
        "all_to_all_v")},
)  # fmt: skip
tile = types.SimpleNamespace(remote_load=remote_load, remote_store=remote_store)

__all__ = [
    "AtomicType", "CommCtx", "DistributedTensor", "NotifyOp", "ReduceOp", "WaitCmp",
    "alloc_window_buffer", "get_comm_ctx", "nranks", "rank", "remote_load", "remote_store",
    "system", "tensor", "tile", "window", "world_size",
]  # fmt: skip
