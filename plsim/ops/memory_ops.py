"""Loads, stores, views and scalar accesses: subscripts, pl.slice, pl.assemble, pl.reshape,
pl.read / pl.write, pl.create_tensor, pl.full, pl.arange, pl.fillpad, pl.set_validshape."""

from __future__ import annotations

import math

import numpy as np

from plsim import dtypes as dt
from plsim import errors, numerics
from plsim.accounting import count_transfer
from plsim.context import STATE, dsl, fail, kernel_location
from plsim.memory import (
    GMBuffer,
    GMTensor,
    Tile,
    describe_origin,
    poison_value,
    valid_box,
)
from plsim.ops import view_rules
from plsim.ops.common import begin, check_poison, count_vector, dtype_arg, operand, result
from plsim.ops.loads import load, record_access
from plsim.scalars import Scalar, is_number, to_int
from plsim.source_names import assigned_names


# --- subscripts ----------------------------------------------------------------------------
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


def _check_window(src_shape, starts, extents, what: str) -> None:
    for axis, (s, e, n) in enumerate(zip(starts, extents, src_shape)):
        if s < 0 or s + e > n:
            fail(
                errors.OutOfBoundsError,
                f"{what} [{s}:{s + e}] is outside dimension {axis} of size {n} "
                f"(shape {list(src_shape)})",
            )


def subscript(obj, key):
    """``obj[key]``: a view (orchestration), a load (InCore), a tile subview or a scalar read."""
    if isinstance(obj, GMTensor):
        starts, extents, drop = parse_key(key, obj.shape, "tensor")
        if len(drop) == obj.ndim:
            return read(obj, starts)
        if not STATE.scopes:
            _check_window(obj.shape, starts, extents, "view")
            return obj.window(starts, extents, drop)
        STATE.seq += 1
        return load(obj, starts, extents, drop=drop)
    if isinstance(obj, Tile):
        starts, extents, drop = parse_key(key, obj.shape, "tile")
        if len(drop) == obj.ndim:
            return read(obj, starts)
        STATE.seq += 1
        return tile_view(obj, starts, extents, drop, runtime=_runtime_starts(key))
    dsl(f"cannot subscript {type(obj).__name__}")
    return None


def _runtime_starts(key) -> bool:
    """True if a subscript's start on some axis is a runtime Scalar (not a constant)."""
    items = key if isinstance(key, tuple) else (key,)
    return any(
        isinstance(k.start if isinstance(k, slice) else k, Scalar) for k in items
    )


def tile_view(t: Tile, starts, extents, drop=(), runtime: bool = False) -> Tile:
    """Zero-copy subview of a tile; the valid region is the parent's, cut by the window.

    ``runtime``: some start is a runtime value (plsim.ops.view_rules.check_reshape_source).
    """
    _check_window(t.shape, starts, extents, "tile subview")
    view_rules.check_subview(t)
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


def subscript_assign(obj, key, value) -> None:
    """``obj[key] = value``: a store/assemble of the value's valid rectangle, or a pl.write."""
    what = "tensor" if isinstance(obj, GMTensor) else "tile"
    if isinstance(obj, GMTensor) and isinstance(value, Tile) and value.base.level == "tile":
        dsl(
            "a tile-level value (made by pl.load / pl.create_tile / pl.move, or computed from "
            'one) as the source of tensor[...] = value: the compiler rejects it ("Subscript-'
            'write source must also be a tensor, got TileType"); write pl.store(value, '
            "[row, col], tensor)"
        )
    starts, extents, drop = parse_key(key, obj.shape, what)
    if len(drop) == len(obj.shape) and is_number(value):
        write(obj, starts, value)
        return
    _assemble(obj, value, starts, drop=drop, extents=extents)


