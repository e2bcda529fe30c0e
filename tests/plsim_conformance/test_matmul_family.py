"""pl.matmul_bias, pl.batch_matmul, batched pl.matmul, pl.tile.transpose_view and the gemv
family (plsim/ops/cube_forms.py; kernels/matmul_family_kernels.py: a2a3sim "pass" on the first
four, the gemv kernel not buildable there). Expected values from NumPy alone, on inputs that are
exact in BF16 and whose products are exact in FP32, so the comparisons are exact."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("matmul_family_kernels.py")
FILE = "matmul_family_kernels.py"
BF16 = ml_dtypes.bfloat16


def _steps(shape, seed: int) -> np.ndarray:
    """Quarter steps in [-2, 2]: exact in BF16, distinct enough that a wrong axis shows."""
    return (np.random.default_rng(seed).integers(-8, 9, size=shape) / 4).astype(np.float32)


def _int8(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, size=shape).astype(np.int8)


def test_the_bias_row_is_added_to_every_row():
    a, b, bias = _steps((K.M, K.K), 1), _steps((K.K, K.N), 2), _steps((1, K.N), 3)
    qa, qb = _int8((K.M, K.K), 4), _int8((K.K, K.N), 5)
    qbias = np.random.default_rng(6).integers(-(2**20), 2**20, size=(1, K.N)).astype(np.int32)
    out, qout = np.zeros((K.M, K.N), np.float32), np.zeros((K.M, K.N), np.int32)
    plsim.run(K.bias_rows, a.astype(BF16), b.astype(BF16), bias, qa, qb, qbias, out, qout)
    np.testing.assert_array_equal(out, a @ b + bias)
    exact = qa.astype(np.int64) @ qb.astype(np.int64) + qbias
    np.testing.assert_array_equal(qout, exact.astype(np.int32))


def test_batches_multiply_each_and_broadcast_a_single_one():
    a, b = _steps((K.BATCH, K.M, K.K), 7), _steps((K.BATCH, K.K, K.N), 8)
    shared = _steps((1, K.K, K.N), 9)
    outs = [np.zeros((K.BATCH, K.M, K.N), np.float32) for _ in range(2)]
    plsim.run(K.batched_tiles, a.astype(BF16), b.astype(BF16), shared.astype(BF16), *outs)
    np.testing.assert_array_equal(outs[0], a @ b)
    np.testing.assert_array_equal(outs[1], a @ shared)
    assert not np.array_equal(outs[0][0], outs[0][1])


def test_tensor_level_matmul_of_batched_tensors():
    a, b = _steps((K.BATCH, K.M, K.K), 10), _steps((K.BATCH, K.K, K.N), 11)
    w = _steps((K.K, K.N), 12)
    outs = [np.zeros((K.BATCH, K.M, K.N), np.float32) for _ in range(2)]
    plsim.run(K.batched_tensors, a.astype(BF16), b.astype(BF16), w.astype(BF16), *outs)
    np.testing.assert_array_equal(outs[0], a @ b)
    np.testing.assert_array_equal(outs[1], a @ w)


def test_a_transposed_view_is_the_transpose():
    a, bt, x = _steps((K.M, K.K), 13), _steps((K.N, K.K), 14), _steps((K.M, K.K), 15)
    out, xt = np.zeros((K.M, K.N), np.float32), np.zeros((K.K, K.M), np.float32)
    plsim.run(K.transposed_views, a.astype(BF16), bt.astype(BF16), x, out, xt)
    np.testing.assert_array_equal(out, a @ bt.T)
    np.testing.assert_array_equal(xt, x.T)


def test_a_one_row_matmul_is_a_row_vector_product():
    a, b = _steps((1, K.K), 21), _steps((K.K, K.N), 22)
    outs = [np.zeros((1, K.N), np.float32) for _ in range(2)]
    plsim.run(K.row_vector_matmuls, a.astype(BF16), b.astype(BF16), *outs)
    np.testing.assert_array_equal(outs[0], a @ b)
    np.testing.assert_array_equal(outs[1], a @ b)


def test_gemv_family_with_the_a2a3sim_warning():
    a, b, bias = _steps((1, K.K), 16), _steps((K.K, K.N), 17), _steps((1, K.N), 18)
    outs = [np.zeros((1, K.N), np.float32) for _ in range(3)]
    with pytest.warns(plsim.DSLWarning, match=r"a2a3sim cannot build it"):
        plsim.run(K.row_vector_products, a.astype(BF16), b.astype(BF16), bias, *outs)
    np.testing.assert_array_equal(outs[0], a @ b)
    np.testing.assert_array_equal(outs[1], a @ b + bias)
    h = K.HALF_K
    np.testing.assert_array_equal(outs[2], a[:, :h] @ b[:h] + a[:, h:] @ b[h:])


@pytest.mark.parametrize(
    ("kernel", "tag", "pattern", "shapes"),
    [
        ("bias_of_operand_dtype", "bf16_bias", r"bias dtype fp32 to match the accumulator",
         [(K.M, K.K), (K.K, K.N), (1, K.N)]),
        ("bias_of_tensors", "tensor_bias", r"tensor-level lhs", [(K.M, K.K), (K.K, K.N)]),
        ("batch_of_tensors", "tensor_batch", r"expected Tensor or Tile operands",
         [(K.BATCH, K.M, K.K), (K.BATCH, K.K, K.N)]),
        ("gemv_of_rows", "gemv_rows", r"row extent to be exactly 1", [(K.M, K.K), (K.K, K.N)]),
        ("tile_flag", "tile_flag", r"'b_trans' is not supported for Tile operands",
         [(K.M, K.K), (K.N, K.K)]),
        ("tile_out_dtype", "tile_out_dtype", r"out_dtype=pl.BF16: the compiler refuses",
         [(K.M, K.K), (K.K, K.N)]),
        ("mixed_levels", "mixed", r"cannot mix Tensor and Tile", [(K.M, K.K), (K.K, K.N)]),
    ],
)  # fmt: skip
def test_forms_the_compiler_refuses(kernel, tag, pattern, shapes):
    args = [_steps(s, 19).astype(BF16) for s in shapes]
    if kernel == "bias_of_tensors":
        args.append(_steps((1, K.N), 20))
    out_shape = (K.BATCH, K.M, K.N) if kernel == "batch_of_tensors" else (K.M, K.N)
    out = np.zeros(out_shape, BF16 if kernel == "tile_out_dtype" else np.float32)
    with pytest.raises(plsim.DSLError, match=pattern) as info:
        plsim.run(getattr(K, kernel), *args, out)
    assert marked_line(FILE, tag) in str(info.value)
