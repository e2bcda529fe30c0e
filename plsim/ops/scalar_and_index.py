"""A tile against a scalar (``pl.maximums``, ``pl.minimums``, ``pl.lrelu``) and the index
reductions (``pl.row_argmax``, ``row_argmin``, ``col_argmax``, ``col_argmin``).

As the toolchain has them (measured with the pypto wheel this project builds with, and on
a2a3sim: fixtures tests/plsim_conformance/kernels/scalar_and_index_op_kernels.py):

- ``maximums`` / ``minimums`` / ``lrelu`` take a tile only (a tensor-level value: "The operator
  tile.maximums requires first argument to be a TileType, but got TensorType"); ``lrelu(x, s)``
  is max(x, s * x);
- an index reduction gives INT32 indices, ``[M, 1]`` (row) or ``[1, N]`` (column), of the first
  maximum / minimum over the valid cells (equal values: the smaller index, as a2a3sim gives);
  the tile form needs a scratch tile of exactly the input's shape and dtype ("Tile inputs
  require tmp_tile with exactly the same shape and dtype as the input"), the tensor-level form
  takes none.
"""

from __future__ import annotations

import numpy as np

from plsim import aiv_regions, numerics
from plsim import dtypes as dt
from plsim.context import dsl
from plsim.memory import Tile, poison_value, valid_box
from plsim.ops.common import begin, count_vector, operand, result, tile_only
from plsim.ops.elementwise import scalar_in
from plsim.ops.vector_dtypes import check_vector_dtype
from plsim.scalars import Scalar, is_number


def _scalar_op(name: str, op: str, x, s) -> Tile:
    begin(name)
    a = operand(x, name)
    tile_only(a, name)
    check_vector_dtype(name, a.dtype)
    if not (is_number(s) or isinstance(s, Scalar)):
        dsl(f"pl.{name}(tile, scalar): the second operand must be a scalar, got {type(s).__name__}")
    if isinstance(s, (float, np.floating)) and not a.dtype.is_float:
        dsl(f"pl.{name} of an {a.dtype.name} tile and the float scalar {s!r}: use an int scalar")
    value = scalar_in(s, a.dtype)
    if op == "lrelu":
        if not a.dtype.is_float:
            dsl(f"pl.lrelu of an {a.dtype.name} tile: plsim simulates it on float tiles only")
        scaled = numerics.binary("mul", a.data, value, a.dtype)
        data = numerics.binary("maximum", a.data, scaled, a.dtype)
    else:
        data = numerics.binary(op, a.data, value, a.dtype)
    count_vector(a.valid)
    poison = None if a.poison is None else a.poison.copy()
    return result(data, a.dtype, a.valid, "vector", poison, a)


def maximums(lhs, rhs) -> Tile:
    """pl.maximums(tile, scalar): the larger of each cell and the scalar."""
    return _scalar_op("maximums", "maximum", lhs, rhs)


def minimums(lhs, rhs) -> Tile:
    """pl.minimums(tile, scalar): the smaller of each cell and the scalar."""
    return _scalar_op("minimums", "minimum", lhs, rhs)


def lrelu(tile, slope) -> Tile:
    """pl.lrelu(tile, slope): max(x, slope * x)."""
    return _scalar_op("lrelu", "lrelu", tile, slope)


def _index_reduction(name: str, largest: bool, axis: int, x, tmp_tile) -> Tile:
    begin(name)
    a = operand(x, name)
    if a.ndim != 2:
        dsl(f"pl.{name} needs a 2-D tile, got {list(a.shape)}")
    if a.base.level == "tile":
        same = isinstance(tmp_tile, Tile) and tmp_tile.shape == a.shape
        if not same or tmp_tile.dtype is not a.dtype:
            dsl(
                f"pl.{name} of a tile needs tmp_tile with exactly the input's shape "
                f"{list(a.shape)} and dtype {a.dtype.name} (the compiler: \"Tile inputs require "
                "tmp_tile with exactly the same shape and dtype as the input\"); pass "
                f"pl.create_tile({list(a.shape)}, dtype=pl.{a.dtype.name})"
            )
        operand(tmp_tile, name)
    aiv_regions.check_reduction(name, axis, a)
    out_shape = [a.shape[0], 1] if axis == -1 else [1, a.shape[1]]
    out_valid = [a.valid[0], 1] if axis == -1 else [1, a.valid[1]]
    out_valid = [v if all(a.valid) else 0 for v in out_valid]
    data = np.full(out_shape, poison_value(dt.INT32), dtype=np.int32)
    poison = None
    if all(out_valid):
        src = a.data[valid_box(a.valid)]
        pick = np.argmax if largest else np.argmin  # the first of equal values
        data[valid_box(out_valid)] = pick(src, axis=axis).reshape(out_valid).astype(np.int32)
        if a.poison is not None:
            poison = np.zeros(out_shape, bool)
            read = a.poison[valid_box(a.valid)]
            poison[valid_box(out_valid)] = read.any(axis=axis, keepdims=True)
    count_vector(a.valid)
    return result(data, dt.INT32, out_valid, "vector", poison, a)


def row_argmax(x, tmp_tile=None) -> Tile:
    """pl.row_argmax(x, tmp_tile): [M, N] -> [M, 1] INT32 column index of each row's maximum."""
    return _index_reduction("row_argmax", True, -1, x, tmp_tile)


def row_argmin(x, tmp_tile=None) -> Tile:
    """pl.row_argmin(x, tmp_tile): [M, N] -> [M, 1] INT32 column index of each row's minimum."""
    return _index_reduction("row_argmin", False, -1, x, tmp_tile)


def col_argmax(x, tmp_tile=None) -> Tile:
    """pl.col_argmax(x, tmp_tile): [M, N] -> [1, N] INT32 row index of each column's maximum."""
    return _index_reduction("col_argmax", True, -2, x, tmp_tile)


def col_argmin(x, tmp_tile=None) -> Tile:
    """pl.col_argmin(x, tmp_tile): [M, N] -> [1, N] INT32 row index of each column's minimum."""
    return _index_reduction("col_argmin", False, -2, x, tmp_tile)
