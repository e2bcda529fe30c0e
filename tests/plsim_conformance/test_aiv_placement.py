"""pypto's placement rules for tasks that open pl.split_aiv regions (kernels/
aiv_placement_kernels.py, plsim/aiv_placement.py): plsim refuses at the line pypto's verifier
names, and runs the form that keeps every vector op inside a region."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "aiv_placement_kernels.py"
K = load(FILE)


def _operands():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((16, 64)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((64, 64)).astype(ml_dtypes.bfloat16)
    return a, b


def _scales():
    return np.array([[1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]], np.float32)


@pytest.mark.parametrize(
    ("kernel", "extra", "tag", "fragment"),
    [
        ("scale_read_outside_regions", [_scales()], "read_outside",
         "vector op pl.read runs outside every pl.split_aiv region"),
        ("add_before_region", [np.ones((1, 64), np.float32)], "add_outside",
         "vector op pl.add runs outside every pl.split_aiv region"),
        ("matmul_inside_region", [], "matmul_inside",
         "pl.matmul inside a pl.split_aiv region"),
        ("split_option_and_region", [], "both_splits", "mutually exclusive"),
    ],
)  # fmt: skip
def test_refused_where_the_verifier_refuses(kernel, extra, tag, fragment):
    a, b = _operands()
    with pytest.raises(plsim.DSLError) as info:
        plsim.run(getattr(K, kernel), a, b, *extra, np.zeros((16, 64), np.float32))
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert fragment in message, message


def test_the_read_inside_a_region_scales_each_lanes_rows():
    a, b = _operands()
    y = np.zeros((16, 64), np.float32)
    plsim.run(K.scale_read_in_own_region, a, b, _scales(), y)
    product = a.astype(np.float32) @ b.astype(np.float32)
    np.testing.assert_allclose(y, product * 1.5, rtol=1e-5, atol=1e-4)
