"""plsim.load: import a kernel file with ``pypto.language`` resolved to plsim's pl namespace.

During the load ``sys.modules['pypto']`` / ``['pypto.language']`` point at plsim (so the kernel
and the sibling modules it imports bind plsim's ``pl``), the kernel's directory is on sys.path
for ``from config import X``, and a kernel inside a package is imported under its dotted name
so package-relative imports work. Afterwards sys.modules and sys.path are restored: a real
pypto, if installed, is untouched, and sibling modules are not cached under bare names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import runpy
import sys
import types
from collections.abc import Iterator
from pathlib import Path

from plsim import errors, language

_COUNTER = itertools.count()


def _package_of(path: Path) -> tuple[Path, str]:
    """(sys.path root, dotted package) for a file inside packages, else (its dir, '')."""
    parts = []
    directory = path.parent
    while (directory / "__init__.py").exists():
        parts.append(directory.name)
        directory = directory.parent
    return directory, ".".join(reversed(parts))


def load(path) -> types.ModuleType:
    """Import the kernel file at ``path`` with pypto.language bound to plsim; return the module."""
    path = _kernel_path(path)
    with bound_pypto(path) as module_name:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return module


def run_main(path, argv: list[str]) -> dict:
    """Run the kernel file's ``__main__`` block with pypto.language bound to plsim.

    ``sys.argv`` is ``[path, *argv]`` during the run; returns the file's globals. A SystemExit
    raised by the file propagates to the caller.
    """
    path = _kernel_path(path)
    saved_argv = list(sys.argv)
    sys.argv[:] = [str(path), *argv]
    try:
        with bound_pypto(path):
            return runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv[:] = saved_argv


def _kernel_path(path) -> Path:
    path = Path(path).resolve()
    if not path.is_file():
        raise errors.ArgumentError(f"path: no kernel file at {str(path)!r}")
    return path


@contextlib.contextmanager
def bound_pypto(path: Path) -> Iterator[str]:
    """While active, ``import pypto.language`` means plsim and the kernel's siblings import.

    Yields the module name to import the kernel under; restores sys.modules and sys.path.
    """
    kernel_dir = path.parent
    root, package = _package_of(path)
    module_name = f"{package}.{path.stem}" if package else f"_plsim_kernel_{next(_COUNTER)}"

    saved_modules = {k: v for k, v in sys.modules.items() if k == "pypto" or k.startswith("pypto.")}
    # Hide same-named modules from elsewhere so `from config import X` finds the sibling.
    sibling_names = {p.stem for p in kernel_dir.glob("*.py")} | {
        p.name for p in kernel_dir.iterdir() if (p / "__init__.py").exists()
    }
    for name in sibling_names:
        mod = sys.modules.get(name)
        if mod is not None and not _inside(mod, kernel_dir):
            saved_modules[name] = mod
            del sys.modules[name]
    before = set(sys.modules)
    saved_path = list(sys.path)

    fake = types.ModuleType("pypto")
    fake.language = language
    fake.__path__ = []  # a package, so `import pypto.language` resolves
    for key in list(saved_modules):
        if key == "pypto" or key.startswith("pypto."):
            del sys.modules[key]
    sys.modules["pypto"] = fake
    sys.modules["pypto.language"] = language
    for name, module in _extra_modules().items():
        sys.modules[name] = module
    # `import pypto.language.distributed as pld` reads the attribute of the parent module.
    language.distributed = sys.modules["pypto.language.distributed"]
    sys.path.insert(0, str(kernel_dir))
    if package:
        sys.path.insert(0, str(root))
    try:
        if package:
            importlib.import_module(package)
        yield module_name
    finally:
        sys.path[:] = saved_path
        for key in set(sys.modules) - before:
            mod = sys.modules[key]
            bare_sibling = "." not in key and mod is not None and _inside(mod, kernel_dir)
            if key.startswith("pypto") or key == module_name or bare_sibling or _binds_pl(mod):
                del sys.modules[key]
        for key in ("pypto", "pypto.language", *_extra_modules()):
            sys.modules.pop(key, None)
        sys.modules.update(saved_modules)


def _extra_modules() -> dict[str, types.ModuleType]:
    """Modules under ``pypto`` that kernels import by dotted name: the distributed namespace
    and the ``pypto.ir.distributed_compiled_program`` module pypto-lib takes
    ``DistributedConfig`` from."""
    from plsim import distributed, distributed_config

    ir = types.ModuleType("pypto.ir")
    ir.__path__ = []  # a package, so `from pypto.ir.distributed_compiled_program import` works
    ir.distributed_compiled_program = distributed_config
    return {
        "pypto.language.distributed": distributed,
        "pypto.ir": ir,
        "pypto.ir.distributed_compiled_program": distributed_config,
    }


def _binds_pl(module) -> bool:
    """True if the module captured plsim's pl (it must not be reused with a real pypto)."""
    from plsim import distributed

    if module is None:
        return False
    return any(v is language or v is distributed for v in vars(module).values())


def _inside(module: types.ModuleType, directory: Path) -> bool:
    file = getattr(module, "__file__", None)
    if not file:
        return False
    try:
        return Path(file).resolve().is_relative_to(directory.resolve())
    except (OSError, ValueError):
        return False
