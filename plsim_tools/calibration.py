"""Calibrate plsim's cost model on published device timings of pypto-lib kernels.

    python -m plsim_tools.calibration collect [--claims DIR] [--runs FILE] [--jobs N]
        (--claims defaults to $PLSIM_CALIBRATION_DIR)
    python -m plsim_tools.calibration fit     [--runs FILE]
    python -m plsim_tools.calibration table   [--runs FILE] [--markdown FILE]

``collect`` runs the before and after kernel of every claim whose snapshots are present (each
file's own ``__main__`` through ``python -m plsim_tools.pyptolib``, with the claim's arguments) and
keeps plsim's per-stage counts in FILE. ``fit`` searches the model's fitted terms (plsim.hardware
``_FITTED``) on the FIT claims only and prints them; ``table`` scores the model as it stands in
plsim.hardware on every claim: modeled/measured ratio per point, the direction of each
before/after pair, and the summary over the held-out claims.

Which claims fit and which are held out is fixed here, not chosen by the score: the claims
with both snapshots are ordered by PR number and alternate (the 1st, 3rd, ... fit; the 2nd,
4th, ... are held out), so both sets span the same kernels and dates. A claim whose kernels do
not run on plsim drops out of its set; the split of the others does not move.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import statistics
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from plsim.accounting import StageStats, kernel_time, stage_times
from plsim.hardware import PLATFORMS, Platform
from plsim_tools.corpus_paths import CALIBRATION_ENV, CorpusMissing, claims_dir
from plsim_tools.pyptolib import RESULT_MARK

DEFAULT_RUNS = Path("build/calibration/runs.json")

#: The fitted terms and the values searched: physically plausible ranges, stated with their
#: reasons in docs/cost_model_calibration.md ("Fitted terms").
SEARCH: dict[str, tuple[float, ...]] = {
    "core_dma_bytes_per_s": (16e9, 24e9, 32e9, 48e9, 64e9, 96e9, 128e9),
    "dma_burst_bytes": (32.0, 64.0, 128.0, 256.0, 512.0, 1024.0),
    "dma_compute_overlap": (0.0, 0.25, 0.5, 0.75, 1.0),
    "pipelined_overlap": (0.0, 0.25, 0.5, 0.75, 1.0),
    "stage_dispatch_us": (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0),
    "task_dispatch_us": (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75),
    "block_dispatch_us": (0.0, 0.01, 0.02, 0.05, 0.1, 0.2),
    "dma_issue_us": (0.0, 0.05, 0.1, 0.2, 0.3, 0.5),
    "vector_elems_per_cycle": (8, 16, 32, 64),
}


def load_claims(root: Path) -> list[dict[str, Any]]:
    """The claims of ``root/claims.json`` with an index, in file order."""
    claims = json.loads((root / "claims.json").read_text(encoding="utf-8"))
    for i, claim in enumerate(claims):
        claim["index"] = i
    return claims


def side_file(root: Path, side: dict[str, Any] | None) -> Path | None:
    """The snapshot kernel file of one side of a claim, or None if it is not present."""
    if not side or not side.get("commit") or not side.get("kernel_path"):
        return None
    path = root / "snapshots" / side["commit"] / side["kernel_path"]
    return path if path.is_file() else None


def usable(root: Path, claim: dict[str, Any]) -> bool:
    """True if both sides of the claim have a snapshot kernel file."""
    return (
        side_file(root, claim.get("before")) is not None
        and side_file(root, claim.get("after")) is not None
    )


def run_key(side: dict[str, Any]) -> str:
    """The cache key of one side: commit, kernel path and arguments."""
    return f"{side['commit']}:{side['kernel_path']}:{' '.join(side.get('args') or [])}"


def _collect_one(root: Path, side: dict[str, Any], timeout: float) -> dict[str, Any]:
    path = side_file(root, side)
    cmd = [sys.executable, "-m", "plsim_tools.pyptolib", "--quiet", "--out-keeps-data", str(path)]
    cmd += side.get("args") or []
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"verdict": "TIMEOUT", "reason": f"over {timeout:.0f} s", "calls": []}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"verdict": "ERROR", "reason": f"child exit {proc.returncode}: {tail}", "calls": []}


def collect(root: Path, runs_path: Path, jobs: int, timeout: float, resume: bool = False,
            only: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Run every side of every usable claim on plsim; write {key: result} to ``runs_path``
    after each run (with ``resume``, keys already there are kept and not rerun; ``only``
    restricts the runs to keys containing that text)."""
    sides = {}
    for claim in load_claims(root):
        if usable(root, claim):
            for side in (claim["before"], claim["after"]):
                sides[run_key(side)] = side
    results: dict[str, Any] = {}
    if resume and runs_path.is_file():
        results = json.loads(runs_path.read_text(encoding="utf-8"))
    todo = {k: v for k, v in sides.items() if k not in results and (only is None or only in k)}
    runs_path.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    def one(key: str) -> None:
        result = _collect_one(root, todo[key], timeout)
        with lock:
            results[key] = result
            runs_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, todo))
    return results


