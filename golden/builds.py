"""Where pypto's build folders go: one new folder per build, never the working directory.

pypto writes a build to ``$PYPTO_PROG_BUILD_DIR/<program>_<timestamp>`` (``./build_output`` when
the variable is unset), the timestamp to the second: two builds of one kernel in one second
would share a folder. The harness gives every build a new folder of its own and points
``PYPTO_PROG_BUILD_DIR`` at it. The folders live in a temporary directory removed afterwards,
or, inside a ``kept_in(directory)`` block (``run.py --build-dir``), in that directory, kept.
"""

from __future__ import annotations

import contextlib
import contextvars
import tempfile
from collections.abc import Iterator
from pathlib import Path

from golden.case import ConfigError

_KEPT: contextvars.ContextVar[Path | None] = contextvars.ContextVar("kept_build_dir", default=None)


def check_build_dir(path: str | Path) -> Path:
    """``--build-dir``: an existing directory, or a new one whose parent exists (created)."""
    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        raise ConfigError(f"--build-dir: {str(path)!r} is not a directory; expected a directory")
    if not target.exists():
        if not target.parent.is_dir():
            raise ConfigError(
                f"--build-dir: the parent of {str(path)!r} does not exist; expected a directory "
                "whose parent exists"
            )
        target.mkdir()
    return target.resolve()


@contextlib.contextmanager
def kept_in(directory: str | Path | None) -> Iterator[None]:
    """Builds started inside the block are kept under ``directory`` (None: temporary)."""
    token = _KEPT.set(check_build_dir(directory) if directory is not None else None)
    try:
        yield
    finally:
        _KEPT.reset(token)


def kept_dir() -> Path | None:
    """The directory builds are kept in, or None when they are temporary."""
    return _KEPT.get()


@contextlib.contextmanager
def build_root(explicit: str | Path | None = None) -> Iterator[Path]:
    """A directory to hold a batch of builds: ``explicit`` or the kept directory if either is
    set (left in place), else a new temporary directory removed when the block ends."""
    chosen = Path(explicit).resolve() if explicit is not None else kept_dir()
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        yield chosen
        return
    with tempfile.TemporaryDirectory(prefix="pypto_build_") as scratch:
        yield Path(scratch)


def new_build_dir(root: Path, name: str) -> Path:
    """A new, empty folder for one build under ``root``; unique across processes too."""
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
