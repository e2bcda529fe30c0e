"""pl.mrgsort and pl.tile.gather of tiles (plsim/ops/sort_gather.py; kernels/sort_kernels.py,
a2a3sim "pass": the same bits on sorted and on unsorted rows, and the same gathered cells).
Expected values from a NumPy merge (the larger head first, the first list's on equal scores) and
NumPy flat indexing."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("sort_kernels.py")
FILE = "sort_kernels.py"


def _pairs(rng, base: int) -> np.ndarray:
    """A descending (score, index bits) pair row with repeated scores."""
    scores = np.sort(rng.integers(-20, 20, size=K.PAIRS // 2).astype(np.float32) / 4)[::-1]
    row = np.empty(K.PAIRS, np.float32)
    row[0::2] = scores
    row[1::2] = (np.arange(K.PAIRS // 2) + base).astype(np.uint32).view(np.float32)
    return row.reshape(1, -1)


def _merged(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    a, b = x.reshape(-1, 2), y.reshape(-1, 2)
    i = j = 0
    out = []
    while i < len(a) or j < len(b):
        if j == len(b) or (i < len(a) and a[i, 0] >= b[j, 0]):
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return np.concatenate(out).reshape(1, -1)


def test_a_tile_merge_with_its_scratch():
    rng = np.random.default_rng(1)
    x, y = _pairs(rng, 0), _pairs(rng, 1000)
    assert np.intersect1d(x[0, 0::2], y[0, 0::2]).size  # equal scores across the lists
    out = np.zeros((1, K.MERGED), np.float32)
    plsim.run(K.tile_merge_with_scratch, x, y, out)
    np.testing.assert_array_equal(out.view(np.uint32), _merged(x, y).view(np.uint32))


def test_a_tile_merge_without_scratch_is_refused():
    rng = np.random.default_rng(2)
    x, y = _pairs(rng, 0), _pairs(rng, 1000)
    with pytest.raises(plsim.DSLError, match=r"format2 requires tmp") as info:
        plsim.run(K.tile_merge_without_scratch, x, y, np.zeros((1, K.MERGED), np.float32))
    assert marked_line(FILE, "no_tmp") in str(info.value)


def test_a_tile_gather_indexes_the_source_as_one_flat_array():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((K.ROWS, K.COLS)).astype(np.float32)
    index = rng.integers(0, K.ROWS * K.COLS, size=(K.ROWS, K.COLS)).astype(np.int32)
    index[1:, :4] = np.arange(4)  # row-relative reads would differ from flat ones here
    out = np.zeros_like(x)
    plsim.run(K.flat_tile_gather, x, index, out)
    np.testing.assert_array_equal(out, x.reshape(-1)[index])


def test_a_tile_scatter_writes_flat_cells_the_last_write_winning():
    rng = np.random.default_rng(4)
    base = rng.standard_normal((K.ROWS, K.COLS)).astype(np.float32)
    x = (np.arange(K.ROWS * K.HALF).reshape(K.ROWS, K.HALF) + 1000).astype(np.float32)
    index = rng.permutation(K.ROWS * K.COLS)[: K.ROWS * K.HALF].astype(np.int32)
    index = index.reshape(K.ROWS, K.HALF)
    index[3, 5] = index[7, 7] = index[0, 0]  # one cell written three times
    out = np.zeros_like(base)
    plsim.run(K.flat_tile_scatter, base, x, index, out)
    expected = base.copy().reshape(-1)
    for k, position in enumerate(index.reshape(-1)):
        expected[position] = x.reshape(-1)[k]
    np.testing.assert_array_equal(out, expected.reshape(base.shape))
    assert out.reshape(-1)[index[0, 0]] == x[7, 7]


def test_a_tensor_level_scatter_writes_within_each_row():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((K.ROWS, K.COLS)).astype(np.float32)
    index = np.stack([rng.permutation(K.COLS)[: K.HALF] for _ in range(K.ROWS)]).astype(np.int32)
    src = (np.arange(K.ROWS * K.HALF).reshape(K.ROWS, K.HALF) + 1000).astype(np.float32)
    out = np.zeros_like(x)
    plsim.run(K.row_tensor_scatter, x, index, src, out)
    expected = x.copy()
    expected[np.arange(K.ROWS)[:, None], index] = src
    np.testing.assert_array_equal(out, expected)
