"""Where the third-party material plsim is checked against lives on this machine: given on the
command line or by an environment variable, never a path of the machine the project grew on.

- ``PYPTO_LIB_DIR``: a checkout of hw-native-sys/pypto-lib (its ``golden/`` harness package,
  ``examples/`` and ``models/``), for ``plsim_tools.pyptolib`` and
  ``plsim_tools.side_by_side``.
- ``PLSIM_CALIBRATION_DIR``: a calibration set, ``claims.json`` (device timings that pypto-lib
  commit messages publish) with ``snapshots/<commit>/<kernel file>``, for
  ``plsim_tools.calibration`` (docs/cost_model_calibration.md).
"""

from __future__ import annotations

import os
from pathlib import Path

PYPTO_LIB_ENV = "PYPTO_LIB_DIR"
CALIBRATION_ENV = "PLSIM_CALIBRATION_DIR"
#: The pypto-lib file plsim_tools.side_by_side compares our indexer with, inside a pypto-lib
#: checkout.
UPSTREAM_INDEXER = Path("models/deepseek_v4_flash_mtp/decode_indexer.py")


class CorpusMissing(LookupError):  # noqa: N818 (reads as a state, like FileNotFoundError)
    """A corpus path was neither given nor set in its environment variable."""


def from_env(variable: str) -> Path | None:
    """The folder named by environment ``variable``, or None when it is unset or empty."""
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else None


def pypto_lib_dir() -> Path | None:
    """The pypto-lib checkout of ``PYPTO_LIB_DIR``, or None."""
    return from_env(PYPTO_LIB_ENV)


def calibration_dir() -> Path | None:
    """The calibration set of ``PLSIM_CALIBRATION_DIR``, or None."""
    return from_env(CALIBRATION_ENV)


def upstream_indexer(given: Path | None) -> Path:
    """The pypto-lib decode indexer: ``given``, else the one in ``PYPTO_LIB_DIR``; CorpusMissing
    (naming the option and the variable) when neither is there."""
    if given is not None:
        return given
    root = pypto_lib_dir()
    if root is None:
        raise CorpusMissing(
            f"--upstream: no file given and {PYPTO_LIB_ENV} is not set; give --upstream FILE "
            f"(pypto-lib's {UPSTREAM_INDEXER}) or set {PYPTO_LIB_ENV} to a checkout of "
            "https://github.com/hw-native-sys/pypto-lib"
        )
    return root / UPSTREAM_INDEXER


def claims_dir(given: Path | None) -> Path:
    """The calibration set: ``given``, else ``PLSIM_CALIBRATION_DIR``; CorpusMissing when
    neither is there."""
    if given is not None:
        return given
    root = calibration_dir()
    if root is None:
        raise CorpusMissing(
            f"--claims: no folder given and {CALIBRATION_ENV} is not set; give --claims DIR or "
            f"set {CALIBRATION_ENV} to a calibration set (claims.json and snapshots/, "
            "docs/cost_model_calibration.md)"
        )
    return root