def pl_slice(tensor, shape, offset, valid_shape=None, drop_dims=None, pad_value=None, clamp=False):
    """pl.slice(input, shape, offset, valid_shape=None, drop_dims=None, pad_value=None, clamp)."""
    shape = [to_int(n, "slice shape") for n in shape]
    raw_offset = list(offset)
    offset = [to_int(o, "slice offset") for o in offset]
    if len(shape) != len(tensor.shape) or len(offset) != len(tensor.shape):
        dsl(f"pl.slice needs full-rank shape and offset for a rank-{len(tensor.shape)} input")
    drop = tuple(int(d) % len(shape) for d in (drop_dims or ()))
    for d in drop:
        if shape[d] != 1:
            dsl(f"drop_dims axis {d} has extent {shape[d]}, must be 1")
    if isinstance(tensor, GMTensor):
        if not STATE.scopes:
            if valid_shape is not None or clamp:
                dsl("valid_shape/clamp slices of a GM tensor belong inside an InCore scope")
            _check_window(tensor.shape, offset, shape, "view")
            return tensor.window(offset, shape, drop)
        STATE.seq += 1
        return load(tensor, offset, shape, valid=valid_shape, clamp=clamp, drop=drop)
    if isinstance(tensor, Tile):
        if clamp:
            dsl("clamp=True is only accepted for tensor slices")
        STATE.seq += 1
        runtime = any(isinstance(o, Scalar) for o in raw_offset)
        view = tile_view(tensor, offset, shape, drop, runtime=runtime)
        if valid_shape is not None:
            flags = view_rules.runtime_flags(valid_shape)
            valid = [to_int(v, "valid_shape") for v in valid_shape]
            if drop:
                valid = [v for i, v in enumerate(valid) if i not in drop]
                flags = flags and tuple(f for i, f in enumerate(flags) if i not in drop)
            view = _with_valid(view, [min(a, b) for a, b in zip(view.valid, valid)], flags)
        return view
    dsl(f"pl.slice of {type(tensor).__name__}")
    return None


# --- stores --------------------------------------------------------------------------------
def assemble(target, source, offset, *, atomic=None):
    """pl.assemble(target, source, offset): write the source's valid rectangle at offset."""
    mode = getattr(atomic, "name", "None_") if atomic is not None else "None_"
    if mode not in ("None_", "Add"):
        dsl(f"pl.assemble(atomic={atomic!r}): plsim knows AtomicType.Add only")
    offset = [to_int(o, "assemble offset") for o in offset]
    if mode == "Add":
        if not (isinstance(target, GMTensor) and STATE.scopes):
            dsl("pl.assemble(atomic=pl.AtomicType.Add) adds a tile into a GM tensor in a scope")
        STATE.seq += 1
        store(target, operand(source, "assemble", store=True), offset, atomic=True)
        return target
    _assemble(target, source, offset)
    return target


def _atomic_add(buf, region: GMTensor, values: np.ndarray) -> np.ndarray:
    """old + values for an atomic-add store (the DMA adds in the target dtype on the way in;
    tests/pyptolib/kernels/atomic_add.py compiles)."""
    if buf.dtype not in (dt.FP32, dt.INT32):
        dsl(f"pl.assemble(atomic=Add) into a {buf.dtype.name} tensor: plsim adds FP32 or INT32")
    if buf.written is not None and not region.of(buf.written).all():
        fail(
            errors.UninitializedReadError,
            f"atomic add into '{buf.name}' where it was never written: the sum starts from "
            "undefined data (zero the tensor first, e.g. pl.create_tensor(..., init_value=0))",
        )
    old = region.of(buf.data)
    if buf.dtype is dt.INT32:
        return (old.astype(np.int64) + values).astype(np.int32)  # wraps like the device adder
    return (old + values).astype(np.float32)


def _assemble(target, value, starts, drop=(), extents=None) -> None:
    if isinstance(target, GMTensor):
        if not STATE.scopes:
            if isinstance(value, GMTensor):
                _orchestration_copy(target, value, starts, drop)
                return
            dsl("orchestration can only assemble GM tensors; tiles exist inside InCore scopes")
        STATE.seq += 1
        src = operand(value, "assemble", store=True)
        store(target, src, starts, drop, extents)
        return
    if isinstance(target, Tile):
        begin("assemble")
        src = operand(value, "assemble")
        if isinstance(value, Tile):  # a GM source is a DMA into the window, not a tile move
            view_rules.check_tile_move(src, target)
        _tile_assemble(target, src, starts, drop, extents)
        return
    dsl(f"cannot assemble into {type(target).__name__}")


def _expand_rank(src: Tile, ndim: int, drop) -> tuple[list[int], list[int]]:
    """Shape and valid of ``src`` lifted to rank ``ndim`` (dropped axes and leading 1s)."""
    shape, valid = list(src.shape), list(src.valid)
    for axis in sorted(drop):
        shape.insert(axis, 1)
        valid.insert(axis, 1)
    while len(shape) < ndim:
        shape.insert(0, 1)
        valid.insert(0, 1)
    if len(shape) > ndim:
        # A [1, N] tile stored into a 1-D tensor: leading unit axes may go.
        while len(shape) > ndim and shape[0] == 1:
            shape.pop(0)
            valid.pop(0)
        if len(shape) > ndim:
            dsl(f"cannot store a rank-{src.ndim} {list(src.shape)} tile into a rank-{ndim} tensor")
    return shape, valid


