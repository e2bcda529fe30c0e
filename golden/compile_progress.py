"""Progress of a batch of compiles on stderr: what runs now, how many are done, what is left.

Quiet for batches shorter than ``grace_s``; after that a line at an event (a compiler process
starting, a compile starting or ending) or, while nothing happens (the compiler's imports, a
long compile), from a heartbeat; at most one line per ``interval_s``. Once a compile
has finished, the lines estimate the time left from the mean time per finished request since
the first compile started (the compiler process's start-up is paid once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

from golden.compiler import CompileResult


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class CompileProgress:
    """A ``golden.compiler.CompileEvent`` callback that reports a batch of ``total`` compiles;
    ``names[i]`` labels request i. Use as a context manager (it runs a heartbeat thread)."""

    def __init__(
        self,
        stream: TextIO,
        names: list[str],
        grace_s: float = 3.0,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.names = names
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self.done = 0
        self.failed = 0
        self.state = "starting"
        self.since = self.start
        self.first_compile: float | None = None  # the compiler's start-up is not per request
        self.last_print: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self, now: float) -> str:
        """The current line: counts, what runs now and, once a compile ended, the time left."""
        total = len(self.names)
        text = f"compile {self.done}/{total} done"
        if self.failed:
            text += f" ({self.failed} not compiled)"
        text += f"; {self.state} for {now - self.since:.0f}s"
        if self.done and self.done < total:
            left = (now - (self.first_compile or self.start)) / self.done * (total - self.done)
            text += f"; about {_duration(left)} left"
        elif not self.done:
            text += f"; {total} to compile"
        return text

    def _emit(self, now: float) -> None:
        if now - self.start < self.grace_s:
            return
        if self.last_print is not None and now - self.last_print < self.interval_s:
            return
        self.last_print = now
        print(f"[{now - self.start:6.1f}s] {self.status(now)}", file=self.stream, flush=True)

    def __call__(self, index: int, event: str, result: CompileResult | None) -> None:
        """A batch event (golden.compiler.CompileEvent)."""
        with self._lock:
            now = self.clock()
            if event == "setup":
                self.state = "starting a compiler process (imports torch and pypto)"
            elif event == "compile":
                self.state = f"compiling {self.names[index]}"
                self.first_compile = now if self.first_compile is None else self.first_compile
            elif event == "done":
                self.done += 1
                self.failed += result is not None and not result.compiled
                self.state = "between compiles"
            self.since = now
            self._emit(now)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s / 2):
            with self._lock:
                self._emit(self.clock())

    def __enter__(self) -> CompileProgress:
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
