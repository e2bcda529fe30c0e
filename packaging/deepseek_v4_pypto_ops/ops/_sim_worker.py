"""Child process of ops._sim_backend: runs kernels with the real pypto on its CPU simulator.

Reads one JSON request per line on stdin (kernel module and name, platform, argument files,
output positions), compiles the kernel for the arguments' shapes unless this process already
did, runs it, writes the outputs as ``out<i>.npy`` in the working folder and answers one JSON
line. Its stdout carries only those answers: native code printing to stdout lands on stderr.
Never imported by plsim or the parent: it loads the real ``pypto.language``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

import numpy as np


def _answers() -> Any:
    """A private copy of stdout for the answers; fd 1 then points at stderr."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    return answers


def _tensor(torch: Any, spec: dict) -> Any:
    array = np.load(spec["tensor"])
    if spec["dtype"] == "bfloat16":
        return torch.from_numpy(array).view(torch.bfloat16)
    return torch.from_numpy(array)


def _raw(torch: Any, tensor: Any) -> np.ndarray:
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy()
    return tensor.numpy()


def serve(answers: Any) -> None:
    import torch
    from pypto.runtime import RunConfig

    import deepseek_v4_pypto_ops  # noqa: F401  (serves the `models` package the kernels use)

    programs: dict[tuple, Any] = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            args = [_tensor(torch, a) if "tensor" in a else a["scalar"] for a in request["args"]]
            key = (request["module"], request["name"], request["platform"], tuple(
                (tuple(a.shape), str(a.dtype)) if isinstance(a, torch.Tensor) else a
                for a in args
            ))  # fmt: skip
            config = RunConfig(platform=request["platform"])
            compiled = key not in programs
            start = time.perf_counter()
            if compiled:
                entry = getattr(importlib.import_module(request["module"]), request["name"])
                program = entry.compile(*args, config=config)
                program.load()  # the simulator's C++ build, timed as compile
                programs[key] = program
            compile_s = time.perf_counter() - start
            start = time.perf_counter()
            programs[key](*args, config=config)
            run_s = time.perf_counter() - start
            for i in request["outputs"]:
                np.save(f"out{i}.npy", _raw(torch, args[i]))
            answer = {"ok": True, "compiled": compiled, "compile_s": compile_s, "run_s": run_s}
        except Exception as exc:
            traceback.print_exc()
            message = " ".join(str(exc).split())[:2000]
            answer = {"ok": False, "error": f"{type(exc).__name__}: {message}"}
        answers.write(json.dumps(answer) + "\n")


def main() -> int:
    serve(_answers())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
