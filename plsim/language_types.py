"""Type annotations, enums and option descriptors of the pl namespace."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from plsim import dtypes as dt


@dataclass(frozen=True)
class DynamicDim:
    """``pl.dynamic("N")``: a dimension bound at call time (matches any size)."""

    name: str


def dynamic(name: str) -> DynamicDim:
    """pl.dynamic(name): a dynamic dimension marker for annotations."""
    return DynamicDim(str(name))


@dataclass(frozen=True)
class TensorType:
    """``pl.Tensor[[shape], dtype]`` (shape/dtype None for a bare ``pl.Tensor``)."""

    shape: tuple | None = None
    dtype: dt.DType | None = None
    direction: str = "in"
    kind: str = "tensor"


@dataclass(frozen=True)
class ScalarType:
    """``pl.Scalar[dtype]``."""

    dtype: dt.DType | None = None


class _TensorMeta(type):
    def __getitem__(cls, item) -> TensorType:
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError("pl.Tensor[[shape], dtype] takes a shape list and a dtype")
        shape, dtype = item
        return TensorType(tuple(shape), dtype, "in", cls.kind)


class Tensor(metaclass=_TensorMeta):
    """pl.Tensor[[shape], dtype]: a GM tensor parameter (direction In)."""

    kind = "tensor"


class Tile(metaclass=_TensorMeta):
    """pl.Tile[[shape], dtype]: an on-chip tile annotation."""

    kind = "tile"


#: How each parameter direction is spelled in the DSL (for messages).
DIRECTION_SPELLINGS = {"in": "pl.Tensor", "out": "pl.Out", "inout": "pl.InOut"}


def _direction(item: Any, direction: str) -> TensorType:
    if isinstance(item, TensorType):
        return TensorType(item.shape, item.dtype, direction, item.kind)
    if item is Tensor:
        return TensorType(None, None, direction)
    raise TypeError(f"{DIRECTION_SPELLINGS[direction]}[...] wraps a pl.Tensor annotation")


class _DirMeta(type):
    def __getitem__(cls, item) -> TensorType:
        return _direction(item, cls.direction)


class Out(metaclass=_DirMeta):
    """pl.Out[pl.Tensor[...]]: written by the kernel; undefined until written."""

    direction = "out"


class InOut(metaclass=_DirMeta):
    """pl.InOut[pl.Tensor[...]]: read and written."""

    direction = "inout"


class _ScalarMeta(type):
    def __getitem__(cls, item) -> ScalarType:
        return ScalarType(item)


class Scalar(metaclass=_ScalarMeta):
    """pl.Scalar[dtype]: a scalar parameter."""


class Level(enum.IntEnum):
    """pl.Level: only CORE_GROUP opens an InCore scope."""

    AIV = 0
    AIC = 1
    CORE_GROUP = 2
    CHIP_DIE = 3
    CHIP = 4
    HOST = 5
    CLUSTER_0 = 6
    CLUSTER_1 = 7
    CLUSTER_2 = 8
    GLOBAL = 9


class PadValue(enum.Enum):
    """pl.PadValue for pl.fillpad."""

    zero = 0
    min = 1
    max = 2


class GatherMaskPattern(enum.IntEnum):
    """Column patterns of the mask form of pl.gather."""

    P0101 = 1
    P1010 = 2
    P0001 = 3
    P0010 = 4
    P0100 = 5
    P1000 = 6
    P1111 = 7


class SplitMode(enum.IntEnum):
    """pl.SplitMode of pl.split."""

    NONE = 0
    UP_DOWN = 1
    LEFT_RIGHT = 2


class AtomicType(enum.Enum):
    """pl.AtomicType for pl.assemble (only None_ is simulated)."""

    None_ = 0
    Add = 1


class MemorySpace(enum.Enum):
    """pl.Mem memory spaces (informational)."""

    DDR = 0
    Vec = 1
    Mat = 2
    Left = 3
    Right = 4
    Acc = 5
    Bias = 6


@dataclass(frozen=True)
class SplitOption:
    """pl.split(mode, ...): halve the vector part of a scope across the two AIV lanes."""

    mode: SplitMode
    slot_num: int | None = None


@dataclass(frozen=True)
class CrossCoreSlot:
    """pl.cross_core_slot(slot_num=N): cube<->vector ring depth (no functional effect)."""

    slot_num: int


def split(mode=SplitMode.NONE, slot_num=None) -> SplitOption:
    """pl.split(mode, slot_num=None)."""
    return SplitOption(SplitMode(int(mode)), slot_num)


def cross_core_slot(slot_num=2) -> CrossCoreSlot:
    """pl.cross_core_slot(slot_num=N)."""
    return CrossCoreSlot(int(slot_num))


class TaskId:
    """An opaque task handle (``with pl.at(...) as tid``, pl.system.task_dummy)."""

    def __repr__(self) -> str:
        return "TaskId()"


TASK_ID = dt.DType("TASK_ID", dt.INDEX.numpy, 64, False, False)
