"""Binding: a kernel's arguments to its annotated parameters, and its results back to the caller.

Three callers bind the same way: ``plsim.run`` binds NumPy arrays and Python numbers to a
``@pl.jit`` (or ``@pl.jit.host``) function's parameters as GM tensors and checked scalars
(bind_arguments); a ``@pl.jit.host`` body's launch binds, per rank, host tensor views, window
views and scalars (launch_values); and after the run the written elements of ``pl.Out``
parameters and the returned values go back to the caller (copy_back, returned_values).
(An ``@pl.jit.inline`` call inside a kernel binds by the compiler's splicing rules instead:
plsim.inline_calls.)
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from plsim import dtypes as dt
from plsim import errors
from plsim.distributed import WindowView
from plsim.language_types import DIRECTION_SPELLINGS, DynamicDim, ScalarType, TensorType
from plsim.memory import GMBuffer, GMTensor, Tile, poison_value
from plsim.ranks import Launch
from plsim.scalars import Scalar


def annotations(fn) -> dict[str, Any]:
    """A function's parameter annotations, string annotations evaluated in its globals."""
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


def bind_tensor(
    name: str, value, ann: TensorType, dims: dict[str, tuple[int, str]], keeps_data: bool = False
) -> GMTensor:
    """The caller's array for tensor parameter ``name`` as a whole GM tensor, after checking
    dtype, shape (``dims``: the sizes pl.dynamic names took so far), layout and writability.
    A ``pl.Out`` starts undefined (write-only) unless ``keeps_data``."""
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


def bind_scalar(name: str, value, ann: ScalarType):
    """A Python number for scalar parameter ``name``, checked against its pl.Scalar dtype."""
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


def bind_arguments(kernel, args, kwargs, out_keeps_data=()) -> tuple[list, dict[str, GMTensor]]:
    """A run's arguments bound to ``kernel``'s parameters: (values in parameter order, the GM
    tensors by parameter name); ArgumentError names the first argument that does not fit."""
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
    anns = annotations(kernel.fn)
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
            t = bind_tensor(name, value, ann, dims, name in out_keeps_data)
            tensors[name] = t
            values.append(t)
        elif isinstance(ann, ScalarType):
            values.append(bind_scalar(name, value, ann))
        else:
            values.append(value)
    check_aliasing(tensors, bound.arguments)
    return values, tensors


def check_aliasing(tensors: dict[str, GMTensor], arrays: dict[str, Any]) -> None:
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


def host_regions(kernel, args: tuple, kwargs: dict[str, Any]) -> list[tuple[GMTensor, bool]]:
    """The host tensors a launch receives, each with whether the kernel may write it (its
    parameter is pl.Out / pl.InOut)."""
    try:
        bound = inspect.signature(kernel.fn).bind(*args, **kwargs).arguments
    except TypeError:
        return []  # reported when the launch runs
    anns = annotations(kernel.fn)
    regions = []
    for name, value in bound.items():
        if isinstance(value, GMTensor):
            ann = anns.get(name)
            written = isinstance(ann, TensorType) and ann.direction != "in"
            regions.append((value, written))
    return regions


def _check_launch_tensor(launch: Launch, name: str, t: GMTensor, ann: TensorType) -> None:
    """DSLError if a launch's tensor argument has another dtype or shape than declared."""
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


def launch_values(launch: Launch) -> list:
    """The launch's arguments bound for its rank, in parameter order."""
    kernel = launch.kernel
    try:
        bound = inspect.signature(kernel.fn).bind(*launch.args, **launch.kwargs)
    except TypeError as exc:
        raise errors.DSLError(f"{launch.where}: {kernel.fn.__name__}: {exc}") from None
    anns = annotations(kernel.fn)
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
            _check_launch_tensor(launch, name, value, ann)
        elif isinstance(ann, ScalarType):
            raw = value.value if isinstance(value, Scalar) else value
            try:
                value = bind_scalar(name, raw, ann)
            except errors.ArgumentError as exc:
                raise errors.DSLError(f"{launch.where}: {kernel.fn.__name__}: {exc}") from None
        values.append(value)
    return values
