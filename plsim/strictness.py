"""The parser's rules (docs/dsl.md §3), checked on each kernel function's source at first call.

The real pypto parser accepts a small Python subset; anything it rejects is a DSLError here even
where Python could run it. The checker also rewrites ``with pl.spmd(...) [as tid]:`` into a
loop over the blocks, because a Python ``with`` body runs once.
"""

from __future__ import annotations

import ast
import builtins
import copy
import inspect
import keyword
import textwrap
import types
from collections.abc import Callable
from typing import Any

from plsim import distributed, errors, loop_carry
from plsim.context import KERNEL_CODES

#: The module a kernel's ``pl`` is (``import pypto.language as pl``, bound to plsim by
#: plsim.loader). Known by name: plsim.language imports the jit decorators, which check their
#: functions with this module, so importing it here would be a cycle.
PL_MODULE = "plsim.language"

#: What a name a kernel calls is: its decorator kind ("jit", "inline", "incore", "host") if it
#: is a kernel function, else None (plsim.functions.kernel_kind).
KindOf = Callable[[Any], "str | None"]

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
_AUG_OPS = {ast.Add: ("+", "add"), ast.Sub: ("-", "sub"), ast.Mult: ("*", "mul"),
            ast.Div: ("/", "div"), ast.FloorDiv: ("//", ""), ast.Mod: ("%", ""),
            ast.LShift: ("<<", ""), ast.RShift: (">>", "")}  # fmt: skip
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.LShift, ast.RShift)
_UNARY = (ast.USub, ast.Not, ast.Invert)
_EXPRESSIONS = (
    ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Load, ast.Store,
    ast.keyword, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context,
)  # fmt: skip
_LOOP_CALLS = {"range", "parallel", "unroll", "pipeline", "spmd", "while_", "split_aiv"}
_WITH_CALLS = {"at", "spmd", "cluster", "manual_scope", "scope"}
_BREAK_LOOPS = {"range", "while"}
_LOAD_UNSUPPORTED = {
    "valid_shapes": "load the full window and narrow it with pl.set_validshape(tile, rows, cols)",
    "transpose": "load the tile as stored and pass a_trans/b_trans to pl.matmul",
}


