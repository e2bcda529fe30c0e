"""How the compiler binds the arguments of an ``@pl.jit.inline`` helper call, as plsim's rules.

The JIT splices an inline helper into its caller after inferring, from the caller's source, the
type of every argument (measured with hw-native-sys/pypto e2d0f78a; fixtures in
tests/plsim_conformance/kernels/inline_call_kernels.py):

- every parameter needs an argument: the parser ignores Python defaults ("Function 'f' expects 3
  argument(s), got 2");
- a tensor argument must be a name (a parameter or a local): a subscript or an op call written
  as the argument leaves the JIT without the parameter's type ("missing inferred tensor
  metadata for parameter 't'", reported without a line);
- a Python literal bound to a ``pl.Scalar[DTYPE]`` parameter is a DTYPE scalar inside the
  helper (``pl.set_validshape(t, rows, ...)`` then fails on an INT32 ``rows``);
- a constant is folded into the whole helper, both branches of every ``if`` included: a
  parameter bound to 0 that the helper floor-divides by stops the build ("Floor division by
  zero") even where the division's branch never runs.
"""

from __future__ import annotations

import ast
import inspect
import linecache
from types import CodeType, FrameType
from typing import Any

from plsim.context import dsl
from plsim.language_types import ScalarType
from plsim.memory import GMTensor, Tile
from plsim.scalars import Scalar, is_number


def bind(fn, args: tuple, kwargs: dict, caller: FrameType | None) -> tuple[tuple, dict]:
    """The arguments of a call to inline helper ``fn`` as the compiler binds them.

    DSLError (at the call's line) for a missing argument or a tensor argument that is not a
    name; literals bound to ``pl.Scalar[DTYPE]`` parameters become DTYPE scalars.
    """
    signature = inspect.signature(fn)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        dsl(f"call to inline function {fn.__name__}: {exc}")
    missing = [name for name in signature.parameters if name not in bound.arguments]
    if missing:
        dsl(
            f"call to inline function {fn.__name__} leaves {', '.join(missing)} to the Python "
            f"default: the compiler binds no defaults (\"Function '{fn.__name__}' expects "
            f"{len(signature.parameters)} argument(s), got {len(bound.arguments)}\"); pass "
            "every argument"
        )
    _check_tensor_arguments(fn, bound, caller)
    _check_folded_divisors(fn, bound)
    hints = _annotations(fn)
    for name, value in bound.arguments.items():
        hint = hints.get(name)
        if isinstance(hint, ScalarType) and hint.dtype is not None and _is_literal(value):
            bound.arguments[name] = FoldedScalar(value, hint.dtype)
    return bound.args, bound.kwargs


class FoldedScalar(Scalar):
    """A literal bound to a helper's ``pl.Scalar`` parameter: a constant to the compiler,
    which it stays when passed on by name to another helper (arithmetic on it gives plain
    scalars here; only the constant itself is tracked)."""

    __slots__ = ()


def _check_folded_divisors(fn, bound: inspect.BoundArguments) -> None:
    """DSLError for a parameter bound to the constant 0 that the helper floor-divides by
    (``a // p``), in any branch: the compiler folds the constant into every branch and stops
    ("Floor division by zero"; measured, fixture untaken_division_by_zero), where plsim, which
    runs only the branch taken, would go on."""
    zeros = {n for n, v in bound.arguments.items()
             if (_is_literal(v) and v == 0)
             or (isinstance(v, FoldedScalar) and v.value == 0)}  # fmt: skip
    if not zeros:
        return
    code = fn.__code__
    for name, node in _floor_divisors(code).items():
        if name in zeros:
            dsl(
                f"inline function {fn.__name__} floor-divides by parameter '{name}' "
                f"({ast.unparse(node)} at {code.co_filename}:{node.lineno}), bound to 0 "
                "here: the compiler folds the constant into every branch, taken or not "
                f"(\"Floor division by zero\"); divide by pl.max({name}, 1)"
            )


#: helper code object -> {name: the first ``a // name`` in the helper}. Static per helper, and
#: a helper is called thousands of times a run: its body is walked once.
_FLOOR_DIVISORS: dict[CodeType, dict[str, ast.BinOp]] = {}


