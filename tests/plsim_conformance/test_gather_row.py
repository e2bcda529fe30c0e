"""pl.create_l1 / pl.gather_row: values, accounting and the compiler's rejections
(fixtures: kernels/gather_row_kernels.py; their compiler verdicts: test_compiler_agreement)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "gather_row_kernels.py"
K = load(FILE)
M, K_ROWS, D, POOL = 16, 16, 64, 64


def _inputs():
    rng = np.random.default_rng(7)
    q = rng.standard_normal((M, D)).astype(ml_dtypes.bfloat16)
    pool = rng.standard_normal((POOL, D)).astype(ml_dtypes.bfloat16)
    rows = rng.permutation(POOL)[:K_ROWS].astype(np.int32)
    return q, pool, rows


@pytest.mark.parametrize("name", ["gather_qk", "gather_pv_transposed", "gather_partial_rows"])
def test_the_gathered_operand_holds_the_indexed_rows(name):
    q, pool, rows = _inputs()
    out = np.zeros((M, K_ROWS), np.float32)
    plsim.run(getattr(K, name), q, pool, rows, out)
    expected = q.astype(np.float32) @ pool[rows].astype(np.float32).T
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)


def test_each_gathered_row_is_one_transfer_and_no_vector_work():
    q, pool, rows = _inputs()
    run = plsim.run(K.gather_qk, q, pool, rows, np.zeros((M, K_ROWS), np.float32))
    (stage,) = run.stages
    row_bytes = D * 2
    # 16 row DMAs + the q load + the output store; 16 scalar reads of the index table
    # (pl.read counts one element and one transfer each).
    assert stage.gm_read_bytes == K_ROWS * row_bytes + M * D * 2 + K_ROWS * 4
    assert stage.gm_write_bytes == M * K_ROWS * 4
    assert stage.gm_transfers == K_ROWS + 1 + 1 + K_ROWS
    assert stage.vector_ops == 0
    assert stage.cube_macs == M * K_ROWS * D


def test_an_unfilled_row_slot_is_undefined():
    q, pool, rows = _inputs()
    out = np.zeros((M, K_ROWS), np.float32)
    with pytest.raises(plsim.UninitializedReadError, match=marked_line(FILE, "gap_store")):
        plsim.run(K.gather_leaves_a_slot, q, pool, rows, out)


def test_the_compiler_rejections_are_rejected():
    q, pool, rows = _inputs()
    out = np.zeros((M, K_ROWS), np.float32)
    with pytest.raises(plsim.DSLError, match="create_l1"):
        plsim.run(K.gather_in_orchestration, q, pool, rows, out)
    with pytest.raises(plsim.DSLError, match="compile-time constants"):
        plsim.run(K.gather_runtime_shape, q, pool, rows, out)


def test_an_l1_operand_larger_than_ub_fits():
    # [512, 256] BF16 is 256 KiB: more than UB (184 KiB), within L1 (512 KiB).
    rng = np.random.default_rng(3)
    q = rng.standard_normal((M, 256)).astype(ml_dtypes.bfloat16)
    pool = rng.standard_normal((512, 256)).astype(ml_dtypes.bfloat16)
    rows = rng.permutation(512).astype(np.int32)
    out = np.zeros((M, 512), np.float32)
    plsim.run(K.gather_large_operand, q, pool, rows, out)
    expected = q.astype(np.float32) @ pool[rows].astype(np.float32).T
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)
