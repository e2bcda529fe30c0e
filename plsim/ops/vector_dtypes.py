"""The element types a2a3's vector instructions take (ptoas's A2/A3 verifiers).

pypto types most vector ops for any numeric dtype, and plsim's NumPy computes any of them, but
this chain's ptoas verifies each instruction's element type for A2/A3 and stops the build
otherwise ("'pto.tadd' op expects A2/A3 tadd element type to be i32/i16/f16/f32"). So a kernel
plsim accepted with BF16 or INT8 arithmetic did not build. Every row below was measured: a tile
kernel and a tensor-level kernel per (op, dtype) over BF16, FP16, FP32, INT32, INT16, INT8 and
UINT8, built by pypto and ptoas (tests/plsim_conformance/kernels/vector_dtype_kernels.py holds
one per message). The pure copies (``pl.expands``, ``pl.row_expand``, ``pl.col_expand``, loads,
stores, casts) take every dtype. a5's tables differ (BF16 and INT8 arithmetic exist there) and
are not modelled: the check applies on a2a3 only.
"""

from __future__ import annotations

from plsim import dtypes as dt
from plsim import errors
from plsim.context import fail, platform_name

_ARITH = (dt.INT32, dt.INT16, dt.FP16, dt.FP32)
_FLOAT = (dt.FP16, dt.FP32)


def _rule(instruction: str, allowed: tuple[dt.DType, ...], says: str) -> tuple:
    return instruction, allowed, f"'pto.{instruction}' op expects {says}"


def _a2a3(instruction: str, allowed: tuple[dt.DType, ...], names: str) -> tuple:
    return _rule(instruction, allowed, f"A2/A3 {instruction} element type to be {names}")


#: plsim op name -> (the pto instruction, the dtypes ptoas takes for it on A2/A3, ptoas's
#: message for another dtype, as measured).
A2A3_VECTOR_DTYPES: dict[str, tuple[str, tuple[dt.DType, ...], str]] = {
    **{op: _a2a3(f"t{op}", _ARITH, "i32/i16/f16/f32") for op in ("add", "sub", "mul")},
    "maximum": _a2a3("tmax", _ARITH, "i32/i16/f16/f32"),
    "minimum": _a2a3("tmin", _ARITH, "i32/i16/f16/f32"),
    **{
        f"{op}s": _a2a3(f"t{op}s", _ARITH, "i32/i16/f16/f32") for op in ("add", "sub", "mul", "div")
    },
    "maximums": _a2a3("tmaxs", _ARITH, "i32/i16/f16/f32"),
    "minimums": _a2a3("tmins", _ARITH, "i32/i16/f16/f32"),
    "neg": _a2a3("tneg", _ARITH, "i16/i32/f16/f32"),
    "div": _a2a3("tdiv", _FLOAT, "f16 or f32"),
    "abs": _rule("tabs", _FLOAT, "element type to be f16 or f32"),
    "relu": _a2a3("trelu", (dt.INT32, dt.FP16, dt.FP32), "i32/f16/f32"),
    "lrelu": _a2a3("tlrelu", _FLOAT, "f16 or f32"),
    **{
        op: _rule(f"t{op}", _FLOAT, "vec tile element types to be supported")
        for op in ("exp", "sqrt", "rsqrt", "recip")
    },
    **{
        f"row_{op}": _rule(f"trow{op}", _ARITH, "element type to be i16/i32/f16/f32")
        for op in ("sum", "max")
    },
    "row_prod": _a2a3("trowprod", _ARITH, "i16/i32/f16/f32"),
    **{
        f"col_{op}": _a2a3(f"tcol{op}", _ARITH, "f16/f32/i16/i32")
        for op in ("sum", "max", "min", "prod")
    },
    **{
        f"row_expand_{op}": _a2a3(f"trowexpand{op}", _ARITH, "i16/i32/f16/f32")
        for op in ("add", "sub", "mul", "max", "min")
    },
    **{
        f"col_expand_{op}": _a2a3(f"tcolexpand{op}", _ARITH, "i16/i32/f16/f32")
        for op in ("add", "sub", "mul", "max", "min")
    },
    "row_expand_div": _rule("trowexpanddiv", _FLOAT, "element type to be f16 or f32"),
    "col_expand_div": _rule("tcolexpanddiv", _FLOAT, "tcolexpanddiv element type to be f16 or f32"),
    "row_expand_expdif": _rule(
        "trowexpandexpdif", _FLOAT, "trowexpandexpdif element type to be f16 or f32"
    ),
}

#: Ops pypto itself types for these dtypes only (its message, measured).
PYPTO_VECTOR_DTYPES: dict[str, tuple[tuple[dt.DType, ...], str]] = {
    "row_min": (
        _ARITH,
        "The operator tile.row_min requires input dtype in {INT16, INT32, FP16, FP32}",
    ),
    "row_expand_add": (
        (dt.INT8, *_ARITH),
        "The operator tile.row_expand_add requires dtype in {INT8, INT16, INT32, FP16, FP32}",
    ),
}


def check_vector_dtype(op: str, dtype: dt.DType) -> None:
    """DSLError when pypto refuses ``op`` of ``dtype`` values, HardwareError when a2a3's
    instruction for it does not take them (ptoas)."""
    typed = PYPTO_VECTOR_DTYPES.get(op)
    if typed is not None and dtype not in typed[0]:
        fail(errors.DSLError, f"pl.{op} of {dtype.name} values: the compiler refuses it "
                              f"(\"{typed[1]}, but got ...\"); cast first")  # fmt: skip
    rule = A2A3_VECTOR_DTYPES.get(op)
    if rule is None or dtype in rule[1]:
        return
    if platform_name() != "a2a3":
        return
    instruction, allowed, message = rule
    usable = " or ".join(d.name for d in allowed)
    fail(
        errors.HardwareError,
        f"pl.{op} of {dtype.name} values: pypto accepts it, but ptoas builds pto.{instruction} "
        f'for A2/A3 on {usable} elements only ("{message}", measured); cast to one of them '
        "first",
    )
