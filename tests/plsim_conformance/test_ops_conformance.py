"""Conformance: casts, literal typing, creation ops, reductions, expands and loops on plsim,
against expectations computed here with NumPy from the documented rules (docs/dsl.md)."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("op_kernels.py")
FILE = "op_kernels.py"


def _f32(values) -> np.ndarray:
    """Round float64 results once to FP32 (the documented rounding of exp/rsqrt/recip/div)."""
    return np.asarray(values, dtype=np.float64).astype(np.float32)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def test_int8_quant_chain_codes_and_dequant_scale():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((16, 64)) * 3).astype(np.float32)
    x[0, :] = 0.0  # amax floor 1e-4
    x[1, :5] = [127.0, -127.0, 63.5, -63.5, 0.5]  # exact ties at scale 1
    codes = np.zeros((16, 64), np.int8)
    dequant = np.zeros((16, 8), np.float32)
    plsim.run(K.quant_chain, x, codes, dequant)
    amax = np.maximum(np.abs(x).max(axis=1), np.float32(1e-4)).astype(np.float32)
    scale = (np.float32(127.0) / amax).astype(np.float32)
    scaled = (x * scale[:, None]).astype(np.float32)
    expected = np.rint(scaled).astype(np.int32).astype(np.int8)  # |values| <= 127: exact
    assert np.array_equal(codes, expected)
    assert codes[1, :5].tolist() == [127, -127, 64, -64, 0]  # rint: 63.5 -> 64, 0.5 -> 0
    assert np.array_equal(dequant, np.repeat(_f32(1.0 / scale.astype(np.float64))[:, None], 8, 1))


def test_integer_literal_keeps_int32_and_float_literal_makes_fp32():
    a = (np.arange(64, dtype=np.int32).reshape(8, 8) - 30) * 1000
    plus = np.zeros((8, 8), np.int32)
    scaled = np.zeros((8, 8), np.float32)
    plsim.run(K.literal_typing, a, plus, scaled)
    assert np.array_equal(plus, (a + 5) * 3)
    assert np.array_equal(scaled, a.astype(np.float32) * np.float32(2.5))


def test_arange_concat_full_expands():
    x = np.arange(8 * 32, dtype=np.float32).reshape(8, 32) / 7
    ar = np.zeros((1, 64), np.uint32)
    cat = np.zeros((8, 64), np.float32)
    filled = np.zeros((8, 32), np.float32)
    plsim.run(K.creation_ops, x, ar, cat, filled)
    assert np.array_equal(ar[0], np.arange(3, 67, dtype=np.uint32))
    assert np.array_equal(cat, np.concatenate([x, -x], axis=1))
    assert np.all(filled == 1.75)


def test_column_reductions_and_expand_family():
    rng = np.random.default_rng(9)
    x = rng.uniform(0.5, 2.0, size=(16, 64)).astype(np.float32)
    col = rng.uniform(0.5, 2.0, size=(1, 64)).astype(np.float32)
    sums = np.zeros((2, 64), np.float32)
    expanded = np.zeros((8, 16, 64), np.float32)
    plsim.run(K.reductions_and_expands, x, col, sums, expanded)
    # Sums reassociate on the device; values are checked to FP32 rounding of the exact sum.
    np.testing.assert_allclose(sums[0], x.astype(np.float64).sum(axis=0), rtol=2e-7 * 16)
    assert np.array_equal(sums[1], x.max(axis=0))
    v = x.min(axis=1, keepdims=True)
    x64 = x.astype(np.float64)
    assert np.array_equal(expanded[0], x - v)
    np.testing.assert_allclose(expanded[1], x64 / x64.sum(axis=1, keepdims=True), rtol=1e-6)
    assert np.array_equal(expanded[2], np.maximum(x, v))
    np.testing.assert_allclose(expanded[3], np.exp(x64 - x64.max(axis=1, keepdims=True)), rtol=1e-6)
    assert np.array_equal(expanded[4], x + col)
    assert np.array_equal(expanded[5], np.minimum(x, col))
    assert np.array_equal(expanded[6], x / col)
    np.testing.assert_allclose(expanded[7], 1 / np.sqrt(np.exp(x64 - col)), rtol=1e-6)


def test_while_loop_in_orchestration_is_refused():
    """pypto's orchestration codegen emits no while loop (a2a3sim: "'total_out' was not
    declared in this scope"), so plsim refuses pl.while_ outside a pl.at scope, at its line."""
    x = np.arange(4 * 8 * 32, dtype=np.float32).reshape(4, 8, 32) / 16
    out = np.zeros_like(x)
    counts = np.zeros(4, np.int32)
    with pytest.raises(plsim.HardwareError, match="WhileStmt") as info:
        plsim.run(K.loops, x, out, counts, shuffle_seed=11)
    assert f"{marked_line('op_kernels.py', 'while_orch')} [scope 'orchestration']" in str(
        info.value
    )


def test_range_init_values_carry():
    x = np.linspace(-1, 1, 8 * 32, dtype=np.float32).reshape(8, 32)
    out = np.zeros_like(x)
    plsim.run(K.range_carry, x, out)
    assert np.array_equal(out, x * 16)


def test_undefined_padding_rows_may_be_computed_on_if_they_never_reach_an_output():
    x = np.linspace(-1, 1, 3 * 64, dtype=np.float32).reshape(3, 64)
    out = np.zeros_like(x)
    plsim.run(K.padding_garbage_is_fine, x, out)
    e = np.exp(x.astype(np.float64)).astype(np.float32)
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-6)


def test_undefined_padding_rows_reaching_an_output_are_an_uninitialized_read():
    x = np.ones((3, 64), np.float32)
    with pytest.raises(plsim.UninitializedReadError) as info:
        plsim.run(K.padding_garbage_escapes, x, np.zeros((16, 64), np.float32))
    message = str(info.value)
    assert marked_line(FILE, "garbage_store") in message
    assert marked_line(FILE, "garbage_load").split(":")[1] in message
    assert "'compute'" in message


def test_a_tile_spelled_op_of_a_tensor_level_value_is_refused():
    """pl.tile.gather_mask of a tensor slice: "The operator tile.gather_mask requires first
    argument to be a TileType, but got TensorType" (fixture namespaced_spellings)."""
    x = np.arange(8 * 64, dtype=np.float32).reshape(8, 64)
    outs = (np.zeros((8, 32), np.float32), np.zeros((8, 64), np.float32))
    with pytest.raises(plsim.DSLError, match=r"pl.tile.gather_mask of a tensor-level") as info:
        plsim.run(K.namespaced_spellings, x, np.zeros_like(x), *outs)
    assert marked_line(FILE, "tile_on_tensor") in str(info.value)


def test_namespaced_spellings_of_the_mask_gather():
    x = np.arange(8 * 64, dtype=np.float32).reshape(8, 64)
    evens = np.zeros((8, 32), np.float32)
    plsim.run(K.tensor_spellings, x, evens)
    assert np.array_equal(evens, x[:, 0::2])


def test_the_mask_scatter_is_refused_as_ptoas_cannot_parse_it():
    x = np.arange(8 * 64, dtype=np.float32).reshape(8, 64)
    with pytest.raises(plsim.HardwareError, match=r"does not parse") as info:
        plsim.run(K.tensor_mask_scatter, x, np.zeros_like(x), np.zeros_like(x))
    assert marked_line(FILE, "mask_scatter") in str(info.value)
