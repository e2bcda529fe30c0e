"""Remainders (``pl.rem``, ``pl.rems``, ``pl.fmod``, ``pl.fmods``) and ``pl.sin`` / ``pl.cos``.

As a2a3sim computes them (pto-isa's CPU backend; fixtures
tests/plsim_conformance/kernels/remainder_trig_kernels.py, outputs equal bit for bit):

- ``rem(a, b, tmp)`` / ``rems(a, s, tmp)``: the floored remainder, the sign of the divisor
  (NumPy's ``mod``, Python's ``%``) except that a zero remainder keeps the dividend's sign, as
  pto-isa's CPU TRem computes it (C's ``fmod``, then ``+ b`` where the signs differ); a tile and a
  scratch tile, as pypto declares them;
- ``fmod(a, b)`` / ``fmods(a, s)``: the truncated remainder, the sign of the dividend (C's
  ``fmod``);
- ``sin`` / ``cos``: FP32 only (pypto's own rule). pypto has no sine instruction: it lowers each
  to about 30 FP32 vector ops (``_expansion``: a round-to-integer of x / pi through INT32, a
  five-part Cody-Waite reduction, a degree-9 odd polynomial, the sign from the parity), and
  plsim runs the same ops, so its values are a2a3sim's bit for bit (special values included:
  sin(inf) = inf, sin(-0.0) = +0.0, and garbage above |x| of about 1e9, as on a2a3sim). A
  float64 sine rounded once, what plsim computed before, differed by up to 1.4e-7 near a few
  units and entirely for large arguments.

Measured on FP32 tiles, and ``fmod`` also on FP16 / INT32 / INT16 (C's ``fmod`` and ``%``),
``fmods`` on INT32; plsim refuses the other dtypes rather than guess them.
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors, events, numerics
from plsim.context import dsl, fail, warn
from plsim.memory import Tile, valid_box
from plsim.ops.common import (
    begin,
    count_vector,
    matching_tiles,
    measured_dtypes_only,
    no_integer_zero_divisor,
    operand,
    result,
    union,
)
from plsim.ops.elementwise import scalar_in
from plsim.scalars import Scalar, is_number


def _floored(a: np.ndarray, b) -> np.ndarray:
    """pto-isa's CPU TRem: C's fmod in double, then ``+ b`` (in FP32) where the operands' signs
    differ (``>= 0`` tells them, so -0.0 counts as positive) and the remainder is not zero. A
    zero remainder keeps fmod's sign, the dividend's (rem(-300, 2.5) is -0.0; NumPy's mod gives
    +0.0): measured on a2a3sim, special_value_kernels.fp32_more_ops."""
    b32 = np.asarray(b, np.float32)
    r = np.fmod(a.astype(np.float64), b32.astype(np.float64)).astype(np.float32)
    adjust = ((a >= 0) != (b32 >= 0)) & (r != 0)
    return np.where(adjust, r + b32, r).astype(np.float32)


_REMAINDERS = {"rem": _floored, "fmod": np.fmod}


#: The dtypes each remainder was measured on (a2a3sim the same values: FP32 on
#: remainder_trig_kernels.py; fmod also FP16 / INT32 / INT16 and fmods INT32 on random data,
#: C's fmod and %). pypto emits an FP16 fmods with a float literal as an FP32 scalar, which
#: ptoas refuses ("'pto.tfmods' op expects scalar type to match the tile element type").
_MEASURED = {
    "rem": ((dt.FP32,), "FP32"),
    "rems": ((dt.FP32,), "FP32"),
    "fmod": ((dt.FP32, dt.FP16, dt.INT32, dt.INT16), "FP32, FP16, INT32 and INT16"),
    "fmods": ((dt.FP32, dt.INT32), "FP32 and INT32"),
}


def _check_operand(a: Tile, name: str, tile_only: bool) -> Tile:
    if tile_only and a.base.level != "tile":
        dsl(
            f"pl.{name} of a tensor-level value: the compiler declares only the tile form "
            f"(pl.{name}(tile, ..., tmp)); load the tile first (pl.load)"
        )
    measured_dtypes_only(a, name, *_MEASURED[name])
    return a


def _remainder(name: str, kind: str, lhs, rhs, tmp, tile_only: bool) -> Tile:
    begin(name)
    a = operand(lhs, name)
    if name == "fmods" and a.dtype is dt.FP16 and isinstance(rhs, (float, np.floating)):
        fail(
            errors.HardwareError,
            f"pl.fmods of an FP16 tile and the float literal {rhs!r}: pypto emits the literal as "
            "an FP32 scalar, which ptoas refuses (\"'pto.tfmods' op expects scalar type to match "
            "the tile element type\", measured); divide by a tile, pl.fmod(t, pl.full(...))",
        )
    _check_operand(a, name, tile_only)
    if tile_only:
        if not isinstance(tmp, Tile):
            dsl(f"pl.{name} needs a scratch tile (pl.create_tile) as its last argument")
        operand(tmp, name)
    if is_number(rhs) or isinstance(rhs, Scalar):
        divisor = scalar_in(rhs, a.dtype)
        poison = union(a.shape, a.poison)
        sources = (a,)
    else:
        b = _check_operand(operand(rhs, name), name, tile_only)
        matching_tiles(name, a, b)
        divisor = b.data
        poison = union(a.shape, a.poison, b.poison)
        sources = (a, b)
    no_integer_zero_divisor(name, a, divisor)
    with np.errstate(divide="ignore", invalid="ignore"):
        data = _REMAINDERS[kind](a.data, divisor).astype(a.dtype.numpy)
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


#: pypto's expansion of pl.sin / pl.cos into FP32 vector ops (read from the .pto this chain's
#: pypto emits): k = round(x / pi), x - k * pi in five Cody-Waite parts, the sign (-1)^k from
#: floor(k / 2), and an odd polynomial in the reduced argument.
_INV_PI = np.float32(0.318309873342514038)
_PI_PARTS = tuple(
    np.float32(c)
    for c in (
        3.140625,
        9.67025756835937500e-04,
        6.27711415290832520e-07,
        1.21644916362129152e-10,
        -1.02906229273568711e-13,
    )
)
_POLY = tuple(
    np.float32(c)
    for c in (
        2.60492652159882709e-06,
        -1.98089444893412292e-04,
        8.33304971456527710e-03,
        -1.66666582226753235e-01,
    )
)
_HALF_PI_HIGH = np.float32(1.57079637050628662)
_HALF_PI_LOW = np.float32(-4.37113882867379289e-08)
#: Vector ops per element of each expansion (the cost model counts them all).
_EXPANSION_OPS = {"sin": 31, "cos": 34}


def _to_int_and_back(v: np.ndarray, mode: str) -> np.ndarray:
    wide = numerics.cast(v, dt.FP32, dt.INT32, mode)
    return numerics.cast(wide, dt.INT32, dt.FP32, "none")


def _expansion(name: str, x: np.ndarray) -> np.ndarray:
    """pl.sin / pl.cos of FP32 ``x`` op by op as pypto lowers them, each op rounded to FP32."""
    f = np.float32
    with np.errstate(all="ignore"):
        scaled = x * _INV_PI
        if name == "sin":
            k = _to_int_and_back(scaled, "round")
        else:  # cos(x) = sin(x + pi / 2): k = rint(x / pi + 1/2), and pi / 2 added in two parts
            k = _to_int_and_back(scaled + f(0.5), "rint")
        t = x
        for part, c in enumerate(_PI_PARTS):
            t = t - k * c
            if name == "cos" and part == 1:
                t = t + _HALF_PI_HIGH
        if name == "cos":
            t = t + _HALF_PI_LOW
        half = _to_int_and_back(k * f(0.5), "floor")
        sign = (half * f(4.0) + k * f(-2.0)) + f(1.0)
        t2 = t * t
        p = t2 * _POLY[0]
        for c in _POLY[1:]:
            p = (p + c) * t2
        p = p + f(1.0)
        return (sign * (t * p)).astype(np.float32)


def _trig(name: str, x) -> Tile:
    begin(name)
    a = operand(x, name)
    if a.dtype is not dt.FP32:
        dsl(f"pl.{name} is FP32 only (pypto), got an {a.dtype.name} tile")
    box = a.data[valid_box(a.valid)]
    with np.errstate(all="ignore"):
        turns = np.abs(box.astype(np.float64) / np.pi)
    if (np.isfinite(turns) & (turns >= 2.0**31)).any():
        warn(
            f"pl.{name} of |x| >= 6.7e9: pypto's expansion converts x / pi to INT32, which the "
            "chip saturates and a2a3sim's CPU TCVT makes INT32_MIN, so the two give different "
            "values there (and neither the sine of x)",
            stacklevel=2,
        )
    data = _expansion(name, a.data)
    events.vector_ops(_EXPANSION_OPS[name] * int(np.prod(a.valid)))
    return result(data, a.dtype, a.valid, "vector", union(a.shape, a.poison), a)


def sin(x) -> Tile:
    """pl.sin(x): the sine of an FP32 tile (radians), computed as pypto's expansion does."""
    return _trig("sin", x)


def cos(x) -> Tile:
    """pl.cos(x): the cosine of an FP32 tile (radians), computed as pypto's expansion does."""
    return _trig("cos", x)
