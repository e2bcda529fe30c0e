"""Up-front memory estimate of a run, so a configuration that cannot fit is refused before it
allocates anything.

A run holds every parameter tensor several times at once: the generated inputs, the golden's
copy, the kernel's copy and the pristine copy the comparisons read (golden/runner.py), plus
the golden's and plsim's temporaries. ``RUN_COPIES`` counts them; it was calibrated by
measuring peak RSS against the parameters' bytes (docs/running.md gives the figures).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from golden.spec import ScalarSpec, TensorSpec, numpy_dtype

#: Peak resident memory of a run, in multiples of its parameter tensors' bytes.
RUN_COPIES = 6
#: Fixed overhead of the interpreter, NumPy and plsim (bytes).
BASE_BYTES = 300 * 2**20


def parameter_bytes(specs: Sequence[TensorSpec | ScalarSpec]) -> int:
    """Bytes of every tensor parameter (one copy)."""
    total = 0
    for spec in specs:
        if isinstance(spec, TensorSpec):
            total += math.prod(spec.shape) * numpy_dtype(spec.dtype).itemsize
    return total


def estimate_run_bytes(specs: Sequence[TensorSpec | ScalarSpec]) -> int:
    """Estimated peak resident bytes of running a case with these parameters."""
    return BASE_BYTES + RUN_COPIES * parameter_bytes(specs)


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


def gib(n: float) -> str:
    """``n`` bytes as GiB with two decimals."""
    return f"{n / 2**30:.2f} GiB"
