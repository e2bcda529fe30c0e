"""The element types a2a3's vector instructions take (plsim/ops/vector_dtypes.py;
kernels/vector_dtype_kernels.py, each refusal measured with pypto and ptoas). plsim used to run
every one of the refused kernels."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim
from plsim.ops.vector_dtypes import A2A3_VECTOR_DTYPES

K = load("vector_dtype_kernels.py")
FILE = "vector_dtype_kernels.py"
SHAPE = (K.R, K.C)


def _ones(dtype, shape=SHAPE):
    return np.ones(shape, dtype)


@pytest.mark.parametrize(
    ("kernel", "arrays", "says"),
    [
        ("bf16_add", [ml_dtypes.bfloat16] * 3, "'pto.tadd' op expects A2/A3 tadd element type"),
        ("int8_mul", [np.int8] * 3, "'pto.tmul' op expects A2/A3 tmul element type"),
        ("int32_abs", [np.int32] * 2, "'pto.tabs' op expects element type to be f16 or f32"),
        ("int32_div", [np.int32] * 3, "'pto.tdiv' op expects A2/A3 tdiv element type"),
        ("bf16_exp", [ml_dtypes.bfloat16] * 2, "'pto.texp' op expects vec tile element types"),
        ("int16_relu", [np.int16] * 2, "trelu element type to be i32/f16/f32"),
    ],
)
def test_an_element_type_ptoas_refuses_is_a_hardware_error(kernel, arrays, says):
    with pytest.raises(plsim.HardwareError, match=r"ptoas builds pto\.t\w+ for A2/A3") as err:
        plsim.run(getattr(K, kernel), *[_ones(d) for d in arrays])
    assert says in str(err.value)
    assert f"{marked_line(FILE, kernel)} " in str(err.value)


def test_reductions_and_broadcast_ops_follow_the_same_tables():
    with pytest.raises(plsim.HardwareError, match="trowsum"):
        plsim.run(K.bf16_row_sum, _ones(ml_dtypes.bfloat16), _ones(ml_dtypes.bfloat16, (K.R, 1)))
    with pytest.raises(plsim.HardwareError, match="tcolexpandadd"):
        plsim.run(K.int8_col_expand_add, _ones(np.int8), _ones(np.int8, (1, K.C)),
                  _ones(np.int8))  # fmt: skip


def test_pypto_refuses_a_bf16_row_min_itself():
    with pytest.raises(plsim.DSLError, match=r"tile\.row_min requires input dtype") as err:
        plsim.run(K.bf16_row_min, _ones(ml_dtypes.bfloat16), _ones(ml_dtypes.bfloat16, (K.R, 1)))
    assert not isinstance(err.value, plsim.HardwareError)


def test_the_types_ptoas_takes_still_run():
    rng = np.random.default_rng(5)
    h = rng.uniform(-2, 2, SHAPE).astype(np.float16)
    g = rng.integers(-100, 100, SHAPE).astype(np.int16)
    sums, quotients = np.zeros_like(h), np.zeros_like(h)
    products, larger = np.zeros_like(g), np.zeros_like(g)
    plsim.run(K.fp16_and_int16, h, g, sums, quotients, products, larger)
    np.testing.assert_array_equal(sums, (h.astype(np.float32) * 2).astype(np.float16))
    np.testing.assert_array_equal(products, (g.astype(np.int32) ** 2).astype(np.int16))
    np.testing.assert_array_equal(larger, np.abs(g))
    expected = h.astype(np.float64) / np.exp(h.astype(np.float64)).astype(np.float16)
    np.testing.assert_allclose(quotients.astype(np.float64), expected, rtol=2e-3)


def test_a5_is_not_held_to_a2a3s_table():
    x = np.ones(SHAPE, ml_dtypes.bfloat16)
    out = np.zeros_like(x)
    plsim.run(K.bf16_add, x, x, out, platform="a5")
    assert (out == 2).all()


def test_the_table_names_only_float_and_16_or_32_bit_integer_types():
    for op, (instruction, allowed, message) in A2A3_VECTOR_DTYPES.items():
        assert {d.name for d in allowed} <= {"FP16", "FP32", "INT16", "INT32"}, op
        assert message.startswith(f"'pto.{instruction}' op expects"), op
