"""A kernel entry point and the key that selects its compiled artifact."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

Arg = torch.Tensor | int


@dataclass(frozen=True)
class Kernel:
    """A ``@pl.jit`` entry point: its module (under the installed ``models`` package) and name."""

    module: str
    name: str

    @property
    def file(self) -> Path:
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise ImportError(f"kernel module {self.module} is not installed")
        return Path(spec.origin)


def artifact_key(kernel: Kernel, args: Sequence[Arg]) -> tuple:
    """What selects an artifact: the kernel, every tensor's shape and dtype, every scalar."""
    shapes = tuple(
        (tuple(a.shape), str(a.dtype)) if isinstance(a, torch.Tensor) else ("scalar", int(a))
        for a in args
    )
    return (kernel.module, kernel.name, shapes)
