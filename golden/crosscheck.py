"""plsim against a pypto platform: one set of inputs on both, their outputs compared directly.

``cross_check`` runs the case on plsim with ``--save-data`` semantics (inputs and golden saved
to a directory), replays exactly that data on the other platform (a2a3sim by default), and
compares the two platforms' outputs cell by cell, besides each one's verdict against the
golden. Integer outputs (INT8 codes, INT32 values, top-k indices) must be bit-identical,
except top-k positions that the case's own tie-aware comparison, given plsim's indices in the
golden's place, accepts as swaps of candidates whose golden scores tie within the case's
tolerance (FP32 sums in another order can make two near-equal scores equal). A
float cell agrees when both values are the same non-finite value, or when they differ by at
most ``FLOAT_ULPS`` units in the last place of the output's scale: its largest finite
magnitude (either platform; the score rows' -FLT_MAX sentinel excluded). The two platforms
sum FP32 products in different orders, so a cell's difference follows the magnitude of the
sums around it, not its own (a near-zero cell may differ by thousands of its own ULPs);
docs/running.md gives the measurements behind the bound. The real pypto runs in a child
process (golden.platforms.run_pypto).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

from golden import data
from golden.case import Case, CaseConfig
from golden.runner import RunReport, replay_case, run_case
from golden.spec import DTYPES

#: Largest difference between plsim and the simulator for a float cell, in units in the last
#: place of the output's scale: twice the worst measured (3.5, the compressor's score state;
#: docs/running.md), for configurations not measured.
FLOAT_ULPS = 8
#: Differing cells listed per output in the report.
SHOWN = 5


@dataclass
class Agreement:
    """How one output compares across the two platforms."""

    name: str
    dtype: str
    exact: bool
    cells: int
    differing: int
    outside_bound: int
    max_ulp: int
    max_abs: float
    #: Float outputs: the output's largest finite magnitude and the allowed |difference|.
    scale: float = 0.0
    tolerance: float = 0.0
    #: Integer outputs: differing cells the case's comparison accepts as tie swaps.
    tie_swaps: int = 0
    first: list[dict[str, Any]] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """Integers: every cell identical but tie swaps; floats: every cell within the bound."""
        return self.outside_bound == 0 or (self.exact and self.tie_swaps == self.differing)

    def bound(self) -> str:
        """The stated bound, as text."""
        if self.exact:
            return "bit-identical" + (f", {self.tie_swaps} tie swaps" if self.tie_swaps else "")
        return f"|diff| <= {FLOAT_ULPS} ulp of scale {self.scale:.3g} = {self.tolerance:.3g}"


@dataclass
class CrossCheck:
    """Both platforms' runs on the same data and the agreement of every output."""

    case: str
    platform: str
    config: CaseConfig
    data_dir: str | None
    plsim: RunReport
    other: RunReport
    outputs: dict[str, Agreement]

    @property
    def agrees(self) -> bool:
        """Both kernels ran and every output agrees within its bound."""
        ran = self.plsim.error is None and self.other.error is None
        return ran and all(a.agrees for a in self.outputs.values())

    @property
    def passed(self) -> bool:
        """Both platforms pass their goldens and agree with each other."""
        return self.plsim.passed and self.other.passed and self.agrees


def _ordered(values: np.ndarray) -> np.ndarray:
    """Float bit patterns mapped to integers that count ULPs monotonically (+0 and -0 meet)."""
    width = values.dtype.itemsize * 8
    bits = values.view(np.dtype(f"i{values.dtype.itemsize}")).astype(np.int64)
    return np.where(bits < 0, -(bits & ((1 << (width - 1)) - 1)), bits)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cellwise distance in units in the last place between two float arrays of one dtype.

    NaN against NaN is 0, NaN against a number is the largest int64.
    """
    distance = np.abs(_ordered(a) - _ordered(b))
    a_nan, b_nan = np.isnan(a.astype(np.float32)), np.isnan(b.astype(np.float32))
    distance[a_nan & b_nan] = 0
    distance[a_nan ^ b_nan] = np.iinfo(np.int64).max
    return distance


def _finfo(dtype: np.dtype) -> Any:
    return ml_dtypes.finfo(dtype) if dtype == np.dtype(ml_dtypes.bfloat16) else np.finfo(dtype)


def output_scale(*arrays: np.ndarray) -> float:
    """The largest finite magnitude in ``arrays``, the dtype's max (a sentinel) excluded."""
    largest = float(_finfo(arrays[0].dtype).max)
    values = np.concatenate([np.abs(a.astype(np.float64)).ravel() for a in arrays])
    values = values[np.isfinite(values) & (values < largest)]
    return float(values.max()) if values.size else 0.0


