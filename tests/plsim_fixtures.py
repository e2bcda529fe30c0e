"""Fixture-kernel helpers shared by the plsim test folders: load a kernel file, find a tagged
source line (``# @tag``) to check that an error names it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import plsim


def fixture_helpers(
    kernels: Path,
) -> tuple[Callable[[str], ModuleType], Callable[[str, str], str]]:
    """``(load, marked_line)`` for the fixture kernels in folder ``kernels``."""

    def load(name: str) -> ModuleType:
        """Load a fixture kernel file by name (relative to the kernels folder) through plsim."""
        return plsim.load(kernels / name)

    def marked_line(name: str, tag: str) -> str:
        """'file.py:LINE' of the line ending with ``# @tag`` in fixture ``name``."""
        path = kernels / name
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if text.rstrip().endswith(f"@{tag}"):
                return f"{path.name}:{number}"
        raise AssertionError(f"no line tagged @{tag} in {name}")

    return load, marked_line
