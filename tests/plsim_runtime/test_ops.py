"""Op-family plumbing: broadcast forms, concat/gather, fillpad, transposes, cast chains."""

from __future__ import annotations

import numpy as np
import pytest
from support import load, marked_line

import plsim

FILE = "ops_kernels.py"
K = load(FILE)
M, N = 16, 32


def test_row_and_col_expand_forms():
    rng = np.random.default_rng(2)
    x = rng.integers(-8, 8, (M, N)).astype(np.float32)
    col = rng.integers(1, 5, (M, 1)).astype(np.float32)
    row = np.array([[2.0, 4.0, 8.0, 0.5] * (N // 4)], np.float32)  # exact divisors
    out = np.zeros((4 * M, N), np.float32)
    plsim.run(K.expands, x, col, row, out)
    assert np.array_equal(out[0:M], x - col)
    assert np.array_equal(out[M : 2 * M], x / row)
    assert np.array_equal(out[2 * M : 3 * M], np.broadcast_to(col, (M, N)) + row)
    assert np.array_equal(out[3 * M :], x * col)


def test_concat_and_index_gather():
    a = np.arange(M * N, dtype=np.float32).reshape(M, N)
    b = -a
    idx = (np.arange(M * 8).reshape(M, 8) * 7 % (2 * N)).astype(np.int32)
    out = np.zeros((M, 2 * N), np.float32)
    picked = np.zeros((M, 8), np.float32)
    run = plsim.run(K.concat_gather, a, b, idx, out, picked)
    both = np.concatenate([a, b], axis=1)
    assert np.array_equal(out, both)
    assert np.array_equal(picked, np.take_along_axis(both, idx, axis=1))
    assert len(run.returns) == 2


def test_gather_index_out_of_range():
    a = np.zeros((M, N), np.float32)
    idx = np.zeros((M, 8), np.int32)
    idx[3, 5] = N
    with pytest.raises(plsim.OutOfBoundsError) as info:
        plsim.run(K.gather_out_of_range, a, idx, np.zeros((M, 8), np.float32))
    assert marked_line(FILE, "gather_oob") in str(info.value)


@pytest.mark.parametrize("n", [0, 5, N])
def test_fillpad_min_is_minus_infinity(n):
    x = np.arange(N, dtype=np.float32).reshape(1, N)
    out = np.zeros((1, N), np.float32)
    plsim.run(K.fillpad_min, x, n, out)
    assert np.array_equal(out[0, :n], x[0, :n])
    assert np.all(np.isneginf(out[0, n:]))


def test_matmul_a_trans():
    rng = np.random.default_rng(4)
    a = rng.integers(-3, 4, (N, M)).astype(np.float32)
    b = rng.integers(-3, 4, (N, M)).astype(np.float32)
    out = np.zeros((M, M), np.float32)
    plsim.run(K.transposed_matmul, a, b, out)
    assert np.array_equal(out, a.T @ b)  # small integers: exact in FP32


def test_int8_quant_cast_chain():
    x = np.array([[0.5, -0.5, 1.5, -2.5, 126.5, -127.5, 3.49, -0.49] * 4], np.float32)
    out = np.zeros((1, N), np.int8)
    plsim.run(K.quant_chain, x, out)
    # round = half away from zero: 1, -1, 2, -3, 127, -128, 3, 0
    assert out[0, :8].tolist() == [1, -1, 2, -3, 127, -128, 3, 0]