class _Checker(ast.NodeVisitor):
    def __init__(self, fn, filename: str, pl_names: set[str], kind: str,
                 pld_names: set[str], kind_of: KindOf) -> None:  # fmt: skip
        self.fn = fn
        self.kind_of = kind_of
        self.pld_names = pld_names  # names bound to pypto.language.distributed
        self.kind = kind
        self.filename = filename
        self.pl_names = pl_names
        self.loops: list[str] = []
        self.in_deps = 0
        self.scopes: list[str] = []  # name_hints of the enclosing pl.at / pl.spmd scopes
        self.at_depth = 0  # enclosing pl.at scopes

    def fail(self, node: ast.AST, message: str) -> None:
        scope = self.scopes[-1] if self.scopes else "orchestration"
        raise errors.DSLError(
            f"{self.filename}:{getattr(node, 'lineno', 0)} [scope '{scope}', function "
            f"'{self.fn.__name__}']: {message}"
        )

    def scope_name(self, call: ast.AST) -> str | None:
        """The name_hint of a pl.at / pl.spmd call (a placeholder when not a literal)."""
        if self.pl_call_name(call) not in ("at", "spmd"):
            return None
        for kw in call.keywords:
            if kw.arg == "name_hint":
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    return kw.value.value
                return "<name_hint>"
        return f"{self.pl_call_name(call)}@{self.filename.rsplit('/', 1)[-1]}:{call.lineno}"

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

    def is_constant(self, node: ast.AST) -> bool:
        """True for int/float literals, module-level numbers and arithmetic of them (the
        parser folds these, e.g. ``R ** 2``)."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.Name):
            value = self.fn.__globals__.get(node.id)
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(node, ast.BinOp):
            return self.is_constant(node.left) and self.is_constant(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.is_constant(node.operand)
        return False

    def is_pl_attribute(self, node: ast.AST, *path: str) -> bool:
        """True for the literal spelling ``pl.<path[0]>.<path[1]>...`` (pl under any name)."""
        for name in reversed(path):
            if not (isinstance(node, ast.Attribute) and (name == "*" or node.attr == name)):
                return False
            node = node.value
        return isinstance(node, ast.Name) and node.id in self.pl_names

    def check_signature(self, fdef: ast.FunctionDef) -> None:
        """Every parameter is annotated, with a literal ``pl.*`` type (the parser reads the
        annotation's source: a module-level alias such as ``T = pl.Tensor[...]`` is rejected
        as "missing type annotation", and so is an unannotated inline-helper parameter)."""
        args = fdef.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            ann = arg.annotation
            root = ann
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                root = root.value
            roots = self.pl_names | self.pld_names  # pld.DistributedTensor[...] is a literal type
            if ann is None or not (isinstance(root, ast.Name) and root.id in roots):
                what = (
                    "has no annotation"
                    if ann is None
                    else (f"is annotated with '{ast.unparse(ann)}', not a literal pl type")
                )
                self.fail(arg, f"parameter '{arg.arg}' {what}; the pypto parser rejects it "
                          "(\"Parameter ... missing type annotation\"); write the type out, e.g. "
                          "pl.Tensor[[R, C], pl.FP32] or pl.Out[pl.Tensor[[R, C], pl.FP32]], "
                          "not a module-level alias")  # fmt: skip

    def check_at(self, call: ast.Call) -> None:
        """pl.at(...): a literal pl.Level.<NAME> level, an identifier name_hint, no nesting."""
        for kw in call.keywords:
            if kw.arg == "level" and not self.is_pl_attribute(kw.value, "Level", "*"):
                self.fail(call, f"pl.at(level={ast.unparse(kw.value)}): the parser needs the "
                          "literal pl.Level.<NAME> (\"Expected pl.Level.<name>\"); write "
                          "level=pl.Level.CORE_GROUP, not a module-level alias")  # fmt: skip
            if kw.arg == "name_hint" and isinstance(kw.value, ast.Constant):
                hint = kw.value.value
                if isinstance(hint, str) and (not hint.isidentifier() or keyword.iskeyword(hint)):
                    self.fail(call, f"pl.at name_hint {hint!r} is not a valid non-keyword "
                              f"identifier; the parser rejects it; use e.g. '{hint}_scope' "
                              "with letters, digits and underscores")  # fmt: skip
        if self.at_depth:
            self.fail(call, "pl.at nested inside another pl.at: the compiler has no code "
                      "generation for an inner scope (\"No codegen registered for operation\"); "
                      "close the outer scope first and put the two scopes one after the "
                      "other")  # fmt: skip

    def opens_incore(self, call: ast.Call) -> bool:
        """True for a pl.at at the CORE_GROUP level (the default); other levels open none."""
        for kw in call.keywords:
            if kw.arg == "level":
                return self.is_pl_attribute(kw.value, "Level", "CORE_GROUP")
        if call.args:
            return self.is_pl_attribute(call.args[0], "Level", "CORE_GROUP")
        return True

    # --- statements ------------------------------------------------------------------
    def visit_body(self, stmts) -> None:
        for stmt in stmts:
            if self.pl_call_name(getattr(stmt, "value", None)) == "cond" and not (
                self.loops and self.loops[-1] == "while_" and stmt is stmts[0]
            ):
                self.fail(stmt, "pl.cond(...) is only accepted as the first statement of a "
                          "pl.while_ body")  # fmt: skip
            if self.pl_call_name(getattr(stmt, "value", None)) == "dump_tag":
                self.check_dump_tag(stmt)
            self.visit_stmt(stmt)

    def check_dump_tag(self, stmt: ast.stmt) -> None:
        """pl.dump_tag(name): a statement with one bare variable name, not in a kernel function."""
        call = stmt.value
        if not isinstance(stmt, ast.Expr):
            self.fail(stmt, "pl.dump_tag(...) is a statement; its result cannot be assigned")
        if len(call.args) != 1 or call.keywords:
            self.fail(stmt, "pl.dump_tag takes exactly one positional argument")
        if not isinstance(call.args[0], ast.Name):
            self.fail(stmt, "pl.dump_tag's argument must be a bare variable name")
        if self.kind == "incore":
            self.fail(stmt, "pl.dump_tag is only valid inside an orchestration function, not in "
                      "a @pl.jit.incore kernel")  # fmt: skip

    def visit_stmt(self, stmt: ast.stmt) -> None:
        if not isinstance(stmt, _STATEMENTS):
            hint = _STATEMENT_HINTS.get(type(stmt), "is not accepted by the pypto parser")
            if isinstance(stmt, ast.AugAssign) and type(stmt.op) in _AUG_OPS:
                sym, fn = _AUG_OPS[type(stmt.op)]  # name the operator the kernel used
                hint = (f"augmented assignment (x {sym}= ...) is not accepted; write "
                        f"x = x {sym} ...{f' or x = pl.{fn}(x, ...)' if fn else ''}")  # fmt: skip
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
            if kind == "while_":
                self.check_while(stmt)
            self.visit_expr(stmt.target)
            self.visit_expr(stmt.iter)
            self.loops.append(kind)
            name = self.scope_name(stmt.iter)
            if name is not None:
                self.scopes.append(name)
            self.visit_body(stmt.body)
            if name is not None:
                self.scopes.pop()
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
            ats = 0
            for item in stmt.items:
                if self.pl_call_name(item.context_expr) not in _WITH_CALLS:
                    self.fail(stmt, "with-blocks must be pl.at / pl.spmd / pl.cluster / "
                              "pl.manual_scope / pl.scope")  # fmt: skip
                if self.pl_call_name(item.context_expr) == "at":
                    self.check_at(item.context_expr)
                    ats += self.opens_incore(item.context_expr)
                if self.pl_call_name(item.context_expr) == "scope" and getattr(
                    self.fn, "__plsim_auto_scope__", True
                ):  # the compiler's rule (tests/pyptolib/kernels/scope_prefetch.py)
                    self.fail(stmt, "a hand-placed 'with pl.scope()' needs auto_scope=False "
                              "on the function's decorator")  # fmt: skip
                self.visit_expr(item.context_expr)
                if item.optional_vars is not None:
                    self.visit_expr(item.optional_vars)
            names = [n for n in (self.scope_name(i.context_expr) for i in stmt.items) if n]
            self.scopes.extend(names)
            self.at_depth += ats
            self.visit_body(stmt.body)
            self.at_depth -= ats
            del self.scopes[len(self.scopes) - len(names) :]
            return
        if isinstance(stmt, ast.Assign) and self.at_depth:
            self.check_subscript_source(stmt)
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.visit_expr(child)

    def check_subscript_source(self, stmt: ast.Assign) -> None:
        """``t[...] = helper(...)`` inside pl.at: the compiler keeps the inline call as an op it
        cannot generate code for; ``y = helper(...)`` then ``t[...] = y`` compiles."""
        call = stmt.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            return
        target = self.resolve(call.func.id)
        if self.kind_of(target) != "inline":
            return
        if any(isinstance(t, ast.Subscript) for t in stmt.targets):
            name = call.func.id
            self.fail(stmt, f"the result of inline function '{name}' written straight into a "
                      "subscript inside pl.at: the compiler has no code generation for it "
                      f"(\"No codegen registered for operation: {name}\"); bind it first: "
                      f"y = {name}(...), then t[...] = y")  # fmt: skip

    def check_while(self, stmt: ast.For) -> None:
        """``for (a, b) in pl.while_(init_values=...)``: pl.cond(...) first, no bare yield."""
        first = stmt.body[0]
        if not (isinstance(first, ast.Expr) and self.pl_call_name(first.value) == "cond"):
            self.fail(first, "the first statement of a pl.while_ body must be pl.cond(condition)")
        if len(first.value.args) != 1 or first.value.keywords:
            self.fail(first, "pl.cond takes exactly one condition")
        for inner in stmt.body:
            if isinstance(inner, ast.Expr) and self.pl_call_name(inner.value) == "yield_":
                self.fail(inner, "a bare pl.yield_(...) in a pl.while_ with init_values is "
                          "rejected; bind it: x_out = pl.yield_(...)")  # fmt: skip

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
        constant_pow = (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and (self.is_constant(node))
        )
        if isinstance(node, ast.BinOp) and not isinstance(node.op, _BINOPS) and not constant_pow:
            self.fail(node, f"binary operator {type(node.op).__name__} (** & | ^) is not "
                      "accepted (** only between compile-time constants, e.g. R ** 2); write "
                      "pl.mul(t, t) for a square")  # fmt: skip
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, _UNARY):
            self.fail(node, f"unary operator {type(node.op).__name__} is not accepted")
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            self.fail(node, "chained comparisons (a < b < c) are not accepted")
        if isinstance(node, ast.Slice) and node.step is not None:
            self.fail(node, "slice steps are not accepted")
        if isinstance(node, ast.Call):
            self.check_call(node)
        for child in ast.iter_child_nodes(node):
            if self.at_depth or self.kind == "inline":
                self.check_nested_inline_call(child)
            self.visit_expr(child)

    def check_nested_inline_call(self, node: ast.AST) -> None:
        """An inline helper's call as an operand of another expression, in a pl.at scope or
        in a helper's body: the compiler inlines a call that is a whole statement (``y =
        helper(...)``) and keeps a nested one as an op of its own, which it then cannot type
        or generate ("The operator tile.adds requires first argument to be a TileType, but
        got TensorType" for a tile helper, "No codegen registered for operation: helper" for
        a scalar one); measured with the pypto wheel this project builds with
        (tests/plsim_conformance/kernels/inline_call_kernels.py)."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            return
        if self.kind_of(self.resolve(node.func.id)) != "inline":
            return
        name = node.func.id
        self.fail(node, f"inline function '{name}' called inside an expression: the compiler "
                  "inlines only a call that is a whole statement (the nested call is left as "
                  f"an op it cannot type or generate: \"No codegen registered for operation: "
                  f"{name}\"); bind it first: y = {name}(...), then use y")  # fmt: skip

    def check_call(self, node: ast.Call) -> None:
        if self.pl_call_name(node) == "create_tensor":
            self.check_created_shape(node)
        if self.pl_call_name(node) == "load":
            for kw in node.keywords:
                if kw.arg in _LOAD_UNSUPPORTED:
                    self.fail(node, f"pl.load(..., {kw.arg}=...): this pypto build has no such "
                              f"keyword (\"load() got an unexpected keyword argument\"); "
                              f"{_LOAD_UNSUPPORTED[kw.arg]}")  # fmt: skip
        self.check_memory_space(node)
        func = node.func
        if isinstance(func, ast.Name):
            target = self.resolve(func.id)
            if self.kind_of(target) is not None:
                return  # keyword arguments to inline helpers compile too
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
            roots = self.pl_names | self.pld_names
            if isinstance(root, ast.Name) and root.id not in roots:
                target = self.resolve(root.id)
                if isinstance(target, types.ModuleType):
                    self.fail(node, f"call to {root.id}.{func.attr}(): only pl.* ops can be "
                              "called in a kernel")  # fmt: skip


    def check_memory_space(self, node: ast.Call) -> None:
        """``target_memory=`` of a pl op is the literal pl.MemorySpace.<NAME> (or pl.Mem.<NAME>):
        pypto cannot resolve a module-level alias ("Cannot resolve expression 'MAT'") and types
        a local one as a scalar ("target_memory for tile.load must be MemorySpace.Vec or
        MemorySpace.Mat, got Scalar(expr=mat)"); fixtures rejected_kernels.module_memory_alias,
        local_memory_alias."""
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not (isinstance(root, ast.Name) and root.id in self.pl_names):
            return
        for kw in node.keywords:
            if kw.arg != "target_memory":
                continue
            value = kw.value
            if isinstance(value, ast.Constant) and value.value is None:
                continue
            if self.is_pl_attribute(value, "MemorySpace", "*") or self.is_pl_attribute(
                value, "Mem", "*"
            ):
                continue
            self.fail(node, f"target_memory={ast.unparse(value)}: the parser needs the literal "
                      "pl.MemorySpace.<NAME> (a module-level alias: \"Cannot resolve "
                      "expression\"; a local one is typed a scalar: \"target_memory ... must be "
                      "MemorySpace.Vec or MemorySpace.Mat, got Scalar\"); write "
                      "target_memory=pl.MemorySpace.Mat")  # fmt: skip

    def check_created_shape(self, node: ast.Call) -> None:
        """A ``pl.tensor.dim(...)`` call written inside a create_tensor shape list: pypto's
        code generation cannot print a call in a shape ("GenerateExprString not implemented
        for expression type: Call"; with ptoas in the chain, ptoas refuses the generated
        code instead), and a tensor so made and handed to an inline helper is refused earlier
        ("missing inferred tensor metadata"); measured with the pypto wheel this project
        builds with (tests/plsim_conformance/kernels/rejected_kernels.py). An alias local
        (``n = pl.tensor.dim(x, 0)``) in the list, or arithmetic of such aliases, compiles."""
        shapes = node.args[:1] + [k.value for k in node.keywords if k.arg == "shape"]
        for shape in shapes:
            if any(_is_dim_call(self, n) for n in ast.walk(shape)):
                self.fail(node, "pl.create_tensor shape with a pl.tensor.dim(...) call in it: "
                          "the compiler cannot print a call in a shape (\"GenerateExprString "
                          "not implemented for expression type: Call\"); bind the dim to a local "
                          "first (n = pl.tensor.dim(x, 0)) and write n in the shape")  # fmt: skip


