"""Row/column reductions and the row/col expand (broadcast) family (docs/dsl.md §9)."""

from __future__ import annotations

import numpy as np

from plsim import aiv_regions, errors, numerics
from plsim.context import dsl, fail, warn
from plsim.memory import Tile, poison_value, valid_box
from plsim.ops.common import begin, count_vector, is_tile_level, operand, result, union
from plsim.ops.elementwise import scalar_in
from plsim.ops.vector_dtypes import check_vector_dtype
from plsim.scalars import is_number

_EXPAND_OPS = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "max": "maximum", "min": "minimum",
}  # fmt: skip


#: Column reductions a2a3's ptoas builds on integer tiles but pto-isa's CPU backend, and so
#: a2a3sim, builds for float tiles only (measured: static assertions in TColSum.hpp / TColMax.hpp;
#: col_min and col_prod, and every row reduction, build on INT32 and INT16).
_CPU_FLOAT_ONLY = {"col_sum": "TColSum", "col_max": "TColMax"}


def reduce(op: str, x, axis: int, name: str) -> Tile:
    """Reduce over the valid cells of the last (axis=-1) or second-to-last (axis=-2) axis."""
    begin(name)
    a = operand(x, name)
    if a.ndim < 2:
        dsl(f"pl.{name} needs a tile of rank >= 2, got {list(a.shape)}")
    aiv_regions.check_reduction(name, axis, a)
    check_vector_dtype(name, a.dtype)
    if name in _CPU_FLOAT_ONLY and not a.dtype.is_float:
        warn(
            f"pl.{name} of {a.dtype.name} values builds for the device (pypto and ptoas take "
            "it), but this toolchain's a2a3sim cannot build it (pto-isa's CPU "
            f"{_CPU_FLOAT_ONLY[name]} asserts a float element type: \"Not supported data "
            "type\", measured on INT32 and INT16); plsim's values are checked against NumPy only",
            stacklevel=3,
        )
    out_shape = list(a.shape)
    out_shape[axis] = 1
    out_valid = list(a.valid)
    out_valid[axis] = 1 if a.valid[axis] > 0 else 0
    data = np.full(out_shape, poison_value(a.dtype), dtype=a.dtype.numpy)
    if a.valid == a.shape:
        data[...] = numerics.reduce(op, a.data, axis, a.dtype)
    elif all(out_valid):
        src = np.ascontiguousarray(a.data[valid_box(a.valid)])
        data[valid_box(out_valid)] = numerics.reduce(op, src, axis, a.dtype)
    poison = None
    if a.poison is not None and all(out_valid):
        # A reduced cell is undefined if any cell it reads is.
        poison = np.zeros(out_shape, bool)
        box = a.poison[valid_box(a.valid)]
        poison[valid_box(out_valid)] = box.any(axis=axis, keepdims=True)
    count_vector(a.valid)
    return result(data, a.dtype, out_valid, "vector", poison, a)


def check_scratch_rule(x, tmp, name: str, rule: str) -> None:
    """pypto's dispatch of a reduction's scratch tile (unified_ops): a tensor-level input must
    not pass one ("Tensor inputs must not pass tmp_tile"); a tile input must for the row
    reductions ("Tile inputs require tmp_tile ..."), may for col_sum, and col_max / col_min /
    col_prod take none (fixtures tests/plsim_conformance/kernels/scratch_rule_kernels.py)."""
    tile_level = is_tile_level(x)
    if tmp is not None and rule == "none":
        dsl(f"pl.{name} takes no tmp_tile (the compiler: \"unexpected keyword argument "
            "'tmp_tile'\")")  # fmt: skip
    if tmp is not None and not tile_level:
        dsl(f"pl.{name} of a tensor-level value with tmp_tile: the compiler refuses it (\"Tensor "
            "inputs must not pass tmp_tile — the scratch tile is allocated during "
            "Tensor-to-Tile lowering\"); drop tmp_tile")  # fmt: skip
    if tmp is None and tile_level and rule == "required":
        dsl(f"pl.{name} of a tile without tmp_tile: the compiler refuses it (\"Tile inputs "
            "require tmp_tile with the same dtype and rank as the input, and every dimension at "
            f"least as large\"); pass pl.create_tile(<the input's shape>, dtype=<its dtype>)")


def check_scratch(x, tmp, name: str) -> None:
    """Check a reduction's scratch tile: a tile with the input's dtype and rank, and every
    dimension at least the input's (pypto unified_ops row reductions); it counts as used."""
    if not isinstance(tmp, Tile):
        dsl(f"pl.{name} tmp_tile must be a tile (pl.create_tile), got {type(tmp).__name__}")
    if isinstance(x, Tile):
        if tmp.dtype is not x.dtype or tmp.ndim != x.ndim:
            dsl(
                f"pl.{name} tmp_tile is a {list(tmp.shape)} {tmp.dtype.name} tile; it must have "
                f"the input's dtype {x.dtype.name} and rank {x.ndim}"
            )
        if any(t < n for t, n in zip(tmp.shape, x.shape)):
            dsl(
                f"pl.{name} tmp_tile shape {list(tmp.shape)} is smaller than the input "
                f"{list(x.shape)} on some axis; every dimension must be at least the input's"
            )
    operand(tmp, name)


