"""``sort32`` / ``mrgsort`` / ``gather`` on interleaved (value, index-bits) pair rows (§12).

A sorted row of n elements is 2n FP32 slots ``[v0, b0, v1, b1, ...]`` where ``bk`` is the raw
UINT32 bit pattern of the index. Pairs are moved as 64-bit units (never through float
arithmetic), so index bits that look like denormals or NaNs survive unchanged.

Ordering: descending by value; -0.0 and +0.0 compare equal; NaN values sort after every
number (the sources do not define NaN ordering; a2a3sim's std::stable_sort with a comparator
NaN breaks gives another order, so ops/sort_gather.py warns on a NaN). Ties: ``sort32``
smaller index first; ``mrgsort`` earlier run / earlier list first. Merges reproduce a real
merge even on unsorted runs: an element cannot leave its run before its predecessors, so its
merge key is the running minimum of its run (for sorted runs that is the value itself).
"""

from __future__ import annotations

import numpy as np

from plsim.dtypes import DType
from plsim.numerics_arith import quiet

GATHER_PATTERNS = {1: (2, 0), 2: (2, 1), 3: (4, 0), 4: (4, 1), 5: (4, 2), 6: (4, 3), 7: (1, 0)}
_GATHER_DTYPES = (np.float16, np.float32, np.int16, np.int32, np.uint16, np.uint32)


def _pairs(row: np.ndarray) -> np.ndarray:
    """View an FP32 pair row [..., 2n] as n 64-bit units [..., n] (value and index together)."""
    return np.ascontiguousarray(row).view(np.uint64)


