"""pl.read / pl.write: one element of a GM tensor or a tile, as a Scalar."""

from __future__ import annotations

import numpy as np

from plsim import aiv_placement, errors, events
from plsim import dtypes as dt
from plsim.context import STATE, dsl, fail
from plsim.memory import (
    GMTensor,
    Tile,
    describe_origin,
)
from plsim.ops.stores import promote_written_input
from plsim.scalars import Scalar, is_number, to_int


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
        events.transfer("read", buf.dtype.itemsize, one)
        events.scalar_read(buf, one.offset * buf.dtype.itemsize)
        events.gm_access(one, "read")
        return Scalar(value.item(), buf.dtype)
    if isinstance(obj, Tile):
        index = _scalar_index(obj.shape, idx, "pl.read")
        STATE.seq += 1
        STATE.op = "read"
        aiv_placement.note_vector_op()  # a scalar read of an on-chip tile is AIV work
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
        events.transfer("write", buf.dtype.itemsize, one)
        events.gm_access(one, "write")
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
