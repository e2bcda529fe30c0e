"""Per-lane values of a kernel's local names across pl.split_aiv regions.

On chip each AIV lane of a core group runs a region's code on its own UB, so a name assigned
in one region keeps that lane's value in the next region of the same task (measured on
a2a3sim: tests/plsim_conformance/kernels/aiv_lane_state.py). plsim runs the lanes one after
the other in the kernel's own Python frame; this module saves, after each lane's pass through a
region, the names that pass assigned, and puts them back before that lane's next pass, so each
lane reads its own values. Names a lane did not assign hold what they held before the region.
The blocks of a ``pl.spmd`` launch run in phases between barriers keep their names the same way
from one phase to the next, a block in place of a lane (plsim.barriers).
"""

from __future__ import annotations

import ctypes
import sys
from types import FrameType
from typing import Any

_WRITE_THROUGH = sys.version_info >= (3, 13)  # PEP 667: frame.f_locals writes the frame


def _write_locals(frame: FrameType, values: dict[str, Any]) -> None:
    """Set local names of a running function frame."""
    if not values:
        return
    if _WRITE_THROUGH:
        for name, value in values.items():
            frame.f_locals[name] = value
        return
    # Before 3.13 f_locals is a snapshot dict; PyFrame_LocalsToFast copies it back.
    snapshot = frame.f_locals
    snapshot.update(values)
    ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


class LaneFrames:
    """The lanes' own values of one frame's names, for the regions of one task."""

    def __init__(self, lanes: int) -> None:
        self.lanes: list[dict[str, Any]] = [{} for _ in range(lanes)]

    def enter(self, frame: FrameType, lane: int, before_region: dict[str, Any]) -> dict[str, Any]:
        """Give ``frame`` the values ``lane`` sees at the start of its pass: what the names held
        before the region, then the lane's own from earlier regions. Returns the names' values
        now (compare with them in ``leave``)."""
        current = frame.f_locals
        restore = {n: v for n, v in before_region.items() if current.get(n) is not v}
        restore.update(self.lanes[lane])
        _write_locals(frame, restore)
        return dict(frame.f_locals)

    def leave(self, frame: FrameType, lane: int, at_enter: dict[str, Any]) -> None:
        """Record the names ``lane``'s pass assigned."""
        own = self.lanes[lane]
        for name, value in frame.f_locals.items():
            if name not in at_enter or at_enter[name] is not value:
                own[name] = value
