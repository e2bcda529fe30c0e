"""Kernels on an Ascend NPU: the real pypto in this process (plsim is never imported on this
path), device tensors passed as they are, one compiled program per artifact key.

Not exercised by this repository's tests (no NPU here); it follows pypto's documented flow
(``kernel.compile(*args, config=RunConfig(platform=...))``, then calling the program).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from deepseek_v4_pypto_ops.ops._kernel import Arg, Kernel, artifact_key


class NpuBackend:
    def __init__(self, platform: str) -> None:
        if "plsim" in sys.modules:
            raise RuntimeError(
                f"platform {platform!r}: plsim is loaded in this process and the real pypto "
                "cannot share it; use the NPU path in a process that never ran plsim"
            )
        importlib.import_module("torch_npu")
        self._run_config = importlib.import_module("pypto.runtime").RunConfig
        self.platform = platform
        self._programs: dict[tuple, Any] = {}

    def _config(self) -> Any:
        fields: dict[str, Any] = {"platform": self.platform}
        if os.environ.get("DEEPSEEK_V4_OPS_DEVICE_ID") is not None:
            fields["device_id"] = int(os.environ["DEEPSEEK_V4_OPS_DEVICE_ID"])
        return self._run_config(**fields)

    def run(self, kernel: Kernel, args: Sequence[Arg], outputs: Sequence[int]) -> bool:
        key = artifact_key(kernel, args)
        new = key not in self._programs
        if new:
            entry = getattr(importlib.import_module(kernel.module), kernel.name)
            self._programs[key] = entry.compile(*args, config=self._config())
        self._programs[key](*args, config=self._config())
        return new
