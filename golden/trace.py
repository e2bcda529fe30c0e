"""Write the Chrome/Perfetto trace of a run's modeled stages (viewable in ui.perfetto.dev)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from golden import interrupts
from golden.output_paths import OutputPathError, writable_parent
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
    try:
        writable_parent("--trace", target)
    except OutputPathError as exc:
        raise TraceError(str(exc)) from None
    return target


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
    except BaseException as exc:  # OSError, or Ctrl-C / SIGTERM: no half-written file left
        with interrupts.deferred():
            if os.path.exists(staging):
                os.unlink(staging)
        if isinstance(exc, OSError):
            raise TraceError(f"--trace: cannot write {str(target)!r}: {exc.strerror}") from None
        raise
    return target
