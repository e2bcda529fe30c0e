"""``@pl.jit.host`` runs: the host body records per-rank launches, plsim.ranks executes them.

A host function's parameters are bound like a ``@pl.jit`` kernel's (NumPy arrays); its body
allocates window buffers (plsim.distributed) and calls chip kernels with ``device=r``, which
records a launch instead of running it. Each launch later binds its arguments for its rank
(plsim.binding.launch_values): host tensors (usually per-rank slices ``x[r]``) pass as GM
views, ``pld.window`` views become that rank's slice of the window buffer, scalars are checked
against their annotations. Every rank keeps its own stage accounting; the Run lists rank r's
stages as ``r<r>.<name_hint>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plsim import errors
from plsim.binding import (
    bind_arguments,
    copy_back,
    host_regions,
    launch_values,
    returned_values,
    user_arrays,
)
from plsim.blas_threads import single_blas_thread
from plsim.context import STATE, as_dsl_error, dsl, kernel_location
from plsim.control import Recorder
from plsim.memory import GMTensor
from plsim.numerics_arith import floating_point_ignored
from plsim.observers import make_observers
from plsim.ranks import Launch, run_ranks
from plsim.scalars import to_int


@dataclass
class HostRun:
    """State of a host body while it runs: the rank count and the launches it made."""

    world_size: int
    launches: list[Launch] = field(default_factory=list)


def launch(kernel, device, args: tuple, kwargs: dict[str, Any]) -> None:
    """``kernel(*args, device=r)`` in a host body: record a launch on rank ``r``."""
    host = STATE.host
    if host is None or STATE.scopes:
        dsl(f"{kernel.fn.__name__}(..., device=...) dispatches a chip kernel to a rank; only a "
            "@pl.jit.host function does that")  # fmt: skip
    rank = to_int(device, "device")
    if not 0 <= rank < host.world_size:
        dsl(f"device={rank}: the run has ranks 0..{host.world_size - 1} (world_size "
            f"{host.world_size})")  # fmt: skip
    file, line = kernel_location()
    host.launches.append(Launch(len(host.launches), rank, kernel, tuple(args), dict(kwargs),
                                f"{file}:{line}", host_regions(kernel, args, kwargs)))  # fmt: skip


def run_host(
    kernel, args, kwargs, plat, world_size, progress=None, shuffle_seed=None,
    functional_only=False, extra=(),
) -> tuple[tuple, list[tuple[str, Recorder]], dict[str, GMTensor]]:
    """Run a ``@pl.jit.host`` function on ``world_size`` simulated ranks; returns what
    plsim.runner makes the Run of: the returned values, the recorders of the host body and
    then of every rank with the prefix of their stage names (``r<rank>.``), and the GM tensors
    bound to the parameters. Every recorder gets its own observers (make_observers)."""
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise errors.ArgumentError(
            f"world_size: expected a positive int (the rank count), got {world_size!r}"
        )
    impl = kernel.impl
    values, tensors = bind_arguments(kernel, args, kwargs)
    users = user_arrays(kernel, args, kwargs, tensors)
    recorders: dict[int, Recorder] = {}

    def execute(launch: Launch) -> None:
        rec = recorders.get(launch.rank)
        if rec is None:
            observers = make_observers(plat, functional_only, extra)
            rec = recorders[launch.rank] = Recorder(plat, progress, observers)
        STATE.recorder = rec
        if shuffle_seed is not None:
            STATE.shuffle_rng = np.random.default_rng(shuffle_seed + launch.rank)
        launch.kernel.impl(*launch_values(launch))

    STATE.reset()
    host_recorder = Recorder(plat, progress, make_observers(plat, functional_only, extra))
    STATE.recorder = host_recorder
    STATE.host = HostRun(world_size)
    try:
        with floating_point_ignored(), single_blas_thread():
            ret = impl(*values)
            launches = STATE.host.launches
            STATE.host = None
            run_ranks(launches, execute)
    except Exception as exc:
        converted = as_dsl_error(exc, STATE.scope_name)
        if converted is not None:
            raise converted from exc
        raise
    finally:
        STATE.reset()
    copy_back(tensors, users)
    returns = returned_values(kernel, ret, users)
    ordered = [("", host_recorder)]
    ordered += [(f"r{rank}.", recorders[rank]) for rank in sorted(recorders)]
    return returns, ordered, tensors
