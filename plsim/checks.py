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
  ``pl.create_tensor``): UB (Vec); a vector-produced tile also used as a matmul operand is
  copied to L1 and counts in Mat as well.

A tile is live from its creation to its last use (as an operand, a view source or a store
source). Its buffer is free for the result of the op that uses it last (liveness-based reuse),
and a tile that is never used takes no buffer (dead code is removed by the compiler). The peak
of simultaneously live bytes per space must fit the space; with ``pl.split(UP_DOWN or
LEFT_RIGHT)`` each AIV lane holds half of the vector working set.
"""

from __future__ import annotations

from collections import defaultdict

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
            owner = np.full(buf.data.shape, -1, dtype=np.int64)
            first_write: dict[int, tuple[str, int, str]] = {}
            for region, _, it, loc in writes:
                view = region.of(owner)
                clash = (view != -1) & (view != it)
                if clash.any():
                    self._fail(buf.name, "writes", it, int(view[clash].flat[0]), loc, first_write)
                view[...] = it
                first_write.setdefault(it, loc)
            for region, access, it, loc in recs:
                if access != "read":
                    continue
                view = region.of(owner)
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
    if tile.used_cube:
        return ("Vec", "Mat")
    return ("Vec",)


def _accumulator_spaces(tile, platform: Platform) -> tuple[str, ...]:
    """Where a matmul result lives. AutoTileMatmulL0 M/N-tiles a plain ``pl.matmul`` result
    that overflows L0C when it feeds exactly one GM store and nothing else (DirectGmPlacer), or
    only further matmuls and fits L1 (MatScratchPlacer); matmul_acc accumulators and results
    read by vector ops stay whole in L0C, so an overflow there is a real allocation failure."""
    nbytes = tile.data.size * tile.dtype.itemsize
    if nbytes <= platform.acc_bytes or tile.accumulated or tile.used_vector:
        return ("Acc",)
    if tile.stores == 1 and not tile.used_cube:
        return ()
    if tile.stores == 0 and tile.used_cube and nbytes <= platform.mat_bytes:
        return ("Mat",)
    return ("Acc",)


def _check_alignment(tile) -> None:
    shape = tile.data.shape
    item = tile.dtype.itemsize
    if len(shape) >= 2 and shape[-1] == 1:  # an [M, 1] column carrier (column-major)
        rows = shape[-2]
        if rows * item % 32:
            file, line = tile.location
            raise errors.DSLError(
                f"{file}:{line} [scope '{tile.scope.name}']: the [{rows}, 1] "
                f"{tile.dtype.name} column tile is {rows * item} bytes; column vectors need "
                "M x element bytes to be a multiple of 32 (write single values with pl.write)"
            )
        return
    cols = shape[-1]
    if cols * item % 32:
        file, line = tile.location
        raise errors.DSLError(
            f"{file}:{line} [scope '{tile.scope.name}']: Vec tile {list(shape)} "
            f"{tile.dtype.name} has rows of {cols * item} bytes; UB tile rows must be a "
            "multiple of 32 bytes (pad the column count)"
        )


def close_scope(scope: Scope, platform: Platform) -> None:
    """Capacity and alignment checks of one finished task."""
    placed: dict[str, list] = defaultdict(list)
    for tile in scope.tiles:
        for space in _spaces(tile, platform):
            if space == "Vec":
                _check_alignment(tile)
            placed[space].append(tile)
    for space, tiles in placed.items():
        limit = platform.capacity[space]
        sizes = np.array([t.data.size * t.dtype.itemsize for t in tiles], dtype=np.int64)
        if space == "Vec" and scope.vector_split:
            sizes = (sizes + 1) // 2
        big = np.flatnonzero(sizes > limit)
        if big.size:
            t = tiles[int(big[0])]
            _capacity_error(scope, space, limit, int(sizes[big[0]]), t, [t])
        starts = np.array([t.created for t in tiles], dtype=np.float64)
        # A tile's buffer is released just before the op of its last use writes its result.
        ends = np.array([max(t.last_use, t.created) for t in tiles], dtype=np.float64) - 0.25
        ends = np.maximum(ends, starts + 0.1)
        times = np.concatenate([starts, ends])
        deltas = np.concatenate([sizes, -sizes])
        order = np.lexsort((deltas, times))  # at equal times, releases first
        running = np.cumsum(deltas[order])
        peak_at = int(np.argmax(running))
        peak = int(running[peak_at])
        if peak > limit:
            when = times[order][peak_at]
            live = [t for t, s, e in zip(tiles, starts, ends) if s <= when < e]
            newest = max(live, key=lambda t: t.created)
            _capacity_error(scope, space, limit, peak, newest, live)


_SPACE_NAMES = {"Vec": "Vec (UB)", "Mat": "Mat (L1)", "Acc": "Acc (L0C)"}


def _capacity_error(scope, space, limit, used, tile, live) -> None:
    file, line = tile.location
    listing = ", ".join(
        f"{list(t.data.shape)} {t.dtype.name} ({t.location[1]})"
        for t in sorted(live, key=lambda t: -t.data.size * t.dtype.itemsize)[:6]
    )
    raise errors.CapacityError(
        f"{file}:{line} [scope '{scope.name}']: {_SPACE_NAMES[space]} buffer usage ({used} "
        f"bytes) exceeds the platform limit ({limit} bytes); live tiles (shape dtype (line)): "
        f"{listing}"
    )
