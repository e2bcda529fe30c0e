"""Operand rules of pypto's tile ops found by the valid-shape audit
(kernels/operand_rule_kernels.py; the compiler's verdicts are its VERDICTS)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "operand_rule_kernels.py"
K = load(FILE)


def _f(*shape):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 100 + 1


def _two():
    return [_f(16, 64), _f(16, 64), np.zeros((16, 64), np.float32)]


def _one():
    return [_f(16, 64), np.zeros((16, 64), np.float32)]


def _mm():
    return [_f(16, 64).astype(ml_dtypes.bfloat16), _f(64, 32).astype(ml_dtypes.bfloat16),
            np.zeros((16, 32), np.float32)]  # fmt: skip


CASES = [
    ("div_valid_shapes", _two, "div", plsim.DSLError, "the same valid_shape"),
    ("column_add_rows", _two, "column_add", plsim.DSLError, "valid row extent to match"),
    ("row_expand_add_rows", _two, "row_expand_add", plsim.DSLError, "valid row extent to match"),
    ("relu_of_tensor_slice", _one, "relu", plsim.DSLError, "tile.relu requires argument"),
    ("expands_tile", _one, "expands", plsim.DSLError, "pl.full(shape"),
    ("fillpad_inplace_top_level", _one, "fillpad_inplace", plsim.DSLError,
     "pl.tile.fillpad_inplace"),
    ("matmul_acc_rows", _mm, "acc_rows", plsim.DSLError, "acc valid M to cover lhs valid M"),
    ("assemble_grows_valid", _two, "grows", plsim.MiscompileError, "stores only those"),
    ("assemble_grows_runtime_valid",
     lambda: [_f(16, 64), _f(16, 64), np.array([4], np.int32), np.zeros((16, 64), np.float32)],
     "grows_runtime", plsim.DSLError, "leaves a gap"),
    ("sort32_partial", lambda: [_f(1, 64), np.zeros((1, 128), np.float32)], "sort32_store",
     plsim.UninitializedReadError, "undefined cell"),
]  # fmt: skip


@pytest.mark.parametrize(("kernel", "args", "tag", "error", "fragment"), CASES)
def test_refused_at_the_line_naming_the_rule(kernel, args, tag, error, fragment):
    with pytest.raises(error) as info:
        plsim.run(getattr(K, kernel), *args())
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert fragment in message, message


def test_row_expand_mul_takes_a_column_with_other_valid_rows():
    x, y, out = _two()
    plsim.run(K.row_expand_mul_rows, x, y, out)
    np.testing.assert_allclose(out[:4, :32], x[:4, :32] * y[:4, 0:1], rtol=1e-6)
    assert (out[4:] == 0).all() and (out[:, 32:] == 0).all()
