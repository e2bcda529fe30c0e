"""Conformance: pypto-lib-style pipelines on plsim against hand-computed NumPy results."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "pipeline_kernels.py"
K = load(FILE)
BF16 = ml_dtypes.bfloat16
LOWEST = np.float32(-3.4028234663852886e38)


def test_spmd_projection_with_overhanging_rows_and_chunked_accumulation():
    rng = np.random.default_rng(1)
    # Small integers: every product and partial sum is exact in FP32, so any summation order
    # gives the same bits and the expectation is the exact integer product.
    x = rng.integers(-8, 9, size=(10, 256)).astype(BF16)
    w = rng.integers(-8, 9, size=(64, 256)).astype(BF16)
    out = np.zeros((10, 64), np.float32)
    run = plsim.run(K.spmd_projection, x, w, out)
    expected = x.astype(np.int64) @ w.astype(np.int64).T
    assert np.array_equal(out, expected.astype(np.float32))
    (stage,) = run.stages
    assert (stage.name, stage.tasks) == ("proj", 2)
    # The cube computes the padded 16-row tile: 2 tasks x 2 chunks x 16 x 32 x 128 MACs.
    assert stage.cube_macs_by_dtype == {"BF16": 2 * 2 * 16 * 32 * 128}


def test_spmd_with_form_reads_the_block_index():
    x = np.arange(32 * 64, dtype=np.float32).reshape(32, 64)
    out = np.zeros_like(x)
    run = plsim.run(K.spmd_with_block_index, x, out, shuffle_seed=3)
    assert np.array_equal(out, x + np.repeat([0.0, 10.0, 20.0, 30.0], 8)[:, None])
    assert [(s.name, s.tasks) for s in run.stages] == [("blocks", 4)]


def test_nested_pl_at_scopes_are_rejected_as_the_compiler_does():
    """The compiler has no code generation for a pl.at inside a pl.at."""
    x = np.ones((16, 64), np.float32)
    with pytest.raises(plsim.DSLError, match=r"nested inside another pl\.at") as info:
        plsim.run(K.nested_scopes, x, np.zeros_like(x))
    assert marked_line(FILE, "nested_at") in str(info.value)


def test_fillpad_min_then_maximum_lowest_and_row_max_over_valid_lengths():
    rng = np.random.default_rng(5)
    scores = rng.standard_normal((3, 64)).astype(np.float32) - 4.0
    lengths = np.array([64, 17, 1], np.int32)
    padded = np.zeros((3, 64), np.float32)
    row_max = np.zeros((8, 8), np.float32)
    plsim.run(K.masked_row_max, scores, lengths, padded, row_max)
    expected = np.full((3, 64), LOWEST)
    for b, n in enumerate(lengths):
        expected[b, :n] = scores[b, :n]
    assert np.array_equal(padded, expected)
    expected_max = np.zeros(8, np.float32)  # rows 3..7 of the tile hold 0.0
    expected_max[:3] = [scores[b, :n].max() for b, n in enumerate(lengths)]
    assert np.array_equal(row_max, np.repeat(expected_max[:, None], 8, axis=1))


def test_topk_of_4096_scores_with_ties_and_short_rows():
    rng = np.random.default_rng(7)
    # Coarse values make many ties across runs and halves; ties go to the smaller index.
    scores = (rng.integers(-300, 300, size=(3, 4096)) / 8.0).astype(np.float32)
    lengths = np.array([4096, 3001, 200], np.int32)
    idx = np.zeros((3, 512), np.int32)
    val = np.zeros((3, 512), np.float32)
    plsim.run(K.topk_4096, scores, lengths, idx, val)
    for b, n in enumerate(lengths):
        masked = np.full(4096, LOWEST)
        masked[:n] = scores[b, :n]
        order = np.lexsort((np.arange(4096), -masked))[:512]
        k = min(512, n)
        assert np.array_equal(idx[b, :k], order[:k]), b
        assert np.all(idx[b, k:] == -1), b
        assert np.array_equal(val[b], masked[order]), b


def test_orchestration_reshape_is_a_view():
    x = np.arange(3 * 2 * 64, dtype=np.float32).reshape(3, 2, 64)
    out = np.zeros_like(x)
    plsim.run(K.reshape_views, x, out)
    assert np.array_equal(out, x + np.arange(6, dtype=np.float32).reshape(3, 2, 1))


def test_runtime_scalar_division_truncates_and_min_max():
    vals = np.array([7, -7, 2, -1], np.int32)
    out = np.zeros((4, 4), np.int32)
    plsim.run(K.runtime_scalars, vals, out)
    # C truncation: 7/3=2 r1, -7/3=-2 r-1, 2/3=0 r2, -1/3=0 r-1.
    assert out[:, 0].tolist() == [2, -2, 0, 0]
    assert out[:, 1].tolist() == [1, -1, 2, -1]
    assert out[:, 2].tolist() == [2, -7, 2, -1]
    assert out[:, 3].tolist() == [14, -5, 4, -2]
