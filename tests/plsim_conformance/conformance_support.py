"""Helpers of the conformance tests: load fixture kernels, find marked lines."""

from __future__ import annotations

from pathlib import Path

import plsim

KERNELS = Path(__file__).parent / "kernels"


def load(name: str):
    """Load a fixture kernel file (relative to kernels/) through plsim."""
    return plsim.load(KERNELS / name)


def marked_line(name: str, tag: str) -> str:
    """'file.py:LINE' of the line ending with ``# @tag`` in fixture ``name``."""
    path = KERNELS / name
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"@{tag}"):
            return f"{path.name}:{number}"
    raise AssertionError(f"no line tagged @{tag} in {name}")
