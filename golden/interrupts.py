"""Ctrl-C (SIGINT) and SIGTERM as one exception, so every write cleans up after itself and the
command line ends with one line and exit status 128 + the signal (130, 143).

Python turns SIGINT into KeyboardInterrupt but lets SIGTERM kill the process outright, with no
``finally`` run: a save interrupted that way left its half-written temporary folder behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The process got SIGINT or SIGTERM. A BaseException, so ``except Exception`` lets it by."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def name(self) -> str:
        """The signal's name (SIGINT, SIGTERM)."""
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by this signal: 128 + its number."""
        return 128 + self.signum


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise(signum: int, frame: object) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block SIGINT and SIGTERM raise Interrupted (the CLI's whole run); the
    previous handlers come back after. Outside the main thread it changes nothing."""
    if not _in_main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, _raise)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver the first one that came: for
    a few renames that must all happen or none (a save replacing an older one), and for the
    cleanup after an interruption."""
    if not _in_main_thread():
        yield
        return
    pending: list[int] = []
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if pending:
            signal.raise_signal(pending[0])


def after_finish(prog: str) -> None:
    """For a command line's own process, once its work is done: a SIGINT or SIGTERM arriving
    from now to the exit (the interpreter's teardown of a large run takes seconds) ends the
    process with one line and 128 + the signal, instead of the default handler's silent kill.
    Everything the run wrote is complete by then, which the line says."""
    if not _in_main_thread():
        return

    def _finished(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"{prog}: interrupted by {name} after the run finished; its report and "
                "files are complete\n"
            )
            sys.stderr.flush()
        os._exit(128 + signum)

    for s in SIGNALS:
        signal.signal(s, _finished)
