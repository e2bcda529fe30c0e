"""Kernel on plsim against golden over random configurations of both model cases (hypothesis).

Each drawn configuration (uniform, per-request or mixed positions; c16 or c8; block sizes
16..64) runs through the harness (golden.runner.run_case: the same path as ``scripts/run.py``).
A failure prints the configuration and the exact command that reproduces it (and how to save its
data and replay it).

CI runs a few derandomized examples plus a fixed sweep of the boundaries; set
``PLSIM_FUZZ_EXAMPLES=N`` (or ``pytest --fuzz-examples N``) for a long random run.
"""

from __future__ import annotations

import pytest
from hypothesis import currently_in_test_context, given, note
from hypothesis import strategies as st
from reliability_support import fuzz_settings, long_run_examples, repro_command

from golden import registry
from golden.case import CaseConfig
from golden.runner import run_case
from models.deepseek_v4.config import DEMO

INDEXER = "deepseek_v4.indexer"
COMPRESSOR = "deepseek_v4.indexer_compressor"
MAX_BATCH = 16 if long_run_examples() else 3  # keep each CI example around a second
TOPK = DEMO.index_topk


def _note(text: str) -> None:
    """hypothesis.note inside a hypothesis example (printed with a failure); else nothing."""
    if currently_in_test_context():
        note(text)


def _failure_text(case: str, config: CaseConfig, report, extra: str = "") -> str:
    lines = [f"{case} failed for {config}"]
    if report.error:
        lines.append(f"kernel error: {report.error}")
    for name, verdict in report.outputs.items():
        if not verdict.passed:
            lines.append(f"  {name}: {verdict.message}")
    lines.append(repro_command(case, config, extra))
    return "\n".join(lines)


def check_case(case_name: str, config: CaseConfig) -> None:
    """Run the case through the harness; fail with the reproduction command on a mismatch."""
    case = registry.get_case(case_name)
    resolved = case.resolve_config(config)
    _note(f"config: {resolved}")
    _note(repro_command(case_name, resolved))
    report = run_case(case, resolved)
    assert report.passed, _failure_text(case_name, resolved, report)


# ------------------------------------------------------------------ strategies
def _serving_fields(draw, batch: int, seq: int, last: int, positions) -> dict:
    """Positions (uniform, one per request with padded slots, or mixed), format, block size."""
    layout = draw(st.sampled_from(["uniform", "per_request", "mixed"]))
    fields: dict = {
        "cache_format": draw(st.sampled_from(["c16", "c8"])),
        "block_size": draw(st.sampled_from([16, 32, 48, 64])),
    }
    if layout == "mixed":
        fields["mixed"] = True
    elif layout == "per_request":
        starts = [draw(st.one_of(st.just(-1), positions)) for _ in range(batch)]
        fields["start_pos"] = ",".join(str(min(p, last)) for p in starts)
    else:
        fields["start_pos"] = min(draw(positions), last)
    return fields


@st.composite
def compressor_configs(draw) -> CaseConfig:
    seq = draw(st.integers(1, 4))
    max_seq_len = draw(st.sampled_from([16, 64, 4096]))
    last = max_seq_len - seq
    batch = draw(st.integers(1, MAX_BATCH))
    positions = st.one_of(
        st.sampled_from([0, max(0, 3 - (seq - 1)), 3, last]), st.integers(0, last)
    )
    return CaseConfig(
        preset="DEMO",
        batch=batch,
        seq=seq,
        max_seq_len=max_seq_len,
        seed=draw(st.integers(0, 2**31 - 1)),
        **_serving_fields(draw, batch, seq, last, positions),
    )


def _visible_start(visible: int) -> int:
    """The first position whose token sees ``visible`` cache rows ((pos + 1) // 4)."""
    return 4 * visible - 1


@st.composite
def indexer_configs(draw) -> CaseConfig:
    seq = draw(st.integers(1, 4))
    max_seq_len = draw(st.sampled_from([2048, 4096]))
    last = max_seq_len - seq
    around_topk = [_visible_start(v) + d for v in (TOPK - 1, TOPK, TOPK + 1) for d in (0, 1)]
    batch = draw(st.integers(1, MAX_BATCH))
    positions = st.one_of(st.sampled_from([0, 3, last, *around_topk]), st.integers(0, last))
    return CaseConfig(
        preset="DEMO",
        batch=batch,
        seq=seq,
        max_seq_len=max_seq_len,
        seed=draw(st.integers(0, 2**31 - 1)),
        **_serving_fields(draw, batch, seq, last, positions),
    )


