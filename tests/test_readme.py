"""README's plsim example must stay true: run it as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_plsim_example_runs(monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    match = re.search(r"## plsim on your own kernel\n\n```python\n(.*?)```", text, re.S)
    assert match, "README lost its plsim example"
    monkeypatch.chdir(ROOT)
    exec(compile(match.group(1), "README.md", "exec"), {})
    printed = capsys.readouterr().out.split("\n")
    assert printed[0].startswith("matmul 2 ") and printed[1].startswith("row_scale 2 ")


def test_ci_script_runs_readme_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ('python -m pip install -e ".[test]"', "ruff check .", "python -m pytest"):
        assert command in readme and command in ci
