"""The named cases the harness can run, gathered from the modules listed in CASE_MODULES.

CASE_MODULES is found, not written down: the toy cases (``golden.toy.case``) and every
``models/<model>/cases.py`` (docs/adding_a_case.md). A module that fails to import does not hide
the others: its error is kept and reported by :func:`load_errors` (and mentioned when a case
cannot be found).
"""

from __future__ import annotations

import importlib
import importlib.util
import traceback
from pathlib import Path

from golden.case import Case, ConfigError


def discover_case_modules() -> list[str]:
    """``golden.toy.case`` and ``models.<model>.cases`` for each model folder that has a
    ``cases.py``, models in name order."""
    modules = ["golden.toy.case"]
    spec = importlib.util.find_spec("models")
    for root in (spec.submodule_search_locations or []) if spec else []:
        for cases_file in sorted(Path(root).glob("*/cases.py")):
            if (cases_file.parent / "__init__.py").is_file():
                modules.append(f"models.{cases_file.parent.name}.cases")
    return modules


#: Modules exposing ``CASES: list[Case]``, in listing order.
CASE_MODULES: list[str] = discover_case_modules()

_cases: dict[str, Case] | None = None
_errors: dict[str, str] = {}


def _load() -> dict[str, Case]:
    """Import every case module once; remember the failures."""
    global _cases
    if _cases is not None:
        return _cases
    cases: dict[str, Case] = {}
    for module_name in CASE_MODULES:
        try:
            module = importlib.import_module(module_name)
            module_cases = list(module.CASES)
        except Exception as exc:  # any import-time failure of one model must not hide the rest
            last = traceback.extract_tb(exc.__traceback__)[-1]
            _errors[module_name] = f"{type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})"
            continue
        for case in module_cases:
            if not isinstance(case, Case):
                _errors[module_name] = f"CASES holds {case!r}, which is not a golden.case.Case"
                continue
            if case.name in cases:
                _errors[module_name] = f"case name {case.name!r} is already registered"
                continue
            cases[case.name] = case
    _cases = cases
    return cases


def reload() -> None:
    """Forget loaded cases and errors so the next lookup imports the modules again."""
    global _cases
    _cases = None
    _errors.clear()


def case_names() -> list[str]:
    """Names of every case that loaded, in registration order."""
    return list(_load())


def all_cases() -> list[Case]:
    """Every case that loaded, in registration order."""
    return list(_load().values())


def load_errors() -> dict[str, str]:
    """Case modules that failed to load, with a one-line reason each."""
    _load()
    return dict(_errors)


def get_case(name: str) -> Case:
    """The case called ``name``; ConfigError lists the known names (and modules that failed)."""
    cases = _load()
    if name in cases:
        return cases[name]
    message = f"case: unknown case {name!r}; known cases: {', '.join(cases) or '(none)'}"
    if _errors:
        failed = "; ".join(f"{mod} ({err})" for mod, err in _errors.items())
        message += f"; case modules that failed to load: {failed}"
    raise ConfigError(message)
