"""The simulator's run-time state: the active run, scope stack, loop trackers, error locations."""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

from plsim import errors

_PLSIM_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_INSIDE_PLSIM: dict[Any, bool] = {}  # code object -> defined in plsim (a per-op hot path)

#: Depth of the cube<->vector ring buffers ExpandMixedKernel reserves in a mixed scope when
#: the scope sets none (pypto ``cross_core_pipe::kDefaultAutoPipeSlotNum``, every direction).
DEFAULT_CROSS_CORE_SLOT_NUM = 2


def kernel_location() -> tuple[str, int]:
    """(file, line) of the innermost kernel-source frame on the stack (the first non-plsim one)."""
    frame = sys._getframe(1)
    inside = _INSIDE_PLSIM
    while frame is not None:
        code = frame.f_code
        is_plsim = inside.get(code)
        if is_plsim is None:
            is_plsim = inside[code] = code.co_filename.startswith(_PLSIM_DIR)
        if not is_plsim:
            return code.co_filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


@dataclass(eq=False)
class Scope:
    """One task: an entry of a ``pl.at`` / ``pl.spmd`` block / ``@pl.jit.incore`` call."""

    name: str
    task_index: int
    file: str
    line: int
    vector_split: bool = False  # pl.split(UP_DOWN/LEFT_RIGHT): each AIV lane holds half
    split_mode: Any = None  # that pl.split's mode (a pl.split_aiv region's is in STATE)
    # Ring depth of the cube<->vector transfers: pl.cross_core_slot(slot_num=N) or the
    # deprecated pl.split(mode, slot_num=N); see checks.cross_core_rings.
    slot_num: int = DEFAULT_CROSS_CORE_SLOT_NUM
    tiles: list[Any] = field(default_factory=list)  # base tiles created in this task
    spmd_block: bool = False  # a block of `for i in pl.spmd(N)`: its body is the InCore kernel
    # The AIV lanes' own values of local names across pl.split_aiv regions, per kernel frame
    # (plsim.lane_frames).
    lane_frames: dict[int, Any] = field(default_factory=dict)
    # pypto's AivSplitValid placement rule (plsim.aiv_placement): whether the task opened a
    # pl.split_aiv region, and the first vector op it ran outside every region.
    aiv_region_opened: bool = False
    unsplit_vector_op: tuple[str, str, int] | None = None


class State:
    """Global simulator state; ``recorder`` is None outside plsim.run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything about the current run."""
        self.recorder: Any = None
        self.scopes: list[Scope] = []
        self.block_indices: list[Any] = []
        self.block_counts: list[int] = []  # block count of each enclosing pl.spmd
        self.loop_carries: list[Any] = []
        self.seq = 0
        self.shuffle_rng: Any = None
        # Distributed runs (plsim.ranks): the host run while a @pl.jit.host body executes, and
        # the rank whose chip orchestration is executing (None in single-device runs).
        self.host: Any = None
        self.rank: int | None = None
        # Enclosing pl.split_aiv regions: (mode, lane, lanes) of each, innermost last.
        self.aiv_regions: list[tuple[Any, int, int]] = []
        # One record per enclosing pl.split_aiv region (both lanes' passes), innermost last:
        # whether it crossed between the cores (plsim.aiv_regions.AivRegion).
        self.aiv_region_records: list[Any] = []
        # Per enclosing region, the tiles its pl.aic_gather calls rejoin from the lanes' halves
        # (plsim.control.aic_gather), innermost last.
        self.aic_gathers: list[dict] = []
        self.op = ""  # the pl op running (set by plsim.ops.common.begin)
        # launch state of each enclosing `with pl.spmd(N)` whose sole pl.at is the task
        self.spmd_carriers: list[dict[str, bool]] = []

    @property
    def in_core(self) -> bool:
        """True inside an InCore scope."""
        return bool(self.scopes)

    @property
    def scope_name(self) -> str:
        """Innermost scope name_hint, or 'orchestration'."""
        return self.scopes[-1].name if self.scopes else "orchestration"


STATE = State()


def short_site(location: tuple | None) -> str:
    """``file.py:line`` of a (file, line, ...) site, the file without its folders; ``?:0``
    for none."""
    file, line = location[:2] if location else ("?", 0)
    return f"{file.rsplit('/', 1)[-1]}:{line}"


def where(location: tuple[str, int] | None = None) -> str:
    """Message prefix ``file:line [scope 'name']`` for the current kernel position."""
    file, line = location if location is not None else kernel_location()
    rank = "" if STATE.rank is None else f"rank {STATE.rank}, "
    return f"{file}:{line} [{rank}scope '{STATE.scope_name}']"


def fail(cls: type[errors.SimError], message: str, location: tuple[str, int] | None = None):
    """Raise ``cls`` with the kernel location and scope prefixed to ``message``."""
    raise cls(f"{where(location)}: {message}")


#: Code objects of the kernel functions plsim prepared (to find the kernel line of an error).
KERNEL_CODES: set[Any] = set()

#: Python errors a kernel can trigger by misusing a pl op or Python syntax the DSL allows
#: (wrong argument count/type, a bad value); they are reported as DSLErrors at the kernel line.
PYTHON_ERRORS = (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, NameError)


def _traceback_location(tb) -> tuple[str, int] | None:
    """(file, line) of the innermost kernel frame in a traceback, else of the innermost frame
    outside plsim that called into plsim."""
    kernel = None
    caller = None
    previous_outside = None
    while tb is not None:
        code = tb.tb_frame.f_code
        filename = code.co_filename
        if code in KERNEL_CODES:
            kernel = (filename, tb.tb_lineno)
        inside = filename.startswith(_PLSIM_DIR)
        if inside and previous_outside is not None and caller is None:
            caller = previous_outside
        previous_outside = None if inside else (filename, tb.tb_lineno)
        tb = tb.tb_next
    return kernel or caller


def as_dsl_error(exc: BaseException, scope_name: str) -> errors.DSLError | None:
    """A DSLError naming the kernel file:line and scope for a plain Python error raised while a
    kernel runs, or None when ``exc`` is not one (SimErrors and user-callback errors pass)."""
    if isinstance(exc, errors.SimError) or not isinstance(exc, PYTHON_ERRORS):
        return None
    if getattr(exc, "_plsim_passthrough", False):
        return None
    location = _traceback_location(exc.__traceback__) or ("<unknown>", 0)
    return errors.DSLError(
        f"{location[0]}:{location[1]} [scope '{scope_name}']: {type(exc).__name__}: {exc} "
        "(a pl call with wrong arguments, or Python the pypto parser would not accept)"
    )


def dsl(message: str) -> errors.DSLError:
    """Raise a DSLError at the current kernel location."""
    fail(errors.DSLError, message)


def warn(message: str, stacklevel: int = 1) -> None:
    """Issue a DSLWarning with the kernel location prefixed to ``message``; ``stacklevel``
    counts from the caller (1: the caller's own frame), as for ``warnings.warn``."""
    warnings.warn(errors.DSLWarning(f"{where()}: {message}"), stacklevel=stacklevel + 1)


def platform_name(default: str = "a2a3") -> str:
    """The name of the running simulation's platform, or ``default`` outside a run."""
    return STATE.recorder.platform.name if STATE.recorder is not None else default
