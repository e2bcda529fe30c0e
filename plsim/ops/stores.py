"""Tile -> GM and tile -> tile writes: pl.assemble (plain and atomic add), pl.store, the
orchestration GM copy, and the messages that name the read a too-long tile came from."""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors, events, numerics
from plsim.context import STATE, dsl, fail, kernel_location
from plsim.memory import (
    GMTensor,
    Tile,
    valid_box,
)
from plsim.ops import view_rules
from plsim.ops.common import begin, check_poison, operand
from plsim.ops.views import check_window
from plsim.scalars import to_int


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
    assemble_into(target, source, offset)
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


def assemble_into(target, value, starts, drop=(), extents=None) -> None:
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
        tile_assemble(target, src, starts, drop, extents)
        return
    dsl(f"cannot assemble into {type(target).__name__}")


def expand_rank(src: Tile, ndim: int, drop) -> tuple[list[int], list[int]]:
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
    _, valid = expand_rank(src, dst.ndim, drop)
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
    _check_fits(f"store into {buf.name}{list(dst.shape)}", src, starts, valid, dst.shape)
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
    # Atomic adds from different iterations do not race with each other; a store of the bytes
    # already there is a read to the race checker (plsim.observers.RaceChecker).
    events.gm_access(region, "atomic" if atomic else "write", None,
                     values if undefined is None else None)  # fmt: skip
    region.of(buf.data)[...] = values.reshape(region.shape)
    if undefined is not None:
        undefined = undefined.reshape(region.shape)
        if buf.written is None:
            buf.written = np.ones(buf.data.shape, dtype=bool)
        region.of(buf.written)[...] = ~undefined
        buf.record_undefined(region, undefined, src.poison_from or src.base.location)
    elif buf.written is not None:
        region.of(buf.written)[...] = True
    events.transfer("write", nbytes, region)


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


def _check_fits(what: str, src: Tile, starts, valid, shape) -> None:
    """OutOfBoundsError when ``src``'s valid extents placed at ``starts`` leave ``shape``."""
    for axis, (s, v, n) in enumerate(zip(starts, valid, shape)):
        if s < 0 or s + v > n:
            detail = f"{what} writes past dimension {axis}: offset {s} + valid {v} > {n}"
            if v > n:  # no offset fits: the tile itself is too long
                too_long(errors.OutOfBoundsError, src, axis, v, detail)
            fail(errors.OutOfBoundsError, detail + read_note(src, axis, v))


def tile_assemble(target: Tile, src: Tile, starts, drop=(), extents=None) -> None:
    if src.dtype is not target.dtype:
        dsl(f"assemble of a {src.dtype.name} tile into a {target.dtype.name} tile")
    _, valid = expand_rank(src, target.ndim, drop)
    _check_fits(f"assemble into a {list(target.shape)} tile", src, starts, valid, target.shape)
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
    check_window(dst.shape, starts, list(src.shape), "assemble")
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


def tile_store(tile, offsets, output_tensor, shapes=None, *, atomic=None):
    """pl.store / pl.tile.store(tile, offsets, output_tensor, shapes=None, atomic=None): write
    the tile's valid rectangle into the GM tensor at ``offsets``; returns the tensor.

    ``shapes`` is the ND partition shape; the valid rectangle must fit inside it. With
    ``atomic=pl.AtomicType.Add`` the values are added to what the tensor holds (a2a3sim: an
    InOut tensor plus the tile, fixture rejected_kernels.atomic_store).
    """
    mode = getattr(atomic, "name", "None_") if atomic is not None else "None_"
    if mode not in ("None_", "Add"):
        dsl(f"pl.store(atomic={atomic!r}): plsim knows AtomicType.Add only")
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
    if mode == "Add":
        STATE.seq += 1
        store(output_tensor, operand(tile, "store", store=True), offsets, (), extents, atomic=True)
        return output_tensor
    assemble_into(output_tensor, tile, offsets, (), extents)
    return output_tensor
