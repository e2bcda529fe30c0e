"""The real pypto compiler, driven from a child process: compile a kernel, report what it made.

The compiler (hw-native-sys/pypto) and plsim both answer to ``pypto.language``; they are never
loaded into one interpreter. ``compile_many`` sends a batch of requests to
``golden.compile_worker`` in a fresh Python process (``compile_kernel`` is a batch of one) and
reads back one ``CompileResult`` per request: verdict, compile time, the
generated kernels (AIC / AIV / mixed), the perf hints by code with their source lines, and the
error with the kernel's file:line when the compiler rejects the kernel.

"Compiles" means: parse, every pass and code generation succeed. There is no ``ptoas`` and no
device here, so nothing compiled is assembled or run.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: What to install and where it comes from, for the one-line "not installed" message.
COMPILER_INSTALL = (
    "the real pypto compiler: hw-native-sys/pypto (https://github.com/hw-native-sys/pypto) "
    "built from source into a wheel, then pip install that wheel and torch==2.13.0; the PyPI "
    "package named 'pypto' is a different project"
)
#: Platforms whose code generation the compiler can run without a device.
COMPILE_PLATFORMS: tuple[str, ...] = ("a2a3", "a5")
#: Seconds one compile may take before it is reported as a failure.
COMPILE_TIMEOUT_S = 600
_ROOT = Path(__file__).resolve().parent.parent
_HINT = re.compile(r"\[perf_hint (PH\d+)\]\s*(\w+):\s*(.*?)(?: at (\S+:\d+:\d+))?$")


class CompilerUnavailable(RuntimeError):  # noqa: N818 (reads as a state, like PlatformUnavailable)
    """The real pypto compiler (and torch) are not installed in this environment."""


@dataclass
class PerfHint:
    """One compiler performance hint: its code, the check's name, the text, the source line."""

    code: str
    check: str
    message: str
    location: str = ""


