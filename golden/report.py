"""Render a RunReport: the human text report and the JSON object of the CLI contract."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from golden.platforms import FLOOR_KEYS, STAGE_KEYS, TRAFFIC_KEYS
from golden.runner import PHASES, RunReport

#: Keys of the JSON ``wall_s`` object: every phase of the run, then the total.
WALL_KEYS: tuple[str, ...] = (*PHASES, "total")


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays turned into Python ones and NaN/inf into None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def to_json(report: RunReport) -> dict[str, Any]:
    """The CLI's JSON object: case, platform, config, passed, outputs, stages, modeled_us (the
    whole kernel's modeled time), floor (the chip's floor for the kernel and modeled_us over
    it), traffic, counted (false when plsim ran functional-only: stages, modeled_us, floor
    and traffic are then null, not zeros), wall_s, quality (plus error, replayed_from and
    saved_to, null when not applicable)."""
    outputs = {}
    for name, verdict in report.outputs.items():
        outputs[name] = {"passed": verdict.passed, **verdict.figures, "message": verdict.message}
    stages = [{key: stage[key] for key in STAGE_KEYS} for stage in report.stages or []]
    traffic = {key: (report.traffic or {}).get(key) for key in TRAFFIC_KEYS}
    if report.functional_only:
        stages, traffic = None, None
    floor = None if report.floor is None else {key: report.floor.get(key) for key in FLOOR_KEYS}
    obj = {
        "case": report.case,
        "platform": report.platform,
        "config": dataclasses.asdict(report.config),
        "passed": report.passed,
        "outputs": outputs,
        "stages": stages,
        "modeled_us": report.modeled_us,
        "floor": floor,
        "traffic": traffic,
        "counted": not report.functional_only,
        "wall_s": {key: report.wall_s.get(key) for key in WALL_KEYS},
        "quality": report.quality,
        "error": report.error,
        "replayed_from": report.replayed_from,
        "saved_to": report.saved_to,
    }
    return jsonable(obj)


def dumps(report: RunReport) -> str:
    """The JSON object as one strict-JSON line (no NaN/Infinity)."""
    return json.dumps(to_json(report), allow_nan=False)


def _bytes(n: float | None) -> str:
    if n is None:
        return "-"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"  # unreachable; keeps type checkers calm


def _count(n: float | None) -> str:
    if n is None:
        return "-"
    n = float(n)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            return f"{n / limit:.2f}{suffix}"
    return f"{n:.0f}"


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.3g}"
    return str(x)


_HEADLINE_KEYS = (
    "max_abs_err",
    "max_rel_err",
    "mismatches",
    "max_ulp_seen",
    "tie_swaps",
    "bad_positions",
    "pad_mismatches",
    "outside_mismatches",
)


def _tolerance_text(figs: dict[str, Any]) -> str:
    """The output's tolerance and how much of it the worst cell uses (PASS and FAIL lines)."""
    if "atol" in figs and "rtol" in figs:
        text = f"tol: |a - e| <= {figs['atol']:g} + {figs['rtol']:g} * |e|"
        used = figs.get("tolerance_used")
        if used is None and "tolerance_used" in figs:
            return text + "; worst cell beyond any multiple of it"
        if used is not None:
            text += f"; worst cell uses {100 * used:.1f}% of it (margin {100 * (1 - used):.1f}%)"
        return text
    if "max_ulp_allowed" in figs:
        allowed, seen = figs["max_ulp_allowed"], figs.get("max_ulp_seen", 0)
        return f"tol: {allowed} BF16 ulp; worst {seen} ulp (margin {allowed - seen} ulp)"
    if "tie_swaps" in figs:
        return (
            "tol: an index may differ only by swapping candidates whose golden scores are "
            "equal within the score tolerance"
        )
    return ""


def _distribution_line(dist: dict[str, Any]) -> str:
    above = "  ".join(f">{t}: {100 * f:.2f}%" for t, f in dist.get("frac_err_above", {}).items())
    quant = " ".join(f"{k}={_num(v)}" for k, v in dist.get("abs_err_quantiles", {}).items())
    return (
        f"rel_l2={_num(dist.get('rel_l2'))} cosine={_num(dist.get('cosine'))} "
        f"nonfinite={dist.get('nonfinite', 0)}  {above}  |err| {quant}"
    )


def _wall_part(report: RunReport, key: str) -> str:
    seconds = report.wall_s.get(key)
    if seconds is None:
        if key == "golden" and report.replayed_from:
            return "golden (saved, not rerun)"
        return f"{key} -"
    return f"{key} {seconds:.3f} s"


