"""pl.cast on tiles (any mode, docs/dsl.md §10) and scalars (default mode only, C conversions)."""

from __future__ import annotations

import math

from plsim import dtypes as dt
from plsim import numerics
from plsim.context import dsl, platform_name
from plsim.memory import valid_box
from plsim.ops import view_rules
from plsim.ops.cast_departures import warn_where_a2a3sim_differs
from plsim.ops.common import begin, count_vector, dtype_arg, operand, result, union
from plsim.scalars import Scalar, is_number, literal_dtype

_MODE_BY_INT = dict(enumerate(("none", "rint", "round", "floor", "ceil", "trunc", "odd")))


def _mode_name(mode) -> str:
    if isinstance(mode, bool):
        dsl(f"pl.cast mode must be a name or 0..6, got {mode!r}")
    if isinstance(mode, int):
        if mode not in _MODE_BY_INT:
            dsl(f"pl.cast mode {mode} is not one of 0..6")
        return _MODE_BY_INT[mode]
    name = getattr(mode, "name", mode)
    if not isinstance(name, str) or name.lower() not in numerics.CAST_MODES:
        dsl(f"pl.cast mode {mode!r} is not one of {list(numerics.CAST_MODES)}")
    return name.lower()


def cast(x, target_type=None, mode="round"):
    """pl.cast(x, target_type, mode='round')."""
    target = dtype_arg(target_type, "pl.cast target_type")
    if is_number(x):
        return _cast_scalar(x, target, mode)
    begin("cast")
    a = operand(x, "cast")
    view_rules.check_cast_source(a)
    name = _mode_name(mode)
    if a.dtype is target:
        dsl(f"pl.cast of a {a.dtype.name} tile to {target.name}: same-dtype casts are rejected")
    if (a.dtype, target) == (dt.INT8, dt.FP32) and platform_name(default="") == "a2a3":
        dsl(
            "pl.cast of an INT8 tile to FP32: a2a3 has no native INT8 -> FP32 conversion (the "
            "compiler's LegalizeTileCast rejects it: \"pto.tcvt does not support this "
            'conversion"); write pl.cast(pl.cast(t, pl.FP16), pl.FP32) (exact: INT8 fits FP16)'
        )
    data = numerics.cast(a.data, a.dtype, target, name)
    box = valid_box(a.valid)
    warn_where_a2a3sim_differs(a.data[box], a.dtype, target, name, data[box])
    count_vector(a.valid)
    return result(data, target, a.valid, "vector", union(data.shape, a.poison), a)


def _cast_scalar(x, target: dt.DType, mode) -> Scalar:
    if mode not in ("round", 2):
        dsl("pl.cast of a scalar accepts only the default mode")
    src = x.dtype if isinstance(x, Scalar) else literal_dtype(x)
    value = x.value if isinstance(x, Scalar) else x
    if src is dt.INDEX and target.is_float:
        dsl(
            f"pl.cast of an index scalar ({value!r}: an int literal, a specialized int scalar "
            f"parameter, a loop variable, a block index or arithmetic of them) to {target.name}: "
            'the compiler has no index -> float cast ("Cast between float and index types is '
            f'not supported"); write pl.cast(pl.cast(v, pl.INT32), pl.{target.name}), or a float '
            "literal"
        )
    if target.is_float:
        return Scalar(float(value), target)
    if target is dt.BOOL:
        return Scalar(bool(value), dt.BOOL)
    if src.is_float:
        if math.isnan(value) or math.isinf(value):
            dsl(f"pl.cast of scalar {value} to {target.name}")
        value = math.trunc(value)  # C conversion: toward zero
    return Scalar(int(value), target)
