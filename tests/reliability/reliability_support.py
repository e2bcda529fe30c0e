"""Shared helpers of the reliability tests: fuzz budgets, generated kernels, repro commands."""

from __future__ import annotations

import hashlib
import os
import shlex
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

import plsim

REPO_ROOT = Path(__file__).resolve().parents[2]
FUZZ_EXAMPLES_ENV = "PLSIM_FUZZ_EXAMPLES"


def long_run_examples() -> int | None:
    """The example count of a long fuzz run (``PLSIM_FUZZ_EXAMPLES`` / ``--fuzz-examples``)."""
    raw = os.environ.get(FUZZ_EXAMPLES_ENV)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{FUZZ_EXAMPLES_ENV}: got {raw!r}; allowed an integer >= 1") from None
    if value < 1:
        raise ValueError(f"{FUZZ_EXAMPLES_ENV}: got {value}; allowed an integer >= 1")
    return value


def fuzz_settings(ci_examples: int) -> settings:
    """Hypothesis settings: ``ci_examples`` derandomized examples in CI; a long run draws
    ``PLSIM_FUZZ_EXAMPLES`` random examples and prints the reproduction blob of a failure."""
    checks = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    examples = long_run_examples()
    if examples is None:
        return settings(
            max_examples=ci_examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=checks,
        )
    return settings(
        max_examples=examples,
        derandomize=False,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=checks,
    )


_KERNEL_DIR = Path(tempfile.mkdtemp(prefix="plsim_reliability_kernels_"))
_LOADED: dict[str, object] = {}


def load_source(source: str, stem: str = "generated"):
    """plsim.load a kernel module written from ``source`` (cached by its text)."""
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    if key not in _LOADED:
        path = _KERNEL_DIR / f"{stem}_{key}.py"
        path.write_text(source)
        _LOADED[key] = plsim.load(path)
    return _LOADED[key]


def repro_command(case: str, config, extra: str = "") -> str:
    """The exact ``scripts/run.py`` command (and save/replay variant) reproducing ``config``."""
    parts = ["python", "scripts/run.py", case]
    for field in (
        "preset", "batch", "seq", "start_pos", "max_seq_len", "seed", "cache_format", "block_size",
    ):  # fmt: skip
        value = getattr(config, field, None)
        if value is not None:  # unset fields take the case's defaults
            parts += [f"--{field.replace('_', '-')}", str(value)]
    if getattr(config, "mixed", False):
        parts.append("--mixed")
    command = " ".join(shlex.quote(p) for p in parts)
    return (
        f"reproduce (from {REPO_ROOT}):\n  {command}{extra}\n"
        f"keep the data:  {command} --save-data /tmp/repro_{case.replace('.', '_')}\n"
        f"rerun on it:    python scripts/run.py {case} --replay /tmp/repro_{case.replace('.', '_')}"
    )
