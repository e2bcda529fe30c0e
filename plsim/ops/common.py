"""Shared plumbing of the op families: InCore checks, operand handling, result tiles, counts."""

from __future__ import annotations

import numpy as np

from plsim import aiv_placement, aiv_regions, errors, events
from plsim.context import STATE, dsl, fail, short_site
from plsim.memory import GMTensor, Tile, describe_origin, valid_box
from plsim.ops.loads import load
from plsim.ops.tile_signatures import bind_keywords
from plsim.ops.view_rules import propagate


def begin(op: str) -> None:
    """Start a compute op: it must run inside an InCore scope; advances the op sequence."""
    if not STATE.scopes:
        dsl(
            f"misplaced tensor op pl.{op}: compute ops must be inside an InCore scope "
            "(with pl.at(level=pl.Level.CORE_GROUP, name_hint=...), a pl.spmd body or a "
            "@pl.jit.incore function), not in orchestration"
        )
    STATE.seq += 1
    STATE.op = op


def check_poison(x: Tile, op: str) -> None:
    """UninitializedReadError if ``x`` has undefined cells inside its valid region.

    Most ops propagate undefined cells instead (garbage in padding rows is normal on the device
    as long as it never reaches an output); this is for uses where undefined data would escape:
    stores into kernel parameters, scalar reads, control flow.
    """
    if x.poison is None:
        return
    bad = x.poison[valid_box(x.valid)]
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        origin = describe_origin(x.poison_from or x.base.location)
        fail(
            errors.UninitializedReadError,
            f"pl.{op} reads {int(bad.sum())} undefined cell(s) inside the valid region "
            f"{list(x.valid)} of a {list(x.shape)} {x.dtype.name} tile (first at {first}); "
            f"they come from GM never written (pl.Out / pl.create_tensor) or from outside a "
            f"valid region. The undefined data comes from {origin}",
        )


def operand(x, op: str, *, cube: bool = False, store: bool = False) -> Tile:
    """Turn an op argument into a Tile (GM tensors are loaded whole), record its use."""
    if isinstance(x, GMTensor):
        x = load(x, [0] * x.ndim, list(x.shape))
        # The implicit load runs just before this op (same op sequence number): start its
        # liveness half a step earlier so it counts as used, not as dead code.
        x.base.created = STATE.seq - 0.5
    if not isinstance(x, Tile):
        dsl(f"pl.{op} expects a tile or tensor operand, got {type(x).__name__} {x!r}")
    base = x.base
    if STATE.aiv_regions and base.lane is not None:
        if base.lane != STATE.aiv_regions[-1][1]:
            _other_lanes_value(base, op)
        aiv_regions.check_carried(base, STATE.aiv_region_records[-1], op)
    elif STATE.aiv_regions and base.origin == "cube" and not (cube or store):
        aiv_regions.check_vector_read(base, STATE.aiv_region_records[-1], op)
    elif cube and base.region is not None and base.scope is STATE.scopes[-1]:
        aiv_regions.check_cube_read(base, op)
    scope = base.scope
    if scope is not None and scope is not STATE.scopes[-1] and scope not in STATE.scopes:
        # made in a task that has finished: the compiler outlines it through GM
        events.tile_outlined(base)
    base.last_use = STATE.seq
    if cube:
        base.used_cube = True
    elif store:
        base.stores += 1
    else:
        base.used_vector = True
        base.vector_view_bytes = max(base.vector_view_bytes, x.data.size * x.dtype.itemsize)
    return x


def _other_lanes_value(base: Tile, op: str) -> None:
    """Refuse a read, on one AIV lane, of a tile the other lane's pl.split_aiv region made.

    On chip each lane keeps its own values across the regions of a task. plsim hands each lane
    back the local names it assigned (plsim.lane_frames); a tile that reaches the other lane
    some other way (held in a container, a closure or a helper's frame across regions) would be
    the wrong lane's value, so plsim stops here rather than compute with it.
    """
    lane = STATE.aiv_regions[-1][1]
    dsl(
        f"pl.{op} on AIV lane {lane} reads a value made by AIV lane {base.lane} "
        f"({short_site(base.location)}): each lane keeps its own values across "
        "pl.split_aiv regions, and plsim keeps them per lane only for the local names of the "
        "function running the regions; keep a lane's running value in such a name, or store "
        "it to GM and load it back"
    )


def result(data: np.ndarray, dtype, valid, origin: str = "vector", poison=None, *sources) -> Tile:
    """A freshly allocated result tile; ``poison`` marks its undefined cells (see propagate)."""
    valid = tuple(int(v) for v in valid)
    if origin != "cube":
        aiv_placement.note_vector_op()
    if poison is not None and not poison[valid_box(valid)].any():
        poison = None
    origin_of_poison = None
    if poison is not None:
        origin_of_poison = next((s.poison_from for s in sources if s.poison is not None), None)
    out = Tile(data, dtype, valid, poison, origin=origin, poison_from=origin_of_poison)
    if any(isinstance(s, Tile) and s.runtime_valid is not None for s in sources):
        propagate(out, sources)
    tensor_level = False
    for s in sources:  # a plain loop: this runs once per op
        if isinstance(s, Tile):
            base = s.base
            if base.level == "tile":
                out.level = "tile"
            else:
                tensor_level = True
            if out.read_from is None and s.data.shape == data.shape:
                # An operand of the result's shape (elementwise, cast, expand): its read names
                # where the result's extent comes from.
                out.read_from = base.read_from
    if tensor_level and out.level == "tile":
        mixed_levels()
    return out


