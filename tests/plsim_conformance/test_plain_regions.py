"""A tile carried out of a pl.split_aiv region with no crossing (kernels/plain_region_kernels.py).

pypto halves such a region as data-parallel work and its code generation does not carry the
region's tiles to a later region; plsim refuses the read at its line (plsim/aiv_regions.py).
A one-row tile, or state made in a region that pops a product, is carried: plsim runs those
kernels to the values a2a3sim gives (the fixture file's A2A3SIM).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "plain_region_kernels.py"
K = load(FILE)


def _inputs():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((K.M, K.D)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((K.N, K.D)).astype(ml_dtypes.bfloat16)
    expected = a.astype(np.float64) @ b.astype(np.float64).T + 1.0
    return a, b, expected


@pytest.mark.parametrize(
    ("kernel", "tag"),
    [("state_from_plain_region", "carried_rows"), ("columns_from_plain_region", "carried_columns")],
)
def test_a_tile_from_a_region_without_a_crossing_is_refused_where_a_later_region_reads_it(
    kernel, tag
):
    a, b, _ = _inputs()
    y = np.zeros((K.M, K.N), np.float32)
    with pytest.raises(plsim.DSLError, match="no MLIR mapping for MemRef base") as info:
        plsim.run(getattr(K, kernel), a, b, y)
    message = str(info.value)
    assert marked_line(FILE, tag) in message  # the reading line
    # ... and the region that made the tile
    assert message.split("made in the pl.split_aiv region at ")[1].startswith(FILE)


@pytest.mark.parametrize("kernel", ["state_from_crossing_region", "row_from_plain_region"])
def test_state_from_a_crossing_region_or_of_one_row_is_carried(kernel):
    a, b, expected = _inputs()
    y = np.zeros((K.M, K.N), np.float32)
    plsim.run(getattr(K, kernel), a, b, y)
    # FP32 sums of 128 BF16 products: well inside 1e-4 of the float64 reference, plus the ones.
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-4)
