"""Each run-time check fires on a small bad kernel (right class, file:line, scope name) and stays
silent on the corrected kernel."""

from __future__ import annotations

import re

import numpy as np
import pytest
from support import KERNELS, load, marked_line

import plsim

FILE = "checks_kernels.py"
K = load(FILE)
R, C = 16, 64


def rows(n: int, cols: int = C) -> np.ndarray:
    return (np.arange(n * cols, dtype=np.float32).reshape(n, cols) % 7) - 3.0


def expect(error, kernel, tag: str, scope: str, *args):
    with pytest.raises(error) as info:
        plsim.run(kernel, *args)
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert f"'{scope}'" in message, message
    return message


def test_out_of_bounds_load_and_its_valid_shape_fix():
    msg = expect(plsim.OutOfBoundsError, K.load_oob, "load_oob", "oob_load", rows(12),
                 np.zeros((12, C), np.float32))  # fmt: skip
    assert "dimension 0" in msg
    x = rows(12)
    out = np.zeros((12, C), np.float32)
    plsim.run(K.load_tail_ok, x, out)
    assert np.array_equal(out, x)


def test_out_of_bounds_store_and_fix():
    expect(plsim.OutOfBoundsError, K.store_oob, "store_oob", "oob_store", rows(R),
           np.zeros((R, C), np.float32))  # fmt: skip
    x = rows(R)
    out = np.zeros((R, C), np.float32)
    plsim.run(K.store_ok, x, out)
    assert np.array_equal(out[0:8], x[0:8]) and np.array_equal(out[8:16], x[0:8])


def _located_at(message: str, tag: str) -> bool:
    """True if the error's leading file:line (before its scope) is the line tagged ``tag``."""
    return message.split(" [scope ")[0].endswith(marked_line(FILE, tag))


# (kernel, tag of the read, tag of the line the tile does not fit, error, the slice as
# reported, the destination's bound as reported)
LONG_READS = [
    ("long_read_subscript_store", "long_subscript", "long_subscript_store", plsim.DSLError,
     "x[0:24, 0:64] (x is [32, 64])", "subscript extent 16"),
    ("long_read_pl_store", "long_load", "long_load_store", plsim.OutOfBoundsError,
     "x[8:32, 0:64] (x is [32, 64])", "valid 24 > 16"),
    ("long_valid_read_store", "long_valid", None, plsim.DSLError,
     "x[0:32, 0:64] with valid shape [24, 64] (x is [32, 64])", "subscript extent 16"),
    ("long_read_assembled", "long_assemble", None, plsim.OutOfBoundsError,
     "x[0:24, 0:64] (x is [32, 64])", "valid 24 > 16"),
    ("long_read_in_helper", "long_helper", None, plsim.OutOfBoundsError,
     "x[0:24, 0:64] (x is [32, 64])", "valid 24 > 16"),
]  # fmt: skip


@pytest.mark.parametrize("kernel,read_tag,use_tag,error,window,bound", LONG_READS)
def test_an_over_long_read_is_reported_at_the_read(kernel, read_tag, use_tag, error, window, bound):
    """Issue 11 item 10: a read that is longer than where its tile is stored (a few ops later,
    in an inline helper, through valid_shape) is named first, with its slice and the bound."""
    with pytest.raises(error) as info:
        plsim.run(getattr(K, kernel), rows(32), np.zeros((R, C), np.float32))
    message = str(info.value)
    assert _located_at(message, read_tag), message
    assert f"the read {window} gives a tile 24 long on axis 0" in message, message
    assert bound in message, message
    if use_tag is not None:
        assert f"too long for where it goes at {marked_line(FILE, use_tag)}" in message.replace(
            str(KERNELS) + "/", ""
        ), message


def test_the_read_of_the_right_length_runs():
    x = rows(32)
    out = np.zeros((R, C), np.float32)
    plsim.run(K.long_read_fixed, x, out)
    assert np.array_equal(out, (x[:R] + 1) * 2 - 1)


