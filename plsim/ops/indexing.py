"""Python subscripts and windowed reads: ``x[...]``, ``x[...] = v``, pl.slice and the
explicit pl.load; each dispatches to a view, a load, a store or a scalar access."""

from __future__ import annotations

import numpy as np

from plsim.context import STATE, dsl
from plsim.memory import (
    GMTensor,
    Tile,
)
from plsim.ops import view_rules
from plsim.ops.loads import load
from plsim.ops.scalar_access import read, write
from plsim.ops.stores import assemble_into
from plsim.ops.views import check_window, parse_key, tile_view, with_valid
from plsim.scalars import Scalar, is_number, to_int


def subscript(obj, key):
    """``obj[key]``: a view (orchestration), a load (InCore), a tile subview or a scalar read."""
    if isinstance(obj, GMTensor):
        starts, extents, drop = parse_key(key, obj.shape, "tensor")
        if len(drop) == obj.ndim:
            return read(obj, starts)
        if not STATE.scopes:
            check_window(obj.shape, starts, extents, "view")
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
    assemble_into(obj, value, starts, drop=drop, extents=extents)


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
            check_window(tensor.shape, offset, shape, "view")
            return tensor.window(offset, shape, drop)
        STATE.seq += 1
        return load(tensor, offset, shape, valid=valid_shape, clamp=clamp, drop=drop)
    if isinstance(tensor, Tile):
        if clamp:
            dsl("clamp=True is only accepted for tensor slices")
        STATE.seq += 1
        runtime = any(isinstance(o, Scalar) for o in raw_offset)
        view = tile_view(
            tensor, offset, shape, drop, runtime=runtime, valid_given=valid_shape is not None
        )
        if valid_shape is not None:
            flags = view_rules.runtime_flags(valid_shape)
            valid = [to_int(v, "valid_shape") for v in valid_shape]
            if drop:
                valid = [v for i, v in enumerate(valid) if i not in drop]
                flags = flags and tuple(f for i, f in enumerate(flags) if i not in drop)
            view = with_valid(view, [min(a, b) for a, b in zip(view.valid, valid)], flags)
        view.sliced = True
        return view
    dsl(f"pl.slice of {type(tensor).__name__}")
    return None


def tile_load(
    tensor, offsets, shapes, valid_shapes=None, target_memory=None, transpose=False,
    clamp=False, *, valid_shape=None,
) -> Tile:  # fmt: skip
    """pl.load / pl.tile.load(tensor, offsets, shapes, valid_shapes=None, target_memory=Vec,
    transpose=False): copy a GM window into a tile (valid_shapes marks the valid rectangle).
    The compiler also takes the spelling ``valid_shape=`` (tests/pyptolib/kernels/
    load_valid_shape.py compiles).

    ``target_memory`` is not modelled: plsim places each tile by how it is used when its scope
    closes. ``transpose`` (only for Mat/L1 targets) yields the [cols, rows] tile. ``clamp=True``
    cuts a window that runs past the source back to its edge: the tile keeps its shape and is
    valid up to the edge (pypto: "Pass clamp=True ... to narrow the read to the source edge";
    without it the compiler refuses a provable overrun, and plsim any overrun; fixture
    spelling_kernels.clamped_load, a2a3sim the same rows).
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
    tile = load(tensor, offsets, shapes, valid=valid_shapes, clamp=bool(clamp))
    tile.level = "tile"
    if transpose:
        tile.data = np.ascontiguousarray(tile.data.T)
        tile.valid = tuple(reversed(tile.valid))
        if tile.poison is not None:
            tile.poison = np.ascontiguousarray(tile.poison.T)
    return tile
