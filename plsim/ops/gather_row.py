"""pl.create_l1 and pl.gather_row: a matmul operand filled on-chip, one GM row per DMA.

``pl.create_l1(shape, dtype, transpose=False)`` makes an L1 (Mat) buffer whose cells are
undefined until written; ``pl.gather_row(acc, src, dst_offset, src_offset, shapes,
transpose=False, valid_shape=None)`` copies the GM window ``src[src_offset : + shapes]`` (only
its ``valid_shape`` part) into ``acc`` at ``dst_offset`` and returns ``acc``, written in place.
With ``transpose=True`` the GM row ``[r, c]`` lands as the column ``[c, r]`` (for a
``b_trans`` matmul operand; the buffer is then made with ``create_l1(..., transpose=True)``).
What the compiler accepts is pinned by the fixtures in
tests/plsim_conformance/kernels/gather_row_kernels.py.

Accounting: each gather_row is one DMA transfer (GM read) of the valid window; there is no
vector work (GM -> L1 directly, no move through UB).
"""

from __future__ import annotations

import math

import numpy as np

from plsim import errors
from plsim.context import STATE, dsl, fail
from plsim.memory import GMTensor, Tile, poison_value
from plsim.ops.common import begin, dtype_arg
from plsim.ops.loads import load
from plsim.ops.stores import tile_assemble
from plsim.scalars import Scalar, to_int


def create_l1(shape, dtype, transpose: bool = False) -> Tile:
    """pl.create_l1: an uninitialised on-chip (L1/Mat) buffer of ``shape``; InCore only."""
    if not STATE.scopes:
        dsl(
            "misplaced pl.create_l1: an L1 buffer exists only inside an InCore scope "
            "(pl.at / pl.spmd); made in orchestration it reaches the scope as a tensor and "
            "the compiler rejects its gather_row (requires dst to be a TileType)"
        )
    begin("create_l1")
    shape = [to_int(n, "pl.create_l1 shape") for n in shape]
    if len(shape) != 2:
        dsl(f"pl.create_l1 shape must be 2-D [rows, cols], got {shape}")
    dtype = dtype_arg(dtype, "pl.create_l1 dtype")
    from plsim.hardware import DEFAULT_PLATFORM

    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > DEFAULT_PLATFORM.mat_bytes:
        fail(
            errors.CapacityError,
            f"pl.create_l1: {shape} {dtype.name} ({nbytes} bytes) exceeds the L1 (Mat) "
            f"capacity ({DEFAULT_PLATFORM.mat_bytes} bytes)",
        )
    data = np.full(shape, poison_value(dtype), dtype=dtype.numpy)
    del transpose  # the ZN layout of a transposed fill; no effect on values
    # Filled by DMA straight from GM and read by the cube: placed like a loaded matmul operand
    # (Mat/L1 when only the cube reads it), never through UB or a vector->cube ring.
    return Tile(data, dtype, tuple(shape), np.ones(shape, dtype=bool), origin="load")


def _static(values, what: str) -> list[int]:
    out = []
    for v in values:
        if isinstance(v, Scalar):
            dsl(f"{what} must be compile-time constants, got a runtime scalar in {list(values)}")
        out.append(to_int(v, what))
    return out


def gather_row(acc, src, dst_offset, src_offset, shapes, transpose: bool = False, *,
               valid_shape=None) -> Tile:  # fmt: skip
    """pl.gather_row: DMA the GM window of ``src`` into ``acc`` at ``dst_offset``; returns acc."""
    begin("gather_row")
    if not isinstance(acc, Tile):
        dsl(f"pl.gather_row destination must be an on-chip buffer (pl.create_l1), got "
            f"{type(acc).__name__}")  # fmt: skip
    if not isinstance(src, GMTensor):
        dsl(f"pl.gather_row source must be a GM tensor, got {type(src).__name__}")
    shape = _static(shapes, "pl.gather_row shapes")
    starts = [to_int(o, "pl.gather_row src_offset") for o in src_offset]
    dst = [to_int(o, "pl.gather_row dst_offset") for o in dst_offset]
    if len(shape) != src.ndim or len(starts) != src.ndim:
        dsl(f"pl.gather_row shapes {shape} and src_offset {starts} need one entry per axis of "
            f"the rank-{src.ndim} source")  # fmt: skip
    if len(dst) != acc.ndim:
        dsl(f"pl.gather_row dst_offset {dst} needs one entry per axis of the destination")
    if transpose and valid_shape is not None:
        dsl("pl.gather_row: valid_shape is not supported together with transpose=True")
    if src.dtype is not acc.dtype:
        dsl(f"pl.gather_row of a {src.dtype.name} source into a {acc.dtype.name} buffer")
    valid = None if valid_shape is None else [to_int(v, "valid_shape") for v in valid_shape]
    row = load(src, starts, shape, valid=valid)
    if transpose:
        if row.ndim != 2:
            dsl("pl.gather_row(transpose=True) takes a 2-D window")
        poison = None if row.poison is None else np.ascontiguousarray(row.poison.T)
        row = Tile(np.ascontiguousarray(row.data.T), row.dtype, tuple(reversed(row.valid)),
                   poison, origin="load", poison_from=row.poison_from)  # fmt: skip
    tile_assemble(acc, row, dst)
    return acc
