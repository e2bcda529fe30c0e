"""What each scheduling term of the cost model buys on published device timings.

    python -m plsim_tools.calibration_terms [--claims DIR] [--runs FILE] [--starts N]

For the model without scheduling terms (the constants it was fitted with before them), each
term of plsim.scheduling.TERMS alone, and all of them, it fits the model's terms on the FIT
claims (plsim_tools.calibration.fit) and prints, for the HELD-OUT claims: the pairs whose direction
(faster or slower after the change) the model gets right, and the median modeled/measured of
the whole-kernel points and of all points. The same is printed for the reversed split (fitted
on the held-out claims, scored on the fit claims) as a check of how much the split decides.
The runs are those of ``python -m plsim_tools.calibration collect``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from plsim.hardware import A2A3, PLATFORMS
from plsim.scheduling import TERMS
from plsim_tools import calibration as cal
from plsim_tools.corpus_paths import CALIBRATION_ENV, CorpusMissing, claims_dir

#: The fitted constants of the model before the scheduling terms (docs/cost_model_calibration.md
#: as of that change), the "before" of every comparison.
BEFORE = dict(
    core_dma_bytes_per_s=64e9, dma_burst_bytes=512.0, dma_issue_us=0.05, dma_compute_overlap=0.0,
    pipelined_overlap=1.0, stage_dispatch_us=0.25, task_dispatch_us=0.75, block_dispatch_us=0.75,
    vector_elems_per_cycle=16,
)  # fmt: skip


def score(rows: list[dict[str, Any]], params: dict, terms: frozenset) -> dict[str, Any]:
    """Direction right (count of pairs) and medians of ``rows`` with the fitted ``params`` and
    scheduling ``terms``, each claim on its own chip's constants (a2a3 or a5)."""
    evaluated = []
    for r in rows:
        chip = PLATFORMS.get(r["claim"].get("platform", "a2a3"), A2A3)
        platform = dataclasses.replace(chip, terms=terms, **params)
        evaluated += cal.evaluate([r], platform)
    s = cal.summary(evaluated)
    s["right"] = sum(e["direction_ok"] for e in evaluated)
    s["wrong_claims"] = [e["claim"]["index"] for e in evaluated if not e["direction_ok"]]
    return s


def study(fit_rows: list, held_rows: list, starts: int) -> list[tuple[str, dict, dict]]:
    """(variant, fitted terms, held-out score) for the model before, each term alone, all."""
    out = [("before (no scheduling terms, old constants)", BEFORE,
            score(held_rows, BEFORE, frozenset()))]  # fmt: skip
    variants = [("refit, no scheduling terms", frozenset())]  # the control: the refit alone
    variants += [(f"+ {t} only", frozenset((t,))) for t in TERMS]
    variants.append(("all terms", frozenset(TERMS)))
    for label, terms in variants:
        base = dataclasses.replace(A2A3, terms=terms, **BEFORE)
        params, _ = cal.fit(fit_rows, base, starts=starts)
        out.append((label, params, score(held_rows, params, terms)))
    return out


def report(results: list[tuple[str, dict, dict]], title: str) -> str:
    """The results as a Markdown table with the fitted terms underneath."""
    lines = [f"{title}", "", "| model | direction right | whole-kernel median | all points median "
             "| wrong |", "|---|---|---|---|---|"]  # fmt: skip
    for label, _params, s in results:
        lines.append(f"| {label} | {s['right']} / {s['pairs']} | {s['whole_kernel_median']:.2f} "
                     f"| {s['all_points_median']:.2f} | {s['wrong_claims']} |")  # fmt: skip
    lines.append("")
    for label, params, _s in results:
        lines.append(f"- {label}: `{json.dumps(params)}`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m plsim_tools.calibration_terms",
                                description=__doc__.split("\n")[0])  # fmt: skip
    p.add_argument("--claims", type=Path, default=None,
                   help=f"calibration folder (default: ${CALIBRATION_ENV})")  # fmt: skip
    p.add_argument("--runs", type=Path, default=cal.DEFAULT_RUNS, help="plsim runs (JSON)")
    p.add_argument("--starts", type=int, default=12, help="fit starts per variant")
    p.add_argument("--reversed", action="store_true", help="also the reversed split")
    ns = p.parse_args(argv)
    try:
        root = claims_dir(ns.claims)
    except CorpusMissing as exc:
        p.error(str(exc))
    if not ns.runs.is_file():
        p.error(f"--runs: no {ns.runs}; run `python -m plsim_tools.calibration collect` first")
    rows = cal.points(root, json.loads(ns.runs.read_text(encoding="utf-8")))
    held = cal.held_out_indices(root)
    fit_rows = [r for r in rows if r["claim"]["index"] not in held]
    held_rows = [r for r in rows if r["claim"]["index"] in held]
    print(report(study(fit_rows, held_rows, ns.starts),
                 f"Held-out claims {sorted(r['claim']['index'] for r in held_rows)}, fitted on "
                 f"{sorted(r['claim']['index'] for r in fit_rows)}"))  # fmt: skip
    if ns.reversed:
        print()
        print(report(study(held_rows, fit_rows, ns.starts),
                     "Reversed split: scored on the fit claims, fitted on the held-out ones"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
