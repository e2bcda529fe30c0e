"""The one seam between the torch functions and whatever runs a kernel: ``run(kernel, args,
outputs)`` on the process's platform (ops._platform). Backends write the kernel's ``pl.Out`` /
``pl.InOut`` results into the given tensors in place.

plsim runs in this process; pypto's simulators run in a child process of their own
(ops._sim_worker), so the real pypto and plsim never share an interpreter; on an NPU the real
pypto runs here (plsim is then never imported). Each backend keeps one compiled artifact per
(kernel, argument shapes and dtypes, scalar values): compile once, call many.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

from deepseek_v4_pypto_ops.ops import _platform
from deepseek_v4_pypto_ops.ops._kernel import Arg, Kernel, artifact_key


class Backend(Protocol):
    def run(self, kernel: Kernel, args: Sequence[Arg], outputs: Sequence[int]) -> bool:
        """Run ``kernel``; returns True when this call compiled a new artifact."""


_backends: dict[str, Backend] = {}
#: Artifacts built in this process, per platform: artifact_key -> calls served.
_artifacts: dict[str, dict[tuple, int]] = {}


def _backend(platform: str) -> Backend:
    if platform not in _backends:
        if platform == "plsim":
            from deepseek_v4_pypto_ops.ops._plsim_backend import PlsimBackend

            _backends[platform] = PlsimBackend()
        elif platform in _platform.SIM_PLATFORMS:
            from deepseek_v4_pypto_ops.ops._sim_backend import SimBackend

            _backends[platform] = SimBackend(platform)
        else:
            from deepseek_v4_pypto_ops.ops._npu_backend import NpuBackend

            _backends[platform] = NpuBackend(platform)
    return _backends[platform]


def device_type() -> str:
    """The device the tensors must be on for the current platform: npu or cpu."""
    if _platform.current() in _platform.DEVICE_PLATFORMS:
        importlib.import_module("torch_npu")  # registers the "npu" device with torch
        return "npu"
    return "cpu"


def run(kernel: Kernel, args: Sequence[Arg], outputs: Sequence[int]) -> None:
    """Run ``kernel`` with ``args`` (its parameters in order) on the current platform; the
    tensors at positions ``outputs`` receive its results in place."""
    platform = _platform.current()
    _platform.announce(platform)
    _backend(platform).run(kernel, args, outputs)
    calls = _artifacts.setdefault(platform, {})
    key = artifact_key(kernel, args)
    calls[key] = calls.get(key, 0) + 1


def artifacts(platform: str | None = None) -> dict[tuple, int]:
    """Artifacts used so far on ``platform`` (default: the current one) and their call counts."""
    return dict(_artifacts.get(platform or _platform.current(), {}))


def shutdown() -> None:
    """Stop child processes (they also stop when this process exits)."""
    for backend in _backends.values():
        close = getattr(backend, "close", None)
        if close is not None:
            close()
    _backends.clear()