def _expand(kind: str, op: str, x, v) -> Tile:
    name = f"{kind}_expand_{op}"
    begin(name)
    a = operand(x, name)
    b = operand(v, name)
    if a.ndim != 2 or b.ndim != 2:
        dsl(f"pl.{name} takes 2-D tiles, got {list(a.shape)} and {list(b.shape)}")
    if a.dtype is not b.dtype:
        dsl(f"pl.{name} of {a.dtype.name} and {b.dtype.name}: dtypes must match")
    check_vector_dtype(name, a.dtype)
    m, n = a.shape
    if kind == "row" and b.shape != (m, 1):
        dsl(f"pl.{name}: the vector must be [{m}, 1] for a [{m}, {n}] tile, got {list(b.shape)}")
    if kind == "col" and b.shape != (1, n):
        dsl(f"pl.{name}: the vector must be [1, {n}] for a [{m}, {n}] tile, got {list(b.shape)}")
    if kind == "row" and op == "add":
        from plsim.ops.elementwise import check_row_expand_add_rows

        check_row_expand_add_rows(a, b, name)
    # [M,1] / [1,N] against [M,N]: the ufunc broadcasts (same values as an explicit
    # np.broadcast_to, which costs as much as the op on a small tile).
    vec = b.data
    if op == "expdif":
        diff = numerics.binary("sub", a.data, vec, a.dtype)
        data = numerics.unary("exp", diff, a.dtype)
    else:
        data = numerics.binary(_EXPAND_OPS[op], a.data, vec, a.dtype)
    poison = union(a.shape, a.poison, b.poison, _vector_gap(kind, a.valid, b.valid, a.shape))
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", poison, a, b)


def _vector_gap(kind: str, valid, vec_valid, shape):
    """Cells of the result whose vector entry lies outside the vector's valid region."""
    if kind == "row" and vec_valid[0] < valid[0]:
        mask = np.zeros(shape, bool)
        mask[vec_valid[0] : valid[0], : valid[1]] = True
        return mask
    if kind == "col" and vec_valid[1] < valid[1]:
        mask = np.zeros(shape, bool)
        mask[: valid[0], vec_valid[1] : valid[1]] = True
        return mask
    return None


def row_expand_op(op: str):
    """pl.row_expand_<op>(x [M,N], v [M,1]). pypto's row_expand_add of tiles also takes a
    scratch tile (a tensor-level one must not), but ptoas does not parse what pypto emits then."""

    def fn(x, v, tmp=None):
        if tmp is not None:
            if op != "add":
                dsl(f"pl.row_expand_{op} takes no tmp (only pl.row_expand_add of tiles does)")
            if not is_tile_level(x):
                dsl("pl.row_expand_add of tensor-level values with tmp: the compiler refuses it "
                    "(\"Tensor inputs must not pass tmp\"); drop tmp")  # fmt: skip
            fail(
                errors.HardwareError,
                "pl.row_expand_add(..., tmp) of tiles: pypto emits a pto.trowexpandadd with the "
                "scratch as a third input, which this chain's ptoas does not parse (\"expected "
                "':'\", measured: fixture scratch_rule_kernels.row_expand_add_with_scratch); "
                "drop tmp",
            )
        return _expand("row", op, x, v)

    fn.__name__ = f"row_expand_{op}"
    fn.__doc__ = f"pl.row_expand_{op}(x [M,N], v [M,1]): x[i,j] {op} v[i,0]."
    return fn


def col_expand_op(op: str):
    """pl.col_expand_<op>(x [M,N], r [1,N])."""

    def fn(x, r):
        return _expand("col", op, x, r)

    fn.__name__ = f"col_expand_{op}"
    fn.__doc__ = f"pl.col_expand_{op}(x [M,N], r [1,N]): x[i,j] {op} r[0,j]."
    return fn


def _broadcast(kind: str, x, v) -> Tile:
    name = f"{kind}_expand"
    begin(name)
    a = operand(x, name)
    b = operand(v, name)
    m, n = a.shape
    want = (m, 1) if kind == "row" else (1, n)
    if b.shape != want:
        dsl(f"pl.{name}: the vector must be {list(want)} for a [{m}, {n}] tile")
    if a.dtype is not b.dtype:
        dsl(f"pl.{name} of {a.dtype.name} and {b.dtype.name}: dtypes must match")
    data = np.array(np.broadcast_to(b.data, a.shape))
    poison = union(a.shape, b.poison, _vector_gap(kind, a.valid, b.valid, a.shape))
    count_vector(a.valid)
    return result(data, b.dtype, a.valid, "vector", poison, b)


def row_expand(x, v):
    """pl.row_expand(x, v): v [M,1] broadcast to x's shape (x supplies only the shape)."""
    return _broadcast("row", x, v)


def col_expand(x, r):
    """pl.col_expand(x, r): r [1,N] broadcast to x's shape."""
    return _broadcast("col", x, r)


def expands(x, s):
    """pl.expands(x, s): x's shape filled with scalar s (in x's dtype).

    The compiler parses it but has no code generation for it ("No codegen registered for
    operation: tile.expands", fixture operand_rule_kernels.expands_tile), so plsim refuses it.
    """
    begin("expands")
    dsl(
        "pl.expands: the compiler has no code generation for it (\"No codegen registered for "
        "operation: tile.expands\"); write pl.full(shape, dtype=..., value=s)"
    )
    a = operand(x, "expands")
    if not is_number(s):
        dsl("pl.expands(x, s) needs a scalar s")
    data = np.full(a.shape, scalar_in(s, a.dtype), dtype=a.dtype.numpy)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid)