def _floor_divisors(code: CodeType) -> dict[str, ast.BinOp]:
    if code not in _FLOOR_DIVISORS:
        found: dict[str, ast.BinOp] = {}
        node = _function_def(code)
        for n in ast.walk(node) if node is not None else ():
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv) and isinstance(
                n.right, ast.Name
            ):
                found.setdefault(n.right.id, n)
        _FLOOR_DIVISORS[code] = found
    return _FLOOR_DIVISORS[code]


def _function_def(code: CodeType) -> ast.FunctionDef | None:
    """The ``def`` of ``code`` in its module's cached tree (``_parsed``): the function of that
    name whose first line (its first decorator's, if any) is the code object's."""
    tree = _parsed(code.co_filename)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.FunctionDef) and node.name == code.co_name:
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            if first == code.co_firstlineno:
                return node
    return None


def _is_literal(value: Any) -> bool:
    return is_number(value) and not isinstance(value, Scalar)


def _annotations(fn) -> dict[str, Any]:
    """Parameter annotations of ``fn``, evaluated when the file defers them (strings)."""
    hints = {}
    for name, hint in getattr(fn, "__annotations__", {}).items():
        if isinstance(hint, str):
            try:
                hint = eval(hint, fn.__globals__)  # the kernel file's own annotation text
            except Exception:  # an annotation plsim cannot evaluate types nothing here
                continue
        hints[name] = hint
    return hints


#: (helper, calling code object, instruction offset) -> the call site's argument expressions by
#: parameter name (None: no call node, or *args / **kwargs there). A helper is called from the
#: same few sites thousands of times in a run; finding the node walks the caller's whole syntax
#: tree, which took most of a large run's time before this cache.
_WRITTEN: dict[tuple[Any, CodeType, int], dict[str, ast.expr] | None] = {}


def _written_arguments(fn, caller: FrameType) -> dict[str, ast.expr] | None:
    key = (fn, caller.f_code, caller.f_lasti)
    if key not in _WRITTEN:
        call = _call_node(caller)
        written = None
        if call is not None:
            try:
                written = dict(inspect.signature(fn).bind(*call.args, **{
                    k.arg: k.value for k in call.keywords if k.arg is not None
                }).arguments)  # fmt: skip
            except TypeError:  # *args / **kwargs at the call site: nothing to compare
                written = None
        _WRITTEN[key] = written
    return _WRITTEN[key]


def _check_tensor_arguments(fn, bound: inspect.BoundArguments, caller: FrameType | None) -> None:
    """DSLError for a tensor or tile argument written as an expression, not a name."""
    tensors = {n for n, v in bound.arguments.items() if isinstance(v, (GMTensor, Tile))}
    if not tensors or caller is None:
        return
    written = _written_arguments(fn, caller)
    if written is None:
        return
    for name in sorted(tensors):
        node = written.get(name)
        if node is not None and not isinstance(node, ast.Name):
            dsl(
                f"inline function {fn.__name__} gets '{ast.unparse(node)}' as tensor parameter "
                f"'{name}': the JIT infers a helper's tensor types from names only (\"missing "
                f"inferred tensor metadata for parameter '{name}'\", reported without a line); "
                f"assign it first, e.g. {name} = {ast.unparse(node)}, and pass {name}"
            )


def _call_node(frame: FrameType) -> ast.Call | None:
    """The ``ast.Call`` the frame is executing, found by the instruction's source position."""
    code = frame.f_code
    positions = list(code.co_positions()) if hasattr(code, "co_positions") else []
    index = frame.f_lasti // 2
    if not 0 <= index < len(positions):
        return None
    line, end_line, col, end_col = positions[index]
    if line is None or col is None:
        return None
    tree = _parsed(code.co_filename)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and node.lineno == line
            and node.col_offset == col
            and node.end_lineno == end_line
            and node.end_col_offset == end_col
        ):
            return node
    return None


_TREES: dict[str, tuple[list[str], ast.AST | None]] = {}


def _parsed(filename: str) -> ast.AST | None:
    """The module AST of ``filename`` (cached while the file's lines are unchanged)."""
    lines = linecache.getlines(filename)
    cached = _TREES.get(filename)
    if cached is not None and cached[0] == lines:
        return cached[1]
    try:
        tree = ast.parse("".join(lines)) if lines else None
    except SyntaxError:
        tree = None
    _TREES[filename] = (lines, tree)
    return tree
