"""Where a kernel runs: plsim (NumPy functional simulator) or the real pypto toolchain.

``plsim`` is always available. ``a2a3sim`` / ``a5sim`` (pypto's CPU simulator) and ``a2a3`` /
``a5`` (Ascend hardware) need hw-native-sys/pypto built from source; the hardware platforms also
need CANN, torch and torch_npu. A missing toolchain raises PlatformUnavailable naming what to
install; nothing ever falls back to another platform.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

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
    "cube_macs",
    "vector_ops",
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


def ensure_available(name: str) -> None:
    """Raise PlatformUnavailable unless the platform's toolchain is installed.

    Detection reads the installed files only: the real pypto is never imported here, since the
    harness process also runs plsim (which stands in for ``pypto.language``) and the two must
    not share an interpreter. The import happens in ``run_pypto``, on a real toolchain.
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
    ptoas_root = os.environ.get("PTOAS_ROOT")
    if ptoas_root:
        found = any(
            os.access(Path(ptoas_root) / rel, os.X_OK) for rel in ("ptoas", "ptoas.sh", "bin/ptoas")
        )
    else:
        found = shutil.which("ptoas") is not None
    if not found:
        raise PlatformUnavailable(
            f"platform {platform!r} needs the PTO assembler 'ptoas' (on PATH or under "
            f"$PTOAS_ROOT): {_PYPTO_INSTALL}; to check that a kernel compiles without it, "
            "use --compile-only"
        )


def _check_device_stack(platform: str) -> None:
    """torch (and torch_npu with CANN on a device platform), found without importing them."""
    if importlib.util.find_spec("torch") is None:
        raise PlatformUnavailable(
            f"platform {platform!r} needs torch (the pypto JIT takes torch tensors)"
        )
    if platform in DEVICE_PLATFORMS and importlib.util.find_spec("torch_npu") is None:
        raise PlatformUnavailable(f"platform {platform!r} needs {_DEVICE_INSTALL}")


def _is_plsim_module(module: Any) -> bool:
    """True if ``module`` is plsim standing in for pypto.language (plsim.load may alias it)."""
    origin = str(getattr(module, "__file__", "") or "")
    return "plsim" in Path(origin).parts or getattr(module, "__name__", "").startswith("plsim")


def _import_pypto(platform: str) -> tuple[Any, Any]:
    """The real ``pypto.language`` and ``pypto.runtime.RunConfig`` (after ensure_available)."""
    language = importlib.import_module("pypto.language")
    if _is_plsim_module(language):
        raise PlatformUnavailable(
            f"platform {platform!r}: pypto.language resolves to plsim, not the real toolchain; "
            f"{_PYPTO_INSTALL}"
        )
    return language, importlib.import_module("pypto.runtime").RunConfig


def _import_device_stack(platform: str) -> Any:
    """torch (plus torch_npu on a device platform), or PlatformUnavailable."""
    try:
        import torch
    except ImportError:
        needs = _DEVICE_INSTALL if platform in DEVICE_PLATFORMS else "torch (pip install torch)"
        raise PlatformUnavailable(f"platform {platform!r} needs torch: install {needs}") from None
    if platform in DEVICE_PLATFORMS:
        try:
            importlib.import_module("torch_npu")
        except ImportError as exc:
            raise PlatformUnavailable(
                f"platform {platform!r} needs torch_npu ({exc}): install {_DEVICE_INSTALL}"
            ) from None
    return torch


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
) -> KernelRun:
    """Run the case's kernel on plsim. ``values`` arrays are the kernel's own copies.

    plsim.ArgumentError (arguments the kernel cannot take) becomes ConfigError; any other
    plsim error becomes KernelError carrying plsim's message (file:line and scope).
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
        run = plsim.run(kernel, *args, progress=progress)
    except plsim.ArgumentError as exc:
        raise ConfigError(f"kernel arguments rejected by plsim: {exc}") from exc
    except plsim.SimError as exc:
        raise KernelError(f"{type(exc).__name__}: {exc}") from exc
    wall = time.perf_counter() - start
    outputs = {name: values[name] for name in _output_names(specs)}
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


def _import_kernel_file(path: Path) -> Any:
    """Import a kernel file with the real pypto; its directory goes on sys.path for siblings."""
    path = Path(path).resolve()
    module_name = f"_golden_kernel_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"kernel file {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def _to_torch(torch: Any, value: Any) -> Any:
    """A NumPy array as a CPU torch tensor of the same dtype (BF16 via its raw bits)."""
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype == np.dtype(ml_dtypes.bfloat16):
        return torch.from_numpy(value.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(value.copy())


def _from_torch(torch: Any, tensor: Any, dtype: np.dtype) -> np.ndarray:
    """A torch tensor back as a NumPy array of ``dtype``."""
    tensor = tensor.detach().cpu().contiguous()
    if dtype == np.dtype(ml_dtypes.bfloat16):
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16).copy()
    return tensor.numpy().astype(dtype, copy=True)


def run_pypto(
    case: Case,
    specs: Sequence[TensorSpec | ScalarSpec],
    values: Mapping[str, Any],
    platform: str,
    progress: Progress | None = None,
) -> KernelRun:
    """Run the case's kernel through the real pypto JIT on ``platform``.

    Follows pypto's documented flow: ``kernel.compile(*args, config=RunConfig(platform=...))``
    specializes and compiles for the platform (scalars are baked in as compile-time constants),
    then calling the CompiledProgram dispatches it; host torch tensors are copied to the
    device and back, so ``pl.Out`` / ``pl.InOut`` tensors hold the results afterwards.
    No per-stage model exists on these platforms: stages and traffic are None.
    """
    _, run_config = _import_pypto(platform)
    torch = _import_device_stack(platform)
    module = _import_kernel_file(case.kernel_file)
    kernel = getattr(module, case.kernel_name, None)
    if kernel is None:
        raise ConfigError(
            f"case {case.name!r}: kernel file {case.kernel_file} has no {case.kernel_name!r}"
        )
    config_fields: dict[str, Any] = {"platform": platform}
    device_id = os.environ.get("GOLDEN_DEVICE_ID")
    if device_id is not None and platform in DEVICE_PLATFORMS:
        config_fields["device_id"] = int(device_id)
    torch_args = [_to_torch(torch, values[spec.name]) for spec in specs]
    if progress:
        progress("pypto compile", 0)
    compiled = kernel.compile(*torch_args, config=run_config(**config_fields))
    if progress:
        progress("pypto run", 0)
    start = time.perf_counter()
    compiled(*torch_args)
    wall = time.perf_counter() - start
    outputs = {}
    for spec, arg in zip(specs, torch_args):
        if isinstance(spec, TensorSpec) and spec.is_output:
            outputs[spec.name] = _from_torch(torch, arg, values[spec.name].dtype)
    return KernelRun(outputs=outputs, wall_s=wall)


def run_kernel(
    platform: str,
    case: Case,
    specs: Sequence[TensorSpec | ScalarSpec],
    values: Mapping[str, Any],
    progress: Progress | None = None,
) -> KernelRun:
    """Run the kernel on ``platform`` with ``values`` (the kernel's own copies)."""
    ensure_available(platform)
    if platform == "plsim":
        return run_plsim(case, specs, values, progress)
    return run_pypto(case, specs, values, platform, progress)
