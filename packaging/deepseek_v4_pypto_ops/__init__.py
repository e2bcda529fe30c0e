"""Installed home of this project's harness (``golden``) and kernels (``models``).

Inside the repository the code imports them as the top-level packages ``golden`` and
``models``. Installed, those generic names would shadow other projects' packages, so the wheel
puts them under ``deepseek_v4_pypto_ops/`` instead. Importing this package makes them usable
as a library:

    from deepseek_v4_pypto_ops.golden import CaseConfig, get_case, run_case

It installs an import finder that serves the names ``golden`` and ``models`` (which the
project's modules use among themselves) from this package's folder, and makes
``deepseek_v4_pypto_ops.golden.X`` the very same module object as ``golden.X`` (one class per
name, whichever spelling imported it). The trade-off: in a process that imports this package,
``golden`` and ``models`` mean this project's packages. ``plsim`` keeps its own (distinctive)
top-level name. ``deepseek-v4-run`` is the command line (``scripts/run.py`` of a checkout).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: The project's packages that install under this one.
SUBPACKAGES: tuple[str, ...] = ("golden", "models")


def _home() -> Path:
    """The directory that holds ``golden/`` and ``models/`` (installed or editable)."""
    spec = importlib.util.find_spec(f"{__name__}.golden")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{__name__}.golden is not installed")
    return Path(next(iter(spec.submodule_search_locations))).parent


class _AliasLoader(importlib.abc.Loader):
    """Loads ``deepseek_v4_pypto_ops.golden.X`` as the module ``golden.X`` itself."""

    def __init__(self, real_name: str) -> None:
        self.real_name = real_name
        self.real_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.real_name)
        self.real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system gave the module the alias's spec; it keeps its own.
        module.__spec__ = self.real_spec


class _ProjectFinder(importlib.abc.MetaPathFinder):
    """Finds ``golden`` / ``models`` in the project's folder, and their aliases under this
    package."""

    def __init__(self, home: Path) -> None:
        self.home = str(home)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in SUBPACKAGES:
            return importlib.machinery.PathFinder.find_spec(fullname, [self.home])
        prefix = f"{__name__}."
        if fullname.startswith(prefix) and fullname[len(prefix) :].split(".")[0] in SUBPACKAGES:
            real = fullname[len(prefix) :]
            real_spec = importlib.util.find_spec(real)
            if real_spec is None:
                return None
            package = real_spec.submodule_search_locations is not None
            return importlib.util.spec_from_loader(fullname, _AliasLoader(real), is_package=package)
        return None


def _install() -> None:
    if not any(isinstance(f, _ProjectFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ProjectFinder(_home()))


_install()


def main() -> int:
    """The ``deepseek-v4-run`` command: ``scripts/run.py`` for an installed copy."""
    from golden.allocator import keep_freed_memory
    from golden.cli import command

    keep_freed_memory()  # a whole run per process: reuse freed memory (golden/allocator.py)
    return command(prog="deepseek-v4-run")
