"""Progress of a run on stderr: the phase (inputs, golden, kernel, compare), its time so far,
and in the kernel the stage and task plsim is at; inside a ``pl.spmd`` launch also the block
and an estimate of the time the launch has left (its blocks so far at their average pace; a
whole run's remaining time is unknown before its data-dependent stages have run)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO


class StderrProgress:
    """Progress on stderr over the whole run (inputs, golden, kernel, compare).

    Quiet for runs shorter than ``grace_s``; after that one line at each phase change and at
    most one per ``interval_s`` within a phase (a heartbeat thread covers phases, like the
    golden, that report nothing themselves). Kernel lines name the stage, its task index and
    the tasks run so far.
    """

    def __init__(
        self,
        stream: TextIO,
        grace_s: float = 3.0,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self.last_print: float | None = None
        self.current = "start"
        self.phase_start = self.start
        self.tasks = 0
        self.stage = ""
        self.task_index = 0
        # The pl.spmd launch under way: (stage, block count), its start and blocks begun.
        self.launch: tuple[str, int] | None = None
        self.launch_start = 0.0
        self.launch_begun = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _emit(self, now: float, text: str) -> None:
        self.last_print = now
        print(f"[{now - self.start:6.1f}s] {text}", file=self.stream, flush=True)

    def _due(self, now: float) -> bool:
        if now - self.start < self.grace_s:
            return False
        return self.last_print is None or now - self.last_print >= self.interval_s

    def _launch_status(self, now: float) -> str:
        """``, block i of N (about T s left in this launch)`` inside an SPMD launch."""
        if self.launch is None:
            return ""
        count, begun = self.launch[1], self.launch_begun
        text = f", block {begun} of {count}"
        elapsed = now - self.launch_start
        if begun > 1 and elapsed > 0:  # begun - 1 blocks have finished in `elapsed`
            left = elapsed / (begun - 1) * (count - begun + 1)
            text += f" (about {_duration(left)} left in this launch)"
        return text

    def _status(self, now: float) -> str:
        text = f"{self.current}: {now - self.phase_start:.1f} s in this phase"
        if self.current == "kernel" and self.tasks:
            text += f", stage {self.stage} task {self.task_index} ({self.tasks} tasks run so far)"
            text += self._launch_status(now)
        elif self.current == "kernel" and self.stage:
            text += f", {self.stage}"
        return text

    def step(self, name: str) -> None:
        """A step of a pypto platform's kernel phase starts (build, C++ compile, run)."""
        with self._lock:
            self.stage = name

    def phase(self, name: str) -> None:
        """A new phase of the run starts."""
        with self._lock:
            now = self.clock()
            if now - self.start >= self.grace_s:
                self._emit(now, f"{self.current} done in {now - self.phase_start:.1f} s; {name}")
            self.current, self.phase_start = name, now

    def __call__(
        self, stage: str, task_index: int, block: tuple[int, int] | None = None
    ) -> None:
        """A kernel task starts (plsim's progress callback; ``block``: (index, count) of a
        pl.spmd block)."""
        with self._lock:
            self.tasks += 1
            self.stage, self.task_index = stage, task_index
            now = self.clock()
            if block is None:
                self.launch = None
            else:
                count = int(block[1])
                if self.launch != (stage, count) or self.launch_begun >= count:
                    self.launch, self.launch_start, self.launch_begun = (stage, count), now, 0
                self.launch_begun += 1
            if self._due(now):
                self._emit(now, self._status(now))

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s / 2):
            with self._lock:
                now = self.clock()
                if self._due(now):
                    self._emit(now, self._status(now))

    def __enter__(self) -> StderrProgress:
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _duration(seconds: float) -> str:
    """``42 s`` or ``3m05s``."""
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60}m{seconds % 60:02d}s"
