"""Rules on tile views and cube operand shapes that the real toolchain enforces after pypto.

pypto (hw-native-sys/pypto e2d0f78a) accepts every kernel below; ``ptoas`` (the PTO assembler)
or pto-isa's ``Tile<>`` rejects some, and a2a3sim computes something else for others. Each rule
names its source; the fixtures, with the toolchain's verdicts, are in
tests/plsim_conformance/kernels/view_rule_kernels.py.

- a subview of a tile whose valid rows are a runtime value: PTOAS's pto.subview verifier
  compares the result's valid_shape with the inferred valid_row, "'pto.subview' op expects
  result valid_shape[0] to match inferred/explicit valid_row";
- a subview of a matmul accumulator whose valid region is not its whole shape: pypto emits a
  ``pto.set_validshape`` on the L0C tile, whose type has a static valid shape; PTOAS's
  pto.set_validshape verifier, "'pto.set_validshape' op expects source tile_buf to have dynamic
  validShape (?, ?)";
- a cast or a tile-to-tile move (assemble into a tile) whose source is a column window of a
  row-major tile: the window keeps its parent's row length, and PTOAS's pto.tcvt / pto.tmov
  verifiers want matching shapes (A2/A3, a non-Mat source): "'pto.tcvt' op expects src and
  dst to have compatible shapes"; "'pto.tmov' op expects A2/A3 non-mat tmov to use matching
  src/dst shapes" (pypto issue #2717); the same for an assemble into a column window of a
  wider tile;
- cube operands: pto-isa include/pto/common/pto_tile.hpp, ``Tile<>`` static_asserts "Layout
  rows must be divisible by inner box rows" / "Layout cols must be divisible by inner box
  cols"; PTOAS's pto.alloc_tile verifier says it first ("expects result boxed tile rows to be a
  multiple of innerRows (16)"); see check_cube_shapes;
- miscompiles (MiscompileError): a reshape of a tile subview at a runtime row offset reads
  from row 0; a proper subview of an on-chip tile as the ``b_trans=True`` operand of a
  matmul is never copied into the transposed tile pypto allocates for it.
"""

from __future__ import annotations

from plsim import errors
from plsim.context import fail
from plsim.memory import Tile
from plsim.scalars import Scalar


def runtime_flags(values) -> tuple[bool, ...] | None:
    """Per value: True if it is a runtime Scalar (not a Python constant); None if none is."""
    flags = tuple(isinstance(v, Scalar) for v in values)
    return flags if any(flags) else None


def propagate(out: Tile, sources) -> None:
    """Mark the axes of ``out`` whose valid extent is a runtime source's (same extent)."""
    flags = [False] * out.ndim
    for s in sources:
        if not isinstance(s, Tile) or s.runtime_valid is None or s.ndim != out.ndim:
            continue
        for axis, dynamic in enumerate(s.runtime_valid):
            if dynamic and s.valid[axis] == out.valid[axis]:
                flags[axis] = True
    out.runtime_valid = tuple(flags) if any(flags) else None


def check_subview(parent: Tile, valid_given: bool = False) -> None:
    """HardwareError for a subview ptoas refuses (see the module docstring). ``valid_given``:
    the slice states its valid shape (``pl.slice(..., valid_shape=)``), which the subview
    verifier takes as the result's valid rows, so a runtime-row parent is no longer refused
    (fixture view_rule_kernels.subview_runtime_rows_valid_given)."""
    if parent.base.origin == "cube" and tuple(parent.valid) != tuple(parent.shape):
        fail(
            errors.HardwareError,
            f"a subview of a matmul accumulator whose valid region {list(parent.valid)} is not "
            f"its whole {list(parent.shape)} shape: pypto accepts it, but the set_validshape it "
            "emits on the L0C tile is refused by ptoas (\"'pto.set_validshape' op expects "
            "source tile_buf to have dynamic validShape (?, ?)\"); compute on the whole "
            "accumulator (full valid rows, e.g. a matmul whose lhs is the whole tile) and cut "
            "the result after moving it to a vector tile (e.g. after pl.cast)",
        )
    if parent.runtime_valid is not None and parent.runtime_valid[0] and not valid_given:
        fail(
            errors.HardwareError,
            f"a subview of a {list(parent.shape)} tile whose valid rows are a runtime value: "
            "pypto accepts it, but ptoas refuses the pto.subview (\"'pto.subview' op expects "
            "result valid_shape[0] to match inferred/explicit valid_row\"); take the window "
            "from GM (pl.slice of the tensor with valid_shape=) or from a tile whose valid "
            "rows are constant",
        )


def check_reshape_source(x: Tile) -> None:
    """MiscompileError for a reshape of a subview at a runtime offset."""
    if x.runtime_offset:
        fail(
            errors.MiscompileError,
            f"pl.reshape of a {list(x.shape)} subview taken at a runtime row offset: pypto and "
            "ptoas accept it, but the reshape drops the offset and reads from row 0 (a2a3sim, "
            "fixture view_rule_kernels.reshape_of_runtime_row_window); reshape the whole tile "
            "first and take the row from the result, e.g. rows = pl.reshape(chunk, [n, w]) "
            "then rows[s:s + 1, :]",
        )


