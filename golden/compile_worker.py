"""Child-process side of golden.compiler: compile kernels with the real pypto, print JSON.

Reads one request (JSON, a ``batch`` of entries) on stdin; prints ``@@BATCH_RESULT i@@`` and
entry i's result as JSON on stdout as each compile ends. Never imported by plsim or the
harness: it loads the real ``pypto.language``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

_TORCH_DTYPES = {
    "bfloat16": "bfloat16",
    "float16": "float16",
    "float32": "float32",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint8",
    "bool": "bool",
}


def _location(exc: BaseException, kernel_file: str) -> str:
    """file:line of a compiler error: the parser's span, a frame in the kernel, or the message."""
    span = getattr(exc, "span", None)
    if span is not None:
        # Parser errors carry the span as a dict; other objects as attributes.
        get = span.get if isinstance(span, dict) else lambda key: getattr(span, key, None)
        for attr in ("filename", "file"):
            name = get(attr)
            if name:
                line = get("begin_line") or get("line")
                return f"{name}:{line}" if line else str(name)
    tb = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(tb):
        if Path(frame.filename).resolve() == Path(kernel_file).resolve():
            return f"{frame.filename}:{frame.lineno}"
    match = re.search(r"(/[^\s:\[\]]+\.py):(\d+)", str(exc))
    return f"{match.group(1)}:{match.group(2)}" if match else ""


def _kernels(out_dir: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"aic": [], "aiv": [], "mixed": []}
    kernels = out_dir / "kernels"
    if not kernels.is_dir():
        return found
    for path in sorted(kernels.rglob("*.pto")):
        rel = path.relative_to(kernels)
        kind = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in ("aic", "aiv") else "mixed"
        found[kind].append(path.stem)
    return found


def _load_module(path: Path):
    """Import a kernel file; as ``package.module`` when its folder is a package, so that the
    file's relative imports work, else as a top-level module with its folder on sys.path."""
    if (path.parent / "__init__.py").is_file():
        sys.path.insert(0, str(path.parent.parent))
        return importlib.import_module(f"{path.parent.name}.{path.stem}")
    spec = importlib.util.spec_from_file_location(f"_compiled_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def compile_one(request: dict, modules: dict[str, object] | None = None, index: int = 0) -> dict:
    """Compile one request (kernel_file, kernel_name, args, platform, build_dir); the result dict.

    ``modules`` caches loaded kernel files across the requests of one batch. The result's
    ``phase`` says how far it got: "setup" (the compiler's imports and the sample tensors) or
    "compile" (loading the kernel file and compiling it); a line ``@@BATCH_PHASE i@@compile``
    marks the start of the compile on stdout, so the parent knows even if this process dies.
    """
    build_dir = Path(request["build_dir"])
    build_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PYPTO_PROG_BUILD_DIR"] = str(build_dir)
    result = {
        "compiled": False,
        "seconds": 0.0,
        "kernels": {},
        "perf_hints": [],
        "error": "",
        "error_type": "",
        "location": "",
        "output_dir": "",
        "phase": "setup",
    }
    start = time.perf_counter()
    try:
        import torch
        from pypto.runtime import RunConfig

        from golden.compiler import parse_perf_hints

        kwargs = {}
        for arg in request["args"]:
            if arg["kind"] == "tensor":
                dtype = getattr(torch, _TORCH_DTYPES[arg["dtype"]])
                # Shape samples only: the compiler never reads them, and untouched memory
                # costs nothing (zeros made a 1M-context pool resident, gigabytes).
                kwargs[arg["name"]] = torch.empty(arg["shape"], dtype=dtype)
            else:
                kwargs[arg["name"]] = arg["value"]
        config = {"platform": request["platform"]}
        if request.get("world_size"):  # a @pl.jit.host kernel: one rank per device id
            from pypto.ir.distributed_compiled_program import DistributedConfig

            ids = list(range(request["world_size"]))
            config["distributed_config"] = DistributedConfig(device_ids=ids)
        result["phase"] = "compile"
        sys.stdout.write(f"\n@@BATCH_PHASE {index}@@compile\n")
        sys.stdout.flush()
        start = time.perf_counter()
        path = Path(request["kernel_file"])
        module = (modules or {}).get(str(path))
        if module is None:
            module = _load_module(path)
            if modules is not None:
                modules[str(path)] = module
        kernel = getattr(module, request["kernel_name"])
        compiled = kernel.compile(**kwargs, config=RunConfig(**config))
        result["seconds"] = time.perf_counter() - start
        out_dir = Path(str(compiled.output_dir))
        result["compiled"] = True
        result["output_dir"] = str(out_dir)
        result["kernels"] = _kernels(out_dir)
        log = out_dir / "report" / "perf_hints.log"
        if log.is_file():
            result["perf_hints"] = [h.__dict__ for h in parse_perf_hints(log.read_text())]
    except Exception as exc:  # the verdict is the point: report any compiler error as data
        result["seconds"] = time.perf_counter() - start
        result["error"] = str(exc).strip()
        result["error_type"] = type(exc).__name__
        result["location"] = _location(exc, request["kernel_file"])
    return result


def main() -> None:
    """Compile every entry of the request's ``batch`` list in this one process (the torch and
    pypto imports are paid once); print one marked JSON result line per entry as each ends, so
    a crash loses only the entry that crashed."""
    request = json.loads(sys.stdin.read())
    sys.path.insert(0, request["root"])
    modules: dict[str, object] = {}
    for index, entry in enumerate(request["batch"]):
        result = compile_one(entry, modules, index)
        sys.stdout.write(f"\n@@BATCH_RESULT {index}@@" + json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
