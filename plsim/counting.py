"""The stage counter: the observer that fills each scope name_hint's StageStats (the counts the
cost model prices, plsim.accounting) and marks the parameter elements a run reads and stores
(its compulsory traffic). A functional-only run has none (plsim.observers)."""

from __future__ import annotations

from typing import Any

import numpy as np

from plsim import block_balance as bb
from plsim.accounting import StageStats, contiguous_segments, count_transfer
from plsim.checks import crossing_bytes
from plsim.context import Scope
from plsim.events import Observer
from plsim.scalar_cache import LineCache


class _Dense:
    """Shape and C-order element strides of a dense array (an outlined tile's GM tensor)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.strides = tuple(int(np.prod(shape[i + 1 :])) for i in range(len(shape)))


def _mark(buf: Any, region: Any, direction: str) -> None:
    """Mark ``region``'s elements of a parameter buffer as read or stored (allocated on first
    use; plsim.runner sums them into the compulsory traffic)."""
    attr = "read_mask" if direction == "read" else "stored_mask"
    mask = getattr(buf, attr)
    if mask is None:
        mask = np.zeros(buf.data.shape, dtype=bool)
        setattr(buf, attr, mask)
    region.of(mask)[...] = True


class StageCounter(Observer):
    """StageStats by name_hint, in first-entry order (see plsim.accounting for the rules)."""

    def __init__(self) -> None:
        self.stages: dict[str, StageStats] = {}
        # The running task's scalar data cache (plsim.scalar_cache), cold at each task.
        self._dcache = LineCache()
        # Each stage's running task's counts (plsim.block_balance's list), by name.
        self._load: dict[str, list] = {}

    def _task(self, name: str) -> list:
        """The running task's counts of stage ``name``: its latest task's (an outlined tile's
        write lands there), or, for an event before any task of the stage, a load of its own."""
        load = self._load.get(name)
        if load is None:
            stats = self.stage(name)
            load = self._load[name] = bb.new_load(max(stats.launches - 1, 0))
            stats.task_loads.append(load)
        return load

    def stage(self, name: str) -> StageStats:
        """The StageStats of ``name``, created on first use."""
        stats = self.stages.get(name)
        if stats is None:
            stats = self.stages[name] = StageStats(name)
        return stats

    def scope_entered(self, scope: Scope, launch: bool, early_resolve: bool) -> None:
        stats = self.stage(scope.name)
        stats.tasks += 1
        stats.launches += int(launch)
        stats.early_resolve = stats.early_resolve or early_resolve
        stats.vector_split = stats.vector_split or scope.vector_split
        self._dcache.clear()
        load = self._load[scope.name] = bb.new_load(stats.launches - 1)
        stats.task_loads.append(load)

    def scope_finished(self, scope: Scope) -> None:
        moved = crossing_bytes(scope)
        stats = self.stage(scope.name)
        stats.cube_to_vector_bytes += moved["cube->vector"]
        stats.vector_to_cube_bytes += moved["vector->cube"]

    def scalar_read(self, scope: Scope, buffer: Any, byte_offset: int) -> None:
        stats = self.stage(scope.name)
        line = int(self._dcache.read(id(buffer), byte_offset))
        stats.scalar_reads += 1
        stats.scalar_read_lines += line
        load = self._task(scope.name)
        load[bb.SCALAR_READS] += 1
        load[bb.SCALAR_LINES] += line

    def transfer(self, scope: Scope | None, direction: str, nbytes: int, region: Any,
                 owner: Any, compulsory: bool) -> None:  # fmt: skip
        if scope is not None:
            count_transfer(self.stage(scope.name), direction, nbytes, region, owner)
            self._count_task_transfer(scope.name, nbytes, region)
        buf = getattr(region, "buf", None)
        if compulsory and nbytes and buf is not None and buf.is_param:
            _mark(buf, region, direction)

    def _count_task_transfer(self, name: str, nbytes: int, region: Any) -> None:
        """The running task's share of a transfer count_transfer just counted."""
        if nbytes:
            load = self._task(name)
            load[bb.GM_BYTES] += nbytes
            load[bb.GM_TRANSFERS] += 1
            load[bb.GM_SEGMENTS] += contiguous_segments(region.shape, region.strides)

    def vector_ops(self, scope: Scope, count: int) -> None:
        self.stage(scope.name).vector_ops += count
        self._task(scope.name)[bb.VECTOR_OPS] += count

    def cube_macs(self, scope: Scope, macs: int, dtype: str) -> None:
        stats = self.stage(scope.name)
        stats.cube_macs += macs
        stats.cube_macs_by_dtype[dtype] = stats.cube_macs_by_dtype.get(dtype, 0) + macs
        by_dtype = self._task(scope.name)[bb.CUBE_MACS]
        by_dtype[dtype] = by_dtype.get(dtype, 0) + macs

    def pipeline_loop(self, scope: Scope, depth: int, iterations: int, round_trip: bool) -> None:
        if iterations <= 0:
            # A loop that never iterates fills no buffer and hides no transfer.
            return
        stats = self.stage(scope.name)
        if round_trip:
            stats.round_trip_depth = max(stats.round_trip_depth, depth)
            stats.round_trip_loops += 1
            stats.round_trip_iterations += iterations
            return
        stats.pipelined = True
        stats.pipeline_depth = max(stats.pipeline_depth, depth)
        stats.pipeline_loops += 1
        stats.pipeline_iterations += iterations

    def vector_split(self, scope: Scope) -> None:
        self.stage(scope.name).vector_split = True

    def remote_transfer(self, scope: Scope, direction: str, nbytes: int) -> None:
        stats = self.stage(scope.name)
        if direction == "read":
            stats.remote_read_bytes += nbytes
        else:
            stats.remote_write_bytes += nbytes

    def tile_outlined(self, tile: Any, user: Scope) -> None:
        """The bytes go to GM once and are read back once per user task (the compiler outlines
        the tile as a GM output of its scope and an input of the user; tests/pyptolib/kernels/
        cross_scope_tile.py compiles). The valid rectangle is what moves."""
        nbytes = int(np.prod(tile.valid)) * tile.dtype.itemsize
        region = _Dense(tuple(tile.valid))  # the outlined tensor is dense: one segment
        if tile.outlined_to is None:
            tile.outlined_to = set()
            count_transfer(self.stage(tile.scope.name), "write", nbytes, region, owner=tile)
            self._count_task_transfer(tile.scope.name, nbytes, region)
        if id(user) not in tile.outlined_to:
            tile.outlined_to.add(id(user))
            count_transfer(self.stage(user.name), "read", nbytes, region, owner=tile)
            self._count_task_transfer(user.name, nbytes, region)
