"""The model folder's floor plan (docs/architecture.md): each role package imports only the
floors below it, and no case module imports another case module. Read from the source (AST),
function-local imports included, so nothing is imported to check it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from models.deepseek_v4.cases import CASE_TABLE

MODEL = Path(__file__).resolve().parents[2] / "models" / "deepseek_v4"
PACKAGE = "models.deepseek_v4"

#: What each floor may import from this project (prefixes); anything else of ours is refused.
ALLOWED: dict[str, tuple[str, ...]] = {
    "config": (),
    "kernels": ("pypto.language", f"{PACKAGE}.config", f"{PACKAGE}.kernels"),
    "contract": (f"{PACKAGE}.config", f"{PACKAGE}.contract", "golden.case"),
    "reference": (f"{PACKAGE}.config", f"{PACKAGE}.contract", f"{PACKAGE}.reference"),
    "cases": (
        f"{PACKAGE}.config", f"{PACKAGE}.contract", f"{PACKAGE}.reference", f"{PACKAGE}.cases",
        "golden.case", "golden.spec", "golden.signature", "golden.compare",
    ),
}  # fmt: skip
OURS = ("models", "golden", "plsim", "pypto", "deepseek_v4_pypto_ops")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(MODEL.rglob("*.py")):
        parts = path.relative_to(MODEL).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join((PACKAGE, *parts)), path))
    return found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # pkg.name: a module (``from golden import compare``) or a name in module pkg,
            # which the caller judges by pkg.
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _floor(module: str) -> str:
    rest = module[len(PACKAGE) + 1 :].split(".") if module != PACKAGE else ["config"]
    return rest[0]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _ours(name: str) -> bool:
    return name.split(".")[0] in OURS


def test_the_model_folder_has_only_role_packages_and_the_config():
    top = sorted(p.name for p in MODEL.iterdir() if p.name != "__pycache__")
    assert top == ["__init__.py", "cases", "config.py", "contract", "kernels", "reference"]


@pytest.mark.parametrize("module,path", _modules(), ids=[m for m, _ in _modules()])
def test_each_module_imports_only_the_floors_below(module, path):
    floor = _floor(module)
    allowed = ALLOWED.get(floor, ())
    wrong = []
    for name in _imports(path):
        if not _ours(name) or _within(name, allowed):
            continue
        # ``from models.deepseek_v4.config import X`` also yields "...config.X": judged by
        # its module, which was checked on its own.
        if _within(name.rsplit(".", 1)[0], allowed):
            continue
        wrong.append(name)
    assert wrong == [], f"{module} ({floor}) imports {wrong}; it may import {allowed}"


@pytest.mark.parametrize("module", sorted(set(CASE_TABLE.values())))
def test_no_case_module_imports_another_case_module(module):
    path = MODEL.joinpath(*module[len(PACKAGE) + 1 :].split(".")).with_suffix(".py")
    others = set(CASE_TABLE.values()) - {module}
    assert [n for n in _imports(path) if n in others] == []


def test_the_checker_catches_an_upward_import(tmp_path):
    """The rule above can fail: a reference module importing a case is refused."""
    bad = tmp_path / "bad.py"
    bad.write_text("from models.deepseek_v4.cases.support import activations\n")
    allowed = ALLOWED["reference"]
    names = [n for n in _imports(bad) if _ours(n) and not _within(n, allowed)]
    assert names and not _within(names[0].rsplit(".", 1)[0], allowed)
