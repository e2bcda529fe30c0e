"""pl.paged_gather, pl.mgather, pl.mscatter (plsim/ops/paged_gather.py;
kernels/paged_gather_kernels.py: the Vec gather a2a3sim "pass", the rest refused as measured).
Expected rows from NumPy: block_table[i // BLOCK] * BLOCK + i % BLOCK."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("paged_gather_kernels.py")
FILE = "paged_gather_kernels.py"


def _paged(seed: int):
    rng = np.random.default_rng(seed)
    pool = (rng.integers(-8, 9, size=(K.POOL_ROWS, K.WIDTH)) / 4).astype(np.float32)
    indices = rng.permutation(K.POOL_ROWS)[: K.GATHERED].astype(np.int32).reshape(1, -1)
    table = rng.permutation(K.BLOCKS).astype(np.int32).reshape(1, -1)
    return pool, indices, table


def test_rows_are_read_through_the_block_table():
    pool, indices, table = _paged(1)
    out = np.zeros((K.GATHERED, K.WIDTH), np.float32)
    plsim.run(K.gather_to_vec, pool, indices, table, out)
    logical = indices[0]
    physical = table[0][logical // K.BLOCK] * K.BLOCK + logical % K.BLOCK
    assert not np.array_equal(physical, logical)  # the table moves rows
    np.testing.assert_array_equal(out, pool[physical])


def test_an_index_past_the_block_table_is_out_of_bounds():
    pool, indices, table = _paged(2)
    indices[0, 3] = K.POOL_ROWS + 5
    out = np.zeros((K.GATHERED, K.WIDTH), np.float32)
    with pytest.raises(plsim.OutOfBoundsError, match=r"outside the block table"):
        plsim.run(K.gather_to_vec, pool, indices, table, out)


def test_a_gather_into_l1_is_refused_as_a2a3sim_miscomputes_it():
    pool, indices, table = _paged(3)
    q = np.ones((K.QUERIES, K.WIDTH), ml_dtypes.bfloat16)
    with pytest.raises(plsim.MiscompileError, match=r"into Mat") as info:
        plsim.run(K.gather_to_mat, q, pool.astype(ml_dtypes.bfloat16), indices, table,
                  np.zeros((K.QUERIES, K.GATHERED), np.float32))  # fmt: skip
    assert marked_line(FILE, "to_mat") in str(info.value)


def test_mgather_and_mscatter_are_refused_as_ptoas_refuses_them():
    pool, indices, _ = _paged(4)
    with pytest.raises(plsim.HardwareError, match=r"coalesce") as info:
        plsim.run(K.row_mgather, pool, indices, np.zeros((K.GATHERED, K.WIDTH), np.float32))
    assert marked_line(FILE, "mgather") in str(info.value)
    x = np.ones((K.GATHERED, K.WIDTH), np.float32)
    idx = np.zeros((K.GATHERED, K.WIDTH), np.int32)
    with pytest.raises(plsim.HardwareError, match=r"A5 only") as info:
        plsim.run(K.element_mscatter, x, idx, pool)
    assert marked_line(FILE, "mscatter") in str(info.value)
