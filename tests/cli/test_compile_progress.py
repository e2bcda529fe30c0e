"""Progress of compile batches (golden.compile_progress): quiet at first, then what runs and
an estimate of the time left from the compiles that finished."""

from __future__ import annotations

import io

from golden.compile_progress import CompileProgress
from golden.compiler import CompileResult


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress(names, clock, stream):
    return CompileProgress(stream, names, grace_s=3.0, interval_s=0.0, clock=clock)


def test_quiet_within_the_grace_period():
    clock, stream = Clock(), io.StringIO()
    progress = _progress(["a", "b"], clock, stream)
    progress(0, "setup", None)
    clock.now = 2.0
    progress(0, "compile", None)
    assert stream.getvalue() == ""


def test_lines_name_the_running_compile_and_estimate_what_is_left():
    clock, stream = Clock(), io.StringIO()
    progress = _progress([f"k{i}" for i in range(4)], clock, stream)
    progress(0, "setup", None)
    clock.now = 4.0
    progress(0, "compile", None)
    clock.now = 10.0
    progress(0, "done", CompileResult(True, 6.0))
    clock.now = 20.0
    progress(1, "done", CompileResult(False, 9.0))
    lines = stream.getvalue().splitlines()
    assert "compiling k0" in lines[0] and "4 to compile" in lines[0]
    # Timed from the first compile (4 s; the start-up is paid once): one of four done 6 s
    # later, 18 s left; two done 16 s later, 16 s left.
    assert "compile 1/4 done" in lines[1] and "about 18s left" in lines[1]
    assert "compile 2/4 done (1 not compiled)" in lines[2] and "about 16s left" in lines[2]
