"""pytest plugin: record every ``plsim.run`` call the tests make, to build the fixture manifest.

Run once, when fixtures or their tests change::

    python -m pytest tests -p plsim_conformance.fixture_recorder -m "not slow" -q

It writes ``fixture_calls.json`` beside this file: per fixture kernel (repository-relative file
and name), the arguments of the first call that plsim did not refuse as a bad argument
(tensor shapes and dtypes, scalar values) and plsim's verdict on that call. The compiler
conformance test (test_compiler_agreement.py) compiles each kernel with those arguments; the
recorded plsim verdict is informative only, the test recomputes it.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np

import plsim
import plsim.runner

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).with_name("fixture_calls.json")
_calls: dict[str, dict] = {}


def _describe_args(kernel, args, kwargs) -> list[dict] | None:
    """Compile arguments of one call, or None when a value has no compile spelling."""
    bound = inspect.signature(kernel.fn).bind(*args, **kwargs)
    out = []
    for name, value in bound.arguments.items():
        if isinstance(value, np.ndarray):
            out.append({"name": name, "kind": "tensor", "shape": list(value.shape),
                        "dtype": str(value.dtype)})  # fmt: skip
        elif isinstance(value, (bool, int, float, np.generic)):
            value = value.item() if isinstance(value, np.generic) else value
            out.append({"name": name, "kind": "scalar", "value": value})
        else:
            return None
    return out


def _recording(original):
    def run(kernel, *args, **kwargs):
        extra = {k: kwargs.pop(k) for k in ("progress", "shuffle_seed", "platform", "world_size")
                 if k in kwargs}  # fmt: skip
        try:
            result = original(kernel, *args, **kwargs, **extra)
        except plsim.ArgumentError:
            raise
        except plsim.SimError as exc:
            _note(kernel, args, kwargs, extra, type(exc).__name__, str(exc))
            raise
        _note(kernel, args, kwargs, extra, "accepted", "")
        return result

    return run


def _note(kernel, args, kwargs, extra, verdict: str, message: str) -> None:
    if extra.get("platform", "a2a3") != "a2a3":
        return
    try:
        path = Path(kernel.fn.__code__.co_filename).resolve().relative_to(ROOT)
        described = _describe_args(kernel, args, kwargs)
    except (ValueError, TypeError):
        return
    if described is None or path.parts[0] != "tests":
        return  # only test fixtures; product kernels are compiled by their own cases
    key = f"{path.as_posix()}::{kernel.fn.__name__}"
    entry = {"file": path.as_posix(), "kernel": kernel.fn.__name__, "args": described}
    if extra.get("world_size"):  # a @pl.jit.host kernel, compiled for this many ranks
        entry["world_size"] = extra["world_size"]
    # The checkout's own folder stripped, so the manifest names repository files only.
    message = message.replace(f"{ROOT.as_posix()}/", "")
    _calls.setdefault(key, {**entry, "plsim": verdict, "message": message[:300]})


def pytest_configure(config) -> None:
    """Wrap plsim.run (and the name the runner module exports) with the recorder."""
    wrapped = _recording(plsim.runner.run)
    plsim.run = wrapped
    plsim.runner.run = wrapped


def pytest_unconfigure(config) -> None:
    """Write the manifest, sorted by key."""
    MANIFEST.write_text(json.dumps([_calls[k] for k in sorted(_calls)], indent=1) + "\n")
