"""pl.scatter_update: rows of a value replaced at the positions of a 2-D index.

``pl.scatter_update(input, -2, index, src)`` with ``input [rows, d]``, ``index [b, s]`` (INT32)
and ``src [b * s, d]`` is a copy of ``input`` whose row ``index.flat[k]`` is ``src[k]``; the
input itself is not written (a tensor-level call stored back into an InOut cache leaves the
cache as it was, measured). Tile and tensor forms both measured equal to NumPy on a2a3sim
(fixtures tests/plsim_conformance/kernels/scatter_update_kernels.py). pypto's call shapes are
all taken: ``(input, dim, index, src)``, ``(input, index, src, dim=-2)`` and ``(input, dim,
index=..., src=...)``. plsim simulates the 2-D form, the one measured. A row named more than
once takes the last of its source rows, as a2a3sim does in both forms (measured with rows named
two and four times).
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import dsl, fail
from plsim.memory import Tile
from plsim.ops.common import begin, check_poison, count_vector, operand, result
from plsim.scalars import to_int


def _call_shape(args, kwargs):
    """(dim, index, src) from pypto's three call shapes."""
    if len(args) == 3 and not kwargs:
        return args
    if len(args) == 2 and set(kwargs) <= {"dim"}:
        return kwargs.get("dim", -2), args[0], args[1]
    if len(args) == 1 and set(kwargs) == {"index", "src"}:
        return args[0], kwargs["index"], kwargs["src"]
    dsl("pl.scatter_update takes (input, dim, index, src), (input, index, src, dim=-2) or "
        f"(input, dim, index=..., src=...); got {len(args)} positional and {sorted(kwargs)}")
    return None


def scatter_update(input_value, *args, **kwargs) -> Tile:
    """pl.scatter_update(input, dim, index, src): input with row index.flat[k] set to src[k]."""
    begin("scatter_update")
    dim, index, src = _call_shape(args, kwargs)
    target = operand(input_value, "scatter_update")
    where = operand(index, "scatter_update")
    rows = operand(src, "scatter_update")
    if target.ndim != 2:
        dsl(f"pl.scatter_update of a rank-{target.ndim} input: plsim simulates the 2-D form "
            "(input [rows, d], index [b, s], src [b * s, d]), the one measured")  # fmt: skip
    if to_int(dim, "pl.scatter_update dim") not in (-2, 0):
        dsl(f"pl.scatter_update dim={dim}: rows are dim -2 of a 2-D input")
    if where.dtype is not dt.INT32 or where.ndim != 2:
        dsl(f"pl.scatter_update index is {where.dtype.name} {list(where.shape)}; an INT32 [b, s]")
    count = where.valid[0] * where.valid[1]
    if rows.dtype is not target.dtype or rows.ndim != 2 or rows.shape[1] != target.shape[1]:
        dsl(f"pl.scatter_update src {rows.dtype.name} {list(rows.shape)} for a "
            f"{target.dtype.name} {list(target.shape)} input")  # fmt: skip
    if rows.valid[0] < count:
        dsl(f"pl.scatter_update: {count} indices but src has {rows.valid[0]} valid rows")
    check_poison(where, "scatter_update")
    positions = where.data[: where.valid[0], : where.valid[1]].reshape(-1).astype(np.int64)
    bad = (positions < 0) | (positions >= target.valid[0])
    if bad.any():
        k = int(np.argmax(bad))
        fail(errors.OutOfBoundsError,
             f"pl.scatter_update index {int(positions[k])} (entry {k}) is outside the input's "
             f"{target.valid[0]} valid rows")  # fmt: skip
    # A row named more than once takes the last of its source rows (a2a3sim, both forms).
    named, first_from_end = np.unique(positions[::-1], return_index=True)
    last = count - 1 - first_from_end
    data = np.array(target.data, copy=True)
    data[named] = rows.data[last]
    poison = None if target.poison is None else np.array(target.poison, copy=True)
    if rows.poison is not None:
        poison = np.zeros(target.shape, bool) if poison is None else poison
        poison[named] = rows.poison[last]
    count_vector((count, target.shape[1]))
    return result(data, target.dtype, target.valid, "vector", poison, target, where, rows)
