"""pl.paged_gather: rows of a paged pool gathered on chip.

``pl.paged_gather(src, indices, block_table, block_size, size, max_indices, space=...)``
gathers, for each logical row index ``i`` of ``indices``, the pool row
``block_table[i // block_size] * block_size + i % block_size`` (columns ``col_off`` ..
``col_off + size``) into a ``[max_indices, size]`` value. Measured on a2a3sim (fixtures
tests/plsim_conformance/kernels/paged_gather_kernels.py):

- ``space=pl.MemorySpace.Vec``: the rows exactly, bit for bit;
- ``space=pl.MemorySpace.Mat`` (the default) builds, but every matmul of the gathered operand
  came out wrong on a2a3sim (as ``b_trans`` K, with ``is_trans=True``, and as V): a
  MiscompileError in plsim until a simulator run backs it.

The value is tensor-level (pypto returns a Tensor). Each row is one GM read, as pypto lowers it
(a per-row load loop). Rows past the number of indices are undefined.
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.context import dsl, fail
from plsim.memory import GMTensor, Tile, poison_value
from plsim.ops.common import begin, check_poison
from plsim.ops.loads import load
from plsim.scalars import to_int


def _index_row(t, name: str, what: str) -> np.ndarray:
    """A GM INT32 vector ([n] or [1, n]) read whole; its cells must be defined."""
    if not isinstance(t, GMTensor) or t.dtype is not dt.INT32:
        dsl(f"pl.paged_gather {what} must be an INT32 GM tensor, got {t!r}")
    if not (t.ndim == 1 or (t.ndim == 2 and t.shape[0] == 1)):
        dsl(f"pl.paged_gather {what} is {list(t.shape)}; it is [n] or [1, n]")
    row = load(t, [0] * t.ndim, list(t.shape))
    check_poison(row, name)
    return row.data.reshape(-1).astype(np.int64)


def paged_gather(src, indices, block_table, block_size, size, max_indices, *, space=None,
                 col_off=0, is_trans=False, is_b_matrix=False):  # fmt: skip
    """pl.paged_gather: the pool rows of ``indices`` through ``block_table``."""
    del is_b_matrix  # a layout hint
    begin("paged_gather")
    if not isinstance(src, GMTensor) or src.ndim != 2:
        dsl(f"pl.paged_gather src must be a 2-D GM tensor (the paged pool), got {src!r}")
    place = getattr(space, "name", "Mat") if space is not None else "Mat"
    if place not in ("Vec", "Mat"):
        dsl(f"pl.paged_gather space={space!r}: pl.MemorySpace.Mat or .Vec")
    if is_trans and place != "Mat":
        dsl("pl.paged_gather(is_trans=True) needs space=pl.MemorySpace.Mat")
    if place == "Mat":
        fail(
            errors.MiscompileError,
            "pl.paged_gather into Mat (L1): the chain builds it, but the matmuls of the gathered "
            "operand came out wrong on a2a3sim (measured: as a b_trans K, with is_trans=True, "
            "and as V); gather with space=pl.MemorySpace.Vec, which a2a3sim gets right",
        )
    block = to_int(block_size, "pl.paged_gather block_size")
    width = to_int(size, "pl.paged_gather size")
    rows = to_int(max_indices, "pl.paged_gather max_indices")
    start = to_int(col_off, "pl.paged_gather col_off")
    if block <= 0 or width <= 0 or rows <= 0 or start < 0 or start + width > src.shape[1]:
        dsl(f"pl.paged_gather block_size={block}, size={width}, max_indices={rows}, "
            f"col_off={start} for a {list(src.shape)} pool")  # fmt: skip
    logical = _index_row(indices, "paged_gather", "indices")
    table = _index_row(block_table, "paged_gather", "block_table")
    if logical.size > rows:
        dsl(f"pl.paged_gather: {logical.size} indices exceed max_indices={rows}")
    data = np.full((rows, width), poison_value(src.dtype), dtype=src.dtype.numpy)
    poison = np.ones((rows, width), dtype=bool)
    for r, i in enumerate(logical):
        blk = i // block
        if i < 0 or blk >= table.size:
            fail(errors.OutOfBoundsError,
                 f"pl.paged_gather index {i} (row {r}) is outside the block table's "
                 f"{table.size} blocks of {block}")  # fmt: skip
        phys = int(table[blk]) * block + i % block
        if not 0 <= phys < src.shape[0]:
            fail(errors.OutOfBoundsError,
                 f"pl.paged_gather index {i} (row {r}) maps to pool row {phys}, outside the "
                 f"{src.shape[0]}-row pool")  # fmt: skip
        row = load(src, [phys, start], [1, width])
        data[r] = row.data[0]
        poison[r] = False if row.poison is None else row.poison[0]
    return Tile(data, src.dtype, (rows, width), poison if poison.any() else None, origin="load")
