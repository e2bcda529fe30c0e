"""plsim.run: bind NumPy arguments to a @pl.jit kernel's parameters (plsim.binding), execute,
collect results."""

from __future__ import annotations

import inspect

import numpy as np

from plsim import checks, errors, functions
from plsim.accounting import Run, Traffic, model_stage, stage_bound
from plsim.binding import bind_arguments, copy_back, returned_values, user_arrays
from plsim.blas_threads import single_blas_thread
from plsim.context import STATE, as_dsl_error
from plsim.control import Recorder
from plsim.functions import HostFunction, JitFunction
from plsim.hardware import PLATFORMS
from plsim.host import run_host
from plsim.memory import GMTensor
from plsim.numerics_arith import floating_point_ignored


def run(
    kernel, *args, progress=None, shuffle_seed=None, platform="a2a3", out_keeps_data=(),
    world_size=None, **kwargs,
) -> Run:  # fmt: skip
    """Run a @pl.jit kernel on NumPy arrays; returns a Run (returns, stages, traffic, trace).

    ``pl.Out``/``pl.InOut`` arrays are updated in place (only elements the kernel wrote).
    ``out_keeps_data`` names ``pl.Out`` parameters whose caller arrays hold defined data at
    entry, as on the device (the runtime hands every tensor argument's memory to the kernel,
    whatever its direction): reading them is then no undefined read. By default a ``pl.Out``
    is write-only and reading a cell the kernel has not written is an error.
    ``progress(stage_name, task_index)`` is called at each scope entry. ``shuffle_seed`` runs
    pl.parallel iterations and pl.spmd blocks in a seeded random order. A ``@pl.jit.host``
    kernel runs its launches on ``world_size`` simulated ranks (plsim.host).
    """
    if platform not in PLATFORMS:
        raise errors.ArgumentError(f"platform: {platform!r}; expected one of {sorted(PLATFORMS)}")
    if progress is not None and not callable(progress):
        raise errors.ArgumentError(f"progress: expected a callable, got {progress!r}")
    if isinstance(kernel, HostFunction):
        plat = PLATFORMS[platform]
        returns, stages, tensors = run_host(kernel, args, kwargs, plat, world_size, progress,
                                            shuffle_seed)  # fmt: skip
        return make_run(returns, stages, tensors, plat)
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
    plat = PLATFORMS[platform]
    recorder = Recorder(plat, progress)
    STATE.recorder = recorder
    if shuffle_seed is not None:
        STATE.shuffle_rng = np.random.default_rng(shuffle_seed)
    try:
        with floating_point_ignored(), single_blas_thread():
            ret = impl(*values)
        checks.check_submits_a_task(recorder.stages.values(), kernel.fn)
    except Exception as exc:
        converted = as_dsl_error(exc, STATE.scope_name)
        if converted is not None:
            raise converted from exc
        raise
    finally:
        STATE.reset()
    copy_back(tensors, users)
    returns = returned_values(kernel, ret, users)
    return make_run(returns, list(recorder.stages.values()), tensors, plat)


def make_run(returns: tuple, stages: list, tensors: dict[str, GMTensor], plat) -> Run:
    """The Run: stages with their modeled times, traffic against the compulsory minimum."""
    for s in stages:
        s.held.clear()  # the run is over: dependence keys can no longer be reused
        s.modeled_us = model_stage(s, plat)
        s.bound, s.bound_share = stage_bound(s, plat)
    gm = sum(s.gm_read_bytes + s.gm_write_bytes for s in stages)
    compulsory = 0
    for t in tensors.values():
        buf = t.buf
        compulsory += int(buf.read_mask.sum() + buf.stored_mask.sum()) * buf.dtype.itemsize
    return Run(returns, stages, Traffic(gm, compulsory), plat)


# A @pl.jit function called from Python runs through run; functions.py sits below this module
# (run executes its kernel functions), so this module hands run down instead of functions.py
# importing it.
functions.set_runner(run)
