"""plsim_tools.calibration_terms scores a pair by what each scheduling term lets the model see."""

from __future__ import annotations

from plsim.accounting import StageStats
from plsim.scheduling import TERMS
from plsim_tools.calibration_terms import BEFORE, score


def _claim(before_us, after_us):
    return {"index": 0, "pr": 1, "compared": "total", "scope": "kernel", "platform": "a2a3",
            "measured_before_us": before_us, "measured_after_us": after_us}  # fmt: skip


def _stage(launches):
    # 24 tasks of the same work: one SPMD launch, or 24 pl.at entries
    return StageStats("s", tasks=24, launches=launches, gm_read_bytes=24 * 4096,
                      gm_transfers=24, gm_segments=24)  # fmt: skip


def test_regrouping_into_one_spmd_launch_is_seen_only_with_the_bundling_term():
    # measured: the SPMD version (after) is faster than 24 separate dispatches (before)
    rows = [{"claim": _claim(30.0, 12.0), "stages": [[_stage(24)], [_stage(1)]]}]
    without = score(rows, BEFORE, frozenset())
    assert without["right"] == 0 and without["wrong_claims"] == [0]  # identical counts, same time
    params = dict(BEFORE, block_dispatch_us=0.05)
    with_term = score(rows, params, frozenset(("spmd_bundle",)))
    assert with_term["right"] == 1 and with_term["pairs"] == 1
    assert score(rows, params, frozenset(TERMS))["right"] == 1
