"""The report's stage bound and tolerance lines."""

from __future__ import annotations

import pytest

from golden import compare
from golden.report import _tolerance_text
from plsim.accounting import StageStats, stage_bound
from plsim.hardware import A2A3


@pytest.mark.parametrize(
    "fields, bound",
    [
        ({"tasks": 1, "gm_read_bytes": 1024}, "task floor"),
        ({"tasks": 24, "gm_read_bytes": 64 * 2**20}, "GM"),
        ({"tasks": 48, "vector_ops": 10**9}, "vector"),
        (
            {"tasks": 24, "cube_macs": 10**12, "cube_macs_by_dtype": {"BF16": 10**12}},
            "cube",
        ),
    ],
)
def test_stage_bound_names_the_dominant_term(fields, bound):
    name, share = stage_bound(StageStats(name="s", **fields), A2A3)
    assert name == bound
    assert 0.5 < share <= 1.0


def test_allclose_reports_the_tolerance_used_and_the_text_shows_the_margin():
    import numpy as np

    expected = np.array([1.0, 2.0, 4.0], np.float32)
    actual = np.array([1.0, 2.0 + 0.5 * (0.1 + 0.1 * 2.0), 4.0], np.float32)
    result = compare.allclose(0.1, 0.1)(
        actual, expected, actual_outputs={}, expected_outputs={}, inputs={}
    )
    assert result.passed
    assert result.figures["tolerance_used"] == pytest.approx(0.5, rel=1e-5)
    text = _tolerance_text(result.figures)
    assert "0.1 + 0.1 * |e|" in text and "uses 50.0%" in text and "margin 50.0%" in text


def test_bf16_tolerance_text():
    assert _tolerance_text({"max_ulp_allowed": 1, "max_ulp_seen": 0}) == (
        "tol: 1 BF16 ulp; worst 0 ulp (margin 1 ulp)"
    )


def test_topk_failure_shows_the_rows_from_their_first_difference():
    import numpy as np

    expected = np.arange(20, dtype=np.int32)[None, :]
    actual = expected.copy()
    actual[0, 12] = 19  # a wrong index after a long common prefix
    actual[0, 19] = 12
    scores = np.linspace(10.0, 0.0, 20, dtype=np.float32)[None, :]  # no ties: a real error
    compare_fn = compare.topk_tie_aware("score", offset=0, atol=0.0, rtol=0.0)
    result = compare_fn(
        actual,
        expected,
        actual_outputs={"score": scores},
        expected_outputs={"score": scores},
        inputs={},
    )
    assert not result.passed
    assert "from slot 12 (the first that differs)" in result.message
    assert "actual [19, 13, 14, 15, 16, 17, 18, 12]" in result.message
    assert "expected [12, 13, 14, 15, 16, 17, 18, 19]" in result.message
