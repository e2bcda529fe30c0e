"""``@pl.jit.host`` runs: the host body records per-rank launches, plsim.ranks executes them.

A host function's parameters are bound like a ``@pl.jit`` kernel's (NumPy arrays); its body
allocates window buffers (plsim.distributed) and calls chip kernels with ``device=r``, which
records a launch instead of running it. Each launch later binds its arguments for its rank:
host tensors (usually per-rank slices ``x[r]``) pass as GM views, ``pld.window`` views become
that rank's slice of the window buffer, scalars are checked against their annotations. Every
rank keeps its own stage accounting; the Run lists rank r's stages as ``r<r>.<name_hint>``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plsim import errors
from plsim.accounting import Run
from plsim.blas_threads import single_blas_thread
from plsim.context import STATE, as_dsl_error, dsl, kernel_location
from plsim.control import Recorder
from plsim.distributed import WindowView
from plsim.language_types import DynamicDim, ScalarType, TensorType
from plsim.memory import GMTensor
from plsim.numerics_arith import floating_point_ignored
from plsim.ranks import Launch, run_ranks
from plsim.scalars import Scalar, to_int


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
                                f"{file}:{line}", _host_regions(kernel, args, kwargs)))  # fmt: skip


def _host_regions(kernel, args: tuple, kwargs: dict[str, Any]) -> list[tuple[GMTensor, bool]]:
    """The host tensors a launch receives, each with whether the kernel may write it (its
    parameter is pl.Out / pl.InOut)."""
    from plsim.runner import _annotations

    try:
        bound = inspect.signature(kernel.fn).bind(*args, **kwargs).arguments
    except TypeError:
        return []  # reported when the launch runs
    anns = _annotations(kernel.fn)
    regions = []
    for name, value in bound.items():
        if isinstance(value, GMTensor):
            ann = anns.get(name)
            written = isinstance(ann, TensorType) and ann.direction != "in"
            regions.append((value, written))
    return regions


def _check_tensor(launch: Launch, name: str, t: GMTensor, ann: TensorType) -> None:
    where = f"{launch.where}: {launch.kernel.fn.__name__} argument '{name}' on rank {launch.rank}"
    if ann.dtype is not None and t.dtype is not ann.dtype:
        raise errors.DSLError(f"{where}: got a {t.dtype.name} tensor, the kernel declares "
                              f"{ann.dtype.name}")  # fmt: skip
    if ann.shape is not None:
        ok = len(ann.shape) == t.ndim and all(
            isinstance(e, DynamicDim) or int(e) == n for e, n in zip(ann.shape, t.shape)
        )
        if not ok:
            shown = [e.name if isinstance(e, DynamicDim) else int(e) for e in ann.shape]
            raise errors.DSLError(f"{where}: got shape {list(t.shape)}, the kernel declares "
                                  f"{shown}")  # fmt: skip


def _launch_values(launch: Launch) -> list:
    """The launch's arguments bound for its rank, in parameter order."""
    from plsim.runner import _annotations, _bind_scalar

    kernel = launch.kernel
    try:
        bound = inspect.signature(kernel.fn).bind(*launch.args, **launch.kwargs)
    except TypeError as exc:
        raise errors.DSLError(f"{launch.where}: {kernel.fn.__name__}: {exc}") from None
    anns = _annotations(kernel.fn)
    values = []
    for name, value in bound.arguments.items():
        ann = anns.get(name)
        if isinstance(value, WindowView):
            value = value.for_rank(launch.rank)
        if isinstance(ann, TensorType):
            if not isinstance(value, GMTensor):
                raise errors.DSLError(f"{launch.where}: {kernel.fn.__name__} argument '{name}': "
                                      f"expected a tensor, got {type(value).__name__}")  # fmt: skip
            if ann.kind == "distributed" and value.buf.window is None:
                raise errors.DSLError(
                    f"{launch.where}: {kernel.fn.__name__} argument '{name}' is a "
                    f"pld.DistributedTensor parameter; pass a pld.window(...) view, not host "
                    f"tensor '{value.buf.name}'"
                )
            _check_tensor(launch, name, value, ann)
        elif isinstance(ann, ScalarType):
            raw = value.value if isinstance(value, Scalar) else value
            try:
                value = _bind_scalar(name, raw, ann)
            except errors.ArgumentError as exc:
                raise errors.DSLError(f"{launch.where}: {kernel.fn.__name__}: {exc}") from None
        values.append(value)
    return values


def run_host(kernel, args, kwargs, plat, world_size, progress=None, shuffle_seed=None) -> Run:
    """Run a ``@pl.jit.host`` function on ``world_size`` simulated ranks; returns the Run."""
    from plsim.runner import _bind, copy_back, make_run, returned_values, user_arrays

    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise errors.ArgumentError(
            f"world_size: expected a positive int (the rank count), got {world_size!r}"
        )
    impl = kernel.impl
    values, tensors = _bind(kernel, args, kwargs)
    users = user_arrays(kernel, args, kwargs, tensors)
    recorders: dict[int, Recorder] = {}

    def execute(launch: Launch) -> None:
        rec = recorders.get(launch.rank)
        if rec is None:
            rec = recorders[launch.rank] = Recorder(plat, progress)
        STATE.recorder = rec
        if shuffle_seed is not None:
            STATE.shuffle_rng = np.random.default_rng(shuffle_seed + launch.rank)
        launch.kernel.impl(*_launch_values(launch))

    STATE.reset()
    host_recorder = Recorder(plat, progress)
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
    stages = list(host_recorder.stages.values())
    for rank in sorted(recorders):
        for s in recorders[rank].stages.values():
            s.name = f"r{rank}.{s.name}"
            stages.append(s)
    return make_run(returns, stages, tensors, plat)
