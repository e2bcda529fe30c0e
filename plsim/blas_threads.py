"""Run plsim's small matmuls on one BLAS thread.

plsim multiplies many small tiles (e.g. 64 x 128 x 256). OpenBLAS splits even those across all
cores and busy-waits its worker threads; on a shared 2-core machine that made one indexer run
10-50x slower than on a single thread. ``single_blas_thread()`` sets the thread count of the
OpenBLAS that NumPy loaded to 1 for the duration of a run and restores it afterwards. Results do
not change (INT8 products are exact in float64, and float matmuls round the float64 sum once).
When the library or its symbols cannot be found (another BLAS, another OS) it does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from collections.abc import Iterator

_SET_NAMES = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
              "openblas_set_num_threads")  # fmt: skip
_GET_NAMES = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
              "openblas_get_num_threads")  # fmt: skip


@functools.cache
def _openblas() -> tuple | None:
    """(get, set) thread-count functions of the loaded OpenBLAS, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(p for p in paths if p.startswith("/")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        getter = next((getattr(lib, n) for n in _GET_NAMES if hasattr(lib, n)), None)
        setter = next((getattr(lib, n) for n in _SET_NAMES if hasattr(lib, n)), None)
        if getter is not None and setter is not None:
            getter.restype = ctypes.c_int
            setter.argtypes = [ctypes.c_int]
            setter.restype = None
            return getter, setter
    return None


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit OpenBLAS to one thread inside the block (no-op without OpenBLAS)."""
    funcs = _openblas()
    if funcs is None:
        yield
        return
    getter, setter = funcs
    before = int(getter())
    if before == 1:
        yield
        return
    setter(1)
    try:
        yield
    finally:
        setter(before)