def _stages_of(result: dict[str, Any], entry: str | None) -> list[StageStats] | None:
    if result.get("verdict") not in ("PASS", "FAIL"):  # an error leaves partial counts
        return None
    calls = result.get("calls") or []
    if entry is not None:
        calls = [c for c in calls if c["fn"] == entry]
    if len(calls) != 1 or not calls[0]["stages"]:
        return None
    fields = {f.name for f in dataclasses.fields(StageStats)}
    return [StageStats(**{k: v for k, v in s.items() if k in fields}) for s in calls[0]["stages"]]


def measure_kind(claim: dict[str, Any]) -> str:
    """What the claim's figure measures: 'wall' (span), 'task' (mean time per task) or
    'core_sum' (time of all tasks summed over cores), read from its stated scope."""
    scope = claim.get("scope", "")
    if "avg Exec per task" in scope:
        return "task"
    if "core-us summed" in scope:
        return "core_sum"
    return "wall"


def modeled(stages: list[StageStats], claim: dict[str, Any], platform: Platform) -> float:
    """The model's figure for what the claim measured, in microseconds."""
    compared = claim["compared"]
    kind = measure_kind(claim)
    if compared == "total" and kind == "wall":
        return kernel_time(stages, platform)  # the whole kernel: stages overlap by dependences
    total = 0.0
    for s in stages:
        if compared != "total" and s.name not in compared:
            continue
        t = stage_times(s, platform)
        tasks = max(s.tasks, 1)
        per_task = t["work"] * t["active"] / tasks  # the work is spread over the busy cores
        # a stage's measured span runs from its first task's start to its last task's end
        total += {"wall": t["span"], "task": per_task, "core_sum": per_task * tasks}[kind]
    return total


def held_out_indices(root: Path) -> set[int]:
    """Indices of the held-out claims: the usable claims (both snapshots present) ordered by
    PR number then index, every second one -- fixed before any kernel runs."""
    usable_claims = [c for c in load_claims(root) if usable(root, c)]
    ordered = sorted(usable_claims, key=lambda c: (c["pr"], c["index"]))
    return {c["index"] for c in ordered[1::2]}


