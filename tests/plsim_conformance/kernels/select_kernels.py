"""Predicate masks and selection (plsim/ops/select.py): ``pl.cmp`` / ``pl.cmps`` of tile-level
values give a packed UINT8 mask, ``pl.sel`` / ``pl.sels`` consume it.

``every_comparison`` selects with each of the six cmp_type codes and the scalar form; the
``*_half`` and ``*_int32`` kernels repeat a pair on FP16 and INT32 tiles; ``stored_mask`` writes
the mask's bytes to GM; ``ragged_select`` selects over 36 valid columns, which a2a3sim gets
wrong; ``select_of_tensors`` and ``compare_bf16`` are refused by the chain.
"""

import pypto.language as pl

ROWS = 8
COLS = 64
HALF_COLS = 128
WIDE_ROWS = 16
WIDE_COLS = 512
RAGGED_COLS = 36
MASK_BYTES = COLS // 8
THRESHOLD = 0.5
FILL = 9.0

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "every_comparison": "compiles",
    "select_half": "compiles",
    "select_int32": "compiles",
    "stored_mask": "compiles",
    "wide_select": "compiles",
    "ragged_select": (
        "hardware: the chain builds it; a2a3sim reads the mask as one bit stream across rows, "
        "so rows after the first take other rows' bits"
    ),
    "select_of_tensors": (
        "rejected: The operator tile.sel requires first argument (mask) to be a TileType, but got "
        "TensorType"
    ),
    "compare_bf16": (
        "hardware: pypto builds it; ptoas refuses a BF16 tcmp on a2a3 ('expects A2/A3 tcmp input "
        "element type to be i32/f16/f32')"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "every_comparison": "pass",
    "select_half": "pass",
    "select_int32": "pass",
    "stored_mask": "pass",
    "wide_select": "pass",
    "ragged_select": "ran: plsim refuses it (MiscompileError)",
    "select_of_tensors": (
        "not run: InvalidOperationError: pl operation 'sel': The operator tile.sel requires "
        "first argument (mask) to be a TileType, but got TensorType"
    ),
    "compare_bf16": (
        "not run: 'pto.tcmp' op expects A2/A3 tcmp input element type to be i32/f16/f32"
    ),
}


@pl.jit
def every_comparison(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    y: pl.Tensor[[ROWS, COLS], pl.FP32],
    equal: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    unequal: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    less: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    less_equal: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    greater: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    greater_equal: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    at_threshold: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    below_threshold: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="every_comparison"):
        a = pl.load(x, [0, 0], [ROWS, COLS])
        b = pl.load(y, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([1, 32], dtype=pl.UINT8)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=0), a, b, scratch), [0, 0], equal)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=1), a, b, scratch), [0, 0], unequal)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=2), a, b, scratch), [0, 0], less)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=3), a, b, scratch), [0, 0], less_equal)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=4), a, b, scratch), [0, 0], greater)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=5), a, b, scratch), [0, 0], greater_equal)
        pl.store(pl.sels(pl.cmps(a, THRESHOLD, cmp_type=0), a, scratch, FILL), [0, 0], at_threshold)
        below = pl.cmps(a, THRESHOLD, cmp_type=2)
        pl.store(pl.sels(below, a, scratch, FILL), [0, 0], below_threshold)
    return equal, unequal, less, less_equal, greater, greater_equal, at_threshold, below_threshold


@pl.jit
def select_half(
    x: pl.Tensor[[ROWS, HALF_COLS], pl.FP16],
    y: pl.Tensor[[ROWS, HALF_COLS], pl.FP16],
    lower: pl.Out[pl.Tensor[[ROWS, HALF_COLS], pl.FP16]],
    positive: pl.Out[pl.Tensor[[ROWS, HALF_COLS], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="select_half"):
        a = pl.load(x, [0, 0], [ROWS, HALF_COLS])
        b = pl.load(y, [0, 0], [ROWS, HALF_COLS])
        scratch = pl.create_tile([1, 32], dtype=pl.UINT8)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=3), a, b, scratch), [0, 0], lower)
        pl.store(pl.sels(pl.cmps(a, 0.0, cmp_type=4), a, scratch, 0.0), [0, 0], positive)
    return lower, positive


@pl.jit
def select_int32(
    x: pl.Tensor[[ROWS, COLS], pl.INT32],
    y: pl.Tensor[[ROWS, COLS], pl.INT32],
    lower: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT32]],
    at_least_one: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="select_int32"):
        a = pl.load(x, [0, 0], [ROWS, COLS])
        b = pl.load(y, [0, 0], [ROWS, COLS])
        # A scratch tile of another type and shape builds and runs the same (measured).
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        pl.store(pl.sel(pl.cmp(a, b, cmp_type=2), a, b, scratch), [0, 0], lower)
        pl.store(pl.sels(pl.cmps(a, 1, cmp_type=5), a, scratch, -7), [0, 0], at_least_one)
    return lower, at_least_one


@pl.jit
def stored_mask(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    mask: pl.Out[pl.Tensor[[ROWS, MASK_BYTES], pl.UINT8]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="stored_mask"):
        a = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.cmps(a, THRESHOLD, cmp_type=4), [0, 0], mask)
    return mask


@pl.jit
def wide_select(
    x: pl.Tensor[[WIDE_ROWS, WIDE_COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[WIDE_ROWS, WIDE_COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="wide_select"):
        a = pl.load(x, [0, 0], [WIDE_ROWS, WIDE_COLS])
        scratch = pl.create_tile([1, 32], dtype=pl.UINT8)
        pl.store(pl.sels(pl.cmps(a, THRESHOLD, cmp_type=1), a, scratch, 0.0), [0, 0], out)
    return out


@pl.jit
def ragged_select(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="ragged_select"):
        a = pl.tile.set_validshape(pl.load(x, [0, 0], [ROWS, COLS]), ROWS, RAGGED_COLS)
        scratch = pl.create_tile([1, 32], dtype=pl.UINT8)
        mask = pl.cmps(a, THRESHOLD, cmp_type=4)
        pl.store(pl.sels(mask, a, scratch, 0.0), [0, 0], out)  # @ragged
    return out


@pl.jit
def select_of_tensors(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    y: pl.Tensor[[ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="select_of_tensors"):
        hit = pl.cmp(x[:, :], y[:, :], cmp_type=4)
        out[:, :] = pl.sel(hit, x[:, :], y[:, :], hit)  # @tensor_sel
    return out


@pl.jit
def compare_bf16(
    x: pl.Tensor[[ROWS, HALF_COLS], pl.BF16],
    y: pl.Tensor[[ROWS, HALF_COLS], pl.BF16],
    out: pl.Out[pl.Tensor[[ROWS, HALF_COLS], pl.BF16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="compare_bf16"):
        a = pl.load(x, [0, 0], [ROWS, HALF_COLS])
        b = pl.load(y, [0, 0], [ROWS, HALF_COLS])
        scratch = pl.create_tile([1, 32], dtype=pl.UINT8)
        mask = pl.cmp(a, b, cmp_type=2)  # @bf16_cmp
        pl.store(pl.sel(mask, a, b, scratch), [0, 0], out)
    return out