def _as_load(target: ast.expr) -> ast.expr:
    """The loop target ``(a, b)`` as an expression that reads a and b."""
    if isinstance(target, ast.Name):
        return ast.Name(target.id, ast.Load())
    if isinstance(target, (ast.Tuple, ast.List)):
        return ast.Tuple([_as_load(e) for e in target.elts], ast.Load())
    return target


def _store_copy(target: ast.expr) -> ast.expr:
    if isinstance(target, ast.Name):
        return ast.Name(target.id, ast.Store())
    if isinstance(target, (ast.Tuple, ast.List)):
        return ast.Tuple([_store_copy(e) for e in target.elts], ast.Store())
    return target


class _SpmdWith(ast.NodeTransformer):
    """Rewrites forms a Python run would get wrong.

    ``with pl.spmd(...) [as t]: body`` -> ``for t in pl.spmd(...)._with_form(): body`` (a with
    body runs once). In ``for (x,) in pl.while_(...)`` the leading ``pl.cond(c)`` becomes
    ``if not pl.cond(c): x_out = x; break`` where ``x_out = pl.yield_(...)`` ends the body (the
    SSA return values are the carried values at exit); a body without a final yield (pre-SSA
    form, the loop variables are rebound) gets ``pl.yield_(x)`` appended.
    """

    def __init__(self, pl_names: set[str]) -> None:
        self.pl_names = pl_names
        self.changed = False

    def _is_pl_call(self, node, name: str) -> bool:
        return (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == name and isinstance(node.func.value, ast.Name)
            and node.func.value.id in self.pl_names
        )  # fmt: skip

    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        if not self._is_pl_call(node.iter, "while_"):
            return node
        self.changed = True
        cond_stmt = node.body[0]
        last = node.body[-1]
        exit_body: list[ast.stmt] = []
        if isinstance(last, ast.Assign) and self._is_pl_call(last.value, "yield_"):
            exit_body.append(
                ast.Assign([_store_copy(last.targets[0])], _as_load(node.target), lineno=0)
            )
        else:
            yield_call = ast.Call(
                ast.Attribute(cond_stmt.value.func.value, "yield_", ast.Load()),
                list(_as_load(node.target).elts)
                if isinstance(node.target, ast.Tuple)
                else [_as_load(node.target)],
                [],
            )
            node.body.append(ast.copy_location(ast.Expr(yield_call), last))
        exit_body.append(ast.Break())
        test = ast.UnaryOp(ast.Not(), cond_stmt.value)
        node.body[0] = ast.copy_location(ast.If(test, exit_body, []), cond_stmt)
        return node

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
        # A sole `with pl.at(...)` body is each block's task (Spmd._with_form says why).
        sole = node.body[0] if len(node.body) == 1 else None
        carrier = (
            isinstance(sole, ast.With) and len(sole.items) == 1
            and self._is_pl_call(sole.items[0].context_expr, "at")
        )  # fmt: skip
        keywords = [ast.keyword("carrier", ast.Constant(True))] if carrier else []
        if any(self._is_syncall(stmt) for stmt in node.body):
            return self._phases(node, call, target)
        loop = ast.For(
            target=target,
            iter=ast.Call(ast.Attribute(call, "_with_form", ast.Load()), [], keywords),
            body=node.body,
            orelse=[],
        )
        return ast.copy_location(loop, node)

    def _is_syncall(self, stmt: ast.stmt) -> bool:
        """``pl.system.syncall(...)`` as a statement (pl under any bound name)."""
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        func = stmt.value.func
        return (
            isinstance(func, ast.Attribute) and func.attr == "syncall"
            and isinstance(func.value, ast.Attribute) and func.value.attr == "system"
            and isinstance(func.value.value, ast.Name) and func.value.value.id in self.pl_names
        )  # fmt: skip

    def _phases(self, node: ast.With, call: ast.Call, target: ast.expr) -> list[ast.stmt]:
        """A body with ``pl.system.syncall`` statements as one launch run in phases
        (plsim.barriers): ``spmd = pl.spmd(...)``, then one loop per phase over
        ``spmd._with_phase(k, n)``, each phase but the last ending in ``spmd._syncall(...)``
        with the barrier's own arguments (at its line)."""
        name = f"_plsim_spmd_{node.lineno}_{node.col_offset}"
        launch = ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], call), node)
        phases: list[list[ast.stmt]] = [[]]
        for stmt in node.body:
            if self._is_syncall(stmt):
                barrier = ast.Call(
                    ast.Attribute(ast.Name(name, ast.Load()), "_syncall", ast.Load()),
                    stmt.value.args, stmt.value.keywords,
                )
                phases[-1].append(ast.copy_location(ast.Expr(barrier), stmt))
                phases.append([])
            else:
                phases[-1].append(stmt)
        out: list[ast.stmt] = [launch]
        for k, body in enumerate(phases):
            driver = ast.Call(
                ast.Attribute(ast.Name(name, ast.Load()), "_with_phase", ast.Load()),
                [ast.Constant(k), ast.Constant(len(phases))], [],
            )
            loop = ast.For(target=copy.deepcopy(target), iter=driver, body=body or [ast.Pass()],
                           orelse=[])  # fmt: skip
            out.append(ast.copy_location(loop, body[0] if body else node))
        return out


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_shape_read(node: ast.AST) -> bool:
    """``t.shape[i]`` (or ``t.shape``) anywhere in ``node``."""
    return any(isinstance(n, ast.Attribute) and n.attr == "shape" for n in ast.walk(node))