def ulp_of(value: float, dtype: np.dtype) -> float:
    """One unit in the last place of ``value`` in ``dtype`` (of the smallest normal below it)."""
    info = _finfo(dtype)
    value = max(abs(value), float(info.tiny))
    _, exponent = np.frexp(value)
    return float(np.ldexp(1.0, int(exponent) - 1 - int(info.nmant)))


def compare_outputs(name: str, mine: np.ndarray, theirs: np.ndarray) -> Agreement:
    """The agreement of one output between plsim (``mine``) and the other platform."""
    if mine.shape != theirs.shape or mine.dtype != theirs.dtype:
        raise ValueError(f"output {name!r}: {mine.shape} {mine.dtype} vs {theirs.shape} "
                         f"{theirs.dtype}")  # fmt: skip
    dtype_name = next((k for k, v in DTYPES.items() if v == mine.dtype), str(mine.dtype))
    exact = mine.dtype.kind in "biu"
    scale = tolerance = 0.0
    if exact:
        differs = mine != theirs
        outside = differs
        ulps = np.zeros(mine.shape, np.int64)
        diff = np.abs(mine.astype(np.int64) - theirs.astype(np.int64)).astype(np.float64)
    else:
        ulps = ulp_distance(mine, theirs)
        a, b = mine.astype(np.float64), theirs.astype(np.float64)
        both_finite = np.isfinite(a) & np.isfinite(b)
        with np.errstate(invalid="ignore"):  # inf - inf: decided by the bit patterns instead
            diff = np.where(both_finite, np.abs(a - b), np.where(ulps == 0, 0.0, np.inf))
        scale = output_scale(mine, theirs)
        tolerance = FLOAT_ULPS * ulp_of(scale, mine.dtype)
        differs = ulps != 0
        outside = diff > tolerance
    first = [
        {"index": [int(i) for i in index], "plsim": mine[index].item(),
         "other": theirs[index].item(), "ulp": int(ulps[index])}
        for index in zip(*np.nonzero(outside if outside.any() else differs))
    ][:SHOWN]  # fmt: skip
    return Agreement(
        name=name,
        dtype=dtype_name,
        exact=exact,
        cells=int(mine.size),
        differing=int(differs.sum()),
        outside_bound=int(outside.sum()),
        max_ulp=int(ulps.max()) if ulps.size else 0,
        max_abs=float(diff.max()) if diff.size else 0.0,
        scale=scale,
        tolerance=tolerance,
        first=first,
    )


@contextlib.contextmanager
def _data_dir(save_dir: str | Path | None) -> Iterator[Path]:
    if save_dir is not None:
        yield Path(save_dir)
        return
    with tempfile.TemporaryDirectory(prefix="crosscheck_") as scratch:
        yield Path(scratch) / "data"


def cross_check(
    case: Case,
    config: CaseConfig | None = None,
    platform: str = "a2a3sim",
    *,
    save_dir: str | Path | None = None,
    replay_dir: str | Path | None = None,
    force: bool = False,
    progress: Any = None,
) -> CrossCheck:
    """Run ``case`` on plsim and on ``platform`` with the same inputs; compare the outputs.

    With ``replay_dir`` both platforms replay that save; otherwise plsim generates the inputs
    from ``config`` and saves them (to ``save_dir``, kept, or a temporary directory) for the
    other platform's replay. Raises what run_case / replay_case raise (ConfigError,
    PlatformUnavailable, DataError, ...).
    """
    if replay_dir is not None:
        data_dir = Path(replay_dir)
        mine = replay_case(case, data_dir, "plsim", progress=progress)
        theirs = replay_case(case, data_dir, platform, progress=progress)
        return _checked(case, platform, data_dir, mine, theirs, kept=True)
    with _data_dir(save_dir) as data_dir:
        mine = run_case(case, config or CaseConfig(), "plsim", progress=progress,
                        save_dir=data_dir, force=force)  # fmt: skip
        theirs = replay_case(case, data_dir, platform, progress=progress)
        return _checked(case, platform, data_dir, mine, theirs, kept=save_dir is not None)


