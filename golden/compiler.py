"""The real pypto compiler, driven from a child process: build a kernel, report what it made.

The compiler (hw-native-sys/pypto) and plsim both answer to ``pypto.language``; they are never
loaded into one interpreter. ``compile_many`` sends a batch of requests to
``golden.compile_worker`` in a fresh Python process per target (pypto fixes its backend once
per process; ``compile_kernel`` is a batch of one) and reads back one ``CompileResult`` per
request: verdict, build time, the stages run, the generated kernels (AIC / AIV / mixed), the
perf hints by code with their source lines, and, when a stage rejects the kernel, every
failure with its stage, function and the kernel's file:line.

The stages (golden.build_stages): pypto (parse, passes, code generation) always; ptoas and
pypto's kernel wrapper when ``ptoas`` is installed (golden.toolchain); on request the
simulator's C++ compile. Nothing is run. Every build gets its own folder (golden.builds).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.metadata
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from golden import builds, toolchain

#: Where the compiler comes from, for the one-line "not installed" message.
COMPILER_INSTALL = (
    "the real pypto compiler: hw-native-sys/pypto (https://github.com/hw-native-sys/pypto, "
    "commit e2d0f78a) built from source into a wheel, then pip install that wheel and "
    "torch==2.13.0; the PyPI package named 'pypto' is a different project"
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
class StageFailure:
    """One rejection: the build stage, the function (kernel) it hit, the message, file:line."""

    stage: str
    function: str
    error: str
    error_type: str = ""
    location: str = ""


@dataclass
class CompileResult:
    """What one build produced. ``stages`` ran in order; when one rejected the kernel,
    ``failures`` lists every failure and ``stage``/``error``/``location`` name the first."""

    compiled: bool
    seconds: float
    kernels: dict[str, list[str]] = field(default_factory=dict)
    perf_hints: list[PerfHint] = field(default_factory=list)
    error: str = ""
    error_type: str = ""
    location: str = ""
    output_dir: str = ""
    stage: str = ""
    stages: list[str] = field(default_factory=list)
    failures: list[StageFailure] = field(default_factory=list)
    #: Why ptoas and the kernel wrapper did not run ("" when they did).
    skipped: str = ""
    #: How far the build got: "setup" (the compiler's imports, the sample tensors) or
    #: "compile" (the kernel file loaded and built). Only a failure in "compile" is the
    #: toolchain's verdict on the kernel.
    phase: str = "compile"

    @property
    def rejected(self) -> bool:
        """True if the toolchain ran on the kernel and did not build it."""
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


_SIM_COMPILE: contextvars.ContextVar[bool] = contextvars.ContextVar("sim_compile", default=False)


@contextlib.contextmanager
def simulator_compile(enabled: bool = True) -> Iterator[None]:
    """Builds started inside the block also run the simulator's C++ compile (``run.py
    --compile-only --sim-compile``) unless their caller says otherwise."""
    token = _SIM_COMPILE.set(enabled)
    try:
        yield
    finally:
        _SIM_COMPILE.reset(token)


def compile_kernel(
    kernel_file: str | Path,
    kernel_name: str,
    args: Sequence[Mapping[str, Any]],
    *,
    platform: str = "a2a3",
    build_dir: str | Path | None = None,
    timeout_s: float = COMPILE_TIMEOUT_S,
    ptoas: bool | None = None,
    sim_compile: bool | None = None,
) -> CompileResult:
    """Build ``kernel_name`` of ``kernel_file`` for ``args`` with the real pypto toolchain.

    ``args`` are the kernel's parameters in order (``tensor_arg`` / ``scalar_arg``). Runs in a
    child process; see ``compile_many`` for the options and errors. A rejected kernel is a
    CompileResult with ``compiled=False``.
    """
    request = CompileRequest(kernel_file, kernel_name, args, platform)
    return compile_many([request], build_dir=build_dir, timeout_s=timeout_s, ptoas=ptoas,
                        sim_compile=sim_compile)[0]  # fmt: skip


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


def worker_env(use_ptoas: bool) -> dict[str, str]:
    """The environment of a child that runs the real pypto: the checkout importable, and
    ptoas hidden when it is not to run (pypto then stops after code generation)."""
    env = dict(os.environ)
    if not use_ptoas:
        env["PTOAS_ROOT"] = "/nonexistent"
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


#: Called as a batch goes: (index of the request, event, its result or None). Events: "setup"
#: (a compiler process starts on the batch from this index), "compile" (the request's build
#: starts), "done" (its result is in).
CompileEvent = Callable[[int, str, "CompileResult | None"], None]
_LINE = re.compile(r"@@BATCH_(RESULT|PHASE) (\d+)@@(.*)")


def _result(data: dict[str, Any]) -> CompileResult:
    data["perf_hints"] = [PerfHint(**h) for h in data.get("perf_hints", [])]
    data["failures"] = [StageFailure(**f) for f in data.get("failures", [])]
    return CompileResult(**data)


def _batch_once(
    entries: list[dict], first: int, timeout_s: float, env: dict[str, str], notify: CompileEvent
) -> tuple[dict[int, CompileResult], str]:
    """Run one worker over ``entries[first:]``; the results it printed (by index into
    ``entries``) and, if it died early, why.

    ``timeout_s`` bounds each entry: a worker that prints no result for that long is killed
    with everything it started. ``notify`` hears of each build as it starts and ends.
    """
    request = json.dumps({"batch": entries[first:], "root": str(_ROOT)})
    results: dict[int, CompileResult] = {}
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "golden.compile_worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=errors, text=True, env=env, cwd=str(_ROOT),
            start_new_session=True,
        )  # fmt: skip
        try:
            failure = _collect(proc, request, first, timeout_s, results, notify)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): the worker and the compilers it started go now,
            # before the caller removes the build root, so none writes a build folder after.
            _kill_group(proc)
            raise
        if proc.wait() != 0 and not failure:
            errors.seek(0)
            tail = errors.read().strip().splitlines()[-3:]
            failure = f"compiler process exited {proc.returncode}: " + " | ".join(tail)
    return results, failure


def _collect(
    proc: subprocess.Popen,
    request: str,
    first: int,
    timeout_s: float,
    results: dict[int, CompileResult],
    notify: CompileEvent,
) -> str:
    """Feed ``request`` to the worker and read its result lines into ``results`` (the worker
    counts from 0, the batch from ``first``); "" when it ended by itself, else why it was
    stopped."""
    lines = _line_reader(proc.stdout)
    proc.stdin.write(request)
    proc.stdin.close()
    while True:
        try:
            line = lines.get(timeout=timeout_s)
        except queue.Empty:
            _kill_group(proc)
            return f"one compile exceeded {timeout_s:.0f} s"
        if line is None:
            return ""
        match = _LINE.search(line)
        if match is None:
            continue
        kind, index = match.group(1), first + int(match.group(2))
        if kind == "PHASE":
            notify(index, "compile", None)
            continue
        results[index] = _result(json.loads(match.group(3)))
        notify(index, "done", results[index])


def _line_reader(stream: Any) -> queue.Queue:
    """A queue fed with ``stream``'s lines by a daemon thread; None marks the end."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill a child started with start_new_session=True and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _use_ptoas(ptoas: bool | None, sim_compile: bool) -> tuple[bool, str]:
    """Whether ptoas runs, and why not; CompilerUnavailable if it was asked for and is absent."""
    if sim_compile:
        reason = toolchain.simulator_missing_reason()
        if reason is not None:
            raise CompilerUnavailable(
                f"--sim-compile: {reason}; install {toolchain.TOOLCHAIN_INSTALL}"
            )
        return True, ""
    missing = toolchain.ptoas_missing_reason()
    if ptoas and missing:
        raise CompilerUnavailable(f"ptoas: {missing}; install {toolchain.TOOLCHAIN_INSTALL}")
    if ptoas is False:
        return False, "not requested"
    return missing is None, missing or ""


