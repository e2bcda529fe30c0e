"""A kernel's parameter table without data: names, shapes, dtypes and roles, in kernel order.

A case gives its signature (``Case.signature``, a function of the resolved configuration) and,
separately, its inputs (``Case.make_inputs``). The signature alone sizes a run's memory, builds
a ``--compile-only`` configuration and checks a ``--replay`` save, so none of those generates
any data; :func:`bind` joins it with the inputs for a run and refuses inputs that disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from golden.spec import ScalarSpec, TensorSpec, numpy_dtype

#: ``in``: read only; ``out``: written, starts as zeros (pl.Out); ``inout``: state, its initial
#: value goes in and its final value is compared (pl.InOut).
Role = Literal["in", "out", "inout"]
ROLES: tuple[str, ...] = ("in", "out", "inout")

Shapes = dict[str, tuple[tuple[int, ...], str]]


class SignatureError(ValueError):
    """Inputs that disagree with the kernel's signature: a defect of the case, not of a run."""


@dataclass(frozen=True)
class Param:
    """One tensor parameter of a kernel: name, shape, dtype name and role."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    role: Role = "in"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"parameter {self.name!r}: role {self.role!r} is not one of {ROLES}")


#: A kernel's parameters in order: tensors (Param) and scalars (ScalarSpec, value included: a
#: scalar is part of the configuration, not of the data).
Signature = Sequence[Param | ScalarSpec]


def names(signature: Signature) -> list[str]:
    """The parameter names in kernel order."""
    return [p.name for p in signature]


def tensor_shapes(signature: Signature) -> Shapes:
    """``{name: (shape, dtype)}`` of the tensor parameters (the memory estimate's input)."""
    return {p.name: (tuple(p.shape), p.dtype) for p in signature if isinstance(p, Param)}


def scalars(signature: Signature) -> list[ScalarSpec]:
    """The scalar parameters, in kernel order."""
    return [p for p in signature if isinstance(p, ScalarSpec)]


def unbound(signature: Signature) -> list[TensorSpec | ScalarSpec]:
    """Specs without data (every tensor's initializer None): what a replay checks a save
    against and runs with its saved values."""
    return [
        TensorSpec(p.name, tuple(p.shape), p.dtype, is_output=p.role != "in")
        if isinstance(p, Param) else p
        for p in signature
    ]  # fmt: skip


def bind(signature: Signature, values: Mapping[str, Any]) -> list[TensorSpec | ScalarSpec]:
    """Specs of ``signature`` initialised from ``values`` (by name); an ``out`` tensor starts as
    zeros whatever ``values`` holds. ValueError names the first parameter whose value is
    missing or disagrees with the signature, and any value the signature lacks
    (SignatureError)."""
    extra = set(values) - set(names(signature))
    if extra:
        raise SignatureError(f"inputs the kernel has no parameter for: {sorted(extra)}")
    specs: list[TensorSpec | ScalarSpec] = []
    for p in signature:
        if p.name not in values:
            raise SignatureError(f"no input for parameter {p.name!r}")
        value = values[p.name]
        if isinstance(p, ScalarSpec):
            if value != p.value:
                raise SignatureError(
                    f"scalar {p.name!r} is {value!r}, the signature says {p.value!r}"
                )
            specs.append(p)
            continue
        array = np.asarray(value)
        if tuple(array.shape) != tuple(p.shape) or array.dtype != numpy_dtype(p.dtype):
            raise SignatureError(
                f"input {p.name!r} is {array.shape} {array.dtype}, the signature says "
                f"{tuple(p.shape)} {p.dtype}"
            )
        init = None if p.role == "out" else value
        spec = TensorSpec(p.name, tuple(p.shape), p.dtype, init=init, is_output=p.role != "in")
        specs.append(spec)
    return specs
