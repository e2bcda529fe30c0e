"""Negative conformance: what the real pypto parser/compiler rejects is rejected by plsim with
the right error class, the kernel file:line of the offending line and the enclosing name_hint."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "rejected_kernels.py"
K = load(FILE)


def _x(rows=16, cols=64, dtype=np.float32):
    return np.ones((rows, cols), dtype)


CASES = [
    # (kernel, tag, scope, error class, message fragment, extra args builder)
    ("augmented_assignment", "aug", "aug", plsim.DSLError, "augmented assignment"),
    ("plain_range", "plain_range", "orchestration", plsim.DSLError, "plain range"),
    ("conditional_expression", "ifexp", "ifexp", plsim.DSLError, "conditional expression"),
    ("python_builtin", "builtin", "builtin", plsim.DSLError, "builtin min()"),
    ("comprehension", "comp", "comp", plsim.DSLError, "comprehensions"),
    ("assertion", "assert", "assert_stmt", plsim.DSLError, "pl.static_assert"),
    ("compute_in_orchestration", "orchestration", "orchestration", plsim.DSLError,
     "misplaced tensor op"),
    ("slice_step", "step", "step", plsim.DSLError, "slice steps"),
    ("matmul_mixed_dtypes", "mixed", "mm_mixed", plsim.DSLError, "identical"),
    ("same_dtype_cast", "same_cast", "cast", plsim.DSLError, "same-dtype"),
    ("row_vector_broadcast", "row_bcast", "bcast", plsim.DSLError, "col_expand"),
    ("missing_argument", "missing_arg", "args", plsim.DSLError, "TypeError"),
    ("bad_keyword", "bad_kw", "kw", plsim.DSLError, "fast"),
    ("bad_cast_target", "bad_target", "cast_target", plsim.DSLError, "target_type"),
    ("bad_full_value", "bad_full", "full", plsim.DSLError, "'zero'"),
    ("store_dtype_mismatch", "float_literal_store", "promote", plsim.MiscompileError,
     "0.5 becomes 0"),
]  # fmt: skip


@pytest.mark.parametrize(("kernel", "tag", "scope", "error", "fragment"), CASES)
def test_rejected_with_location_and_scope(kernel, tag, scope, error, fragment):
    x = _x(dtype=np.int32) if kernel == "store_dtype_mismatch" else _x()
    out = np.zeros((16, 16) if kernel.startswith("matmul") else x.shape, x.dtype)
    with pytest.raises(error) as info:
        plsim.run(getattr(K, kernel), x, out)
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert f"scope '{scope}'" in message, message
    assert fragment in message, message


def test_matmul_k_not_a_multiple_of_16():
    x = np.ones((16, 40), ml_dtypes.bfloat16)
    with pytest.raises(plsim.DSLError, match="multiple of 16") as info:
        plsim.run(K.matmul_k_not_16, x, np.zeros((16, 16), np.float32))
    assert marked_line(FILE, "k16") in str(info.value)
    assert "'mm_k'" in str(info.value)


def test_unaligned_vector_tile_rows():
    with pytest.raises(plsim.DSLError, match="32 bytes") as info:
        plsim.run(K.unaligned_rows, _x(cols=6), np.zeros((16, 6), np.float32))
    assert marked_line(FILE, "unaligned") in str(info.value)
    assert "'unaligned'" in str(info.value)


def test_tile_over_the_unified_buffer():
    with pytest.raises(plsim.CapacityError, match="Vec") as info:
        plsim.run(K.over_ub, _x(256, 256), np.zeros((256, 256), np.float32))
    assert marked_line(FILE, "over_ub") in str(info.value)
    assert "'big'" in str(info.value)


def test_unroll_needs_constant_bounds():
    with pytest.raises(plsim.DSLError, match="literals") as info:
        plsim.run(K.unroll_runtime_bound, _x(), np.array([2], np.int32), _x())
    assert marked_line(FILE, "unroll_runtime") in str(info.value)


def test_bf16_matmul_without_out_dtype_is_legal_and_keeps_the_fp32_accumulator():
    """The compiler accepts it (docs/dsl.md §11.1: IR type Promote = BF16, value the FP32
    accumulator); plsim runs it, warns naming the line, and stores the FP32 sums exactly."""
    # small multiples of 1/8: exact in BF16, so the kernel's cast cannot round
    x = ((np.arange(16 * 64, dtype=np.float32).reshape(16, 64) % 17) - 8) / 8
    out = np.zeros((16, 16), np.float32)
    with pytest.warns(plsim.DSLWarning, match="out_dtype") as record:
        plsim.run(K.matmul_default_dtype, x, out)
    assert marked_line(FILE, "no_out_dtype") in str(record[0].message)
    a = x.astype(ml_dtypes.bfloat16).astype(np.float64)
    np.testing.assert_array_equal(out, (a @ a.T).astype(np.float32))


@pytest.mark.parametrize("kernel", ["parallel_in_core", "inline_keyword_call"])
def test_accepted_as_the_compiler_does(kernel):
    """pl.parallel inside pl.at and keyword arguments to an inline helper both compile."""
    x = _x()
    out = np.zeros_like(x)
    plsim.run(getattr(K, kernel), x, out)
    expected = np.exp(x) if kernel == "inline_keyword_call" else x
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=0)


def test_int8_to_fp32_cast_is_rejected_on_a2a3_only():
    """a2a3 has no native INT8 -> FP32 conversion; the message says to go through FP16."""
    x = np.ones((16, 64), np.int8)
    with pytest.raises(plsim.DSLError, match=r"pl\.FP16") as info:
        plsim.run(K.int8_to_fp32_cast, x, np.zeros((16, 64), np.float32))
    assert marked_line(FILE, "i8_f32") in str(info.value)
    out = np.zeros((16, 64), np.float32)
    plsim.run(K.int8_to_fp32_cast, x, out, platform="a5")
    assert np.array_equal(out, x.astype(np.float32))


def test_int32_scalar_as_valid_rows_is_rejected():
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"pl\.INDEX") as info:
        plsim.run(K.int32_valid_rows, x, np.full(4, 10, np.int32), np.zeros_like(x))
    assert marked_line(FILE, "valid_i32") in str(info.value)


def test_tile_level_value_as_subscript_source_is_rejected():
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"pl\.store") as info:
        plsim.run(K.tile_as_subscript_source, x, np.zeros_like(x))
    assert marked_line(FILE, "tile_src") in str(info.value)


def test_shape_local_passed_to_an_inline_helper_is_rejected():
    """``rows = x.shape[0]`` is not followed by the JIT's shape inference; a pl.tensor.dim
    alias is."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"pl\.tensor\.dim") as info:
        plsim.run(K.shape_local_to_inline, x, np.zeros_like(x))
    assert marked_line(FILE, "shape_local") in str(info.value)
    out = np.zeros_like(x)
    plsim.run(K.dim_alias_to_inline, x, out)
    np.testing.assert_allclose(out, np.exp(np.exp(x)), rtol=1e-6, atol=0)


