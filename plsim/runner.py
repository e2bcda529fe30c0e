"""plsim.run: bind NumPy arguments to a @pl.jit kernel's parameters, execute, collect results."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from plsim import checks, errors
from plsim import dtypes as dt
from plsim.accounting import Run, Traffic, model_stage, stage_bound
from plsim.blas_threads import single_blas_thread
from plsim.context import STATE, as_dsl_error
from plsim.control import Recorder
from plsim.functions import JitFunction
from plsim.hardware import PLATFORMS
from plsim.language_types import DIRECTION_SPELLINGS, DynamicDim, ScalarType, TensorType
from plsim.memory import GMBuffer, GMTensor, Tile, poison_value
from plsim.numerics_arith import floating_point_ignored
from plsim.scalars import Scalar


def _annotations(fn) -> dict[str, Any]:
    out = {}
    for name, ann in getattr(fn, "__annotations__", {}).items():
        if isinstance(ann, str):
            try:
                ann = eval(ann, fn.__globals__)
            except Exception as exc:
                raise errors.DSLError(f"cannot evaluate annotation of {name}: {exc}") from None
        out[name] = ann
    return out


def _describe(value) -> str:
    """A short description of a received argument value for error messages."""
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {list(value.shape)}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _bind_tensor(
    name: str, value, ann: TensorType, dims: dict[str, tuple[int, str]], keeps_data: bool = False
) -> GMTensor:
    kind = DIRECTION_SPELLINGS[ann.direction]
    if not isinstance(value, np.ndarray):
        raise errors.ArgumentError(
            f"argument '{name}': expected a C-contiguous NumPy array for this {kind} "
            f"parameter, got {_describe(value)}"
        )
    try:
        dtype = dt.from_numpy(value.dtype)
    except TypeError as exc:
        wanted = f" (the kernel declares {ann.dtype.name})" if ann.dtype is not None else ""
        raise errors.ArgumentError(f"argument '{name}': {exc}{wanted}") from None
    if (
        ann.dtype is not None
        and dtype is not ann.dtype
        and not (ann.dtype is dt.INDEX and dtype is dt.INT64)
    ):
        raise errors.ArgumentError(
            f"argument '{name}': got dtype {value.dtype} ({dtype.name}) but the kernel "
            f"declares {ann.dtype.name}; pass a NumPy {ann.dtype.numpy} array"
        )
    if ann.shape is not None:
        expected = list(ann.shape)
        shown = [e.name if isinstance(e, DynamicDim) else int(e) for e in expected]
        ok = len(expected) == value.ndim and all(
            isinstance(e, DynamicDim) or int(e) == n for e, n in zip(expected, value.shape)
        )
        if not ok:
            raise errors.ArgumentError(
                f"argument '{name}': got shape {list(value.shape)} but the kernel declares "
                f"{shown} (named dims are pl.dynamic and match any size)"
            )
        for e, n in zip(expected, value.shape):
            if isinstance(e, DynamicDim):
                seen = dims.setdefault(e.name, (int(n), name))
                if seen[0] != n:
                    raise errors.ArgumentError(
                        f"argument '{name}': dynamic dim {e.name} = {n}, but argument "
                        f"'{seen[1]}' bound it to {seen[0]}; one pl.dynamic name has one size"
                    )
    if not value.flags.c_contiguous:
        raise errors.ArgumentError(
            f"argument '{name}': got a non-C-contiguous array (strides {list(value.strides)}); "
            "pass np.ascontiguousarray(...) (device tensors are dense row-major)"
        )
    if ann.direction != "in" and not value.flags.writeable:
        raise errors.ArgumentError(
            f"argument '{name}': got a read-only array, but a {kind} parameter is written in "
            "place; pass a writable array (e.g. a copy)"
        )
    if ann.direction == "out" and keeps_data:
        # The caller's data is there at entry (see run's ``out_keeps_data``): an InOut buffer.
        buf = GMBuffer(value, dtype, name, "inout")
    elif ann.direction == "out":
        data = np.full(value.shape, poison_value(dtype), dtype=dtype.numpy)
        buf = GMBuffer(data, dtype, name, "out", written=np.zeros(value.shape, dtype=bool))
    else:
        buf = GMBuffer(value, dtype, name, ann.direction)
    return GMTensor.whole(buf)


def _bind_scalar(name: str, value, ann: ScalarType):
    dtype = ann.dtype
    if isinstance(value, np.generic):
        value = value.item()
    if dtype is None or dtype.name == "TASK_ID":
        return value
    if dtype is dt.BOOL:
        if not isinstance(value, bool):
            raise errors.ArgumentError(
                f"argument '{name}': pl.Scalar[pl.BOOL] takes True or False, got {_describe(value)}"
            )
        return value
    if dtype.is_float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise errors.ArgumentError(
                f"argument '{name}': pl.Scalar[pl.{dtype.name}] takes a Python float or int, got "
                f"{_describe(value)}"
            )
        value = float(value)
        limit = float(np.finfo(dtype.numpy).max)
        if np.isfinite(value) and abs(value) > limit:
            raise errors.ArgumentError(
                f"argument '{name}': {value!r} is outside the finite {dtype.name} range "
                f"[-{limit}, {limit}]"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.ArgumentError(
            f"argument '{name}': pl.Scalar[pl.{dtype.name}] takes a Python int, got "
            f"{_describe(value)}"
        )
    info = np.iinfo(dtype.numpy)
    if not info.min <= value <= info.max:
        raise errors.ArgumentError(
            f"argument '{name}': {value} is outside the {dtype.name} range [{info.min}, {info.max}]"
        )
    return value


def _bind(kernel: JitFunction, args, kwargs, out_keeps_data=()) -> tuple[list, dict[str, GMTensor]]:
    sig = inspect.signature(kernel.fn)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        params = list(sig.parameters)
        raise errors.ArgumentError(
            f"{kernel.fn.__name__}: {exc}; got {len(args)} positional and "
            f"{len(kwargs)} keyword argument(s), the kernel takes {len(params)}: "
            f"({', '.join(params)})"
        ) from None
    anns = _annotations(kernel.fn)
    values, tensors = [], {}
    dims: dict[str, tuple[int, str]] = {}
    for name, value in bound.arguments.items():
        ann = anns.get(name)
        if ann is not None and isinstance(ann, type) and getattr(ann, "kind", "") == "tensor":
            ann = TensorType()
        if isinstance(ann, TensorType) and ann.kind == "distributed":
            raise errors.ArgumentError(
                f"argument '{name}': a pld.DistributedTensor parameter is bound to a window "
                "buffer; launch the kernel from a @pl.jit.host function with device=rank"
            )
        if isinstance(ann, TensorType):
            t = _bind_tensor(name, value, ann, dims, name in out_keeps_data)
            tensors[name] = t
            values.append(t)
        elif isinstance(ann, ScalarType):
            values.append(_bind_scalar(name, value, ann))
        else:
            values.append(value)
    _check_aliasing(tensors, bound.arguments)
    return values, tensors


def _check_aliasing(tensors: dict[str, GMTensor], arrays: dict[str, Any]) -> None:
    """Written parameters must not share memory with another parameter."""
    for name, t in tensors.items():
        if t.buf.kind == "in":
            continue
        for other in tensors:
            if other != name and np.shares_memory(arrays[name], arrays[other]):
                raise errors.ArgumentError(
                    f"argument '{name}': this {t.buf.kind} array shares memory with argument "
                    f"'{other}'; pass separate arrays"
                )


def _user_array(t: GMTensor, users: dict[int, np.ndarray]) -> np.ndarray:
    base = users.get(id(t.buf))
    if base is not None:
        return np.array(t.of(base), copy=True)
    return np.array(t.data(), copy=True)


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
    from plsim.functions import HostFunction

    if platform not in PLATFORMS:
        raise errors.ArgumentError(f"platform: {platform!r}; expected one of {sorted(PLATFORMS)}")
    if progress is not None and not callable(progress):
        raise errors.ArgumentError(f"progress: expected a callable, got {progress!r}")
    if isinstance(kernel, HostFunction):
        from plsim.host import run_host

        return run_host(kernel, args, kwargs, PLATFORMS[platform], world_size, progress,
                        shuffle_seed)  # fmt: skip
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
    values, tensors = _bind(kernel, args, kwargs, frozenset(out_keeps_data))
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


def user_arrays(kernel, args, kwargs, tensors: dict[str, GMTensor]) -> dict[int, np.ndarray]:
    """id(GM buffer) -> the caller's array bound to it."""
    bound_users = inspect.signature(kernel.fn).bind(*args, **kwargs).arguments
    return {id(t.buf): bound_users[name] for name, t in tensors.items()}


def copy_back(tensors: dict[str, GMTensor], users: dict[int, np.ndarray]) -> None:
    """Copy the written elements of pl.Out parameters into the caller's arrays."""
    for t in tensors.values():
        buf = t.buf
        if buf.kind == "out":
            user = users[id(buf)]
            user[buf.written] = buf.data[buf.written]


def returned_values(kernel, ret, users: dict[int, np.ndarray]) -> tuple:
    """The kernel's return value(s) as NumPy arrays / Python numbers."""
    if ret is None:
        ret = ()
    elif not isinstance(ret, tuple):
        ret = (ret,)
    returns = []
    for r in ret:
        if isinstance(r, GMTensor):
            returns.append(_user_array(r, users))
        elif isinstance(r, Scalar):
            returns.append(r.value)
        elif isinstance(r, Tile):
            raise errors.DSLError(f"{kernel.fn.__name__} returns an on-chip tile; return tensors")
        else:
            returns.append(r)
    return tuple(returns)


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
