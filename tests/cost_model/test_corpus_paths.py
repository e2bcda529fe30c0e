"""The third-party corpora come from an option or an environment variable, never a path of one
machine; absent, the commands say which option and variable to give (exit 2)."""

from __future__ import annotations

import pytest

from plsim_tools import calibration, corpus_paths, side_by_side


@pytest.fixture
def no_corpus(monkeypatch):
    monkeypatch.delenv(corpus_paths.PYPTO_LIB_ENV, raising=False)
    monkeypatch.delenv(corpus_paths.CALIBRATION_ENV, raising=False)


def _usage_error(capsys, run) -> str:
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_side_by_side_names_the_option_and_the_variable(no_corpus, capsys):
    line = _usage_error(capsys, lambda: side_by_side.main([]))
    assert "--upstream" in line and "PYPTO_LIB_DIR is not set" in line
    assert "hw-native-sys/pypto-lib" in line


def test_calibration_names_the_option_and_the_variable(no_corpus, capsys):
    line = _usage_error(capsys, lambda: calibration.main(["table"]))
    assert "--claims" in line and "PLSIM_CALIBRATION_DIR is not set" in line


def test_the_variable_names_the_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(corpus_paths.PYPTO_LIB_ENV, str(tmp_path))
    assert corpus_paths.upstream_indexer(None) == tmp_path / corpus_paths.UPSTREAM_INDEXER
    monkeypatch.setenv(corpus_paths.CALIBRATION_ENV, str(tmp_path / "cal"))
    assert corpus_paths.claims_dir(None) == tmp_path / "cal"
    assert corpus_paths.claims_dir(tmp_path / "given") == tmp_path / "given"
