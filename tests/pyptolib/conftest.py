"""Shared fixtures of the pypto-lib runner tests: where the public corpus is, and torch."""

from __future__ import annotations

from pathlib import Path

import pytest

from plsim_tools import corpus_paths

#: The public pypto-lib kernels (third-party, CANN licence), read in place, never copied: a
#: checkout named by PYPTO_LIB_DIR (plsim_tools/corpus_paths.py).
CORPUS = corpus_paths.pypto_lib_dir()


@pytest.fixture
def corpus() -> Path:
    """The corpus folder; the test is skipped when it (or torch) is absent."""
    if CORPUS is None or not (CORPUS / "golden" / "validation.py").is_file():
        pytest.skip(
            f"no pypto-lib checkout: set {corpus_paths.PYPTO_LIB_ENV} to one "
            f"(now {str(CORPUS) if CORPUS else 'unset'})"
        )
    pytest.importorskip("torch", reason="the upstream harness needs torch (optional extra)")
    return CORPUS