#: pl calls whose result the JIT gives a shape by scanning the source (create_tensor, slice,
#: reshape, window); their shape arguments are what _check_inline_shapes inspects.
_SHAPE_SCANNED_CALLS = {"create_tensor", "slice", "reshape", "window"}


def _is_shape_subscript(node: ast.AST) -> bool:
    """``t.shape[i]`` itself (or a bare ``t.shape``)."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
    return False


def _scanned_shape(checker: _Checker, node: ast.AST) -> ast.AST | None:
    """The shape argument of a create_tensor, reshape or window call (``node``), else None:
    the calls whose shape the JIT must resolve in full (a slice falls back to its parent's
    extents)."""
    if not isinstance(node, ast.Call):
        return None
    position = {"create_tensor": 0, "reshape": 1, "window": 1}.get(checker.pl_call_name(node))
    if position is None:
        return None
    shape = [k.value for k in node.keywords if k.arg == "shape"]
    return shape[0] if shape else (node.args[position] if len(node.args) > position else None)


def _is_dim_call(checker: _Checker, node: ast.AST) -> bool:
    """``pl.tensor.dim(...)`` (pl under any bound name)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "dim"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "tensor"
        and isinstance(node.func.value.value, ast.Name)
        and node.func.value.value.id in checker.pl_names
    )


