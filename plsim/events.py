"""A run's events and the observers that consume them.

The ops and scopes compute and check; what only watches a run is an observer. An op reports
what it did (a GM transfer and its bytes, vector element operations, cube MACs, a GM access a
race could involve) and a scope reports its tasks (entered, finished) and its loops (a
``pl.parallel`` / ``pl.spmd`` opened, its iterations, closed). ``Events`` hands each event to
the observers whose class overrides that event's method, so an event nobody overrides costs a
test of an empty list. plsim.observers lists the observers a run gets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plsim.context import STATE, Scope

#: The event methods of Observer, in the order they are documented there.
EVENTS = (
    "scope_entered",
    "scope_finished",
    "transfer",
    "vector_ops",
    "cube_macs",
    "pipeline_loop",
    "vector_split",
    "remote_transfer",
    "tile_outlined",
    "loop_opened",
    "loop_iteration",
    "loop_closed",
    "gm_access",
    "scalar_read",
)


class Observer:
    """Base class of a run's observers: override the events you need (the others are never
    called). ``scope`` is the task (plsim.context.Scope) the event happened in."""

    def scope_entered(self, scope: Scope, launch: bool, early_resolve: bool) -> None:
        """A task of ``scope.name`` started; ``launch``: it is a dispatch of its own (not a
        further block of an SPMD launch); ``early_resolve``: the scope allows early resolve."""

    def scope_finished(self, scope: Scope) -> None:
        """A task completed normally (not called while an exception propagates)."""

    def transfer(self, scope: Scope | None, direction: str, nbytes: int, region: Any,
                 owner: Any, compulsory: bool) -> None:  # fmt: skip
        """A GM transfer of ``nbytes`` (``direction`` 'read' or 'write') over ``region`` (a
        GMTensor, or any object with ``shape`` and element ``strides``); ``owner`` is the GM
        buffer it depends on (None: the region's). ``scope`` is None for an orchestration
        access, which moves no DMA bytes. ``compulsory``: the elements count towards the
        kernel's compulsory traffic when they belong to a parameter."""

    def vector_ops(self, scope: Scope, count: int) -> None:
        """A vector op produced (or, a reduction, read) ``count`` valid elements."""

    def cube_macs(self, scope: Scope, macs: int, dtype: str) -> None:
        """A matmul ran ``macs`` multiply-accumulates on operands of ``dtype`` (its name)."""

    def pipeline_loop(self, scope: Scope, depth: int, iterations: int, round_trip: bool) -> None:
        """A ``pl.pipeline(stage=depth)`` loop (depth >= 2) of ``iterations`` finished;
        ``round_trip``: its iterations handed tiles between the cores both ways."""

    def vector_split(self, scope: Scope) -> None:
        """The task's vector code runs on both AIVs of its core group (pl.split_aiv)."""

    def remote_transfer(self, scope: Scope, direction: str, nbytes: int) -> None:
        """``nbytes`` moved to ('write') or from ('read') another rank's window."""

    def tile_outlined(self, tile: Any, user: Scope) -> None:
        """``tile`` (a base Tile), made in a task that has finished, is read by ``user``: the
        compiler passes it through GM."""

    def scalar_read(self, scope: Scope, buffer: Any, byte_offset: int) -> None:
        """The task's scalar unit read GM at ``byte_offset`` of ``buffer`` (a pl.read of a
        tensor; also reported as a transfer of its bytes)."""

    def loop_opened(self, loop: Loop) -> None:
        """A ``pl.parallel`` loop or ``pl.spmd`` dispatch began (its iterations independent)."""

    def loop_iteration(self, loop: Loop, iteration: int) -> None:
        """Iteration ``iteration`` of ``loop`` begins."""

    def loop_closed(self, loop: Loop, completed: bool) -> None:
        """``loop`` ended; ``completed``: normally (not by an exception or abandonment)."""

    def gm_access(self, region: Any, kind: str, location: tuple[str, int] | None,
                  values: Any) -> None:  # fmt: skip
        """A GM access in a kernel line: ``kind`` 'read', 'write' or 'atomic'; a tile store
        reports it just before its ``values`` (None: not comparable) land in ``region``.
        ``location`` is the kernel line when the op already knows it (else None)."""


class Loop:
    """One ``pl.parallel`` loop or ``pl.spmd`` dispatch, as its observers see it.

    It keeps the Events it was opened on: an abandoned loop's generator may be closed by the
    garbage collector during a later run, and must then reach this run's observers only.
    """

    __slots__ = ("events", "kind", "location")

    def __init__(self, events: Events, kind: str, location: tuple[str, int]) -> None:
        self.events = events
        self.kind = kind
        self.location = location

    def iteration(self, index: int) -> None:
        """Report that iteration ``index`` begins."""
        for handler in self.events.loop_iteration:
            handler(self, index)

    def close(self, completed: bool) -> None:
        """Report that the loop ended."""
        for handler in self.events.loop_closed:
            handler(self, completed)


class Events:
    """The observers of one recorder, by event: ``events.transfer`` is the list of the
    ``transfer`` methods to call, one per observer that overrides it."""

    def __init__(self, observers: Iterable[Observer]) -> None:
        self.observers: list[Observer] = list(observers)
        for name in EVENTS:
            base = getattr(Observer, name)
            handlers = [getattr(o, name) for o in self.observers
                        if getattr(type(o), name, base) is not base]  # fmt: skip
            setattr(self, name, handlers)

    def open_loop(self, kind: str, location: tuple[str, int]) -> Loop:
        """A new Loop, reported to the observers."""
        loop = Loop(self, kind, location)
        for handler in self.loop_opened:
            handler(loop)
        return loop

    def find(self, cls: type) -> Any:
        """The first observer that is a ``cls``, or None."""
        return next((o for o in self.observers if isinstance(o, cls)), None)


# --- emitting from the current run (STATE.recorder) -------------------------------------------
# The ops call these; each is a no-op when no observer listens.


#: The events of code that runs outside plsim.run (no recorder): nobody listens.
NO_EVENTS = Events(())


def current() -> Events:
    """The current run's Events (NO_EVENTS outside plsim.run)."""
    rec = STATE.recorder
    return NO_EVENTS if rec is None else rec.events


def transfer(direction: str, nbytes: int, region: Any, owner: Any = None,
             compulsory: bool = True) -> None:  # fmt: skip
    """Report a GM transfer of the current task (or of orchestration, outside a task)."""
    handlers = current().transfer
    if handlers:
        scope = STATE.scopes[-1] if STATE.scopes else None
        for handler in handlers:
            handler(scope, direction, nbytes, region, owner, compulsory)


def scalar_read(buffer: Any, byte_offset: int) -> None:
    """Report a scalar GM read of the current task (none in orchestration)."""
    handlers = current().scalar_read
    if handlers and STATE.scopes:
        scope = STATE.scopes[-1]
        for handler in handlers:
            handler(scope, buffer, byte_offset)


def vector_ops(count: int) -> None:
    """Report ``count`` vector element operations of the current task."""
    handlers = current().vector_ops
    if handlers:
        scope = STATE.scopes[-1]
        for handler in handlers:
            handler(scope, count)


def cube_macs(macs: int, dtype: str) -> None:
    """Report a matmul's MACs in the current task."""
    for handler in current().cube_macs:
        handler(STATE.scopes[-1], macs, dtype)


def pipeline_loop(depth: int, iterations: int, round_trip: bool) -> None:
    """Report a finished multi-buffered pl.pipeline loop in the current task."""
    for handler in current().pipeline_loop:
        handler(STATE.scopes[-1], depth, iterations, round_trip)


def vector_split() -> None:
    """Report that the current task's vector code runs on both AIVs."""
    for handler in current().vector_split:
        handler(STATE.scopes[-1])


def remote_transfer(direction: str, nbytes: int) -> None:
    """Report bytes moved to or from another rank's window by the current task."""
    for handler in current().remote_transfer:
        handler(STATE.scopes[-1], direction, nbytes)


def tile_outlined(tile: Any) -> None:
    """Report that the current task reads ``tile`` made by a finished task."""
    for handler in current().tile_outlined:
        handler(tile, STATE.scopes[-1])


def gm_access(region: Any, kind: str, location: tuple[str, int] | None = None,
              values: Any = None) -> None:  # fmt: skip
    """Report a GM access that a race between loop iterations could involve."""
    for handler in current().gm_access:
        handler(region, kind, location, values)


def open_loop(kind: str, location: tuple[str, int]) -> Loop:
    """Open a Loop on the current run's observers."""
    return current().open_loop(kind, location)