def promote_written_input(buf) -> None:
    """A parameter declared pl.Tensor (In) that the kernel writes becomes InOut.

    The compiler infers the direction from the body and promotes such a parameter to InOut
    (tests/pyptolib/kernels/write_in_param.py compiles), and the device writes the caller's
    memory in place; plsim does the same. A read-only caller array cannot take the write.
    """
    if buf.kind != "in":
        return
    if not buf.data.flags.writeable:
        dsl(
            f"write to parameter '{buf.name}' (declared pl.Tensor, promoted to InOut by the "
            "write) but its argument is a read-only array; pass a writable array"
        )
    buf.kind = "inout"


def store(dst: GMTensor, src: Tile, starts, drop=(), extents=None, atomic=False) -> None:
    """Store ``src``'s valid rectangle into ``dst`` at ``starts`` (tile -> GM); with
    ``atomic`` the values are added to what is there (pl.assemble(atomic=Add))."""
    buf = dst.buf
    promote_written_input(buf)
    _, valid = _expand_rank(src, dst.ndim, drop)
    if extents is not None:
        for axis, (v, e) in enumerate(zip(valid, extents)):
            if v > e:
                too_long(
                    errors.DSLError,
                    src,
                    axis,
                    v,
                    f"the stored tile's valid extent {v} exceeds the subscript extent {e} on "
                    f"axis {axis}",
                )
    for axis, (s, v, n) in enumerate(zip(starts, valid, dst.shape)):
        if s < 0 or s + v > n:
            detail = (
                f"store into {buf.name}{list(dst.shape)} writes past dimension {axis}: offset "
                f"{s} + valid {v} > {n}"
            )
            if v > n:  # no offset fits: the tile itself is too long
                too_long(errors.OutOfBoundsError, src, axis, v, detail)
            fail(errors.OutOfBoundsError, detail + read_note(src, axis, v))
    values = src.data[valid_box(src.valid)]
    undefined = None
    if src.poison is not None:
        undefined = src.poison[valid_box(src.valid)]
        if not undefined.any():
            undefined = None
        elif buf.kind != "scratch":
            # Undefined data (never-written GM, cells outside a valid region) reaching a kernel
            # parameter is a kernel bug; in a scratch tensor it just stays undefined.
            check_poison(src, f"store into '{buf.name}'")
    if src.dtype is not buf.dtype:
        if src.base.origin == "cube" and src.dtype is dt.FP32 and buf.dtype in (dt.BF16, dt.FP16):
            # FIXPIPE narrows an FP32 accumulator on its way out, rounding to nearest-even.
            values = numerics.cast(np.ascontiguousarray(values), dt.FP32, buf.dtype, "rint")
        else:
            dsl(
                f"store of a {src.dtype.name} tile into {buf.dtype.name} tensor '{buf.name}': "
                "dtypes must match (pl.cast first)"
            )
    nbytes = values.size * buf.dtype.itemsize
    if nbytes == 0:
        return
    region = dst.window(starts, valid)
    if atomic:
        if undefined is not None:
            check_poison(src, f"atomic add into '{buf.name}'")
        values = _atomic_add(buf, region, values.reshape(region.shape))
    unchanged = STATE.race_trackers and _stores_what_is_there(buf, region, values, undefined)
    region.of(buf.data)[...] = values.reshape(region.shape)
    if undefined is not None:
        undefined = undefined.reshape(region.shape)
        if buf.written is None:
            buf.written = np.ones(buf.data.shape, dtype=bool)
        region.of(buf.written)[...] = ~undefined
        buf.record_undefined(region, undefined, src.poison_from or src.base.location)
    elif buf.written is not None:
        region.of(buf.written)[...] = True
    if buf.stored_mask is not None:
        region.of(buf.stored_mask)[...] = True
    count_transfer(STATE.scopes[-1].stats, "write", nbytes, region)
    if STATE.race_trackers:
        # Atomic adds from different iterations do not race with each other, and a store of
        # the bytes already there (a no-op self-copy that only orders tasks, pypto-lib
        # decode_sparse_attn) changes nothing another iteration could read: it is a read.
        record_access(region, "atomic" if atomic else "read" if unchanged else "write")


