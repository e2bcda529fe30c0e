"""The toolchain options of run.py (--build-dir, --sim-compile) and scripts/crosscheck.py:
usage errors are one line and exit 2, before anything builds or runs."""

from __future__ import annotations

import pytest

from golden import cli, compiler, crosscheck_cli, platforms, toolchain


def _one_line_error(capsys, status, *fragments):
    captured = capsys.readouterr()
    assert status == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert captured.out == ""
    return lines[0]


def test_sim_compile_needs_compile_only(capsys):
    status = cli.main(["toy.scale_matmul", "--sim-compile"])
    _one_line_error(capsys, status, "--sim-compile", "--compile-only")


def test_build_dir_on_plsim_is_refused(capsys, tmp_path):
    status = cli.main(["toy.scale_matmul", "--build-dir", str(tmp_path)])
    _one_line_error(capsys, status, "--build-dir", "plsim")


def test_build_dir_that_is_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "f").write_text("x")
    status = cli.main(["toy.scale_matmul", "--compile-only", "--build-dir", str(tmp_path / "f")])
    _one_line_error(capsys, status, "--build-dir", "not a directory")


def test_sim_compile_without_the_simulator_names_what_to_install(capsys, monkeypatch):
    monkeypatch.setattr(compiler, "_missing_reason", lambda: None)
    monkeypatch.setattr(toolchain, "simulator_missing_reason", lambda: "no g++-15 on PATH")
    status = cli.main(["toy.scale_matmul", "--compile-only", "--sim-compile"])
    _one_line_error(capsys, status, "--sim-compile: no g++-15 on PATH", "simpler")


def test_a2a3sim_without_the_simulator_names_what_to_install(monkeypatch):
    monkeypatch.setattr(platforms, "_check_pypto_files", lambda name: None)
    monkeypatch.setattr(platforms, "_check_ptoas", lambda name: None)
    monkeypatch.setattr(platforms.importlib.util, "find_spec", lambda name, *a, **k: object())
    monkeypatch.setattr(toolchain, "simulator_missing_reason", lambda: "no g++-15 on PATH")
    with pytest.raises(platforms.PlatformUnavailable, match=r"no g\+\+-15 on PATH; install ptoas"):
        platforms.ensure_available("a2a3sim")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["toy.scale_matmul", "-p", "plsim"], ["--platform", "'plsim'", "a2a3sim"]),
        (["toy.scale_matmul", "--replay", "d", "--seed", "3"], ["--replay", "--seed"]),
        (["toy.scale_matmul", "--save-data", "a", "--replay", "b"], ["--save-data"]),
        (["toy.scale_matmul", "--batch", "0"], ["--batch"]),
    ],
)
def test_crosscheck_usage_errors(capsys, argv, fragments):
    _one_line_error(capsys, crosscheck_cli.main(argv), *fragments)


def test_crosscheck_without_pypto_exits_2(capsys, monkeypatch):
    real = platforms._package_dir
    monkeypatch.setattr(
        platforms, "_package_dir", lambda name: None if name == "pypto" else real(name)
    )
    status = crosscheck_cli.main(["toy.scale_matmul"])
    _one_line_error(capsys, status, "a2a3sim", "hw-native-sys/pypto")
