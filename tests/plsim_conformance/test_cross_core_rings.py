"""Cube<->vector ring buffers of mixed scopes (ExpandMixedKernel / AllocateMemoryAddr): the
ring (slot_num x the largest crossing tile, default 2 slots) is reserved in the consumer's
memory before every other tile. Byte figures are worked out in kernels/ring_kernels.py."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "ring_kernels.py"
K = load(FILE)
RNG = np.random.default_rng(11)
UB_LIMIT = 184 * 1024
L1_LIMIT = 512 * 1024


def _dequant_inputs(rows: int):
    a = RNG.integers(-9, 10, size=(rows, 64)).astype(np.int8)
    b = RNG.integers(-9, 10, size=(64, 512)).astype(np.int8)
    scale = (np.arange(1, rows + 1, dtype=np.float32) / 64.0).reshape(rows, 1)
    return a, b, scale, np.zeros((rows, 512), np.float32)


def _dequant_expected(a, b, scale):
    # |a @ b| <= 64 * 81: exact in FP32, and the scales are powers-of-two fractions of small
    # integers, so the product is exact too.
    return (a.astype(np.int64) @ b.astype(np.int64)).astype(np.float32) * scale


def _expect_capacity_error(kernel, inputs) -> str:
    with pytest.raises(plsim.CapacityError) as info:
        plsim.run(kernel, *inputs)
    return str(info.value)


def test_ring_of_a_128_kib_result_alone_overflows_ub():
    msg = _expect_capacity_error(K.dequant_64_rows, _dequant_inputs(64))
    assert "[scope 'dequant_wide']" in msg
    assert "Vec (UB) buffer usage (262144 bytes)" in msg
    assert f"platform limit ({UB_LIMIT} bytes)" in msg
    assert "first 262144 bytes are reserved for the cube->vector" in msg
    assert "2 slots x 131072 bytes" in msg
    # The tile that sets the slot size: the INT32 matmul result, at its line.
    assert f"[64, 512] INT32 tile at {marked_line(FILE, 'slot_64')}" in msg
    assert "pl.cross_core_slot(slot_num=N)" in msg


def test_ring_plus_the_fp32_copy_overflows_ub():
    msg = _expect_capacity_error(K.dequant_32_rows, _dequant_inputs(32))
    # 2 x 64 KiB ring + 64 KiB FP32 copy + the [32, 1] FP32 row scale (128 bytes).
    assert f"Vec (UB) buffer usage ({2 * 65536 + 65536 + 128} bytes)" in msg
    assert "[scope 'dequant_mid']" in msg
    assert "first 131072 bytes are reserved" in msg
    assert "2 slots x 65536 bytes" in msg
    assert f"[32, 512] INT32 tile at {marked_line(FILE, 'slot_32')}" in msg
    copy_line = marked_line(FILE, "copy_32").split(":")[1]
    assert f"live tiles (shape dtype (line)): [32, 512] FP32 ({copy_line})" in msg


@pytest.mark.parametrize(
    ("kernel", "rows"),
    [
        ("dequant_16_rows", 16),
        ("dequant_32_rows_one_slot", 32),
        ("dequant_32_rows_split_one_slot", 32),
    ],
)
def test_a_ring_that_fits_runs_and_computes(kernel, rows):
    a, b, scale, out = _dequant_inputs(rows)
    plsim.run(getattr(K, kernel), a, b, scale, out)
    assert np.array_equal(out, _dequant_expected(a, b, scale))


def test_split_halves_the_vector_tiles_but_not_the_ring_slots():
    msg = _expect_capacity_error(K.dequant_48_rows_split, _dequant_inputs(48))
    assert "[scope 'dequant_split']" in msg
    assert "2 slots x 98304 bytes" in msg
    assert f"[48, 512] INT32 tile at {marked_line(FILE, 'slot_48')}" in msg


def _operand_inputs():
    x = (RNG.integers(-4, 5, size=(64, 1024)) / 4.0).astype(np.float16)
    w = (RNG.integers(-4, 5, size=(1024, 128)) / 4.0).astype(np.float16)
    return x, w, np.zeros((64, 128), np.float32)


def test_vector_to_cube_ring_filling_l1_exactly_fits():
    x, w, out = _operand_inputs()
    plsim.run(K.operand_ring_two_slots, x, w, out)
    expected = (2.0 * x.astype(np.float64)) @ w.astype(np.float64)  # quarters: exact
    assert np.array_equal(out, expected.astype(np.float32))


def test_vector_to_cube_ring_is_reserved_in_l1():
    msg = _expect_capacity_error(K.operand_ring_three_slots, _operand_inputs())
    assert f"{marked_line(FILE, 'operand_use')} [scope" in msg  # the loaded right operand
    assert "[scope 'operand_three_slots']" in msg
    assert f"Mat (L1) buffer usage ({3 * 131072 + 262144} bytes)" in msg
    assert f"platform limit ({L1_LIMIT} bytes)" in msg
    assert "first 393216 bytes are reserved for the vector->cube" in msg
    assert "3 slots x 131072 bytes" in msg
    assert f"[64, 1024] FP16 tile at {marked_line(FILE, 'operand_slot')}" in msg
    assert "a vector-made matmul operand" in msg


def test_zero_slots_is_rejected():
    with pytest.raises(plsim.DSLError, match=r"slot_num=0.*positive") as info:
        plsim.run(K.zero_slots, *_dequant_inputs(16))
    assert "'no_slots'" in str(info.value)