def too_long(cls: type[errors.SimError], src: Tile, axis: int, extent: int, detail: str) -> None:
    """Raise ``cls`` for a tile whose ``extent`` on ``axis`` does not fit where it goes.

    When that extent is the one a GM read gave the tile's data (the read's window or valid
    shape, same rank), the read is the line to fix: the error names it first, with its slice
    and the source's bounds, and the line where the tile did not fit. Otherwise the error is
    at the current line, noting where the data was read.
    """
    site = src.base.read_from
    here = kernel_location()
    if site is None:
        fail(cls, detail, here)
    rank_matches = len(site.shape) == len(src.shape) and axis < len(site.shape)
    if rank_matches and extent in (site.shape[axis], site.valid[axis]):
        file, line = site.location
        raise cls(
            f"{file}:{line} [scope '{site.scope}']: the read {site.describe()} gives a tile "
            f"{extent} long on axis {axis}, too long for where it goes at {here[0]}:{here[1]}: "
            f"{detail}; shorten the read here (or cut the tile with pl.slice / valid_shape), "
            "or widen the destination"
        )
    file, line = site.location
    fail(cls, f"{detail} (the tile's data was read as {site.describe()} at {file}:{line})", here)


def read_note(src: Tile, axis: int, extent: int) -> str:
    """' (the tile's data was read as x[a:b, ...] (x is [..]) at f.py:N)' when a GM read gave
    ``src`` its ``extent`` on ``axis`` (the read may be the line to fix), else ''."""
    site = src.base.read_from
    if site is None or len(site.shape) != len(src.shape) or axis >= len(site.shape):
        return ""
    if extent not in (site.shape[axis], site.valid[axis]):
        return ""
    file, line = site.location
    return f" (the tile's data was read as {site.describe()} at {file}:{line})"


def _stores_what_is_there(buf, region: GMTensor, values: np.ndarray, undefined) -> bool:
    """True if a store writes exactly the defined bytes its target already holds."""
    if undefined is not None:
        return False
    if buf.written is not None and not region.of(buf.written).all():
        return False
    old = region.of(buf.data)
    new = np.asarray(values).reshape(old.shape)
    return old.dtype == new.dtype and old.tobytes() == new.tobytes()


def _tile_assemble(target: Tile, src: Tile, starts, drop=(), extents=None) -> None:
    if src.dtype is not target.dtype:
        dsl(f"assemble of a {src.dtype.name} tile into a {target.dtype.name} tile")
    _, valid = _expand_rank(src, target.ndim, drop)
    for axis, (s, v, n) in enumerate(zip(starts, valid, target.shape)):
        if s < 0 or s + v > n:
            detail = (
                f"assemble into a {list(target.shape)} tile writes past dimension {axis}: "
                f"offset {s} + valid {v} > {n}"
            )
            if v > n:  # no offset fits: the tile itself is too long
                too_long(errors.OutOfBoundsError, src, axis, v, detail)
            fail(errors.OutOfBoundsError, detail + read_note(src, axis, v))
    box = tuple(slice(s, s + v) for s, v in zip(starts, valid))
    target.data[box] = src.data[valid_box(src.valid)].reshape([v for v in valid])
    target.base.last_use = STATE.seq
    src_poison = None
    if src.poison is not None:
        src_poison = src.poison[valid_box(src.valid)].reshape([v for v in valid])
        if not src_poison.any():
            src_poison = None
    if src_poison is not None:
        if target.poison is None:
            target.poison = np.zeros(target.shape, dtype=bool)
            target.poison_from = src.poison_from
        target.poison[box] = src_poison
    elif target.poison is not None:
        target.poison[box] = False
        if not target.poison.any():
            target.poison = None
    # The written rectangle joins the target's valid region when it extends it from the origin.
    new_valid = list(target.valid)
    for axis in range(target.ndim):
        others_cover = all(
            starts[a] + valid[a] <= target.valid[a] or a == axis for a in range(target.ndim)
        )
        if others_cover and starts[axis] <= target.valid[axis]:
            new_valid[axis] = max(new_valid[axis], starts[axis] + valid[axis])
    runtime_axes = target.runtime_valid or ()
    unprovable = any(
        dynamic and (starts[axis] > 0 or starts[axis] + valid[axis] > target.valid[axis])
        for axis, dynamic in enumerate(runtime_axes)
    )
    if unprovable or tuple(new_valid) != tuple(target.valid):
        _refuse_growing_assemble(target, new_valid)
    target.valid = tuple(new_valid)


