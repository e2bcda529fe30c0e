"""Distributed runs: a ``@pl.jit.host`` body, its per-rank launches and the rank scheduler.

The host body runs first, in the caller's thread: it allocates window buffers and records
every ``kernel(..., device=r)`` call as a launch; nothing executes on a rank yet (a host
orchestrator only submits work). Then every rank runs its launches in program order in a
thread of its own. The threads are scheduled cooperatively: exactly one holds the baton and
runs plsim code; it gives the baton away only when it blocks (a ``pld.system.wait`` whose
condition does not hold, or a launch that must wait for an earlier launch on another rank)
or finishes. So plsim's interpreter state (scope stack, trace, accounting, race trackers)
is never touched by two threads at once; the baton holder's ``STATE`` is swapped in on each
hand-over. A launch waits for every earlier launch on another rank whose host tensors it
shares (a host orchestrator orders dispatches by their tensor dependences).

Deadlock: when the rank that blocks finds no other rank that can run (every live rank waits
on a condition no running rank can change), the run stops with :class:`DeadlockError`
listing each waiting rank, its signal, offsets, expected value and the value it holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plsim import errors
from plsim.context import STATE, State, as_dsl_error


class RankAborted(BaseException):
    """Raised in a rank thread when another rank failed; not an error of this rank."""


@dataclass(eq=False)
class Launch:
    """One ``kernel(..., device=rank)`` call recorded by the host body."""

    index: int
    rank: int
    kernel: Any  # a JitFunction
    args: tuple
    kwargs: dict[str, Any]
    where: str
    # GMTensor arguments (host memory), each with whether the kernel may write it
    host_regions: list[tuple[Any, bool]] = field(default_factory=list)
    deps: list[Launch] = field(default_factory=list)
    done: bool = False

    @property
    def name(self) -> str:
        """``kernel@rank`` for messages."""
        return f"{self.kernel.fn.__name__}(device={self.rank}) from {self.where}"


@dataclass
class _Blocked:
    ready: Callable[[], bool]
    describe: Callable[[], str]


class Scheduler:
    """Cooperative scheduling of rank threads: one baton, handed over only when blocking."""

    def __init__(self, ranks: list[int]) -> None:
        self.ranks = ranks
        self.cond = threading.Condition()
        self.current: int | None = ranks[0] if ranks else None
        self.blocked: dict[int, _Blocked] = {}
        self.finished: set[int] = set()
        self.aborted = False
        self.error: BaseException | None = None
        self.states: dict[int, dict[str, Any]] = {}

    # --- baton ---------------------------------------------------------------------------
    def acquire(self, rank: int) -> None:
        """Wait until ``rank`` holds the baton (or the run is aborted)."""
        with self.cond:
            while self.current != rank and not self.aborted:
                self.cond.wait()
            if self.aborted:
                raise RankAborted
        vars(STATE).clear()
        vars(STATE).update(self.states[rank])

    def _next(self, rank: int) -> int | None:
        """The next rank after ``rank`` (round robin) that can run, else None."""
        n = len(self.ranks)
        start = self.ranks.index(rank)
        for step in range(1, n + 1):
            cand = self.ranks[(start + step) % n]
            if cand in self.finished:
                continue
            waiting = self.blocked.get(cand)
            if waiting is None or waiting.ready():
                return cand
        return None

    def _deadlock(self) -> errors.DeadlockError:
        lines = [f"  rank {r}: {self.blocked[r].describe()}" for r in sorted(self.blocked)]
        return errors.DeadlockError(
            "deadlock: every live rank is blocked and no running rank can release it\n"
            + "\n".join(lines)
        )

    def _hand_over(self, rank: int) -> None:
        """Give the baton from ``rank`` to the next runnable rank; abort on deadlock."""
        self.states[rank] = dict(vars(STATE))
        nxt = self._next(rank)
        with self.cond:
            if nxt is None and len(self.finished) < len(self.ranks):
                self.error = self.error or self._deadlock()
                self.aborted = True
            self.current = nxt
            self.cond.notify_all()

    def block_until(self, rank: int, ready: Callable[[], bool], describe: Callable[[], str]):
        """Return once ``ready()`` holds, letting other ranks run meanwhile."""
        if ready():
            return
        self.blocked[rank] = _Blocked(ready, describe)
        try:
            self._hand_over(rank)
            self.acquire(rank)
        finally:
            self.blocked.pop(rank, None)

    def finish(self, rank: int) -> None:
        """``rank`` has run all its launches (or failed)."""
        self.finished.add(rank)
        if self.aborted:
            return
        self._hand_over(rank)

    def fail(self, exc: BaseException) -> None:
        """Stop every rank; ``exc`` is reported by the caller of run."""
        with self.cond:
            self.error = self.error or exc
            self.aborted = True
            self.cond.notify_all()


#: The scheduler of the distributed run in progress (None outside one).
_SCHEDULER: Scheduler | None = None


def block_until(ready: Callable[[], bool], describe: Callable[[], str]) -> None:
    """Block the current rank until ``ready()``; DSLError outside a distributed run."""
    sched = _SCHEDULER
    if sched is None or STATE.rank is None:
        from plsim.context import dsl

        dsl("pld.system.wait outside a distributed run: launch the kernel from a @pl.jit.host "
            "function with device=rank")  # fmt: skip
    sched.block_until(STATE.rank, ready, describe)


def overlaps(a, b) -> bool:
    """True if GM views ``a`` and ``b`` share elements of one buffer."""
    return a.buf is b.buf and np.may_share_memory(a.data(), b.data())


def link_dependences(launches: list[Launch]) -> None:
    """Each launch depends on the earlier launches of other ranks that write host memory it
    reads or writes, or read host memory it writes. Inputs that every rank only reads (shared
    weights) order nothing."""
    for i, launch in enumerate(launches):
        for earlier in launches[:i]:
            if earlier.rank == launch.rank:
                continue
            if any(
                (wa or wb) and overlaps(a, b)
                for a, wa in launch.host_regions
                for b, wb in earlier.host_regions
            ):
                launch.deps.append(earlier)


def run_ranks(launches: list[Launch], execute: Callable[[Launch], None]) -> None:
    """Run ``launches`` (grouped per rank, program order) on cooperatively scheduled threads.

    ``execute(launch)`` runs one launch in its rank's thread with ``STATE`` prepared for it.
    Raises the first rank error, or DeadlockError.
    """
    global _SCHEDULER
    link_dependences(launches)
    ranks = sorted({launch.rank for launch in launches})
    if not ranks:
        return
    sched = Scheduler(ranks)
    for rank in ranks:
        fresh = State()  # every rank has its own scope stack, trackers and loop state
        fresh.rank = rank
        sched.states[rank] = dict(vars(fresh))
    saved = dict(vars(STATE))

    def body(rank: int) -> None:
        try:
            sched.acquire(rank)
            with np.errstate(all="ignore"):
                for launch in (x for x in launches if x.rank == rank):
                    sched.block_until(
                        rank,
                        lambda launch=launch: all(d.done for d in launch.deps),
                        lambda launch=launch: (
                            "launch "
                            + launch.name
                            + " waits for "
                            + ", ".join(d.name for d in launch.deps if not d.done)
                        ),
                    )
                    execute(launch)
                    launch.done = True
        except RankAborted:
            return
        except BaseException as exc:  # reported by the caller's thread
            converted = as_dsl_error(exc, STATE.scope_name) if isinstance(exc, Exception) else None
            if converted is not None:
                converted.__cause__ = exc
            sched.fail(converted or exc)
            return
        sched.finish(rank)

    threads = [threading.Thread(target=body, args=(r,), name=f"plsim-rank-{r}") for r in ranks]
    _SCHEDULER = sched
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        _SCHEDULER = None
        vars(STATE).clear()
        vars(STATE).update(saved)
    if sched.error is not None:
        raise sched.error
