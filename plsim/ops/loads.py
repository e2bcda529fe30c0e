"""pl.load's core: a GM window copied into a new tile, with its undefined cells; its transfer
and GM access are reported to the run's observers (plsim.events).

Its own module because every op takes a GM tensor as an operand by loading it whole
(plsim.ops.common.operand), while the rest of the memory ops build on that operand handling:
here, below both, neither has to import the other.
"""

from __future__ import annotations

import math

import numpy as np

from plsim import errors, events
from plsim.context import STATE, dsl, fail, kernel_location
from plsim.memory import GMTensor, ReadSite, Tile, poison_value, valid_box
from plsim.ops import view_rules
from plsim.scalars import to_int


def load(src: GMTensor, starts, shape, valid=None, clamp=False, drop=()) -> Tile:
    """Copy a GM window into a new tile; only the valid rectangle is transferred."""
    shape = [int(n) for n in shape]
    runtime_valid = None
    if valid is None:
        valid = list(shape)
    else:
        runtime_valid = view_rules.runtime_flags(valid)
        valid = [to_int(v, "valid_shape") for v in valid]
        for axis, (v, n) in enumerate(zip(valid, shape)):
            if v < 0 or v > n:
                dsl(f"valid_shape {valid} exceeds the slice shape {shape} on axis {axis}")
    for axis, s in enumerate(starts):
        if s < 0:
            fail(errors.OutOfBoundsError, f"negative offset {s} on axis {axis} of a load")
    if clamp:
        valid = [max(0, min(v, n - s)) for v, n, s in zip(valid, src.shape, starts)]
    else:
        for axis, (s, v, n) in enumerate(zip(starts, valid, src.shape)):
            if s + v > n:
                fail(
                    errors.OutOfBoundsError,
                    f"load of {src.buf.name}{list(src.shape)} reads past the end of dimension "
                    f"{axis}: offset {s} + valid {v} > {n} (window {shape} at {list(starts)}); "
                    "give valid_shape= for a partial tile or pass clamp=True",
                )
    buf = src.buf
    region = src.window(starts, valid)
    full = valid == shape
    if full:
        data = np.array(region.of(buf.data), copy=True)
    else:
        data = np.full(shape, poison_value(buf.dtype), dtype=buf.dtype.numpy)
        data[valid_box(valid)] = region.of(buf.data)
    poison = None
    poison_from = None
    here = kernel_location()  # the load's kernel line, shared by everything below
    if buf.written is not None:
        written = region.of(buf.written)
        if not written.all():
            unwritten = ~written
            poison = np.zeros(shape, dtype=bool)
            poison[valid_box(valid)] = unwritten
            # Undefined data stored earlier keeps its origin; never-written cells are first
            # read here, so this load is their origin.
            poison_from = buf.undefined_origin(region, unwritten) or (
                *here,
                f"a read of never-written elements of '{buf.name}'",
            )
    nbytes = math.prod(valid) * buf.dtype.itemsize
    events.transfer("read", nbytes, region)
    if nbytes:
        events.gm_access(region, "read", here)
    site = ReadSite(here, STATE.scope_name, buf.name, src.shape, starts, shape, valid)
    if drop:
        keep = [i for i in range(len(shape)) if i not in drop]
        data = data.reshape([shape[i] for i in keep])
        valid = [valid[i] for i in keep]
        if poison is not None:
            poison = poison.reshape(data.shape)
    if data.ndim == 1:  # tiles are at least 2-D: a 1-D window becomes one row
        data = data.reshape(1, -1)
        valid = [1 if valid[0] else 0, valid[0]]
        if poison is not None:
            poison = poison.reshape(data.shape)
    tile = Tile(
        data, buf.dtype, tuple(valid), poison, origin="load", poison_from=poison_from,
        location=here,
    )  # fmt: skip
    tile.read_from = site
    if runtime_valid is not None and len(runtime_valid) == tile.ndim:
        tile.runtime_valid = runtime_valid
    return tile

