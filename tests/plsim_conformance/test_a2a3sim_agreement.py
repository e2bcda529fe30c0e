"""Every fixture states what a2a3sim does with it (the ``A2A3SIM`` column; kinds in
sim_agreement.py), and the column holds when re-measured.

- ``test_every_fixture_states_an_a2a3sim_verdict``: each VERDICTS entry of a recorded fixture has
  an A2A3SIM entry (always runs; fast).
- ``test_a2a3sim_sample_gives_the_stated_verdicts``: three fixtures (a pass, a build the chain
  stops, a miscompile plsim refuses) built and run on a2a3sim; about a minute; skipped, with one
  line, where the toolchain is absent.
- ``test_a2a3sim_gives_the_stated_verdict``: every fixture (about 35 minutes on two cores):
  ``slow`` and run only when selected with ``-m slow``, so the default run stays fast.
"""

from __future__ import annotations

import pytest
from plsim_conformance.sim_agreement import (
    ROOT,
    TOOLCHAIN_INSTALL,
    calls,
    parse_sim_verdict,
    sim_column,
    stated_sim_verdicts,
    toolchain_missing,
)
from plsim_fixtures import stated_verdicts

CALLS = calls()
FILES = sorted({c["file"] for c in CALLS.values()})
STATED = {
    f"{name}::{kernel}": verdict
    for name in FILES
    for kernel, verdict in stated_sim_verdicts(ROOT / name).items()
}
SAMPLE = [
    "tests/plsim_conformance/kernels/view_rule_kernels.py::concat_rows_reasserted",
    "tests/plsim_conformance/kernels/view_rule_kernels.py::matmul_m8",
    "tests/plsim_conformance/kernels/view_rule_kernels.py::b_trans_tile_window",
]


def test_every_fixture_states_an_a2a3sim_verdict():
    missing = [
        f"{name}::{kernel}"
        for name in FILES
        for kernel in stated_verdicts(ROOT / name)
        if f"{name}::{kernel}" in CALLS and f"{name}::{kernel}" not in STATED
    ]
    stale = [k for k in STATED if k not in CALLS]
    assert not missing and not stale, "\n".join(
        [f"{k}: no A2A3SIM entry (python -m plsim_conformance.sim_agreement)" for k in missing]
        + [f"{k}: stale A2A3SIM entry" for k in stale]
    )


def test_the_verdict_kinds_parse():
    assert parse_sim_verdict("pass").kind == "pass"
    assert parse_sim_verdict("not run: ptoas says no").detail == "ptoas says no"
    with pytest.raises(ValueError, match="kind must be one of"):
        parse_sim_verdict("flaky: sometimes")
    with pytest.raises(ValueError, match="needs a detail"):
        parse_sim_verdict("fail")


def _require_toolchain() -> None:
    missing = toolchain_missing()
    if missing:
        pytest.skip(f"{missing}; to run this test install {TOOLCHAIN_INSTALL}")


def _check(measured: dict[str, str]) -> list[str]:
    wrong = []
    for key, text in measured.items():
        actual = parse_sim_verdict(text)
        if actual.kind != STATED[key].kind:
            wrong.append(f"{key}: stated {STATED[key].kind!r}, a2a3sim now: {text}")
    return wrong


@pytest.mark.a2a3sim
def test_a2a3sim_sample_gives_the_stated_verdicts(tmp_path):
    _require_toolchain()
    wrong = _check(sim_column(SAMPLE, tmp_path))
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
@pytest.mark.a2a3sim
def test_a2a3sim_gives_the_stated_verdict(request, tmp_path):
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("re-measures every fixture on a2a3sim (about 35 min); select with -m slow")
    _require_toolchain()
    wrong = _check(sim_column(sorted(STATED), tmp_path))
    assert not wrong, "\n".join(wrong)
