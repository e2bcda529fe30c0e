"""Tensor and scalar specifications of a kernel's parameters, in parameter order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

#: DSL dtype names the harness understands, mapped to their NumPy storage dtype.
DTYPES: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_),
    "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
    "int16": np.dtype(np.int16),
    "int32": np.dtype(np.int32),
    "uint32": np.dtype(np.uint32),
    "int64": np.dtype(np.int64),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
}


def numpy_dtype(name: str | np.dtype) -> np.dtype:
    """The NumPy dtype for a dtype name (or dtype); ValueError names the accepted names."""
    if isinstance(name, np.dtype):
        if name not in DTYPES.values():
            raise ValueError(f"dtype: unsupported dtype {name}; expected one of {sorted(DTYPES)}")
        return name
    try:
        return DTYPES[str(name)]
    except KeyError:
        raise ValueError(
            f"dtype: unknown dtype {name!r}; expected one of {sorted(DTYPES)}"
        ) from None


#: An initializer: None (zeros), a number (constant fill), an array (converted to the dtype), or
#: a callable taking a seeded numpy Generator and returning an array of the spec's shape.
Init = None | int | float | np.ndarray | Callable[[np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class TensorSpec:
    """One tensor parameter: name (equal to the kernel parameter), shape, dtype and initializer.

    ``is_output`` marks a tensor compared against the golden; with a non-None ``init`` it is
    in/out state (its initial value is passed in and its final value compared).
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    init: Any = None
    is_output: bool = False


@dataclass(frozen=True)
class ScalarSpec:
    """One scalar parameter, passed to the kernel as a Python number."""

    name: str
    dtype: str
    value: int | float | bool
