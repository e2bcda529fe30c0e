"""Fixture-kernel helpers shared by the plsim test folders: load a kernel file, find a tagged
source line (``# @tag``) to check that an error names it, read the verdicts a fixture file states.

Every fixture file states, in a module-level dict ``VERDICTS`` (kernel name -> string), what the
real pypto compiler does with each of its ``@pl.jit`` kernels, as ``"kind: detail"``:

- ``"compiles"``: plsim accepts it and the compiler compiles it.
- ``"rejected: <fragment>"``: plsim raises a compile-visible error (DSLError, CapacityError or
  a static OutOfBoundsError) and the compiler rejects it with a message containing
  ``<fragment>`` (case-insensitive), so the fixture is known to fail for the reason it tests.
- ``"hardware: <reason>"``: plsim raises HardwareError (the compiler emits it, the PTO
  assembler or the chip would not take it; the reason is cited in plsim/errors.py).
- ``"runtime: <finding>"``: a runtime-only finding (race, read of undefined data, data-driven
  out-of-bounds); plsim's own value, excluded from the compiler comparison.
- ``"gap: <reason>"``: a known disagreement plsim does not model yet; the compiler test marks
  it xfail(strict), so fixing it shows up as an unexpected pass.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import plsim


def fixture_helpers(
    kernels: Path,
) -> tuple[Callable[[str], ModuleType], Callable[[str, str], str]]:
    """``(load, marked_line)`` for the fixture kernels in folder ``kernels``."""

    def load(name: str) -> ModuleType:
        """Load a fixture kernel file by name (relative to the kernels folder) through plsim."""
        return plsim.load(kernels / name)

    def marked_line(name: str, tag: str) -> str:
        """'file.py:LINE' of the line ending with ``# @tag`` in fixture ``name``."""
        path = kernels / name
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if text.rstrip().endswith(f"@{tag}"):
                return f"{path.name}:{number}"
        raise AssertionError(f"no line tagged @{tag} in {name}")

    return load, marked_line


VERDICT_KINDS = ("compiles", "rejected", "hardware", "runtime", "gap")


@dataclass(frozen=True)
class Verdict:
    """The stated expectation for one fixture kernel (see the module docstring)."""

    kind: str
    detail: str = ""


def parse_verdict(text: str) -> Verdict:
    """``"kind: detail"`` -> Verdict; ValueError naming the allowed kinds otherwise."""
    kind, _, detail = text.partition(":")
    kind, detail = kind.strip(), detail.strip()
    if kind not in VERDICT_KINDS:
        raise ValueError(f"verdict {text!r}: kind must be one of {', '.join(VERDICT_KINDS)}")
    if kind != "compiles" and not detail:
        raise ValueError(f"verdict {text!r}: '{kind}' needs a detail after the colon")
    return Verdict(kind, detail)


def stated_verdicts(path: Path) -> dict[str, Verdict]:
    """The ``VERDICTS`` dict of fixture file ``path``, read from its source (not imported)."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "VERDICTS" for t in node.targets
        ):
            table = ast.literal_eval(node.value)
            return {name: parse_verdict(text) for name, text in table.items()}
    return {}


def jit_kernel_names(path: Path) -> list[str]:
    """Names of the module-level ``@pl.jit`` / ``@pl.jit(...)`` / ``@pl.jit.host`` functions of
    a fixture file. A ``@pl.jit`` chip kernel with a ``pld.DistributedTensor`` parameter is
    left out: it is launched (and compiled) only as part of the host function dispatching it."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if not isinstance(target, ast.Attribute):
                continue
            is_host = target.attr == "host" and ast.unparse(target.value).endswith(".jit")
            if is_host or (target.attr == "jit" and not _takes_window(node)):
                names.append(node.name)
    return names


def _takes_window(node: ast.FunctionDef) -> bool:
    """True if a parameter is annotated ``pld.DistributedTensor[...]`` (any module alias)."""
    args = node.args
    return any(
        a.annotation is not None and "DistributedTensor" in ast.unparse(a.annotation)
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
    )
