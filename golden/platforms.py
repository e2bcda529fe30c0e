"""Where a kernel runs: plsim (NumPy functional simulator) or the real pypto toolchain.

``plsim`` is always available. ``a2a3sim`` / ``a5sim`` (pypto's CPU simulator) and ``a2a3`` /
``a5`` (Ascend hardware) need hw-native-sys/pypto built from source; the hardware platforms also
need CANN, torch and torch_npu. A missing toolchain raises PlatformUnavailable naming what to
install; nothing ever falls back to another platform.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from golden import builds, exchange, toolchain
from golden.case import Case, ConfigError
from golden.spec import ScalarSpec, TensorSpec

#: Every platform name the harness accepts, default first.
PLATFORMS: tuple[str, ...] = ("plsim", "a2a3sim", "a5sim", "a2a3", "a5")
#: Platforms that are real Ascend devices (need CANN + torch_npu).
DEVICE_PLATFORMS: frozenset[str] = frozenset({"a2a3", "a5"})
#: Per-stage figures every stage row carries (the JSON contract).
STAGE_KEYS: tuple[str, ...] = (
    "name",
    "tasks",
    "launches",
    "gm_read_bytes",
    "gm_write_bytes",
    "gm_transfers",
    "gm_segments",
    "scalar_reads",
    "scalar_read_lines",
    "cube_macs",
    "vector_ops",
    "cube_to_vector_bytes",
    "vector_to_cube_bytes",
    "modeled_us",
    "bound",
    "bound_share",
)
TRAFFIC_KEYS: tuple[str, ...] = ("gm_bytes", "compulsory_bytes", "ratio")
#: The kernel's floor on the chip (plsim.accounting.kernel_floor) and modeled time over it.
FLOOR_KEYS: tuple[str, ...] = (
    "floor_us", "gm_floor_us", "cube_floor_us", "bound", "modeled_over_floor",
)  # fmt: skip

Progress = Callable[[str, int], None]

_PYPTO_INSTALL = (
    "install hw-native-sys/pypto built from source (https://github.com/hw-native-sys/pypto) "
    "together with its runtime and PTOAS; the PyPI package named 'pypto' is a different "
    "project and does not provide it"
)
_DEVICE_INSTALL = "the Ascend CANN toolkit, torch and torch_npu (pip install -e '.[npu]')"


class PlatformUnavailable(RuntimeError):  # noqa: N818 (name fixed by the team contract)
    """The platform's toolchain is not installed; the message names what to install."""


class KernelError(RuntimeError):
    """The kernel raised while running (e.g. a plsim check fired); the message says where."""


@dataclass
class KernelRun:
    """What one kernel execution produced."""

    outputs: dict[str, np.ndarray]
    wall_s: float
    returns: tuple = ()
    stages: list[dict[str, Any]] | None = None
    traffic: dict[str, Any] | None = None
    trace: Callable[[], dict] | None = field(default=None, repr=False)
    #: The cost model's time of the whole kernel (stages overlap by their dependences).
    modeled_us: float | None = None
    #: The kernel's floor (FLOOR_KEYS); None where no model runs.
    floor: dict[str, Any] | None = None


def check_platform(name: str) -> str:
    """Return ``name`` if it is a known platform; ConfigError lists the allowed ones."""
    if name not in PLATFORMS:
        raise ConfigError(f"--platform: unknown platform {name!r}; expected one of {PLATFORMS}")
    return name


def check_functional_only(platform: str, functional_only: bool) -> None:
    """ConfigError unless a functional-only run is asked of plsim (the only platform that
    counts, so the only one that can leave the counting out)."""
    if functional_only and platform != "plsim":
        raise ConfigError(
            f"--functional-only: only platform 'plsim' counts (and can skip counting), got "
            f"{platform!r}"
        )