def test_a_long_read_in_a_loop_is_named_beside_the_store_that_overflows():
    """The loop's store overflows at a later offset (an offset or a length mistake): the error
    stays at the store and names the read with its slice."""
    with pytest.raises(plsim.OutOfBoundsError) as info:
        plsim.run(K.long_read_in_loop, rows(32), np.zeros((32, C), np.float32))
    message = str(info.value)
    assert _located_at(message, "long_loop_store"), message
    assert "offset 16 + valid 24 > 32" in message, message
    assert f"read as x[8:32, 0:64] (x is [32, 64]) at {KERNELS / FILE}:" in message, message
    assert message.endswith(f"{marked_line(FILE, 'long_loop').split(':')[1]})"), message


def test_an_op_mixing_a_long_read_names_where_it_was_read():
    with pytest.raises(plsim.DSLError) as info:
        plsim.run(K.long_read_meets_short, rows(32), np.zeros((R, C), np.float32))
    message = str(info.value)
    assert _located_at(message, "long_mixed_add"), message
    assert (
        f"the [24, 64] operand was read as x[0:24, 0:64] (x is [32, 64]) at "
        f"{KERNELS / FILE}:{marked_line(FILE, 'long_mixed').split(':')[1]}"
    ) in message, message


def test_uninitialized_scratch_read_and_fix():
    expect(plsim.UninitializedReadError, K.scratch_unwritten, "uninit", "consume", rows(R),
           np.zeros((R, C), np.float32))  # fmt: skip
    x = rows(R)
    out = np.zeros((R, C), np.float32)
    plsim.run(K.scratch_written, x, out)
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-6)


def test_unwritten_out_cells_outside_the_valid_region_are_fine():
    x = rows(1)
    out = np.zeros((1, C), np.float32)
    plsim.run(K.out_partial_then_masked, x, out)
    assert np.array_equal(out[0, :8], x[0, :8])
    assert np.all(out[0, 8:] == -np.inf)


def _origin_named(message: str, tag: str) -> bool:
    origin = f"The undefined data comes from {KERNELS_DIR}/{marked_line(FILE, tag)}"
    return re.search(re.escape(origin) + r"(?!\d)", message) is not None


KERNELS_DIR = str(KERNELS)


def test_undefined_data_relayed_through_a_scratch_keeps_its_origin():
    # Failing store (@sink) and real origin (@origin) are named, not the reload line.
    msg = expect(plsim.UninitializedReadError, K.relay_undefined, "sink", "reload", rows(R),
                 np.zeros((R, C), np.float32))  # fmt: skip
    assert _origin_named(msg, "origin"), msg
    assert "never-written elements of 'missing (pl.create_tensor at checks_kernels.py:" in msg
    for tag in ("reload", "relay_store"):
        assert marked_line(FILE, tag) not in msg, msg
    out = np.zeros((R, C), np.float32)
    plsim.run(K.relay_defined, rows(R), out)
    np.testing.assert_allclose(out, np.exp(rows(R) * 2.0), rtol=1e-6)


def test_orchestration_copy_of_a_relay_keeps_the_origin():
    msg = expect(plsim.UninitializedReadError, K.relay_then_orchestration_copy, "copy_sink",
                 "reload", rows(R), np.zeros((R, C), np.float32))  # fmt: skip
    assert _origin_named(msg, "copy_origin"), msg


def test_never_written_cells_are_first_read_at_their_load():
    # The first undefined cell of the reload (row 0) was never written: the load is its origin.
    msg = expect(plsim.UninitializedReadError, K.relay_partly_never_written, "first_reader",
                 "reload_all", rows(R), np.zeros((R, C), np.float32))  # fmt: skip
    assert _origin_named(msg, "first_reader"), msg
    assert "never-written elements of 'relay (pl.create_tensor at checks_kernels.py:" in msg
    assert marked_line(FILE, "late_origin") not in msg


def test_scalar_read_of_relayed_undefined_data_names_its_origin():
    msg = expect(plsim.UninitializedReadError, K.relay_undefined_scalar, "scalar_read", "scalar",
                 rows(R), np.zeros((R, C), np.float32))  # fmt: skip
    assert "holds undefined data" in msg and _origin_named(msg, "scalar_origin"), msg


