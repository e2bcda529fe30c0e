"""Checks an output target (a --save-data directory, a --trace file) passes before a run.

Each target may create one missing parent directory (README's ``out/idx`` in a fresh clone),
never more: a mistyped path must not grow a tree. Whether a directory is writable is tried,
not asked (``os.access`` says yes to root everywhere, and cannot see /proc's refusal).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputPathError(ValueError):
    """An output target cannot be written; the message names the option and the reason."""


def writable_parent(option: str, target: Path) -> Path:
    """The existing directory a target's (possibly missing) parent will be created in, checked
    writable; OutputPathError naming ``option`` otherwise."""
    parent = target.parent if str(target.parent) else Path(".")
    ancestor = parent if parent.exists() else parent.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise OutputPathError(f"{option}: {str(ancestor)!r} is a file, not a directory")
    if not ancestor.is_dir():
        raise OutputPathError(
            f"{option}: directory {str(ancestor)!r} does not exist (only the last missing "
            "directory is created)"
        )
    probe(option, ancestor)
    return ancestor


def probe(option: str, directory: Path) -> None:
    """Create and remove a scratch directory in ``directory``; OutputPathError if it fails."""
    try:
        scratch = tempfile.mkdtemp(prefix=".write-probe-", dir=directory)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputPathError(f"{option}: cannot write into {str(directory)!r}: {reason}") from None
    os.rmdir(scratch)


def same_or_inside(path: str | os.PathLike, directory: str | os.PathLike) -> bool:
    """True if ``path`` is ``directory`` or lies inside it (after resolving both)."""
    inner, outer = Path(path).resolve(), Path(directory).resolve()
    return inner == outer or outer in inner.parents


def check_distinct(save_dir: str | os.PathLike | None, trace: str | os.PathLike | None) -> None:
    """OutputPathError if the trace file would land on or in the save directory: a save
    replaces its directory as a whole, so one of the two would be lost."""
    if save_dir is None or trace is None:
        return
    if Path(trace).resolve() == Path(save_dir).resolve():
        raise OutputPathError(
            f"--trace: {str(trace)!r} is also the --save-data directory; give each its own path"
        )
    if same_or_inside(trace, save_dir):
        raise OutputPathError(
            f"--trace: {str(trace)!r} is inside the --save-data directory {str(save_dir)!r}, "
            "which a save replaces as a whole; put the trace elsewhere"
        )