def _is_dim_expression(checker: _Checker, node: ast.AST) -> bool:
    """Arithmetic whose only calls are ``pl.tensor.dim`` (at least one), not a bare alias."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    return (
        not _is_dim_call(checker, node)
        and bool(calls)
        and all(_is_dim_call(checker, c) for c in calls)
    )


def _check_inline_shapes(checker: _Checker, fdef: ast.FunctionDef) -> None:
    """Locals passed to an @pl.jit.inline helper need shapes the JIT can infer before parsing.

    The JIT scans the source for the shape of each local tensor handed to an inline helper; a
    shape element must be an int literal, a module-level int, a specialized scalar parameter,
    a ``pl.tensor.dim`` alias (``rows = pl.tensor.dim(x, 0)``) or arithmetic of those written
    in the shape list itself. A local such as ``B = x.shape[0]``, or one holding arithmetic of
    dims (``T = pl.tensor.dim(x, 0) * pl.tensor.dim(x, 1)``), or one bound to the top-level
    spelling ``pl.dim(x, 0)``, is not followed: measured with hw-native-sys/pypto e2d0f78a and
    the wheel this project builds with, "missing inferred tensor metadata for parameter ...".
    """
    assigns = [
        n
        for n in ast.walk(fdef)
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    ]
    shape_locals: dict[str, str] = {}  # name -> the shape local it comes from
    dim_expressions = set()  # shape locals holding arithmetic of pl.tensor.dim calls
    top_level_dims = set()  # shape locals from pl.dim(...), which the JIT does not follow
    for a in assigns:
        if _is_dim_expression(checker, a.value):
            shape_locals[a.targets[0].id] = a.targets[0].id
            dim_expressions.add(a.targets[0].id)
        elif checker.pl_call_name(a.value) == "dim":
            shape_locals[a.targets[0].id] = a.targets[0].id
            top_level_dims.add(a.targets[0].id)
    changed = True
    while changed:
        changed = False
        for a in assigns:
            name = a.targets[0].id
            if name in shape_locals or any(isinstance(n, ast.Call) for n in ast.walk(a.value)):
                continue
            used = _names_in(a.value) & set(shape_locals)
            if _is_shape_read(a.value) or used:
                shape_locals[name] = shape_locals[min(used)] if used else name
                changed = True
    tensors: dict[str, tuple[str, int]] = {}  # local tensor -> (shape local, line)
    for a in assigns:
        used = _names_in(a.value) & set(shape_locals)
        # Only the tensor-making calls the JIT scans for a shape (a pl.min of a shape local is
        # a scalar, which the JIT does not need to infer).
        if (
            used
            and isinstance(a.value, ast.Call)
            and (checker.pl_call_name(a.value) in _SHAPE_SCANNED_CALLS)
        ):
            tensors[a.targets[0].id] = (shape_locals[min(used)], a.lineno)
    # A .shape read written in the shape list itself (create_tensor, reshape, window; a slice's
    # unresolved extent takes its parent's instead): not followed either (measured with the
    # pypto wheel this project builds with, fixture shape_read_in_shape_to_inline).
    read_in_shape: dict[str, tuple[str, int]] = {}
    for a in assigns:
        shape = _scanned_shape(checker, a.value)
        reads = [n for n in ast.walk(shape) if _is_shape_subscript(n)] if shape else []
        if reads and a.targets[0].id not in tensors:
            read_in_shape[a.targets[0].id] = (ast.unparse(reads[0]), a.lineno)
    for call in ast.walk(fdef):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        target = checker.resolve(call.func.id)
        if checker.kind_of(target) != "inline":
            continue
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name) and arg.id in read_in_shape:
                read, line = read_in_shape[arg.id]
                checker.fail(call, f"local tensor '{arg.id}' (line {line}) is passed to inline "
                             f"function '{call.func.id}', but its shape list reads '{read}'; "
                             "the JIT's shape inference does not follow a .shape read "
                             "(\"missing inferred tensor metadata\"); bind it to an alias "
                             "first (n = pl.tensor.dim(<tensor>, <axis>)) and write n in the "
                             "shape")  # fmt: skip
            if isinstance(arg, ast.Name) and arg.id in tensors:
                origin, line = tensors[arg.id]
                if origin in top_level_dims:
                    checker.fail(call, f"local tensor '{arg.id}' (line {line}) is passed to "
                                 f"inline function '{call.func.id}', but its shape uses "
                                 f"'{origin}', bound to pl.dim(...): the JIT's shape inference "
                                 "follows pl.tensor.dim aliases only (\"missing inferred tensor "
                                 f"metadata\"); write {origin} = pl.tensor.dim(<tensor>, "
                                 "<axis>)")  # fmt: skip
                if origin in dim_expressions:
                    checker.fail(call, f"local tensor '{arg.id}' (line {line}) is passed to "
                                 f"inline function '{call.func.id}', but its shape uses "
                                 f"'{origin}', a local holding arithmetic of pl.tensor.dim "
                                 "calls; the JIT's shape inference follows only a bare alias "
                                 "(\"missing inferred tensor metadata\"); write the arithmetic "
                                 "in the shape list itself, e.g. [rows * cols, C] with "
                                 "rows = pl.tensor.dim(x, 0)")  # fmt: skip
                checker.fail(call, f"local tensor '{arg.id}' (line {line}) is passed to inline "
                             f"function '{call.func.id}', but its shape uses '{origin}', read "
                             "from a .shape; the JIT's shape inference does not follow it "
                             "(\"missing inferred tensor metadata\"); write "
                             f"{origin} = pl.tensor.dim(<tensor>, <axis>), or use a module "
                             "constant or a scalar parameter")  # fmt: skip


def prepare(fn, kind: str, kind_of: KindOf) -> types.FunctionType:
    """Check ``fn``'s source against the parser rules; return the function to execute.

    ``kind_of`` tells the kernel functions among the names ``fn`` calls (inline helpers have
    rules of their own); plsim.functions passes its own, being the module above this one."""
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
    pl_names = {
        k
        for k, v in fn.__globals__.items()
        if isinstance(v, types.ModuleType) and v.__name__ == PL_MODULE
    }
    pld_names = {k for k, v in fn.__globals__.items() if v is distributed}
    checker = _Checker(fn, filename, pl_names, kind, pld_names, kind_of)
    checker.check_signature(fdef)
    checker.visit_body(fdef.body)
    if kind in ("jit", "inline"):  # inline bodies are spliced into the jit function
        _check_inline_shapes(checker, fdef)
    loop_carry.register(filename, fdef, pl_names)
    rewriter = _SpmdWith(pl_names)
    fdef = rewriter.visit(fdef)
    if not rewriter.changed:
        KERNEL_CODES.add(fn.__code__)
        return fn
    fdef.decorator_list = []
    module = ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[]))
    code = compile(module, filename, "exec")
    namespace: dict[str, Any] = {}
    exec(code, fn.__globals__, namespace)
    new_fn = namespace[fdef.name]
    new_fn.__defaults__ = fn.__defaults__
    KERNEL_CODES.add(new_fn.__code__)
    return new_fn
