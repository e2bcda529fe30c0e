"""Fixtures: candidate shared tile helpers for the c16/c8 twins (issue 18, item 1) in the forms
the product kernels would call them (inside a pl.at, results bound by plain assignment, tensor
arguments as names, a tuple result unpacked, a helper result carried through a pl.range loop).
tests/compile/test_tile_chains_compile.py checks each on plsim against reference/quant.py and
NumPy's sort, and builds each with the real toolchain:

- ``quant_rows``: the INT8 row-quant chain as a helper taking a GM window (a pl.slice): builds
  (pypto, ptoas, kernel wrapper).
- ``merge_chunks``: the sort32 -> mrgsort -> merge chain as a helper taking the running list, a
  computed tile (pl.full, then the helper's own result): pypto's JIT refuses it, "missing
  inferred tensor metadata for parameter 'best_row'": it infers an inline helper's tensor
  parameters only from the caller's parameters and its pl.create_tensor / pl.slice / subscript /
  reshape locals, never from an op's result. plsim accepts it (a gap).
- ``quant_rows_computed_extent``: the row-quant helper on a window whose row count is computed
  from a shape (``x.shape[0] // 2``, as the score stages' cache tiles are ``32 - BS % 32``
  rows). It builds, but the JIT sizes the helper's parameter before parsing and, unable to
  evaluate the extent, falls back to the parent's: the generated helper is typed
  ``pl.Tensor[[32, 128], pl.BF16]`` for a [16, 128] window. In the decode score stage the same
  form was refused ("tile.create shape element 0 must be a compile-time constant"), and writing
  the extent from ``pl.tensor.dim`` (which the JIT can evaluate) makes it a run-time value the
  tile ops refuse. So the cache-tile quant stays written in each score stage."""

import pypto.language as pl

from models.deepseek_v4.config import AMAX_FLOOR, INT8_MAX

ROWS = 32
COLS = 128
LIST = 64  # a running list of 32 (score, index) pairs
CHUNKS = 2

# Sorted chunk width: sort32 + two format-1 mrgsorts fully sort 512 values (kernels/score.py,
# TOPK_CHUNK).
SORT_CHUNK = 512
# Head of a merged list through a row view of 16 FP32 columns (kernels/score.py, HEAD_COLS).
LIST_HEAD_COLS = 16


@pl.jit.inline
def quant_rows_int8(row_window: pl.Tensor):
    """(INT8 codes, FP32 dequant scale [R, 1]) of a window of BF16 rows, per row
    (docs/indexer.md, the quant policy): amax floored at 1e-4, codes round(x * 127 / amax)
    through INT32 -> FP16 -> INT8 (docs/dsl.md §10), scale amax / 127.

    The numerator 127 is derived from amax (amax * 0 + 127): the compiler's layout pass rejects
    a pl.full([N, 1]) column against a row_max result; it is exactly 127 for amax >= 1e-4."""
    rows_f32 = pl.cast(row_window, target_type=pl.FP32)
    amax = pl.maximum(pl.row_max(pl.abs(rows_f32)), AMAX_FLOOR)
    scaled = pl.row_expand_mul(rows_f32, pl.div(pl.add(pl.mul(amax, 0.0), INT8_MAX), amax))
    codes_i32 = pl.cast(scaled, target_type=pl.INT32, mode="round")
    codes_f16 = pl.cast(codes_i32, target_type=pl.FP16, mode="round")
    codes = pl.cast(codes_f16, target_type=pl.INT8, mode="trunc")
    dequant = pl.div(amax, INT8_MAX)
    return codes, dequant


@pl.jit.inline
def merge_sorted_chunk(
    best_row: pl.Tensor,
    scores: pl.Tensor,
    first_index: pl.Scalar[pl.INT32],
):
    """best_row [1, L] (a descending (score, index) pair list) merged with the 512 scores
    ``scores`` [1, 512] of indices first_index.. : sort32, two mrgsorts (blocks of 64, 256),
    one merge; returns the head [1, L] of the merged list.

    Ties: sort32 and mrgsort keep the earlier (smaller) index first, and the merge puts
    best_row (smaller indices) first. The head is taken through a row view: a column slice of a
    row-major tile keeps its parent's row stride and ptoas refuses to move it into a narrower
    tile (pypto issue #2717); the leading rows are the same bytes."""
    L = best_row.shape[1]
    index = pl.arange(pl.cast(first_index, pl.UINT32), [1, SORT_CHUNK], dtype=pl.UINT32)
    pairs = pl.sort32(scores, index)
    pairs = pl.mrgsort(pairs, block_len=64)
    pairs = pl.mrgsort(pairs, block_len=256)
    merged = pl.mrgsort(best_row, pairs)
    merged_rows = pl.reshape(merged, [(L + 2 * SORT_CHUNK) // LIST_HEAD_COLS, LIST_HEAD_COLS])
    head = pl.reshape(merged_rows[0 : L // LIST_HEAD_COLS, :], [1, L])
    return head


@pl.jit
def quant_rows(
    x: pl.Tensor[[ROWS, COLS], pl.BF16],
    valid: pl.Tensor[[1], pl.INT32],
    codes: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT8]],
    dequant: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]],
):
    """Row quant of the first ``valid`` rows (a dynamic valid region, as the cache tiles)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="quant_rows"):
        rows = pl.cast(pl.read(valid, [0]), pl.INDEX)
        x_tile = pl.slice(x, [ROWS, COLS], [0, 0], valid_shape=[rows, COLS])
        row_codes, row_dequant = quant_rows_int8(x_tile)
        codes[0:ROWS, :] = row_codes
        dequant[0:ROWS, :] = row_dequant
    return codes, dequant


@pl.jit
def merge_chunks(
    scores: pl.Tensor[[CHUNKS, 512], pl.FP32],
    best_out: pl.Out[pl.Tensor[[1, LIST], pl.FP32]],
):
    """The running list of the best LIST // 2 of CHUNKS chunks, one merge per chunk."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="merge_chunks"):
        best = pl.full([1, LIST], dtype=pl.FP32, value=-3.0e38)
        for c in pl.range(CHUNKS):
            row = scores[c : c + 1, :]
            best = merge_sorted_chunk(best, row, c * 512)
        best_out[0:1, :] = best
    return best_out


@pl.jit
def quant_rows_computed_extent(
    x: pl.Tensor[[ROWS, COLS], pl.BF16],
    codes: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT8]],
    dequant: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]],
):
    """The row-quant helper on a window whose row count is computed from a shape (as the
    score stages' cache tiles are: 32, or 16 for an odd multiple of 16)."""
    half = x.shape[0] // 2
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="quant_rows_computed_extent"):
        x_tile = pl.slice(x, [half, COLS], [0, 0])
        row_codes, row_dequant = quant_rows_int8(x_tile)
        codes[0:half, :] = row_codes
        dequant[0:half, :] = row_dequant
    return codes, dequant
