"""pl.scatter_update (plsim/ops/scatter_update.py; kernels/scatter_update_kernels.py, a2a3sim
"pass" for both forms). Expected values from NumPy: a copy with rows index.flat[k] = src[k]."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load

import plsim

K = load("scatter_update_kernels.py")
SHAPE = (K.CACHE_ROWS, K.WIDTH)


def _inputs(seed: int):
    rng = np.random.default_rng(seed)
    cache = (rng.integers(-8, 9, size=SHAPE) / 4).astype(np.float32)
    index = rng.permutation(K.CACHE_ROWS)[: K.BATCH * K.STEPS].astype(np.int32)
    src = (rng.integers(-8, 9, size=(K.BATCH * K.STEPS, K.WIDTH)) / 4 + 10).astype(np.float32)
    return cache, index.reshape(K.BATCH, K.STEPS), src


@pytest.mark.parametrize("kernel", ["update_tiles", "update_tensors"])
def test_named_rows_take_the_source_rows(kernel):
    cache, index, src = _inputs(1)
    expected = cache.copy()
    expected[index.reshape(-1)] = src
    out = np.zeros(SHAPE, np.float32)
    before = cache.copy()
    plsim.run(getattr(K, kernel), cache, index, src, out)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(cache, before)  # the input is not written


def test_an_index_past_the_rows_is_out_of_bounds():
    cache, index, src = _inputs(2)
    index[1, 3] = K.CACHE_ROWS
    with pytest.raises(plsim.OutOfBoundsError, match=r"outside the input's 64 valid rows"):
        plsim.run(K.update_tiles, cache, index, src, np.zeros(SHAPE, np.float32))


def test_a_row_named_twice_takes_the_last_source_row():
    cache, index, src = _inputs(3)
    index[1, 0] = index[0, 0]
    index[1, 5] = index[0, 0]
    out = np.zeros(SHAPE, np.float32)
    plsim.run(K.update_tiles, cache, index, src, out)
    np.testing.assert_array_equal(out[index[0, 0]], src[K.STEPS + 5])
    for k, row in enumerate(index.reshape(-1)):
        if row != index[0, 0]:
            np.testing.assert_array_equal(out[row], src[k])
