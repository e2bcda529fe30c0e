"""The bitwise family: ``pl.and_``, ``or_``, ``xor``, ``not_``, ``shl``, ``shr`` and the scalar
forms ``ands``, ``ors``, ``xors``, ``shls``, ``shrs``.

As the chain has them (fixtures tests/plsim_conformance/kernels/bitwise_kernels.py):

- on a2a3 ptoas takes them on 8- and 16-bit integer tiles only ("'pto.tand' op expects A2/A3
  tand src0, src1, and dst element type to be i8/i16"; pypto itself builds INT32): an INT32
  tile is a HardwareError here;
- a2a3sim computes a shift in 32 bits and keeps the low 16: ``shl`` wraps and gives 0 from a
  count of 16 on, ``shr`` is arithmetic (the sign fills in) and gives 0 or -1 from 16 on;
- ``not_`` is for 16-bit tiles (pypto's own rule).

Measured on INT16 (and, or, xor, not, both shifts, the scalar forms: bit for bit); plsim
simulates the shifts on INT16 tiles only and leaves a cell whose count is negative undefined
(not measured).
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import dsl, fail
from plsim.memory import Tile
from plsim.ops.common import (
    begin,
    count_vector,
    is_tile_level,
    matching_tiles,
    measured_dtypes_only,
    operand,
    result,
    union,
)
from plsim.ops.elementwise import scalar_in
from plsim.scalars import Scalar, is_number

_BYTE_AND_SHORT = (dt.INT8, dt.UINT8, dt.INT16, dt.UINT16)
_LOGIC = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}


def _integer_operand(x, name: str, shifts: bool) -> Tile:
    a = operand(x, name)
    if a.dtype not in _BYTE_AND_SHORT:
        if a.dtype.is_float:
            dsl(f"pl.{name} of an {a.dtype.name} tile: a bitwise op takes integer tiles")
        fail(
            errors.HardwareError,
            f"pl.{name} of an {a.dtype.name} tile: pypto builds it, but on a2a3 ptoas takes the "
            "bitwise ops on 8- and 16-bit integer tiles only (\"'pto.tand' op expects A2/A3 tand "
            "src0, src1, and dst element type to be i8/i16\"); cast to INT16 first",
        )
    if shifts:
        measured_dtypes_only(a, name, (dt.INT16,), "INT16")
    return a


def _second(b, a: Tile, name: str, shifts: bool):
    """The other operand: a scalar of the tile's dtype, or a tile of its shape and dtype."""
    if is_number(b) or isinstance(b, Scalar):
        return scalar_in(b, a.dtype), None
    t = _integer_operand(b, name, shifts)
    matching_tiles(name, a, t)
    return t.data, t


def _binary(name: str, kind: str, lhs, rhs, scalar_form: bool) -> Tile:
    begin(name)
    shifts = kind in ("shl", "shr")
    a = _integer_operand(lhs, name, shifts)
    if scalar_form and not (is_number(rhs) or isinstance(rhs, Scalar)):
        dsl(f"pl.{name}(tile, scalar): the second operand must be a scalar")
    other, b = _second(rhs, a, name, shifts)
    gap = None
    if shifts:
        counts = np.broadcast_to(np.asarray(other, dtype=np.int32), a.shape)
        wide = a.data.astype(np.int32)
        clipped = np.clip(counts, 0, 31)
        data = (wide << clipped if kind == "shl" else wide >> clipped).astype(a.dtype.numpy)
        if (counts < 0).any():
            gap = counts < 0  # not measured: left undefined
    else:
        data = _LOGIC[kind](a.data, other).astype(a.dtype.numpy)
    count_vector(a.valid)
    poison = union(a.shape, a.poison, None if b is None else b.poison, gap)
    return result(data, a.dtype, a.valid, "vector", poison, *((a,) if b is None else (a, b)))


def and_(lhs, rhs) -> Tile:
    """pl.and_(a, b): bitwise AND of two 8/16-bit integer tiles."""
    return _binary("and_", "and", lhs, rhs, False)


def or_(lhs, rhs) -> Tile:
    """pl.or_(a, b): bitwise OR."""
    return _binary("or_", "or", lhs, rhs, False)


def _xor_scratch(name: str, lhs, tmp) -> None:
    """pypto's dispatch: a tile's xor needs the scratch tile, a tensor-level one must not pass
    it (fixture bitwise_kernels.xor_without_scratch; pypto unified_ops for the tensor side)."""
    tile_level = is_tile_level(lhs)
    if tile_level and tmp is None:
        dsl(f"pl.{name} of a tile without tmp: the compiler refuses it (\"Tile inputs require an "
            f"explicit scratch tile\"); call pl.{name}(lhs, rhs, tmp)")  # fmt: skip
    if not tile_level and tmp is not None:
        dsl(f"pl.{name} of a tensor-level value with tmp: the compiler refuses it (\"Tensor "
            "inputs must not pass tmp\"); drop tmp")  # fmt: skip
    if tmp is not None:
        operand(tmp, name)


def xor(lhs, rhs, tmp=None) -> Tile:
    """pl.xor(a, b, tmp): bitwise XOR (the scratch tile does not change the result)."""
    _xor_scratch("xor", lhs, tmp)
    return _binary("xor", "xor", lhs, rhs, False)


def shl(lhs, rhs) -> Tile:
    """pl.shl(a, counts): left shift of an INT16 tile, wrapping (0 from a count of 16)."""
    return _binary("shl", "shl", lhs, rhs, False)


def shr(lhs, rhs) -> Tile:
    """pl.shr(a, counts): arithmetic right shift of an INT16 tile."""
    return _binary("shr", "shr", lhs, rhs, False)


def ands(lhs, rhs) -> Tile:
    """pl.ands(a, s): bitwise AND with a scalar."""
    return _binary("ands", "and", lhs, rhs, True)


def ors(lhs, rhs) -> Tile:
    """pl.ors(a, s): bitwise OR with a scalar."""
    return _binary("ors", "or", lhs, rhs, True)


def xors(lhs, rhs, tmp=None) -> Tile:
    """pl.xors(a, s, tmp): bitwise XOR with a scalar."""
    _xor_scratch("xors", lhs, tmp)
    return _binary("xors", "xor", lhs, rhs, True)


def shls(lhs, rhs) -> Tile:
    """pl.shls(a, s): left shift of an INT16 tile by a scalar count."""
    return _binary("shls", "shl", lhs, rhs, True)


def shrs(lhs, rhs) -> Tile:
    """pl.shrs(a, s): arithmetic right shift of an INT16 tile by a scalar count."""
    return _binary("shrs", "shr", lhs, rhs, True)


def not_(x) -> Tile:
    """pl.not_(a): bitwise NOT of a 16-bit integer tile."""
    begin("not_")
    a = _integer_operand(x, "not_", False)
    if a.dtype not in (dt.INT16, dt.UINT16):
        dsl(f"pl.not_ of an {a.dtype.name} tile: pypto has it for INT16 / UINT16 only")
    data = np.bitwise_not(a.data)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", union(a.shape, a.poison), a)
