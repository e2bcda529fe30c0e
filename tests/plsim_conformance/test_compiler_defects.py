"""Kernels the compiler fails on with an internal error run correctly on plsim
(kernels/compiler_defect_kernels.py; the agreement test records each as a gap)."""

from __future__ import annotations

import numpy as np
from conformance_support import load

import plsim

K = load("compiler_defect_kernels.py")


def test_tile_redefined_in_an_outer_loop_holds_each_chunks_row_sums():
    rng = np.random.default_rng(0)
    kv = rng.integers(-20, 20, (64, 128)).astype(np.int8)
    q = rng.integers(-20, 20, (64, 128)).astype(np.int8)
    out = np.zeros((2, 64), np.float32)
    plsim.run(K.tile_redefined_in_outer_loop, kv, q, out)
    acc = kv.astype(np.int64) @ q.astype(np.int64).T  # [64 kv rows, 64 q rows]
    expected = np.stack([acc[:, 0:32].sum(axis=1), acc[:, 32:64].sum(axis=1)])
    np.testing.assert_array_equal(out, expected.astype(np.float32))
