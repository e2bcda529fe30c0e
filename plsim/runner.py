"""plsim.run: bind NumPy arguments to a @pl.jit kernel's parameters (plsim.binding), execute
with the run's observers (plsim.observers), collect results."""

from __future__ import annotations

import inspect

import numpy as np

from plsim import checks, errors, functions
from plsim.accounting import Run, Traffic, model_stage, stage_bound
from plsim.binding import bind_arguments, copy_back, returned_values, user_arrays
from plsim.blas_threads import single_blas_thread
from plsim.context import STATE, as_dsl_error
from plsim.control import Recorder
from plsim.counting import StageCounter
from plsim.events import Observer
from plsim.functions import HostFunction, JitFunction
from plsim.hardware import PLATFORMS
from plsim.host import run_host
from plsim.memory import GMTensor
from plsim.numerics_arith import floating_point_ignored
from plsim.observers import make_observers


def run(
    kernel, *args, progress=None, shuffle_seed=None, platform="a2a3", out_keeps_data=(),
    world_size=None, functional_only=False, observers=(), **kwargs,
) -> Run:  # fmt: skip
    """Run a @pl.jit kernel on NumPy arrays; returns a Run (returns, stages, traffic, trace).

    ``pl.Out``/``pl.InOut`` arrays are updated in place (only elements the kernel wrote).
    ``out_keeps_data`` names ``pl.Out`` parameters whose caller arrays hold defined data at
    entry, as on the device (the runtime hands every tensor argument's memory to the kernel,
    whatever its direction): reading them is then no undefined read. By default a ``pl.Out``
    is write-only and reading a cell the kernel has not written is an error.
    ``progress(stage_name, task_index)`` is called at each scope entry; a callback with a
    ``block`` parameter also gets ``block=(index, count)`` for a ``pl.spmd`` block (None
    otherwise). ``shuffle_seed`` runs pl.parallel iterations and pl.spmd blocks in a seeded
    random order. A ``@pl.jit.host``
    kernel runs its launches on ``world_size`` simulated ranks (plsim.host).

    ``functional_only=True`` runs without the observers that only measure (the stage counter:
    no StageStats, traffic, modeled time or trace; ``Run.counted`` is False): the outputs and
    every check are those of a normal run (plsim.observers says which checks and why).
    ``observers``: further plsim.events.Observer instances that receive the run's events
    (in a host run, every rank's); ``Run.observer(cls)`` finds one afterwards.
    """
    if platform not in PLATFORMS:
        raise errors.ArgumentError(f"platform: {platform!r}; expected one of {sorted(PLATFORMS)}")
    if progress is not None and not callable(progress):
        raise errors.ArgumentError(f"progress: expected a callable, got {progress!r}")
    if not isinstance(functional_only, bool):
        raise errors.ArgumentError(
            f"functional_only: expected True or False, got {functional_only!r}"
        )
    extra = _check_observers(observers)
    plat = PLATFORMS[platform]
    if isinstance(kernel, HostFunction):
        returns, recorders, tensors = run_host(kernel, args, kwargs, plat, world_size, progress,
                                               shuffle_seed, functional_only, extra)  # fmt: skip
        return make_run(returns, recorders, tensors, plat, functional_only)
    if world_size is not None:
        raise errors.ArgumentError(
            f"world_size: only a @pl.jit.host kernel runs on ranks; got {world_size!r} for "
            f"{getattr(kernel, '__name__', kernel)!r}"
        )
    if not isinstance(kernel, JitFunction):
        raise errors.ArgumentError(
            f"kernel: expected a @pl.jit function, got {type(kernel).__name__} {kernel!r}"
        )
    impl = kernel.impl
    unknown = set(out_keeps_data) - set(inspect.signature(kernel.fn).parameters)
    if unknown:
        raise errors.ArgumentError(
            f"out_keeps_data: {sorted(unknown)} are not parameters of {kernel.fn.__name__}"
        )
    values, tensors = bind_arguments(kernel, args, kwargs, frozenset(out_keeps_data))
    users = user_arrays(kernel, args, kwargs, tensors)
    STATE.reset()
    recorder = Recorder(plat, progress, make_observers(plat, functional_only, extra))
    STATE.recorder = recorder
    if shuffle_seed is not None:
        STATE.shuffle_rng = np.random.default_rng(shuffle_seed)
    try:
        with floating_point_ignored(), single_blas_thread():
            ret = impl(*values)
        checks.check_submits_a_task(recorder.tasks.values(), kernel.fn)
    except Exception as exc:
        converted = as_dsl_error(exc, STATE.scope_name)
        if converted is not None:
            raise converted from exc
        raise
    finally:
        STATE.reset()
    copy_back(tensors, users)
    returns = returned_values(kernel, ret, users)
    return make_run(returns, [("", recorder)], tensors, plat, functional_only)


def _check_observers(observers) -> tuple[Observer, ...]:
    """``observers`` as a tuple of Observer instances; ArgumentError otherwise."""
    if isinstance(observers, Observer):
        observers = (observers,)
    try:
        extra = tuple(observers)
    except TypeError:
        extra = (observers,)
    for o in extra:
        if not isinstance(o, Observer):
            raise errors.ArgumentError(
                f"observers: expected plsim.events.Observer instances, got {type(o).__name__} "
                f"{o!r}"
            )
    return extra


def make_run(returns: tuple, recorders: list[tuple[str, Recorder]],
             tensors: dict[str, GMTensor], plat, functional_only: bool) -> Run:  # fmt: skip
    """The Run: the observers of every recorder (``recorders``: (stage-name prefix, Recorder)
    pairs); unless ``functional_only``, the counter's stages with their modeled times and the
    traffic against the compulsory minimum."""
    observers = [o for _, rec in recorders for o in rec.events.observers]
    if functional_only:
        return Run(returns, None, None, plat, observers)
    stages = []
    for prefix, rec in recorders:
        for s in rec.events.find(StageCounter).stages.values():
            s.name = prefix + s.name
            stages.append(s)
    for s in stages:
        s.held.clear()  # the run is over: dependence keys can no longer be reused
        s.modeled_us = model_stage(s, plat)
        s.bound, s.bound_share = stage_bound(s, plat)
    gm = sum(s.gm_read_bytes + s.gm_write_bytes for s in stages)
    compulsory = 0
    for t in tensors.values():
        buf = t.buf
        for mask in (buf.read_mask, buf.stored_mask):
            if mask is not None:
                compulsory += int(mask.sum()) * buf.dtype.itemsize
    return Run(returns, stages, Traffic(gm, compulsory), plat, observers)


# A @pl.jit function called from Python runs through run; functions.py sits below this module
# (run executes its kernel functions), so this module hands run down instead of functions.py
# importing it.
functions.set_runner(run)