def is_tile_level(x) -> bool:
    """True for a tile-level value: made by pl.load / pl.create_tile / pl.move (or a pl.tile.*
    creation op) or computed from one; False for GM tensors and tensor-level values."""
    return isinstance(x, Tile) and x.base.level == "tile"


def mixed_levels() -> None:
    """pypto dispatches each op on its operands' level, all tensors or all tiles, and refuses a
    mix (its message: "cannot mix Tensor and Tile arguments ... All operands must be the same
    type level"; fixture matmul_family_kernels.mixed_levels)."""
    dsl(
        f"pl.{STATE.op} of tile-level and tensor-level operands: the compiler refuses the mix "
        "(\"cannot mix Tensor and Tile arguments ... All operands must be the same type level — "
        "either all Tensor or all Tile\"); load every operand (pl.load) or use tensor-level "
        "values only"
    )


def union(shape, *masks) -> np.ndarray | None:
    """Cell-wise OR of poison masks (None = nothing undefined), broadcast to ``shape``."""
    out = None
    for m in masks:
        if m is None:
            continue
        m = np.broadcast_to(m, shape)
        out = np.array(m, copy=True) if out is None else (out | m)
    return out


def count_vector(valid) -> None:
    """Add the valid elements an op produced to the scope's vector element operations."""
    n = 1
    for v in valid:
        n *= v
    events.vector_ops(n)


def dtype_arg(value, what: str):
    """A DType argument; DSLError otherwise."""
    from plsim.dtypes import DType

    if not isinstance(value, DType):
        dsl(f"{what} must be a pl dtype (pl.FP32, pl.INT8, ...), got {value!r}")
    return value


def tile_only(a: Tile, op: str) -> None:
    """Refuse a tensor-level operand of an op pypto declares on tiles only (its message: "The
    operator tile.<op> requires first argument to be a TileType, but got TensorType")."""
    if a.base.level != "tile":
        dsl(
            f"pl.{op} of a tensor-level value (a slice or a result computed from one): the "
            f"compiler has only the tile form (\"The operator tile.{op} requires first argument "
            "to be a TileType, but got TensorType\"); load the tile first (pl.load)"
        )


def first_operand_a_tile(fn, spelled: str):
    """``fn`` as pypto's tile-level op ``spelled`` (e.g. "pl.tile.add"): its first argument must
    be a tile-level value. pypto's tile ops type it as a Tile and refuse a tensor ("The operator
    tile.<op> requires first argument to be a TileType, but got TensorType"; fixture
    op_kernels.namespaced_spellings)."""

    op_name = spelled.rsplit(".", 1)[-1]

    def checked(*args, **kwargs):
        kwargs = bind_keywords(fn, op_name, kwargs, dsl)
        first = args[0] if args else next(iter(kwargs.values()), None)
        if isinstance(first, (GMTensor, Tile)) and not is_tile_level(first):
            dsl(f"{spelled} of a tensor-level value (a GM tensor, a slice, or a result computed "
                f"from one): the compiler takes a tile (\"The operator tile.{op_name} requires "
                "first argument to be a TileType, but got TensorType\"); load it first (pl.load)")
        return fn(*args, **kwargs)

    checked.__name__ = checked.__qualname__ = getattr(fn, "__name__", spelled)
    checked.__doc__ = f"{spelled}: {fn.__doc__ or ''}"
    return checked


def no_integer_zero_divisor(name: str, a: Tile, divisor) -> None:
    """DivisionByZeroError when an integer ``a`` is divided by a zero in a valid cell
    (``divisor``: a scalar, or an array of ``a``'s shape)."""
    if a.dtype.is_float:
        return
    cells = np.asarray(divisor)
    if cells.ndim:
        cells = cells[valid_box(a.valid)]
    if (cells == 0).any():
        fail(
            errors.DivisionByZeroError,
            f"pl.{name} of an {a.dtype.name} tile by zero in its valid region: undefined on the "
            "device, and a2a3sim's process dies of it (SIGFPE); keep the divisors nonzero (or "
            "select them away before dividing)",
        )


def measured_dtypes_only(a: Tile, op: str, dtypes: tuple, what: str) -> None:
    """Refuse a dtype plsim has no a2a3sim measurement of ``op`` for (``what`` names the
    measured ones), rather than guess its rounding or wrapping."""
    if a.dtype not in dtypes:
        dsl(f"pl.{op} of an {a.dtype.name} tile: plsim simulates it on {what} tiles, the dtype "
            "measured on a2a3sim")  # fmt: skip


def matching_tiles(op: str, first: Tile, *others: Tile) -> None:
    """Refuse operands of an elementwise op that differ from ``first`` in dtype, shape or valid
    region (the ops that take no broadcast)."""
    tiles = (first, *others)
    if any(t.dtype is not first.dtype or t.shape != first.shape or t.valid != first.valid
           for t in others):  # fmt: skip
        dsl(f"pl.{op} of {[t.dtype.name for t in tiles]} tiles {[list(t.shape) for t in tiles]} "
            f"(valid {[list(t.valid) for t in tiles]}): the operands must match")

