"""pl.sort32, pl.mrgsort (both formats) and pl.gather (mask and index forms), docs/dsl.md §12."""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors, numerics, numerics_sort
from plsim.context import STATE, dsl, fail, warn
from plsim.memory import Tile, valid_box
from plsim.ops.common import (
    begin,
    check_poison,
    count_vector,
    is_tile_level,
    operand,
    result,
    union,
)
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
    data = numerics.sort32(v.data, i.data)
    if np.isnan(v.data).any():
        # pto-isa's CPU TSort32 sorts with std::stable_sort and a comparator that treats a NaN
        # as equal to everything, not a strict weak order: the order a2a3sim gives then is the
        # library's merge sort's, not one plsim can state (measured: special_value_kernels.
        # fp32_sorted_rows, 31 of 32 rows apart; without NaN every row is equal bit for bit).
        warn(
            "pl.sort32 of NaN values: plsim puts them last, a2a3sim's CPU TSort32 "
            "(std::stable_sort with a comparator NaN breaks) elsewhere, and the chip's order is "
            "not documented; replace NaN before sorting (for instance "
            "pl.maximum(pl.full(shape, value=<lowest>), x), which keeps the lowest for NaN)",
            stacklevel=2,
        )
    count_vector(data.shape)
    # An undefined value or index scrambles its whole 32-element block; cells outside a valid
    # region are sorted too (pypto sorts the whole tile: fixture audit s_sort32).
    poison = _group_poison(union(v.shape, _undefined(v), _undefined(i)), 32, 2)
    return result(data, dt.FP32, data.shape, "vector", poison, v, i)


