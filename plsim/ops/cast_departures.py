"""Casts whose values a2a3sim's CPU backend computes otherwise than pto-isa's a2a3 one.

plsim casts as pto-isa's a2a3 TCVT does (include/pto/npu/a2a3/TCvt.hpp: the rounding mode
picks the vconv instruction, NaN gives 0, out-of-range values saturate or, for the wrapping
pairs, keep the low bits). The toolchain's CPU simulator (include/pto/cpu/TCvt.hpp) departs from
it in two places, measured bit for bit (tests/plsim_conformance/kernels/special_value_kernels.py):

- a float -> int conversion runs with saturation off and converts through C++'s ``static_cast``
  from double, undefined for NaN, infinities and values outside the range: x86 gives INT32_MIN
  (0 once narrowed) where plsim gives 0 or the saturated value;
- a float -> float or int -> float conversion is a plain ``static_cast``, rounding to nearest
  even whatever the mode: ``floor`` / ``ceil`` / ``trunc`` / ``odd`` give other values, and
  ``round`` (ties away from zero, the default) differs on exact ties.

plsim keeps the chip's values and warns (DSLWarning) where a cast meets the first case, or the
second with a directed mode (``floor`` / ``ceil`` / ``trunc`` / ``odd``), so a kernel compared
with a2a3sim knows which cells to expect apart. Ties under ``round`` are not flagged: they are
one unit in the last place apart, within every comparison's tolerance, and flagging them would
warn on ordinary BF16 outputs.
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim import numerics
from plsim.context import warn
from plsim.numerics_cast import WRAPPING_PAIRS, known_chain

_INT32 = np.iinfo(np.int32)
_DIRECTED = ("floor", "ceil", "trunc", "odd")


def warn_where_a2a3sim_differs(
    source: np.ndarray, src: dt.DType, dst: dt.DType, mode: str, out: np.ndarray
) -> None:
    """DSLWarning when a2a3sim's CPU TCVT gives other values than plsim's for this cast of the
    valid cells ``source`` (giving ``out``)."""
    if src.is_float and not dst.is_float:
        x = source.astype(np.float64)
        # the last hop of a legalised chain decides (FP32 -> INT8 ends FP16 -> INT8, which wraps)
        hops = known_chain(src, dst)
        last = hops[-2] if len(hops) > 1 else src
        wraps = (last.name, dst.name) in WRAPPING_PAIRS
        info = _INT32 if wraps or dst.bits > 32 else np.iinfo(dst.numpy)
        with np.errstate(invalid="ignore"):
            departs = ~np.isfinite(x) | (x <= info.min - 1.0) | (x >= info.max + 1.0)
        if departs.any():
            warn(
                f"pl.cast {src.name} -> {dst.name} of NaN, infinite or out-of-range values: "
                "plsim gives pto-isa's a2a3 TCVT result (NaN -> 0, saturated"
                + (", then the low bits" if wraps else "")
                + "), a2a3sim's CPU TCVT converts them through C++'s undefined float -> int "
                "conversion (INT32_MIN, 0 once narrowed), so the two differ on those cells"
            )
    elif dst.is_float and mode in _DIRECTED:
        nearest = numerics.cast(source, src, dst, "rint")
        if not np.array_equal(nearest.view(np.uint8), np.ascontiguousarray(out).view(np.uint8)):
            warn(
                f"pl.cast {src.name} -> {dst.name} with mode={mode!r}: plsim rounds as the "
                "mode says (pto-isa's a2a3 TCVT picks the vconv instruction by it), a2a3sim's "
                "CPU TCVT rounds to nearest even whatever the mode, so the two differ on the "
                "cells where the mode matters"
            )
