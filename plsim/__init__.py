"""plsim: a functional simulator of pypto.language kernels on NumPy.

``plsim.load(path)`` imports a kernel file with ``import pypto.language as pl`` bound to plsim;
``plsim.run(kernel, *args)`` executes a ``@pl.jit`` kernel on NumPy arrays with bit-level
numerics, memory/race/capacity checks and per-stage accounting; ``functional_only=True`` leaves
the accounting out. ``plsim.Observer`` is the base class of the run's observers (plsim.events).
"""

from plsim.accounting import NotCountedError, Run, StageStats, Traffic
from plsim.errors import (
    ArgumentError,
    CapacityError,
    DeadlockError,
    DivisionByZeroError,
    DSLError,
    DSLWarning,
    HardwareError,
    MiscompileError,
    OutOfBoundsError,
    RaceError,
    SimError,
    UninitializedReadError,
)
from plsim.events import Observer
from plsim.loader import load
from plsim.runner import run

__all__ = [
    "ArgumentError",
    "CapacityError",
    "DSLError",
    "DSLWarning",
    "DeadlockError",
    "DivisionByZeroError",
    "HardwareError",
    "MiscompileError",
    "NotCountedError",
    "Observer",
    "OutOfBoundsError",
    "RaceError",
    "Run",
    "SimError",
    "StageStats",
    "Traffic",
    "UninitializedReadError",
    "load",
    "run",
]
