"""Helpers of the conformance tests: fixture kernels in kernels/ and their tagged lines."""

from __future__ import annotations

from pathlib import Path

from plsim_fixtures import fixture_helpers

KERNELS = Path(__file__).parent / "kernels"
load, marked_line = fixture_helpers(KERNELS)
