"""Output comparisons: each factory returns a Comparison that gives a verdict plus figures.

Every figure is a plain Python number, string, list or dict (JSON-serialisable, no NaN/inf:
a figure that has no finite value is ``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import ml_dtypes
import numpy as np

from golden.case import CompareResult, Comparison

#: Error thresholds reported by :func:`error_distribution` (fraction of cells above each).
ERROR_THRESHOLDS: tuple[float, ...] = (1e-3, 1e-2, 5e-2)
#: Percentiles of the absolute error reported by :func:`error_distribution`.
ERROR_QUANTILES: tuple[int, ...] = (50, 90, 99, 100)
#: How many offending positions a failing comparison lists in its figures and message.
MAX_SHOWN = 5

_BF16 = np.dtype(ml_dtypes.bfloat16)


def _finite_or_none(value: float) -> float | None:
    """A float figure, or None when it is NaN or infinite (JSON has no such numbers)."""
    value = float(value)
    return value if np.isfinite(value) else None


def _positions(mask: np.ndarray, limit: int = MAX_SHOWN) -> list[list[int]]:
    """The first ``limit`` index tuples where ``mask`` is true, as lists of ints."""
    return [[int(i) for i in idx] for idx in np.argwhere(mask)[:limit]]


def is_float_dtype(dtype: np.dtype) -> bool:
    """True for the floating dtypes the harness handles (FP16, BF16, FP32, FP64)."""
    dtype = np.dtype(dtype)
    return dtype == _BF16 or np.issubdtype(dtype, np.floating)


def _bits(x: np.ndarray) -> np.ndarray:
    """The raw bit patterns of ``x`` as unsigned integers of the same width."""
    x = np.ascontiguousarray(x)
    if x.dtype == np.bool_:
        return x.view(np.uint8)
    return x.view(np.dtype(f"u{x.dtype.itemsize}"))


def shape_dtype_problem(actual: np.ndarray, expected: np.ndarray) -> str | None:
    """A message if the arrays differ in shape or dtype, else None."""
    if actual.shape != expected.shape:
        return f"shape differs: actual {actual.shape}, expected {expected.shape}"
    if actual.dtype != expected.dtype:
        return f"dtype differs: actual {actual.dtype}, expected {expected.dtype}"
    return None


class ComparisonContext(NamedTuple):
    """The keyword arguments every Comparison receives besides the two arrays."""

    actual_outputs: Mapping[str, np.ndarray]
    expected_outputs: Mapping[str, np.ndarray]
    inputs: Mapping[str, Any]


def shape_checked(
    check: Callable[[np.ndarray, np.ndarray, ComparisonContext], CompareResult],
) -> Comparison:
    """A Comparison that fails on a shape or dtype difference and otherwise returns
    ``check(actual, expected, context)``."""

    def compare(
        actual: np.ndarray,
        expected: np.ndarray,
        *,
        actual_outputs: Mapping[str, np.ndarray],
        expected_outputs: Mapping[str, np.ndarray],
        inputs: Mapping[str, Any],
    ) -> CompareResult:
        problem = shape_dtype_problem(actual, expected)
        if problem:
            return CompareResult(False, {}, problem)
        return check(actual, expected, ComparisonContext(actual_outputs, expected_outputs, inputs))

    return compare


def error_distribution(
    actual: np.ndarray, expected: np.ndarray, mask: np.ndarray | None = None
) -> dict[str, Any]:
    """How the error of ``actual`` against ``expected`` is spread over the (masked) cells.

    Pairs where either side is NaN or infinite (and the two are not equal) are counted in
    ``nonfinite`` and left out of the other figures. Figures: ``cells``, ``nonfinite``,
    ``max_abs_err``, ``max_rel_err`` (over cells with a non-zero expected value),
    ``rel_l2`` (||a - e|| / ||e||), ``cosine`` (cosine similarity), ``frac_err_above``
    (per threshold in ERROR_THRESHOLDS, the fraction of cells whose error
    ``|a - e| / max(|e|, 1)`` exceeds it: absolute below magnitude 1, relative above) and
    ``abs_err_quantiles`` (``p50`` ... ``p100`` of |a - e|).
    """
    a = np.asarray(actual).astype(np.float64)
    e = np.asarray(expected).astype(np.float64)
    if mask is not None:
        m = np.broadcast_to(np.asarray(mask, dtype=bool), e.shape)
        a, e = a[m], e[m]
    else:
        a, e = a.ravel(), e.ravel()
    finite = np.isfinite(a)
    finite &= np.isfinite(e)
    nonfinite = 0
    if not finite.all():  # copying is the expensive part: skip it in the common case
        equal = a == e  # also covers equal infinities
        nonfinite = int(np.count_nonzero(~finite & ~equal))
        a, e = a[finite], e[finite]
    cells = int(a.size)
    figures: dict[str, Any] = {"cells": cells, "nonfinite": nonfinite}
    if cells == 0:
        figures.update(
            max_abs_err=0.0,
            max_rel_err=0.0,
            rel_l2=0.0,
            cosine=None,
            frac_err_above={f"{t:g}": 0.0 for t in ERROR_THRESHOLDS},
            abs_err_quantiles={f"p{q}": 0.0 for q in ERROR_QUANTILES},
        )
        return figures
    norm_e = float(np.linalg.norm(e))
    norm_a = float(np.linalg.norm(a))
    if norm_a > 0 and norm_e > 0:
        cosine: float | None = float(np.dot(a, e) / (norm_a * norm_e))
    else:
        cosine = 1.0 if norm_a == norm_e else 0.0
    # ``a`` is this function's own float64 copy and is not needed past this point: the
    # difference goes into its buffer (a large output would otherwise allocate one more copy).
    delta = np.subtract(a, e, out=a)
    norm_d = float(np.linalg.norm(delta))
    if norm_e > 0:
        rel_l2: float | None = norm_d / norm_e
    else:
        rel_l2 = 0.0 if norm_d == 0 else None
    # Outputs that are mostly exact (caches, state) have few differing cells: every figure but
    # the norms is computed over those, with the equal cells' zeros accounted for exactly.
    differs = delta != 0
    diff = np.abs(delta[differs])
    e_diff = e[differs]
    nonzero = e_diff != 0
    rel = diff[nonzero] / np.abs(e_diff[nonzero])
    scaled = diff / np.maximum(np.abs(e_diff), 1.0)
    figures.update(
        max_abs_err=_finite_or_none(diff.max()) if diff.size else 0.0,
        max_rel_err=_finite_or_none(rel.max()) if rel.size else 0.0,
        rel_l2=None if rel_l2 is None else _finite_or_none(rel_l2),
        cosine=None if cosine is None else _finite_or_none(cosine),
        frac_err_above={
            f"{t:g}": float(np.count_nonzero(scaled > t) / cells) for t in ERROR_THRESHOLDS
        },
        abs_err_quantiles={
            f"p{q}": _finite_or_none(value)
            for q, value in zip(ERROR_QUANTILES, _percentiles_with_zeros(diff, cells))
        },
    )
    return figures


def _percentiles_with_zeros(nonzero: np.ndarray, cells: int) -> list[float]:
    """np.percentile (linear) at ERROR_QUANTILES of ``nonzero`` padded with zeros to ``cells``.

    Only the order statistics the percentiles need are selected (np.partition), so a large
    array that is mostly zeros costs as much as its non-zero part.
    """
    zeros = cells - nonzero.size
    positions = []
    for q in ERROR_QUANTILES:
        virtual = np.true_divide(q, 100) * (cells - 1)  # as np.percentile's "linear" method
        low = int(np.floor(virtual))
        positions.append((low, min(low + 1, cells - 1), float(virtual - low)))
    wanted = sorted({i - zeros for low, high, _ in positions for i in (low, high) if i >= zeros})
    ordered = np.partition(nonzero, wanted) if wanted else nonzero

    def stat(i: int) -> float:
        return 0.0 if i < zeros else float(ordered[i - zeros])

    values = []
    for low, high, gamma in positions:
        a, b = stat(low), stat(high)
        # numpy's _lerp: from the nearer end, so the result is exact at gamma 0 and 1
        values.append(b - (b - a) * (1 - gamma) if gamma >= 0.5 else a + (b - a) * gamma)
    return values


def allclose(
    atol: float,
    rtol: float,
    *,
    valid: Callable[[np.ndarray, Mapping[str, Any]], np.ndarray] | None = None,
    sentinel: float | None = None,
    slack: str | None = None,
) -> Comparison:
    """Allclose on the valid cells; every other cell must equal the golden bit for bit.

    A valid cell passes when ``actual == expected`` or ``|a - e| <= atol + rtol * |e| +
    slack[cell]``; NaN never passes. ``slack`` names a golden-only output (the case's
    ``reference_outputs``) of per-cell allowances the case derives and documents; a save made
    before it existed has none, and the allowance is then 0.

    ``valid(expected, inputs)`` gives a boolean mask (broadcastable to the output). With
    ``sentinel`` and no ``valid``, the valid cells are those where the golden is not the
    sentinel; outside the valid cells both the golden and the kernel must hold exactly the
    sentinel's bit pattern (in the output dtype). Without either, every cell is valid.
    """
    if atol < 0 or rtol < 0:
        raise ValueError(f"allclose: atol and rtol must be >= 0, got atol={atol}, rtol={rtol}")

    def compare(
        actual: np.ndarray, expected: np.ndarray, context: ComparisonContext
    ) -> CompareResult:
        sentinel_bits = None
        if sentinel is not None:
            sentinel_bits = _bits(np.array([sentinel]).astype(expected.dtype))[0]
        if valid is not None:
            mask = np.broadcast_to(
                np.asarray(valid(expected, context.inputs), dtype=bool), expected.shape
            )
        elif sentinel_bits is not None:
            mask = _bits(expected) != sentinel_bits
        else:
            mask = np.ones(expected.shape, dtype=bool)

        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        extra = _slack(context, slack, expected.shape)
        with np.errstate(invalid="ignore"):
            close = (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e) + extra)
        bad_valid = mask & ~close  # NaN compares false, so NaN cells land here
        outside = ~mask
        bad_outside = outside & (_bits(actual) != _bits(expected))
        golden_not_sentinel = np.zeros_like(outside)
        if sentinel_bits is not None:
            golden_not_sentinel = outside & (_bits(expected) != sentinel_bits)

        dist = error_distribution(actual, expected, mask)
        figures: dict[str, Any] = {
            "tolerance_used": _tolerance_used(a, e, mask, atol, rtol, extra),
            "max_abs_err": dist["max_abs_err"],
            "max_rel_err": dist["max_rel_err"],
            "mismatches": int(np.count_nonzero(bad_valid)),
            "nan_cells": int(np.count_nonzero(mask & (np.isnan(a) | np.isnan(e)))),
            "valid_cells": int(np.count_nonzero(mask)),
            "outside_mismatches": int(np.count_nonzero(bad_outside)),
            "atol": float(atol),
            "rtol": float(rtol),
            "error_distribution": dist,
        }
        if slack is not None:
            figures["slack"] = slack
            figures["max_slack"] = float(np.max(extra)) if np.ndim(extra) else float(extra)
        if sentinel_bits is not None:
            figures["golden_outside_not_sentinel"] = int(np.count_nonzero(golden_not_sentinel))
        passed = not (bad_valid.any() or bad_outside.any() or golden_not_sentinel.any())
        if passed:
            return CompareResult(True, figures, "allclose ok")
        parts = []
        if bad_valid.any():
            first = _positions(bad_valid)
            idx = tuple(first[0])
            parts.append(
                f"{figures['mismatches']} of {figures['valid_cells']} valid cells outside "
                f"atol={atol:g} + rtol={rtol:g}*|expected|{' + ' + slack if slack else ''} "
                f"(first at {list(idx)}: "
                f"actual {float(a[idx]):.9g}, expected {float(e[idx]):.9g}); positions {first}"
            )
            figures["mismatch_positions"] = first
        if bad_outside.any():
            first = _positions(bad_outside)
            parts.append(
                f"{figures['outside_mismatches']} cells outside the valid region differ "
                f"bitwise from the golden; positions {first}"
            )
            figures["outside_mismatch_positions"] = first
        if golden_not_sentinel.any():
            parts.append(
                f"golden holds a non-sentinel value in {int(golden_not_sentinel.sum())} cells "
                f"outside the valid region (sentinel {sentinel!r})"
            )
        return CompareResult(False, figures, "; ".join(parts))

    return shape_checked(compare)


def _slack(context: ComparisonContext, name: str | None, shape: tuple) -> np.ndarray | float:
    """The per-cell allowance named ``name`` from the golden-only outputs (0 without one)."""
    outputs = context.expected_outputs or {}
    if name is None or name not in outputs:
        return 0.0
    return np.broadcast_to(np.asarray(outputs[name], dtype=np.float64), shape)


def _tolerance_used(
    a: np.ndarray,
    e: np.ndarray,
    mask: np.ndarray,
    atol: float,
    rtol: float,
    extra: np.ndarray | float = 0.0,
) -> float | None:
    """The largest |a - e| / (atol + rtol * |e| + extra) over the valid, non-NaN, differing
    cells: 1.0 means the worst cell sits exactly on the tolerance (0.0 when every valid cell is
    equal; None when a cell differs where the tolerance is 0)."""
    with np.errstate(invalid="ignore"):
        differs = mask & (a != e) & ~np.isnan(a) & ~np.isnan(e)
    if not differs.any():
        return 0.0
    da, de = a[differs], e[differs]
    dx = extra[differs] if np.ndim(extra) else extra
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(da - de) / (atol + rtol * np.abs(de) + dx)
    return _finite_or_none(ratio.max())


def _bf16_ordered(x: np.ndarray) -> np.ndarray:
    """BF16 bit patterns mapped to integers that are monotonic in the value (+0 == -0)."""
    bits = np.ascontiguousarray(x).view(np.uint16).astype(np.int32)
    magnitude = bits & 0x7FFF
    return np.where(bits & 0x8000, -magnitude, magnitude)


def bf16_ulp_at(magnitude: np.ndarray) -> np.ndarray:
    """The BF16 unit in the last place at ``magnitude`` (8 significant bits), float64."""
    _, exponent = np.frexp(np.asarray(magnitude, dtype=np.float64))  # m * 2^e, m in [0.5, 1)
    return np.ldexp(1.0, exponent - 8)


def bf16_ulp(max_ulp: int = 1) -> Comparison:
    """BF16 outputs equal within ``max_ulp`` units in the last place.

    Distance is counted on the ordered BF16 encodings (so -0 and +0 are 0 apart and the step
    across zero counts). NaN on either side never passes; infinities must match exactly.
    """
    if int(max_ulp) != max_ulp or max_ulp < 0:
        raise ValueError(f"bf16_ulp: max_ulp must be an integer >= 0, got {max_ulp!r}")

    def compare(
        actual: np.ndarray, expected: np.ndarray, context: ComparisonContext
    ) -> CompareResult:
        if expected.dtype != _BF16:
            return CompareResult(False, {}, f"bf16_ulp needs bfloat16 arrays, got {expected.dtype}")
        # Only cells whose bits differ can be apart or NaN-mismatched (a NaN on both sides with
        # the same bits is still NaN): work on those, a small part of a cache or state.
        a_bits = np.ascontiguousarray(actual).view(np.uint16)
        e_bits = np.ascontiguousarray(expected).view(np.uint16)
        a_nan = (a_bits & 0x7FFF) > 0x7F80
        e_nan = (e_bits & 0x7FFF) > 0x7F80
        suspect = (a_bits != e_bits) | a_nan | e_nan
        a_s, e_s = actual[suspect], expected[suspect]
        a32, e32 = a_s.astype(np.float32), e_s.astype(np.float32)
        nan = np.isnan(a32) | np.isnan(e32)
        inf_mismatch = (np.isinf(a32) | np.isinf(e32)) & (a32 != e32)
        ulps = np.abs(_bf16_ordered(a_s) - _bf16_ordered(e_s))
        ulps = np.where(nan | inf_mismatch, np.iinfo(np.int32).max, ulps)
        finite_ulps = ulps[~(nan | inf_mismatch)]
        bad_count = int(np.count_nonzero(ulps > max_ulp))
        figures: dict[str, Any] = {
            "max_ulp_seen": int(finite_ulps.max()) if finite_ulps.size else 0,
            "max_ulp_allowed": int(max_ulp),
            "cells_differing": int(np.count_nonzero(ulps > 0)),
            "mismatches": bad_count,
            "nan_cells": int(np.count_nonzero(nan)),
            "cells": int(actual.size),
        }
        if not bad_count:
            return CompareResult(True, figures, f"within {max_ulp} BF16 ulp")
        bad = np.zeros(actual.shape, bool)
        bad[suspect] = ulps > max_ulp
        a32 = actual.astype(np.float32)
        e32 = expected.astype(np.float32)
        first = _positions(bad)
        figures["mismatch_positions"] = first
        idx = tuple(first[0])
        return CompareResult(
            False,
            figures,
            f"{figures['mismatches']} of {figures['cells']} cells differ by more than {max_ulp} "
            f"BF16 ulp or are NaN (first at {list(idx)}: actual {float(a32[idx]):.9g}, expected "
            f"{float(e32[idx]):.9g}); positions {first}",
        )

    return shape_checked(compare)


def exact() -> Comparison:
    """Bitwise equality of the whole output (same shape and dtype)."""

    def compare(
        actual: np.ndarray, expected: np.ndarray, context: ComparisonContext
    ) -> CompareResult:
        bad = _bits(actual) != _bits(expected)
        figures: dict[str, Any] = {
            "mismatches": int(np.count_nonzero(bad)),
            "cells": int(bad.size),
        }
        if not bad.any():
            return CompareResult(True, figures, "bitwise equal")
        first = _positions(bad)
        figures["mismatch_positions"] = first
        idx = tuple(first[0])
        return CompareResult(
            False,
            figures,
            f"{figures['mismatches']} of {bad.size} cells differ bitwise (first at {list(idx)}: "
            f"actual {actual[idx].item()!r}, expected {expected[idx].item()!r}); positions {first}",
        )

    return shape_checked(compare)


def _row_offsets(
    offset: int | str, inputs: Mapping[str, Any], rows_shape: tuple[int, ...]
) -> np.ndarray | str:
    """One offset per index row (flattened), or the reason the named input cannot give them."""
    if not isinstance(offset, str):
        return np.full(int(np.prod(rows_shape, dtype=np.int64)), int(offset), np.int64)
    if offset not in inputs:
        return f"no input named {offset!r} (the per-row offsets)"
    values = np.asarray(inputs[offset])
    if values.shape != tuple(rows_shape):
        return (
            f"input {offset!r} has shape {list(values.shape)}, the index rows' leading shape "
            f"is {list(rows_shape)}"
        )
    return values.astype(np.int64).reshape(-1)


def topk_tie_aware(
    score_output: str,
    *,
    offset: int | str,
    atol: float,
    rtol: float,
    pad: int = -1,
    slack: str | None = None,
) -> Comparison:
    """Top-k index rows [..., K] that may differ from the golden only by legal tie swaps.

    ``offset`` is one number for every row, or the name of the input holding one per row (the
    index rows' leading shape). Index value ``v`` names score column ``v - offset`` of the same
    leading index in
    ``expected_outputs[score_output]`` [..., N]. Per row: the padding positions (value ``pad``)
    must be the same on both sides; the non-pad indices of each side must be unique and in
    ``[offset, offset + N)``; and wherever the kernel's index differs from the golden's, the
    golden scores of the two candidates must agree within ``atol + rtol * |golden score|``
    (plus the larger of the two cells' ``slack`` allowance, as in :func:`allclose`).
    Checking rank by rank means the kernel's score sequence follows the golden's sorted one,
    so a set that drops a strictly better candidate fails.
    """

    def compare(
        actual: np.ndarray, expected: np.ndarray, context: ComparisonContext
    ) -> CompareResult:
        expected_outputs = context.expected_outputs
        if score_output not in expected_outputs:
            return CompareResult(
                False, {}, f"topk_tie_aware: no golden output named {score_output!r}"
            )
        scores = np.asarray(expected_outputs[score_output]).astype(np.float64)
        if scores.shape[:-1] != expected.shape[:-1]:
            return CompareResult(
                False,
                {},
                f"topk_tie_aware: leading shape of {score_output} {scores.shape[:-1]} differs "
                f"from the index rows' {expected.shape[:-1]}",
            )
        n_cols = scores.shape[-1]
        k = expected.shape[-1]
        act = actual.reshape(-1, k).astype(np.int64)
        exp = expected.reshape(-1, k).astype(np.int64)
        score_rows = scores.reshape(-1, n_cols)
        row_offsets = _row_offsets(offset, context.inputs, expected.shape[:-1])
        if isinstance(row_offsets, str):
            return CompareResult(False, {}, f"topk_tie_aware: {row_offsets}")
        slack_rows = _slack(context, slack, scores.shape)
        if np.ndim(slack_rows):
            slack_rows = np.asarray(slack_rows).reshape(-1, n_cols)

        counts = dict.fromkeys(
            (
                "pad_mismatches",
                "out_of_range",
                "duplicates",
                "golden_invalid",
                "tie_swaps",
                "bad_positions",
            ),
            0,
        )
        bad_rows: list[int] = []
        for r in range(act.shape[0]):
            a_row, e_row, offset_r = act[r], exp[r], int(row_offsets[r])
            row_bad = False
            pad_diff = (a_row == pad) != (e_row == pad)
            if pad_diff.any():
                counts["pad_mismatches"] += int(pad_diff.sum())
                row_bad = True
            for side, row in (("actual", a_row), ("golden", e_row)):
                vals = row[row != pad]
                in_range = (vals >= offset_r) & (vals < offset_r + n_cols)
                dup = vals.size - np.unique(vals).size
                if side == "actual":
                    counts["out_of_range"] += int(np.count_nonzero(~in_range))
                    counts["duplicates"] += int(dup)
                elif dup or not in_range.all():
                    counts["golden_invalid"] += 1
                if dup or not in_range.all():
                    row_bad = True
            both = (a_row != pad) & (e_row != pad) & (a_row != e_row)
            cols_a = a_row[both] - offset_r
            cols_e = e_row[both] - offset_r
            ok_cols = (cols_a >= 0) & (cols_a < n_cols) & (cols_e >= 0) & (cols_e < n_cols)
            sa = np.full(cols_a.shape, np.nan)
            se = np.full(cols_e.shape, np.nan)
            sa[ok_cols] = score_rows[r, cols_a[ok_cols]]
            se[ok_cols] = score_rows[r, cols_e[ok_cols]]
            allow = np.zeros(cols_a.shape)
            if np.ndim(slack_rows):
                allow[ok_cols] = np.maximum(
                    slack_rows[r, cols_a[ok_cols]], slack_rows[r, cols_e[ok_cols]]
                )
            with np.errstate(invalid="ignore"):
                tie = (sa == se) | (np.abs(sa - se) <= atol + rtol * np.abs(se) + allow)
            counts["tie_swaps"] += int(np.count_nonzero(tie))
            counts["bad_positions"] += int(np.count_nonzero(~tie))
            if not tie.all():
                row_bad = True
            if row_bad:
                bad_rows.append(r)

        figures: dict[str, Any] = {"rows": int(act.shape[0]), "k": int(k), **counts}
        figures["bad_rows"] = len(bad_rows)
        if not bad_rows:
            return CompareResult(True, figures, f"top-k ok ({counts['tie_swaps']} tie swaps)")
        lead_shape = expected.shape[:-1]
        shown = [[int(i) for i in np.unravel_index(r, lead_shape)] for r in bad_rows[:MAX_SHOWN]]
        figures["bad_row_positions"] = shown
        r0 = bad_rows[0]
        # Show the rows from their first difference on (their common prefix says nothing).
        differ = np.flatnonzero(act[r0] != exp[r0])
        start = int(differ[0]) if differ.size else 0
        window = slice(start, start + 8)
        return CompareResult(
            False,
            figures,
            f"{len(bad_rows)} of {act.shape[0]} top-k rows fail ({counts['bad_positions']} "
            f"non-tie swaps, {counts['pad_mismatches']} padding mismatches, "
            f"{counts['duplicates']} duplicates, {counts['out_of_range']} out of range, "
            f"{counts['golden_invalid']} invalid golden rows); first row {shown[0]}, from "
            f"slot {start} (the first that differs): actual {act[r0][window].tolist()}, "
            f"expected {exp[r0][window].tolist()}",
        )

    return shape_checked(compare)