def points(root: Path, runs: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per claim whose both sides ran on plsim: measured and modeled before/after."""
    rows = []
    for claim in load_claims(root):
        if not usable(root, claim):
            continue
        sides = []
        for side in (claim["before"], claim["after"]):
            result = runs.get(run_key(side))
            stages = _stages_of(result, side.get("entry")) if result else None
            sides.append(stages)
        if None in sides:
            continue
        rows.append({"claim": claim, "stages": sides})
    return rows


def evaluate(rows: list[dict[str, Any]], platform: Platform) -> list[dict[str, Any]]:
    """Modeled figures and ratios of each row under ``platform``."""
    out = []
    for row in rows:
        claim = row["claim"]
        before = modeled(row["stages"][0], claim, platform)
        after = modeled(row["stages"][1], claim, platform)
        mb, ma = claim["measured_before_us"], claim["measured_after_us"]
        ratios = [m / x for m, x in ((before, mb), (after, ma)) if x and x > 0]
        out.append({
            "claim": claim, "model_before": before, "model_after": after,
            "ratios": ratios, "direction_ok": (after - before) * (ma - mb) > 0
            or (after == before and ma == mb),
        })  # fmt: skip
    return out


def summary(evaluated: list[dict[str, Any]]) -> dict[str, float]:
    """Median modeled/measured of whole-kernel points and of all points; direction accuracy."""
    whole = [r for e in evaluated if e["claim"]["compared"] == "total" for r in e["ratios"]]
    every = [r for e in evaluated for r in e["ratios"]]
    return {
        "pairs": len(evaluated),
        "whole_kernel_median": statistics.median(whole) if whole else math.nan,
        "all_points_median": statistics.median(every) if every else math.nan,
        "direction_accuracy": (
            sum(e["direction_ok"] for e in evaluated) / len(evaluated) if evaluated else math.nan
        ),
    }


def loss(evaluated: list[dict[str, Any]]) -> float:
    """Fit objective: mean |log ratio| over all points plus 0.5 per wrong direction."""
    logs = [abs(math.log(r)) for e in evaluated for r in e["ratios"] if r > 0]
    wrong = sum(not e["direction_ok"] for e in evaluated)
    return (sum(logs) / max(len(logs), 1)) + 0.5 * wrong / max(len(evaluated), 1)


def _descend(rows: list[dict[str, Any]], base: Platform, params: dict, rounds: int):
    best_loss = loss(evaluate(rows, dataclasses.replace(base, **params)))
    for _ in range(rounds):
        for name, values in SEARCH.items():
            for value in values:
                trial = dict(params, **{name: value})
                value_loss = loss(evaluate(rows, dataclasses.replace(base, **trial)))
                if value_loss < best_loss - 1e-12:
                    params, best_loss = trial, value_loss
    return params, best_loss


def fit(
    rows: list[dict[str, Any]], base: Platform, rounds: int = 6, starts: int = 12
) -> tuple[dict, float]:
    """Coordinate descent over the SEARCH grid on ``rows`` (each term in turn takes its best
    grid value with the others fixed, ``rounds`` passes) from ``base``'s values and from
    ``starts - 1`` grid points drawn with a fixed seed; the lowest loss wins."""
    rng = random.Random(0)
    best = _descend(rows, base, {name: getattr(base, name) for name in SEARCH}, rounds)
    for _ in range(starts - 1):
        start = {name: rng.choice(values) for name, values in SEARCH.items()}
        candidate = _descend(rows, base, start, rounds)
        if candidate[1] < best[1] - 1e-12:
            best = candidate
    return best


def _platform_for(claim: dict[str, Any]) -> Platform:
    return PLATFORMS.get(claim.get("platform", "a2a3"), PLATFORMS["a2a3"])


def table_text(evaluated: list[dict[str, Any]], held: set[int], markdown: bool) -> str:
    """The per-claim table (set, PR, measured, compared, measured and modeled figures)."""
    head = ["set", "claim", "PR", "compared", "measured us (before -> after)",
            "modeled us (before -> after)", "ratio before/after", "direction"]  # fmt: skip
    rows = []
    for e in evaluated:
        c = e["claim"]
        compared = c["compared"] if c["compared"] == "total" else "+".join(c["compared"])
        rows.append([
            "held-out" if c["index"] in held else "fit", str(c["index"]), f"#{c['pr']}",
            f"{compared} ({measure_kind(c)})",
            f"{c['measured_before_us']:g} -> {c['measured_after_us']:g}",
            f"{e['model_before']:.1f} -> {e['model_after']:.1f}",
            " / ".join(f"{r:.2f}" for r in e["ratios"]), "right" if e["direction_ok"] else "WRONG",
        ])  # fmt: skip
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(r, widths)) for r in [head, *rows])


def main(argv: list[str] | None = None) -> int:
    """CLI entry; returns the exit code."""
    p = argparse.ArgumentParser(
        prog="python -m plsim_tools.calibration", description=__doc__.split("\n")[0]
    )
    p.add_argument("command", choices=["collect", "fit", "table"])
    p.add_argument(
        "--claims", type=Path, default=None,
        help=f"calibration folder (default: ${CALIBRATION_ENV})",
    )  # fmt: skip
    p.add_argument("--runs", type=Path, default=DEFAULT_RUNS, help="plsim runs (JSON cache)")
    p.add_argument("--jobs", type=int, default=1, help="kernels run at once (collect)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per kernel (collect)")
    p.add_argument("--markdown", type=Path, help="write the table as Markdown here (table)")
    p.add_argument("--resume", action="store_true", help="keep runs already in --runs (collect)")
    p.add_argument("--only", help="run only the kernels whose key contains this (collect)")
    ns = p.parse_args(argv)
    try:
        ns.claims = claims_dir(ns.claims)
    except CorpusMissing as exc:
        p.error(str(exc))
    if not (ns.claims / "claims.json").is_file():
        p.error(f"--claims: no claims.json in {ns.claims}")
    if ns.command == "collect":
        if ns.jobs < 1:
            p.error("--jobs must be >= 1")
        results = collect(ns.claims, ns.runs, ns.jobs, ns.timeout, ns.resume, ns.only)
        for key, r in results.items():
            print(f"{r['verdict']:<7} {key}  {r.get('reason', '')}")
        return 0
    if not ns.runs.is_file():
        p.error(f"--runs: no {ns.runs}; run `python -m plsim_tools.calibration collect` first")
    runs = json.loads(ns.runs.read_text(encoding="utf-8"))
    rows = points(ns.claims, runs)
    held = held_out_indices(ns.claims)
    fit_rows = [r for r in rows if r["claim"]["index"] not in held]
    if ns.command == "fit":
        params, value = fit(fit_rows, PLATFORMS["a2a3"])
        print(f"fit on claims {sorted(r['claim']['index'] for r in fit_rows)}: loss {value:.3f}")
        print(json.dumps(params, indent=1))
        return 0
    evaluated = [evaluate([r], _platform_for(r["claim"]))[0] for r in rows]
    print(table_text(evaluated, held, markdown=False))
    fit_eval = [e for e in evaluated if e["claim"]["index"] not in held]
    held_eval = [e for e in evaluated if e["claim"]["index"] in held]
    for name, subset in (("fit", fit_eval), ("held-out", held_eval)):
        s = summary(subset)
        print(f"{name}: {s['pairs']} pairs, whole-kernel median modeled/measured "
              f"{s['whole_kernel_median']:.2f}, all points {s['all_points_median']:.2f}, "
              f"direction right {s['direction_accuracy']:.0%}")  # fmt: skip
    if ns.markdown is not None:
        ns.markdown.write_text(table_text(evaluated, held, markdown=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
