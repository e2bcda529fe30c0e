"""Installed home of this project's harness (``golden``) and kernels (``models``).

Inside the repository the code imports them as the top-level packages ``golden`` and
``models``. Installed, those generic names would shadow other projects' packages, so the wheel
puts them under ``deepseek_v4_pypto_ops/`` instead, and only the console command
``deepseek-v4-run`` (the same CLI as ``scripts/run.py``) makes them importable, in its own
process. ``plsim`` keeps its own (distinctive) top-level name.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _home() -> Path:
    """The directory that holds ``golden/`` and ``models/`` (installed or editable)."""
    spec = importlib.util.find_spec("deepseek_v4_pypto_ops.golden")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("deepseek_v4_pypto_ops.golden is not installed")
    return Path(next(iter(spec.submodule_search_locations))).parent


def main() -> int:
    """The ``deepseek-v4-run`` command: ``scripts/run.py`` for an installed copy."""
    home = str(_home())
    if home not in sys.path:
        sys.path.insert(0, home)
    from golden.allocator import keep_freed_memory
    from golden.cli import main as cli_main

    keep_freed_memory()  # a whole run per process: reuse freed memory (golden/allocator.py)
    return cli_main()
