"""Views and shape metadata: subscript keys and their windows, tile subviews, pl.reshape,
pl.set_validshape, pl.tensor.dim. Nothing here moves data between GM and tiles."""

from __future__ import annotations

import math

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import STATE, dsl, fail, kernel_location
from plsim.memory import (
    GMTensor,
    Tile,
    valid_box,
)
from plsim.ops import view_rules
from plsim.ops.common import begin, is_tile_level, operand
from plsim.scalars import Scalar, is_number, to_int


def _index_value(k, what: str) -> int:
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k < 0:
        dsl(f"negative index {int(k)} in {what}: negative indices are not supported")
    return to_int(k, what)


def parse_key(key, shape, what: str):
    """(starts, extents, dropped axes) of a subscript on an array of ``shape``."""
    if not isinstance(key, tuple):
        key = (key,)
    if len(key) > len(shape):
        dsl(f"{len(key)} indices given to a rank-{len(shape)} {what}")
    starts, extents, drop = [], [], []
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            if k.step is not None:
                dsl(f"slice steps are not supported (axis {axis} of a {what})")
            a = 0 if k.start is None else _index_value(k.start, what)
            b = shape[axis] if k.stop is None else _index_value(k.stop, what)
            if b <= a:
                dsl(f"empty or reversed slice {a}:{b} on axis {axis} of a {what}")
            starts.append(a)
            extents.append(b - a)
        elif k is None or k is Ellipsis:
            dsl(f"None / ... in a subscript of a {what} is not supported")
        elif is_number(k):
            starts.append(_index_value(k, what))
            extents.append(1)
            drop.append(axis)
        else:
            dsl(f"unsupported index {k!r} on a {what}: only a:b slices and scalars")
    for axis in range(len(key), len(shape)):
        starts.append(0)
        extents.append(shape[axis])
    return starts, extents, tuple(drop)


def check_window(src_shape, starts, extents, what: str) -> None:
    for axis, (s, e, n) in enumerate(zip(starts, extents, src_shape)):
        if s < 0 or s + e > n:
            fail(
                errors.OutOfBoundsError,
                f"{what} [{s}:{s + e}] is outside dimension {axis} of size {n} "
                f"(shape {list(src_shape)})",
            )


def tile_view(
    t: Tile, starts, extents, drop=(), runtime: bool = False, valid_given: bool = False
) -> Tile:
    """Zero-copy subview of a tile; the valid region is the parent's, cut by the window.

    ``runtime``: some start is a runtime value (plsim.ops.view_rules.check_reshape_source).
    ``valid_given``: the caller states the view's valid shape (view_rules.check_subview).
    """
    check_window(t.shape, starts, extents, "tile subview")
    view_rules.check_subview(t, valid_given)
    operand_use(t)
    box = tuple(slice(s, s + e) for s, e in zip(starts, extents))
    data = t.data[box]
    valid = [max(0, min(v - s, e)) for v, s, e in zip(t.valid, starts, extents)]
    poison = t.poison[box] if t.poison is not None else None
    if drop:
        keep = [i for i in range(t.ndim) if i not in drop]
        data = data.reshape([extents[i] for i in keep])
        valid = [valid[i] for i in keep]
        if poison is not None:
            poison = poison.reshape(data.shape)
    view = Tile(data, t.dtype, tuple(valid), poison, base=t.base, poison_from=t.poison_from)
    view.runtime_offset = runtime or t.runtime_offset
    if t.runtime_valid is not None and not drop:
        view.runtime_valid = t.runtime_valid
    if not drop or t.ndim - 1 not in drop:
        view.phys_cols = t.phys_cols  # a window keeps its parent's row length
    return view


def operand_use(t: Tile) -> None:
    """Record a non-computing use (view creation) of a tile for liveness."""
    t.base.last_use = STATE.seq


def reshape(x, shape):
    """pl.reshape: a zero-copy C-order view (GM tensor or tile)."""
    shape = tuple(to_int(n, "reshape shape") for n in shape)
    if math.prod(shape) != math.prod(x.shape):
        dsl(f"pl.reshape of {list(x.shape)} to {list(shape)}: element counts differ")
    if isinstance(x, GMTensor):
        view = x.reshaped(shape)
        if view is None:
            dsl(f"pl.reshape of a non-contiguous {list(x.shape)} view to {list(shape)}")
        return view
    if isinstance(x, Tile):
        STATE.seq += 1
        view_rules.check_reshape_source(x)
        _check_runtime_rows_reshape(x, shape)
        operand_use(x)
        try:
            data = np.reshape(x.data, shape, copy=False)
        except ValueError:
            dsl(f"pl.reshape of a strided {list(x.shape)} tile subview to {list(shape)}")
        valid = _reshape_valid(x, shape)
        poison = x.poison.reshape(shape) if x.poison is not None else None
        view = Tile(data, x.dtype, valid, poison, base=x.base, poison_from=x.poison_from)
        if x.runtime_valid is not None and x.runtime_valid[0] and shape[-1] == x.shape[-1]:
            view.runtime_valid = (True,) + (False,) * (len(shape) - 1)
        return view
    dsl(f"pl.reshape of {type(x).__name__}")
    return None


