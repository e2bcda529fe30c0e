"""Reductions over the split axis of a pl.split_aiv region or a pl.split scope
(kernels/split_reduction_kernels.py): pypto refuses them (each lane holds half of the axis), and
plsim refuses them at their line (plsim/aiv_regions.py check_reduction). A reduction over the
other axis runs, to the values a2a3sim gives (the fixture file's A2A3SIM).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "split_reduction_kernels.py"
K = load(FILE)

SHAPES = {
    "column_sum_in_rows_region": (2, K.N),
    "row_max_in_columns_region": (K.M, 2),
    "column_sum_in_split_scope": (1, K.N),
}


def _inputs():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((K.M, K.D)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((K.N, K.D)).astype(ml_dtypes.bfloat16)
    return a, b, a.astype(np.float64) @ b.astype(np.float64).T


@pytest.mark.parametrize(
    ("kernel", "tag", "message"),
    [
        ("column_sum_in_rows_region", "rows_col_sum", r"reduces over the split axis \(dim 0\)"),
        ("row_max_in_columns_region", "columns_row_max", r"reduces over the split axis \(dim 1\)"),
        ("column_sum_in_split_scope", "scope_col_sum", "partial reduction in a split kernel"),
    ],
)
def test_a_reduction_over_the_split_axis_is_refused_at_its_line(kernel, tag, message):
    a, b, _ = _inputs()
    y = np.zeros(SHAPES[kernel], np.float32)
    with pytest.raises(plsim.DSLError, match=message) as info:
        plsim.run(getattr(K, kernel), a, b, y)
    assert marked_line(FILE, tag) in str(info.value)


def test_a_reduction_over_the_other_axis_runs_per_lane():
    a, b, product = _inputs()
    y = np.zeros((K.M, 1), np.float32)
    plsim.run(K.row_sum_in_rows_region, a, b, y)
    np.testing.assert_allclose(y[:, 0], product.sum(axis=1), rtol=1e-5, atol=1e-3)