def ensure_available(name: str) -> None:
    """Raise PlatformUnavailable unless the platform's toolchain is installed.

    Detection reads the installed files only: the real pypto is never imported here, since the
    harness process also runs plsim (which stands in for ``pypto.language``) and the two must
    not share an interpreter. The real pypto runs in ``run_pypto``'s child process.
    """
    check_platform(name)
    if name == "plsim":
        import plsim

        if not hasattr(plsim, "run") or not hasattr(plsim, "load"):
            raise PlatformUnavailable(
                "platform 'plsim': the installed plsim package has no load/run entry points"
            )
        return
    _check_pypto_files(name)
    _check_ptoas(name)
    _check_device_stack(name)


def _package_dir(name: str) -> Path | None:
    """The directory of an installed top-level package, found without importing it."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def _check_pypto_files(platform: str) -> None:
    """The installed ``pypto`` is hw-native-sys/pypto (language, jit, runtime with RunConfig)."""
    root = _package_dir("pypto")
    if root is None:
        raise PlatformUnavailable(f"platform {platform!r} needs pypto: {_PYPTO_INSTALL}")
    if not (root / "language" / "__init__.py").is_file():
        raise PlatformUnavailable(
            f"platform {platform!r}: the installed 'pypto' ({root}) has no pypto.language; "
            f"{_PYPTO_INSTALL}"
        )
    runtime = root / "runtime"
    sources = [runtime / "__init__.py", *sorted(runtime.glob("*.py"))] if runtime.is_dir() else []
    if not any(f.is_file() and "RunConfig" in f.read_text(errors="ignore") for f in sources):
        raise PlatformUnavailable(
            f"platform {platform!r}: the installed 'pypto' has no pypto.runtime.RunConfig; "
            f"{_PYPTO_INSTALL}"
        )


def _check_ptoas(platform: str) -> None:
    """The PTO assembler ``ptoas`` that pypto needs to build kernels for any platform."""
    missing = toolchain.ptoas_missing_reason()
    if missing is not None:
        raise PlatformUnavailable(
            f"platform {platform!r} needs the PTO assembler 'ptoas' ({missing}): install "
            f"{toolchain.TOOLCHAIN_INSTALL}; to check that a kernel compiles without it, use "
            "--compile-only"
        )


def _check_device_stack(platform: str) -> None:
    """torch, the simulator's runtime on a2a3sim/a5sim, torch_npu with CANN on a device;
    found without importing them."""
    if importlib.util.find_spec("torch") is None:
        raise PlatformUnavailable(
            f"platform {platform!r} needs torch (the pypto JIT takes torch tensors)"
        )
    if platform not in DEVICE_PLATFORMS:
        missing = toolchain.simulator_missing_reason()
        if missing is not None:
            raise PlatformUnavailable(
                f"platform {platform!r}: {missing}; install {toolchain.TOOLCHAIN_INSTALL}"
            )
    if platform in DEVICE_PLATFORMS and importlib.util.find_spec("torch_npu") is None:
        raise PlatformUnavailable(f"platform {platform!r} needs {_DEVICE_INSTALL}")


def _stage_row(stage: Any) -> dict[str, Any]:
    """One plsim StageStats as the JSON stage row (exactly STAGE_KEYS)."""
    return {key: getattr(stage, key) for key in STAGE_KEYS}


def _traffic_row(traffic: Any) -> dict[str, Any]:
    return {key: getattr(traffic, key) for key in TRAFFIC_KEYS}


def _arguments(specs: Sequence[TensorSpec | ScalarSpec], values: Mapping[str, Any]) -> list:
    return [values[spec.name] for spec in specs]


def _output_names(specs: Sequence[TensorSpec | ScalarSpec]) -> list[str]:
    return [s.name for s in specs if isinstance(s, TensorSpec) and s.is_output]


def run_plsim(
    case: Case,
    specs: Sequence[TensorSpec | ScalarSpec],
    values: Mapping[str, Any],
    progress: Progress | None = None,
    functional_only: bool = False,
) -> KernelRun:
    """Run the case's kernel on plsim. ``values`` arrays are the kernel's own copies.

    plsim.ArgumentError (arguments the kernel cannot take) becomes ConfigError; any other
    plsim error becomes KernelError carrying plsim's message (file:line and scope).
    ``functional_only``: plsim counts nothing (stages, traffic, model and trace are None).
    """
    import plsim

    module = plsim.load(str(case.kernel_file))
    kernel = getattr(module, case.kernel_name, None)
    if kernel is None:
        raise ConfigError(
            f"case {case.name!r}: kernel file {case.kernel_file} has no {case.kernel_name!r}"
        )
    args = _arguments(specs, values)
    start = time.perf_counter()
    try:
        run = plsim.run(kernel, *args, progress=progress, functional_only=functional_only)
    except plsim.ArgumentError as exc:
        raise ConfigError(f"kernel arguments rejected by plsim: {exc}") from exc
    except plsim.SimError as exc:
        raise KernelError(f"{type(exc).__name__}: {exc}") from exc
    wall = time.perf_counter() - start
    outputs = {name: values[name] for name in _output_names(specs)}
    if not run.counted:
        return KernelRun(outputs=outputs, wall_s=wall, returns=tuple(run.returns))
    floor = run.floor
    return KernelRun(
        outputs=outputs,
        wall_s=wall,
        returns=tuple(run.returns),
        stages=[_stage_row(s) for s in run.stages],
        traffic=_traffic_row(run.traffic),
        trace=run.trace,
        modeled_us=run.modeled_us,
        floor={key: floor[key] for key in FLOOR_KEYS},
    )


#: Seconds a pypto build and run may take before the child is stopped (a product kernel's
#: build and run on a2a3sim took 50-175 s on the loaded 2-core machine, docs/running.md).
RUN_TIMEOUT_S = 1800
#: Runtime log lines that carry the reason of a failed run, most specific first.
_RUNTIME_DETAIL = (re.compile(r"error detail: (.*)"), re.compile(r"\[ERROR\][^\]]*\]?\s*(.*)"))


def run_pypto(
    case: Case,
    specs: Sequence[TensorSpec | ScalarSpec],
    values: Mapping[str, Any],
    platform: str,
    progress: Progress | None = None,
) -> KernelRun:
    """Build and run the case's kernel with the real pypto on ``platform``, in a child process.

    The child (golden.run_worker) gets the inputs as files, builds the kernel (pypto, ptoas,
    kernel wrapper, C++ compile) in a new folder of its own (golden.builds), runs it and
    writes the outputs back; the real ``pypto`` never enters this process, which runs plsim.
    Whatever the compiler and the runtime print goes to a log (kept with the build under
    ``--build-dir``), never to stdout. A rejection or a failed run is a KernelError naming the
    stage. No per-stage model exists on these platforms: stages and traffic are None.
    """
    ordered = {spec.name: values[spec.name] for spec in specs}
    request = {
        "kernel_file": str(Path(case.kernel_file).resolve()),
        "kernel_name": case.kernel_name,
        "platform": platform,
        "outputs": _output_names(specs),
        "device_id": _device_id(platform),
    }
    with builds.build_root() as root, tempfile.TemporaryDirectory(prefix="pypto_run_") as tmp:
        build_dir = builds.new_build_dir(root, case.kernel_name)
        kept = builds.kept_dir() is not None
        log_path = (build_dir if kept else Path(tmp)) / "pypto_run.log"
        exchange.write_request(Path(tmp), {**request, "build_dir": str(build_dir)}, ordered)
        failure = _run_child(Path(tmp), build_dir, log_path, progress)
        result_file = Path(tmp) / "result.json"
        if failure or not result_file.is_file():
            raise KernelError(f"{platform}: {failure or 'the pypto process wrote no result'}"
                              f"{_log_hint(log_path, kept)}")  # fmt: skip
        result = json.loads(result_file.read_text())
        if result["stage"] or result["outputs"] != request["outputs"]:  # rejected or failed
            raise KernelError(f"{platform}: {_describe_failure(result, log_path)}"
                              f"{_log_hint(log_path, kept)}")  # fmt: skip
        outputs = exchange.read_arrays(Path(tmp), "out")
    return KernelRun(outputs=outputs, wall_s=result["run_seconds"])


def _device_id(platform: str) -> int | None:
    device_id = os.environ.get("GOLDEN_DEVICE_ID")
    return int(device_id) if device_id is not None and platform in DEVICE_PLATFORMS else None


def _run_child(directory: Path, build_dir: Path, log_path: Path, progress: Progress | None) -> str:
    """Run golden.run_worker on ``directory``; "" when it finished, else why it did not.

    Its stdout carries only ``@@STEP`` lines (shown as progress); its stderr, where the
    compiler's and the runtime's output go, is ``log_path``. It runs in ``build_dir``, so
    nothing it writes by a relative path lands in the user's working directory.
    """
    from golden.compiler import worker_env

    step = getattr(progress, "step", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "golden.run_worker", str(directory)], stdout=subprocess.PIPE,
            stderr=log, text=True, env=worker_env(True), cwd=str(build_dir),
            start_new_session=True,
        )  # fmt: skip
        expired = threading.Event()
        timer = threading.Timer(RUN_TIMEOUT_S, lambda: (expired.set(), _kill_group(proc)))
        timer.start()
        try:
            for line in proc.stdout:
                if line.startswith("@@STEP ") and progress is not None:
                    name = line.removeprefix("@@STEP ").strip()
                    step(name) if callable(step) else progress(name, 0)
            code = proc.wait()
        except BaseException:  # interrupted: the child and its compilers go too
            _kill_group(proc)
            raise
        finally:
            timer.cancel()
    if code == 0:
        return ""
    if expired.is_set():
        return f"the pypto build and run exceeded {RUN_TIMEOUT_S} s and was stopped"
    return f"the pypto process died (exit status {code}): {_runtime_detail(log_path)}"


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop a child started with start_new_session=True and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _runtime_detail(log_path: Path) -> str:
    """The runtime's own reason for a failure, from its log ("" if it gave none)."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for pattern in _RUNTIME_DETAIL:
        for line in lines:
            match = pattern.search(line)
            if match and match.group(1).strip():
                return match.group(1).strip()
    return " | ".join(lines[-3:])


