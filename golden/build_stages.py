"""The stages of pypto's build and how a failure names its stage, function and kernel line.

Pure text and traceback handling, shared by the child processes that run the real pypto
(golden.compile_worker, golden.run_worker); nothing here imports pypto.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from types import TracebackType

#: The build's stages in order. "pypto" is parse, passes and code generation to PTO MLIR.
PYPTO = "pypto"
PTOAS = "ptoas"
WRAPPER = "kernel wrapper"
CXX = "C++ compile"
STAGES: tuple[str, ...] = (PYPTO, PTOAS, WRAPPER, CXX)

_MLIR_LOC = re.compile(r'loc\("([^"]+)":(\d+):\d+\)')
_PY_LINE = re.compile(r"(/[^\s:\[\]\"']+\.py):(\d+)")
_CXX_ERROR = re.compile(r"^(\S+?):(\d+):\d+: (?:fatal )?error: (.*)$", re.M)
_CXX_KERNEL = re.compile(r"kernels/(?:aic/|aiv/)?(\w+)\.cpp")
_CXX_SITE = re.compile(
    r"(\S*kernels/\S+\.cpp):(\d+):\d+: note: in instantiation[^\n]*\n\s*\d+ \|\s*([^\n]*)"
)
#: Functions of pypto's backend whose presence in a traceback names the stage that raised.
_STAGE_FRAMES = (("_run_ptoas", PTOAS), ("_generate_kernel_wrapper", WRAPPER))


def stage_of(exc: BaseException) -> str:
    """The codegen-phase stage an exception came from: ptoas, the kernel wrapper, else pypto."""
    names = {frame.name for frame in traceback.extract_tb(exc.__traceback__)}
    for frame_name, stage in _STAGE_FRAMES:
        if frame_name in names:
            return stage
    text = str(exc)
    if "ptoas compilation" in text or text.startswith(("PTOAS_ROOT", "ptoas binary")):
        return PTOAS
    return WRAPPER if "kernel wrapper" in text else PYPTO


def ptoas_summary(text: str) -> tuple[str, str]:
    """(the ptoas error lines, the kernel's file:line) from ptoas's message.

    pypto writes each PTO op with an MLIR ``loc("file":line:col)`` of the kernel source, which
    ptoas repeats in its diagnostics.
    """
    errors = []
    for line in text.splitlines():
        if "error:" in line:
            line = _MLIR_LOC.sub("", line.removeprefix("ptoas compilation failed:"))
            errors.append(line.strip(" :").removeprefix("error:").strip())
    where = _MLIR_LOC.search(text)
    location = f"{where.group(1)}:{where.group(2)}" if where else ""
    return " | ".join(errors) or " ".join(text.split()), location


def cxx_summary(text: str) -> tuple[str, str]:
    """(the compiler's first error, the generated kernel it was compiling) from a C++ failure.

    The generated C++ carries no kernel source lines; the message adds the line of the
    generated kernel that instantiated the failing template (e.g. ``bcast.cpp:73: TADD(...)``),
    whose op the kernel's ``.pto`` (kept with --build-dir) ties to a source line.
    """
    first = _CXX_ERROR.search(text)
    kernel = _CXX_KERNEL.search(text)
    where = f"{Path(first.group(1)).name}:{first.group(2)}: " if first else ""
    message = f"{where}{first.group(3)}" if first else " ".join(text.split())[:400]
    site = _CXX_SITE.search(text)
    if site:
        message += f" (instantiated at {Path(site.group(1)).name}:{site.group(2)}: {site.group(3)})"
    return message, kernel.group(1) if kernel else ""


def python_location(exc: BaseException, kernel_file: str) -> str:
    """file:line of a pypto error: the parser's span, a frame in the kernel, or the message."""
    span = getattr(exc, "span", None)
    if span is not None:
        # Parser errors carry the span as a dict; other objects as attributes.
        get = span.get if isinstance(span, dict) else lambda key: getattr(span, key, None)
        for attr in ("filename", "file"):
            name = get(attr)
            if name:
                line = get("begin_line") or get("line")
                return f"{name}:{line}" if line else str(name)
    tb: TracebackType | None = exc.__traceback__
    for frame in reversed(traceback.extract_tb(tb) if kernel_file else []):
        if Path(frame.filename).resolve() == Path(kernel_file).resolve():
            return f"{frame.filename}:{frame.lineno}"
    match = _PY_LINE.search(str(exc))
    return f"{match.group(1)}:{match.group(2)}" if match else ""


def failure(stage: str, function: str, exc: BaseException, kernel_file: str) -> dict[str, str]:
    """One failure as data: its stage, the function (kernel) it hit, the message, file:line."""
    text = str(exc).split("\n\nC++ Traceback")[0].strip()
    if stage == PTOAS:
        message, location = ptoas_summary(text)
    elif stage == CXX:
        message, kernel = cxx_summary(text)
        function = function or kernel
        location = ""
    else:
        message, location = " ".join(text.split()), python_location(exc, kernel_file)
    return {
        "stage": stage,
        "function": function,
        "error": message,
        "error_type": type(exc).__name__,
        "location": location,
    }
