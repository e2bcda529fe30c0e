"""The CLI contract, in process: exit codes, one-line errors, JSON on stdout only.

Kernel execution goes to the NumPy stand-in platform (tests/harness/conftest.py) so these
check the CLI and harness; tests/cli/test_cli_end_to_end.py runs the real plsim path.
"""

from __future__ import annotations

import json

import pytest
from report_contract import STAGE_KEYS

from golden.cli import main


def _one_line_error(capsys, status, *fragments):
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert captured.out == ""
    return lines[0]


def test_json_pass_exit_0(numpy_platform, capsys):
    status = main(["toy.scale_matmul", "--json", "--batch", "2"])
    captured = capsys.readouterr()
    assert status == 0
    obj = json.loads(captured.out)  # exactly one JSON object and nothing else
    assert captured.out.count("\n") == 1
    assert obj["case"] == "toy.scale_matmul" and obj["platform"] == "plsim"
    assert obj["passed"] is True
    assert obj["config"]["batch"] == 2
    assert all(set(s) == STAGE_KEYS for s in obj["stages"])
    assert captured.err == ""  # no progress chatter with --json


def test_mismatch_exit_1(numpy_platform, capsys):
    status = main(["toy.scale_matmul_wrong_golden"])
    captured = capsys.readouterr()
    assert status == 1
    assert "FAIL  out" in captured.out and "RESULT: FAIL" in captured.out


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["no.such.case"], ["unknown case 'no.such.case'", "toy.scale_matmul"]),
        (["toy.scale_matmul", "-p", "gpu"], ["--platform", "'gpu'", "a2a3sim"]),
        (["toy.scale_matmul", "--preset", "HUGE"], ["--preset", "'HUGE'", "DEMO"]),
        (["toy.scale_matmul", "--batch", "99"], ["--batch", "99"]),
        (["toy.scale_matmul", "--start-pos", "4"], ["--start-pos"]),
        (["toy.scale_matmul", "--cache-format", "c8"], ["--cache-format"]),
        (["toy.scale_matmul", "--mixed"], ["--mixed"]),
        (["toy.scale_matmul", "--cache-format", "c4"], ["--cache-format", "c4"]),
        (["toy.scale_matmul", "--start-pos", "1,x"], ["--start-pos", "1,x"]),
        (["toy.scale_matmul", "--seed", "-3"], ["--seed", "-3"]),
        (["toy.scale_matmul", "--batch", "two"], ["--batch", "'two'"]),
        ([], ["case"]),
        (["toy.scale_matmul", "--save-data", "a", "--replay", "b"], ["cannot be combined"]),
    ],
)
def test_bad_usage_exit_2(numpy_platform, capsys, argv, fragments):
    _one_line_error(capsys, main(argv), *fragments)


def test_unwritable_save_dir_exit_2(numpy_platform, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--save-data", str(blocker / "d")]), "--save-data"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["file"]  # nothing partial left


def test_save_and_replay(numpy_platform, capsys, tmp_path):
    target = tmp_path / "saved"
    assert main(["toy.scale_matmul", "--seed", "7", "--save-data", str(target), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["saved_to"] == str(target)
    assert main(["toy.scale_matmul", "--replay", str(target), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["replayed_from"] == str(target)
    assert second["config"] == first["config"]
    assert second["outputs"] == first["outputs"]
    assert second["wall_s"]["golden"] is None


def test_replay_errors_exit_2(numpy_platform, capsys, tmp_path):
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--replay", str(tmp_path / "none")]), "--replay"
    )
    target = tmp_path / "saved"
    assert main(["toy.scale_matmul", "--save-data", str(target), "--json"]) == 0
    capsys.readouterr()
    (target / "inputs.npz").write_bytes(b"not a zip")
    _one_line_error(capsys, main(["toy.scale_matmul", "--replay", str(target)]), "corrupt")


def test_replay_with_conflicting_config_exit_2(numpy_platform, capsys, tmp_path):
    target = tmp_path / "saved"
    assert main(["toy.scale_matmul", "--save-data", str(target), "--json"]) == 0
    capsys.readouterr()
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--replay", str(target), "--seed", "1"]), "--seed"
    )


def test_missing_toolchain_exit_2(capsys):
    line = _one_line_error(capsys, main(["toy.scale_matmul", "-p", "a2a3sim"]), "a2a3sim")
    assert "hw-native-sys/pypto" in line and "PTOAS" in line


def test_device_platform_names_device_stack(capsys):
    line = _one_line_error(capsys, main(["toy.scale_matmul", "-p", "a5"]), "'a5'")
    assert "hw-native-sys/pypto" in line  # pypto is checked first; it is missing here


def test_trace_requires_plsim(capsys, tmp_path):
    _one_line_error(
        capsys,
        main(["toy.scale_matmul", "-p", "a2a3sim", "--trace", str(tmp_path / "t.json")]),
        "--trace",
    )


def test_list(capsys, monkeypatch):
    from golden import registry

    monkeypatch.setattr(registry, "CASE_MODULES", ["golden.toy.case", "golden.missing.cases"])
    registry.reload()
    try:
        assert main(["--list"]) == 0
        captured = capsys.readouterr()
        assert "toy.scale_matmul " in captured.out
        assert "golden.missing.cases" in captured.err
        assert main(["--list", "--json"]) == 0
        listing = json.loads(capsys.readouterr().out)
        assert [c["name"] for c in listing["cases"]] == [
            "toy.scale_matmul",
            "toy.scale_matmul_wrong_golden",
        ]
        assert "golden.missing.cases" in listing["unavailable_modules"]
    finally:
        registry.reload()


def test_progress_lines_after_the_grace_period():
    import io

    from golden.cli import StderrProgress

    stream = io.StringIO()
    quiet = StderrProgress(stream, grace_s=3600)
    quiet("stage_a", 0)
    assert stream.getvalue() == ""  # short runs stay silent
    throttled = StderrProgress(stream, grace_s=0, interval_s=3600)
    throttled("stage_a", 0)
    throttled("stage_b", 0)  # within the interval: not printed
    assert len(stream.getvalue().splitlines()) == 1
    assert "stage stage_a: task 0 (1 tasks run so far)" in stream.getvalue()
    every = StderrProgress(stream, grace_s=0, interval_s=0)
    every("stage_c", 4)
    assert "stage stage_c: task 4 (1 tasks run so far)" in stream.getvalue().splitlines()[-1]