def render_text(report: RunReport) -> str:
    """The human report: verdicts and figures per output, stage table, traffic, wall times."""
    cfg = dataclasses.asdict(report.config) if report.shown_config is None else report.shown_config
    lines = [
        f"case {report.case} on {report.platform}  ("
        + " ".join(f"{k}={'-' if v is None else v}" for k, v in cfg.items())
        + ")"
    ]
    if report.replayed_from:
        lines.append(f"replaying saved data from {report.replayed_from}")
    lines.extend(f"note: {note}" for note in report.notes)
    if report.saved_to:
        lines.append(f"inputs and golden saved to {report.saved_to}")
    if report.error:
        lines.append(f"KERNEL ERROR: {report.error}")
    if report.outputs:
        lines.append("outputs:")
        width = max(len(n) for n in report.outputs)
        for name, verdict in report.outputs.items():
            figs = verdict.figures
            keys = [k for k in _HEADLINE_KEYS if k in figs]
            if not keys:  # a case's own comparison: show its first few scalar figures
                keys = [k for k, v in figs.items() if isinstance(v, int | float | bool)][:6]
            headline = " ".join(f"{k}={_num(figs[k])}" for k in keys)
            status = "PASS" if verdict.passed else "FAIL"
            lines.append(f"  {status}  {name:<{width}}  {headline}")
            tolerance = _tolerance_text(figs)
            if tolerance:
                lines.append(f"        {tolerance}")
            if not verdict.passed:
                lines.append(f"        {verdict.message}")
            if "error_distribution" in figs:
                lines.append(f"        {_distribution_line(figs['error_distribution'])}")
    if report.stages:
        lines.append(
            "stages (modeled on the a2a3 cost model; times are estimates; bound: the term "
            "that sets the time; disp: dispatches, an SPMD launch is one; transfers and "
            "segments: DMA transfers and the contiguous GM runs they touch; docs/cost_model.md):"
        )
        header = (
            "stage",
            "tasks",
            "disp",
            "GM read",
            "GM written",
            "transfers",
            "segments",
            "cube MACs",
            "vector ops",
            "model us",
            "bound",
        )
        rows = []
        for s in report.stages:
            bound, share = s.get("bound") or "-", float(s.get("bound_share") or 0.0)
            rows.append(
                (
                    str(s["name"]),
                    str(s["tasks"]),
                    str(s["launches"]),
                    _bytes(s["gm_read_bytes"]),
                    _bytes(s["gm_write_bytes"]),
                    _count(s["gm_transfers"]),
                    _count(s["gm_segments"]),
                    _count(s["cube_macs"]),
                    _count(s["vector_ops"]),
                    f"{float(s['modeled_us']):.2f}",
                    f"{bound} ({100 * share:.0f}%)",
                )
            )
        blank = ("",) * (len(header) - 3)
        total_us = sum(float(s["modeled_us"]) for s in report.stages)
        rows.append(("sum of stages", *blank, f"{total_us:.2f}", ""))
        if report.modeled_us is not None:
            rows.append(("kernel", *blank, f"{report.modeled_us:.2f}",
                         "stages overlap by their dependences"))  # fmt: skip
        if report.floor is not None:
            f = report.floor
            rows.append(("floor", *blank, f"{float(f['floor_us']):.2f}",
                         f"{f['bound']}: compulsory GM {float(f['gm_floor_us']):.2f} us, "
                         f"cube at peak {float(f['cube_floor_us']):.2f} us; modeled/floor "
                         f"{_num(f['modeled_over_floor'])}"))  # fmt: skip
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [row[0].ljust(widths[0])]
            cells += [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])]
            cells.append(row[-1].ljust(widths[-1]))
            lines.append(("  " + "  ".join(cells)).rstrip())
    elif report.functional_only and not report.error:
        lines.append(
            "counts: not collected (--functional-only: no stages, traffic or modeled time)"
        )
    elif report.stages is None and not report.error:
        lines.append(f"stages: no per-stage model on platform {report.platform}")
    if report.traffic:
        t = report.traffic
        lines.append(
            f"traffic: GM {_bytes(t['gm_bytes'])}, compulsory {_bytes(t['compulsory_bytes'])}, "
            f"ratio {_num(t['ratio'])}"
        )
    lines.append("wall: " + ", ".join(_wall_part(report, key) for key in WALL_KEYS))
    if report.quality:
        lines.append(
            "quality: " + " ".join(f"{k}={_num(v)}" for k, v in jsonable(report.quality).items())
        )
    lines.append(f"RESULT: {'PASS' if report.passed else 'FAIL'}")
    return "\n".join(lines)
