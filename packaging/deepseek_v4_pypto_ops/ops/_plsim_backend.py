"""Kernels on plsim in this process: CPU tensors handed over as NumPy views of their memory, so
plsim's in-place writes land in the caller's tensors with no copy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from deepseek_v4_pypto_ops.ops._kernel import Arg, Kernel
from deepseek_v4_pypto_ops.ops.weights import as_numpy


class PlsimBackend:
    """plsim has no compile step; a kernel file is loaded once and reused."""

    def __init__(self) -> None:
        self._modules: dict[str, Any] = {}

    def run(self, kernel: Kernel, args: Sequence[Arg], outputs: Sequence[int]) -> bool:
        import plsim

        loaded = kernel.module in self._modules
        if not loaded:
            self._modules[kernel.module] = plsim.load(str(kernel.file))
        entry = getattr(self._modules[kernel.module], kernel.name)
        values = [as_numpy(a) if isinstance(a, torch.Tensor) else a for a in args]
        try:
            plsim.run(entry, *values)
        except plsim.SimError as exc:
            raise RuntimeError(f"{kernel.name} on plsim: {type(exc).__name__}: {exc}") from exc
        return not loaded
