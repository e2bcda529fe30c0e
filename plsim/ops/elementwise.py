"""Elementwise ops: tile (op) tile, [M,1] column broadcast, tile (op) scalar, unary ops.

Strict rules (docs/dsl.md §6.4, §8): both tile operands have one dtype; the only implicit
broadcast is an [M,1] column vector against [M,N] (either side for add/sub/mul, rhs only for
div); a scalar operand takes the tile's dtype; a float literal on an integer tile is refused
(MiscompileError: the compiler types it FP32 but emits the integer tile op).
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors, numerics
from plsim.context import dsl, fail
from plsim.errors import HardwareError
from plsim.memory import Tile, valid_box
from plsim.ops.common import (
    begin,
    count_vector,
    is_tile_level,
    no_integer_zero_divisor,
    operand,
    result,
    union,
)
from plsim.ops.vector_dtypes import check_vector_dtype
from plsim.scalars import Scalar, is_number

_COMMUTATIVE = ("add", "mul", "maximum", "minimum")
_DIV_DTYPES = (dt.INT16, dt.INT32, dt.FP16, dt.FP32)


def scalar_in(value, dtype: dt.DType):
    """A scalar operand converted to ``dtype``'s NumPy scalar type."""
    if isinstance(value, Scalar):
        value = value.value
    if dtype.is_float:
        return dtype.numpy.type(float(value))
    if isinstance(value, (float, np.floating)) and not float(value).is_integer():
        dsl(f"float scalar {value} used with an integer {dtype.name} tile")
    return np.array(int(value), dtype=np.int64).astype(dtype.numpy)[()]


def _poison_outside(rhs: Tile, valid) -> np.ndarray | None:
    """Cells inside ``valid`` that lie outside rhs's valid region (undefined in the result)."""
    if all(r >= v for r, v in zip(rhs.valid, valid)):
        return None
    mask = np.zeros(rhs.shape, dtype=bool)
    mask[valid_box(valid)] = True
    mask[valid_box(rhs.valid)] = False
    return mask


def binary(op: str, lhs, rhs) -> Tile:
    """pl.add/sub/mul/div/maximum/minimum."""
    begin(op)
    if is_number(lhs) and not is_number(rhs):
        if op not in _COMMUTATIVE:
            dsl(f"pl.{op}(scalar, tile) is not supported; the scalar must be the rhs")
        lhs, rhs = rhs, lhs
    a = operand(lhs, op)
    if is_number(rhs):
        return _tile_scalar(op, a, rhs)
    b = operand(rhs, op)
    if a.dtype is not b.dtype:
        fail(
            HardwareError,
            f"pl.{op} of {a.dtype.name} and {b.dtype.name} tiles: the compiler accepts it, but "
            "the vector instruction takes one tile type for both operands (see "
            "plsim.HardwareError); write pl.cast(<one operand>, target_type=<the other's dtype>) "
            "first",
        )
    dtype = a.dtype
    if op == "div" and dtype not in _DIV_DTYPES:
        dsl(f"pl.div supports INT16/INT32/FP16/FP32 tiles, got {dtype.name}")
    check_vector_dtype(op, dtype)
    gap = None
    if a.shape == b.shape:
        if op == "div" and a.valid != b.valid:
            # pypto checks tile.div's operands (fixture operand_rule_kernels.div_valid_shapes)
            dsl(
                f"pl.div of tiles with valid regions {list(a.valid)} and {list(b.valid)}: the "
                "compiler requires one valid shape for both operands (\"tile.div requires src0, "
                "src1, and dst to have the same valid_shape\"); give both the same valid_shape= "
                "(or pl.set_validshape one of them)"
            )
        valid = a.valid
        if op == "div":
            no_integer_zero_divisor("div", a, b.data)
        data = numerics.binary(op, a.data, b.data, dtype)
        gap = _poison_outside(b, valid)
    elif _is_column_of(b, a):
        if op not in ("add", "sub", "mul", "div"):
            dsl(f"pl.{op} does not broadcast an [M,1] column; use pl.row_expand_{op[:3]}")
        if op == "add":
            check_row_expand_add_rows(a, b, "add")
        if op == "div" and dtype not in (dt.FP16, dt.FP32):
            dsl(f"pl.div with an [M,1] rhs supports FP16/FP32, got {dtype.name}")
        valid = a.valid
        data = numerics.binary(op, a.data, np.broadcast_to(b.data, a.shape), dtype)
        if b.valid[0] < valid[0]:
            gap = np.zeros(a.shape, bool)
            gap[b.valid[0] : valid[0], : valid[1]] = True
    elif _is_column_of(a, b) and op in ("add", "sub", "mul"):
        valid = b.valid
        data = numerics.binary(op, np.broadcast_to(a.data, b.shape), b.data, dtype)
        if a.valid[0] < valid[0]:
            gap = np.zeros(b.shape, bool)
            gap[a.valid[0] : valid[0], : valid[1]] = True
    else:
        kind = HardwareError if _is_row_of(b, a) or _is_row_of(a, b) else errors.DSLError
        fail(
            kind,
            f"pl.{op} of shapes {list(a.shape)} and {list(b.shape)}: only equal shapes or an "
            "[M,1] column against [M,N] broadcast implicitly"
            + (
                " (the compiler accepts a [1,N] row, but emits one instruction over two tile "
                "types, see plsim.HardwareError)"
                if kind is HardwareError
                else ""
            )
            + "; use pl.col_expand_* / pl.row_expand_* for other forms"
            + read_notes(a, b),
        )
    count_vector(valid)
    # Undefined cells propagate (garbage stays garbage); they are an error only if they reach
    # an output or a scalar. Cells the operand's valid region does not cover are undefined too.
    poison = union(data.shape, a.poison, b.poison, gap)
    return result(data, dtype, valid, "vector", poison, a, b)


