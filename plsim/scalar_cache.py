"""The scalar unit's data cache, as the cost model counts it.

A scalar read of GM (``pl.read`` of a tensor in a task) is not a DMA transfer: the core's
scalar unit reads GM through its own data cache, which loads whole 64-byte cache lines, so the
next reads of the same line are served from the cache without touching GM (CANN's Ascend C
guide: "Reading/Writing Data by the Scalar Unit", where eight consecutive uint64 reads cost one
line fill; "Compute Units": the DCache is, for example, 16 KB, loaded in 64-byte cache lines).
plsim counts the line fills of each task's scalar reads here (``scalar_read_lines``) next to the
reads themselves, and the cost model prices the fills instead of the reads when the
``scalar_dcache`` term is on (plsim.scheduling).

What is assumed: each task starts with a cold cache of 16 KB (256 lines) replaced least recently
used, on a2a3 and a5 alike; buffers start on a line boundary; the stack and scalar writes take
no lines.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

#: Bytes per cache line (the documented fill unit).
LINE_BYTES = 64
#: Lines held (16 KB, the documented example size).
LINES = 16 * 1024 // LINE_BYTES


class LineCache:
    """The lines a task's scalar reads have filled, least recently used first."""

    def __init__(self, lines: int = LINES) -> None:
        self.capacity = lines
        self._lines: OrderedDict[tuple[Hashable, int], None] = OrderedDict()

    def clear(self) -> None:
        """A cold cache (a new task)."""
        self._lines.clear()

    def read(self, buffer: Hashable, byte_offset: int) -> bool:
        """Read the byte at ``byte_offset`` of ``buffer``; True when its line had to be filled."""
        key = (buffer, byte_offset // LINE_BYTES)
        if key in self._lines:
            self._lines.move_to_end(key)
            return False
        self._lines[key] = None
        if len(self._lines) > self.capacity:
            self._lines.popitem(last=False)
        return True
