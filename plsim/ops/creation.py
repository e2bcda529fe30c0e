"""New values: pl.create_tensor (GM scratch or a tile), pl.create_tile, pl.full, pl.arange."""

from __future__ import annotations

import math

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import STATE, dsl, fail, kernel_location
from plsim.memory import (
    GMBuffer,
    GMTensor,
    Tile,
    poison_value,
)
from plsim.ops.common import begin, count_vector, dtype_arg, result
from plsim.scalars import Scalar, is_number, to_int
from plsim.source_names import assigned_names


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


def tile_level(make):
    """The pl.tile spelling of a creation op: the same value, a tile-level one (pypto's
    pl.tile.full / pl.tile.ci make Tiles where pl.full / pl.arange make Tensors)."""

    def made(*args, **kwargs):
        value = make(*args, **kwargs)
        if isinstance(value, Tile):
            value.base.level = "tile"
        return value

    made.__name__ = made.__qualname__ = make.__name__
    made.__doc__ = f"pl.tile.{make.__name__}: {make.__doc__}"
    return made


#: pl.tri dtypes measured on a2a3sim.
TRI_DTYPES = (dt.INT32, dt.FP32)


def tri(diagonal, shape, valid_shape=None, dtype=dt.INT32, upper=False):
    """pl.tri(diagonal, shape, valid_shape=None, dtype=INT32, upper=False): a triangular 0/1
    tile. Lower: 1 where column <= row + diagonal; upper: 1 where column >= row + diagonal.

    Only the valid region is written (the rest is undefined). a2a3sim: INT32 and FP32, both
    triangles, diagonals 0, 2 and -3, equal to NumPy (fixtures
    tests/plsim_conformance/kernels/partial_kernels.py); other dtypes are refused as not
    measured.
    """
    begin("tri")
    shape = [to_int(n, "pl.tri shape") for n in shape]
    dtype = dtype_arg(dtype, "pl.tri dtype")
    if len(shape) != 2:
        dsl(f"pl.tri shape {shape}: a 2-D tile")
    if dtype not in TRI_DTYPES:
        dsl(f"pl.tri dtype {dtype.name}: plsim makes INT32 and FP32 triangles, the dtypes "
            "measured on a2a3sim")  # fmt: skip
    valid = shape if valid_shape is None else [to_int(n, "pl.tri valid_shape") for n in valid_shape]
    if len(valid) != 2 or not all(0 <= v <= n for v, n in zip(valid, shape)):
        dsl(f"pl.tri valid_shape {valid}: each extent within the shape {shape}")
    d = to_int(diagonal, "pl.tri diagonal")
    rows, cols = np.indices(shape)
    hit = cols >= rows + d if upper else cols <= rows + d
    data = hit.astype(dtype.numpy)
    poison = np.ones(shape, dtype=bool)
    poison[: valid[0], : valid[1]] = False
    count_vector(valid)
    out = result(data, dtype, valid, "vector", poison if poison.any() else None)
    out.base.level = "tile"
    return out


def create_tile(shape, dtype=dt.FP32, target_memory=None, transpose=None, *, flat_layout=None):
    """pl.create_tile / pl.tile.create(shape, dtype, target_memory=Vec, transpose=None,
    flat_layout=None): an uninitialised tile (its cells are undefined until written); InCore
    only. ``transpose`` / ``flat_layout`` choose an L1 layout, which plsim does not model."""
    del target_memory, transpose, flat_layout  # placement is inferred from use
    if not STATE.scopes:
        dsl(
            "misplaced tile op pl.create_tile: tiles exist only inside an InCore scope; use "
            "pl.create_tensor for a GM buffer in orchestration"
        )
    tile = create_tensor(shape, dtype)
    if isinstance(tile, Tile):
        tile.base.level = "tile"
    return tile