def check_row_expand_add_rows(x: Tile, vector: Tile, op: str) -> None:
    """pypto's tile.row_expand_add wants the [M, 1] vector's valid rows equal to the tile's
    (the other row_expand ops do not check; fixture operand_rule_kernels.row_expand_add_rows)."""
    if vector.valid[0] != x.valid[0]:
        dsl(
            f"pl.{op} of a tile with {x.valid[0]} valid rows and an [M, 1] column with "
            f"{vector.valid[0]}: the compiler lowers it to tile.row_expand_add, which requires "
            "equal valid rows (\"requires src1 valid row extent to match src0/dst\"); give the "
            "column the tile's valid rows (valid_shape= or pl.set_validshape)"
        )


def read_notes(*tiles: Tile) -> str:
    """'; the [24, 64] operand was read as x[0:24, 0:64] of x[32, 64] at f.py:11' per operand
    whose data comes from a GM read (a too-long read shows up first at the op that mixes it)."""
    notes = []
    for t in tiles:
        site = t.base.read_from
        if site is not None and site.made(t):
            file, line = site.location
            notes.append(
                f"the {list(t.shape)} operand was read as {site.describe()} at {file}:{line}"
            )
    return "".join(f"; {n}" for n in notes)


def _is_row_of(row: Tile, full: Tile) -> bool:
    return row.ndim == 2 and full.ndim == 2 and row.shape[0] == 1 and row.shape[1] == full.shape[1]


def _is_column_of(col: Tile, full: Tile) -> bool:
    return (
        col.ndim == 2 and full.ndim == 2 and col.shape[1] == 1 and full.shape[1] != 1
        and col.shape[0] == full.shape[0]
    )  # fmt: skip


