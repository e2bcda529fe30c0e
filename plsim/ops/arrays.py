"""pl.array.create(n, dtype): a small scalar array of the orchestration (task handles, counters).

Task-handle arrays (``pl.TASK_ID``) collect the handles of scopes for later ``deps=[...]``;
scheduling is not simulated, so a handle is opaque and an unset one is a valid "no task" handle.
Integer arrays hold scalars; reading an element never assigned is an error, because the device
array is not zero-initialised (pypto-lib kernels that counted from an unset slot were wrong).
"""

from __future__ import annotations

from plsim import dtypes as dt
from plsim.context import dsl
from plsim.language_types import TASK_ID, TaskId
from plsim.scalars import Scalar, to_int

_UNSET = object()


class ScalarArray:
    """A fixed-size array of scalars or task handles."""

    def __init__(self, size: int, dtype: dt.DType) -> None:
        self.dtype = dtype
        fill = TaskId() if dtype is TASK_ID else _UNSET
        self.items = [fill] * size

    def _index(self, index) -> int:
        i = to_int(index, "pl.array index")
        if not 0 <= i < len(self.items):
            dsl(f"pl.array index {i} is outside an array of {len(self.items)} elements")
        return i

    def __getitem__(self, index):
        value = self.items[self._index(index)]
        if value is _UNSET:
            dsl(
                f"read of pl.array element {to_int(index, 'pl.array index')} that was never "
                "assigned (pl.array.create does not initialise its elements)"
            )
        return value

    def __setitem__(self, index, value) -> None:
        i = self._index(index)
        if self.dtype is TASK_ID:
            if not isinstance(value, TaskId):
                dsl(f"a pl.TASK_ID array element takes a task handle, got {value!r}")
            self.items[i] = value
            return
        if isinstance(value, TaskId):
            dsl(f"a task handle stored into a pl.{self.dtype.name} array")
        self.items[i] = Scalar(to_int(value, "pl.array value"), self.dtype)

    def __len__(self) -> int:
        return len(self.items)


def create(size, dtype) -> ScalarArray:
    """pl.array.create(size, dtype)."""
    n = to_int(size, "pl.array.create size")
    if n < 1:
        dsl(f"pl.array.create size must be >= 1, got {n}")
    if not isinstance(dtype, dt.DType):
        dsl(f"pl.array.create dtype must be a pl dtype, got {dtype!r}")
    return ScalarArray(n, dtype)


class ArrayType:
    """``pl.Array[n, dtype]``: the annotation of a parameter that receives a pl.array."""

    def __init__(self, size, dtype) -> None:
        self.size, self.dtype = size, dtype

    def __repr__(self) -> str:
        return f"pl.Array[{self.size}, {self.dtype!r}]"


class Array:
    """``pl.Array``: subscript it as ``pl.Array[n, dtype]`` in an annotation."""

    def __class_getitem__(cls, item) -> ArrayType:
        if not isinstance(item, tuple) or len(item) != 2:
            dsl(f"pl.Array takes [size, dtype], got {item!r}")
        return ArrayType(*item)
