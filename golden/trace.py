"""Write the Chrome/Perfetto trace of a run's modeled stages (viewable in ui.perfetto.dev)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from golden.runner import RunReport


class TraceError(ValueError):
    """The trace cannot be produced or written; the message names --trace and the reason."""


def check_trace_path(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Raise TraceError unless ``path`` can be written: not a directory, not an existing file
    unless ``force``, and its directory writable, or missing with a writable parent (then it
    is created when the trace is written)."""
    target = Path(path)
    if target.is_dir():
        raise TraceError(f"--trace: {str(target)!r} is a directory; give a file name")
    if (target.exists() or target.is_symlink()) and not force:
        raise TraceError(
            f"--trace: {str(target)!r} already exists; add --force to replace it or choose "
            "a new file"
        )
    parent = target.parent if str(target.parent) else Path(".")
    if parent.exists():
        if not parent.is_dir():
            raise TraceError(f"--trace: {str(parent)!r} is not a directory")
        _probe(parent)
        return target
    # A missing parent is created (one level only: a mistyped path must not grow a tree).
    if not parent.parent.is_dir():
        raise TraceError(
            f"--trace: directory {str(parent.parent)!r} does not exist (only the last missing "
            "directory is created)"
        )
    if not os.access(parent.parent, os.W_OK | os.X_OK):
        raise TraceError(f"--trace: directory {str(parent.parent)!r} is not writable")
    return target


def _probe(directory: Path) -> None:
    """Create and remove a file in ``directory``: os.access cannot see e.g. /proc's refusal."""
    try:
        fd, name = tempfile.mkstemp(prefix=".trace-probe-", dir=directory)
    except OSError as exc:
        raise TraceError(f"--trace: cannot write into {str(directory)!r}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(name)


def _umask_mode(mode: int) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def write_trace(report: RunReport, path: str | os.PathLike, *, force: bool = False) -> Path:
    """Write the run's trace JSON to ``path`` atomically (temporary file, then rename).

    Creates a missing parent directory (one level); TraceError (one line) on any failure.
    """
    target = check_trace_path(path, force=force)
    if report.trace is None:
        raise TraceError(
            f"--trace: platform {report.platform!r} has no modeled stages to trace "
            "(only plsim does)"
        )
    trace = report.trace()
    try:
        target.parent.mkdir(exist_ok=True)
        fd, staging = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    except OSError as exc:
        raise TraceError(f"--trace: cannot write {str(target)!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(trace, handle)
        os.chmod(staging, _umask_mode(0o666))  # mkstemp makes owner-only files
        os.replace(staging, target)
    except OSError as exc:
        if os.path.exists(staging):
            os.unlink(staging)
        raise TraceError(f"--trace: cannot write {str(target)!r}: {exc.strerror}") from None
    return target
