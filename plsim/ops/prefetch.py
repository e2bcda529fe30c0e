"""pl.prefetch: a context handle and an L2 warm-up read that only counts traffic."""

from __future__ import annotations

import math

from plsim import events
from plsim.context import dsl
from plsim.memory import (
    GMTensor,
)
from plsim.ops.common import begin


class PrefetchContext:
    """The handle of pl.prefetch.make_context(): groups the prefetches of one task."""


def prefetch_context() -> PrefetchContext:
    """pl.prefetch.make_context() (inside an InCore scope)."""
    begin("prefetch.make_context")
    return PrefetchContext()


def async_prefetch(tensor, ctx) -> None:
    """pl.prefetch.async_prefetch(tensor, ctx): warm the L2 cache with a GM tensor.

    No functional effect; the bytes are read from HBM by this task, so they are counted as a
    transfer of the whole tensor.
    """
    begin("prefetch.async_prefetch")
    if not isinstance(tensor, GMTensor):
        dsl(f"pl.prefetch.async_prefetch takes a GM tensor, got {type(tensor).__name__}")
    if not isinstance(ctx, PrefetchContext):
        dsl("pl.prefetch.async_prefetch needs the context of pl.prefetch.make_context()")
    nbytes = math.prod(tensor.shape) * tensor.buf.dtype.itemsize
    # not compulsory: the kernel's own loads read these elements (or they are not needed)
    events.transfer("read", nbytes, tensor, compulsory=False)