def _values(row: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(row)[..., 0::2]


def _merge_order(values: np.ndarray, run_len: int) -> np.ndarray:
    """Permutation merging consecutive descending runs of ``run_len`` in each last-axis group.

    ``values`` [G, P]: each group's P elements are runs of ``run_len`` in run order.
    """
    groups, count = values.shape
    runs = values.reshape(groups, count // run_len, run_len)
    with quiet(invalid="ignore"):
        keys = np.minimum.accumulate(runs, axis=-1).reshape(groups, count)
    position = np.broadcast_to(np.arange(count), (groups, count))
    # lexsort: last key is primary. -key puts larger first; NaN (-NaN) sorts last.
    return np.lexsort((position, -keys), axis=-1)


def _check_pair_row(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise ValueError(f"{what}: pair rows must be FP32 (float32), got {x.dtype}")
    if x.ndim < 1 or int(np.prod(x.shape[:-1])) != 1:
        raise ValueError(f"{what}: expects one row [1, C] of pairs, got shape {x.shape}")
    if x.shape[-1] % 2 != 0 or x.shape[-1] == 0:
        raise ValueError(f"{what}: the column count {x.shape[-1]} must be a positive even number")
    return x


def sort32(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sort each 32-element block of each row descending (ties: smaller index first).

    ``values`` FP32 [..., N], ``idx`` UINT32 [..., N] -> FP32 [..., 2N] pairs.
    """
    values, idx = np.asarray(values), np.asarray(idx)
    if values.dtype != np.float32:
        raise ValueError(f"sort32: src must be FP32 (float32), got {values.dtype}")
    if idx.dtype != np.uint32:
        raise ValueError(f"sort32: idx must be UINT32 (uint32), got {idx.dtype}")
    if values.shape != idx.shape:
        raise ValueError(f"sort32: src shape {values.shape} != idx shape {idx.shape}")
    if values.ndim < 1 or values.shape[-1] == 0 or values.shape[-1] % 32 != 0:
        raise ValueError(
            f"sort32: last dim must be a positive multiple of 32, got shape {values.shape}"
        )
    lead, n = values.shape[:-1], values.shape[-1]
    v = values.reshape(-1, n // 32, 32)
    i = idx.reshape(-1, n // 32, 32)
    order = np.lexsort((i, -v), axis=-1)  # value descending, then index ascending
    out = np.empty((v.shape[0], n // 32, 32, 2), np.uint32)
    out[..., 0] = np.take_along_axis(v.view(np.uint32), order, axis=-1)
    out[..., 1] = np.take_along_axis(i, order, axis=-1)
    return out.reshape(*lead, 2 * n).view(np.float32)


def mrgsort_runs(src: np.ndarray, block_len: int) -> np.ndarray:
    """Format 1: merge each group of 4 consecutive runs of ``block_len`` columns."""
    src = _check_pair_row(src, "mrgsort")
    if isinstance(block_len, bool) or not isinstance(block_len, (int, np.integer)):
        raise ValueError(f"mrgsort: block_len must be an integer, got {block_len!r}")
    block_len = int(block_len)
    if block_len <= 0 or block_len % 64 != 0:
        raise ValueError(f"mrgsort: block_len={block_len} must be a positive multiple of 64")
    cols = src.shape[-1]
    if cols % (4 * block_len) != 0:
        raise ValueError(
            f"mrgsort: the row has {cols} columns, not a multiple of 4*block_len={4 * block_len} "
            "(each merge takes 4 runs)"
        )
    run_pairs = block_len // 2
    pairs = _pairs(src).reshape(-1, 4 * run_pairs)
    order = _merge_order(_values(src).reshape(-1, 4 * run_pairs), run_pairs)
    merged = np.take_along_axis(pairs, order, axis=-1)
    return merged.reshape((*src.shape[:-1], cols // 2)).view(np.float32).copy()


def mrgsort_lists(*lists: np.ndarray) -> np.ndarray:
    """Format 2: merge 2-4 sorted pair rows [1, Ci] into [1, sum Ci]; ties: earlier list."""
    if not 2 <= len(lists) <= 4:
        raise ValueError(f"mrgsort: format 2 merges 2 to 4 lists, got {len(lists)}")
    checked = [_check_pair_row(x, f"mrgsort list {k}") for k, x in enumerate(lists)]
    ranks = {x.ndim for x in checked}
    if len(ranks) != 1:
        raise ValueError(f"mrgsort: lists differ in rank: {[x.shape for x in checked]}")
    values = np.concatenate([_values(x).reshape(-1) for x in checked])
    with quiet(invalid="ignore"):
        keys = np.concatenate([np.minimum.accumulate(_values(x).reshape(-1)) for x in checked])
    pairs = np.concatenate([_pairs(x).reshape(-1) for x in checked])
    order = np.lexsort((np.arange(values.size), -keys))
    lead = checked[0].shape[:-1]
    return pairs[order].reshape(*lead, values.size).view(np.float32).copy()


def gather_mask(x: np.ndarray, pattern: int, output: DType | None) -> np.ndarray:
    """Keep the column pattern ``pattern`` of every row; reinterpret bits as ``output``."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"gather: mask form needs a 2-D input, got shape {x.shape}")
    if x.dtype.type not in _GATHER_DTYPES:
        raise ValueError(f"gather: mask form supports FP16/FP32/INT16/INT32 inputs, got {x.dtype}")
    if isinstance(pattern, bool) or int(pattern) not in GATHER_PATTERNS:
        raise ValueError(f"gather: mask_pattern={pattern!r} must be 1..7 (P0101 .. P1111)")
    step, first = GATHER_PATTERNS[int(pattern)]
    if x.shape[1] % step != 0:
        raise ValueError(
            f"gather: mask_pattern={int(pattern)} keeps every {step}th column; the column "
            f"count {x.shape[1]} must be a multiple of {step}"
        )
    out = np.ascontiguousarray(x[:, first::step])
    if output is None:
        return out
    if output.bits != x.dtype.itemsize * 8:
        raise ValueError(
            f"gather: output_dtype={output!r} must have the input's bit width "
            f"({x.dtype.itemsize * 8}); it reinterprets bits"
        )
    return out.view(output.numpy)


def gather_index(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``out[r, k] = x[r, index[r, k]]`` (per-row column gather over the last axis)."""
    x, index = np.asarray(x), np.asarray(index)
    if not np.issubdtype(index.dtype, np.integer):
        raise ValueError(f"gather: index must be an integer array, got {index.dtype}")
    if x.ndim < 2 or index.ndim != x.ndim:
        raise ValueError(
            f"gather: index form needs x and index of the same rank >= 2, got {x.shape} "
            f"and {index.shape}"
        )
    if any(i > s for i, s in zip(index.shape[:-1], x.shape[:-1])):
        raise ValueError(f"gather: index leading dims {index.shape[:-1]} exceed x's {x.shape[:-1]}")
    wide = index.astype(np.int64)
    bad = (wide < 0) | (wide >= x.shape[-1])
    if bad.any():
        where = tuple(int(w[0]) for w in np.nonzero(bad))
        raise ValueError(
            f"gather: index value {int(wide[where])} at {where} is outside [0, {x.shape[-1]})"
        )
    rows = x[tuple(slice(0, i) for i in index.shape[:-1])]
    return np.ascontiguousarray(np.take_along_axis(rows, wide, axis=-1))
