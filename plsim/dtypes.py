"""DSL data types (``pl.FP32`` ...) and their NumPy storage types."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import ml_dtypes
import numpy as np


@dataclass(frozen=True)
class DType:
    """A pypto.language data type: its name, NumPy storage dtype and category."""

    name: str
    numpy: np.dtype
    bits: int
    is_float: bool
    is_signed: bool

    # Cached: a per-op hot path (the fields are frozen, so the value never changes).
    @cached_property
    def itemsize(self) -> int:
        """Bytes per element as stored in GM and on chip (BOOL is one byte)."""
        return max(1, self.bits // 8)

    @cached_property
    def is_int(self) -> bool:
        """True for integer types (BOOL excluded)."""
        return not self.is_float and self.name != "BOOL"

    def get_byte(self) -> int:
        """Bytes per element (the name pypto uses)."""
        return self.itemsize

    def __repr__(self) -> str:
        return f"pl.{self.name}"

    def __eq__(self, other) -> bool:
        # The dataclass comparison (all fields in order), with the two common outcomes first:
        # the same singleton, or different names (dtype checks run on every op).
        if other.__class__ is not self.__class__:
            return NotImplemented
        if self is other:
            return True
        if self.name != other.name:
            return False
        return (self.numpy, self.bits, self.is_float, self.is_signed) == (
            other.numpy, other.bits, other.is_float, other.is_signed,
        )  # fmt: skip


BOOL = DType("BOOL", np.dtype(np.bool_), 8, False, False)
INT8 = DType("INT8", np.dtype(np.int8), 8, False, True)
UINT8 = DType("UINT8", np.dtype(np.uint8), 8, False, False)
INT16 = DType("INT16", np.dtype(np.int16), 16, False, True)
UINT16 = DType("UINT16", np.dtype(np.uint16), 16, False, False)
INT32 = DType("INT32", np.dtype(np.int32), 32, False, True)
UINT32 = DType("UINT32", np.dtype(np.uint32), 32, False, False)
INT64 = DType("INT64", np.dtype(np.int64), 64, False, True)
UINT64 = DType("UINT64", np.dtype(np.uint64), 64, False, False)
FP16 = DType("FP16", np.dtype(np.float16), 16, True, True)
BF16 = DType("BF16", np.dtype(ml_dtypes.bfloat16), 16, True, True)
FP32 = DType("FP32", np.dtype(np.float32), 32, True, True)
#: Loop variables, shapes and int literals: a 64-bit signed scalar type.
INDEX = DType("INDEX", np.dtype(np.int64), 64, False, True)

ALL_DTYPES: tuple[DType, ...] = (
    BOOL, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, FP16, BF16, FP32, INDEX,
)  # fmt: skip

_BY_NUMPY: dict[np.dtype, DType] = {}
for _d in ALL_DTYPES:
    if _d is not INDEX:  # int64 arrays map to INT64; INDEX is a scalar-only type
        _BY_NUMPY.setdefault(_d.numpy, _d)


def from_numpy(dtype: np.dtype) -> DType:
    """The DSL dtype stored as the NumPy ``dtype``; TypeError names the supported ones."""
    try:
        return _BY_NUMPY[np.dtype(dtype)]
    except (KeyError, TypeError):
        supported = ", ".join(str(d) for d in _BY_NUMPY)
        raise TypeError(f"unsupported array dtype {dtype}; expected one of: {supported}") from None
