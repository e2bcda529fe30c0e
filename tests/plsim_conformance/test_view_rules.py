"""Valid shapes, tile views and cube shapes (kernels/view_rule_kernels.py, plsim/ops/view_rules.py).

The expectations come from the toolchain: pypto's alloc_tile valid_row/valid_col for each result,
ptoas's and pto-isa's refusals, and a2a3sim's outputs (the fixture file's VERDICTS); the values
here are NumPy's.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "view_rule_kernels.py"
K = load(FILE)
RNG = np.random.default_rng(7)


def _f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _bf16(*shape):
    return RNG.standard_normal(shape).astype(ml_dtypes.bfloat16)


def _i8(*shape):
    return RNG.integers(-20, 20, shape).astype(np.int8)


def _idx():
    return ((np.arange(256).reshape(16, 16) * 7) % 16).astype(np.int32)


REFUSED = [
    # (kernel, args, tag, error class, fragment)
    ("reshape_of_runtime_row_window", lambda: [_f32(2, 512), np.zeros((2, 512), np.float32)],
     "runtime_window", plsim.MiscompileError, "rows = pl.reshape(chunk, [n, w])"),
    ("b_trans_tile_window",
     lambda: [_i8(128, 128), _i8(32, 128), np.zeros((64, 64), np.int32)],
     "b_trans_window", plsim.MiscompileError, "never fills it from the window"),
    ("subview_runtime_rows",
     lambda: [_f32(16, 64), np.array([4], np.int32), np.zeros((16, 32), np.float32)],
     "runtime_rows_view", plsim.HardwareError, "'pto.subview' op expects result valid_shape[0]"),
    ("accumulator_subview_partial",
     lambda: [_bf16(16, 64), _bf16(64, 32), np.zeros((16, 16), np.float32)],
     "acc_view", plsim.HardwareError, "'pto.set_validshape' op expects source tile_buf"),
    ("cast_column_window", lambda: [_f32(16, 128), np.zeros((16, 64), np.float32)],
     "cast_window", plsim.HardwareError, "'pto.tcvt' op expects src and dst"),
    ("assemble_column_window", lambda: [_f32(16, 128), np.zeros((4, 128), np.float32)],
     "assemble_window", plsim.HardwareError, "non-mat tmov to use matching src/dst shapes"),
    ("matmul_m8", lambda: [_bf16(8, 64), _bf16(64, 32), np.zeros((8, 32), np.float32)],
     "m8", plsim.HardwareError, "[M, K] = [8, 64] with 8 rows"),
    ("matmul_n8", lambda: [_bf16(16, 64), _bf16(64, 8), np.zeros((16, 8), np.float32)],
     "n8", plsim.HardwareError, "[K, N] = [64, 8] with 8 columns"),
    ("matmul_fp32_k24", lambda: [_f32(16, 24), _f32(24, 16), np.zeros((16, 16), np.float32)],
     "k24", plsim.HardwareError, "[K, N] = [24, 16] with 24 rows"),
    ("column_window_carried", lambda: [_f32(2, 64), np.zeros((1, 64), np.float32)],
     "carried_window", plsim.HardwareError, "pl.reshape(merged, [2, W])[0:1, :]"),
    ("reshape_runtime_rows",
     lambda: [_f32(16, 64), np.array([4], np.int32), np.zeros((32, 32), np.float32)],
     "reshape_rows", plsim.DSLError, "runtime number of rows"),
    ("gather_in_split_scope",
     lambda: [_bf16(32, 128), _bf16(128, 128), np.zeros((32, 128), np.float32)],
     "gather_split", plsim.HardwareError, "with a vector split"),
    ("validshape_on_a_slice",
     lambda: [_f32(16, 64), np.array([5], np.int32), np.zeros((16, 64), np.float32)],
     "validshape_slice", plsim.DSLError, "pl.set_validshape of a pl.slice result"),
    ("validshape_on_a_slice_same_extent",
     lambda: [_f32(16, 64), np.array([5], np.int32), np.zeros((16, 64), np.float32)],
     "validshape_same", plsim.DSLError, "pl.set_validshape of a pl.slice result"),
]  # fmt: skip


@pytest.mark.parametrize(("kernel", "args", "tag", "error", "fragment"), REFUSED)
def test_refused_at_the_line_naming_the_rule(kernel, args, tag, error, fragment):
    with pytest.raises(error) as info:
        plsim.run(getattr(K, kernel), *args())
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert fragment in message, message


@pytest.mark.parametrize(
    ("kernel", "args", "origin"),
    [
        ("concat_store_all_rows",
         lambda: [_f32(16, 64), _f32(16, 64), np.zeros((16, 128), np.float32)], "concat"),
        ("transpose_partial", lambda: [_f32(16, 64), np.zeros((64, 16), np.float32)],
         "transpose_store"),
        ("gather_partial_index",
         lambda: [_f32(16, 64), _idx(), np.zeros((16, 16), np.float32)], "gather_store"),
    ],
)  # fmt: skip
def test_results_valid_over_their_whole_shape_carry_undefined_cells(kernel, args, origin):
    """pypto types concat / transpose / gather results as valid over their whole shape, so the
    cells their operands' valid regions do not fill reach the store (a2a3sim writes them)."""
    with pytest.raises(plsim.UninitializedReadError) as info:
        plsim.run(getattr(K, kernel), *args())
    assert marked_line(FILE, origin) in str(info.value)