def _describe_failure(result: Mapping[str, Any], log_path: Path) -> str:
    """One line: the stage that rejected the kernel (or the run that failed), where, why."""
    stage = result.get("stage") or "pypto"
    where = f" at {result['location']}" if result.get("location") else ""
    message = " ".join(str(result.get("error", "")).split())
    if stage == "run":
        detail = _runtime_detail(log_path)
        return f"the run failed: {message}" + (f"; runtime: {detail}" if detail else "")
    return f"rejected by {stage}{where}: {message}"


def _log_hint(log_path: Path, kept: bool) -> str:
    if kept:
        return f" (log: {log_path})"
    return " (run with --build-dir DIR to keep the build and its log)"


def run_kernel(
    platform: str,
    case: Case,
    specs: Sequence[TensorSpec | ScalarSpec],
    values: Mapping[str, Any],
    progress: Progress | None = None,
    functional_only: bool = False,
) -> KernelRun:
    """Run the kernel on ``platform`` with ``values`` (the kernel's own copies);
    ``functional_only`` (plsim only) runs it without counting (run_plsim)."""
    check_functional_only(platform, functional_only)
    ensure_available(platform)
    if platform == "plsim":
        return run_plsim(case, specs, values, progress, functional_only)
    return run_pypto(case, specs, values, platform, progress)
