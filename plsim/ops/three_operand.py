"""Three-operand adds: ``pl.addc(a, b, c)`` = (a + b) + c, ``pl.subc(a, b, c)`` = (a - b) + c,
``pl.addsc(a, s, c)`` = (a + s) + c, ``pl.subsc(a, s, c)`` = (a - s) + c.

As a2a3sim computes them on FP32 tiles, bit for bit: two roundings, in that order (fixtures
tests/plsim_conformance/kernels/three_operand_kernels.py). A tile only: the compiler refuses a
tensor-level value ("The operator tile.addc requires first argument to be a TileType"). plsim
simulates the FP32 form, the one measured, and refuses the others rather than guess.
"""

from __future__ import annotations

from plsim import dtypes as dt
from plsim import numerics
from plsim.memory import Tile
from plsim.ops.common import (
    begin,
    count_vector,
    matching_tiles,
    measured_dtypes_only,
    operand,
    result,
    tile_only,
    union,
)
from plsim.ops.elementwise import scalar_in
from plsim.scalars import Scalar, is_number


def _fp32_tile(x, name: str) -> Tile:
    a = operand(x, name)
    tile_only(a, name)
    measured_dtypes_only(a, name, (dt.FP32,), "FP32")
    return a


def _three(name: str, first: str, lhs, middle, rhs) -> Tile:
    begin(name)
    a = _fp32_tile(lhs, name)
    c = _fp32_tile(rhs, name)
    tiles = [a, c]
    if is_number(middle) or isinstance(middle, Scalar):
        b_data = scalar_in(middle, a.dtype)
    else:
        b = _fp32_tile(middle, name)
        tiles.insert(1, b)
        b_data = b.data
    matching_tiles(name, *tiles)
    partial = numerics.binary(first, a.data, b_data, a.dtype)
    data = numerics.binary("add", partial, c.data, a.dtype)
    count_vector(a.valid)
    poison = union(a.shape, *(t.poison for t in tiles))
    return result(data, a.dtype, a.valid, "vector", poison, *tiles)


def addc(lhs, rhs, rhs2) -> Tile:
    """pl.addc(a, b, c): (a + b) + c."""
    return _three("addc", "add", lhs, rhs, rhs2)


def subc(lhs, rhs, rhs2) -> Tile:
    """pl.subc(a, b, c): (a - b) + c."""
    return _three("subc", "sub", lhs, rhs, rhs2)


def addsc(lhs, rhs, rhs2) -> Tile:
    """pl.addsc(a, s, c): (a + s) + c."""
    return _three("addsc", "add", lhs, rhs, rhs2)


def subsc(lhs, rhs, rhs2) -> Tile:
    """pl.subsc(a, s, c): (a - s) + c."""
    return _three("subsc", "sub", lhs, rhs, rhs2)
