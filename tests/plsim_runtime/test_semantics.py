"""Semantics of the pl subset on plsim, against hand-derived NumPy expectations."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from support import load, marked_line

import plsim

FILE = "semantics_kernels.py"
K = load(FILE)
C = 64


def test_tail_window_overhangs_source_and_store_moves_only_valid_rows():
    x = np.arange(8 * C, dtype=np.float32).reshape(8, C)
    out = np.full((16, C), 5.0, np.float32)
    plsim.run(K.tail_store, x, out)
    assert np.array_equal(out[:8], 2 * x)
    assert np.all(out[8:] == 5.0)  # InOut rows beyond the valid rectangle untouched


@pytest.mark.parametrize("k", [0, 1, 17, 64])
def test_assemble_writes_only_the_valid_prefix(k):
    x = np.arange(C, dtype=np.int32).reshape(1, C) * 3 - 50
    out = np.zeros((1, C), np.int32)
    plsim.run(K.prefix_assemble, x, k, out)
    expected = np.full((1, C), -1, np.int32)
    expected[0, :k] = x[0, :k] + 100
    assert np.array_equal(out, expected)


def test_reshape_is_a_view_in_orchestration_and_in_core():
    x = np.arange(4 * C, dtype=np.float32).reshape(4, C)
    out = np.zeros((4, C), np.float32)
    plsim.run(K.reshape_views, x, out)
    assert np.array_equal(out, x + 1)


def test_column_result_reshaped_to_a_row():
    x = np.random.default_rng(3).standard_normal((16, C)).astype(np.float32)
    out = np.zeros((1, 16), np.float32)
    plsim.run(K.column_to_row, x, out)
    assert np.array_equal(out[0], x.max(axis=1))


def test_runtime_scalar_division_truncates_constants_fold_like_python():
    vals = np.array([7, -7, 9, -1], np.int32)
    out = np.zeros(10, np.int32)
    plsim.run(K.scalar_division, vals, out)
    # C: 7/4=1 r3, -7/4=-1 r-3, 9/4=2 r1, -1/4=0 r-1; Python-folded -7//2=-4, -7%2=1.
    assert out.tolist() == [1, -1, 2, 0, 3, -3, 1, -1, -4, 1]


def test_if_on_runtime_scalar():
    vals = np.array([3, 0, -2, 5], np.int32)
    out = np.zeros((4, 8), np.float32)
    plsim.run(K.runtime_if, vals, out)
    assert out[:, 0].tolist() == [1.0, -1.0, -1.0, 1.0]


def test_spmd_with_form_runs_every_block_and_loop_form():
    x = np.arange(32 * C, dtype=np.float32).reshape(32, C)
    out = np.zeros((32, C), np.float32)
    run = plsim.run(K.spmd_with_form, x, out)
    assert np.array_equal(out, x + np.repeat(np.arange(4, dtype=np.float32), 8)[:, None])
    assert run.stages[0].name == "blocks" and run.stages[0].tasks == 4
    out2 = np.zeros((32, C), np.float32)
    plsim.run(K.spmd_loop, x, out2, shuffle_seed=7)
    assert np.array_equal(out2, 3 * x)


def test_sort_merge_gather_is_a_stable_descending_sort():
    rng = np.random.default_rng(11)
    scores = rng.integers(-20, 20, size=(1, 512)).astype(np.float32)  # many ties
    out = np.zeros((1, 512), np.int32)
    plsim.run(K.topk_indices, scores, out)
    expected = np.lexsort((np.arange(512), -scores[0]))  # value desc, then index asc
    assert np.array_equal(out[0], expected)


def test_int8_matmul_b_trans_and_acc_are_exact_at_the_extremes():
    a = np.full((16, 32), -128, np.int8)
    b = np.full((16, 32), -128, np.int8)
    b[1, :] = 127
    out = np.zeros((16, 16), np.int32)
    plsim.run(K.int8_acc, a, b, out)
    # two accumulations of 32 products: (-128)(-128) = 16384 and (-128)(127) = -16256
    assert np.all(out[:, 0] == 2 * 32 * 16384)
    assert np.all(out[:, 1] == 2 * 32 * -16256)


def test_reductions_use_only_the_valid_columns():
    x = np.arange(16 * C, dtype=np.float32).reshape(16, C)
    out = np.zeros((16, 1), np.float32)
    plsim.run(K.valid_row_sum, x, out)
    assert np.array_equal(out[:, 0], x[:, :40].sum(axis=1))


def test_growing_the_valid_region_over_unloaded_rows_is_an_uninitialized_read():
    x = np.ones((8, C), np.float32)
    with pytest.raises(plsim.UninitializedReadError) as info:
        plsim.run(K.uses_unwritten_tail, x, np.zeros((16, C), np.float32))
    assert marked_line(FILE, "grown") in str(info.value)
    assert "'grow'" in str(info.value)


def test_shuffled_parallel_iterations_give_the_same_result():
    x = np.arange(32 * C, dtype=np.float32).reshape(32, C)
    outs = []
    for seed in (None, 1, 2):
        out = np.zeros((32, C), np.float32)
        plsim.run(K.parallel_blocks, x, out, shuffle_seed=seed)
        outs.append(out)
    assert all(np.array_equal(o, x - 1) for o in outs)


def test_bad_arguments_are_argument_errors():
    x = np.zeros((8, C), np.float32)
    with pytest.raises(plsim.ArgumentError, match="shape"):
        plsim.run(K.tail_store, np.zeros((9, C), np.float32), np.zeros((16, C), np.float32))
    with pytest.raises(plsim.ArgumentError, match="dtype"):
        plsim.run(K.tail_store, x.astype(np.float16), np.zeros((16, C), np.float32))
    with pytest.raises(ValueError, match="INT32 range"):
        plsim.run(K.prefix_assemble, np.zeros((1, C), np.int32), 2**40, np.zeros((1, C), np.int32))
    with pytest.raises(plsim.ArgumentError, match="C-contiguous"):
        plsim.run(K.tail_store, np.zeros((C, 8), np.float32).T, np.zeros((16, C), np.float32))


def test_bf16_arrays_are_accepted():
    a = np.ones((32, 64), ml_dtypes.bfloat16)
    b = np.ones((64, 128), ml_dtypes.bfloat16)
    bias = np.zeros((32, 128), np.float32)
    out = np.zeros((32, 128), np.float32)
    plsim.run(K.accounting, a, b, bias, out)
    assert np.all(out == 64.0)
