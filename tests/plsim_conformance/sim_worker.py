"""Child process of sim_agreement.py: build fixture kernels with the whole real toolchain (pypto,
ptoas, the kernel wrapper) for a2a3sim, run them on saved inputs, save every tensor afterwards.

Reads one JSON request on stdin: ``{"root": repo, "build_dir": dir, "batch": [entry, ...]}``, an
entry being ``{"file", "kernel", "args": [{"name", "kind", "dtype", "path" | "value"}],
"out_dir"}``; prints ``@@SIM_RESULT i@@`` and a JSON result per entry as it ends. Never imported
by plsim or the tests: it loads the real ``pypto`` (the two must not share a process).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

_TORCH = {"bfloat16": "bfloat16", "float16": "float16", "float32": "float32", "int8": "int8",
          "int16": "int16", "int32": "int32", "int64": "int64", "uint8": "uint8", "bool": "bool"}


def _tensor(arg: dict):
    import numpy as np
    import torch

    data = np.load(arg["path"])
    if arg["dtype"] == "bfloat16":  # saved as the float32 of each bfloat16 value: exact
        return torch.from_numpy(data.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(data)).to(getattr(torch, _TORCH[arg["dtype"]]))


def run_one(entry: dict, modules: dict) -> dict:
    """Build and run one entry; 'ran' with the saved outputs, or the stage that failed."""
    import numpy as np
    import torch
    from pypto.runtime import RunConfig

    sys.path.insert(0, str(Path(entry["file"]).parent))
    path = Path(entry["file"])
    try:
        module = modules.get(str(path))
        if module is None:
            import importlib.util

            spec = importlib.util.spec_from_file_location(f"_sim_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            modules[str(path)] = module
        kernel = getattr(module, entry["kernel"])
        kwargs = {a["name"]: _tensor(a) if a["kind"] == "tensor" else a["value"]
                  for a in entry["args"]}  # fmt: skip
        compiled = kernel.compile(**kwargs, config=RunConfig(platform="a2a3sim"))
    except Exception as exc:  # the stage and message are the result
        return {"status": "build_failed", "error": f"{type(exc).__name__}: {exc}"[:4000]}
    try:
        compiled(*kwargs.values())  # a compiled program takes its arguments in order
    except Exception as exc:
        status = "build_failed" if "SimKernel compilation failed" in str(exc) else "run_failed"
        return {"status": status, "error": f"{type(exc).__name__}: {exc}"[:4000]}
    outputs = {}
    for arg in entry["args"]:
        if arg["kind"] != "tensor":
            continue
        value = kwargs[arg["name"]]
        array = value.float().numpy() if value.dtype == torch.bfloat16 else value.numpy()
        target = Path(entry["out_dir"]) / f"{arg['name']}.npy"
        np.save(target, array)
        outputs[arg["name"]] = str(target)
    return {"status": "ran", "outputs": outputs}


def main() -> None:
    """Run the batch on stdin, one marked JSON line per entry."""
    request = json.loads(sys.stdin.read())
    sys.path.insert(0, request["root"])
    os.environ["PYPTO_PROG_BUILD_DIR"] = request["build_dir"]
    modules: dict = {}
    for index, entry in enumerate(request["batch"]):
        try:
            result = run_one(entry, modules)
        except Exception:
            result = {"status": "run_failed", "error": traceback.format_exc()[-1500:]}
        sys.stdout.write(f"\n@@SIM_RESULT {index}@@" + json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
