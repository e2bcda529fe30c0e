"""pypto ops this chain cannot build for a2a3 (plsim/ops/unbuildable.py): ``pl.random`` (ptoas:
A5 only) and ``pl.tile.scatter_mask`` (ptoas does not parse pypto's emission). pl.mgather and
pl.mscatter are in paged_gather_kernels.py.
"""

import pypto.language as pl

ROWS = 8
COLS = 64
HALF = COLS // 2

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "random_words": (
        "hardware: pypto builds it; ptoas builds pto.trandom for A5 only (\"trandom is only "
        "supported for A5 targets\")"
    ),
    "scatter_into_pairs": (
        "hardware: pypto builds it; ptoas does not parse its pto.tscatter mask form "
        "(\"expected ')'\")"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "random_words": "not run: 'pto.trandom' op trandom is only supported for A5 targets",
    "scatter_into_pairs": "not run: expected ')'",
}


@pl.jit
def random_words(out: pl.Out[pl.Tensor[[ROWS, COLS], pl.INT32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="random_words"):
        out[:, :] = pl.random(1, 2, 3, 4, 5, 6, [ROWS, COLS], dtype=pl.INT32)  # @random
    return out


@pl.jit
def scatter_into_pairs(
    pairs: pl.Tensor[[ROWS, COLS], pl.FP32],
    values: pl.Tensor[[ROWS, HALF], pl.FP32],
    out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scatter_into_pairs"):
        d = pl.load(pairs, [0, 0], [ROWS, COLS])
        v = pl.load(values, [0, 0], [ROWS, HALF])
        placed = pl.tile.scatter_mask(d, v, pl.tile.MaskPattern.P0101)  # @scatter_mask
        pl.store(placed, [0, 0], out)
    return out
