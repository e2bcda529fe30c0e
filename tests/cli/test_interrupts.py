"""Ctrl-C or SIGTERM in the middle of a save: one line on stderr, exit 128 + the signal, no
traceback and no half-written folder left behind (golden/interrupts.py, golden/data.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# A save of about 150 MB, written after some 3 s of inputs and golden: long enough to be caught
# (--json: no progress lines on stderr, whatever the machine's speed).
ARGS = ["deepseek_v4.indexer_compressor", "--preset", "FLASH", "--batch", "16",
        "--max-seq-len", "65536", "--json"]  # fmt: skip


def _interrupt_during_save(tmp_path: Path, signum: int) -> subprocess.CompletedProcess:
    target = tmp_path / "save"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "run.py"), *ARGS, "--save-data", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(".save.tmp-") for p in tmp_path.iterdir()):
            # Freeze it mid-write, so the signal lands inside the save whatever the timing.
            proc.send_signal(signal.SIGSTOP)
            proc.send_signal(signum)
            proc.send_signal(signal.SIGCONT)
            break
        time.sleep(0.002)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_save_cleans_up_and_exits_with_one_line(tmp_path, signum, status):
    result = _interrupt_during_save(tmp_path, signum)
    assert result.returncode == status, result.stderr
    name = signal.Signals(signum).name
    assert result.stderr.strip().splitlines() == [
        f"run.py: interrupted by {name}; nothing half-written was left"
    ]
    assert list(tmp_path.iterdir()) == []  # no save, no .save.tmp-* folder


def test_a_signal_during_a_build_stops_the_worker_and_leaves_no_build_folder(tmp_path):
    """--compile-only interrupted while the toolchain's child builds: the child goes with the
    command, and the temporary build root (under $TMPDIR) is gone once the command exits."""
    from golden.compiler import COMPILER_INSTALL, compiler_available

    if not compiler_available():
        pytest.skip(f"needs the real pypto compiler; install {COMPILER_INSTALL}")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "run.py"), "toy.scale_matmul", "--compile-only",
         "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    # The build root and the kernel's folder in it appear before the worker starts; pypto
    # writes into the folder once the build runs: the signal lands inside the build.
    while proc.poll() is None and time.monotonic() < deadline:
        if any(True for root in scratch.glob("pypto_build_*") for _ in root.glob("*/*")):
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    time.sleep(8)  # a worker left running would write its build folder within seconds
    assert [p.name for p in scratch.iterdir() if p.name.startswith("pypto_build_")] == []


# What golden.cli.command does once main() returned, then a signal during the teardown.
_AFTER_FINISH = """
import os, signal, sys, time
sys.path.insert(0, {repo!r})
from golden import interrupts
print("RESULT: PASS", flush=True)
interrupts.after_finish("run.py")
os.kill(os.getpid(), signal.{name})
time.sleep(30)
"""


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_after_the_run_finished_still_ends_with_one_line(signum, status):
    """A run's report and trace are written, the interpreter tears down (seconds for a large
    run) and a signal lands: one line saying the outputs are complete, exit 128 + signal (the
    default SIGTERM handler used to end it silently with 143)."""
    name = signal.Signals(signum).name
    code = _AFTER_FINISH.format(repo=str(REPO), name=name)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == status
    assert result.stdout == "RESULT: PASS\n"
    assert result.stderr.strip().splitlines() == [
        f"run.py: interrupted by {name} after the run finished; its report and files are complete"
    ]
