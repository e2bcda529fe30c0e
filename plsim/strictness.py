"""The parser's rules (PL_SEMANTICS §3), checked on each kernel function's source at first call.

The real pypto parser accepts a small Python subset; anything it rejects is a DSLError here even
where Python could run it. The checker also rewrites ``with pl.spmd(...) [as tid]:`` into a
loop over the blocks, because a Python ``with`` body runs once.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from typing import Any

from plsim import errors

_STATEMENTS = (
    ast.Assign, ast.AnnAssign, ast.For, ast.While, ast.If, ast.With, ast.Return, ast.Expr,
    ast.Pass, ast.Break, ast.Continue,
)  # fmt: skip
_STATEMENT_HINTS = {
    ast.AugAssign: "augmented assignment (x += ...) is not accepted; write x = x + ... or "
    "x = pl.add(x, ...)",
    ast.FunctionDef: "nested def is not accepted",
    ast.AsyncFunctionDef: "nested def is not accepted",
    ast.ClassDef: "class definitions are not accepted in a kernel",
    ast.Try: "try is not accepted",
    ast.Assert: "assert is not accepted; use pl.static_assert(cond, 'message')",
    ast.Delete: "del is not accepted",
    ast.Global: "global is not accepted",
    ast.Nonlocal: "nonlocal is not accepted",
    ast.Raise: "raise is not accepted",
    ast.Import: "import inside a kernel is not accepted",
    ast.ImportFrom: "import inside a kernel is not accepted",
}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.LShift, ast.RShift)
_UNARY = (ast.USub, ast.Not, ast.Invert)
_EXPRESSIONS = (
    ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Load, ast.Store,
    ast.keyword, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context,
)  # fmt: skip
_LOOP_CALLS = {"range", "parallel", "unroll", "pipeline", "spmd", "while_", "split_aiv"}
_WITH_CALLS = {"at", "spmd", "cluster", "manual_scope"}
_BREAK_LOOPS = {"range", "while"}


class _Checker(ast.NodeVisitor):
    def __init__(self, fn, filename: str, pl_names: set[str]) -> None:
        self.fn = fn
        self.filename = filename
        self.pl_names = pl_names
        self.loops: list[str] = []
        self.in_deps = 0

    def fail(self, node: ast.AST, message: str) -> None:
        raise errors.DSLError(
            f"{self.filename}:{getattr(node, 'lineno', 0)} [function '{self.fn.__name__}']: "
            f"{message}"
        )

    # --- helpers ---------------------------------------------------------------------
    def pl_call_name(self, node: ast.AST) -> str | None:
        """'x' for a call ``pl.x(...)`` (pl under any bound name), else None."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = node.func.value
            if isinstance(root, ast.Name) and root.id in self.pl_names:
                return node.func.attr
        return None

    def resolve(self, name: str) -> Any:
        g = self.fn.__globals__
        if name in g:
            return g[name]
        return getattr(builtins, name, None)

    # --- statements ------------------------------------------------------------------
    def visit_body(self, stmts) -> None:
        for stmt in stmts:
            self.visit_stmt(stmt)

    def visit_stmt(self, stmt: ast.stmt) -> None:
        if not isinstance(stmt, _STATEMENTS):
            hint = _STATEMENT_HINTS.get(type(stmt), "is not accepted by the pypto parser")
            self.fail(stmt, f"{type(stmt).__name__}: {hint}")
        if isinstance(stmt, ast.For):
            kind = self.pl_call_name(stmt.iter)
            if kind not in _LOOP_CALLS:
                self.fail(
                    stmt,
                    "for-loops must iterate over pl.range / pl.parallel / pl.unroll / "
                    "pl.pipeline / pl.spmd (plain range, lists and enumerate are rejected)",
                )
            if stmt.orelse:
                self.fail(stmt, "for ... else is not accepted")
            self.visit_expr(stmt.target)
            self.visit_expr(stmt.iter)
            self.loops.append(kind)
            self.visit_body(stmt.body)
            self.loops.pop()
            return
        if isinstance(stmt, ast.While):
            if stmt.orelse:
                self.fail(stmt, "while ... else is not accepted")
            self.visit_expr(stmt.test)
            self.loops.append("while")
            self.visit_body(stmt.body)
            self.loops.pop()
            return
        if isinstance(stmt, (ast.Break, ast.Continue)):
            word = "break" if isinstance(stmt, ast.Break) else "continue"
            if not self.loops or self.loops[-1] not in _BREAK_LOOPS:
                where = f"pl.{self.loops[-1]}" if self.loops else "no loop"
                self.fail(stmt, f"{word} is only accepted inside pl.range or while (here: {where})")
            return
        if isinstance(stmt, ast.If):
            self.visit_expr(stmt.test)
            self.visit_body(stmt.body)
            self.visit_body(stmt.orelse)
            return
        if isinstance(stmt, ast.With):
            for item in stmt.items:
                if self.pl_call_name(item.context_expr) not in _WITH_CALLS:
                    self.fail(stmt, "with-blocks must be pl.at / pl.spmd / pl.cluster / "
                              "pl.manual_scope")  # fmt: skip
                self.visit_expr(item.context_expr)
                if item.optional_vars is not None:
                    self.visit_expr(item.optional_vars)
            self.visit_body(stmt.body)
            return
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.visit_expr(child)

    # --- expressions -----------------------------------------------------------------
    def visit_expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.keyword):
            if node.arg == "deps":
                return  # comprehensions are accepted inside deps=
            self.visit_expr(node.value)
            return
        if not isinstance(node, _EXPRESSIONS):
            hints = {
                ast.IfExp: "conditional expressions (a if c else b) are not accepted; use an "
                "if statement",
                ast.Lambda: "lambda is not accepted",
                ast.ListComp: "comprehensions are not accepted",
                ast.SetComp: "comprehensions are not accepted",
                ast.DictComp: "comprehensions are not accepted",
                ast.GeneratorExp: "generator expressions are not accepted",
                ast.NamedExpr: "the walrus operator is not accepted",
                ast.JoinedStr: "f-strings are not accepted",
            }
            self.fail(node, hints.get(type(node), f"{type(node).__name__} is not accepted"))
        if isinstance(node, ast.BinOp) and not isinstance(node.op, _BINOPS):
            self.fail(node, f"binary operator {type(node.op).__name__} (** & | ^) is not accepted")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, _UNARY):
            self.fail(node, f"unary operator {type(node.op).__name__} is not accepted")
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            self.fail(node, "chained comparisons (a < b < c) are not accepted")
        if isinstance(node, ast.Slice) and node.step is not None:
            self.fail(node, "slice steps are not accepted")
        if isinstance(node, ast.Call):
            self.check_call(node)
        for child in ast.iter_child_nodes(node):
            self.visit_expr(child)

    def check_call(self, node: ast.Call) -> None:
        from plsim.functions import KernelFunction

        func = node.func
        if isinstance(func, ast.Name):
            target = self.resolve(func.id)
            if isinstance(target, KernelFunction):
                if node.keywords and target.kind == "inline":
                    self.fail(node, f"keyword arguments in a call to inline function "
                              f"'{func.id}' are not accepted (positional only)")  # fmt: skip
                return
            if str(getattr(target, "__module__", "")).startswith("plsim"):
                return  # a pl op imported by name
            if target is not None and getattr(builtins, func.id, None) is target:
                self.fail(node, f"Python builtin {func.id}() is not accepted in a kernel (use "
                          "pl.min/pl.max/pl.cast or module constants)")  # fmt: skip
            self.fail(node, f"call to '{func.id}': only pl.* ops and @pl.jit.inline / "
                      "@pl.jit.incore functions can be called")  # fmt: skip
        if isinstance(func, ast.Attribute):
            root = func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id not in self.pl_names:
                target = self.resolve(root.id)
                if isinstance(target, types.ModuleType):
                    self.fail(node, f"call to {root.id}.{func.attr}(): only pl.* ops can be "
                              "called in a kernel")  # fmt: skip


