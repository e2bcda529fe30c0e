"""Write the Chrome/Perfetto trace of a run's modeled stages (viewable in ui.perfetto.dev)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from golden.runner import RunReport


class TraceError(ValueError):
    """The trace cannot be produced or written; the message names --trace and the reason."""


def check_trace_path(path: str | os.PathLike) -> Path:
    """Raise TraceError unless ``path`` can be written (its directory exists and is writable)."""
    target = Path(path)
    if target.is_dir():
        raise TraceError(f"--trace: {str(target)!r} is a directory; give a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise TraceError(f"--trace: directory {str(parent)!r} does not exist or is not writable")
    return target


def write_trace(report: RunReport, path: str | os.PathLike) -> Path:
    """Write the run's trace JSON to ``path`` atomically (temporary file, then rename)."""
    target = check_trace_path(path)
    if report.trace is None:
        raise TraceError(
            f"--trace: platform {report.platform!r} has no modeled stages to trace "
            "(only plsim does)"
        )
    trace = report.trace()
    fd, staging = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(trace, handle)
        os.replace(staging, target)
    except BaseException:
        if os.path.exists(staging):
            os.unlink(staging)
        raise
    return target
