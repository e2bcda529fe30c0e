"""The named cases the harness can run, found through the case tables listed in CASE_MODULES.

CASE_MODULES is found, not written down: the toy cases (``golden.toy.case``) and every
``models/<model>/cases`` package or ``cases.py`` module (docs/adding_a_case.md). A table module
gives either ``CASE_TABLE`` (case name -> the module defining it as ``CASE``: only the module
of the case asked for is imported) or ``CASES: list[Case]`` (every case defined in it). A
module that fails to import does not hide the others: its error is kept and reported by
:func:`load_errors` (and mentioned when a case cannot be found).
"""

from __future__ import annotations

import importlib
import importlib.util
import traceback
from pathlib import Path

from golden.case import Case, ConfigError


def discover_case_modules() -> list[str]:
    """``golden.toy.case`` and ``models.<model>.cases`` for each model folder that has a
    ``cases`` package or a ``cases.py``, models in name order."""
    modules = ["golden.toy.case"]
    spec = importlib.util.find_spec("models")
    for root in (spec.submodule_search_locations or []) if spec else []:
        for model in sorted(p for p in Path(root).iterdir() if p.is_dir()):
            table = (model / "cases.py").is_file() or (model / "cases" / "__init__.py").is_file()
            if table and (model / "__init__.py").is_file():
                modules.append(f"models.{model.name}.cases")
    return modules


#: Case table modules, in listing order.
CASE_MODULES: list[str] = discover_case_modules()

#: Case name -> the module defining it, or the Case itself when its table module defined it.
_index: dict[str, str | Case] | None = None
_errors: dict[str, str] = {}


def _failure(exc: Exception) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})"


def _load_index() -> dict[str, str | Case]:
    """Import every table module once (not the case modules a CASE_TABLE names)."""
    global _index
    if _index is not None:
        return _index
    index: dict[str, str | Case] = {}
    for module_name in CASE_MODULES:
        try:
            module = importlib.import_module(module_name)
            table = getattr(module, "CASE_TABLE", None)
            entries = dict(table) if table is not None else {c.name: c for c in module.CASES}
        except Exception as exc:  # any import-time failure of one model must not hide the rest
            _errors[module_name] = _failure(exc)
            continue
        for name, entry in entries.items():
            if not isinstance(entry, (str, Case)):
                _errors[module_name] = f"CASES holds {entry!r}, which is not a golden.case.Case"
            elif name in index:
                _errors[module_name] = f"case name {name!r} is already registered"
            else:
                index[name] = entry
    _index = index
    return index


def _import_case(name: str, module_name: str) -> Case | None:
    """The ``CASE`` of ``module_name``, checked to be called ``name``; None (error kept) if not."""
    try:
        case = importlib.import_module(module_name).CASE
    except Exception as exc:  # a broken case module must not hide the others
        _errors[module_name] = _failure(exc)
        return None
    if not isinstance(case, Case) or case.name != name:
        _errors[module_name] = f"CASE is {case!r}, not the Case {name!r} its table names"
        return None
    return case


def _resolve(name: str) -> Case | None:
    """The case called ``name`` (importing its module if needed), or None."""
    entry = _load_index().get(name)
    if isinstance(entry, str):
        case = _import_case(name, entry)
        if case is not None:
            _index[name] = case  # type: ignore[index]  # _load_index filled it
        return case
    return entry


def reload() -> None:
    """Forget loaded cases and errors so the next lookup imports the modules again."""
    global _index
    _index = None
    _errors.clear()


def case_names() -> list[str]:
    """Names of every registered case, in registration order (imports no case module)."""
    return list(_load_index())


def all_cases() -> list[Case]:
    """Every case that loads, in registration order (imports every case module)."""
    return [case for case in map(_resolve, case_names()) if case is not None]


def load_errors() -> dict[str, str]:
    """Case modules that failed to load so far, with a one-line reason each."""
    _load_index()
    return dict(_errors)


def get_case(name: str) -> Case:
    """The case called ``name``, importing only its module; ConfigError lists the known names
    (and modules that failed)."""
    case = _resolve(name)
    if case is not None:
        return case
    message = f"case: unknown case {name!r}; known cases: {', '.join(case_names()) or '(none)'}"
    if _errors:
        failed = "; ".join(f"{mod} ({err})" for mod, err in _errors.items())
        message += f"; case modules that failed to load: {failed}"
    raise ConfigError(message)
