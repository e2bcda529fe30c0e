"""Child-process side of golden.platforms.run_pypto: build and run one kernel with the real pypto.

``python -m golden.run_worker EXCHANGE_DIR`` reads ``request.json`` and the input arrays from
EXCHANGE_DIR, builds the kernel (pypto, ptoas, kernel wrapper, C++ compile: each a stage that
can reject it), runs it on the request's platform and writes the output arrays and
``result.json`` back. It prints only ``@@STEP <name>`` lines on stdout, so the parent can show
progress; everything the compiler and the runtime print goes to stderr (the parent's log file),
never to the harness's stdout. Never imported by plsim or the harness: it loads the real pypto.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from golden import build_stages, compile_worker, exchange

#: The stage name of a failure while the built kernel runs.
RUN = "run"


def _steps_stream() -> TextIO:
    """A private copy of stdout for the step lines; fd 1 then points at stderr, so native
    code that prints to stdout (the runtime's C++ logger) lands in the log instead."""
    steps = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    return steps


def _to_torch(torch: Any, value: Any) -> Any:
    """A NumPy array as a CPU torch tensor of the same dtype (BF16 via its raw bits)."""
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype == exchange.BF16:
        return torch.from_numpy(value.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(value.copy())


def _from_torch(torch: Any, tensor: Any, dtype: np.dtype) -> np.ndarray:
    tensor = tensor.detach().cpu().contiguous()
    if dtype == exchange.BF16:
        return tensor.view(torch.int16).numpy().view(exchange.BF16).copy()
    return tensor.numpy().astype(dtype, copy=True)


def run(directory: Path, steps: TextIO) -> dict[str, Any]:
    """Build and run the request in ``directory``; the result (written outputs on success)."""
    import torch

    request, values = exchange.read_request(directory)
    result = compile_worker.empty_result()
    result.update(run_seconds=None, outputs=[])

    def step(name: str) -> None:
        steps.write(f"@@STEP {name}\n")

    step("pypto build")
    module = compile_worker.load_module(Path(request["kernel_file"]))
    kernel = getattr(module, request["kernel_name"])
    args = {name: _to_torch(torch, value) for name, value in values.items()}
    build_request = {**request, "ptoas": True, "load": False}
    compiled = compile_worker.build(kernel, args, build_request, result)
    if compiled is None:
        return result
    step("C++ compile")
    try:
        compiled.load()
    except Exception as exc:
        compile_worker.add_failure(
            result, build_stages.failure(build_stages.CXX, "", exc, request["kernel_file"])
        )
        return result
    result["stages"].append(build_stages.CXX)
    step("run")
    config = {"platform": request["platform"]}
    if request.get("device_id") is not None:
        config["device_id"] = request["device_id"]
    from pypto.runtime import RunConfig

    start = time.perf_counter()
    try:
        compiled(*[args[name] for name in values], config=RunConfig(**config))
    except Exception as exc:
        result["failures"].append({"stage": RUN, "function": "", "error": str(exc).strip(),
                                   "error_type": type(exc).__name__, "location": ""})  # fmt: skip
        result.update(stage=RUN, error=str(exc).strip(), error_type=type(exc).__name__)
        return result
    result["run_seconds"] = time.perf_counter() - start
    outputs = {
        name: _from_torch(torch, args[name], values[name].dtype) for name in request["outputs"]
    }
    exchange.write_arrays(directory, "out", outputs)
    result["outputs"] = list(outputs)
    return result


def main(argv: list[str]) -> int:
    """Run the request in ``argv[0]``; write result.json there. Exit 0 if a result was written."""
    directory = Path(argv[0])
    steps = _steps_stream()
    compile_worker.quiet_runtime_logs()
    try:
        result = run(directory, steps)
    except Exception as exc:  # a kernel file that does not import, a bad request: as data
        traceback.print_exc()
        result = compile_worker.empty_result()
        compile_worker.add_failure(result, build_stages.failure(build_stages.PYPTO, "", exc, ""))
    (directory / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
