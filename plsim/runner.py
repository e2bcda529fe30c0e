"""plsim.run: bind NumPy arguments to a @pl.jit kernel's parameters, execute, collect results."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.accounting import Run, Traffic, model_stage
from plsim.context import STATE
from plsim.control import Recorder
from plsim.functions import JitFunction
from plsim.hardware import PLATFORMS
from plsim.language_types import DynamicDim, ScalarType, TensorType
from plsim.memory import GMBuffer, GMTensor, Tile, poison_value
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


def _bind_tensor(name: str, value, ann: TensorType) -> GMTensor:
    if not isinstance(value, np.ndarray):
        raise errors.ArgumentError(
            f"argument '{name}': expected a NumPy array, got {type(value).__name__}"
        )
    try:
        dtype = dt.from_numpy(value.dtype)
    except TypeError as exc:
        raise errors.ArgumentError(f"argument '{name}': {exc}") from None
    if (
        ann.dtype is not None
        and dtype is not ann.dtype
        and not (ann.dtype is dt.INDEX and dtype is dt.INT64)
    ):
        raise errors.ArgumentError(
            f"argument '{name}': dtype {value.dtype} ({dtype.name}) but the kernel declares "
            f"{ann.dtype.name} (NumPy {ann.dtype.numpy})"
        )
    if ann.shape is not None:
        expected = list(ann.shape)
        ok = len(expected) == value.ndim and all(
            isinstance(e, DynamicDim) or int(e) == n for e, n in zip(expected, value.shape)
        )
        if not ok:
            shown = [e.name if isinstance(e, DynamicDim) else int(e) for e in expected]
            raise errors.ArgumentError(
                f"argument '{name}': shape {list(value.shape)} but the kernel declares {shown}"
            )
    if not value.flags.c_contiguous:
        raise errors.ArgumentError(f"argument '{name}': the array must be C-contiguous")
    if ann.direction != "in" and not value.flags.writeable:
        raise errors.ArgumentError(
            f"argument '{name}': a pl.{ann.direction.capitalize()} array must be writable"
        )
    if ann.direction == "out":
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
            raise errors.ArgumentError(f"argument '{name}': expected a bool, got {value!r}")
        return value
    if dtype.is_float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise errors.ArgumentError(f"argument '{name}': expected a number, got {value!r}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.ArgumentError(f"argument '{name}': expected an int, got {value!r}")
    info = np.iinfo(dtype.numpy)
    if not info.min <= value <= info.max:
        raise errors.ArgumentError(
            f"argument '{name}': {value} is outside the {dtype.name} range [{info.min}, {info.max}]"
        )
    return value


def _bind(kernel: JitFunction, args, kwargs) -> tuple[list, dict[str, GMTensor]]:
    sig = inspect.signature(kernel.fn)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise errors.ArgumentError(f"{kernel.fn.__name__}: {exc}") from None
    anns = _annotations(kernel.fn)
    values, tensors = [], {}
    for name, value in bound.arguments.items():
        ann = anns.get(name)
        if ann is not None and isinstance(ann, type) and getattr(ann, "kind", "") == "tensor":
            ann = TensorType()
        if isinstance(ann, TensorType):
            t = _bind_tensor(name, value, ann)
            tensors[name] = t
            values.append(t)
        elif isinstance(ann, ScalarType):
            values.append(_bind_scalar(name, value, ann))
        else:
            values.append(value)
    return values, tensors


def _user_array(t: GMTensor, users: dict[int, np.ndarray]) -> np.ndarray:
    base = users.get(id(t.buf))
    if base is not None:
        return np.array(t.of(base), copy=True)
    return np.array(t.data(), copy=True)


def run(kernel, *args, progress=None, shuffle_seed=None, platform="a2a3", **kwargs) -> Run:
    """Run a @pl.jit kernel on NumPy arrays; returns a Run (returns, stages, traffic, trace).

    ``pl.Out``/``pl.InOut`` arrays are updated in place (only elements the kernel wrote).
    ``progress(stage_name, task_index)`` is called at each scope entry. ``shuffle_seed`` runs
    pl.parallel iterations and pl.spmd blocks in a seeded random order.
    """
    if not isinstance(kernel, JitFunction):
        raise errors.ArgumentError(
            f"kernel: expected a @pl.jit function, got {type(kernel).__name__} {kernel!r}"
        )
    if platform not in PLATFORMS:
        raise errors.ArgumentError(f"platform: {platform!r}; expected one of {sorted(PLATFORMS)}")
    if progress is not None and not callable(progress):
        raise errors.ArgumentError(f"progress: expected a callable, got {progress!r}")
    impl = kernel.impl
    values, tensors = _bind(kernel, args, kwargs)
    bound_users = inspect.signature(kernel.fn).bind(*args, **kwargs).arguments
    users = {id(t.buf): bound_users[name] for name, t in tensors.items()}
    STATE.reset()
    plat = PLATFORMS[platform]
    recorder = Recorder(plat, progress)
    STATE.recorder = recorder
    if shuffle_seed is not None:
        STATE.shuffle_rng = np.random.default_rng(shuffle_seed)
    try:
        with np.errstate(all="ignore"):
            ret = impl(*values)
    finally:
        STATE.reset()
    for t in tensors.values():
        buf = t.buf
        if buf.kind == "out":
            user = users[id(buf)]
            user[buf.written] = buf.data[buf.written]
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
    stages = list(recorder.stages.values())
    for s in stages:
        s.modeled_us = model_stage(s, plat)
    gm = sum(s.gm_read_bytes + s.gm_write_bytes for s in stages)
    compulsory = 0
    for t in tensors.values():
        buf = t.buf
        compulsory += int(buf.read_mask.sum() + buf.stored_mask.sum()) * buf.dtype.itemsize
    return Run(tuple(returns), stages, Traffic(gm, compulsory), plat)
