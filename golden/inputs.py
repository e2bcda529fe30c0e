"""Turn a case's specs into concrete, seeded inputs (same seed -> bit-identical arrays)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from golden.spec import ScalarSpec, TensorSpec, numpy_dtype


class CaseDefinitionError(RuntimeError):
    """A case is defined inconsistently (bad spec, golden of the wrong shape, ...)."""


#: Inclusive value ranges of the integer scalar dtypes.
_INT_RANGES: dict[str, tuple[int, int]] = {
    name: (int(np.iinfo(numpy_dtype(name)).min), int(np.iinfo(numpy_dtype(name)).max))
    for name in ("int8", "uint8", "int16", "int32", "uint32", "int64")
}


def validate_specs(specs: Sequence[TensorSpec | ScalarSpec]) -> None:
    """Raise CaseDefinitionError unless names are unique and every shape/dtype is usable."""
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, TensorSpec | ScalarSpec):
            raise CaseDefinitionError(f"spec {spec!r} is neither a TensorSpec nor a ScalarSpec")
        if spec.name in seen:
            raise CaseDefinitionError(f"spec name {spec.name!r} appears twice")
        seen.add(spec.name)
        try:
            numpy_dtype(spec.dtype)
        except ValueError as exc:
            raise CaseDefinitionError(f"spec {spec.name!r}: {exc}") from None
        if isinstance(spec, TensorSpec):
            shape = tuple(spec.shape)
            if not all(isinstance(d, int | np.integer) and d > 0 for d in shape):
                raise CaseDefinitionError(
                    f"spec {spec.name!r}: shape must be positive integers, got {spec.shape!r}"
                )


def scalar_value(spec: ScalarSpec) -> int | float | bool:
    """The scalar's value as a Python number of its dtype; CaseDefinitionError if out of range."""
    value = spec.value
    if spec.dtype == "bool":
        if not isinstance(value, bool | np.bool_):
            raise CaseDefinitionError(f"scalar {spec.name!r}: expected a bool, got {value!r}")
        return bool(value)
    if spec.dtype in _INT_RANGES:
        if isinstance(value, bool) or int(value) != value:
            raise CaseDefinitionError(f"scalar {spec.name!r}: expected an integer, got {value!r}")
        low, high = _INT_RANGES[spec.dtype]
        if not low <= int(value) <= high:
            raise CaseDefinitionError(
                f"scalar {spec.name!r}: {value} is outside {spec.dtype} range [{low}, {high}]"
            )
        return int(value)
    return float(value)


def materialize(spec: TensorSpec, rng: np.random.Generator) -> np.ndarray:
    """A fresh C-contiguous array for ``spec`` (zeros, a fill value, a given array or rng draw)."""
    dtype = numpy_dtype(spec.dtype)
    shape = tuple(int(d) for d in spec.shape)
    init = spec.init
    if init is None:
        return np.zeros(shape, dtype=dtype)
    if isinstance(init, bool | int | float | np.number):
        return np.full(shape, init, dtype=dtype)
    data = init(rng) if callable(init) else init
    data = np.asarray(data)
    if data.shape != shape:
        raise CaseDefinitionError(
            f"spec {spec.name!r}: initializer gave shape {data.shape}, spec says {shape}"
        )
    return np.ascontiguousarray(data.astype(dtype, copy=True))


def build_inputs(specs: Sequence[TensorSpec | ScalarSpec], seed: int) -> dict[str, Any]:
    """Every parameter's value by name: arrays for tensors, Python numbers for scalars.

    One ``np.random.default_rng(seed)`` is drawn from in spec order, so the same specs and seed
    always give bit-identical inputs.
    """
    validate_specs(specs)
    rng = np.random.default_rng(seed)
    values: dict[str, Any] = {}
    for spec in specs:
        if isinstance(spec, ScalarSpec):
            values[spec.name] = scalar_value(spec)
        else:
            values[spec.name] = materialize(spec, rng)
    return values


def describe_nan_input(values: dict[str, Any]) -> str | None:
    """A message naming the first input tensor that holds NaN, or None if none does.

    NaN in a case's input (a weight, an activation, initial state) can only be a data bug;
    left in, it surfaces far from its cause as an output mismatch. Infinities stay legal
    (the compressor's empty score state is -inf). The message names the tensor, how many
    NaN values it holds and the index of the first one.
    """
    for name, value in values.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fcV":
            continue
        try:
            nan = np.isnan(value)
        except TypeError:  # a raw/void dtype without a NaN notion
            continue
        count = int(np.count_nonzero(nan))
        if count:
            first = [int(i) for i in np.argwhere(nan)[0]]
            return (
                f"input {name!r} holds {count} NaN value{'s' if count != 1 else ''} "
                f"(first at {first}); case inputs must not contain NaN (±inf is allowed)"
            )
    return None


def copy_values(values: dict[str, Any]) -> dict[str, Any]:
    """Independent copies of every array (scalars are immutable and shared)."""
    return {
        name: np.array(value, copy=True, order="C") if isinstance(value, np.ndarray) else value
        for name, value in values.items()
    }
