"""Conformance: tile-level spellings (pl.load/store/create_tile, reduction scratch tiles,
bind_dynamic, return-less inline helpers, FP32 matmul default dtype) against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("tile_level_kernels.py")
FILE = "tile_level_kernels.py"


def _x(rows: int, cols: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Positive values so row sums are far from zero.
    return rng.uniform(0.5, 2.0, size=(rows, cols)).astype(np.float32)


def test_inline_helper_without_return_writes_through_its_parameter():
    x = _x(8)
    out = np.zeros_like(x)
    plsim.run(K.inline_statement, x, out)
    assert np.array_equal(out, x * np.float32(2.0))


def test_load_with_valid_shapes_is_rejected_as_the_compiler_does():
    """pl.load(..., valid_shapes=...) is not a keyword of the compiler build (e2d0f78a)."""
    x = _x(13)
    with pytest.raises(plsim.DSLError, match="valid_shapes") as info:
        plsim.run(K.row_sums_with_tail, x, np.zeros_like(x))
    assert marked_line(FILE, "valid_shapes") in str(info.value)
    assert "set_validshape" in str(info.value)


def test_tile_namespace_store_with_partition_shape():
    x = _x(8)
    out = np.zeros_like(x)
    plsim.run(K.tile_namespace_store, x, out)
    assert np.array_equal(out, x + np.float32(1.0))


def test_reduction_scratch_tile_smaller_than_the_input_is_rejected():
    out = np.zeros((8, 1), np.float32)
    with pytest.raises(plsim.DSLError, match="tmp_tile shape") as info:
        plsim.run(K.scratch_too_small, _x(8), out)
    assert marked_line(FILE, "small_tmp") in str(info.value)


def test_create_tile_outside_an_incore_scope_is_rejected():
    x = _x(8)
    with pytest.raises(plsim.DSLError, match=r"pl\.create_tile") as info:
        plsim.run(K.create_tile_in_orchestration, x, np.zeros_like(x))
    assert marked_line(FILE, "orch_tile") in str(info.value)


def test_bind_dynamic_past_the_rank_is_accepted_as_the_compiler_does():
    x = _x(8)
    out = np.zeros_like(x)
    plsim.run(K.bad_bind_dynamic, x, out)
    assert np.array_equal(out, x)


def test_fp32_matmul_without_out_dtype_is_the_fp32_product():
    rng = np.random.default_rng(5)
    # Small integers: exact in FP32 whatever the summation order.
    a = rng.integers(-4, 5, size=(16, 32)).astype(np.float32)
    b = rng.integers(-4, 5, size=(32, 16)).astype(np.float32)
    out = np.zeros((16, 16), np.float32)
    plsim.run(K.fp32_matmul_default_dtype, a, b, out)
    assert np.array_equal(out, a @ b)


def test_load_with_transpose_is_rejected_as_the_compiler_does():
    w = np.ones((32, 16), np.float32)
    x = np.ones((16, 32), np.float32)
    with pytest.raises(plsim.DSLError, match="transpose") as info:
        plsim.run(K.transposed_load, w, x, np.zeros((16, 16), np.float32))
    assert marked_line(FILE, "transpose") in str(info.value)
