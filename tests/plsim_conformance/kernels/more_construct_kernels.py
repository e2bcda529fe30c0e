"""Conformance kernels for constructs found in public pypto-lib kernels: pl.dump_tag,
pl.tile.get_block_num / get_subblock_idx, pl.tile.fillpad_inplace, pl.move, and jit-family
decorators with keyword arguments."""

import pypto.language as pl

ROWS = 8
COLS = 64
BLOCKS = 4
VALID_ROWS = 5
VALID_COLS = 40


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "block_num_outside_spmd": "compiles",
    "block_numbers": "compiles",
    "dump_tag_in_incore": (
        "rejected: pl.dump_tag() is only valid inside an Orchestration or Inline function"
    ),
    "dump_tag_subscript": "rejected: pl.dump_tag() argument must be a bare variable name",
    "dump_tag_two_args": (
        "rejected: pl.dump_tag() takes exactly one positional argument (no keywords)"
    ),
    "fillpad_in_place": "compiles",
    "fillpad_inplace_on_tensor": "rejected: requires first argument to be a TileType",
    "move_to_gm": "rejected: No codegen registered for operation: tensor.alloc",
    "moved_copy": "compiles",
    "subblock_in_split_scope": (
        "gap: plsim runs a split scope's vector code as one lane and refuses per-lane "
        "indexing; the compiler compiles it"
    ),
    "spmd_zero_blocks": "hardware: the runtime asserts block_num >= 1",
    "subblock_lane": "compiles",
    "tagged_scale": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "block_num_outside_spmd": "pass",
    "block_numbers": "pass",
    "dump_tag_in_incore": (
        "not run: ParserSyntaxError: pl.dump_tag() is only valid inside an Orchestration "
        "or Inline function"
    ),
    "dump_tag_subscript": (
        "not run: ParserSyntaxError: pl.dump_tag() argument must be a bare variable name"
    ),
    "dump_tag_two_args": (
        "not run: ParserSyntaxError: pl.dump_tag() takes exactly one positional argument "
        "(no keywords)"
    ),
    "fillpad_in_place": "pass",
    "fillpad_inplace_on_tensor": (
        "not run: InvalidOperationError: pl.tile operation 'fillpad_inplace': The "
        "operator tile.fillpad_inplace requires first argument to be a TileType, but got "
        "TensorType"
    ),
    "move_to_gm": "not run: No codegen registered for operation: tensor.alloc",
    "moved_copy": "pass",
    "subblock_in_split_scope": "ran: plsim refuses it (DSLError)",
    "spmd_zero_blocks": "ran: plsim refuses it (HardwareError); a2a3sim's run fails",
    "subblock_lane": "pass",
    "tagged_scale": "pass",
}


@pl.jit.inline(auto_scope=False)
def _scaled(src: pl.Tensor, dst: pl.Tensor):
    """An inline helper declared with decorator keyword arguments."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scale"):
        dst[:, :] = pl.mul(src[:, :], 3.0)
    return dst


@pl.jit(auto_scope=True)
def tagged_scale(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    """dump_tag on inputs, outputs and a tile inside pl.at: no functional effect."""
    pl.dump_tag(x)
    out = _scaled(x, out)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tagged_tile"):
        t = pl.add(out[:, :], 1.0)
        pl.dump_tag(t)
        out[:, :] = t
    pl.dump_tag(out)
    return out


@pl.jit
def spmd_zero_blocks(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    """A launch whose block count comes to 0 from the shapes: pypto builds it (a literal 0, or
    an expression it folds to 0, is refused by its parser: "core_num must be a positive
    integer")."""
    blocks = x.shape[0] // ROWS - 1
    with pl.spmd(blocks):  # noqa: SIM117 (one context manager per with) @zero_blocks
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="no_blocks"):
            out[:, :] = pl.add(x[:, :], 1.0)
    return out


@pl.jit
def block_numbers(
    out: pl.Out[pl.Tensor[[BLOCKS, COLS], pl.INT32]],
):
    """Each block writes (block_idx * 100 + block_num) into its row."""
    for b in pl.spmd(BLOCKS, name_hint="blocks"):
        value = b * 100 + pl.tile.get_block_num()
        ones = pl.full([1, COLS], dtype=pl.INT32, value=1)
        out[b : b + 1, :] = pl.mul(ones, pl.cast(value, pl.INT32))
    return out


@pl.jit
def subblock_lane(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    """Stores at a row offset computed from the AIV lane index (0 for an unsplit scope)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="lane"):
        lane = pl.tile.get_subblock_idx()
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(t, [lane * ROWS, 0], out)
    return out


@pl.jit
def fillpad_in_place(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    """Partial load, pad in place with -inf, then store the full tile."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fillpad_inplace"):
        t = pl.set_validshape(pl.load(x, [0, 0], [ROWS, COLS]), VALID_ROWS, VALID_COLS)
        padded = pl.tile.fillpad_inplace(t, pad_value=pl.PadValue.min)
        pl.store(padded, [0, 0], out)
    return out


@pl.jit
def moved_copy(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    """A tile moved to Vec and back keeps its values."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="move"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        v = pl.move(t, target_memory=pl.MemorySpace.Vec)
        w = pl.tile.move(v, pl.Mem.Vec)
        pl.store(pl.add(w, 0.5), [0, 0], out)
    return out


# --- misuse ----------------------------------------------------------------------------------
@pl.jit
def dump_tag_two_args(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    pl.dump_tag(x, out)
    return out


@pl.jit
def dump_tag_subscript(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    pl.dump_tag(x[0:1, :])
    return out


@pl.jit.incore
def _incore_with_tag(x: pl.Tensor, out: pl.Out[pl.Tensor]):
    pl.dump_tag(x)
    out[:, :] = pl.add(x[:, :], 1.0)
    return out


@pl.jit
def dump_tag_in_incore(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    out = _incore_with_tag(x, out)
    return out


@pl.jit
def block_num_outside_spmd(
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="no_spmd"):
        n = pl.tile.get_block_num()
        ones = pl.full([ROWS, COLS], dtype=pl.INT32, value=1)
        out[:, :] = pl.mul(ones, pl.cast(n, pl.INT32))
    return out


@pl.jit
def subblock_in_split_scope(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(
        level=pl.Level.CORE_GROUP,
        name_hint="split_lane",
        optimizations=[pl.split(pl.SplitMode.UP_DOWN)],
    ):
        lane = pl.tile.get_subblock_idx()
        out[:, :] = pl.add(x[:, :], pl.cast(pl.cast(lane, pl.INT32), pl.FP32))
    return out


@pl.jit
def fillpad_inplace_on_tensor(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_inplace"):
        out[:, :] = pl.tile.fillpad_inplace(x)
    return out


@pl.jit
def move_to_gm(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_move"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        moved = pl.move(t, target_memory=pl.MemorySpace.DDR)
        pl.store(moved, [0, 0], out)
    return out