def _refuse_growing_assemble(target: Tile, grown) -> None:
    """An assemble into a tile that extends the tile's valid region.

    With constant extents pypto types the result as grown, but the tile buffer keeps its old
    valid rows, and a2a3sim stores only those (fixture operand_rule_kernels.assemble_grows_valid:
    4 of 8 rows); with runtime extents the compiler refuses it ("tensor.assemble leaves a gap
    ... not provably at or before the target valid extent").
    """
    text = (
        f"pl.assemble into a tile with valid region {list(target.valid)} that would extend it "
        f"to {list(grown)}"
    )
    if target.runtime_valid is not None:
        dsl(
            f"pl.assemble into a tile whose valid extent is a runtime value (now "
            f"{list(target.valid)}), writing where the compiler cannot prove it inside or "
            "adjacent: the compiler refuses it "
            "(\"tensor.assemble leaves a gap ... not provably at or before the target valid "
            "extent\"); assemble into a tile that is valid over its whole shape (pl.full)"
        )
    fail(
        errors.MiscompileError,
        f"{text}: pypto types the result as grown, but the tile buffer keeps its old valid "
        "rows and a2a3sim stores only those; assemble into a tile that is valid over its whole "
        "shape (pl.full / pl.create_tile), or pl.set_validshape the result",
    )


def _orchestration_copy(dst: GMTensor, src: GMTensor, starts, drop) -> None:
    promote_written_input(dst.buf)
    region = dst.window(starts, [n for n in src.shape], ())
    _check_window(dst.shape, starts, list(src.shape), "assemble")
    if src.dtype is not dst.dtype:
        dsl(f"assemble of a {src.dtype.name} tensor into a {dst.dtype.name} tensor")
    defined = None
    if src.buf.written is not None and not src.of(src.buf.written).all():
        if dst.buf.kind != "scratch":
            fail(
                errors.UninitializedReadError,
                f"orchestration copy into '{dst.buf.name}' reads never-written elements of "
                f"'{src.buf.name}'",
            )
        defined = np.array(src.of(src.buf.written), copy=True)
    region.of(dst.buf.data)[...] = src.data()
    if defined is not None:
        if dst.buf.written is None:
            dst.buf.written = np.ones(dst.buf.data.shape, dtype=bool)
        region.of(dst.buf.written)[...] = defined
        dst.buf.copy_undefined_origins(region, src)
    elif dst.buf.written is not None:
        region.of(dst.buf.written)[...] = True


# --- scalars -------------------------------------------------------------------------------
def _scalar_index(shape, idx, what: str) -> tuple[int, ...]:
    if is_number(idx):
        idx = [idx]
    idx = [to_int(i, f"{what} index") for i in idx]
    if len(idx) != len(shape):
        dsl(f"{what} needs {len(shape)} indices for a rank-{len(shape)} value, got {len(idx)}")
    for axis, (i, n) in enumerate(zip(idx, shape)):
        if i < 0 or i >= n:
            fail(
                errors.OutOfBoundsError,
                f"{what} index {idx} is outside dimension {axis} of size {n}",
            )
    return tuple(idx)


def read(obj, idx) -> Scalar:
    """pl.read(tensor_or_tile, [i, j, ...]): a scalar of the element dtype."""
    if isinstance(obj, GMTensor):
        index = _scalar_index(obj.shape, idx, "pl.read")
        one = obj.window(index, [1] * obj.ndim)
        buf = obj.buf
        if buf.written is not None and not one.of(buf.written).all():
            origin = buf.undefined_origin(one, ~one.of(buf.written))
            fail(
                errors.UninitializedReadError,
                f"pl.read of {buf.name}{list(index)}: that element was never written"
                if origin is None
                else f"pl.read of {buf.name}{list(index)}: that element holds undefined data. "
                f"The undefined data comes from {describe_origin(origin)}",
            )
        value = one.of(buf.data).reshape(-1)[0]
        if STATE.scopes:
            count_transfer(STATE.scopes[-1].stats, "read", buf.dtype.itemsize, one)
        if buf.read_mask is not None:
            one.of(buf.read_mask)[...] = True
        if STATE.race_trackers:
            record_access(one, "read")
        return Scalar(value.item(), buf.dtype)
    if isinstance(obj, Tile):
        index = _scalar_index(obj.shape, idx, "pl.read")
        STATE.seq += 1
        obj.base.last_use = STATE.seq
        inside = all(i < v for i, v in zip(index, obj.valid))
        if not inside or (obj.poison is not None and obj.poison[index]):
            fail(
                errors.UninitializedReadError,
                f"pl.read of tile cell {list(index)} outside its valid region {list(obj.valid)} "
                "or undefined",
            )
        return Scalar(obj.data[index].item(), obj.dtype)
    dsl(f"pl.read of {type(obj).__name__}")
    return None


