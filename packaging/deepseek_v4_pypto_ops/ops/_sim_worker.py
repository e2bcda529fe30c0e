"""Child process of ops._sim_backend: runs kernels with the real pypto on its CPU simulator.

Reads one JSON request per line on stdin (kernel module and name, platform, argument files,
output positions), compiles the kernel for the arguments' shapes unless this process already
did, runs it, writes the outputs as ``out<i>.npy`` in the working folder and answers one JSON
line. Its stdout carries only those answers: native code printing to stdout lands on stderr.
Never imported by plsim or the parent: it loads the real ``pypto.language``.

Artifacts persist across processes in ``$DEEPSEEK_V4_OPS_CACHE_DIR`` (default
``~/.cache/deepseek_v4_pypto_ops``; ``off`` keeps them for this process only): one folder per
(kernel, argument shapes and dtypes, scalars, platform, kernel sources, pypto version), reloaded
with ``CompiledProgram.from_dir`` and its C++ binaries reused.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
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


CACHE_ENV = "DEEPSEEK_V4_OPS_CACHE_DIR"


def cache_root() -> Path | None:
    """Where artifacts persist, or None (``$DEEPSEEK_V4_OPS_CACHE_DIR=off``)."""
    value = os.environ.get(CACHE_ENV)
    if value == "off":
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deepseek_v4_pypto_ops"


def artifact_dir(root: Path, module: Any, key: tuple) -> Path:
    """The folder of one artifact: a hash of the key, the sources of the kernel's modules (its
    file and every module it imported from its package) and pypto's version, so an edited
    kernel or another pypto never reuses an old build."""
    digest = hashlib.sha256(repr(key).encode())
    digest.update(importlib.metadata.version("pypto").encode())
    package = Path(module.__file__).parent
    sources = {
        Path(m.__file__) for m in list(sys.modules.values())
        if getattr(m, "__file__", None) and Path(m.__file__).parent == package
    }  # fmt: skip
    for source in sorted(sources):
        digest.update(source.name.encode() + source.read_bytes())
    return root / key[2] / digest.hexdigest()[:24]


def build(entry: Any, module: Any, args: list, key: tuple, config: Any) -> Any:
    """The compiled program of ``key`` and whether it came from the persistent cache (else it
    was compiled, and stored there)."""
    from pypto.ir.compiled_program import CompiledProgram

    root = cache_root()
    folder = artifact_dir(root, module, key) if root is not None else None
    if folder is not None and (folder / "compiled_meta.json").is_file():
        program = CompiledProgram.from_dir(folder, platform=key[2])
        program.load()
        return program, True
    program = entry.compile(*args, config=config)
    if folder is not None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(str(program.output_dir), folder)
        program = CompiledProgram.from_dir(folder, platform=key[2])
    program.load()  # the simulator's C++ build
    return program, False


def _private_build_root() -> Path:
    """pypto writes each build under $PYPTO_PROG_BUILD_DIR, ./build_output by default: point it
    at a temporary folder of this worker (removed when it exits), never the caller's cwd."""
    root = Path(tempfile.mkdtemp(prefix="deepseek_v4_ops_build_"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    os.environ["PYPTO_PROG_BUILD_DIR"] = str(root)
    return root


def serve(answers: Any) -> None:
    import torch
    from pypto.runtime import RunConfig

    _private_build_root()

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
            cached = False
            start = time.perf_counter()
            if compiled:
                module = importlib.import_module(request["module"])
                programs[key], cached = build(
                    getattr(module, request["name"]), module, args, key, config
                )
            compile_s = time.perf_counter() - start
            start = time.perf_counter()
            programs[key](*args, config=config)
            run_s = time.perf_counter() - start
            for i in request["outputs"]:
                np.save(f"out{i}.npy", _raw(torch, args[i]))
            answer = {"ok": True, "compiled": compiled and not cached, "from_disk": cached,
                      "compile_s": compile_s, "run_s": run_s}  # fmt: skip
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
