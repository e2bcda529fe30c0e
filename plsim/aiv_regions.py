"""pl.split_aiv regions as the compiler sorts them (with a crossing, or data-parallel), and
the reductions it refuses in them and in a ``pl.split`` scope.

pypto treats a region with no ``pl.aiv_shard`` / ``pl.aic_gather`` in it as data-parallel work
and halves its tiles along the split axis (docs/dsl.md §4.5: a ``pl.full([16, 32])`` there
became ``[8, 32]`` per lane). A tile made there is not carried to a later region: the code
generation stops with "no MLIR mapping for MemRef base" (measured with this toolchain on
UP_DOWN and LEFT_RIGHT regions; fixtures in tests/plsim_conformance/kernels/
plain_region_kernels.py). A tile of one row in an UP_DOWN region is not halved and is carried
(it builds and passes on a2a3sim), so the rule covers tiles longer than one along the split
axis. The same tile made in a region that pops a product is carried (the decode score stages
make their lane state that way).

A row or column reduction over the split axis (``pl.col_*`` under UP_DOWN, ``pl.row_*`` under
LEFT_RIGHT) would reduce each lane's half only: pypto refuses it inside a region
(AivSplitValid: "reduces over the split axis (dim 0) inside a pl.split_aiv region, producing a
partial reduction") and in a scope with ``optimizations=[pl.split(...)]`` (SplitVectorKernel:
"partial reduction in a split kernel is not supported"). Measured on fixtures in
tests/plsim_conformance/kernels/split_reduction_kernels.py; a reduction over the other axis
builds and runs (``pl.row_sum`` in an UP_DOWN region passes on a2a3sim).

A value made in a region reaches the cube only through ``pl.aic_gather``: a cube op that reads
a region's tile after the region is refused by pypto (AivSplitValid: "is defined inside a
pl.split_aiv region but 'tile.matmul' reads it on the CUBE lane outside that region, so the
value crosses the AIV -> AIC boundary implicitly"; fixture ``lane_tile_to_the_cube`` in
tests/plsim_conformance/kernels/aic_gather_kernels.py). The other way, a vector op in an
UP_DOWN / LEFT_RIGHT region that reads a cube product the region never brought in with
``pl.aiv_shard`` is refused too ("produced on the CUBE lane ... outside every pl.split_aiv
region, but 'tile.adds' reads it on the VECTOR lane inside one"; fixture
``product_read_whole_in_region``). A region that shards the product and also reads it whole is
not caught, nor a NONE region (not measured).
"""

from __future__ import annotations

from typing import Any

from plsim.context import STATE, dsl, short_site
from plsim.language_types import SplitMode


class AivRegion:
    """One pl.split_aiv region (both lanes' passes): its mode, where it opens, whether a
    pl.aiv_shard / pl.aic_gather ran in it, and the cube tiles (ids of their bases) it brought
    in with pl.aiv_shard."""

    __slots__ = ("crossed", "location", "mode", "sharded")

    def __init__(self, mode: SplitMode, location: tuple[str, int]) -> None:
        self.mode = mode
        self.location = location
        self.crossed = False
        self.sharded: set[int] = set()


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
    dsl(
        f"pl.{op} reads a tile made in the pl.split_aiv region at {short_site(made_in.location)}"
        ", which has no pl.aiv_shard / pl.aic_gather: pypto halves such a region as "
        "data-parallel work and does not carry its tiles to a later region (its code "
        "generation stops with \"no MLIR mapping for MemRef base\"); make a lane's state in a "
        "region that pops a product (pl.aiv_shard), or keep it to one row"
    )


def check_reduction(name: str, axis: int, tile: Any) -> None:
    """Refuse ``pl.<name>`` (a reduction over ``axis``) of ``tile`` over the split axis of the
    innermost pl.split_aiv region or of a ``pl.split`` scope (module docstring); a tile of one
    row or column along that axis is not halved and passes."""
    if STATE.aiv_region_records:
        mode, where = STATE.aiv_region_records[-1].mode, "region"
    elif STATE.scopes and STATE.scopes[-1].split_mode is not None:
        mode, where = STATE.scopes[-1].split_mode, "scope"
    else:
        return
    if mode is SplitMode.NONE:
        return
    ndim = tile.data.ndim
    split = ndim - 2 if mode is SplitMode.UP_DOWN else ndim - 1
    if axis % ndim != split or tile.data.shape[split] <= 1:
        return
    if where == "region":
        dsl(
            f"pl.{name} reduces over the split axis (dim {split}) inside a pl.split_aiv "
            f"{mode.name} region, producing a partial reduction (pypto's AivSplitValid refuses "
            "it); reduce the non-split axis, or gather the lanes back (pl.aic_gather) first"
        )
    dsl(
        f"pl.{name} reduces on the split axis (dim {split}) in a scope with "
        f"optimizations=[pl.split({mode.name})]: pypto's SplitVectorKernel refuses it "
        "(\"partial reduction in a split kernel is not supported\"); reduce the other axis, "
        "or move the reduction to a scope without the split"
    )


def check_cube_read(base: Any, op: str) -> None:
    """Refuse a cube op's read of a tile made in a pl.split_aiv region and not handed over by
    pl.aic_gather (module docstring)."""
    dsl(
        f"pl.{op} reads on the cube a tile made inside a pl.split_aiv region "
        f"({short_site(base.location)}): the value would cross from the AIVs to the cube "
        "implicitly, which pypto refuses (AivSplitValid); hand it over with "
        "pl.aic_gather(...) inside the region and read the gathered value"
    )


def check_vector_read(base: Any, current: AivRegion, op: str) -> None:
    """Refuse a vector op's read, in region ``current``, of a cube product the region did not
    bring in with pl.aiv_shard (module docstring)."""
    if current.mode is SplitMode.NONE or id(base) in current.sharded:
        return
    dsl(
        f"pl.{op} reads, inside a pl.split_aiv region, the cube's product made at "
        f"{short_site(base.location)}: the value would cross from the cube to the AIVs "
        "implicitly, which pypto refuses (AivSplitValid); bring it in with pl.aiv_shard(...) "
        "in the region and read the sharded value"
    )
