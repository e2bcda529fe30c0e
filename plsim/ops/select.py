"""Predicate masks and selection on tiles: ``pl.cmp`` / ``pl.cmps`` of a tile-level value, and
``pl.sel`` / ``pl.sels``.

A tile-level comparison does not give 0/1 values (that is the tensor-level ``pl.cmp``,
plsim.ops.elementwise.cmp): it gives a packed predicate mask, a UINT8 tile of the source's rows
with one bit per source column, bit ``c % 8`` of byte ``c // 8`` (least significant first), its
row padded to 32 bytes; its valid region is the source's valid rows by ``ceil(valid cols / 8)``
bytes. That is the tile pypto allocates (``pto.alloc_tile ... dtype=ui8, rows=8, cols=32,
valid_col=8`` for an [8, 64] source) and the bytes a2a3sim stores from it, measured bit for bit
(fixtures tests/plsim_conformance/kernels/select_kernels.py). ``pl.sel(mask, a, b, tmp)`` takes
``a`` where the bit is set, else ``b``; ``pl.sels(mask, a, tmp, s)`` takes ``s`` for ``b``.

The rules, each measured on the chain:

- ptoas takes comparisons of INT32, FP16 and FP32 tiles only on a2a3 ("expects A2/A3 tcmp input
  element type to be i32/f16/f32"): another dtype is a HardwareError;
- a tensor-level mask is refused by pypto ("The operator tile.sel requires first argument
  (mask) to be a TileType, but got TensorType");
- the scratch tile is any tile (pypto documents UINT8 [1, 32] for a2a3; an FP32 [8, 64] one
  builds and runs with the same result);
- a selection over a valid width that is not a multiple of 8 columns builds, but a2a3sim reads
  the mask as one bit stream across rows (pto-isa's CPU TSEL carries its bit position from one
  row into the next), so rows after the first take other rows' bits: a MiscompileError.
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import dsl, fail
from plsim.memory import Tile
from plsim.ops import elementwise
from plsim.ops.common import (
    begin,
    count_vector,
    is_tile_level,
    matching_tiles,
    measured_dtypes_only,
    operand,
    result,
    tile_only,
    union,
)
from plsim.ops.elementwise import scalar_in
from plsim.scalars import Scalar, is_number

#: cmp_type codes (pypto: EQ=0, NE=1, LT=2, LE=3, GT=4, GE=5).
COMPARE = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)
#: Source dtypes ptoas compares on a2a3.
COMPARED = (dt.INT32, dt.FP16, dt.FP32)
#: Dtypes plsim selects on: those measured on a2a3sim.
SELECTED = (dt.INT32, dt.FP16, dt.FP32)
_ROW_ALIGN_BYTES = 32


def _cmp_type(value, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(COMPARE):
        dsl(f"pl.{op} cmp_type must be an int 0..5 (eq, ne, lt, le, gt, ge), got {value!r}")
    return value


def _compared(x, op: str) -> Tile:
    a = operand(x, op)
    if a.ndim != 2:
        dsl(f"pl.{op} of a {a.ndim}-D tile: plsim packs masks of 2-D tiles")
    if a.dtype not in COMPARED:
        fail(
            errors.HardwareError,
            f"pl.{op} of an {a.dtype.name} tile: on a2a3 ptoas compares INT32, FP16 and FP32 "
            "tiles only (\"expects A2/A3 tcmp input element type to be i32/f16/f32\"); cast "
            "first",
        )
    return a


def _mask(hit: np.ndarray, a: Tile, poison, *others: Tile) -> Tile:
    """The packed UINT8 mask of ``hit`` (a's shape; only its valid cells are packed)."""
    rows, cols = a.shape
    valid_rows, valid_cols = a.valid
    row_bytes = -(-cols // 8)
    row_bytes = -(-row_bytes // _ROW_ALIGN_BYTES) * _ROW_ALIGN_BYTES
    packed_cols = -(-valid_cols // 8)
    bits = np.zeros((rows, packed_cols * 8), dtype=bool)
    bits[:valid_rows, :valid_cols] = hit[:valid_rows, :valid_cols]
    data = np.zeros((rows, row_bytes), dtype=np.uint8)
    data[:, :packed_cols] = np.packbits(bits, axis=1, bitorder="little")
    byte_poison = None
    if poison is not None:
        cells = np.zeros((rows, packed_cols * 8), dtype=bool)
        cells[:valid_rows, :valid_cols] = poison[:valid_rows, :valid_cols]
        byte_poison = np.zeros(data.shape, dtype=bool)
        byte_poison[:, :packed_cols] = cells.reshape(rows, packed_cols, 8).any(axis=2)
    count_vector(a.valid)
    return result(data, dt.UINT8, (valid_rows, packed_cols), "vector", byte_poison, a, *others)


def cmp(lhs, rhs, cmp_type: int = 0):
    """pl.cmp(a, b, cmp_type): of tile-level values, the packed mask of a <op> b (b a tile or a
    scalar); of tensor-level values, 0 / 1 in a's dtype (plsim.ops.elementwise.cmp)."""
    if not is_tile_level(lhs):
        return elementwise.cmp(lhs, rhs, cmp_type)
    if is_number(rhs) or isinstance(rhs, Scalar):
        return _compare_scalar(lhs, rhs, cmp_type, "cmp")
    begin("cmp")
    mode = _cmp_type(cmp_type, "cmp")
    a = _compared(lhs, "cmp")
    b = _compared(rhs, "cmp")
    matching_tiles("cmp", a, b)
    hit = COMPARE[mode](a.data, b.data)
    return _mask(hit, a, union(a.shape, a.poison, b.poison), b)


def cmps(lhs, rhs, cmp_type: int = 0) -> Tile:
    """pl.cmps(a, s, cmp_type): the packed mask of a <op> s (a tile and a scalar)."""
    return _compare_scalar(lhs, rhs, cmp_type, "cmps")


def _compare_scalar(lhs, rhs, cmp_type, op: str) -> Tile:
    begin(op)
    mode = _cmp_type(cmp_type, op)
    a = _compared(lhs, op)
    tile_only(a, op)
    if not (is_number(rhs) or isinstance(rhs, Scalar)):
        dsl(f"pl.{op} compares a tile with a scalar, got {type(rhs).__name__}; use pl.cmp for "
            "two tiles")  # fmt: skip
    if isinstance(rhs, Scalar) and rhs.dtype is dt.INDEX:
        dsl(f"pl.{op} of a tile and an index scalar: write pl.cast(v, pl.INT32) first")
    hit = COMPARE[mode](a.data, scalar_in(rhs, a.dtype))
    return _mask(hit, a, a.poison)


def _mask_tile(mask, op: str) -> Tile:
    """The mask operand: a tile (pypto checks it first, the first argument)."""
    m = operand(mask, op)
    if m.base.level != "tile":
        dsl(f"pl.{op} of a tensor-level mask: the compiler takes a tile (\"The operator tile.{op} "
            "requires first argument (mask) to be a TileType, but got TensorType\"); make the "
            "mask with pl.cmp / pl.cmps of loaded tiles")  # fmt: skip
    return m


def _bits(m: Tile, source: Tile, op: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The mask's bit of each of ``source``'s cells, and the cells whose bit is undefined."""
    if m.dtype is not dt.UINT8 or m.ndim != 2:
        dsl(f"pl.{op} mask is a {m.dtype.name} {list(m.shape)} tile; it is the UINT8 tile "
            "pl.cmp / pl.cmps of a tile gives")  # fmt: skip
    valid_rows, valid_cols = source.valid
    if valid_cols % 8:
        fail(
            errors.MiscompileError,
            f"pl.{op} over {valid_cols} valid columns (not a multiple of 8): the chain builds "
            "it, but a2a3sim reads the mask as one bit stream across rows, so every row after "
            "the first takes other rows' bits (measured); select over a width of whole mask "
            "bytes (pad the columns to a multiple of 8)",
        )
    need = valid_cols // 8
    if m.shape[0] < valid_rows or m.valid[0] < valid_rows or m.valid[1] < need:
        dsl(f"pl.{op}: the mask's valid region {list(m.valid)} does not cover the "
            f"{valid_rows} rows x {need} bytes of a source with valid region "
            f"{list(source.valid)}")  # fmt: skip
    bits = np.zeros(source.shape, dtype=bool)
    rows = slice(0, valid_rows)
    bits[rows, :valid_cols] = np.unpackbits(m.data[rows, :need], axis=1, bitorder="little")
    undefined = None
    if m.poison is not None:
        undefined = np.zeros(source.shape, dtype=bool)
        undefined[rows, :valid_cols] = np.repeat(m.poison[rows, :need], 8, axis=1)
    return bits, undefined


def _selected(x, op: str) -> Tile:
    a = operand(x, op)
    tile_only(a, op)
    measured_dtypes_only(a, op, SELECTED, "INT32, FP16 and FP32")
    return a


def _scratch(tmp, op: str) -> None:
    """The scratch operand: any tile (its contents are not read, only its use is recorded)."""
    if not isinstance(tmp, Tile):
        dsl(f"pl.{op} needs a scratch tile as tmp (pl.create_tile([1, 32], dtype=pl.UINT8)), "
            f"got {type(tmp).__name__}")  # fmt: skip
    operand(tmp, op)


def sel(mask, lhs, rhs, tmp) -> Tile:
    """pl.sel(mask, a, b, tmp): a where the mask bit is set, else b."""
    begin("sel")
    m = _mask_tile(mask, "sel")
    a = _selected(lhs, "sel")
    b = _selected(rhs, "sel")
    matching_tiles("sel", a, b)
    _scratch(tmp, "sel")
    bits, undefined = _bits(m, a, "sel")
    data = np.where(bits, a.data, b.data)
    poison = None
    if a.poison is not None or b.poison is not None:
        pa = np.zeros(a.shape, bool) if a.poison is None else a.poison
        pb = np.zeros(b.shape, bool) if b.poison is None else b.poison
        poison = np.where(bits, pa, pb)
    poison = union(a.shape, poison, undefined)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", poison, a, b)


def sels(mask, src, tmp, scalar) -> Tile:
    """pl.sels(mask, a, tmp, s): a where the mask bit is set, else the scalar s."""
    begin("sels")
    m = _mask_tile(mask, "sels")
    a = _selected(src, "sels")
    _scratch(tmp, "sels")
    if not (is_number(scalar) or isinstance(scalar, Scalar)):
        dsl(f"pl.sels takes a scalar for the unset bits, got {type(scalar).__name__}")
    bits, undefined = _bits(m, a, "sels")
    data = np.where(bits, a.data, scalar_in(scalar, a.dtype)).astype(a.dtype.numpy)
    poison = None if a.poison is None else a.poison & bits
    poison = union(a.shape, poison, undefined)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", poison, a)


__all__ = ["cmp", "cmps", "sel", "sels"]
