"""Child-process side of golden.compiler: build kernels with the real pypto, print JSON.

Reads one request (JSON, a ``batch`` of entries) on stdin; prints ``@@BATCH_RESULT i@@`` and
entry i's result as JSON on stdout as each build ends. Never imported by plsim or the
harness: it loads the real ``pypto.language``. golden.run_worker builds through ``build``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from golden import build_stages

_TORCH_DTYPES = ("bfloat16", "float16", "float32", "int8", "int16", "int32", "int64", "uint8",
                 "bool")  # fmt: skip


def quiet_runtime_logs() -> None:
    """Silence the simulator runtime's [TIMING]/[STRACE] markers and pypto's info lines.

    simpler hands its Python logger's level to its C++ logger when a worker starts
    (simpler/_log.py); at WARNING the per-run timing lines are not printed at all.
    """
    logging.getLogger("simpler").setLevel(logging.WARNING)


def _kernels(out_dir: Path) -> dict[str, list[str]]:
    """The generated kernels by kind: ``.pto`` (pypto only) or wrapped ``.cpp`` (after ptoas)."""
    found: dict[str, list[str]] = {"aic": [], "aiv": [], "mixed": []}
    kernels = out_dir / "kernels"
    if not kernels.is_dir():
        return found
    for path in sorted([*kernels.rglob("*.pto"), *kernels.rglob("*.cpp")]):
        rel = path.relative_to(kernels)
        kind = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in ("aic", "aiv") else "mixed"
        if path.stem not in found[kind]:
            found[kind].append(path.stem)
    return found


def load_module(path: Path) -> Any:
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


_CODEGEN_ERRORS: list[tuple[str, BaseException]] = []


def _record_codegen_errors() -> None:
    """Keep the per-function exceptions of pypto's code generation (installed once).

    pypto gathers every function's codegen / ptoas / wrapper exception and raises one summary
    table; ``pto_backend._format_error_report`` receives the exceptions themselves, whose
    tracebacks name the stage. Should pypto move that function, the summary's text is
    classified instead (build_stages.stage_of).
    """
    from pypto.backend import pto_backend

    original = getattr(pto_backend, "_format_error_report", None)
    if original is None or getattr(original, "golden_recorder", False):
        return

    def recording(errors, output_dir):
        _CODEGEN_ERRORS[:] = list(errors)
        return original(errors, output_dir)

    recording.golden_recorder = True  # type: ignore[attr-defined]
    pto_backend._format_error_report = recording


def _stages(ptoas: bool, sim_compile: bool) -> list[str]:
    stages = [build_stages.PYPTO]
    if ptoas:
        stages += [build_stages.PTOAS, build_stages.WRAPPER]
    if sim_compile:
        stages.append(build_stages.CXX)
    return stages


def _torch_args(torch: Any, args: list[dict]) -> dict[str, Any]:
    kwargs = {}
    for arg in args:
        if arg["kind"] == "tensor":
            if arg["dtype"] not in _TORCH_DTYPES:
                raise ValueError(f"tensor {arg['name']!r}: unsupported dtype {arg['dtype']!r}")
            # Shape samples only: the compiler never reads them, and untouched memory costs
            # nothing (zeros made a 1M-context pool resident, gigabytes).
            kwargs[arg["name"]] = torch.empty(arg["shape"], dtype=getattr(torch, arg["dtype"]))
        else:
            kwargs[arg["name"]] = arg["value"]
    return kwargs


def build(kernel: Any, kwargs: dict[str, Any], request: dict, result: dict) -> Any:
    """Build ``kernel`` for ``kwargs`` with pypto (and ptoas and the wrapper when present);
    with ``request["load"]`` also the C++ compile. Fills ``result``; returns the
    CompiledProgram, or None when a stage rejected the kernel (``result`` holds the failures).

    ``request`` carries platform (pypto's: a2a3, a2a3sim, ...), build_dir, ptoas, load and
    world_size; the process environment already says where ptoas is (or that it is absent).
    """
    from pypto.runtime import RunConfig

    from golden.compiler import parse_perf_hints

    os.environ["PYPTO_PROG_BUILD_DIR"] = request["build_dir"]
    result["stages"] = _stages(bool(request.get("ptoas")), bool(request.get("load")))
    config: dict[str, Any] = {"platform": request["platform"]}
    if request.get("world_size"):  # a @pl.jit.host kernel: one rank per device id
        from pypto.ir.distributed_compiled_program import DistributedConfig

        config["distributed_config"] = DistributedConfig(
            device_ids=list(range(request["world_size"]))
        )
    _record_codegen_errors()
    _CODEGEN_ERRORS.clear()
    start = time.perf_counter()
    try:
        compiled = kernel.compile(**kwargs, config=RunConfig(**config))
    except Exception as exc:  # the verdict is the point: report any compiler error as data
        result["seconds"] = time.perf_counter() - start
        _record_codegen_failures(result, exc, list(_CODEGEN_ERRORS), request["kernel_file"])
        return None
    out_dir = Path(str(compiled.output_dir))
    result["output_dir"] = str(out_dir)
    result["kernels"] = _kernels(out_dir)
    log = out_dir / "report" / "perf_hints.log"
    if log.is_file():
        result["perf_hints"] = [h.__dict__ for h in parse_perf_hints(log.read_text())]
    if request.get("load"):
        try:
            compiled.load()  # the runtime compiles every kernel's C++ and the orchestration
        except Exception as exc:
            result["seconds"] = time.perf_counter() - start
            add_failure(result, build_stages.failure(build_stages.CXX, "", exc,
                                                      request["kernel_file"]))  # fmt: skip
            return None
    result["seconds"] = time.perf_counter() - start
    result["compiled"] = True
    return compiled


def _record_codegen_failures(
    result: dict, exc: BaseException, per_function: list, kernel_file: str
) -> None:
    """The failures of a rejected compile: one per function pypto's codegen reported, or the
    one exception of an earlier stage (parse, passes)."""
    if per_function:
        for function, error in per_function:
            stage = build_stages.stage_of(error)
            add_failure(result, build_stages.failure(stage, function, error, kernel_file))
        return
    add_failure(result, build_stages.failure(build_stages.stage_of(exc), "", exc, kernel_file))


def add_failure(result: dict, failure: dict) -> None:
    """Append a failure; the result's error fields name the first one of the earliest stage."""
    result["failures"].append(failure)
    first = min(result["failures"], key=lambda f: build_stages.STAGES.index(f["stage"]))
    result.update(stage=first["stage"], error=first["error"], error_type=first["error_type"],
                  location=first["location"])  # fmt: skip
    if len(result["failures"]) > 1:
        result["error"] = "; ".join(
            f"[{f['stage']}] {f['function'] + ': ' if f['function'] else ''}{f['error']}"
            for f in result["failures"]
        )


def empty_result() -> dict[str, Any]:
    """A result before the build: not compiled, no stage run, no failure."""
    return {"compiled": False, "seconds": 0.0, "kernels": {}, "perf_hints": [], "error": "",
            "error_type": "", "location": "", "output_dir": "", "stage": "", "stages": [],
            "failures": [], "phase": "setup"}  # fmt: skip


def compile_one(
    request: dict,
    modules: dict[str, object] | None = None,
    index: int = 0,
    out: TextIO | None = None,
) -> dict:
    """Build one request (kernel_file, kernel_name, args, platform, build_dir, ptoas,
    sim_compile, world_size); the result dict. ``modules`` caches loaded kernel files.

    The result's ``phase`` says how far it got: "setup" (the compiler's imports and the sample
    tensors) or "compile" (loading the kernel file and building it); a line
    ``@@BATCH_PHASE i@@compile`` on ``out`` marks the start of the build, so the parent knows
    even if this process dies."""
    result = empty_result()
    try:
        import torch

        kwargs = _torch_args(torch, request["args"])
        result["phase"] = "compile"
        if out is not None:
            out.write(f"\n@@BATCH_PHASE {index}@@compile\n")
            out.flush()

        path = Path(request["kernel_file"])
        module = (modules or {}).get(str(path))
        if module is None:
            module = load_module(path)
            if modules is not None:
                modules[str(path)] = module
        kernel = getattr(module, request["kernel_name"])
        # The simulator's artifacts are the device's (measured: only the platform name in the
        # metadata differs), so the C++ compile for <target>sim checks the <target> build.
        sim = bool(request.get("sim_compile"))
        platform = request["platform"] + ("sim" if sim else "")
        build(kernel, kwargs,
              {**request, "platform": platform, "load": sim}, result)  # fmt: skip
    except Exception as exc:  # a kernel file that does not import is a pypto-stage rejection
        add_failure(result, build_stages.failure(build_stages.PYPTO, "", exc,
                                                  request["kernel_file"]))  # fmt: skip
    return result


def main() -> None:
    """Build every entry of the request's ``batch`` list in this one process (the torch and
    pypto imports are paid once); print one marked JSON result line per entry as each ends, so
    a crash loses only the entry that crashed."""
    request = json.loads(sys.stdin.read())
    sys.path.insert(0, request["root"])
    # Results go to a private copy of stdout; fd 1 then points at stderr, so whatever native
    # code prints (ptoas's and the runtime's loggers) cannot split a result line.
    results = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)
    quiet_runtime_logs()
    modules: dict[str, object] = {}
    for index, entry in enumerate(request["batch"]):
        result = compile_one(entry, modules, index, results)
        results.write(f"\n@@BATCH_RESULT {index}@@" + json.dumps(result) + "\n")
        results.flush()


if __name__ == "__main__":
    main()
