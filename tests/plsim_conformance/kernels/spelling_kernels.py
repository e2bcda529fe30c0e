"""pypto spellings plsim gained after measuring them (plsim/ops/stores.py, elementwise.py):
``pl.store(..., atomic=pl.AtomicType.Add)`` into an InOut tensor, the scalar forms
``pl.tile.adds`` / ``subs`` / ``muls`` / ``divs``, ``pl.log(..., high_precision=True)``, and
``pl.load(..., clamp=True)`` of a window that runs past the source, ``pl.reinterpret_view`` of a
tile, ``pl.fillpad_expand``, ``pl.static_print`` and ``pl.tile.extract`` of matmul operands.
"""

import pypto.language as pl

ROWS = 16
COLS = 64
SOURCE_ROWS = 40
TAIL_OFFSET = 32
MM_ROWS = 16
MM_K = 64
MM_HALF = MM_K // 2
MM_COLS = 32
PAD_ROWS = 8
PAD_VALID_COLS = 40
SHIFT = 0.5
DROP = 0.25
SCALE = 3.0
DIVISOR = 4.0

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "atomic_store": "compiles",
    "scalar_forms": "compiles",
    "clamped_load": "compiles",
    "reinterpreted": "compiles",
    "expanded_pad": "compiles",
    "printed": "compiles",
    "extracted_halves": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "atomic_store": "pass",
    "scalar_forms": "pass",
    "clamped_load": "pass",
    "reinterpreted": "pass",
    "expanded_pad": "pass",
    "printed": "pass",
    "extracted_halves": "pass",
}


@pl.jit
def atomic_store(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    total: pl.InOut[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="atomic_store"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(t, [0, 0], total, atomic=pl.AtomicType.Add)
    return total


@pl.jit
def scalar_forms(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    shifted: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    dropped: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    scaled: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    divided: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    logged: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scalar_forms"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.tile.adds(t, SHIFT), [0, 0], shifted)
        pl.store(pl.tile.subs(t, DROP), [0, 0], dropped)
        pl.store(pl.tile.muls(t, SCALE), [0, 0], scaled)
        pl.store(pl.tile.divs(t, DIVISOR), [0, 0], divided)
        positive = pl.tile.adds(pl.abs(t), 1.0)
        pl.store(pl.log(positive, high_precision=True), [0, 0], logged)
    return shifted, dropped, scaled, divided, logged


@pl.jit
def clamped_load(
    x: pl.Tensor[[SOURCE_ROWS, COLS], pl.FP32],
    tail: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    sums: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]],
):
    """A [ROWS, COLS] window at row TAIL_OFFSET of a SOURCE_ROWS-row tensor: clamp=True makes it
    valid over the 8 rows that exist."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="clamped_load"):
        t = pl.load(x, [TAIL_OFFSET, 0], [ROWS, COLS], clamp=True)
        pl.store(t, [0, 0], tail)
        scratch = pl.create_tile([ROWS, COLS], dtype=pl.FP32)
        pl.store(pl.row_sum(t, scratch), [0, 0], sums)
    return tail, sums


@pl.jit
def reinterpreted(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    words: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT32]],
    halves: pl.Out[pl.Tensor[[ROWS, 2 * COLS], pl.INT16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reinterpreted"):
        t = pl.load(x, [0, 0], [ROWS, COLS])
        pl.store(pl.reinterpret_view(t, pl.INT32), [0, 0], words)
        pl.store(pl.reinterpret_view(t, pl.INT16), [0, 0], halves)
    return words, halves


@pl.jit
def expanded_pad(
    x: pl.Tensor[[PAD_ROWS, COLS], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="expanded_pad"):
        t = pl.load(x, [0, 0], [PAD_ROWS, COLS])
        narrow = pl.tile.set_validshape(t, PAD_ROWS, PAD_VALID_COLS)
        pl.store(pl.fillpad_expand(narrow, [ROWS, COLS], pad_value=pl.PadValue.max), [0, 0], out)
    return out


@pl.jit
def printed(x: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]):
    pl.static_print(x)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="printed"):
        out[:, :] = pl.add(x[:, :], 1.0)
    return out


@pl.jit
def extracted_halves(
    a: pl.Tensor[[MM_ROWS, MM_K], pl.BF16],
    b: pl.Tensor[[MM_K, MM_COLS], pl.BF16],
    out: pl.Out[pl.Tensor[[MM_ROWS, MM_COLS], pl.FP32]],
):
    """a @ b as two K halves, each extracted from the Mat operands to Left / Right."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="extracted_halves"):
        ta = pl.load(a, [0, 0], [MM_ROWS, MM_K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [MM_K, MM_COLS], target_memory=pl.MemorySpace.Mat)
        l0 = pl.tile.extract(ta, 0, 0, [MM_ROWS, MM_HALF], target_memory=pl.MemorySpace.Left)
        r0 = pl.tile.extract(tb, 0, 0, [MM_HALF, MM_COLS], target_memory=pl.MemorySpace.Right)
        l1 = pl.tile.extract(
            ta, 0, MM_HALF, [MM_ROWS, MM_HALF], target_memory=pl.MemorySpace.Left
        )
        r1 = pl.tile.extract(
            tb, MM_HALF, 0, [MM_HALF, MM_COLS], target_memory=pl.MemorySpace.Right
        )
        acc = pl.matmul(l0, r0)
        pl.store(pl.matmul_acc(acc, l1, r1), [0, 0], out)
    return out
