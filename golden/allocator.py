"""Let a command-line run reuse the memory it frees instead of handing it back to the system.

A run allocates and frees many arrays of tens to hundreds of MiB (the cache pool, its float64
copies in the error figures, the synthetic history). glibc serves each such block with a fresh
``mmap`` and returns it with ``munmap`` when freed, so every new one is faulted in and zeroed
page by page again: on this project's shared virtual machines that was about a fifth of a PRO
run's CPU time (measured: ``GLIBC_TUNABLES`` with both thresholds at 4 GiB took the system time
of ``--preset PRO --batch 16 --seq 4 --max-seq-len 32768`` from 1.1-1.6 s to 0.8 s). Raising
glibc's mmap and trim thresholds keeps freed blocks in the heap for the next allocation. The
values computed are unchanged; the process keeps its peak heap until it exits, which the
up-front memory check (golden.memory) already budgets for.

Only the CLI entry points call this (a whole process is one run); library callers and tests
keep the allocator's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks up to this size come from the heap and stay there when freed.
THRESHOLD_BYTES = 2**30


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; False where that is not
    available (another C library or platform), which changes nothing but speed."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    trim = mallopt(_M_TRIM_THRESHOLD, THRESHOLD_BYTES)
    mmap = mallopt(_M_MMAP_THRESHOLD, THRESHOLD_BYTES)
    return bool(trim and mmap)
