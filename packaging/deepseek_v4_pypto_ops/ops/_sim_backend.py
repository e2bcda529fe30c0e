"""Kernels on pypto's CPU simulator (a2a3sim / a5sim), in one long-lived child process
(ops._sim_worker) that keeps every compiled program: the first call of a shape compiles
(pypto, ptoas, the simulator's C++ build: 40-200 s for the product kernels), later calls of
that shape only run. Tensors travel as .npy files in a private folder; results are copied
back into the caller's tensors. The child's own output goes to ``worker.log`` there.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deepseek_v4_pypto_ops.ops._kernel import Arg, Kernel
from deepseek_v4_pypto_ops.ops.weights import as_numpy


def raw(value: torch.Tensor) -> tuple[np.ndarray, str]:
    """A CPU tensor as a plain NumPy array (BF16 as its int16 bits) and its dtype name."""
    if value.dtype == torch.bfloat16:
        return value.view(torch.int16).numpy(), "bfloat16"
    return value.numpy(), str(value.dtype).removeprefix("torch.")


class SimBackend:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.folder = Path(tempfile.mkdtemp(prefix="deepseek_v4_ops_sim_"))
        self._proc: subprocess.Popen | None = None
        #: Per call: (kernel name, compiled now, compile seconds, run seconds, round trip s).
        self.calls: list[dict[str, Any]] = []
        atexit.register(self.close)

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            log = (self.folder / "worker.log").open("ab")
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "deepseek_v4_pypto_ops.ops._sim_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=self.folder,
                text=True,
            )  # fmt: skip
        return self._proc

    def run(self, kernel: Kernel, args: Sequence[Arg], outputs: Sequence[int]) -> bool:
        start = time.perf_counter()
        described = []
        for i, value in enumerate(args):
            if isinstance(value, torch.Tensor):
                array, dtype = raw(value)
                np.save(self.folder / f"arg{i}.npy", array)
                described.append({"tensor": f"arg{i}.npy", "dtype": dtype})
            else:
                described.append({"scalar": int(value)})
        request = {"module": kernel.module, "name": kernel.name, "platform": self.platform,
                   "args": described, "outputs": list(outputs)}  # fmt: skip
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(
                f"{kernel.name} on {self.platform}: the simulator process ended "
                f"(exit {proc.wait()}); its log: {self.folder / 'worker.log'}"
            )
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError(
                f"{kernel.name} on {self.platform}: {reply['error']} (log: "
                f"{self.folder / 'worker.log'})"
            )
        for i in outputs:
            array = np.load(self.folder / f"out{i}.npy")
            target = args[i]
            assert isinstance(target, torch.Tensor)
            as_numpy(target)[...] = array.view(as_numpy(target).dtype)
        reply["round_trip_s"] = time.perf_counter() - start
        reply["kernel"] = kernel.name
        self.calls.append(reply)
        return bool(reply["compiled"])

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        shutil.rmtree(self.folder, ignore_errors=True)