@dataclass
class CompileResult:
    """What one compile produced; ``error``/``location`` are set when the compiler rejected."""

    compiled: bool
    seconds: float
    kernels: dict[str, list[str]] = field(default_factory=dict)
    perf_hints: list[PerfHint] = field(default_factory=list)
    error: str = ""
    error_type: str = ""
    location: str = ""
    output_dir: str = ""
    #: How far the compile got: "setup" (the compiler's imports, the sample tensors) or
    #: "compile" (the kernel file loaded and compiled). Only a failure in "compile" is the
    #: compiler's verdict on the kernel.
    phase: str = "compile"

    @property
    def rejected(self) -> bool:
        """True if the compiler ran on the kernel and did not compile it."""
        return not self.compiled and self.phase == "compile"

    def hint_counts(self) -> dict[str, int]:
        """Perf hints counted by code (e.g. {'PH001': 31})."""
        counts: dict[str, int] = {}
        for hint in self.perf_hints:
            counts[hint.code] = counts.get(hint.code, 0) + 1
        return dict(sorted(counts.items()))

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-serialisable data."""
        data = asdict(self)
        data["hint_counts"] = self.hint_counts()
        return data


def compiler_available() -> bool:
    """True if the real pypto compiler and torch are installed (checked without importing)."""
    return _missing_reason() is None


def _missing_reason() -> str | None:
    try:
        files = importlib.metadata.files("pypto") or []
    except importlib.metadata.PackageNotFoundError:
        return "pypto is not installed"
    names = {str(f).replace("\\", "/") for f in files}
    if not any(n.startswith("pypto/language/") for n in names) or not any(
        n.startswith("pypto/jit/") for n in names
    ):
        return "the installed 'pypto' is not hw-native-sys/pypto (no pypto.language / pypto.jit)"
    try:
        importlib.metadata.distribution("torch")
    except importlib.metadata.PackageNotFoundError:
        return "torch is not installed (the compiler takes torch tensors as shape samples)"
    return None


def require_compiler() -> None:
    """Raise CompilerUnavailable naming what to install when the compiler is absent."""
    reason = _missing_reason()
    if reason is not None:
        raise CompilerUnavailable(f"{reason}; install {COMPILER_INSTALL}")


def tensor_arg(name: str, shape: Sequence[int], dtype: str) -> dict[str, Any]:
    """A tensor parameter for ``compile_kernel``: shape and NumPy-style dtype name."""
    return {"name": name, "kind": "tensor", "shape": [int(d) for d in shape], "dtype": dtype}


def scalar_arg(name: str, value: int | float | bool) -> dict[str, Any]:
    """A scalar parameter for ``compile_kernel`` (specialized into the artifact)."""
    return {"name": name, "kind": "scalar", "value": value}


def parse_perf_hints(text: str) -> list[PerfHint]:
    """The perf hints of a ``perf_hints.log``, one per ``[perf_hint PHnnn]`` line."""
    hints = []
    for line in text.splitlines():
        match = _HINT.search(line.strip())
        if match:
            code, check, message, location = match.groups()
            hints.append(PerfHint(code, check, message.strip(), location or ""))
    return hints


def compile_kernel(
    kernel_file: str | Path,
    kernel_name: str,
    args: Sequence[Mapping[str, Any]],
    *,
    platform: str = "a2a3",
    build_dir: str | Path | None = None,
    timeout_s: float = COMPILE_TIMEOUT_S,
) -> CompileResult:
    """Compile ``kernel_name`` of ``kernel_file`` for ``args`` with the real pypto compiler.

    ``args`` are the kernel's parameters in order (``tensor_arg`` / ``scalar_arg``). Runs in a
    child process; raises CompilerUnavailable when the compiler is absent and ValueError for an
    unknown platform. A rejected kernel is a CompileResult with ``compiled=False``.
    """
    request = CompileRequest(kernel_file, kernel_name, args, platform)
    return compile_many([request], build_dir=build_dir, timeout_s=timeout_s)[0]


@dataclass(frozen=True)
class CompileRequest:
    """One kernel to compile in a batch: file, kernel name, its arguments (``tensor_arg`` /
    ``scalar_arg``) and the platform."""

    kernel_file: str | Path
    kernel_name: str
    args: Sequence[Mapping[str, Any]]
    platform: str = "a2a3"
    # A @pl.jit.host kernel compiles for this many ranks (DistributedConfig device_ids 0..N-1).
    world_size: int | None = None


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PTOAS_ROOT", "/nonexistent")  # no ptoas here: stop after codegen
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


#: Called as a batch goes: (index of the request, event, its result or None). Events: "setup"
#: (a compiler process starts on the batch from this index), "compile" (the request's compile
#: starts), "done" (its result is in).
CompileEvent = Callable[[int, str, "CompileResult | None"], None]
_LINE = re.compile(r"@@BATCH_(RESULT|PHASE) (\d+)@@(.*)")


def _read_lines(stream: Any, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _batch_once(
    entries: list[dict], timeout_s: float, first: int = 0, on_event: CompileEvent | None = None
) -> tuple[dict[int, CompileResult], str]:
    """Run one worker over ``entries``; the results it printed and, if it died early, why.

    The worker's stdout is read as it comes, so ``on_event`` hears of every compile as it
    starts and ends (indices offset by ``first``). The worker is killed if this process is
    interrupted or ``timeout_s`` passes."""
    request = {"batch": entries, "root": str(_ROOT)}
    notify = on_event or (lambda index, event, result: None)
    notify(first, "setup", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "golden.compile_worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_worker_env(), cwd=str(_ROOT),
    )  # fmt: skip
    results: dict[int, CompileResult] = {}
    errors: list[str] = []
    lines: queue.Queue = queue.Queue()
    readers = [
        threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True),
        threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True),
    ]
    failure = ""
    try:
        for reader in readers:
            reader.start()
        proc.stdin.write(json.dumps(request))
        proc.stdin.close()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                failure = f"compile batch exceeded {timeout_s:.0f} s"
                break
            if line is None:
                break
            match = _LINE.search(line)
            if match is None:
                continue
            kind, index = match.group(1), int(match.group(2))
            if kind == "PHASE":
                notify(first + index, "compile", None)
                continue
            data = json.loads(match.group(3))
            data["perf_hints"] = [PerfHint(**h) for h in data.get("perf_hints", [])]
            results[index] = CompileResult(**data)
            notify(first + index, "done", results[index])
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for reader in readers:
            reader.join(timeout=5)
    if not failure and proc.returncode != 0:
        tail = "".join(errors).strip().splitlines()[-3:]
        failure = f"compiler process exited {proc.returncode}: " + " | ".join(tail)
    return results, failure


def compile_many(
    requests: Sequence[CompileRequest],
    *,
    build_dir: str | Path | None = None,
    timeout_s: float = COMPILE_TIMEOUT_S,
    on_event: CompileEvent | None = None,
) -> list[CompileResult]:
    """Compile every request in ONE child process (torch and pypto are imported once).

    Results come back in request order. If the worker dies on an entry (crash or timeout),
    that entry is reported as failed (``error_type`` 'CrashedWorker' or 'Timeout', ``phase``
    how far it got) and a new worker carries on with the rest. Raises CompilerUnavailable when
    the compiler is absent and ValueError for an unknown platform. ``timeout_s`` bounds each
    worker process; ``on_event`` hears of each compile as it starts and ends (CompileEvent).
    """
    for req in requests:
        if req.platform not in COMPILE_PLATFORMS:
            raise ValueError(
                f"platform: got {req.platform!r}; expected one of {', '.join(COMPILE_PLATFORMS)}"
            )
    require_compiler()
    with tempfile.TemporaryDirectory(prefix="pypto_compile_") as scratch:
        root = str(Path(build_dir).resolve()) if build_dir else scratch
        entries = [
            {"kernel_file": str(Path(r.kernel_file).resolve()), "kernel_name": r.kernel_name,
             "args": list(r.args), "platform": r.platform, "build_dir": root,
             "world_size": r.world_size}
            for r in requests
        ]  # fmt: skip
        results: list[CompileResult | None] = [None] * len(entries)
        compiling: set[int] = set()  # requests whose compile started (a crash is then a verdict)

        def track(index: int, event: str, result: CompileResult | None) -> None:
            if event == "compile":
                compiling.add(index)
            if on_event is not None:
                on_event(index, event, result)

        start = 0
        while start < len(entries):
            done, failure = _batch_once(entries[start:], timeout_s, start, track)
            for offset, result in done.items():
                results[start + offset] = result
            start += len(done)
            if start < len(entries) and results[start] is None:
                kind = "Timeout" if "exceeded" in failure else "CrashedWorker"
                phase = "compile" if start in compiling else "setup"
                results[start] = CompileResult(False, 0.0, error=failure or "no result",
                                               error_type=kind, phase=phase)  # fmt: skip
                if on_event is not None:
                    on_event(start, "done", results[start])
                start += 1
        return [r for r in results if r is not None]


def spec_args(specs: Sequence[Any]) -> list[dict[str, Any]]:
    """Compile arguments from harness specs (golden.spec TensorSpec / ScalarSpec), in order."""
    from golden.spec import TensorSpec

    args = []
    for spec in specs:
        if isinstance(spec, TensorSpec):
            args.append(tensor_arg(spec.name, spec.shape, str(spec.dtype)))
        else:
            value = spec.value.item() if hasattr(spec.value, "item") else spec.value
            args.append(scalar_arg(spec.name, value))
    return args