def _tile_scalar(op: str, a: Tile, s) -> Tile:
    if isinstance(s, Scalar) and s.dtype is dt.INDEX:
        dsl(
            f"pl.{op} of a tile and an index scalar (a loop variable, a block index or arithmetic "
            'of them): the compiler rejects it ("Scalar operand has dtype `index`"); write '
            "pl.cast(v, pl.INT32) (and cast that to the tile's float type if needed)"
        )
    dtype = a.dtype
    data = a.data
    if op == "div" and dtype not in (*_DIV_DTYPES, dt.BF16):
        dsl(f"pl.div supports INT16/INT32/FP16/FP32 tiles, got {dtype.name}")
    check_vector_dtype(f"{op}s", dtype)
    literal_float = isinstance(s, (float, np.floating))
    if literal_float and not dtype.is_float:
        # pypto types tensor.<op>s of an integer tensor and an FP32 literal as FP32
        # (src/ir/op/tensor_ops/elementwise.cpp, DeduceTensorOpElementwiseScalarType promotes),
        # but lowers it to pto.t<op>s on the integer tile, whose scalar parameter has the tile's
        # type (pto-isa TMULS_IMPL(TileDst&, TileSrc&, typename TileSrc::DType scalar)): the
        # literal truncates (2.5 -> 2) and the result stays integer; a store of it into an FP32
        # tensor then copies integer bits (tstore_common.hpp checks only the element size).
        # Measured: op_kernels.literal_typing, INT32 ones * 2.5 -> 2.0 on a2a3sim.
        fail(
            errors.MiscompileError,
            f"pl.{op} of an {dtype.name} tile and the float literal {s!r}: the compiler types "
            f"the result FP32 but emits pto.t{op}s on the {dtype.name} tile, whose scalar "
            f"operand has the tile's type ({s!r} becomes {int(s)}) and whose result stays "
            f"{dtype.name} (pto-isa T{op.upper()}S_IMPL takes 'typename TileSrc::DType "
            f"scalar'); cast the tile first, pl.{op}(pl.cast(t, pl.FP32), {s!r}), or write an "
            "int literal",
        )
    value = scalar_in(s, dtype)
    if op == "div":
        no_integer_zero_divisor("divs", a, value)
    out = numerics.binary(op, data, value, dtype)
    count_vector(a.valid)
    return result(out, dtype, a.valid, "vector", union(out.shape, a.poison), a)


def unary(op: str, x) -> Tile:
    """pl.neg/abs/exp/sqrt/rsqrt/recip/log/relu."""
    begin(op)
    a = operand(x, op)
    if op == "relu" and a.base.level != "tile":
        # pypto has no tensor-level relu (fixture operand_rule_kernels.relu_of_tensor_slice)
        dsl(
            "pl.relu of a tensor-level value (a slice or a result computed from one): the "
            "compiler has only the tile form (\"The operator tile.relu requires argument to be a "
            "TileType, but got TensorType\"); write pl.maximum(x, pl.mul(x, 0.0)), or pl.relu of a "
            "tile from pl.load"
        )
    if op in ("exp", "sqrt", "rsqrt", "recip", "log") and not a.dtype.is_float:
        dsl(f"pl.{op} needs a float tile, got {a.dtype.name}")
    if op == "log" and a.dtype not in (dt.FP16, dt.FP32):
        dsl(f"pl.log supports FP16/FP32 tiles, got {a.dtype.name}")
    check_vector_dtype(op, a.dtype)
    data = numerics.unary(op, a.data, a.dtype)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", union(data.shape, a.poison), a)


def add(lhs, rhs):
    """pl.add(lhs, rhs)."""
    return binary("add", lhs, rhs)


def sub(lhs, rhs):
    """pl.sub(lhs, rhs)."""
    return binary("sub", lhs, rhs)


def mul(lhs, rhs):
    """pl.mul(lhs, rhs)."""
    return binary("mul", lhs, rhs)


def div(lhs, rhs, high_precision=False):
    """pl.div(lhs, rhs, high_precision=False)."""
    del high_precision
    return binary("div", lhs, rhs)


def maximum(lhs, rhs):
    """pl.maximum(lhs, rhs)."""
    return binary("maximum", lhs, rhs)


def minimum(lhs, rhs):
    """pl.minimum(lhs, rhs)."""
    return binary("minimum", lhs, rhs)


def neg(x):
    """pl.neg(x)."""
    return unary("neg", x)


def abs_(x):
    """pl.abs(x)."""
    return unary("abs", x)


def exp(x):
    """pl.exp(x)."""
    return unary("exp", x)


def sqrt(x):
    """pl.sqrt(x)."""
    return unary("sqrt", x)


