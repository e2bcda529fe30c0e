"""pl.sort32, pl.mrgsort (both formats) and pl.gather (mask and index forms), PL_SEMANTICS §12."""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors, numerics
from plsim.context import dsl, fail
from plsim.ops.common import begin, count_vector, operand, result
from plsim.scalars import is_number, to_int

_MASK_KEEP = {1: 2, 2: 2, 3: 4, 4: 4, 5: 4, 6: 4, 7: 1}  # pattern -> column divisor
_GATHER_DTYPES = (dt.FP16, dt.FP32, dt.INT16, dt.INT32)


def sort32(src, idx):
    """pl.sort32(src FP32 [R, N], idx UINT32 [R, N]) -> FP32 [R, 2N] (value, index) pairs."""
    begin("sort32")
    v = operand(src, "sort32")
    i = operand(idx, "sort32")
    if v.dtype is not dt.FP32:
        dsl(f"pl.sort32 supports FP32 values in plsim, got {v.dtype.name}")
    if i.dtype is not dt.UINT32:
        dsl(f"pl.sort32 idx must be UINT32, got {i.dtype.name}")
    if v.ndim != 2 or v.shape != i.shape:
        dsl(f"pl.sort32 src {list(v.shape)} and idx {list(i.shape)} must be equal 2-D shapes")
    if v.shape[1] % 32:
        dsl(f"pl.sort32 last dim {v.shape[1]} is not a multiple of 32")
    _require_full(v, "sort32")
    _require_full(i, "sort32")
    data = numerics.sort32(v.data, i.data)
    count_vector(data.shape)
    return result(data, dt.FP32, data.shape)


def _require_full(t, op: str) -> None:
    if t.valid != t.shape:
        dsl(
            f"pl.{op} works on the whole tile but its valid region is {list(t.valid)} of "
            f"{list(t.shape)}; pl.fillpad it first"
        )


def mrgsort(*srcs, block_len=None, exhausted=False, tmp=None):
    """pl.mrgsort(src, block_len=L) (format 1) or pl.mrgsort(s0, s1[, s2[, s3]]) (format 2)."""
    begin("mrgsort")
    if tmp is not None:
        dsl("pl.mrgsort(tmp=...) is rejected at tensor level; the compiler makes the scratch")
    if exhausted:
        dsl("pl.mrgsort(exhausted=True) is not supported by plsim")
    tiles = [operand(s, "mrgsort") for s in srcs]
    for t in tiles:
        if t.dtype is not dt.FP32:
            dsl(f"pl.mrgsort takes FP32 pair rows, got {t.dtype.name}")
        if t.ndim != 2 or t.shape[0] != 1:
            dsl(f"pl.mrgsort takes one-row [1, C] tiles, got {list(t.shape)}")
        _require_full(t, "mrgsort")
    if block_len is not None:
        if len(tiles) != 1:
            dsl("pl.mrgsort format 1 (block_len=) takes exactly one source")
        length = to_int(block_len, "block_len")
        cols = tiles[0].shape[1]
        if length <= 0 or length % 64:
            dsl(f"pl.mrgsort block_len {length} must be a positive multiple of 64")
        if cols % (4 * length):
            dsl(f"pl.mrgsort: {cols} columns are not a multiple of 4 * block_len = {4 * length}")
        if cols // (4 * length) > 255:
            dsl(f"pl.mrgsort: {cols // (4 * length)} merge groups exceed 255")
        data = numerics.mrgsort_runs(tiles[0].data, length)
    else:
        if not 2 <= len(tiles) <= 4:
            dsl(f"pl.mrgsort format 2 merges 2 to 4 lists, got {len(tiles)}")
        data = numerics.mrgsort_lists(*[t.data for t in tiles])
    count_vector(data.shape)
    return result(data, dt.FP32, data.shape)


def _pattern_value(pattern) -> int:
    value = getattr(pattern, "value", pattern)
    if not is_number(value) or int(value) not in _MASK_KEEP:
        dsl(f"pl.gather mask_pattern must be P0101..P1111 (1..7), got {pattern!r}")
    return int(value)


def gather(x, dim=None, index=None, *, mask_pattern=None, output_dtype=None, **compare):
    """pl.gather: mask form (mask_pattern=, output_dtype=) or index form (dim=-1, index=)."""
    begin("gather")
    if compare:
        dsl(f"pl.gather compare form ({sorted(compare)}) is not supported by plsim")
    a = operand(x, "gather")
    if a.dtype not in _GATHER_DTYPES:
        dsl(f"pl.gather supports FP16/FP32/INT16/INT32 sources, got {a.dtype.name}")
    if a.ndim != 2:
        dsl(f"pl.gather takes a 2-D source, got {list(a.shape)}")
    if mask_pattern is not None:
        if index is not None:
            dsl("pl.gather takes either mask_pattern= or index=, not both")
        pattern = _pattern_value(mask_pattern)
        divisor = _MASK_KEEP[pattern]
        if a.shape[1] % divisor:
            dsl(f"pl.gather pattern {pattern}: {a.shape[1]} columns not divisible by {divisor}")
        out_dtype = a.dtype
        if output_dtype is not None:
            if output_dtype.bits != a.dtype.bits:
                dsl(f"pl.gather output_dtype {output_dtype.name} must be {a.dtype.bits}-bit")
            out_dtype = output_dtype
        _require_full(a, "gather")
        data = numerics.gather_mask(a.data, pattern, output_dtype)
        count_vector(data.shape)
        return result(data, out_dtype, data.shape)
    if index is None:
        dsl("pl.gather needs mask_pattern= or index=")
    if dim is not None and to_int(dim, "dim") not in (-1, a.ndim - 1):
        dsl(f"pl.gather supports only the last axis (dim=-1), got dim={dim}")
    i = operand(index, "gather")
    if i.dtype is not dt.INT32 and not (i.dtype is dt.INT16 and a.dtype.bits == 16):
        dsl(f"pl.gather index must be INT32 (INT16 with a 16-bit source), got {i.dtype.name}")
    if i.ndim != 2 or i.shape[0] > a.shape[0]:
        dsl(f"pl.gather index {list(i.shape)} does not fit the source {list(a.shape)}")
    box = i.data[: i.valid[0], : i.valid[1]]
    if box.size and (box.min() < 0 or box.max() >= a.valid[1]):
        fail(
            errors.OutOfBoundsError,
            f"pl.gather index values span [{int(box.min())}, {int(box.max())}] but the source "
            f"has {a.valid[1]} valid columns",
        )
    safe = np.clip(i.data, 0, a.shape[1] - 1)
    data = numerics.gather_index(a.data[: i.shape[0]], safe)
    count_vector(i.valid)
    return result(data, a.dtype, i.valid)
