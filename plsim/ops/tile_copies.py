"""On-chip copies that rearrange or pad a tile: pl.fillpad(_inplace), pl.move, pl.concat,
pl.transpose."""

from __future__ import annotations

import math

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import STATE, dsl, fail
from plsim.memory import (
    Tile,
    poison_value,
    valid_box,
)
from plsim.ops.common import (
    begin,
    count_vector,
    dtype_arg,
    is_tile_level,
    operand,
    result,
)
from plsim.scalars import is_number, to_int


def _pad_kind(pad_value, op: str) -> str:
    """'zero' / 'min' / 'max' for a pad_value argument of pl.fillpad / pl.fillpad_inplace."""
    from plsim.language_types import PadValue

    pad = PadValue.zero if pad_value is None else pad_value
    if isinstance(pad, PadValue):
        return pad.name
    if is_number(pad) and float(pad) == 0.0:
        return "zero"
    if is_number(pad) and float(pad) == -math.inf:
        return "min"
    if is_number(pad) and float(pad) == math.inf:
        return "max"
    dsl(f"pl.{op} pad_value must be PadValue.zero/min/max, 0, -inf or inf; got {pad!r}")


def fillpad_inplace(x, pad_value=None):
    """pl.fillpad_inplace / pl.tile.fillpad_inplace(tile, pad_value=PadValue.zero): pl.fillpad
    that writes the pad into the input tile's own buffer (TFILLPAD_INPLACE); the fully valid
    result shares that buffer. Only a tile can be padded in place (no GM tensor)."""
    begin("fillpad_inplace")
    if not isinstance(x, Tile):
        dsl(
            f"pl.fillpad_inplace pads an on-chip tile in place; got {type(x).__name__} (use "
            "pl.fillpad, which copies, or load the tensor first)"
        )
    kind = _pad_kind(pad_value, "fillpad_inplace")
    x = operand(x, "fillpad_inplace")
    outside = np.ones(x.shape, dtype=bool)
    outside[valid_box(x.valid)] = False
    x.data[outside] = _pad_constant(kind, x.dtype)  # x.data is a view of the shared buffer
    poison = None
    if x.poison is not None:  # undefined cells inside the valid region stay undefined
        poison = np.array(x.poison, copy=True)
        poison[outside] = False
        if not poison.any():
            poison = None
    count_vector(x.shape)
    return Tile(x.data, x.dtype, x.shape, poison, base=x.base, poison_from=x.poison_from)


#: Memory spaces pl.move / pl.tile.move may target (pypto tile.move: Vec/Mat/Left/Right).
_MOVE_TARGETS = ("Vec", "Mat", "Left", "Right")


def move(tile, target_memory, blayout=None, slayout=None):
    """pl.move / pl.tile.move(tile, target_memory, blayout=None, slayout=None): copy a tile to
    another on-chip memory space. Values, shape and valid region are preserved; the layouts
    only change the physical arrangement, which a functional simulator does not model."""
    del blayout, slayout
    begin("move")
    if not isinstance(tile, Tile):
        dsl(f"pl.move moves an on-chip tile between memory spaces; got {type(tile).__name__}")
    space = getattr(target_memory, "name", None)
    if space not in _MOVE_TARGETS:
        dsl(
            f"pl.move target_memory={target_memory!r}; allowed: pl.MemorySpace.Vec, .Mat, "
            ".Left, .Right"
        )
    to_cube = space != "Vec"
    tile = operand(tile, "move", cube=to_cube)
    poison = None if tile.poison is None else np.array(tile.poison, copy=True)
    # A tile moved towards the cube is placed by its use like a loaded operand; one moved to
    # Vec is vector data.
    moved = result(
        np.array(tile.data, copy=True),
        tile.dtype,
        tile.valid,
        "load" if to_cube else "vector",
        poison,
        tile,
    )
    moved.level = "tile"
    return moved


