"""Bit-level numeric semantics of pl ops on plain NumPy arrays (no shapes rules, no tiles).

Every function takes and returns NumPy arrays stored in the DSL dtype's NumPy type (see
plsim.dtypes), computes with the rules of docs/dsl.md and rounds its result to the result
dtype. The op layer (plsim.ops) checks shapes/dtypes, valid
regions and accounting, then calls these. Contract violations raise ValueError.

The bit-level rules and the choices made where the sources disagree are documented in the
modules that implement them: plsim.numerics_cast (pl.cast), plsim.numerics_arith
(elementwise, reductions, matmul) and plsim.numerics_sort (sort32, mrgsort, gather).
"""

from __future__ import annotations

import numpy as np

from plsim import numerics_arith, numerics_cast, numerics_sort
from plsim.dtypes import DType
from plsim.numerics_cast import CAST_MODES, cast_chain

__all__ = [
    "CAST_MODES",
    "binary",
    "cast",
    "cast_chain",
    "gather_index",
    "gather_mask",
    "matmul",
    "mrgsort_lists",
    "mrgsort_runs",
    "reduce",
    "sort32",
    "unary",
]


def cast(x: np.ndarray, src: DType, dst: DType, mode: str = "round") -> np.ndarray:
    """Convert ``x`` (stored as ``src``) to ``dst`` with rounding ``mode`` (docs/dsl.md §10).

    Applies the a2a3 legalised chain for non-native pairs with the same mode at every hop,
    saturating or wrapping per pair as §10 says. Same src and dst is the caller's error.
    """
    return numerics_cast.cast(x, src, dst, mode)


def binary(op: str, a: np.ndarray, b: np.ndarray | int | float, dtype: DType) -> np.ndarray:
    """Elementwise ``op`` in {add, sub, mul, div, maximum, minimum} of a and b (array or scalar).

    Both operands are already in ``dtype`` (a scalar is converted to ``dtype`` first). 16-bit
    floats compute in FP32 and round back (RNE); integers wrap; integer div truncates.
    """
    return numerics_arith.binary(op, a, b, dtype)


def unary(op: str, x: np.ndarray, dtype: DType) -> np.ndarray:
    """Elementwise ``op`` in {neg, abs, exp, sqrt, rsqrt, recip, log, relu} in ``dtype``."""
    return numerics_arith.unary(op, x, dtype)


def reduce(op: str, x: np.ndarray, axis: int, dtype: DType) -> np.ndarray:
    """``op`` in {sum, max, min, prod} over ``axis`` with keepdims; floats accumulate in FP32."""
    return numerics_arith.reduce(op, x, axis, dtype)


def matmul(a: np.ndarray, b: np.ndarray, operand: DType) -> tuple[np.ndarray, DType]:
    """``a @ b`` (2-D). INT8 x INT8 -> exact INT32 (wrapping); float -> FP32 accumulator.

    Returns the result and its accumulator dtype.
    """
    return numerics_arith.matmul(a, b, operand)


def sort32(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Sort each 32-element block of each row descending, ties smaller index first.

    ``values`` FP32 [R, N], ``idx`` UINT32 [R, N]; returns FP32 [R, 2N] interleaved pairs with
    the index's raw UINT32 bits in the odd slots.
    """
    return numerics_sort.sort32(values, idx)


def mrgsort_runs(src: np.ndarray, block_len: int) -> np.ndarray:
    """Format 1: merge each group of 4 consecutive sorted runs of ``block_len`` columns.

    ``src`` FP32 [1, C] pairs; ties take the earlier run. Same shape out.
    """
    return numerics_sort.mrgsort_runs(src, block_len)


def mrgsort_lists(*lists: np.ndarray) -> np.ndarray:
    """Format 2: merge 2-4 sorted pair rows [1, Ci] into one [1, sum Ci]; ties: earlier list."""
    return numerics_sort.mrgsort_lists(*lists)


def gather_mask(x: np.ndarray, pattern: int, output: DType | None) -> np.ndarray:
    """Keep the column pattern ``pattern`` (1..7, docs/dsl.md §12.5) of every row.

    With ``output`` of the same bit width the bits are reinterpreted.
    """
    return numerics_sort.gather_mask(x, pattern, output)


def gather_index(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``out[r, k] = x[r, index[r, k]]`` (per-row column gather)."""
    return numerics_sort.gather_index(x, index)
