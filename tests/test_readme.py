"""README's commands must work as printed, pasted into a fresh copy of the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from golden import compiler

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_plsim_example_runs(monkeypatch, capsys):
    match = re.search(r"## plsim on your own kernel\n\n```python\n(.*?)```", README, re.S)
    assert match, "README lost its plsim example"
    monkeypatch.chdir(ROOT)
    exec(compile(match.group(1), "README.md", "exec"), {})
    printed = capsys.readouterr().out.split("\n")
    assert printed[0].startswith("matmul 2 ") and printed[1].startswith("row_scale 2 ")


def test_ci_script_runs_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = ('python -m pip install -e ".[test]"', "ruff check .", "python -m pytest",
                "python -m pytest -m a2a3sim")  # fmt: skip
    for command in commands:
        assert command in README and command in ci


def _bash_blocks() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def _fresh_copy(target: Path) -> Path:
    """The repository's files as a fresh clone would have them (tracked + new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (target / source.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.relative_to(ROOT))
    return target


def _bash(command: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # `python` as README means it: this interpreter (a bare python3 system has no `python`).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to make a fresh copy")
    return _fresh_copy(tmp_path_factory.mktemp("fresh_clone"))


def test_readme_run_commands_work_as_printed(fresh):
    blocks = _bash_blocks()
    running = next(b for b in blocks if b[0].startswith("python scripts/run.py --list"))
    assert any("--save-data out/idx" in c for c in running)  # the block the issue named
    for command in running:
        proc = _bash(command, fresh, timeout=600)
        if "--compile-only" in command and not compiler.compiler_available():
            assert proc.returncode == 2, (command, proc.stderr)
            assert compiler.COMPILER_INSTALL in proc.stderr
            assert len(proc.stderr.strip().splitlines()) == 1
            continue
        assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])
    assert (fresh / "out" / "idx" / "manifest.json").is_file()
    assert (fresh / "out" / "idx.json").is_file()


@pytest.mark.slow
def test_readme_install_commands_work_as_printed(fresh):
    """Both install commands in a fresh venv. The test command's last step (the whole suite)
    becomes this file's plsim example: running the suite inside itself would recurse; CI runs
    it verbatim (.ci/run)."""
    install_run, install_test = (b[0] for b in _bash_blocks()[:2])
    proc = _bash(install_run, fresh)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RESULT: PASS" in proc.stdout
    assert install_test.endswith("&& python -m pytest")
    one_test = "python -m pytest tests/test_readme.py -k plsim_example"
    proc = _bash(install_test.removesuffix("python -m pytest") + one_test, fresh)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 passed" in proc.stdout  # the summary line is printed (no doubled -q)