class _SpmdWith(ast.NodeTransformer):
    """``with pl.spmd(...) [as t]: body`` -> ``for t in pl.spmd(...)._with_form(): body``."""

    def __init__(self, pl_names: set[str]) -> None:
        self.pl_names = pl_names
        self.changed = False

    def visit_With(self, node: ast.With):
        self.generic_visit(node)
        if len(node.items) != 1:
            return node
        call = node.items[0].context_expr
        if not (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "spmd" and isinstance(call.func.value, ast.Name)
            and call.func.value.id in self.pl_names
        ):  # fmt: skip
            return node
        self.changed = True
        target = node.items[0].optional_vars or ast.Name("_plsim_spmd_task", ast.Store())
        loop = ast.For(
            target=target,
            iter=ast.Call(ast.Attribute(call, "_with_form", ast.Load()), [], []),
            body=node.body,
            orelse=[],
        )
        return ast.copy_location(loop, node)


def prepare(fn) -> types.FunctionType:
    """Check ``fn``'s source against the parser rules; return the function to execute."""
    from plsim import language

    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError) as exc:
        raise errors.DSLError(
            f"cannot read the source of kernel function {fn.__name__}: {exc}"
        ) from None
    filename = fn.__code__.co_filename
    tree = ast.parse(textwrap.dedent(source))
    ast.increment_lineno(tree, fn.__code__.co_firstlineno - 1)
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise errors.DSLError(f"{filename}: kernel {fn.__name__} is not a plain def")
    pl_names = {k for k, v in fn.__globals__.items() if v is language}
    checker = _Checker(fn, filename, pl_names)
    checker.visit_body(fdef.body)
    rewriter = _SpmdWith(pl_names)
    fdef = rewriter.visit(fdef)
    if not rewriter.changed:
        return fn
    fdef.decorator_list = []
    module = ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[]))
    code = compile(module, filename, "exec")
    namespace: dict[str, Any] = {}
    exec(code, fn.__globals__, namespace)
    new_fn = namespace[fdef.name]
    new_fn.__defaults__ = fn.__defaults__
    return new_fn