def _scalar_value(value, dtype: dt.DType, what: str):
    if isinstance(value, Scalar):
        if value.dtype is dt.INDEX and dtype is not dt.INDEX:
            dsl(
                f"{what}: the value is an index scalar (a loop variable, a block index or "
                f"arithmetic of them) and the tensor is {dtype.name}; the compiler requires equal "
                f"dtypes; write pl.cast(v, pl.{dtype.name})"
            )
        if value.dtype is not dtype:
            dsl(f"{what}: value dtype {value.dtype.name} must equal the tensor dtype {dtype.name}")
        return value.value
    if not is_number(value):
        dsl(f"{what}: expected a scalar value, got {value!r}")
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if is_int and dtype is not dt.INDEX:
        dsl(
            f"{what}: the value {value!r} is an int literal (an index scalar to the compiler) and "
            f'the tensor is {dtype.name}; the compiler requires equal dtypes ("tensor.write '
            f'requires value dtype to match"); write pl.cast({value!r}, pl.{dtype.name})'
        )
    return value


def write(obj, idx, value) -> None:
    """pl.write(tensor_or_tile, [i, j, ...], value): scalar store."""
    if isinstance(obj, GMTensor):
        buf = obj.buf
        promote_written_input(buf)
        index = _scalar_index(obj.shape, idx, "pl.write")
        one = obj.window(index, [1] * obj.ndim)
        v = _scalar_value(value, buf.dtype, "pl.write")
        one.of(buf.data)[...] = np.asarray(v).astype(buf.dtype.numpy)
        if buf.written is not None:
            one.of(buf.written)[...] = True
        if buf.stored_mask is not None:
            one.of(buf.stored_mask)[...] = True
        if STATE.scopes:
            count_transfer(STATE.scopes[-1].stats, "write", buf.dtype.itemsize, one)
        if STATE.race_trackers:
            record_access(one, "write")
        return
    if isinstance(obj, Tile):
        index = _scalar_index(obj.shape, idx, "pl.write")
        v = _scalar_value(value, obj.dtype, "pl.write")
        obj.data[index] = np.asarray(v).astype(obj.dtype.numpy)
        obj.base.last_use = STATE.seq
        if obj.poison is not None:
            obj.poison[index] = False
        return
    dsl(f"pl.write to {type(obj).__name__}")


# --- views ---------------------------------------------------------------------------------
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


def _with_valid(t: Tile, valid, runtime=None) -> Tile:
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
    return _with_valid(x, (r, c), flags)


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


def _pad_constant(kind: str, dtype: dt.DType):
    if kind == "zero":
        return 0
    if dtype.is_float:
        return -np.inf if kind == "min" else np.inf
    info = np.iinfo(dtype.numpy)
    return info.min if kind == "min" else info.max


# --- creation ------------------------------------------------------------------------------
def _const_value(value, what: str):
    if isinstance(value, Scalar):
        dsl(f"{what} must be a literal or compile-time constant, got a runtime scalar")
    if not is_number(value):
        dsl(f"{what} must be a number, got {value!r}")
    return value


def create_tensor(shape, dtype=dt.FP32, layout=None, manual_dep=False, init_value=None):
    """pl.create_tensor: a poisoned GM buffer (orchestration) or a poisoned tile (InCore)."""
    del layout, manual_dep
    shape = [to_int(n, "create_tensor shape") for n in shape]
    dtype = dtype_arg(dtype, "create_tensor dtype")
    if STATE.scopes:
        begin("create_tensor")
        from plsim.hardware import DEFAULT_PLATFORM

        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > DEFAULT_PLATFORM.vec_bytes:
            fail(
                errors.CapacityError,
                f"tensor.create: tile size ({nbytes} bytes) of {shape} {dtype.name} exceeds "
                f"buffer capacity ({DEFAULT_PLATFORM.vec_bytes} bytes, Vec/UB)",
            )
        if init_value is not None:
            data = np.full(shape, _const_value(init_value, "init_value")).astype(dtype.numpy)
            return Tile(data, dtype, tuple(shape), None, origin="create")
        data = np.full(shape, poison_value(dtype), dtype=dtype.numpy)
        return Tile(data, dtype, tuple(shape), np.ones(shape, dtype=bool), origin="create")
    if init_value is not None:
        data = np.full(shape, _const_value(init_value, "init_value")).astype(dtype.numpy)
        buf = GMBuffer(data, dtype, "create_tensor", "scratch", written=None)
    else:
        data = np.full(shape, poison_value(dtype), dtype=dtype.numpy)
        buf = GMBuffer(data, dtype, _scratch_name(), "scratch", written=np.zeros(shape, bool))
    return GMTensor.whole(buf)


