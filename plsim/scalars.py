"""Runtime scalars (loop variables, pl.read results, pl.const): typed values with C semantics.

Python ints/floats that reach a kernel (module constants, scalar parameters) stay plain Python
numbers and fold with Python semantics, as the real parser folds constants at parse time. A
``Scalar`` is a *runtime* value: ``//`` and ``%`` truncate toward zero like the C code they
lower to (docs/dsl.md §6.3).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from plsim import dtypes as dt
from plsim.context import dsl


def _wrap_int(value: int, dtype: dt.DType) -> int:
    """Wrap an integer to ``dtype``'s range (two's complement)."""
    if dtype is dt.BOOL:
        return bool(value)
    bits = dtype.bits
    mask = (1 << bits) - 1
    value &= mask
    if dtype.is_signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def _round_float(value: float, dtype: dt.DType) -> float:
    return float(np.asarray(value, dtype=np.float64).astype(dtype.numpy))


_COMPARISONS = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}  # fmt: skip


#: Integer ops whose C and Python semantics agree (floordiv/mod truncate in C: general path).
_INT_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
_DIVISIONS = ("floordiv", "truediv", "mod")


def literal_dtype(value) -> dt.DType:
    """DSL type of a Python literal: bool -> BOOL, int -> INDEX, float -> FP32."""
    if isinstance(value, (bool, np.bool_)):
        return dt.BOOL
    if isinstance(value, (int, np.integer)):
        return dt.INDEX
    return dt.FP32


def _operator(op: str, reverse: bool = False):
    """A binary operator method of Scalar that applies ``op`` (operands swapped if ``reverse``)."""

    def method(self, other):
        return self._binary(other, op, reverse)

    method.__name__ = f"__{'r' if reverse else ''}{op}__"
    return method


class Scalar:
    """A typed runtime scalar value."""

    __slots__ = ("dtype", "value")

    def __init__(self, value, dtype: dt.DType) -> None:
        self.dtype = dtype
        if dtype is dt.BOOL:
            self.value = bool(value)
        elif dtype.is_float:
            self.value = _round_float(float(value), dtype)
        else:
            self.value = _wrap_int(int(value), dtype)

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}, {self.dtype!r})"

    # --- conversions used by the simulator ---------------------------------------------
    def __index__(self) -> int:
        if self.dtype.is_float:
            dsl(f"a {self.dtype.name} scalar cannot be used as an index")
        return int(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __hash__(self) -> int:
        return hash(self.value)

    # --- arithmetic ---------------------------------------------------------------------
    def _binary(self, other, op: str, reverse: bool = False):
        # Fast path (index arithmetic on every kernel line): an integer Scalar with a plain
        # int or another integer Scalar. Same results as the general path below.
        if self.dtype.is_int:
            cls = other.__class__
            if cls is int:
                odt, ov = dt.INDEX, other
            elif cls is Scalar and other.dtype.is_int:
                odt, ov = other.dtype, other.value
            else:
                odt = None
            if odt is not None:
                a_dt, a, b_dt, b = self.dtype, self.value, odt, ov
                if reverse:
                    a_dt, a, b_dt, b = b_dt, b, a_dt, a
                compare = _COMPARISONS.get(op)
                if compare is not None:
                    return Scalar(compare(a, b), dt.BOOL)
                result_dt = a_dt if a_dt.bits >= b_dt.bits else b_dt
                fast = _INT_OPS.get(op)
                if fast is not None:
                    return Scalar(fast(a, b), result_dt)
                if op in _DIVISIONS and a >= 0 and b > 0:  # C truncation = floor here
                    return Scalar(a % b if op == "mod" else a // b, result_dt)
        if isinstance(other, Scalar):
            odt, ov = other.dtype, other.value
        elif isinstance(other, (bool, int, float, np.integer, np.floating, np.bool_)):
            odt, ov = literal_dtype(other), other
        else:
            return NotImplemented
        a_dt, a, b_dt, b = self.dtype, self.value, odt, ov
        if reverse:
            a_dt, a, b_dt, b = b_dt, b, a_dt, a
        compare = _COMPARISONS.get(op)
        if compare is not None:
            return Scalar(compare(a, b), dt.BOOL)
        if op in ("and", "or"):
            return Scalar((a and b) if op == "and" else (a or b), dt.BOOL)
        if a_dt is dt.BOOL or b_dt is dt.BOOL:
            dsl(f"scalar '{op}' on a BOOL operand is not allowed")
        if a_dt.is_float != b_dt.is_float:
            dsl(
                f"scalar '{op}' mixes {a_dt.name} and {b_dt.name}: int and float scalars "
                "cannot be mixed (use pl.cast)"
            )
        result_dt = a_dt if a_dt.bits >= b_dt.bits else b_dt
        if result_dt.is_float:
            return Scalar(_float_op(op, float(a), float(b), result_dt), result_dt)
        return Scalar(_int_op(op, int(a), int(b)), result_dt)

    __add__ = _operator("add")
    __radd__ = _operator("add", reverse=True)
    __sub__ = _operator("sub")
    __rsub__ = _operator("sub", reverse=True)
    __mul__ = _operator("mul")
    __rmul__ = _operator("mul", reverse=True)
    __floordiv__ = _operator("floordiv")
    __rfloordiv__ = _operator("floordiv", reverse=True)
    __mod__ = _operator("mod")
    __rmod__ = _operator("mod", reverse=True)
    __truediv__ = _operator("truediv")
    __rtruediv__ = _operator("truediv", reverse=True)
    __lshift__ = _operator("lshift")
    __rlshift__ = _operator("lshift", reverse=True)
    __rshift__ = _operator("rshift")
    __rrshift__ = _operator("rshift", reverse=True)
    __eq__ = _operator("eq")  # type: ignore[assignment]
    __ne__ = _operator("ne")  # type: ignore[assignment]
    __lt__ = _operator("lt")
    __le__ = _operator("le")
    __gt__ = _operator("gt")
    __ge__ = _operator("ge")

    def __neg__(self):
        if self.dtype is dt.BOOL:
            dsl("unary '-' on a BOOL scalar is not allowed")
        return Scalar(-self.value, self.dtype)

    def __invert__(self):
        if self.dtype is dt.BOOL:
            return Scalar(not self.value, dt.BOOL)
        return Scalar(~int(self.value), self.dtype)


def _trunc_div(a: int, b: int) -> int:
    if b == 0:
        dsl("integer division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _int_op(op: str, a: int, b: int) -> int:
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op in ("floordiv", "truediv"):
        # Emitted as C truncating division (arith.divsi), not Python floor division.
        return _trunc_div(a, b)
    if op == "mod":
        # C remainder: the sign follows the dividend.
        return a - _trunc_div(a, b) * b
    if op == "lshift":
        return a << b
    if op == "rshift":
        return a >> b
    raise AssertionError(op)


def _float_op(op: str, a: float, b: float, dtype: dt.DType) -> float:
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "truediv":
        if b == 0.0:
            return math.copysign(math.inf, a) if a != 0.0 else math.nan
        return a / b
    dsl(f"scalar '{op}' is not defined for {dtype.name}")
    raise AssertionError


def is_number(x) -> bool:
    """True for a Python/NumPy number or a Scalar."""
    return isinstance(x, (Scalar, bool, int, float, np.integer, np.floating, np.bool_))


def to_int(x, what: str) -> int:
    """An index-like value (int or integer Scalar) as a Python int; DSLError otherwise."""
    if isinstance(x, Scalar):
        return x.__index__()
    if isinstance(x, (bool, np.bool_)):
        return int(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    dsl(f"{what} must be an integer, got {x!r}")
    raise AssertionError


def scalar_min(a, b):
    """pl.min on scalars: Python numbers fold; otherwise a typed Scalar (wider type wins)."""
    return _minmax(a, b, "min")


def scalar_max(a, b):
    """pl.max on scalars."""
    return _minmax(a, b, "max")


def _minmax(a, b, which: str):
    if not (is_number(a) and is_number(b)):
        dsl(f"pl.{which} takes two scalars (use pl.minimum/pl.maximum for tiles)")
    if not isinstance(a, Scalar) and not isinstance(b, Scalar):
        return min(a, b) if which == "min" else max(a, b)
    if a.__class__ is Scalar and b.__class__ is int and a.dtype.is_int:
        # The common pl.min(runtime index, literal): as below, without wrapping the literal.
        rdt = a.dtype if a.dtype.bits >= 64 else dt.INDEX
        b = _wrap_int(b, dt.INDEX)
        return Scalar(min(a.value, b) if which == "min" else max(a.value, b), rdt)
    if a.__class__ is int and b.__class__ is Scalar and b.dtype.is_int:
        a = _wrap_int(a, dt.INDEX)  # the literal's INDEX has 64 bits: it wins the tie
        return Scalar(min(a, b.value) if which == "min" else max(a, b.value), dt.INDEX)
    sa = a if isinstance(a, Scalar) else Scalar(a, literal_dtype(a))
    sb = b if isinstance(b, Scalar) else Scalar(b, literal_dtype(b))
    if sa.dtype.is_float != sb.dtype.is_float:
        dsl(f"pl.{which} mixes {sa.dtype.name} and {sb.dtype.name} scalars")
    rdt = sa.dtype if sa.dtype.bits >= sb.dtype.bits else sb.dtype
    v = min(sa.value, sb.value) if which == "min" else max(sa.value, sb.value)
    return Scalar(v, rdt)