def test_scalar_from_a_shape_local_may_go_to_an_inline_helper():
    """Only tensors need inferred shapes: ``pl.min(x.shape[0], R)`` passed as a scalar is fine."""
    x = _x()
    out = np.zeros_like(x)
    plsim.run(K.shape_scalar_to_inline, x, out)
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-6, atol=0)


def test_a_local_holding_arithmetic_of_dims_is_not_an_alias():
    """``rows = pl.tensor.dim(x, 0) * ...`` in a local is not followed by the JIT's shape
    inference; the same arithmetic written in the shape list is."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"shape list itself") as info:
        plsim.run(K.dim_product_local_to_inline, x, np.zeros_like(x))
    assert marked_line(FILE, "dim_product") in str(info.value)
    out = np.zeros_like(x)
    plsim.run(K.dim_product_in_shape_to_inline, x, out)
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-6, atol=0)


@pytest.mark.parametrize(("kernel", "tag"), [("dim_call_in_created_shape", "dim_call"),
                                             ("dim_call_in_shape_to_inline", "dim_call_inline")])
def test_a_dim_call_inside_a_created_shape_is_rejected(kernel, tag):
    """The compiler cannot print a ``pl.tensor.dim(...)`` call in a create_tensor shape (and,
    handed to an inline helper, the tensor has no inferred metadata); an alias local in the
    shape list compiles (dim_alias_to_inline, dim_product_in_shape_to_inline above)."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"bind the dim to a local") as info:
        plsim.run(getattr(K, kernel), x, np.zeros_like(x))
    assert marked_line(FILE, tag) in str(info.value)


