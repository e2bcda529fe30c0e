"""Reuse the harness tests' NumPy stand-in platform for in-process CLI tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "harness_fixtures", Path(__file__).parent.parent / "harness" / "conftest.py"
)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

numpy_platform = _module.numpy_platform