def check_b_trans_operand(b: Tile, name: str) -> None:
    """MiscompileError for a proper subview of an on-chip tile as a b_trans=True operand."""
    if b.base is not b and tuple(b.shape) != tuple(b.base.shape):
        fail(
            errors.MiscompileError,
            f"pl.{name}(..., b_trans=True) of a {list(b.shape)} window of a "
            f"{list(b.base.shape)} on-chip tile: pypto allocates a fresh transposed tile for "
            "the operand and never fills it from the window (wrong results on a2a3sim, "
            "fixture view_rule_kernels.b_trans_tile_window); pass the GM window itself "
            "(e.g. q[r0:r0 + n, :]) or a whole tile",
        )


def check_cast_source(x: Tile) -> None:
    """HardwareError for a cast of a column window of a vector tile (pto.tcvt verifier)."""
    if x.ndim >= 2 and x.phys_cols != x.shape[-1] and x.base.origin != "cube":
        fail(
            errors.HardwareError,
            f"pl.cast of a [.., {x.shape[-1]}] column window of a tile whose rows are "
            f"{x.phys_cols} wide: pypto accepts it, but ptoas refuses the tcvt (\"'pto.tcvt' "
            "op expects src and dst to have compatible shapes\"); cast the whole tile and cut "
            "the result, or take the window through a row view (pl.reshape of the whole tile, "
            "then a row slice)",
        )


def check_tile_move(src: Tile, target: Tile) -> None:
    """HardwareError for an assemble into a tile that is a tmov between row lengths."""
    if src.base.origin == "cube" or target.base.origin == "cube":
        return  # an accumulator leaves L0C through its own path (not measured here)
    if src.ndim >= 2 and target.ndim >= 2 and src.phys_cols != target.phys_cols:
        what = (
            f"a column window of a tile whose rows are {src.phys_cols} wide"
            if src.phys_cols != src.shape[-1]
            else f"a {list(src.shape)} tile"
        )
        fail(
            errors.HardwareError,
            f"assemble of {what} into a tile whose rows are {target.phys_cols} wide: pypto "
            "accepts it, but the tile-to-tile move it emits needs one row length on both sides "
            "(ptoas: \"'pto.tmov' op expects A2/A3 non-mat tmov to use matching src/dst "
            "shapes\"; pypto issue #2717); assemble whole rows (a source as wide as the "
            "target), or build the row through a row view (pl.reshape, then a row slice)",
        )


#: Rows of the 512-byte fractal's inner box of L1/L0 cube tiles (pto_tile.hpp fixedRowSize).
_BOX_ROWS = 16


def check_cube_shapes(
    name: str, a: Tile, b: Tile, a_trans, b_trans, m: int, n: int, row_vector: bool = False
) -> None:
    """HardwareError for a cube operand or accumulator shape off the fractal grid.

    pypto stores each operand in L1 as a boxed (NZ) tile of its stored shape (``[M, K]``, or
    ``[K, M]`` with a_trans; ``[K, N]``, or ``[N, K]`` with b_trans): rows a multiple of 16 and
    columns a multiple of 32 bytes (pto_tile.hpp: InnerRows = 16, InnerCols = 32 /
    sizeof(T) for SLayout::RowMajor). The accumulator ``[M, N]`` is a 16 x 16 boxed L0C tile
    (fractalCSize). So M and N are multiples of 16 whatever the dtype, and an FP32 K of a
    non-transposed rhs too (its L1 rows); PTOAS's pto.alloc_tile verifier reports the first one it
    meets: "expects result boxed tile rows to be a multiple of innerRows (16), but got 8".
    ``row_vector``: a one-row lhs (gemv, or pl.matmul with M = 1), which pypto stores unboxed
    ([1, K] row_major in L1) with a [1, N] accumulator; ptoas builds it.
    """
    box_cols = 32 // a.dtype.itemsize
    stored = (
        ("lhs", a.shape[-2:], "[K, M] (a_trans)" if a_trans else "[M, K]"),
        ("rhs", b.shape[-2:], "[N, K] (b_trans)" if b_trans else "[K, N]"),
    )
    for side, (rows, cols), layout in stored:
        if row_vector and side == "lhs":
            rows = _BOX_ROWS
        if rows % _BOX_ROWS or cols % box_cols:
            bad = (
                f"{rows} rows (a multiple of {_BOX_ROWS} is needed)"
                if rows % _BOX_ROWS
                else f"{cols} columns (a multiple of {box_cols} {a.dtype.name} = 32 bytes)"
            )
            fail(
                errors.HardwareError,
                f"pl.{name}: the {side} is stored in L1 as {layout} = [{rows}, {cols}] with "
                f"{bad}: pypto accepts it, but pto-isa's boxed cube tile does not (ptoas: "
                "\"'pto.alloc_tile' op expects result boxed tile rows/cols to be a multiple of "
                "innerRows/innerCols\"; pto_tile.hpp \"Layout rows must be divisible by inner "
                "box rows\"); zero-pad the operand to the next multiple (and give the real "
                "extent with valid_shape=)",
            )
    for what, extent in (("N", n),) if row_vector else (("M", m), ("N", n)):
        if extent % _BOX_ROWS:
            fail(
                errors.HardwareError,
                f"pl.{name}: {what} = {extent} is not a multiple of {_BOX_ROWS}: the [M, N] "
                "accumulator is a 16 x 16 boxed L0C tile (pto_tile.hpp fractalCSize); pad "
                f"{what} to {-(-extent // _BOX_ROWS) * _BOX_ROWS} (valid_shape= keeps the real "
                "extent)",
            )
