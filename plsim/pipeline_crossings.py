"""Whether a ``pl.pipeline`` loop stays multi-buffered once its body crosses between the cores.

pypto lowers a cross-core ``pl.pipeline`` loop in its SkewCrossCorePipeline pass, before
LowerPipelineLoops copies loop bodies (the pass's description in the compiler's pass list). A
loop whose iterations hand tiles one way only (the cube pushing products that the AIVs pop) is
left to LowerPipelineLoops, which copies the body ``stage`` times with its own load buffers. A
loop whose iterations hand tiles both ways (a round trip: a product to the lanes and a
lane-made tile back to the cube) is demoted to a plain sequential loop, except a single round
trip with a compile-time trip count, which the pass runs one iteration ahead.

Measured with the toolchain (docs/dsl.md §4.5), a round-trip loop never ran pipelined:
- more than one round trip per iteration: sequential (one tmatmul per source matmul in the
  generated code, no prologue), with run-time and with constant bounds;
- one round trip, run-time bounds: sequential too;
- one round trip, a constant trip count of 4: the cube side unrolled, and a2a3sim hung.
So plsim credits no pipelining to a loop with crossings both ways (the cost model prices it as
the sequential loop it builds to); one-way loops keep their credit.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from plsim.checks import crossing_direction


class PipelineLoop:
    """The op clock (``STATE.seq``) at the start of each iteration of one ``pl.pipeline``
    loop."""

    __slots__ = ("depth", "starts")

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.starts: list[int] = []


def crosses_both_ways(loop: PipelineLoop, tiles: Sequence[Any]) -> bool:
    """Whether some iteration of ``loop``, once it has ended, made a tile that crossed cube ->
    vector and another that crossed vector -> cube (tiles: the task's base tiles in creation
    order, with their uses so far; the newest are the loop's last iteration's)."""
    if not loop.starts:
        return False
    directions: list[set[str]] = [set() for _ in loop.starts]
    for tile in reversed(tiles):
        if tile.created < loop.starts[0]:
            break
        direction = crossing_direction(tile)
        if direction is not None:
            # the iteration whose clock range holds the tile's creation
            directions[bisect.bisect_right(loop.starts, tile.created) - 1].add(direction)
    return any(len(d) == 2 for d in directions)