def _check_runtime_rows_reshape(x: Tile, shape) -> None:
    """The compiler's rule for a tile whose valid rows are a runtime value: some axis of the
    new shape must be the old row length (fixture valid_shape_kernels.reshape_runtime_rows)."""
    if x.runtime_valid is None or not x.runtime_valid[0] or x.ndim != 2:
        return
    if x.shape[-1] not in shape:
        dsl(
            f"pl.reshape of a {list(x.shape)} tile whose valid rows are a runtime value to "
            f"{list(shape)}: the compiler rejects it (\"cannot reshape ... because its real "
            "data extends a runtime number of rows ... and no dimension ... has the matching row "
            f"size of {x.shape[-1]} elements\"); keep a {x.shape[-1]}-element axis, or reshape "
            "a tile whose valid rows are constant"
        )


def _reshape_valid(x: Tile, shape) -> tuple[int, ...]:
    if x.valid == x.shape:
        return tuple(shape)
    mask = np.zeros(x.shape, dtype=bool)
    mask[valid_box(x.valid)] = True
    new = mask.reshape(shape)
    if not new.any():
        return tuple(0 for _ in shape)
    nz = np.argwhere(new)
    hi = nz.max(axis=0) + 1
    box = tuple(slice(0, int(h)) for h in hi)
    if nz.min(axis=0).any() or not new[box].all() or new[box].size != mask.sum():
        dsl(
            f"pl.reshape to {list(shape)}: the valid region {list(x.valid)} of the "
            f"{list(x.shape)} tile is not an origin-anchored box in the new shape"
        )
    return tuple(int(h) for h in hi)


def with_valid(t: Tile, valid, runtime=None) -> Tile:
    """A view of ``t`` with a new valid region; cells newly exposed are undefined.
    ``runtime``: per axis, the new extent is a runtime value (view_rules.runtime_flags)."""
    valid = tuple(int(v) for v in valid)
    poison, origin = t.poison, t.poison_from
    grows = any(n > o for n, o in zip(valid, t.valid))
    if grows:
        outside = np.ones(t.shape, dtype=bool)
        outside[valid_box(t.valid)] = False
        if poison is None:
            poison, origin = outside, kernel_location()
        else:
            poison = poison | outside
    view = Tile(t.data, t.dtype, valid, poison, base=t.base, poison_from=origin)
    view.runtime_valid = runtime
    view.runtime_offset = t.runtime_offset
    view.phys_cols = t.phys_cols
    return view


def set_validshape(x, rows, cols):
    """pl.set_validshape(x, rows, cols): metadata only; 0 <= value <= shape."""
    begin("set_validshape")
    x = operand(x, "set_validshape") if not isinstance(x, Tile) else x
    operand_use(x)
    if x.ndim != 2:
        dsl(f"pl.set_validshape needs a 2-D tile, got {list(x.shape)}")
    if x.sliced:
        # Measured (tests/plsim_conformance/kernels/view_rule_kernels.py): pypto refuses it in
        # code generation, at the slice's extent as well as narrower; a reshape of a whole tile
        # takes it.
        dsl(
            "pl.set_validshape of a pl.slice result: pypto refuses it (\"pl.set_validshape "
            "cannot narrow a tile view (a slice or reshape result)\"); give the slice its valid "
            "extent, pl.slice(tile, shape, offset, valid_shape=[...]), or call pl.set_validshape "
            "on the source tile before slicing"
        )
    for name, value in (("rows", rows), ("cols", cols)):
        if isinstance(value, Scalar) and value.dtype not in (dt.INDEX, dt.INT64, dt.UINT64):
            dsl(
                f"pl.set_validshape {name} is a {value.dtype.name} scalar; the compiler takes "
                f'INDEX / INT64 / UINT64 extents only ("valid_rows must have dtype INT64, UINT64, '
                f'or INDEX"); write pl.cast(v, pl.INDEX)'
            )
    flags = view_rules.runtime_flags([rows, cols])
    r = to_int(rows, "set_validshape rows")
    c = to_int(cols, "set_validshape cols")
    if not (0 <= r <= x.shape[0] and 0 <= c <= x.shape[1]):
        fail(
            errors.OutOfBoundsError,
            f"pl.set_validshape({r}, {c}) outside the tile shape {list(x.shape)}",
        )
    return with_valid(x, (r, c), flags)


def transpose_view(x):
    """pl.tile.transpose_view(t): a zero-copy view of a tile with its two trailing axes swapped.

    pypto relabels the buffer's fractal layout (NZ <-> ZN) without moving data; the values are
    the transpose (a2a3sim: a Mat operand of pl.matmul, and a stored Vec tile, both equal to
    the NumPy transpose; fixtures tests/plsim_conformance/kernels/matmul_family_kernels.py).
    """
    STATE.seq += 1
    if not is_tile_level(x):
        dsl("pl.tile.transpose_view takes a tile (from pl.load / pl.create_tile / pl.move), got "
            f"{type(x).__name__}")  # fmt: skip
    if x.ndim < 2:
        dsl(f"pl.tile.transpose_view needs a tile of 2 or more axes, got {list(x.shape)}")
    operand_use(x)
    poison = None if x.poison is None else np.swapaxes(x.poison, -1, -2)
    valid = (*x.valid[:-2], x.valid[-1], x.valid[-2])
    return Tile(np.swapaxes(x.data, -1, -2), x.dtype, valid, poison, base=x.base,
                poison_from=x.poison_from)  # fmt: skip


def tensor_dim(t, axis):
    """pl.tensor.dim(t, axis): an INDEX scalar."""
    axis = to_int(axis, "pl.tensor.dim axis")
    return Scalar(t.shape[axis], dt.INDEX)
