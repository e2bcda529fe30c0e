"""The pypto toolchain past the compiler, found on disk without importing it.

pypto's whole build is: pypto (parse, passes, codegen to PTO MLIR) -> ``ptoas`` (PTO MLIR to
C++ over pto-isa) -> pypto's kernel wrapper -> for ``a2a3sim`` / ``a5sim``, the simulator
runtime (``simpler``) compiles that C++ against pto-isa's CPU backend with ``g++-15``. Nothing
here imports pypto or simpler: the harness process also runs plsim, which stands in for
``pypto.language`` (docs/architecture.md).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

#: What to install for ptoas and the CPU simulator, for one-line "not installed" messages.
TOOLCHAIN_INSTALL = (
    "ptoas (hw-native-sys/PTOAS built from source against LLVM 19, e.g. dd147df4 plus upstream "
    "PRs #724 and #1080 and commit dd185dd3), the simpler runtime (93adc386, pypto's runtime/) "
    "with pto-isa cd4a3d3f, and a C++20 compiler named g++-15 (GCC >= 13; on Debian 12 "
    "clang++-19 behind a g++-15 wrapper with a <stdfloat> shim); docs/running.md says how"
)
#: Where pypto looks for ptoas under $PTOAS_ROOT, in its order (pypto/backend/_ptoas_locate.py).
_PTOAS_NAMES = ("ptoas", "ptoas.sh", "bin/ptoas")
#: The C++ compiler simpler runs for simulator kernels (simpler_setup/toolchain.py).
SIM_CXX = "g++-15"


def find_ptoas() -> Path | None:
    """The ptoas executable pypto would run: under $PTOAS_ROOT if set, else on PATH."""
    root = os.environ.get("PTOAS_ROOT")
    if root:
        for name in _PTOAS_NAMES:
            path = Path(root) / name
            if path.is_file() and os.access(path, os.X_OK):
                return path
        return None
    found = shutil.which("ptoas")
    return Path(found) if found else None


def ptoas_missing_reason() -> str | None:
    """Why pypto would skip ptoas and the kernel wrapper, or None if it will run them."""
    if find_ptoas() is not None:
        return None
    root = os.environ.get("PTOAS_ROOT")
    if root:
        return f"no executable ptoas under PTOAS_ROOT={root}"
    return "ptoas is not on PATH and PTOAS_ROOT is not set"


def _pto_isa_dir() -> Path | None:
    """pto-isa where simpler looks for it (simpler_setup/_assets/build/pto-isa)."""
    try:
        found = importlib.util.find_spec("simpler_setup")
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))) / "_assets" / "build" / "pto-isa"


def simulator_missing_reason() -> str | None:
    """Why the a2a3sim / a5sim C++ compile cannot run here, or None if it can."""
    reason = ptoas_missing_reason()
    if reason is not None:
        return reason
    if importlib.util.find_spec("simpler") is None:
        return "the simulator runtime 'simpler' is not installed"
    pto_isa = _pto_isa_dir()
    if pto_isa is None or not (pto_isa / "include").is_dir():
        return f"pto-isa is not placed where simpler looks for it ({pto_isa})"
    if shutil.which(SIM_CXX) is None:
        return f"no {SIM_CXX} on PATH (simpler compiles simulator kernels with it)"
    return None


def simulator_available() -> bool:
    """True if ptoas, simpler, pto-isa and g++-15 are all in place (nothing is imported)."""
    return simulator_missing_reason() is None