def _scratch_name() -> str:
    """The scratch tensor's name for messages: its variable and where it was created."""
    file, line = kernel_location()
    where = f"pl.create_tensor at {file.rsplit('/', 1)[-1]}:{line}"
    variable = assigned_names(file).get(line)
    return f"{variable} ({where})" if variable else where


def full(shape, dtype=dt.FP32, value=0):
    """pl.full(shape, dtype=, value=): a tile (InCore) or GM tensor filled with a constant."""
    shape = [to_int(n, "pl.full shape") for n in shape]
    dtype = dtype_arg(dtype, "pl.full dtype")
    value = _const_value(value, "pl.full value")
    data = np.full(shape, value, dtype=np.float64 if dtype.is_float else np.int64)
    data = data.astype(dtype.numpy)
    if not STATE.scopes:
        return GMTensor.whole(GMBuffer(data, dtype, "full", "scratch"))
    begin("full")
    count_vector(shape)
    return result(data, dtype, shape)


def arange(start, shape, dtype=dt.INT32, descending=False):
    """pl.arange(start, shape, dtype=INT32, descending=False): dst[0, k] = start +/- k."""
    begin("arange")
    shape = [to_int(n, "pl.arange shape") for n in shape]
    dtype = dtype_arg(dtype, "pl.arange dtype")
    if dtype not in (dt.INT16, dt.INT32, dt.UINT16, dt.UINT32):
        dsl(f"pl.arange dtype must be INT16/INT32/UINT16/UINT32, got {dtype.name}")
    if any(n != 1 for n in shape[:-1]) or shape[-1] == 1:
        dsl(f"pl.arange shape {shape}: leading dims must be 1 and the last dim must not be 1")
    s = to_int(start, "pl.arange start")
    k = np.arange(shape[-1], dtype=np.int64)
    values = s - k if descending else s + k
    data = values.astype(dtype.numpy).reshape(shape)
    count_vector(shape)
    return result(data, dtype, shape)


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


def tile_load(
    tensor, offsets, shapes, valid_shapes=None, target_memory=None, transpose=False,
    *, valid_shape=None,
) -> Tile:  # fmt: skip
    """pl.load / pl.tile.load(tensor, offsets, shapes, valid_shapes=None, target_memory=Vec,
    transpose=False): copy a GM window into a tile (valid_shapes marks the valid rectangle).
    The compiler also takes the spelling ``valid_shape=`` (tests/pyptolib/kernels/
    load_valid_shape.py compiles).

    ``target_memory`` is not modelled: plsim places each tile by how it is used when its scope
    closes. ``transpose`` (only for Mat/L1 targets) yields the [cols, rows] tile.
    """
    if not STATE.scopes:
        dsl(
            "misplaced tile op pl.load: tile ops must be inside an InCore scope (pl.at, a "
            "pl.spmd body or a @pl.jit.incore function), not in orchestration"
        )
    if not isinstance(tensor, GMTensor):
        dsl(f"pl.load source must be a GM tensor, got {type(tensor).__name__}")
    if valid_shape is not None:
        if valid_shapes is not None:
            dsl("pl.load got both valid_shapes= and valid_shape=; give one")
        valid_shapes = valid_shape
    shapes = [to_int(n, "pl.load shapes") for n in shapes]
    offsets = [to_int(o, "pl.load offsets") for o in offsets]
    if len(shapes) != tensor.ndim or len(offsets) != tensor.ndim:
        dsl(
            f"pl.load needs one offset and one shape per axis of the rank-{tensor.ndim} source, "
            f"got offsets {offsets} and shapes {shapes}"
        )
    if transpose:
        if getattr(target_memory, "name", None) != "Mat":
            dsl("pl.load(transpose=True) is only supported with target_memory=pl.MemorySpace.Mat")
        if tensor.ndim != 2:
            dsl(f"pl.load(transpose=True) needs a 2-D source, got rank {tensor.ndim}")
    STATE.seq += 1
    tile = load(tensor, offsets, shapes, valid=valid_shapes)
    tile.level = "tile"
    if transpose:
        tile.data = np.ascontiguousarray(tile.data.T)
        tile.valid = tuple(reversed(tile.valid))
        if tile.poison is not None:
            tile.poison = np.ascontiguousarray(tile.poison.T)
    return tile