def rsqrt(x, high_precision=False, tmp=None):
    """pl.rsqrt(x, high_precision=False); pl.tile.rsqrt(tile, tmp) takes a scratch tile in its
    place. ``high_precision=True`` of a tile is refused, as pypto refuses it (fixture
    rejected_kernels.rsqrt_high_precision_tile)."""
    if isinstance(high_precision, Tile) or isinstance(tmp, Tile):
        operand(high_precision if isinstance(high_precision, Tile) else tmp, "rsqrt")
    elif high_precision and is_tile_level(x):
        dsl("pl.rsqrt(tile, high_precision=True): the compiler refuses it (\"'high_precision' is "
            "not supported for Tile operands. The tile form selects precision by taking a "
            "scratch tile: pl.tile.rsqrt(tile, tmp)\")")  # fmt: skip
    return unary("rsqrt", x)


def recip(x, high_precision=False):
    """pl.recip(x)."""
    del high_precision
    return unary("recip", x)


def log(x, high_precision=False):
    """pl.log(x, high_precision=False); plsim computes one correctly rounded value either way
    (a2a3sim's high-precision log of [1, 3] within 6e-8 of it)."""
    del high_precision
    return unary("log", x)


def scalar_form(op: str):
    """pl.tile.adds / subs / muls / divs (and pl.tensor's): ``op`` of a value and a scalar."""

    def fn(lhs, rhs):
        if not (is_number(rhs) or isinstance(rhs, Scalar)):
            dsl(f"pl.{op}s takes a scalar second operand, got {type(rhs).__name__}; use pl.{op}")
        return binary(op, lhs, rhs)

    fn.__name__ = fn.__qualname__ = f"{op}s"
    fn.__doc__ = f"pl.tile.{op}s(x, s): pl.{op} of a value and a scalar."
    return fn


def relu(x):
    """pl.relu(x)."""
    return unary("relu", x)


#: pl.cmp cmp_type codes (pypto tensor_ops.cmp: 0=eq, 1=ne, 2=lt, 3=le, 4=gt, 5=ge).
_CMP = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)


def cmp(lhs, rhs, cmp_type: int = 0) -> Tile:
    """pl.cmp(lhs, rhs, cmp_type=0) on a tensor-level value: 1 where the comparison holds,
    else 0, in lhs's dtype and shape (pypto tensor_ops.cmp). The tile-level form, a packed
    predicate mask, is plsim.ops.select.cmp's.

    The result is valid over its whole shape whatever the operands' valid regions (pypto's
    alloc_tile for the result: static full valid_row/valid_col; fixture
    valid_shape_kernels.cmp_partial): cells outside lhs's valid region compare undefined data.
    """
    begin("cmp")
    if isinstance(cmp_type, bool) or not isinstance(cmp_type, int) or not 0 <= cmp_type < 6:
        dsl(f"pl.cmp cmp_type must be an int 0..5 (eq, ne, lt, le, gt, ge), got {cmp_type!r}")
    a = operand(lhs, "cmp")
    compare = _CMP[cmp_type]
    if is_number(rhs):
        if isinstance(rhs, Scalar) and rhs.dtype is dt.INDEX:
            dsl("pl.cmp of a tile and an index scalar: write pl.cast(v, pl.INT32) first")
        hit = compare(a.data, scalar_in(rhs, a.dtype))
        poison = union(a.data.shape, a.poison)
        sources = (a,)
    else:
        b = operand(rhs, "cmp")
        if a.dtype is not b.dtype or a.shape != b.shape:
            dsl(f"pl.cmp of {a.dtype.name}{list(a.shape)} and {b.dtype.name}{list(b.shape)}: "
                "the operands need one dtype and one shape")  # fmt: skip
        hit = compare(a.data, b.data)
        poison = union(a.data.shape, a.poison, b.poison, _poison_outside(b, a.valid))
        sources = (a, b)
    outside = np.ones(a.shape, bool)
    outside[valid_box(a.valid)] = False
    poison = union(a.shape, poison, outside)
    count_vector(a.shape)
    out = result(hit.astype(a.dtype.numpy), a.dtype, a.shape, "vector", poison, *sources)
    out.runtime_valid = None  # typed with a static full valid region
    return out
