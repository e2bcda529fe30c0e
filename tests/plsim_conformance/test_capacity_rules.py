"""L0C rules of AutoTileMatmulL0: over-L0C matmul results are legal when the compiler can tile
them (one GM store, or only matmul consumers that fit L1) and a CapacityError otherwise."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "capacity_kernels.py"
K = load(FILE)
BF16 = ml_dtypes.bfloat16
RNG = np.random.default_rng(2)
A = RNG.integers(-4, 5, size=(256, 64)).astype(BF16)
B = RNG.integers(-4, 5, size=(64, 256)).astype(BF16)
EXACT = A.astype(np.int64) @ B.astype(np.int64)  # small integers: exact in FP32


def test_over_l0c_result_with_one_store_is_tiled():
    out = np.zeros((256, 256), np.float32)
    plsim.run(K.result_to_one_store, A, B, out)
    assert np.array_equal(out, EXACT.astype(np.float32))


def test_over_l0c_result_feeding_only_a_matmul_is_a_capacity_error():
    """Measured with the real compiler: a [256, 256] FP32 result consumed only by a second
    matmul stays whole in L0C ("Acc buffer usage (262144 bytes) exceeds platform limit")."""
    a, b = A.astype(np.float32), B.astype(np.float32)
    c = np.ones((256, 32), np.float32)
    with pytest.raises(plsim.CapacityError, match=r"Acc \(L0C\)") as info:
        plsim.run(K.result_to_matmul_only, a, b, c, np.zeros((256, 32), np.float32))
    assert "'mat_scratch'" in str(info.value)


@pytest.mark.parametrize(
    ("kernel", "tag", "scope", "extra"),
    [
        ("accumulated_over_l0c", "acc_over", "acc_chain", ()),
        ("vector_reads_result", "vector_over", "mixed_use", (np.zeros((16, 256), np.float32),)),
    ],
)
def test_over_l0c_accumulator_or_vector_use_is_a_capacity_error(kernel, tag, scope, extra):
    with pytest.raises(plsim.CapacityError, match=r"Acc \(L0C\)") as info:
        plsim.run(getattr(K, kernel), A, B, np.zeros((256, 256), np.float32), *extra)
    assert marked_line(FILE, tag) in str(info.value)
    assert f"'{scope}'" in str(info.value)


def test_vector_tile_as_left_matmul_operand_is_accepted():
    s = np.linspace(-3, 3, 16 * 64, dtype=np.float32).reshape(16, 64)
    v = np.eye(64, 32).astype(BF16)
    out = np.zeros((16, 32), np.float32)
    plsim.run(K.softmax_feeds_matmul, s, v, out)
    e = np.exp(s.astype(np.float64) - s.max(axis=1, keepdims=True))
    p = (e / e.sum(axis=1, keepdims=True)).astype(np.float32).astype(BF16).astype(np.float32)
    # v is the identity on the first 32 columns: out is the BF16 softmax, columns 0..31.
    np.testing.assert_allclose(out, p[:, :32], rtol=2**-7)


def test_whole_tensor_matmul_operand_counts_in_l1():
    x = np.ones((16, 1024), BF16)
    w = np.ones((1024, 256), BF16)
    with pytest.raises(
        plsim.CapacityError, match=r"Mat \(L1\) buffer usage \(557056 bytes\)"
    ) as info:
        plsim.run(K.whole_tensor_operand_over_l1, x, w, np.zeros((16, 256), np.float32))
    assert marked_line(FILE, "whole_operand") in str(info.value)
    assert "[1024, 256] BF16" in str(info.value)