def tile_store(tile, offsets, output_tensor, shapes=None):
    """pl.store / pl.tile.store(tile, offsets, output_tensor, shapes=None): write the tile's
    valid rectangle into the GM tensor at ``offsets``; returns the tensor.

    ``shapes`` is the ND partition shape; the valid rectangle must fit inside it.
    """
    if not isinstance(tile, Tile):
        dsl(f"pl.store source must be a tile, got {type(tile).__name__}")
    if not isinstance(output_tensor, GMTensor):
        dsl(f"pl.store target must be a GM tensor, got {type(output_tensor).__name__}")
    if not STATE.scopes:
        dsl("misplaced tile op pl.store: tile ops must be inside an InCore scope")
    offsets = [to_int(o, "pl.store offsets") for o in offsets]
    if len(offsets) != output_tensor.ndim:
        dsl(
            f"pl.store needs one offset per axis of the rank-{output_tensor.ndim} target, "
            f"got {offsets}"
        )
    extents = None
    if shapes is not None:
        extents = [to_int(n, "pl.store shapes") for n in shapes]
        if len(extents) != output_tensor.ndim:
            dsl(f"pl.store shapes {extents} must have one extent per target axis")
    _assemble(output_tensor, tile, offsets, (), extents)
    return output_tensor


def create_tile(shape, dtype=dt.FP32, target_memory=None):
    """pl.create_tile / pl.tile.create(shape, dtype, target_memory=Vec): an uninitialised
    tile (its cells are undefined until written); InCore only."""
    del target_memory  # placement is inferred from use when the scope closes
    if not STATE.scopes:
        dsl(
            "misplaced tile op pl.create_tile: tiles exist only inside an InCore scope; use "
            "pl.create_tensor for a GM buffer in orchestration"
        )
    tile = create_tensor(shape, dtype)
    if isinstance(tile, Tile):
        tile.base.level = "tile"
    return tile


def tensor_dim(t, axis):
    """pl.tensor.dim(t, axis): an INDEX scalar."""
    axis = to_int(axis, "pl.tensor.dim axis")
    return Scalar(t.shape[axis], dt.INDEX)


__all__ = [
    "arange",
    "assemble",
    "check_poison",
    "concat",
    "create_tensor",
    "create_tile",
    "fillpad",
    "fillpad_inplace",
    "full",
    "load",
    "move",
    "pl_slice",
    "read",
    "reshape",
    "set_validshape",
    "store",
    "subscript",
    "subscript_assign",
    "tensor_dim",
    "tile_load",
    "tile_store",
    "write",
]


def transpose(x, axis1: int = 0, axis2: int = 1) -> Tile:
    """pl.transpose(tile, axis1, axis2): the tile with two axes swapped (a vector op).

    The result is valid over its whole shape (pypto's alloc_tile for ``tile.transpose`` has a
    static full valid region; a2a3sim stores every row, fixture
    valid_shape_kernels.transpose_partial): cells outside the swapped valid region are
    undefined.
    """
    begin("transpose")
    t = operand(x, "transpose")
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


class PrefetchContext:
    """The handle of pl.prefetch.make_context(): groups the prefetches of one task."""


def prefetch_context() -> PrefetchContext:
    """pl.prefetch.make_context() (inside an InCore scope)."""
    begin("prefetch.make_context")
    return PrefetchContext()


def async_prefetch(tensor, ctx) -> None:
    """pl.prefetch.async_prefetch(tensor, ctx): warm the L2 cache with a GM tensor.

    No functional effect; the bytes are read from HBM by this task, so they are counted as a
    transfer of the whole tensor.
    """
    begin("prefetch.async_prefetch")
    if not isinstance(tensor, GMTensor):
        dsl(f"pl.prefetch.async_prefetch takes a GM tensor, got {type(tensor).__name__}")
    if not isinstance(ctx, PrefetchContext):
        dsl("pl.prefetch.async_prefetch needs the context of pl.prefetch.make_context()")
    nbytes = math.prod(tensor.shape) * tensor.buf.dtype.itemsize
    count_transfer(STATE.scopes[-1].stats, "read", nbytes, tensor)
