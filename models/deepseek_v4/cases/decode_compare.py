"""Comparisons of the serving-contract outputs: the paged cache pools and the visibility mask.

Rows the step writes (named by ``slot_mapping``) are compared with a tolerance; every other
pool row must be bit-exact, so a write to a wrong block, slot or padded request fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from golden import compare
from golden.case import CompareResult, Comparison
from models.deepseek_v4.contract.decode import visible_rows

#: c8 rows: the kernel's BF16 row may differ from the golden's by 1 ULP at the row's scale
#: (compressor_case.cache_comparison says why); its INT8 codes then differ by at most 1 and the
#: per-row scale (amax / 127 of a BF16 amax) by at most one BF16 ULP of amax: with 7 stored
#: mantissa bits that is 2^-8 relative for a mantissa near 2 and up to 2^-7 for one near 1.
C8_CODE_MAX_DIFF = 1
C8_SCALE_RTOL = 2.0**-7


def written_slots(inputs: Mapping[str, Any]) -> np.ndarray:
    """Flat pool rows the step writes (slot_mapping entries >= 0), sorted."""
    slots = np.asarray(inputs["slot_mapping"]).reshape(-1)
    return np.unique(slots[slots >= 0]).astype(np.int64)


def score_visible(expected: np.ndarray, inputs: Mapping[str, Any]) -> np.ndarray:
    """[B, S, W] mask of the cells each token may see, from position_ids (not the golden)."""
    visible = visible_rows(inputs["position_ids"])
    return np.arange(expected.shape[2])[None, None, :] < visible[:, :, None]


def pool_comparison(max_ulp: int, c8_codes: bool = False) -> Comparison:
    """A [blocks, block_size, (128)] pool: written rows within tolerance, the rest bit-exact.

    BF16 pools: within ``max_ulp`` BF16 ULP at the row's largest |expected|. INT8 pools
    (``c8_codes``): codes within C8_CODE_MAX_DIFF. FP32 scale pools ([blocks, block_size]):
    relative C8_SCALE_RTOL.
    """

    def compare_pool(
        actual: np.ndarray, expected: np.ndarray, context: compare.ComparisonContext
    ) -> CompareResult:
        rows = written_slots(context.inputs)
        width = expected.shape[2] if expected.ndim == 3 else 1
        got = actual.reshape(-1, width)
        want = expected.reshape(-1, width)
        mask = np.zeros(got.shape[0], dtype=bool)
        mask[rows] = True
        g, w = got[mask].astype(np.float64), want[mask].astype(np.float64)
        if expected.dtype == np.int8 and c8_codes:
            err = np.abs(g - w)
            bad = err > C8_CODE_MAX_DIFF
            seen = float(err.max()) if err.size else 0.0
            label = "INT8 code difference"
        elif expected.dtype == np.float32:
            err = np.abs(g - w) / np.maximum(np.abs(w), np.finfo(np.float32).tiny)
            bad = ~(err <= C8_SCALE_RTOL)
            seen = float(np.nanmax(err)) if err.size else 0.0
            label = "relative scale error"
        else:
            ulp = compare.bf16_ulp_at(np.abs(w).max(axis=-1, keepdims=True))
            with np.errstate(invalid="ignore"):
                err = np.abs(g - w) / ulp
            bad = ~(err <= max_ulp)
            seen = float(np.nanmax(err)) if err.size else 0.0
            label = "BF16 ULP at the row's scale"
        same = np.array_equal(compare._bits(got[~mask]), compare._bits(want[~mask]))
        figures = {
            "written_slots": rows.tolist()[:16],
            "written_count": int(rows.size),
            "max_error_seen": seen,
            "error_measure": label,
            "mismatches": int(np.count_nonzero(bad)),
            "unwritten_rows_exact": bool(same),
        }
        messages = []
        if bad.any():
            r, c = (int(i) for i in np.argwhere(bad)[0])
            messages.append(
                f"{int(np.count_nonzero(bad))} cells of written rows exceed the tolerance "
                f"({label}); first at pool row {int(rows[r])}, column {c}: actual {g[r, c]:.9g}, "
                f"expected {w[r, c]:.9g}"
            )
        if not same:
            diff = np.nonzero((got[~mask] != want[~mask]).any(axis=-1))[0]
            pool_row = int(np.nonzero(~mask)[0][diff[0]])
            messages.append(
                f"{diff.size} pool rows this step must not write differ (first: pool row "
                f"{pool_row})"
            )
        passed = not bad.any() and same
        return CompareResult(passed, figures, "; ".join(messages) or "pool rows ok")

    return compare.shape_checked(compare_pool)


def finite_cells(expected: np.ndarray, inputs: Mapping[str, Any]) -> np.ndarray:
    """Valid mask of the state pools: empty state rows hold -inf scores, which must then match
    exactly (they are outside the allclose set and compared as-is)."""
    return np.isfinite(expected)


def pool_comparisons(
    cache_format: str, *, state_atol: float, state_rtol: float, cache_max_ulp: int
) -> dict[str, Comparison]:
    """The comparisons of the pools every serving case writes: both state pools close (finite
    cells; -inf cells exact), the cache pool's written rows within ``cache_max_ulp`` BF16 ULP
    (c16) or one code (c8) and every other row bit-exact, and in c8 the scale pool likewise."""
    state = compare.allclose(state_atol, state_rtol, valid=finite_cells)
    out: dict[str, Comparison] = {
        "kv_state": state,
        "score_state": state,
        "index_cache": pool_comparison(cache_max_ulp, c8_codes=cache_format == "c8"),
    }
    if cache_format == "c8":
        out["index_cache_scale"] = pool_comparison(cache_max_ulp)
    return out