def tie_swaps(
    case: Case, name: str, mine: RunReport, theirs: RunReport, inputs: Mapping[str, Any]
) -> int:
    """How many of the cells where the two platforms' integer output ``name`` differs the case's
    own comparison accepts as tie swaps (its ``tie_swaps`` figure), judging the other
    platform's output against plsim's in the golden's place; 0 unless it accepts them all."""
    compare = case.comparisons(mine.config)[name]
    expected = {**mine.expected_outputs, name: mine.actual_outputs[name]}
    result = compare(theirs.actual_outputs[name], mine.actual_outputs[name],
                     actual_outputs=theirs.actual_outputs, expected_outputs=expected,
                     inputs=inputs)  # fmt: skip
    swaps = result.figures.get("tie_swaps", 0) if result.passed else 0
    return int(swaps)


def _checked(
    case: Case, platform: str, data_dir: Path, mine: RunReport, theirs: RunReport, kept: bool
) -> CrossCheck:
    outputs: dict[str, Agreement] = {}
    if mine.error is None and theirs.error is None:
        for name in mine.actual_outputs:
            agreement = compare_outputs(name, mine.actual_outputs[name],
                                        theirs.actual_outputs[name])  # fmt: skip
            if agreement.exact and agreement.differing:
                inputs = case.saved_inputs(data.load(data_dir).inputs, mine.config)
                agreement.tie_swaps = tie_swaps(case, name, mine, theirs, inputs)
            outputs[name] = agreement
    kept_dir = str(data_dir) if kept else None
    return CrossCheck(case.name, platform, mine.config, kept_dir, mine, theirs, outputs)


def to_json(check: CrossCheck) -> dict[str, Any]:
    """The cross-check as one JSON object (each platform's verdicts, then the agreement)."""
    from golden.report import jsonable
    from golden.report import to_json as report_json

    return jsonable(
        {
            "case": check.case,
            "platforms": ["plsim", check.platform],
            "config": dataclasses.asdict(check.config),
            "data_dir": check.data_dir,
            "passed": check.passed,
            "agrees": check.agrees,
            "bounds": {"float_ulps_of_scale": FLOAT_ULPS, "integer": "exact"},
            "outputs": {
                name: {**dataclasses.asdict(a), "agrees": a.agrees, "bound": a.bound()}
                for name, a in check.outputs.items()
            },
            "reports": {
                "plsim": report_json(check.plsim),
                check.platform: report_json(check.other),
            },
        }
    )


def render_text(check: CrossCheck) -> str:
    """The human cross-check report."""
    cfg = " ".join(
        f"{k}={'-' if v is None else v}" for k, v in dataclasses.asdict(check.config).items()
    )
    lines = [f"cross-check {check.case}: plsim vs {check.platform}  ({cfg})"]
    for label, report in (("plsim", check.plsim), (check.platform, check.other)):
        verdict = "PASS" if report.passed else "FAIL"
        failing = [n for n, v in report.outputs.items() if not v.passed]
        detail = f" ({report.error})" if report.error else ""
        detail += f" (failing: {', '.join(failing)})" if failing else ""
        lines.append(f"golden on {label}: {verdict}{detail}")
    if check.data_dir:
        lines.append(f"data: {check.data_dir}")
    lines.append("agreement, plsim vs " + check.platform + ":")
    for a in check.outputs.values():
        verdict = "AGREE   " if a.agrees else "DISAGREE"
        figures = f"{a.differing} of {a.cells} cells differ"
        if not a.exact:
            figures += f", max |diff| {a.max_abs:.3g} ({a.max_ulp} ulp of the cell's own)"
        lines.append(f"  {verdict} {a.name} ({a.dtype}, {a.bound()}): {figures}")
        for cell in a.first if not a.agrees else []:
            lines.append(f"           at {tuple(cell['index'])}: plsim {cell['plsim']!r}, "
                         f"{check.platform} {cell['other']!r} ({cell['ulp']} ulp)")  # fmt: skip
    if not check.outputs:
        lines.append("  (not compared: a kernel failed)")
    lines.append(f"RESULT: {'PASS' if check.passed else 'FAIL'}")
    return "\n".join(lines)
