"""Every output target (--save-data, --trace) is checked before the run, so no finished run's
work is lost to a bad path; a trace that fails to write after the run keeps the report."""

from __future__ import annotations

import pytest

from golden import cli, registry
from golden.cli import main
from golden.trace import TraceError

CASE = "toy.scale_matmul"


@pytest.fixture
def no_run(monkeypatch):
    """The toy case's inputs must never be built: the targets are refused first."""

    def never(config):
        raise AssertionError("make_specs ran before the output targets were checked")

    monkeypatch.setattr(registry.get_case(CASE), "make_specs", never)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--save-data", "X", "--trace", "X"], ["--trace: 'X' is also the --save-data"]),
        (["--save-data", "X", "--trace", "X/t.json"], ["inside the --save-data directory"]),
        (["--save-data", "."], ["--save-data: '.' is the current directory"]),
        (["--save-data", ".."], ["--save-data: '..' is the current directory"]),
        (["--save-data", "/proc/x"], ["--save-data: cannot write into '/proc'"]),
        (["--trace", "/proc/t.json"], ["--trace: cannot write into '/proc'"]),
        (["--save-data", "f/x"], ["--save-data: 'f' is a file, not a directory"]),
        (["--trace", "f/x/t.json"], ["--trace: 'f' is a file, not a directory"]),
        (["--replay", "f"], ["--replay: 'f' is a file, not a save directory"]),
        (["--replay", "nowhere"], ["--replay: 'nowhere' does not exist"]),
    ],
)
def test_bad_output_targets_are_refused_before_the_run(
    no_run, tmp_path, capsys, monkeypatch, argv, fragments
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("a file")
    assert main([CASE, *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]  # nothing created


def test_a_trace_that_fails_after_the_run_keeps_the_report(tmp_path, capsys, monkeypatch):
    def disk_full(report, path, force=False):
        raise TraceError(f"--trace: cannot write {str(path)!r}: No space left on device")

    monkeypatch.setattr(cli, "write_trace", disk_full)
    assert main([CASE, "--trace", str(tmp_path / "t.json")]) == 2
    captured = capsys.readouterr()
    assert "RESULT: PASS" in captured.out
    assert captured.err.strip().splitlines() == [
        f"run.py: error: --trace: cannot write {str(tmp_path / 't.json')!r}: No space left on "
        "device"
    ]
