"""The import graph of the project's packages, built from source: no cycle anywhere, and plsim on
the ground floor (it imports none of the harness, the models or the tools built on it).

Every import statement counts, also one inside a function: a function-local import that closes
a cycle only moves the cycle from import time to call time (docs/architecture.md, "Who may
import whom").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("plsim", "plsim_tools", "golden", "models")
#: What each package may import among PACKAGES (itself always). plsim is the floor: a simulator
#: of pypto.language that runs any pl kernel, so it knows no model, harness or tool.
MAY_IMPORT = {
    "plsim": {"plsim"},
    "golden": {"golden", "models", "plsim"},
    "models": {"models", "golden"},
    "plsim_tools": {"plsim_tools", "plsim", "golden"},
}


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every .py file of PACKAGES."""
    found = {}
    for top in PACKAGES:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """(dotted name, line) of every import in ``tree``; ``from a import b`` gives ``a.b`` (a
    submodule, or a name that _resolve cuts back to ``a``)."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(tree):  # every statement, inside functions too
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: ``from .x import y`` inside package ``package``
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names += [(f"{base}.{alias.name}".lstrip("."), node.lineno) for alias in node.names]
    return names


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules, or None (stdlib, third
    party)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    """module -> {imported module of PACKAGES: line of the first such import}."""
    known = modules(root)
    graph: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges: dict[str, int] = {}
        for name, line in _imported_names(tree, module, path.name == "__init__.py"):
            target = _resolve(name, known)
            if target is not None and target != module:
                edges.setdefault(target, line)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(component: list[str], graph: dict[str, dict[str, int]]) -> str:
    inside = set(component)
    arrows = [
        f"{a} -> {b} (line {line})"
        for a in component
        for b, line in sorted(graph[a].items())
        if b in inside
    ]
    return "; ".join(arrows)


def test_no_import_cycle():
    graph = import_graph()
    assert [_describe(c, graph) for c in cycles(graph)] == []


def test_each_package_imports_only_what_it_may():
    graph = import_graph()
    offenders = [
        f"{a} -> {b} (line {line})"
        for a, edges in graph.items()
        for b, line in edges.items()
        if b.split(".")[0] not in MAY_IMPORT[a.split(".")[0]]
    ]
    assert offenders == []


def test_the_graph_sees_function_local_and_relative_imports(tmp_path):
    """The checks above can fail: a cycle closed only inside a function, and a relative import
    running up from plsim, are both found."""
    (tmp_path / "plsim").mkdir()
    (tmp_path / "plsim" / "__init__.py").write_text("")
    (tmp_path / "plsim" / "a.py").write_text("from plsim import b\n")
    (tmp_path / "plsim" / "b.py").write_text("def f():\n    from plsim.a import g\n")
    (tmp_path / "plsim" / "c.py").write_text("from .. import golden\nfrom . import a\n")
    (tmp_path / "golden").mkdir()
    (tmp_path / "golden" / "__init__.py").write_text("")
    for empty in ("plsim_tools", "models"):
        (tmp_path / empty).mkdir()
    graph = import_graph(tmp_path)
    assert cycles(graph) == [["plsim.a", "plsim.b"]]
    assert graph["plsim.b"] == {"plsim.a": 2}
    assert graph["plsim.c"] == {"golden": 1, "plsim.a": 2}