# ------------------------------------------------------------------ random configurations
@pytest.mark.slow
@fuzz_settings(ci_examples=25)
@given(config=compressor_configs())
def test_compressor_kernel_matches_golden_on_random_configs(config):
    check_case(COMPRESSOR, config)


@pytest.mark.slow
@fuzz_settings(ci_examples=8)
@given(config=indexer_configs())
def test_indexer_kernel_matches_golden_on_random_configs(config):
    check_case(INDEXER, config)


# ------------------------------------------------------------------ fixed boundary sweep
# Every boundary the issue names, run in CI regardless of what hypothesis draws.
COMPRESSOR_BOUNDARIES = [
    CaseConfig(batch=1, seq=1, start_pos=0, max_seq_len=16, seed=1),  # very first token
    CaseConfig(batch=2, seq=1, start_pos=3, max_seq_len=16, seed=2),  # first closing step
    CaseConfig(batch=3, seq=4, start_pos=0, max_seq_len=16, seed=3),  # first window in one step
    CaseConfig(batch=1, seq=3, start_pos=13, max_seq_len=16, seed=4),  # last positions
    CaseConfig(batch=17, seq=2, start_pos=6, max_seq_len=64, seed=5),  # 17 requests
    CaseConfig(batch=4, seq=4, start_pos="0,-1,13,6", max_seq_len=64, seed=6, cache_format="c8"),
    CaseConfig(batch=8, seq=2, mixed=True, max_seq_len=4096, seed=7, block_size=16),
]
INDEXER_BOUNDARIES = [
    CaseConfig(batch=1, seq=1, start_pos=0, max_seq_len=2048, seed=1),  # nothing visible
    CaseConfig(batch=2, seq=2, start_pos=2, max_seq_len=2048, seed=2),  # first window closes
    CaseConfig(batch=1, seq=1, start_pos=4 * TOPK - 5, max_seq_len=2048, seed=3),  # visible < k
    CaseConfig(batch=1, seq=4, start_pos=4 * TOPK - 4, max_seq_len=4096, seed=4),  # crosses k
    CaseConfig(batch=2, seq=1, start_pos=4 * TOPK + 3, max_seq_len=4096, seed=5),  # visible > k
    CaseConfig(batch=1, seq=2, start_pos=2046, max_seq_len=2048, seed=6),  # last position held
    CaseConfig(batch=1, seq=4, start_pos=4092, max_seq_len=4096, seed=7),  # last, S = 4
    CaseConfig(batch=4, seq=3, mixed=True, max_seq_len=4096, seed=8, cache_format="c8"),
]


@pytest.mark.parametrize(
    "config", COMPRESSOR_BOUNDARIES, ids=lambda c: f"b{c.batch}s{c.seq}p{c.start_pos}"
)
def test_compressor_boundaries(config):
    check_case(COMPRESSOR, config)


@pytest.mark.slow
@pytest.mark.parametrize(
    "config", INDEXER_BOUNDARIES, ids=lambda c: f"b{c.batch}s{c.seq}p{c.start_pos}m{c.max_seq_len}"
)
def test_indexer_boundaries(config):
    check_case(INDEXER, config)


def test_boundary_sweep_covers_the_visibility_regimes():
    """Guard the sweep itself: below, equal to and above index_topk all occur, and position 0."""
    uniform = [c for c in INDEXER_BOUNDARIES if isinstance(c.start_pos, int)]
    firsts = {(c.start_pos + 1) // 4 for c in uniform}
    lasts = {(c.start_pos + c.seq) // 4 for c in uniform}
    visible = firsts | lasts
    assert min(visible) == 0 and any(0 < v < TOPK for v in visible)
    assert TOPK in visible and any(v > TOPK for v in visible)
    assert any(c.start_pos + c.seq == c.max_seq_len for c in uniform)
    assert {1, 2, 4} <= {c.seq for c in INDEXER_BOUNDARIES}
    assert any(c.mixed for c in INDEXER_BOUNDARIES)


def test_a_failing_case_reports_config_and_reproduction_command():
    """Negative control: the checker fails on the harness's must-fail toy case and says how to
    reproduce it (so a real fuzz failure would be reported the same way)."""
    with pytest.raises(AssertionError) as err:
        check_case("toy.scale_matmul_wrong_golden", CaseConfig(seed=3))
    message = str(err.value)
    assert "python scripts/run.py toy.scale_matmul_wrong_golden" in message
    assert "--seed 3" in message and "--save-data" in message and "--replay" in message
