"""Without torch, the torch API's tests skip with one line: every module here but
test_engine_loop.py (whose importorskip says what is missing) stays uncollected."""

from __future__ import annotations

import importlib.util
from pathlib import Path

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob = [
        p.name for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_engine_loop.py"
    ]
