"""pypto's AivSplitValid placement rules for pl.split_aiv regions, checked per task.

In a function that opens a ``pl.split_aiv`` region the regions say where vector work runs, so
pypto's IR verifier (AivSplitValid, after ConvertTensorToTileOps) refuses a vector op outside
every region ("sits outside every pl.split_aiv region, but this function already opens one ...
this op has no lane to run on"), a cube op inside one ("the region body is AIV work, so cube
ops do not belong in it"), and a scope that has both ``optimizations=[pl.split(...)]`` and
regions ("mutually exclusive AIV-split mechanisms"). Measured with pypto on the decode
indexer (a ``pl.read`` of a UB tile outside the regions of the two-AIV score stage) and on the
fixtures of tests/plsim_conformance/kernels/aiv_placement_kernels.py.

Not checked here: the other AivSplitValid / LowerAutoVectorSplit rules docs/dsl.md §4.5 lists
(loads without the lane in a region with a crossing, reductions over the split axis, values
carried out of a loop).
"""

from __future__ import annotations

from plsim.context import STATE, Scope, dsl, kernel_location
from plsim.errors import DSLError


def note_vector_op() -> None:
    """Record the task's first vector op outside every pl.split_aiv region (checked when the
    task ends: a region may open after it)."""
    if not STATE.scopes or STATE.aiv_regions:
        return
    scope = STATE.scopes[-1]
    if scope.unsplit_vector_op is None:
        file, line = kernel_location()
        scope.unsplit_vector_op = (STATE.op, file, line)


def note_region(scope: Scope) -> None:
    """A pl.split_aiv region opens in ``scope``: refuse it next to a scope-level pl.split."""
    if scope.vector_split:
        dsl(
            f"pl.split_aiv region in scope '{scope.name}', which also has "
            "optimizations=[pl.split(UP_DOWN/LEFT_RIGHT)]: pypto refuses the two AIV-split "
            "mechanisms together (they are mutually exclusive); keep one of them"
        )
    scope.aiv_region_opened = True


def check_cube_op(op: str) -> None:
    """Refuse a cube op inside a pl.split_aiv region."""
    if STATE.aiv_regions:
        dsl(
            f"pl.{op} inside a pl.split_aiv region: pypto refuses it (AivSplitValid: the region "
            "body is AIV work, so cube ops do not belong in it); run the matmul before the "
            "region and hand its result to the lanes with pl.aiv_shard"
        )


def check_task(scope: Scope) -> None:
    """At the end of a task that opened a region: refuse a vector op it ran outside them."""
    if not scope.aiv_region_opened or scope.unsplit_vector_op is None:
        return
    op, file, line = scope.unsplit_vector_op
    raise DSLError(
        f"{file}:{line} [scope '{scope.name}']: vector op pl.{op} runs outside every "
        "pl.split_aiv region of a task that opens one: pypto refuses it (AivSplitValid: the "
        "regions are authoritative for where vector work runs, and this op has no lane to run "
        "on); move it into a region, or wrap it in its own 'for _ in pl.split_aiv(2, "
        "mode=pl.SplitMode.NONE):'"
    )
