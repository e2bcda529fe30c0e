"""The simulator's run-time state: the active run, scope stack, loop trackers, error locations."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from plsim import errors

_PLSIM_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def kernel_location() -> tuple[str, int]:
    """(file, line) of the innermost kernel-source frame on the stack (the first non-plsim one)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PLSIM_DIR):
            return filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


@dataclass(eq=False)
class Scope:
    """One task: an entry of a ``pl.at`` / ``pl.spmd`` block / ``@pl.jit.incore`` call."""

    name: str
    task_index: int
    file: str
    line: int
    stats: Any = None  # the StageStats of this scope's name_hint
    vector_split: bool = False  # pl.split(UP_DOWN/LEFT_RIGHT): each AIV lane holds half
    tiles: list[Any] = field(default_factory=list)  # base tiles created in this task


class State:
    """Global simulator state; ``recorder`` is None outside plsim.run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything about the current run."""
        self.recorder: Any = None
        self.scopes: list[Scope] = []
        self.block_indices: list[Any] = []
        self.race_trackers: list[Any] = []
        self.loop_carries: list[Any] = []
        self.seq = 0
        self.shuffle_rng: Any = None

    @property
    def in_core(self) -> bool:
        """True inside an InCore scope."""
        return bool(self.scopes)

    @property
    def scope_name(self) -> str:
        """Innermost scope name_hint, or 'orchestration'."""
        return self.scopes[-1].name if self.scopes else "orchestration"

    def tick(self) -> int:
        """Advance and return the op sequence counter (used for tile liveness)."""
        self.seq += 1
        return self.seq


STATE = State()


def where(location: tuple[str, int] | None = None) -> str:
    """Message prefix ``file:line [scope 'name']`` for the current kernel position."""
    file, line = location if location is not None else kernel_location()
    return f"{file}:{line} [scope '{STATE.scope_name}']"


def fail(cls: type[errors.SimError], message: str, location: tuple[str, int] | None = None):
    """Raise ``cls`` with the kernel location and scope prefixed to ``message``."""
    raise cls(f"{where(location)}: {message}")


def dsl(message: str) -> errors.DSLError:
    """Raise a DSLError at the current kernel location."""
    fail(errors.DSLError, message)