def test_race_on_a_scratch_tensor_names_its_variable():
    msg = expect(plsim.RaceError, K.parallel_overlap_in_scratch, "scratch_race", "stage_rows",
                 rows(R), np.zeros((R, C), np.float32))  # fmt: skip
    assert "'staging (pl.create_tensor at checks_kernels.py:" in msg, msg
    assert "create_tensor@" not in msg


def test_parallel_write_overlap_is_a_race_and_disjoint_is_not():
    msg = expect(plsim.RaceError, K.parallel_overlap, "race", "rows", rows(R),
                 np.zeros((R + 4, C), np.float32))  # fmt: skip
    assert "iteration 1" in msg and "iteration 0" in msg
    x = rows(R)
    out = np.zeros((R + 4, C), np.float32)
    plsim.run(K.parallel_disjoint, x, out)
    assert np.array_equal(out[0:10], x[0:10]) and np.array_equal(out[10:20], x[0:10])


def test_spmd_block_reading_another_blocks_output_is_a_race():
    expect(plsim.RaceError, K.spmd_reads_neighbour, "spmd_race", "shift", rows(R),
           np.zeros((R, C), np.float32))  # fmt: skip


def test_ub_capacity_exactly_at_the_limit_passes():
    # Two live [128, 184] FP32 tiles = 2 * 94208 B = 188416 B = 184 KiB, the a2a3 UB budget.
    a, b = rows(128, 184), rows(128, 184)
    out = np.zeros((128, 184), np.float32)
    plsim.run(K.ub_at_limit, a, b, out)
    assert np.array_equal(out, a + b)


def test_ub_capacity_one_row_over_fails():
    # [129, 184] FP32: 2 * 94944 B = 189888 B > 188416 B.
    msg = expect(plsim.CapacityError, K.ub_over_limit, "ub_over", "two_tiles", rows(129, 184),
                 rows(129, 184), np.zeros((129, 184), np.float32))  # fmt: skip
    assert "189888" in msg and "188416" in msg


def test_single_accumulator_larger_than_l0c_fails():
    import ml_dtypes

    a = np.ones((256, 32), ml_dtypes.bfloat16)
    b = np.ones((32, 256), ml_dtypes.bfloat16)
    msg = expect(plsim.CapacityError, K.acc_too_big, "acc_big", "big_matmul", a, b,
                 np.zeros((256, 256), np.float32))  # fmt: skip
    assert "L0C" in msg and str(256 * 256 * 4) in msg
    out = np.zeros((128, 256), np.float32)
    plsim.run(K.acc_fits, a[:128], b, out)
    assert np.all(out == 32.0)


def test_vec_rows_must_be_32_byte_aligned():
    msg = expect(plsim.DSLError, K.narrow_rows, "narrow", "narrow", rows(R),
                 np.zeros((R, C), np.float32))  # fmt: skip
    assert "16 bytes" in msg
    out = np.zeros((R, C), np.float32)
    plsim.run(K.aligned_rows, rows(R), out)
    np.testing.assert_allclose(out[:, :8], np.exp(rows(R)[:, :8]), rtol=1e-6)


def test_column_vectors_need_32_bytes():
    expect(plsim.DSLError, K.short_column, "short_col", "short_col", rows(2),
           np.zeros((2, 1), np.float32))  # fmt: skip


def test_writing_an_in_parameter_promotes_it_to_inout():
    # The compiler infers InOut for a pl.Tensor parameter the body writes
    # (tests/pyptolib/kernels/write_in_param.py compiles); the device writes in place.
    x = rows(R)
    expected = np.exp(x)
    plsim.run(K.writes_input, x)
    np.testing.assert_allclose(x, expected, rtol=1e-6)  # the device exp, not NumPy's
    x = rows(R)
    expected = x * 2
    plsim.run(K.writes_inout, x)
    assert np.array_equal(x, expected)
    readonly = rows(R)
    readonly.flags.writeable = False
    with pytest.raises(plsim.DSLError, match="read-only"):
        plsim.run(K.writes_input, readonly)
