"""Partial elementwise ops: ``pl.part_add`` / ``part_mul`` / ``part_max`` / ``part_min``.

They combine two tiles of different valid regions. As a2a3sim computes them on FP32 tiles
(fixtures tests/plsim_conformance/kernels/partial_kernels.py): the result has the first
operand's valid region; where the second operand is valid too, the cell is the op of the two,
elsewhere it is the first operand's value. (pto-isa's TPART* also copies the second operand
where only it is valid, but pypto gives the result the first operand's valid region, so such
cells are never inside it: measured, part_max(b, a) with b the narrower writes b's region only.)
plsim simulates the tile form on FP32, FP16, INT32 and INT16, the dtypes measured (FP16 and the
integers on random data: tests/plsim_conformance/kernels/dtype_extension_kernels.py), and
refuses the others rather than guess.
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import numerics
from plsim.context import dsl
from plsim.memory import Tile, valid_box
from plsim.ops.common import (
    begin,
    count_vector,
    measured_dtypes_only,
    operand,
    result,
    union,
)

#: The dtypes measured on a2a3sim (the same values: FP32 in partial_kernels.py, FP16 / INT32 /
#: INT16 on random data); ptoas builds no others on A2/A3 ("expects A2/A3 tpartadd element type
#: to be i32/i16/f16/f32").
_MEASURED = (dt.FP32, dt.FP16, dt.INT32, dt.INT16)
_OPS = {"part_add": "add", "part_mul": "mul", "part_max": "maximum", "part_min": "minimum"}


def _partial(name: str, lhs, rhs) -> Tile:
    begin(name)
    a = operand(lhs, name)
    b = operand(rhs, name)
    for t in (a, b):
        if t.base.level != "tile":
            dsl(f"pl.{name} of a tensor-level value: plsim simulates the tile form, the one "
                "measured on a2a3sim; load the operands (pl.load)")  # fmt: skip
        measured_dtypes_only(t, name, _MEASURED, "FP32, FP16, INT32 and INT16")
    if a.shape != b.shape or a.ndim != 2:
        dsl(f"pl.{name} of {list(a.shape)} and {list(b.shape)} tiles: plsim takes two 2-D tiles "
            "of one shape (their valid regions may differ)")  # fmt: skip
    both = np.zeros(a.shape, dtype=bool)
    both[valid_box(b.valid)] = True
    combined = numerics.binary(_OPS[name], a.data, b.data, a.dtype)
    data = np.where(both, combined, a.data).astype(a.dtype.numpy)
    b_poison = None if b.poison is None else (b.poison & both)
    poison = union(a.shape, a.poison, b_poison)
    count_vector(a.valid)
    return result(data, a.dtype, a.valid, "vector", poison, a, b)


def part_add(lhs, rhs) -> Tile:
    """pl.part_add(a, b): a + b where b is valid, else a, over a's valid region."""
    return _partial("part_add", lhs, rhs)


def part_mul(lhs, rhs) -> Tile:
    """pl.part_mul(a, b): a * b where b is valid, else a, over a's valid region."""
    return _partial("part_mul", lhs, rhs)


def part_max(lhs, rhs) -> Tile:
    """pl.part_max(a, b): max(a, b) where b is valid, else a, over a's valid region."""
    return _partial("part_max", lhs, rhs)


def part_min(lhs, rhs) -> Tile:
    """pl.part_min(a, b): min(a, b) where b is valid, else a, over a's valid region."""
    return _partial("part_min", lhs, rhs)
