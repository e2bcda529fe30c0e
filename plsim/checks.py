"""Checks that hardware would hide: races between parallel iterations, on-chip capacity and the
32-byte row alignment of vector tiles.

Races: every GM access made inside a ``pl.parallel`` iteration or ``pl.spmd`` block is recorded
with its iteration; when the loop ends, an owner map per buffer marks which iteration wrote each
element. A write into an element another iteration wrote, or a read of an element another
iteration writes (in either order), is a RaceError.

Capacity: when a task (scope entry) closes, each base tile it created is placed in the memory
space it occupies on the device, from how it was produced and used:

- produced by ``pl.matmul``/``pl.matmul_acc``: the L0C accumulator (Acc);
- loaded from GM and used only as a matmul operand: L1 (Mat). The compiler auto-tiles the
  L0A/L0B operand buffers from L1, so L0A/L0B are not checked here;
- everything else (loaded and used by vector ops or stored, produced by vector ops, in-core
  ``pl.create_tensor``): UB (Vec); a vector-produced tile also used as a matmul operand reaches
  the cube through the vector->cube ring in L1 (Mat), counted by ``cross_core_rings``.

A tile is live from its creation to its last use (as an operand, a view source or a store
source). Its buffer is free for the result of the op that uses it last (liveness-based reuse),
and a tile that is never used takes no buffer (dead code is removed by the compiler). The peak
of simultaneously live bytes per space must fit the space; with ``pl.split(UP_DOWN or
LEFT_RIGHT)`` each AIV lane holds half of the vector working set.

Cross-core ring buffers (see ``cross_core_rings``): a scope with matmul results read by vector
ops, or vector-made tiles used as matmul operands, is split by the compiler into an AIC and an
AIV kernel that hand those tiles over through ring buffers reserved below every other tile.
The ring bytes are taken off the space first; the crossing tile itself lives in a ring slot.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from plsim import errors
from plsim.context import Scope
from plsim.hardware import Platform
from plsim.memory import GMTensor


class RaceTracker:
    """GM accesses of one ``pl.parallel`` loop / ``pl.spmd`` dispatch, by iteration."""

    def __init__(self, kind: str, location: tuple[str, int]) -> None:
        self.kind = kind
        self.location = location
        self.iteration = -1
        self.records: list[tuple[GMTensor, str, int, tuple[str, int, str]]] = []

    def record(self, region: GMTensor, access: str, location: tuple[str, int, str]) -> None:
        """Remember that the current iteration reads or writes ``region``."""
        self.records.append((region, access, self.iteration, location))

    def check(self) -> None:
        """RaceError if two different iterations touch an element and one of them writes it."""
        by_buffer = defaultdict(list)
        for rec in self.records:
            by_buffer[id(rec[0].buf)].append(rec)
        for recs in by_buffer.values():
            writes = [r for r in recs if r[1] == "write"]
            if not writes:
                continue
            buf = recs[0][0].buf
            # The owner map covers only the span of elements the loop touched (a loop writing
            # a few rows of a large cache must not allocate and fill an int64 per element).
            lo, owner = _span_owner(recs)
            first_write: dict[int, tuple[str, int, str]] = {}
            for region, _, it, loc in writes:
                view = _shifted(region, lo).of(owner)
                clash = (view != -1) & (view != it)
                if clash.any():
                    self._fail(buf.name, "writes", it, int(view[clash].flat[0]), loc, first_write)
                view[...] = it
                first_write.setdefault(it, loc)
            for region, access, it, loc in recs:
                if access != "read":
                    continue
                view = _shifted(region, lo).of(owner)
                clash = (view != -1) & (view != it)
                if clash.any():
                    self._fail(buf.name, "reads", it, int(view[clash].flat[0]), loc, first_write)

    def _fail(self, name, verb, it, other, loc, first_write) -> None:
        other_loc = first_write.get(other, ("?", 0))
        file, line, scope = loc
        raise errors.RaceError(
            f"{file}:{line} [scope '{scope}']: {self.kind} iteration {it} {verb} "
            f"elements of '{name}' that iteration {other} writes (at {other_loc[0]}:"
            f"{other_loc[1]}); iterations of a {self.kind} loop must be independent "
            f"(loop at {self.location[0]}:{self.location[1]})"
        )


def stores_what_is_there(region: GMTensor, values: np.ndarray) -> bool:
    """True if a store of the defined ``values`` writes exactly the defined bytes ``region``
    already holds (then it is no write another iteration could race with)."""
    buf = region.buf
    if buf.written is not None and not region.of(buf.written).all():
        return False
    old = region.of(buf.data)
    new = np.asarray(values).reshape(old.shape)
    return old.dtype == new.dtype and old.tobytes() == new.tobytes()


def _extent(region: GMTensor) -> tuple[int, int]:
    """First and one-past-last flat element a window touches (strides are non-negative)."""
    last = region.offset
    for n, stride in zip(region.shape, region.strides):
        if n == 0:
            return region.offset, region.offset
        last += (n - 1) * stride
    return region.offset, last + 1


def _span_owner(records) -> tuple[int, np.ndarray]:
    """(first flat element, owner map of -1s) spanning every record's window."""
    extents = [_extent(rec[0]) for rec in records]
    lo = min(e[0] for e in extents)
    hi = max(e[1] for e in extents)
    # The narrowest integer type that holds every iteration number (and -1): less to fill.
    last = max(rec[2] for rec in records)
    dtype = np.int8 if last < 2**7 else np.int16 if last < 2**15 else np.int64
    return lo, np.full(max(hi - lo, 1), -1, dtype=dtype)


