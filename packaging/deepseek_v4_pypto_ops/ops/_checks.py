"""Argument checks of the torch API: one TypeError / ValueError naming the argument and what was
expected, raised before any work (nothing is converted, compiled or written first)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from models.deepseek_v4.contract.decode import (
    BLOCK_SIZE_MULTIPLE,
    MAX_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
)

_DTYPE_NAMES = {
    torch.bfloat16: "bfloat16",
    torch.float32: "float32",
    torch.float16: "float16",
    torch.int8: "int8",
    torch.int32: "int32",
    torch.int64: "int64",
}


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.bfloat16`` -> ``"bfloat16"``."""
    return _DTYPE_NAMES.get(dtype, str(dtype).removeprefix("torch."))


def tensor(
    name: str,
    value: Any,
    dtypes: torch.dtype | Sequence[torch.dtype],
    shape: Sequence[int | None] | None = None,
    device: torch.device | None = None,
) -> torch.Tensor:
    """``value`` if it is a contiguous tensor of one of ``dtypes`` whose shape matches ``shape``
    (None: any extent) on ``device``; TypeError for the type or dtype, ValueError otherwise."""
    allowed = (dtypes,) if isinstance(dtypes, torch.dtype) else tuple(dtypes)
    wanted = " or ".join(f"torch.{dtype_name(d)}" for d in allowed)
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor of {wanted}, got {type(value).__name__}")
    if value.dtype not in allowed:
        raise TypeError(f"{name}: expected dtype {wanted}, got torch.{dtype_name(value.dtype)}")
    if shape is not None:
        ok = value.dim() == len(shape) and all(
            want is None or got == want for got, want in zip(value.shape, shape)
        )
        if not ok:
            shown = ", ".join("*" if w is None else str(w) for w in shape)
            raise ValueError(f"{name}: expected shape [{shown}], got {list(value.shape)}")
    if device is not None and value.device.type != device.type:
        raise ValueError(f"{name}: expected a tensor on {device.type}, got one on {value.device}")
    if not value.is_contiguous():
        raise ValueError(f"{name}: expected a contiguous tensor (call .contiguous())")
    return value


def integer(name: str, value: Any, low: int, high: int, multiple: int = 1) -> int:
    """``value`` if it is an int in low..high and a multiple of ``multiple``; else TypeError /
    ValueError naming the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} {value!r}")
    if not low <= value <= high or value % multiple:
        what = f"a multiple of {multiple} in {low}..{high}" if multiple > 1 else f"{low}..{high}"
        raise ValueError(f"{name}: expected {what}, got {value}")
    return value


def block_size(name: str, cache: torch.Tensor) -> int:
    """The block size (dim 1) of a paged pool: a multiple of 16 in 16..1024."""
    size = int(cache.shape[1])
    if size % BLOCK_SIZE_MULTIPLE or not MIN_BLOCK_SIZE <= size <= MAX_BLOCK_SIZE:
        raise ValueError(
            f"{name}: block size (dim 1) {size}; expected a multiple of {BLOCK_SIZE_MULTIPLE} "
            f"in {MIN_BLOCK_SIZE}..{MAX_BLOCK_SIZE}"
        )
    return size


def same_device(pairs: Sequence[tuple[str, torch.Tensor | None]]) -> torch.device:
    """The device every given tensor is on; ValueError naming the first one that differs."""
    present = [(n, t) for n, t in pairs if t is not None]
    first_name, first = present[0]
    for name, value in present[1:]:
        if value.device != first.device:
            raise ValueError(
                f"{name}: expected a tensor on {first.device} (as {first_name}), got {value.device}"
            )
    return first.device


def choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """``value`` if it is one of ``allowed``; ValueError listing them."""
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value
