"""Remainders (``pl.rem``, ``pl.rems``, ``pl.fmod``, ``pl.fmods``) and ``pl.sin`` / ``pl.cos``.

As a2a3sim computes them (pto-isa's CPU backend; fixtures
tests/plsim_conformance/kernels/remainder_trig_kernels.py, outputs equal bit for bit):

- ``rem(a, b, tmp)`` / ``rems(a, s, tmp)``: the floored remainder, the sign of the divisor
  (NumPy's ``mod``, Python's ``%``); a tile and a scratch tile, as pypto declares them;
- ``fmod(a, b)`` / ``fmods(a, s)``: the truncated remainder, the sign of the dividend (C's
  ``fmod``);
- ``sin`` / ``cos``: FP32 only (pypto's own rule); plsim rounds the float64 value once, a2a3sim's
  differ from that by up to 1.4e-7 on arguments of a few units, so compare with a tolerance.

Measured on FP32 tiles; plsim refuses the remainders of other dtypes rather than guess their
rounding.
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim.context import dsl
from plsim.memory import Tile
from plsim.ops.common import (
    begin,
    count_vector,
    matching_tiles,
    measured_dtypes_only,
    operand,
    result,
    union,
)
from plsim.ops.elementwise import scalar_in
from plsim.scalars import Scalar, is_number

_REMAINDERS = {"rem": np.mod, "fmod": np.fmod}


def _fp32_operand(x, name: str, tile_only: bool) -> Tile:
    a = operand(x, name)
    if tile_only and a.base.level != "tile":
        dsl(
            f"pl.{name} of a tensor-level value: the compiler declares only the tile form "
            f"(pl.{name}(tile, ..., tmp)); load the tile first (pl.load)"
        )
    measured_dtypes_only(a, name, (dt.FP32,), "FP32")
    return a


def _remainder(name: str, kind: str, lhs, rhs, tmp, tile_only: bool) -> Tile:
    begin(name)
    a = _fp32_operand(lhs, name, tile_only)
    if tile_only:
        if not isinstance(tmp, Tile):
            dsl(f"pl.{name} needs a scratch tile (pl.create_tile) as its last argument")
        operand(tmp, name)
    if is_number(rhs) or isinstance(rhs, Scalar):
        divisor = scalar_in(rhs, a.dtype)
        poison = union(a.shape, a.poison)
        sources = (a,)
    else:
        b = _fp32_operand(rhs, name, tile_only)
        matching_tiles(name, a, b)
        divisor = b.data
        poison = union(a.shape, a.poison, b.poison)
        sources = (a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        data = _REMAINDERS[kind](a.data, divisor).astype(np.float32)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", poison, *sources)


def rem(lhs, rhs, tmp) -> Tile:
    """pl.rem(a, b, tmp): the floored remainder of two FP32 tiles (the divisor's sign)."""
    return _remainder("rem", "rem", lhs, rhs, tmp, tile_only=True)


def rems(lhs, rhs, tmp) -> Tile:
    """pl.rems(a, s, tmp): the floored remainder of an FP32 tile and a scalar."""
    return _remainder("rems", "rem", lhs, rhs, tmp, tile_only=True)


def fmod(lhs, rhs) -> Tile:
    """pl.fmod(a, b): the truncated remainder (the dividend's sign), as C's fmod."""
    return _remainder("fmod", "fmod", lhs, rhs, None, tile_only=False)


def fmods(lhs, rhs) -> Tile:
    """pl.fmods(a, s): the truncated remainder of an FP32 tile and a scalar."""
    return _remainder("fmods", "fmod", lhs, rhs, None, tile_only=False)


def _trig(name: str, func, x) -> Tile:
    begin(name)
    a = operand(x, name)
    if a.dtype is not dt.FP32:
        dsl(f"pl.{name} is FP32 only (pypto), got an {a.dtype.name} tile")
    data = func(a.data.astype(np.float64)).astype(np.float32)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", union(a.shape, a.poison), a)


def sin(x) -> Tile:
    """pl.sin(x): the sine of an FP32 tile (radians), rounded once from float64."""
    return _trig("sin", np.sin, x)


def cos(x) -> Tile:
    """pl.cos(x): the cosine of an FP32 tile (radians), rounded once from float64."""
    return _trig("cos", np.cos, x)