def _shifted(region: GMTensor, lo: int) -> GMTensor:
    """``region`` as a window of an owner map that starts at flat element ``lo``."""
    return GMTensor(region.buf, region.offset - lo, region.shape, region.strides)


def _spaces(tile, platform: Platform) -> tuple[str, ...]:
    if tile.last_use <= tile.created:  # never used: dead code the compiler removes
        return ()
    if tile.origin == "cube":
        return _accumulator_spaces(tile, platform)
    if tile.origin == "load":
        if tile.used_cube and not tile.used_vector:
            return ("Mat",)
        if tile.used_cube:
            return ("Vec", "Mat")
        return ("Vec",)
    if tile.origin == "gather":
        # pl.aic_gather's rejoined halves: the cube pops them into a slot of the vector->cube
        # ring in Mat (reserved by cross_core_rings); each lane's half is its own Vec tile.
        return ()
    # A vector-made tile used as a matmul operand is pushed to the cube, which pops it into a
    # slot of the vector->cube ring in Mat (reserved by cross_core_rings), not a Mat tile.
    return ("Vec",)


def _accumulator_spaces(tile, platform: Platform) -> tuple[str, ...]:
    """Where a matmul result lives. AutoTileMatmulL0 M/N-tiles a plain ``pl.matmul`` result
    that overflows L0C when it feeds exactly one GM store and nothing else (DirectGmPlacer);
    every other result (matmul_acc accumulators, results read by vector ops, and results
    consumed only by further matmuls) stays whole in L0C. Measured with the real compiler
    (hw-native-sys/pypto e2d0f78a): a [256, 256] FP32 result consumed only by a second matmul
    is rejected with "Acc buffer usage (262144 bytes) exceeds platform limit (131072 bytes)"
    (tests/plsim_conformance/kernels/capacity_kernels.py result_to_matmul_only)."""
    nbytes = tile.data.size * tile.dtype.itemsize
    if nbytes <= platform.acc_bytes or tile.accumulated or tile.used_vector:
        return ("Acc",)
    if tile.stores == 1 and not tile.used_cube:
        return ()
    return ("Acc",)


#: (shape, element bytes) pairs that passed _check_alignment.
_ALIGNED: set[tuple[tuple[int, ...], int]] = set()


