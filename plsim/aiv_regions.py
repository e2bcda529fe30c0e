"""pl.split_aiv regions as the compiler sorts them: with a crossing, or data-parallel.

pypto treats a region with no ``pl.aiv_shard`` / ``pl.aic_gather`` in it as data-parallel work
and halves its tiles along the split axis (docs/dsl.md §4.5: a ``pl.full([16, 32])`` there
became ``[8, 32]`` per lane). A tile made there is not carried to a later region: the code
generation stops with "no MLIR mapping for MemRef base" (measured with this toolchain on
UP_DOWN and LEFT_RIGHT regions; fixtures in tests/plsim_conformance/kernels/
plain_region_kernels.py). A tile of one row in an UP_DOWN region is not halved and is carried
(it builds and passes on a2a3sim), so the rule covers tiles longer than one along the split
axis. The same tile made in a region that pops a product is carried (the decode score stages
make their lane state that way).
"""

from __future__ import annotations

from typing import Any

from plsim.context import dsl
from plsim.language_types import SplitMode


class AivRegion:
    """One pl.split_aiv region (both lanes' passes): its mode, where it opens, whether a
    pl.aiv_shard / pl.aic_gather ran in it."""

    __slots__ = ("crossed", "location", "mode")

    def __init__(self, mode: SplitMode, location: tuple[str, int]) -> None:
        self.mode = mode
        self.location = location
        self.crossed = False


def _halved(tile: Any, mode: SplitMode) -> bool:
    """Whether a data-parallel region of ``mode`` halves ``tile`` (more than one row or column
    along the split axis; a 1-D tile counts as one row)."""
    if mode is SplitMode.UP_DOWN:
        return tile.data.ndim == 2 and tile.data.shape[0] > 1
    if mode is SplitMode.LEFT_RIGHT:
        return tile.data.shape[-1] > 1
    return False


def check_carried(base: Any, current: AivRegion, op: str) -> None:
    """Refuse a read, in region ``current``, of a halved tile made in an earlier region that
    crossed nothing (module docstring)."""
    made_in = base.region
    if made_in is None or made_in is current or made_in.crossed:
        return
    if not _halved(base, made_in.mode):
        return
    file, line = made_in.location
    dsl(
        f"pl.{op} reads a tile made in the pl.split_aiv region at {file.rsplit('/', 1)[-1]}:"
        f"{line}, which has no pl.aiv_shard / pl.aic_gather: pypto halves such a region as "
        "data-parallel work and does not carry its tiles to a later region (its code "
        "generation stops with \"no MLIR mapping for MemRef base\"); make a lane's state in a "
        "region that pops a product (pl.aiv_shard), or keep it to one row"
    )