def compile_many(
    requests: Sequence[CompileRequest],
    *,
    build_dir: str | Path | None = None,
    timeout_s: float = COMPILE_TIMEOUT_S,
    ptoas: bool | None = None,
    sim_compile: bool | None = None,
    on_event: CompileEvent | None = None,
) -> list[CompileResult]:
    """Build every request, in one child process per target (torch and pypto imported once).

    ``ptoas``: None runs ptoas and the kernel wrapper when ptoas is installed, True requires
    them, False stops after pypto's code generation. ``sim_compile`` (None: as set by
    ``simulator_compile``) adds the simulator's C++ compile. Each build gets a new folder under
    ``build_dir`` (kept), the directory of a ``builds.kept_in`` block (kept), or a temporary
    directory removed before this returns.

    Results come back in request order. If the worker dies on an entry (crash, or no result
    within ``timeout_s``), that entry is reported as failed (``error_type`` 'CrashedWorker' or
    'Timeout', ``phase`` how far it got) and a new worker carries on with the rest.
    ``on_event`` hears of each build as it starts and ends (CompileEvent, request indices).
    Raises CompilerUnavailable when the compiler (or a toolchain part asked for) is absent and
    ValueError for an unknown platform.
    """
    for req in requests:
        if req.platform not in COMPILE_PLATFORMS:
            raise ValueError(
                f"platform: got {req.platform!r}; expected one of {', '.join(COMPILE_PLATFORMS)}"
            )
    require_compiler()
    sim = _SIM_COMPILE.get() if sim_compile is None else sim_compile
    use_ptoas, skipped = _use_ptoas(ptoas, sim)
    env = worker_env(use_ptoas)
    results: list[CompileResult | None] = [None] * len(requests)
    kept = build_dir is not None or builds.kept_dir() is not None
    with builds.build_root(build_dir) as root:
        for platform in COMPILE_PLATFORMS:  # pypto sets its backend once per process
            indices = [i for i, r in enumerate(requests) if r.platform == platform]
            entries = [_entry(requests[i], root, use_ptoas, sim) for i in indices]
            notify = _relay(on_event, indices)
            for index, result in zip(indices, _run_batch(entries, timeout_s, env, notify)):
                result.skipped = "" if use_ptoas else skipped
                result.output_dir = result.output_dir if kept else ""  # removed with the root
                results[index] = result
    return [r for r in results if r is not None]


