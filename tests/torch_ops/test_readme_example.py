"""README's torch example runs as printed (on plsim here, whatever else is installed), and the
docs page shows the same ten lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

import deepseek_v4_pypto_ops.ops as ops  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _example(text: str, heading: str) -> str:
    match = re.search(heading + r".*?```python\n(.*?)```", text, re.S)
    assert match, f"lost its torch example under {heading!r}"
    return match.group(1)


def test_readme_torch_example_runs_as_printed(capsys):
    code = _example((ROOT / "README.md").read_text(), "## The torch API")
    assert len(code.strip().splitlines()) <= 10
    assert code == _example((ROOT / "docs" / "torch_ops.md").read_text(), "## A decode step")
    ops.set_platform("plsim")
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        ops.set_platform(None)
    out = capsys.readouterr().out.strip()
    match = re.fullmatch(r"torch\.Size\(\[4, 1, 512\]\) \[(\d+), (\d+), (\d+), (\d+)\]", out)
    assert match, out
    # The last request (about 1,000 rows) chose real rows: logical row + the offset 128.
    assert all(int(v) >= 128 for v in match.groups()) and len(set(match.groups())) == 4