def test_a_shape_read_inside_a_shape_handed_to_an_inline_helper_is_rejected():
    """``pl.create_tensor([rows, x.shape[1]], ...)`` handed to an inline helper: the JIT's
    shape inference resolves literals, constants, scalar parameters and dim aliases written in
    the shape list, not a ``.shape`` read there ("missing inferred tensor metadata for
    parameter 'o'", fixture shape_read_in_shape_to_inline); the alias form compiles
    (dim_alias_to_inline above)."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"reads 'x.shape\[1\]'") as info:
        plsim.run(K.shape_read_in_shape_to_inline, x, np.zeros_like(x))
    assert marked_line(FILE, "shape_read_inline") in str(info.value)


def test_the_top_level_dim_spelling_is_not_an_alias_to_the_jit():
    """``rows = pl.dim(x, 0)`` (pypto's top-level spelling of pl.tensor.dim) in the shape of a
    tensor handed to an inline helper: the JIT follows pl.tensor.dim aliases only ("missing
    inferred tensor metadata for parameter 'o'", fixture top_level_dim_to_inline)."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"bound to pl.dim") as info:
        plsim.run(K.top_level_dim_to_inline, x, np.zeros_like(x))
    assert marked_line(FILE, "top_level_dim") in str(info.value)


def test_the_block_index_has_a_top_level_spelling():
    """pl.get_block_idx() (pypto's tensor-scope alias of pl.tile.get_block_idx) compiles and
    runs (fixture top_level_block_idx: a2a3sim pass)."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4 * K.R, K.C)).astype(np.float32)
    out = np.zeros_like(x)
    plsim.run(K.top_level_block_idx, x, out)
    np.testing.assert_array_equal(out, x + np.float32(1.0))



@pytest.mark.parametrize(("kernel", "tag"), [("mixed_level_add", "mixed_add"),
                                             ("tensor_full_with_tile", "tensor_full")])
def test_an_op_of_a_tile_and_a_tensor_level_value_is_refused(kernel, tag):
    """pypto dispatches each op on its operands' level and refuses a mix ("cannot mix Tensor and
    Tile arguments"); pl.full is a tensor-level op (fixtures mixed_level_add,
    tensor_full_with_tile)."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"pl.add of tile-level and tensor-level") as info:
        plsim.run(getattr(K, kernel), x, np.zeros_like(x))
    assert marked_line(FILE, tag) in str(info.value)


def test_pl_tile_full_makes_a_tile():
    """pl.tile.full is the tile-level spelling, which a loaded tile may meet (fixture
    tile_full_with_tile: a2a3sim pass)."""
    x = _x()
    out = np.zeros_like(x)
    plsim.run(K.tile_full_with_tile, x, out)
    np.testing.assert_array_equal(out, x + np.float32(1.0))


def test_rsqrt_of_a_tile_takes_no_high_precision_flag():
    """pypto: "'high_precision' is not supported for Tile operands" (rsqrt_high_precision_tile);
    the tile form takes a scratch tile instead."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"high_precision=True") as info:
        plsim.run(K.rsqrt_high_precision_tile, x, np.zeros_like(x))
    assert marked_line(FILE, "rsqrt_hp") in str(info.value)


@pytest.mark.parametrize(("kernel", "tag"), [("module_memory_alias", "module_mat"),
                                             ("local_memory_alias", "local_mat")])
def test_target_memory_is_the_literal_memory_space(kernel, tag):
    """pypto resolves neither a module-level nor a local alias of pl.MemorySpace.Mat as
    target_memory (fixtures module_memory_alias, local_memory_alias)."""
    x = _x()
    with pytest.raises(plsim.DSLError, match=r"needs the literal pl.MemorySpace") as info:
        plsim.run(getattr(K, kernel), x, np.zeros_like(x))
    assert marked_line(FILE, tag) in str(info.value)
