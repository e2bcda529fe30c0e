"""plsim_tools.calibration on a synthetic claim set: what is modeled for what was measured, the
direction of pairs, the fixed held-out split and the fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plsim.accounting import StageStats
from plsim.hardware import A2A3
from plsim_tools import calibration as cal
from plsim_tools import corpus_paths

#: The calibration set, named by PLSIM_CALIBRATION_DIR (plsim_tools/corpus_paths.py).
CLAIMS = corpus_paths.calibration_dir() or Path("calibration-set-not-given")


def _claim(index, pr, compared, before, after, scope="kernel"):
    return {
        "index": index, "pr": pr, "compared": compared, "scope": scope, "platform": "a2a3",
        "measured_before_us": before, "measured_after_us": after,
    }  # fmt: skip


def _stage(name, tasks, nbytes):
    return StageStats(name, tasks=tasks, gm_read_bytes=nbytes, gm_transfers=tasks,
                      gm_segments=tasks)  # fmt: skip


def test_measure_kind_follows_the_stated_scope():
    assert cal.measure_kind(_claim(0, 1, "total", 1, 1)) == "wall"
    assert cal.measure_kind(_claim(0, 1, ["a"], 1, 1, "stage a, avg Exec per task")) == "task"
    assert cal.measure_kind(_claim(0, 1, ["a"], 1, 1, "stage a, core-us summed")) == "core_sum"


def test_modeled_figure_per_kind():
    stages = [_stage("a", 8, 8_000_000), _stage("b", 2, 1000)]
    stages[0].writes, stages[1].reads = {"t"}, {"t"}  # b reads what a writes: one after another
    wall = cal.modeled(stages, _claim(0, 1, "total", 1, 1), A2A3)
    spans = sum(cal.stage_times(s, A2A3)["span"] for s in stages)
    assert wall == pytest.approx(A2A3.stage_dispatch_us + spans)  # a's launch, then both run
    one = cal.modeled(stages, _claim(0, 1, ["b"], 1, 1), A2A3)
    assert one == pytest.approx(cal.stage_times(stages[1], A2A3)["span"])
    work_a = cal.stage_times(stages[0], A2A3)["work"]
    per_task = cal.modeled(stages, _claim(0, 1, ["a"], 1, 1, "avg Exec per task"), A2A3)
    assert per_task == pytest.approx(work_a)  # 8 tasks on 8 cores: a task takes the stage work
    summed = cal.modeled(stages, _claim(0, 1, ["a"], 1, 1, "core-us summed"), A2A3)
    assert summed == pytest.approx(8 * work_a)


def test_direction_and_summary():
    rows = [
        {"claim": _claim(0, 1, "total", 20.0, 10.0),
         "stages": [[_stage("a", 8, 16_000_000)], [_stage("a", 8, 4_000_000)]]},
        {"claim": _claim(1, 2, "total", 10.0, 20.0),
         "stages": [[_stage("a", 8, 16_000_000)], [_stage("a", 8, 4_000_000)]]},
    ]  # fmt: skip
    evaluated = cal.evaluate(rows, A2A3)
    assert [e["direction_ok"] for e in evaluated] == [True, False]
    s = cal.summary(evaluated)
    assert s["pairs"] == 2 and s["direction_accuracy"] == 0.5
    every = sorted(r for e in evaluated for r in e["ratios"])
    assert s["whole_kernel_median"] == pytest.approx((every[1] + every[2]) / 2)


def test_the_fit_recovers_a_dispatch_cost():
    # Claims measured with a 4 us stage launch and no other fixed cost: the fit must find it.
    # (A one-task stage's span cannot tell task dispatch from DMA issue, so the truth sets both
    # to zero rather than leaving the chip's fitted issue cost.)
    truth = cal.dataclasses.replace(A2A3, stage_dispatch_us=4.0, task_dispatch_us=0.0,
                                    dma_issue_us=0.0)  # fmt: skip
    rows = []
    for i, (n_before, n_after) in enumerate([(3, 1), (2, 5), (6, 4)]):
        before = [_stage(f"s{k}", 1, 64) for k in range(n_before)]
        after = [_stage(f"s{k}", 1, 64) for k in range(n_after)]
        claim = _claim(i, i, "total", cal.modeled(before, _claim(i, i, "total", 0, 0), truth),
                       cal.modeled(after, _claim(i, i, "total", 0, 0), truth))  # fmt: skip
        rows.append({"claim": claim, "stages": [before, after]})
    params, value = cal.fit(rows, cal.dataclasses.replace(A2A3, stage_dispatch_us=1.0))
    # independent one-task stages: the kernel is n launches plus the last stage's span, so the
    # launch is told apart from the task dispatch and both are found
    assert params["stage_dispatch_us"] == pytest.approx(4.0)
    assert params["task_dispatch_us"] == pytest.approx(0.0)
    assert value < 0.01


def test_the_held_out_split_depends_on_the_claims_only():
    if not (CLAIMS / "claims.json").is_file():
        pytest.skip(f"no calibration set: set {corpus_paths.CALIBRATION_ENV} to one")
    held = cal.held_out_indices(CLAIMS)
    usable = [c for c in cal.load_claims(CLAIMS) if cal.usable(CLAIMS, c)]
    ordered = sorted(usable, key=lambda c: (c["pr"], c["index"]))
    assert held == {c["index"] for c in ordered[1::2]}
    assert len(held) == len(usable) // 2
    json.dumps(sorted(held))


def test_the_fitted_terms_lie_in_their_stated_ranges():
    # docs/cost_model_calibration.md states a physical range per fitted term; the fit searches
    # only inside it, so the values in plsim.hardware must be inside it too.
    for name, values in cal.SEARCH.items():
        value = getattr(A2A3, name)
        assert min(values) <= value <= max(values), (name, value, min(values), max(values))