def _entry(request: CompileRequest, root: Path, use_ptoas: bool, sim: bool) -> dict[str, Any]:
    """The worker's JSON entry for one request, with a new build folder of its own."""
    return {
        "kernel_file": str(Path(request.kernel_file).resolve()),
        "kernel_name": request.kernel_name, "args": list(request.args),
        "platform": request.platform, "world_size": request.world_size,
        "build_dir": str(builds.new_build_dir(root, request.kernel_name)),
        "ptoas": use_ptoas, "sim_compile": sim,
    }  # fmt: skip


def _relay(on_event: CompileEvent | None, indices: list[int]) -> CompileEvent:
    """``on_event`` with a batch's entry indices turned back into request indices."""

    def relay(i: int, event: str, result: CompileResult | None) -> None:
        if on_event is not None:
            on_event(indices[i], event, result)

    return relay


def _run_batch(
    entries: list[dict], timeout_s: float, env: dict[str, str], notify: CompileEvent
) -> list[CompileResult]:
    """Every entry's result; a crashed or stuck worker costs only the entry it was on."""
    results: list[CompileResult | None] = [None] * len(entries)
    compiling: set[int] = set()  # entries whose build started (a crash is then a verdict)
    start = 0

    def track(i: int, event: str, result: CompileResult | None) -> None:
        if event == "compile":
            compiling.add(i)
        notify(i, event, result)

    while start < len(entries):
        notify(start, "setup", None)
        done, failure = _batch_once(entries, start, timeout_s, env, track)
        for index, result in done.items():
            results[index] = result
        start += len(done)
        if start < len(entries) and results[start] is None:
            kind = "Timeout" if "exceeded" in failure else "CrashedWorker"
            phase = "compile" if start in compiling else "setup"
            results[start] = CompileResult(False, 0.0, error=failure or "no result",
                                           error_type=kind, phase=phase)  # fmt: skip
            notify(start, "done", results[start])
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
