"""Loop-carried tiles of ``pl.range`` / ``pl.pipeline`` loops that ptoas cannot move.

pypto gives a value carried across iterations (``best = ...`` before the loop, rebound in the
body) one buffer, typed by its value at entry, and moves each iteration's new value into it with
a ``pto.tmov``. A column window of a row-major tile (``best = merged[:, 0:W]``) keeps its
parent's row length, and the A2/A3 tmov verifier refuses a move between row lengths ("'pto.tmov'
op expects A2/A3 non-mat tmov to use matching src/dst shapes"; pypto issue #2717; fixture
view_rule_kernels.column_window_carried). A row view of the whole tile (``pl.reshape(merged,
[2, W])[0:1, :]``) has the entry value's row length and moves.

``register`` records, when a kernel is prepared, the names each such loop rebinds; ``Watch``
checks them from the loop iterator as each iteration ends.
"""

from __future__ import annotations

import ast
from types import FrameType

from plsim import errors
from plsim.context import fail
from plsim.memory import Tile

#: (file, line of the ``for``) -> the names the loop body assigns.
CARRIED: dict[tuple[str, int], frozenset[str]] = {}
_LOOPS = ("range", "pipeline")


def register(filename: str, fdef: ast.FunctionDef, pl_names: set[str]) -> None:
    """Record the names assigned in the body of each pl.range / pl.pipeline loop of ``fdef``."""
    for node in ast.walk(fdef):
        if not isinstance(node, ast.For) or not isinstance(node.iter, ast.Call):
            continue
        func = node.iter.func
        if not (isinstance(func, ast.Attribute) and func.attr in _LOOPS
                and isinstance(func.value, ast.Name) and func.value.id in pl_names):  # fmt: skip
            continue
        names = {
            target.id
            for stmt in node.body
            for inner in ast.walk(stmt)
            if isinstance(inner, ast.Assign)
            for target in inner.targets
            if isinstance(target, ast.Name)
        }
        if names:
            CARRIED[(filename, node.lineno)] = frozenset(names)


class Watch:
    """The carried tiles of one running loop: their row length at entry, checked per iteration."""

    def __init__(self, frame: FrameType | None) -> None:
        self.frame = frame
        self.entry: dict[str, int] = {}
        self.location = None
        if frame is None:
            return
        key = (frame.f_code.co_filename, frame.f_lineno)
        names = CARRIED.get(key, ())
        self.location = key
        bound = frame.f_locals
        for name in names:
            value = bound.get(name)
            if isinstance(value, Tile) and value.ndim >= 2:
                self.entry[name] = value.phys_cols

    def check(self) -> None:
        """HardwareError if a carried tile now lies in rows of another length."""
        if not self.entry:
            return
        bound = self.frame.f_locals
        for name, cols in self.entry.items():
            value = bound.get(name)
            if isinstance(value, Tile) and value.ndim >= 2 and value.phys_cols != cols:
                fail(
                    errors.HardwareError,
                    f"'{name}' is carried across the iterations of this loop in a tile whose "
                    f"rows are {cols} wide, and the body rebinds it to a [.., {value.shape[-1]}] "
                    f"column window of a tile whose rows are {value.phys_cols} wide: pypto "
                    "accepts it, but the move into the carried tile is refused by ptoas "
                    "(\"'pto.tmov' op expects A2/A3 non-mat tmov to use matching src/dst "
                    "shapes\"; pypto issue #2717); take the window through a row view of the "
                    "whole tile, e.g. pl.reshape(merged, [2, W])[0:1, :]",
                    self.location,
                )
