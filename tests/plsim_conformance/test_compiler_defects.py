"""Kernels the compiler fails on with an internal error (kernels/compiler_defect_kernels.py; the
agreement test records each as a gap).

``tile_redefined_in_outer_loop`` assembles [1, 16] row sums into column windows of a [2, 32]
tile: past the compiler's internal error, ptoas would refuse that tile-to-tile move ("'pto.tmov'
op expects A2/A3 non-mat tmov to use matching src/dst shapes", plsim.ops.view_rules), so plsim
refuses it as a HardwareError at that line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conformance_support import load

import plsim

K = load("compiler_defect_kernels.py")


def test_tile_redefined_in_an_outer_loop_is_refused_for_its_column_window_assemble():
    rng = np.random.default_rng(0)
    kv = rng.integers(-20, 20, (64, 128)).astype(np.int8)
    q = rng.integers(-20, 20, (64, 128)).astype(np.int8)
    out = np.zeros((2, 64), np.float32)
    with pytest.raises(plsim.HardwareError, match=r"pto\.tmov") as info:
        plsim.run(K.tile_redefined_in_outer_loop, kv, q, out)
    source = (Path(K.__file__)).read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "chunk = pl.assemble(chunk, sums" in text)
    assert f"compiler_defect_kernels.py:{line}" in str(info.value)