def extract(src, index_row, index_col, shape, *, target_memory):
    """pl.tile.extract(src, row, col, shape, target_memory=Left | Right | Mat): a copy of the
    ``shape`` window of ``src`` at (row, col) in another on-chip space (ISA TEXTRACT: Mat to
    L0A / L0B, Acc to Mat). a2a3sim: two K halves of Mat operands extracted to Left / Right
    give a @ b exactly (fixture spelling_kernels.extracted_halves)."""
    begin("extract")
    space = getattr(target_memory, "name", None)
    if space not in ("Left", "Right", "Mat"):
        dsl(f"pl.tile.extract target_memory={target_memory!r}: Left / Right (from Mat) or Mat "
            "(from Acc)")  # fmt: skip
    if not is_tile_level(src) or src.ndim != 2:
        dsl("pl.tile.extract takes a 2-D tile (pl.load(..., target_memory=pl.MemorySpace.Mat) or "
            "a matmul result)")  # fmt: skip
    row = to_int(index_row, "pl.tile.extract index_row")
    col = to_int(index_col, "pl.tile.extract index_col")
    rows, cols = (to_int(n, "pl.tile.extract shape") for n in shape)
    if row < 0 or col < 0 or row + rows > src.shape[0] or col + cols > src.shape[1]:
        fail(errors.OutOfBoundsError,
             f"pl.tile.extract of [{rows}, {cols}] at ({row}, {col}) from a "
             f"{list(src.shape)} tile")  # fmt: skip
    src = operand(src, "extract", cube=True)
    window = (slice(row, row + rows), slice(col, col + cols))
    valid = (max(0, min(rows, src.valid[0] - row)), max(0, min(cols, src.valid[1] - col)))
    poison = None if src.poison is None else np.array(src.poison[window], copy=True)
    out = result(np.array(src.data[window], copy=True), src.dtype, valid, "load", poison, src)
    out.level = "tile"
    return out


def fillpad(x, pad_value=None):
    """pl.fillpad(x, pad_value): a fully valid copy with cells outside the valid region set."""
    begin("fillpad")
    x = operand(x, "fillpad")
    kind = _pad_kind(pad_value, "fillpad")
    data = np.array(x.data, copy=True)
    fill = _pad_constant(kind, x.dtype)
    outside = np.ones(x.shape, dtype=bool)
    outside[valid_box(x.valid)] = False
    data[outside] = fill
    poison = None
    if x.poison is not None:  # undefined cells inside the valid region stay undefined
        poison = np.array(x.poison, copy=True)
        poison[outside] = False
    count_vector(x.shape)
    out = result(data, x.dtype, x.shape, "vector", poison, x)
    out.runtime_valid = None  # typed with a static full valid region
    return out


def fillpad_expand(x, shape, pad_value=None):
    """pl.fillpad_expand(x, shape, pad_value): a fully valid tile of ``shape`` holding x's valid
    region at its top left and the pad everywhere else (a2a3sim: a [8, 64] tile valid over
    [8, 40] into [16, 64] with PadValue.max, fixture spelling_kernels.expanded_pad)."""
    begin("fillpad_expand")
    x = operand(x, "fillpad_expand")
    if x.base.level != "tile":
        dsl("pl.fillpad_expand of a tensor-level value: plsim simulates the tile form, the one "
            "measured; load the value first (pl.load)")  # fmt: skip
    shape = tuple(to_int(n, "pl.fillpad_expand shape") for n in shape)
    if len(shape) != x.ndim or any(n < v for n, v in zip(shape, x.valid)):
        dsl(f"pl.fillpad_expand shape {list(shape)}: one extent per axis of the "
            f"{list(x.shape)} source, each at least its valid extent {list(x.valid)}")  # fmt: skip
    kind = _pad_kind(pad_value, "fillpad_expand")
    data = np.full(shape, _pad_constant(kind, x.dtype), dtype=x.dtype.numpy)
    box = valid_box(x.valid)
    data[box] = x.data[box]
    poison = None
    if x.poison is not None:
        poison = np.zeros(shape, dtype=bool)
        poison[box] = x.poison[box]
    count_vector(shape)
    out = result(data, x.dtype, shape, "vector", poison, x)
    out.runtime_valid = None
    return out


def reinterpret_view(x, dtype, *, shape=None):
    """pl.reinterpret_view(t, dtype, shape=None): the same bytes read as ``dtype`` (a view);
    without ``shape`` the last axis scales by the byte ratio. a2a3sim: FP32 tiles read as INT32
    and as INT16, bit for bit (fixture spelling_kernels.reinterpreted). plsim simulates the
    tile form."""
    STATE.seq += 1
    if not is_tile_level(x):
        dsl("pl.reinterpret_view of a tensor-level value: plsim simulates the tile form, the one "
            "it models byte for byte; load the value first (pl.load)")  # fmt: skip
    target = dtype_arg(dtype, "pl.reinterpret_view dtype")
    if target is x.dtype:
        dsl(f"pl.reinterpret_view to {target.name}, the tile's own dtype: pypto wants another")
    if target.itemsize * 8 != target.bits or x.dtype.itemsize * 8 != x.dtype.bits:
        dsl("pl.reinterpret_view of sub-byte dtypes is not simulated by plsim")
    if not x.data.flags.c_contiguous:
        dsl("pl.reinterpret_view of a strided tile view is not simulated by plsim")
    ratio = x.dtype.itemsize / target.itemsize
    if shape is None:
        shape = (*x.shape[:-1], int(x.shape[-1] * ratio))
    shape = tuple(to_int(n, "pl.reinterpret_view shape") for n in shape)
    if np.prod(shape) * target.itemsize != x.data.size * x.dtype.itemsize:
        dsl(f"pl.reinterpret_view shape {list(shape)} of {target.name} does not hold the "
            f"{list(x.shape)} {x.dtype.name} tile's bytes")  # fmt: skip
    if x.valid != x.shape and (len(shape) != x.ndim or tuple(shape[:-1]) != x.shape[:-1]):
        dsl("pl.reinterpret_view of a partly valid tile to another row shape is not simulated")
    operand(x, "reinterpret_view")
    data = x.data.view(target.numpy).reshape(shape)
    valid = (*x.valid[:-1], int(x.valid[-1] * ratio)) if len(shape) == x.ndim else shape
    poison = None
    if x.poison is not None:
        per_byte = np.repeat(x.poison.reshape(-1), x.dtype.itemsize)
        poison = per_byte.reshape(-1, target.itemsize).any(axis=1).reshape(shape)
    view = Tile(data, target, tuple(valid), poison, base=x.base, poison_from=x.poison_from)
    return view


