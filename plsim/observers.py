"""The observers a run gets, and the two checks that are observers.

``CHECKS`` run in every run: the race checker (plsim.checks.RaceTracker per ``pl.parallel`` /
``pl.spmd`` loop) and the capacity checker (on-chip buffers and Vec row alignment when a task
finishes, plsim.checks.close_scope). ``MEASUREMENT`` only measures: the stage counter
(plsim.counting), whose StageStats the cost model prices and the trace draws. A functional-only
run (``plsim.run(..., functional_only=True)``) leaves MEASUREMENT out. A new counter is one
Observer subclass added to MEASUREMENT; ``Run.observer(cls)`` finds it after the run.

Why the checks stay on in a functional-only run: capacity and alignment are refusals of the
toolchain (pypto's AllocateMemoryAddr, pto-isa's static_asserts), which a functional run must
refuse as the compiler would; a race depends on the data (two requests whose slot_mapping
names one cache row race only for those inputs), so a clean normal run does not make every
later run race-free, and a racy kernel gives order-dependent results on the device that no
other check would catch.
"""

from __future__ import annotations

from typing import Any

from plsim.checks import RaceTracker, close_scope, stores_what_is_there
from plsim.context import STATE, Scope, kernel_location
from plsim.counting import StageCounter
from plsim.events import Loop, Observer
from plsim.hardware import Platform


class RaceChecker(Observer):
    """Records the GM accesses of each open ``pl.parallel`` loop / ``pl.spmd`` dispatch by
    iteration and checks them when the loop completes (RaceError on a conflict)."""

    def __init__(self, platform: Platform) -> None:
        del platform
        self.trackers: dict[Loop, RaceTracker] = {}

    def loop_opened(self, loop: Loop) -> None:
        self.trackers[loop] = RaceTracker(loop.kind, loop.location)

    def loop_iteration(self, loop: Loop, iteration: int) -> None:
        tracker = self.trackers.get(loop)
        if tracker is not None:
            tracker.iteration = iteration

    def loop_closed(self, loop: Loop, completed: bool) -> None:
        tracker = self.trackers.pop(loop, None)
        if tracker is not None and completed:
            tracker.check()

    def gm_access(self, region: Any, kind: str, location: tuple[str, int] | None,
                  values: Any) -> None:  # fmt: skip
        if not self.trackers:
            return
        if kind == "write" and values is not None and stores_what_is_there(region, values):
            # A store of the bytes already there (a no-op self-copy that only orders tasks,
            # pypto-lib decode_sparse_attn) changes nothing another iteration could read.
            kind = "read"
        where = (*(kernel_location() if location is None else location), STATE.scope_name)
        for tracker in self.trackers.values():
            tracker.record(region, kind, where)


class CapacityChecker(Observer):
    """On-chip capacity and Vec row alignment of each task that finishes (close_scope)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def scope_finished(self, scope: Scope) -> None:
        close_scope(scope, self.platform)


#: Observers that check the kernel: part of every run.
CHECKS: tuple[type[Observer], ...] = (RaceChecker, CapacityChecker)
#: Observers that only measure: left out of a functional-only run.
MEASUREMENT: tuple[type[Observer], ...] = (StageCounter,)


def make_observers(platform: Platform, functional_only: bool = False,
                   extra: tuple[Observer, ...] = ()) -> list[Observer]:  # fmt: skip
    """A recorder's observers: the checks, the measurement unless ``functional_only``, then
    the caller's ``extra`` ones."""
    observers: list[Observer] = [cls(platform) for cls in CHECKS]
    if not functional_only:
        observers += [cls() for cls in MEASUREMENT]
    return observers + list(extra)