def _group_poison(mask, group: int, widen: int):
    """Poison every output cell of a ``group``-column block holding an undefined input cell."""
    if mask is None:
        return None
    rows, cols = mask.shape
    blocks = mask.reshape(rows, cols // group, group).any(axis=-1, keepdims=True)
    return np.broadcast_to(blocks, (rows, cols // group, group * widen)).reshape(rows, -1).copy()


def _undefined(t):
    """Undefined cells of ``t`` over its whole shape: its poison and every cell outside its
    valid region. pypto accepts a partial tile for sort32 / mrgsort / the mask gather and works
    on the whole tile (their results are valid over the whole shape), so those cells enter."""
    if t.valid == t.shape:
        return t.poison
    outside = np.ones(t.shape, bool)
    outside[tuple(slice(0, v) for v in t.valid)] = False
    return outside if t.poison is None else (outside | t.poison)


def _check_merge_scratch(srcs, block_len, tmp) -> None:
    """pypto's dispatch of mrgsort's scratch tile: a tensor-level merge takes none (the compiler
    makes it); a tile-level two-to-four-list merge needs one ("mrgsort() format2 requires
    tmp"), and the one-list form (block_len=) takes none. Measured: fixtures
    sort_kernels.tile_merge_with_scratch (a2a3sim equal), tile_merge_without_scratch."""
    tile_level = bool(srcs) and is_tile_level(srcs[0])
    if tmp is not None and not tile_level:
        dsl("pl.mrgsort(tmp=...) is rejected at tensor level; the compiler makes the scratch")
    if tmp is not None and block_len is not None:
        dsl("pl.mrgsort(block_len=..., tmp=...): the compiler refuses it (\"format1 (block_len="
            "...) and format2 (src1, ..., tmp) are mutually exclusive\"); drop tmp")  # fmt: skip
    if tile_level and block_len is None and tmp is None:
        dsl("pl.mrgsort of tiles without tmp: the compiler refuses it (\"mrgsort() format2 "
            "requires tmp; use mrgsort(src0, src1[, src2[, src3]], tmp=<tile>)\")")  # fmt: skip
    if tmp is not None:
        if not isinstance(tmp, Tile):
            dsl(f"pl.mrgsort tmp must be a tile, got {type(tmp).__name__}")
        operand(tmp, "mrgsort")


def mrgsort(*srcs, block_len=None, exhausted=False, tmp=None):
    """pl.mrgsort(src, block_len=L) (format 1) or pl.mrgsort(s0, s1[, s2[, s3]]) (format 2)."""
    begin("mrgsort")
    _check_merge_scratch(srcs, block_len, tmp)
    if exhausted:
        dsl("pl.mrgsort(exhausted=True) is not supported by plsim")
    tiles = [operand(s, "mrgsort") for s in srcs]
    for t in tiles:
        if t.dtype is not dt.FP32:
            dsl(f"pl.mrgsort takes FP32 pair rows, got {t.dtype.name}")
        if t.ndim != 2 or t.shape[0] != 1:
            dsl(f"pl.mrgsort takes one-row [1, C] tiles, got {list(t.shape)}")
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
        poison = _group_poison(_undefined(tiles[0]), 4 * length, 1)
    else:
        if not 2 <= len(tiles) <= 4:
            dsl(f"pl.mrgsort format 2 merges 2 to 4 lists, got {len(tiles)}")
        data = numerics.mrgsort_lists(*[t.data for t in tiles])
        poison = None
        if any(_undefined(t) is not None for t in tiles):
            poison = np.ones(data.shape, bool)
    count_vector(data.shape)
    return result(data, dt.FP32, data.shape, "vector", poison, *tiles)


def _pattern_value(pattern) -> int:
    value = getattr(pattern, "value", pattern)
    if not is_number(value) or int(value) not in _MASK_KEEP:
        dsl(f"pl.gather mask_pattern must be P0101..P1111 (1..7), got {pattern!r}")
    return int(value)


def _check_unsplit_gather(index) -> None:
    """HardwareError for an index-form gather of several rows in a scope whose vector work is
    split over the two AIVs (pl.split(UP_DOWN/LEFT_RIGHT)): pypto halves the lane's tiles but
    lowers the gather as a row loop over the unsplit rows into a tile of the unsplit shape, and
    the build stops at the first op that meets it and a halved tile (measured 2026-12-06 on the
    decode indexer's RoPE and on fixture view_rule_kernels.gather_in_split_scope)."""
    scope = STATE.scopes[-1] if STATE.scopes else None
    if scope is not None and scope.vector_split and index.ndim == 2 and index.shape[0] > 1:
        fail(
            errors.HardwareError,
            f"pl.gather(index=) of {index.shape[0]} rows in scope '{scope.name}' with a vector "
            "split (pl.split(UP_DOWN/LEFT_RIGHT)): pypto keeps the gather's result at the "
            "unsplit shape while the lanes' other tiles are halved, and the build refuses "
            "the first op that meets both (ptoas: \"'pto.tcolexpandmul' op expects src0/dst "
            "to have same shape\"; pto-isa: no TADD for the two tile types); gather in a "
            "scope without the split (a vector stage of its own)",
        )


def tile_gather(src, indices, tmp) -> Tile:
    """pl.tile.gather(src, indices, tmp): dst[i, j] = src.flat[indices[i, j]], the index form on
    tiles. Unlike the tensor-level pl.gather(x, dim=-1, index=...), which gathers within each
    row, the tile form indexes the source's row-major storage as one flat array (a2a3sim, an
    [8, 64] FP32 source and indices in [0, 64): every row read row 0; fixture
    sort_kernels.flat_tile_gather). ``tmp`` is the scratch tile pypto requires."""
    begin("gather")
    a = operand(src, "gather")
    i = operand(indices, "gather")
    if a.base.level != "tile" or i.base.level != "tile":
        dsl("pl.tile.gather(src, indices, tmp) takes tiles; the tensor-level index form is "
            "pl.gather(x, dim=-1, index=...)")  # fmt: skip
    if not isinstance(tmp, Tile):
        dsl(f"pl.tile.gather needs a scratch tile as tmp, got {type(tmp).__name__}")
    operand(tmp, "gather")
    if a.dtype not in _GATHER_DTYPES or a.ndim != 2:
        dsl(f"pl.tile.gather supports 2-D FP16/FP32/INT16/INT32 sources, got {a.dtype.name} "
            f"{list(a.shape)}")  # fmt: skip
    if i.dtype is not dt.INT32 and not (i.dtype is dt.INT16 and a.dtype.bits == 16):
        dsl(f"pl.tile.gather indices must be INT32 (INT16 with a 16-bit source), got "
            f"{i.dtype.name}")  # fmt: skip
    box = i.data[valid_box(i.valid)]
    if i.poison is not None:
        box = box[~i.poison[valid_box(i.valid)]]
    if box.size and (box.min() < 0 or box.max() >= a.data.size):
        fail(errors.OutOfBoundsError,
             f"pl.tile.gather index values span [{int(box.min())}, {int(box.max())}] but the "
             f"{list(a.shape)} source holds {a.data.size} cells")  # fmt: skip
    safe = np.clip(i.data.astype(np.int64), 0, a.data.size - 1)
    data = a.data.reshape(-1)[safe]
    outside_source = np.ones(a.shape, bool)
    outside_source[valid_box(a.valid)] = False
    if a.poison is not None:
        outside_source |= a.poison
    poison = outside_source.reshape(-1)[safe]
    outside = np.ones(i.shape, bool)
    outside[valid_box(i.valid)] = False
    poison = union(data.shape, poison, i.poison, outside)
    count_vector(i.shape)
    return result(data, a.dtype, i.valid, "vector", poison, a, i)


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
        data = numerics.gather_mask(a.data, pattern, output_dtype)
        count_vector(data.shape)
        poison = None
        undefined = _undefined(a)
        if undefined is not None:
            step, first = numerics_sort.GATHER_PATTERNS[pattern]
            poison = np.ascontiguousarray(undefined[:, first::step])
        return result(data, out_dtype, data.shape, "vector", poison, a)
    if index is None:
        dsl("pl.gather needs mask_pattern= or index=")
    if dim is not None and to_int(dim, "dim") not in (-1, a.ndim - 1):
        dsl(f"pl.gather supports only the last axis (dim=-1), got dim={dim}")
    i = operand(index, "gather")
    _check_unsplit_gather(i)
    if i.dtype is not dt.INT32 and not (i.dtype is dt.INT16 and a.dtype.bits == 16):
        dsl(f"pl.gather index must be INT32 (INT16 with a 16-bit source), got {i.dtype.name}")
    if i.ndim != 2 or i.shape[0] > a.shape[0]:
        dsl(f"pl.gather index {list(i.shape)} does not fit the source {list(a.shape)}")
    box = i.data[: i.valid[0], : i.valid[1]]
    if i.poison is not None:  # undefined indices are not checked; their results are undefined
        box = box[~i.poison[: i.valid[0], : i.valid[1]]]
    if box.size and (box.min() < 0 or box.max() >= a.valid[1]):
        fail(
            errors.OutOfBoundsError,
            f"pl.gather index values span [{int(box.min())}, {int(box.max())}] but the source "
            f"has {a.valid[1]} valid columns",
        )
    safe = np.clip(i.data, 0, a.shape[1] - 1)
    data = numerics.gather_index(a.data[: i.shape[0]], safe)
    poison = None
    if a.poison is not None:
        poison = np.take_along_axis(a.poison[: i.shape[0]], safe.astype(np.int64), axis=-1)
    # The result is valid over the index's whole shape (pypto's alloc_tile: static full
    # valid_row/valid_col; fixture valid_shape_kernels.gather_partial_index): cells whose
    # index lies outside the index's valid region gather from undefined indices.
    outside = np.ones(i.shape, bool)
    outside[valid_box(i.valid)] = False
    outside[a.valid[0] :, :] = True  # rows the source's valid region does not cover
    poison = union(data.shape, poison, i.poison, outside)
    count_vector(i.shape)
    out = result(data, a.dtype, i.shape, "vector", poison, a, i)
    out.runtime_valid = None  # typed with a static full valid region
    return out


def tile_scatter(dst, src, indexes) -> Tile:
    """pl.tile.scatter(dst, src, indexes): dst.flat[indexes[i, j]] = src[i, j], in place (the
    result aliases dst). The flat form on tiles, as a2a3sim computes it: an [8, 64] FP32 dst
    addressed over all 512 cells, a cell written twice keeping the later source cell in row-major
    order (fixture sort_kernels.flat_tile_scatter). The tensor-level pl.scatter(input, dim=-1,
    index=, src=) scatters within each row."""
    begin("scatter")
    d = operand(dst, "scatter")
    v = operand(src, "scatter")
    i = operand(indexes, "scatter")
    if any(t.base.level != "tile" for t in (d, v, i)):
        dsl("pl.tile.scatter(dst, src, indexes) takes tiles; the tensor-level index form is "
            "pl.scatter(input, dim=-1, index=..., src=...)")  # fmt: skip
    if v.dtype is not d.dtype:
        dsl(f"pl.tile.scatter of a {v.dtype.name} source into a {d.dtype.name} dst")
    if i.dtype not in (dt.INT32, dt.INT16) or i.shape != v.shape or i.valid != v.valid:
        dsl(f"pl.tile.scatter indexes {i.dtype.name} {list(i.shape)} (valid {list(i.valid)}): "
            f"INT32 / INT16 of the source's shape and valid region {list(v.valid)}")  # fmt: skip
    check_poison(i, "scatter")
    box = valid_box(v.valid)
    positions = i.data[box].reshape(-1).astype(np.int64)
    if positions.size and (positions.min() < 0 or positions.max() >= d.data.size):
        fail(errors.OutOfBoundsError,
             f"pl.tile.scatter indexes span [{int(positions.min())}, {int(positions.max())}] "
             f"but the {list(d.shape)} dst holds {d.data.size} cells")  # fmt: skip
    d.data.flat[positions] = v.data[box].reshape(-1)  # NumPy: the last of repeated positions
    poison = d.poison
    if v.poison is not None or poison is not None:
        poison = np.zeros(d.shape, bool) if poison is None else np.array(poison, copy=True)
        written = np.zeros(v.data[box].size, bool) if v.poison is None else v.poison[box]
        poison.flat[positions] = written.reshape(-1)
    count_vector(v.valid)
    return Tile(d.data, d.dtype, d.valid, union(d.shape, poison), base=d.base,
                poison_from=d.poison_from or v.poison_from)  # fmt: skip


def scatter(x, dim=None, index=None, src=None, *, mask_pattern=None, dst=None):
    """pl.scatter index form ``scatter(input, dim=-1, index=I, src=S)``: a copy of input with
    ``out[r, I[r, k]] = S[r, k]`` (ascending k, the last write wins). The mask form
    ``scatter(src, mask_pattern=P, dst=buf)`` is checked, then refused: this chain's ptoas
    does not parse it (HardwareError)."""
    begin("scatter")
    if mask_pattern is not None:
        if dst is None or index is not None:
            dsl("pl.scatter mask form is scatter(src, mask_pattern=..., dst=...)")
        s = operand(x, "scatter")
        d = operand(dst, "scatter")
        if s.dtype is not d.dtype:
            dsl(f"pl.scatter of a {s.dtype.name} source into a {d.dtype.name} dst")
        if s.dtype not in (*_GATHER_DTYPES, dt.BF16) or s.ndim != 2 or d.ndim != 2:
            dsl(f"pl.scatter takes 2-D FP16/BF16/FP32/INT16/INT32 tiles, got {s.dtype.name}")
        step, _ = numerics_sort.GATHER_PATTERNS[_pattern_value(mask_pattern)]
        if d.shape[0] != s.shape[0] or d.shape[1] != s.shape[1] * step:
            dsl(
                f"pl.scatter pattern keeps every {step}th column: dst {list(d.shape)} must be "
                f"[{s.shape[0]}, {s.shape[1] * step}] for src {list(s.shape)}"
            )
        fail(
            errors.HardwareError,
            "pl.scatter(src, mask_pattern=..., dst=...): pypto emits the pto.tscatter mask form, "
            "which this chain's ptoas does not parse (\"expected ')'\", measured: fixture "
            "op_kernels.tensor_mask_scatter); write the columns with a strided pl.assemble",
        )
    if index is None or src is None:
        dsl("pl.scatter needs mask_pattern= and dst=, or index= and src=")
    if dim is not None and to_int(dim, "dim") not in (-1, 1):
        dsl(f"pl.scatter supports only the last axis (dim=-1), got dim={dim}")
    a = operand(x, "scatter")
    i = operand(index, "scatter")
    s = operand(src, "scatter")
    if a.dtype is not s.dtype or a.ndim != 2 or i.shape != s.shape or i.dtype is not dt.INT32:
        dsl("pl.scatter index form: input and src of one dtype, 2-D, INT32 index shaped like src")
    if i.shape[0] > a.shape[0] or i.shape[1] > a.shape[1]:
        dsl(f"pl.scatter src {list(s.shape)} is larger than the input {list(a.shape)}")
    if i.data.size and (i.data.min() < 0 or i.data.max() >= a.shape[1]):
        fail(errors.OutOfBoundsError, "pl.scatter index values outside the input's columns")
    data = np.array(a.data, copy=True)
    poison = None if a.poison is None else np.array(a.poison)
    for k in range(i.shape[1]):  # ascending k: the last write to a column wins
        rows = np.arange(i.shape[0])
        data[rows, i.data[:, k]] = s.data[:, k]
        if poison is not None:
            poison[rows, i.data[:, k]] = False if s.poison is None else s.poison[:, k]
    count_vector(s.shape)
    return result(data, a.dtype, a.valid, "vector", poison, a, s)
