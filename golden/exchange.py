"""The files between the harness and a child process that runs the real pypto.

A request directory holds ``request.json`` (what to build and run, the parameters in order,
the scalar values) and one ``in.<name>.npy`` per array parameter; the child writes
``out.<name>.npy`` per output and ``result.json``. Arrays are saved raw (BF16 as its 16-bit
pattern, with the dtype named in JSON) and loaded without pickle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

BF16 = np.dtype(ml_dtypes.bfloat16)


def _raw(array: np.ndarray) -> np.ndarray:
    return array.view(np.uint16) if array.dtype == BF16 else array


def write_arrays(directory: Path, prefix: str, arrays: Mapping[str, np.ndarray]) -> None:
    """``<prefix>.<name>.npy`` per array and ``<prefix>.dtypes.json`` naming their dtypes."""
    for name, array in arrays.items():
        np.save(directory / f"{prefix}.{name}.npy", _raw(np.ascontiguousarray(array)))
    dtypes = {name: str(array.dtype) for name, array in arrays.items()}
    (directory / f"{prefix}.dtypes.json").write_text(json.dumps(dtypes))


def read_arrays(directory: Path, prefix: str) -> dict[str, np.ndarray]:
    """The arrays ``write_arrays`` wrote under ``prefix``, with their dtypes."""
    dtypes = json.loads((directory / f"{prefix}.dtypes.json").read_text())
    arrays = {}
    for name, dtype in dtypes.items():
        raw = np.load(directory / f"{prefix}.{name}.npy", allow_pickle=False)
        arrays[name] = raw.view(BF16) if dtype == "bfloat16" else raw
    return arrays


def write_request(directory: Path, request: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """``request`` plus the parameters ``values`` (in the kernel's order) into ``directory``."""
    arrays = {name: v for name, v in values.items() if isinstance(v, np.ndarray)}
    scalars = {
        name: (v.item() if hasattr(v, "item") else v)
        for name, v in values.items()
        if not isinstance(v, np.ndarray)
    }
    write_arrays(directory, "in", arrays)
    full = {**request, "order": list(values), "scalars": scalars}
    (directory / "request.json").write_text(json.dumps(full))


def read_request(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request, the parameter values in the kernel's order)."""
    request = json.loads((directory / "request.json").read_text())
    arrays = read_arrays(directory, "in")
    values = {
        name: arrays[name] if name in arrays else request["scalars"][name]
        for name in request["order"]
    }
    return request, values
