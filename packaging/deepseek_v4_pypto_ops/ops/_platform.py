"""Which platform runs the kernels: chosen once per process from what is installed, stated in
one line at first use.

Order: ``$DEEPSEEK_V4_OPS_PLATFORM`` or :func:`set_platform` if given; else an Ascend NPU
(``a2a3``) when torch_npu and the real pypto with ptoas are installed; else pypto's CPU
simulator (``a2a3sim``) when the real pypto, ptoas and its runtime are installed; else plsim.
Detection reads installed files only: the real pypto is never imported here (it and plsim both
answer to ``pypto.language`` and must not share a process).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import shutil
from pathlib import Path

#: Every platform name, in the harness's spelling.
PLATFORMS = ("plsim", "a2a3sim", "a5sim", "a2a3", "a5")
SIM_PLATFORMS = ("a2a3sim", "a5sim")
DEVICE_PLATFORMS = ("a2a3", "a5")
ENV_VAR = "DEEPSEEK_V4_OPS_PLATFORM"

_LOG = logging.getLogger("deepseek_v4_pypto_ops.ops")
_chosen: str | None = None
_announced: set[str] = set()


def real_pypto_missing() -> str | None:
    """Why the real pypto (hw-native-sys/pypto) cannot run kernels here, or None."""
    try:
        files = importlib.metadata.files("pypto") or []
    except importlib.metadata.PackageNotFoundError:
        return "pypto (hw-native-sys/pypto, built from source) is not installed"
    names = {str(f).replace("\\", "/") for f in files}
    if not any(n.startswith("pypto/jit/") for n in names):
        return "the installed 'pypto' is not hw-native-sys/pypto (no pypto.jit)"
    root = os.environ.get("PTOAS_ROOT")
    found = (
        any(os.access(Path(root) / rel, os.X_OK) for rel in ("ptoas", "bin/ptoas"))
        if root
        else shutil.which("ptoas") is not None
    )
    if not found:
        return "the PTO assembler 'ptoas' is not on PATH or under $PTOAS_ROOT"
    return None


def simulator_missing() -> str | None:
    """Why pypto's CPU simulator cannot run here (no real pypto, ptoas or runtime), or None."""
    reason = real_pypto_missing()
    if reason is None and importlib.util.find_spec("simpler") is None:
        reason = "pypto's runtime 'simpler' (the a2a3sim / a5sim simulator) is not installed"
    return reason


def npu_missing() -> str | None:
    """Why no Ascend NPU path is available (torch_npu or the real pypto missing), or None."""
    if importlib.util.find_spec("torch_npu") is None:
        return "torch_npu is not installed"
    return real_pypto_missing()


def detect() -> str:
    """The platform this process would use: the environment's choice or the best installed."""
    wanted = os.environ.get(ENV_VAR)
    if wanted:
        if wanted not in PLATFORMS:
            raise ValueError(f"${ENV_VAR}: expected one of {', '.join(PLATFORMS)}, got {wanted!r}")
        return wanted
    if npu_missing() is None:
        return "a2a3"
    if simulator_missing() is None:
        return "a2a3sim"
    return "plsim"


def set_platform(name: str | None) -> None:
    """Use ``name`` for every later call (None: detect again); ValueError for an unknown one."""
    global _chosen
    if name is not None and name not in PLATFORMS:
        raise ValueError(f"platform: expected one of {', '.join(PLATFORMS)}, got {name!r}")
    _chosen = name


def current() -> str:
    """The platform kernels run on now (detected once, then kept)."""
    global _chosen
    if _chosen is None:
        _chosen = detect()
    return _chosen


def announce(platform: str) -> None:
    """State, once per platform and process, where the kernels run."""
    if platform in _announced:
        return
    _announced.add(platform)
    where = {
        "plsim": "plsim, the NumPy functional simulator of pypto.language (no pypto toolchain "
        "or NPU found; slow, for correctness)",
        "a2a3sim": "pypto's a2a3sim CPU simulator in a child process (one compile per shape)",
        "a5sim": "pypto's a5sim CPU simulator in a child process (one compile per shape)",
        "a2a3": "the compiled pypto kernels on an Ascend A2/A3 NPU (one compile per shape)",
        "a5": "the compiled pypto kernels on an Ascend 950 NPU (one compile per shape)",
    }[platform]
    _LOG.warning("deepseek_v4_pypto_ops.ops: running on %s; set $%s to choose", where, ENV_VAR)