def test_concat_with_its_rows_reasserted_stores_one_row():
    a, b = _f32(16, 64), _f32(16, 64)
    out = np.full((16, 128), -5.0, np.float32)
    plsim.run(K.concat_rows_reasserted, a, b, out)
    np.testing.assert_array_equal(out[0], np.concatenate([a[0], b[0]]) + 1)
    assert (out[1:] == -5.0).all()


def test_reshape_of_the_whole_tile_then_a_row_reads_each_row():
    scores, out = _f32(2, 512), np.zeros((2, 512), np.float32)
    plsim.run(K.reshape_whole_then_row, scores, out)
    np.testing.assert_array_equal(out, scores)


def test_b_trans_of_gm_windows_multiplies_each_token():
    q, kv, out = _i8(128, 128), _i8(32, 128), np.zeros((64, 64), np.int32)
    plsim.run(K.b_trans_gm_window, q, kv, out)
    ref = np.concatenate([kv.astype(np.int64) @ q[s * 64 : (s + 1) * 64].T.astype(np.int64)
                          for s in range(2)])  # fmt: skip
    np.testing.assert_array_equal(out, ref)


def test_a_subview_of_runtime_rows_with_its_valid_shape_given_is_read():
    """subview_runtime_rows with valid_shape= on the window: ptoas takes it (a2a3sim: pass)."""
    x, out = _f32(16, 64), np.full((16, 32), -7.0, np.float32)
    plsim.run(K.subview_runtime_rows_valid_given, x, np.array([4], np.int32), out)
    np.testing.assert_array_equal(out[:4], x[:4, 32:64])
    assert (out[4:] == -7.0).all()


def test_a_subview_of_a_whole_accumulator_is_read():
    x, w, out = _bf16(16, 64), _bf16(64, 32), np.zeros((16, 16), np.float32)
    plsim.run(K.accumulator_subview_whole, x, w, out)
    ref = x.astype(np.float32) @ w.astype(np.float32)
    np.testing.assert_allclose(out, ref[:, 16:32], rtol=1e-5, atol=1e-5)


def test_assemble_of_whole_rows_and_vector_ops_on_a_column_window():
    x = _f32(16, 128)
    out = np.zeros((4, 128), np.float32)
    plsim.run(K.assemble_whole_rows, x, out)
    np.testing.assert_array_equal(out[1], x[0] + 1)
    wide = np.zeros((16, 160), np.float32)
    plsim.run(K.column_window_vector_ops, x, _idx(), wide)
    w = (x + 1)[:, 64:128]
    np.testing.assert_allclose(wide[:, 0:64], np.exp(w * np.float32(0.01)), rtol=1e-6)
    np.testing.assert_allclose(wide[:, 64:128], w * x[:, 0:1], rtol=1e-6)
    np.testing.assert_allclose(wide[:, 128], w.sum(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(wide[:, 144:160], np.take_along_axis(w, _idx(), axis=1))


def test_fp32_k24_with_b_trans_fits_the_fractal():
    a, b, out = _f32(16, 24), _f32(16, 24), np.zeros((16, 16), np.float32)
    plsim.run(K.matmul_fp32_k24_b_trans, a, b, out)
    np.testing.assert_allclose(out, a @ b.T, rtol=1e-5, atol=1e-5)


def test_a_row_view_carried_across_iterations_holds_the_last_row():
    x, out = _f32(2, 64), np.zeros((1, 64), np.float32)
    plsim.run(K.row_view_carried, x, out)
    np.testing.assert_array_equal(out[0], x[1] + 1)


def test_a_valid_extent_given_at_the_slice_or_set_on_a_reshape_is_taken():
    """The two forms pypto builds instead of pl.set_validshape on a slice (a2a3sim: pass)."""
    x, n = _f32(16, 64), np.array([5], np.int32)
    out = np.full((16, 64), -7.0, np.float32)
    plsim.run(K.valid_shape_given_at_the_slice, x, n, out)
    np.testing.assert_array_equal(out[0, :5], x[2, :5] + 1)
    assert (out[0, 5:] == 0).all() and (out[1:] == 0).all()
    out = np.full((16, 64), -7.0, np.float32)
    plsim.run(K.validshape_on_a_reshape, x, n, out)
    np.testing.assert_array_equal(out[:8], x[:8] + 1)
    assert (out[8:] == 0).all()