def _pad_constant(kind: str, dtype: dt.DType):
    if kind == "zero":
        return 0
    if dtype.is_float:
        return -np.inf if kind == "min" else np.inf
    info = np.iinfo(dtype.numpy)
    return info.min if kind == "min" else info.max


def concat(a, b):
    """pl.concat(a, b): 2-D, same dtype and rows; b placed after a's valid columns.

    The result is valid over its whole shape: pypto types ``tile.concat`` with a static full
    valid_row/valid_col whatever its operands' valid regions (the .pto's alloc_tile; a store of
    the result writes every row on a2a3sim, fixture valid_shape_kernels.concat_partial_rows).
    Cells no operand's valid region fills hold whatever was in the buffer: undefined.
    """
    begin("concat")
    a = operand(a, "concat")
    b = operand(b, "concat")
    if a.ndim != 2 or b.ndim != 2:
        dsl("pl.concat takes 2-D tiles")
    if a.dtype is not b.dtype:
        dsl(f"pl.concat of {a.dtype.name} and {b.dtype.name}: dtypes must match")
    if a.shape[0] != b.shape[0]:
        dsl(f"pl.concat row counts differ: {a.shape[0]} vs {b.shape[0]}")
    rows = a.shape[0]
    data = np.full((rows, a.shape[1] + b.shape[1]), poison_value(a.dtype), dtype=a.dtype.numpy)
    va, vb = a.valid[1], b.valid[1]
    data[:, :va] = a.data[:, :va]
    data[:, va : va + vb] = b.data[:, :vb]
    poison = np.ones(data.shape, bool)
    poison[: a.valid[0], :va] = False if a.poison is None else a.poison[: a.valid[0], :va]
    poison[: b.valid[0], va : va + vb] = (
        False if b.poison is None else b.poison[: b.valid[0], :vb]
    )
    count_vector(data.shape)
    out = result(data, a.dtype, data.shape, "vector", poison, a, b)
    out.runtime_valid = None  # typed with a static full valid region
    return out


def transpose(x, axis1: int = 0, axis2: int = 1, tmp_tile=None) -> Tile:
    """pl.transpose(tile, axis1, axis2): the tile with two axes swapped (a vector op).

    The result is valid over its whole shape (pypto's alloc_tile for ``tile.transpose`` has a
    static full valid region; a2a3sim stores every row, fixture
    valid_shape_kernels.transpose_partial): cells outside the swapped valid region are
    undefined. ``tmp_tile`` is the scratch of pypto's lowered form (pypto: user code never
    supplies it); it is accepted and does not change the result.
    """
    begin("transpose")
    t = operand(x, "transpose")
    if tmp_tile is not None:
        operand(tmp_tile, "transpose")
    axes = [to_int(axis1, "pl.transpose axis1"), to_int(axis2, "pl.transpose axis2")]
    for a in axes:
        if not 0 <= a < t.ndim:
            dsl(f"pl.transpose axis {a} is outside a rank-{t.ndim} tile")
    data = np.ascontiguousarray(np.swapaxes(t.data, *axes))
    swapped = list(t.valid)
    swapped[axes[0]], swapped[axes[1]] = swapped[axes[1]], swapped[axes[0]]
    poison = np.ones(data.shape, bool)
    if t.poison is None:
        poison[valid_box(swapped)] = False
    else:
        inside = np.ascontiguousarray(np.swapaxes(t.poison, *axes))
        poison[valid_box(swapped)] = inside[valid_box(swapped)]
    count_vector(data.shape)
    out = result(data, t.dtype, data.shape, "vector", poison, t)
    out.runtime_valid = None  # typed with a static full valid region
    return out
