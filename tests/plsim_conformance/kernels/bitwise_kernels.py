"""The bitwise family on INT16 tiles (plsim/ops/bitwise.py): and / or / xor / shl / shr of two
tiles, their scalar forms, not. ``counts`` holds shift counts 0 .. 19 (16 and more included);
``bitwise_int32`` is the same pair-wise kernel on INT32 tiles, which ptoas refuses on a2a3.
"""

import pypto.language as pl

ROWS = 8
COLS = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "pairwise": "compiles",
    "with_scalars": "compiles",
    "complement": "compiles",
    "xor_without_scratch": (
        "rejected: pl.xor: Tile inputs require an explicit scratch tile"
    ),
    "bitwise_int32": (
        "hardware: pypto builds it; ptoas refuses an INT32 tand on a2a3 ('expects A2/A3 tand "
        "src0, src1, and dst element type to be i8/i16')"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "pairwise": "pass",
    "with_scalars": "pass",
    "complement": "pass",
    "xor_without_scratch": (
        "not run: InvalidOperationError: pl.xor: Tile inputs require an explicit scratch tile"
    ),
    "bitwise_int32": (
        "not run: 'pto.tand' op expects A2/A3 tand src0, src1, and dst element type to be i8/i16"
    ),
}


@pl.jit
def pairwise(
    a: pl.Tensor[[ROWS, COLS], pl.INT16],
    counts: pl.Tensor[[ROWS, COLS], pl.INT16],
    both: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    either: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    differ: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    left: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    right: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pairwise"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        n = pl.load(counts, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.INT16)
        pl.store(pl.and_(x, n), [0, 0], both)
        pl.store(pl.or_(x, n), [0, 0], either)
        pl.store(pl.xor(x, n, scratch), [0, 0], differ)
        pl.store(pl.shl(x, n), [0, 0], left)
        pl.store(pl.shr(x, n), [0, 0], right)
    return both, either, differ, left, right


@pl.jit
def with_scalars(
    a: pl.Tensor[[ROWS, COLS], pl.INT16],
    both: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    either: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    differ: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    left: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
    right: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="with_scalars"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.INT16)
        pl.store(pl.ands(x, 12), [0, 0], both)
        pl.store(pl.ors(x, 5), [0, 0], either)
        pl.store(pl.xors(x, 6, scratch), [0, 0], differ)
        pl.store(pl.shls(x, 3), [0, 0], left)
        pl.store(pl.shrs(x, 2), [0, 0], right)
    return both, either, differ, left, right


@pl.jit
def complement(
    a: pl.Tensor[[ROWS, COLS], pl.INT16], flipped: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="complement"):
        pl.store(pl.not_(pl.load(a, [0, 0], [ROWS, COLS])), [0, 0], flipped)
    return flipped


@pl.jit
def bitwise_int32(
    a: pl.Tensor[[ROWS, COLS], pl.INT32],
    b: pl.Tensor[[ROWS, COLS], pl.INT32],
    both: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bitwise_int32"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        y = pl.load(b, [0, 0], [ROWS, COLS])
        pl.store(pl.and_(x, y), [0, 0], both)  # @int32_and
    return both


@pl.jit
def xor_without_scratch(
    a: pl.Tensor[[ROWS, COLS], pl.INT16], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT16]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="xor_without_scratch"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        pl.store(pl.xor(x, x), [0, 0], out)  # @xor_no_scratch
    return out
