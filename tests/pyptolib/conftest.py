"""Shared fixtures of the pypto-lib runner tests: where the public corpus is, and torch."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The public pypto-lib kernels (third-party, CANN licence), read in place, never copied.
CORPUS = Path("/work/shared/corpus/pypto-lib")


@pytest.fixture
def corpus() -> Path:
    """The corpus folder; the test is skipped when it (or torch) is absent."""
    if not (CORPUS / "golden" / "validation.py").is_file():
        pytest.skip(f"the public pypto-lib corpus is not at {CORPUS}")
    pytest.importorskip("torch", reason="the upstream harness needs torch (optional extra)")
    return CORPUS
