"""Up-front memory estimate of a run, so a configuration that cannot fit is refused before it
allocates anything.

A run holds every parameter tensor several times at once: the generated inputs, the golden's
copy, the kernel's copy and the pristine copy the comparisons read (golden/runner.py). On top
of that the comparisons turn the largest output into float64 working arrays. The estimate is

    BASE_BYTES + RUN_COPIES x parameter bytes + WORK_BYTES_PER_ELEMENT x largest tensor's elements

calibrated against measured peak RSS (docs/running.md gives the figures).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

from golden.spec import ScalarSpec, TensorSpec, numpy_dtype

#: Copies of every parameter tensor alive at once during a run.
RUN_COPIES = 4
#: float64 working bytes per element of the largest tensor (comparison and golden temporaries).
WORK_BYTES_PER_ELEMENT = 56
#: Fixed overhead of the interpreter, NumPy and plsim (bytes).
BASE_BYTES = 300 * 2**20
#: Resident memory of the compiler process (torch, pypto, the compile): measured 0.30 GiB for
#: the product kernels at any size; their parameters are untouched shape samples.
COMPILE_RESIDENT_BYTES = 512 * 2**20

Shapes = Mapping[str, tuple[Sequence[int], str]]


def spec_shapes(specs: Sequence[TensorSpec | ScalarSpec]) -> dict[str, tuple[tuple, str]]:
    """``{name: (shape, dtype)}`` of the tensor parameters among ``specs``."""
    return {s.name: (tuple(s.shape), s.dtype) for s in specs if isinstance(s, TensorSpec)}


def parameter_bytes(shapes: Shapes) -> int:
    """Bytes of every tensor parameter (one copy)."""
    return sum(math.prod(shape) * numpy_dtype(dtype).itemsize for shape, dtype in shapes.values())


def estimate_run_bytes(shapes: Shapes) -> int:
    """Estimated peak resident bytes of running a case with these tensor parameters."""
    largest = max((math.prod(shape) for shape, _ in shapes.values()), default=0)
    return BASE_BYTES + RUN_COPIES * parameter_bytes(shapes) + WORK_BYTES_PER_ELEMENT * largest


def available_bytes() -> int | None:
    """Memory this machine can still give a process (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def allocatable_bytes() -> int | None:
    """Address space one process may allocate, even untouched: its RLIMIT_AS (ulimit -v) if
    set, else physical memory plus swap (what Linux's default overcommit lets one allocation
    have); None if unknown."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            return int(soft)
    except (ImportError, ValueError, OSError):
        pass
    total = 0
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith(("MemTotal:", "SwapTotal:")):
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return total or None


def gib(n: float) -> str:
    """``n`` bytes as GiB with two decimals."""
    return f"{n / 2**30:.2f} GiB"


def smaller(size_options: Sequence[str]) -> str:
    """The advice of a memory refusal: the case's options that make a run smaller."""
    if not size_options:
        return "choose a smaller configuration"
    return "choose a smaller " + " or ".join(size_options)