def _check_alignment(tile) -> None:
    """HardwareError for a Vec tile whose rows (or [M, 1] column) are not whole 32-byte blocks.

    The compiler accepts and emits such tiles; pto-isa's ``pto::Tile`` does not (see
    plsim.HardwareError for the cited static_assert).
    """
    shape = tile.data.shape
    item = tile.dtype.itemsize
    if (shape, item) in _ALIGNED:  # a static fact: checked once per shape and element size
        return
    file, line = tile.location
    where = f"{file}:{line} [scope '{tile.scope.name}']"
    if len(shape) >= 2 and shape[-1] == 1:  # an [M, 1] column carrier (column-major)
        rows = shape[-2]
        if rows * item % 32:
            aligned = -(-rows * item // 32) * 32 // item
            raise errors.HardwareError(
                f"{where}: the [{rows}, 1] {tile.dtype.name} column tile is {rows * item} bytes; "
                "the compiler accepts it, but a column-major pto-isa tile needs M x element bytes "
                f"to be a multiple of 32 (see plsim.HardwareError); use {aligned} rows, or write "
                "single values with pl.write"
            )
        _ALIGNED.add((shape, item))
        return
    cols = shape[-1]
    if cols * item % 32:
        raise errors.HardwareError(
            f"{where}: Vec tile {list(shape)} {tile.dtype.name} has rows of {cols * item} bytes; "
            "the compiler accepts it, but a row-major pto-isa tile needs rows that are a multiple "
            f"of 32 bytes (see plsim.HardwareError); pad the column count to "
            f"{-(-cols * item // 32) * 32 // item}"
        )
    _ALIGNED.add((shape, item))


@dataclass(frozen=True)
class Ring:
    """The cube<->vector ring buffer one mixed scope reserves in one memory space."""

    direction: str  # "cube->vector" (in Vec) or "vector->cube" (in Mat)
    slot_num: int
    slot_bytes: int
    slot_tile: object  # the crossing tile (of either direction) that sets slot_bytes

    @property
    def nbytes(self) -> int:
        """Bytes reserved at the bottom of the space."""
        return self.slot_num * self.slot_bytes


def crossing_direction(tile) -> str | None:
    """Which way a base tile crosses between the AIC and AIV kernels of a mixed scope."""
    if tile.last_use <= tile.created:
        return None
    if tile.origin == "cube" and tile.used_vector:
        return "cube->vector"
    if tile.origin in ("vector", "create", "gather") and tile.used_cube:
        return "vector->cube"
    return None


def crossing_bytes(scope: Scope) -> dict[str, int]:
    """Bytes of the tiles one finished task handed between its cube and vector kernels, by
    direction ("cube->vector", "vector->cube"): each crossing tile's whole buffer once (two
    lanes' halves of an aiv_shard / aic_gather make one tile). On a2a3 pto-isa moves them
    through a ring in GM (include/pto/npu/a2a3/TPush.hpp: the producer stores a slot, the
    consumer loads it); the cost model counts them and prices none (docs/cost_model.md)."""
    moved = {"cube->vector": 0, "vector->cube": 0}
    for tile in scope.tiles:
        direction = crossing_direction(tile)
        if direction is None or (direction == "vector->cube" and tile.lane is not None):
            continue  # a lane's half of a pl.aic_gather: counted in the rejoined tile
        moved[direction] += tile.data.size * tile.dtype.itemsize
    return moved


def _slot_bytes(tile, direction: str) -> int:
    """Bytes one crossing occupies: a cube result is pushed to the AIV as the views the vector
    ops read, so row slices of a [128, 256] INT32 accumulator read 32 rows at a time take
    32-row slots (tests/pyptolib/kernels/ring_slot_by_view.py compiles; ring_slot_whole.py,
    the same kernel reading all 128 rows at once, is rejected by the compiler)."""
    if direction == "cube->vector" and tile.vector_view_bytes:
        return tile.vector_view_bytes
    return tile.data.size * tile.dtype.itemsize


def cross_core_rings(scope: Scope) -> dict[str, Ring]:
    """Ring buffers the compiler reserves for a mixed scope, by memory space.

    Rule (pypto ``ExpandMixedKernel`` + ``BuildAutomaticPipeSetup`` +
    ``AllocateMemoryAddr``; hw-native-sys/pypto docs/en/dev/passes/22-expand_mixed_kernel.md
    "Setup is derived from the split bodies" / "Overriding the slot count", and the
    AllocateMemoryAddr capacity-check section; docs/dsl.md sections 4.2 and 13.1):

    - A tile crosses cube->vector when a matmul/matmul_acc result (Acc) is read by a vector op
      (the cube ``tpush_to_aiv``s it, the AIV ``tpop_from_aic``s it), and vector->cube when a
      tile made by vector ops is a matmul operand. GM loads are not transfers (a tile loaded
      for both sides is loaded twice) and neither is a GM store of a matmul result (a cube op).
    - ``slot_size`` = the largest byte size (shape x dtype bytes) over the crossing tiles of
      BOTH directions; one common slot size serves both rings.
    - ``slot_num`` = 2 in every direction, or ``pl.cross_core_slot(slot_num=N)`` (or the
      deprecated ``pl.split(mode, slot_num=N)``) on the scope.
    - Each used direction reserves ``slot_num x slot_size`` bytes in the CONSUMING core's
      memory -- cube->vector in Vec (UB), vector->cube in Mat (L1) -- as a leading window that
      every other tile of that kernel is allocated above. A popped tile occupies a ring slot,
      so it takes no other buffer on the consumer side.
    - The slot holds the FULL crossing tile even under ``pl.split(UP_DOWN/LEFT_RIGHT)`` (each
      lane finds its band inside the slot), so the ring is not halved; only the other vector
      tiles are (see close_scope). The pypto tutorial's mixed-kernel example confirms it: a
      [128, 128] FP32 crossing tile with UP_DOWN and slot_num=4 reserves 262144 bytes of Vec.

    Not modelled (so never a false rejection): the pure-synchronisation ring the compiler adds
    for a cube GM store that a vector load of the same scope reads back, and alignment padding
    of the ring.
    """
    crossing = [(t, crossing_direction(t)) for t in scope.tiles]
    crossing = [(t, d) for t, d in crossing if d is not None]
    if not crossing:
        return {}
    slot_tile, direction = max(crossing, key=lambda item: _slot_bytes(*item))
    slot_bytes = _slot_bytes(slot_tile, direction)
    directions = {d for _, d in crossing}
    rings = {}
    if "cube->vector" in directions:
        rings["Vec"] = Ring("cube->vector", scope.slot_num, slot_bytes, slot_tile)
    if "vector->cube" in directions:
        rings["Mat"] = Ring("vector->cube", scope.slot_num, slot_bytes, slot_tile)
    return rings


def close_scope(scope: Scope, platform: Platform) -> None:
    """Capacity and alignment checks of one finished task: per memory space, the cross-core
    ring (if any) plus the peak of simultaneously live tiles must fit the space."""
    placed: dict[str, list] = defaultdict(list)
    for tile in scope.tiles:
        for space in _spaces(tile, platform):
            if space == "Vec":
                _check_alignment(tile)
            placed[space].append(tile)
    rings = cross_core_rings(scope)
    for space in rings:
        placed.setdefault(space, [])
    for space, tiles in placed.items():
        limit = platform.capacity[space]
        ring = rings.get(space)
        reserved = ring.nbytes if ring is not None else 0
        if reserved > limit:
            _capacity_error(scope, space, limit, reserved, ring.slot_tile, [], ring)
        if not tiles:
            continue
        nbytes, created, last_used = [], [], []  # one pass over the tiles (a hot path)
        for t in tiles:
            nbytes.append(t.data.size * t.dtype.itemsize)
            created.append(t.created)
            last_used.append(t.last_use)
        sizes = np.array(nbytes, dtype=np.int64)
        if space == "Vec" and scope.vector_split:
            sizes = (sizes + 1) // 2
        big = np.flatnonzero(sizes > limit)
        if big.size:
            t = tiles[int(big[0])]
            _capacity_error(scope, space, limit, int(sizes[big[0]]), t, [t])
        starts = np.array(created, dtype=np.float64)
        # A tile's buffer is released just before the op of its last use writes its result.
        ends = np.maximum(np.array(last_used, dtype=np.float64), starts) - 0.25
        ends = np.maximum(ends, starts + 0.1)
        # Releases first in the arrays, and a stable sort by time: at equal times releases come
        # first (the order within releases or within acquisitions does not change the peak).
        times = np.concatenate([ends, starts])
        deltas = np.concatenate([-sizes, sizes])
        order = np.argsort(times, kind="stable")
        running = np.cumsum(deltas[order])
        peak_at = int(np.argmax(running))
        peak = int(running[peak_at])
        if reserved + peak > limit:
            when = times[order][peak_at]
            live = [t for t, s, e in zip(tiles, starts, ends) if s <= when < e]
            newest = max(live, key=lambda t: t.created)
            _capacity_error(scope, space, limit, reserved + peak, newest, live, ring)


_SPACE_NAMES = {"Vec": "Vec (UB)", "Mat": "Mat (L1)", "Acc": "Acc (L0C)"}


def _describe(tile) -> str:
    return f"{list(tile.data.shape)} {tile.dtype.name}"


def _ring_note(ring: Ring) -> str:
    file, line = ring.slot_tile.location
    what = (
        "a matmul result read by vector ops"
        if crossing_direction(ring.slot_tile) == "cube->vector"
        else "a vector-made matmul operand"
    )
    return (
        f"; the first {ring.nbytes} bytes are reserved for the {ring.direction} cross-core ring "
        f"buffer ({ring.slot_num} slots x {ring.slot_bytes} bytes; the slot size is set by the "
        f"{_describe(ring.slot_tile)} tile at {file.rsplit('/', 1)[-1]}:{line}, {what}) and "
        "tiles are allocated above it"
    )


def _capacity_error(scope, space, limit, used, tile, live, ring: Ring | None = None) -> None:
    file, line = tile.location
    listing = ", ".join(
        f"{_describe(t)} ({t.location[1]})"
        for t in sorted(live, key=lambda t: -t.data.size * t.dtype.itemsize)[:6]
    )
    message = (
        f"{file}:{line} [scope '{scope.name}']: {_SPACE_NAMES[space]} buffer usage ({used} "
        f"bytes) exceeds the platform limit ({limit} bytes)"
    )
    if ring is not None:
        message += _ring_note(ring)
    if live:
        message += f"; live tiles (shape dtype (line)): {listing}"
    if ring is not None:
        message += (
            "; lower the ring depth with optimizations=[pl.cross_core_slot(slot_num=N)] on "
            "the pl.at, or shrink the tile that crosses the cube/vector boundary"
        )
    raise errors.CapacityError(message)


def check_submits_a_task(task_counts, kernel) -> None:
    """A run must submit at least one task, or the runtime never finishes it (``task_counts``:
    the tasks entered, per name_hint).

    simpler's scheduler (hw-native-sys/simpler 93adc386, pypto's ``runtime/``;
    src/a2a3/runtime/tensormap_and_ringbuffer/runtime/scheduler/scheduler_cold_path.cpp, the
    check after ``orchestrator_done_``) latches the end of a run only on
    ``task_count > 0 && completed_tasks_ >= task_count``: an orchestration that submits no
    task (scalar ``pl.read``/``pl.write`` only, or a ``pl.at`` in a loop of zero trips) leaves
    its scheduler threads polling forever. Measured: ``strict_kernels.power_op`` and
    ``pipeline_kernels.runtime_scalars`` hang on a2a3sim. The scheduler code is the device's
    AICPU scheduler too, so this is not a simulator artefact.
    """
    if any(task_counts):
        return
    code = getattr(kernel, "__code__", None)
    where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "the kernel"
    raise errors.HardwareError(
        f"{where}: {getattr(kernel, '__name__', 'the kernel')} runs no task (no pl.at / "
        "pl.spmd scope was entered): the runtime's scheduler only ends a run when "
        "task_count > 0 and every task completed (simpler runtime/scheduler/"
        "scheduler_cold_path.cpp), so the run never returns on a2a3sim or the device; "
        "do the work inside a pl.at scope"
    )
