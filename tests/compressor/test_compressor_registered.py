"""The registered case end to end through the harness (plsim), as scripts/run.py runs it."""

from __future__ import annotations

import pytest

from golden.case import CaseConfig
from golden.registry import get_case
from golden.runner import run_case
from models.deepseek_v4.cases.decode_compressor import CASE


def test_case_is_registered_under_its_name():
    assert get_case("deepseek_v4.indexer_compressor") is CASE


@pytest.mark.parametrize(("seq", "cache_format"), [(1, "c16"), (2, "c8")])
def test_default_demo_case_passes_on_plsim(seq, cache_format):
    report = run_case(CASE, CaseConfig(seq=seq, cache_format=cache_format))
    assert report.passed, {name: v.message for name, v in report.outputs.items()}
    assert report.config.start_pos + seq - 1 == 1023
    assert 0 < report.quality["cache_rel_l2_vs_float"] < 2e-2
    names = [stage["name"] for stage in report.stages]
    # the projection, the chain's longest stage, is submitted first (its own helper, which an
    # indexer calls beside its query projection); then the stage that gathers every row a
    # window reads, the windows (c8: quantized in the same task) and the state
    window = "window_pool_rmsnorm_rope_hadamard" + ("_quant" if cache_format == "c8" else "")
    assert names == ["kv_gate_projection", "source_rows", window, "state_write_back"]


def test_mixed_batch_passes_through_the_harness():
    report = run_case(CASE, CaseConfig(batch=6, seq=3, mixed=True, cache_format="c8"))
    assert report.passed, {name: v.message for name, v in report.outputs.items()}
