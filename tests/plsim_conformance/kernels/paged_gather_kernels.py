"""pl.paged_gather, pl.mgather and pl.mscatter (plsim/ops/paged_gather.py): a paged pool of
POOL_ROWS rows in blocks of BLOCK rows, GATHERED logical rows read through a block table of
BLOCKS entries, into Vec (which a2a3sim gets right) and into Mat feeding a matmul (which it does
not); then the gather and scatter forms this chain cannot build for a2a3.
"""

import pypto.language as pl

POOL_ROWS = 256
BLOCK = 32
BLOCKS = POOL_ROWS // BLOCK
WIDTH = 64
GATHERED = 16
QUERIES = 16

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "gather_to_vec": "compiles",
    "gather_to_mat": (
        "hardware: the chain builds it; the matmul of the L1-gathered operand is wrong on a2a3sim"
    ),
    "row_mgather": (
        "hardware: pypto builds it; ptoas does not know its 'coalesce' attribute "
        "(\"unknown attribute `coalesce` in dialect `pto`\")"
    ),
    "element_mscatter": (
        "hardware: pypto builds it; ptoas builds pto.mscatter for A5 only (\"pto.mscatter is "
        "only supported on A5 targets\")"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "gather_to_vec": "pass",
    "gather_to_mat": "ran: plsim refuses it (MiscompileError)",
    "row_mgather": "not run: unknown attribute `coalesce` in dialect `pto`",
    "element_mscatter": "not run: 'pto.mscatter' op pto.mscatter is only supported on A5 targets",
}


@pl.jit
def gather_to_vec(
    pool: pl.Tensor[[POOL_ROWS, WIDTH], pl.FP32],
    indices: pl.Tensor[[1, GATHERED], pl.INT32],
    table: pl.Tensor[[1, BLOCKS], pl.INT32],
    out: pl.Out[pl.Tensor[[GATHERED, WIDTH], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_to_vec"):
        rows = pl.paged_gather(pool, indices, table, block_size=BLOCK, size=WIDTH,
                               max_indices=GATHERED, space=pl.MemorySpace.Vec)  # fmt: skip
        out[:, :] = pl.add(rows, 0.0)
    return out


@pl.jit
def gather_to_mat(
    q: pl.Tensor[[QUERIES, WIDTH], pl.BF16],
    pool: pl.Tensor[[POOL_ROWS, WIDTH], pl.BF16],
    indices: pl.Tensor[[1, GATHERED], pl.INT32],
    table: pl.Tensor[[1, BLOCKS], pl.INT32],
    out: pl.Out[pl.Tensor[[QUERIES, GATHERED], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_to_mat"):
        keys = pl.paged_gather(  # @to_mat
            pool, indices, table, block_size=BLOCK, size=WIDTH, max_indices=GATHERED
        )
        out[:, :] = pl.matmul(q, keys, b_trans=True, out_dtype=pl.FP32)
    return out


@pl.jit
def row_mgather(
    mem: pl.Tensor[[POOL_ROWS, WIDTH], pl.FP32],
    idx: pl.Tensor[[1, GATHERED], pl.INT32],
    out: pl.Out[pl.Tensor[[GATHERED, WIDTH], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_mgather"):
        i = pl.load(idx, [0, 0], [1, GATHERED])
        pl.store(pl.mgather(mem, i), [0, 0], out)  # @mgather
    return out


@pl.jit
def element_mscatter(
    x: pl.Tensor[[GATHERED, WIDTH], pl.FP32],
    idx: pl.Tensor[[GATHERED, WIDTH], pl.INT32],
    out: pl.InOut[pl.Tensor[[POOL_ROWS, WIDTH], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="element_mscatter"):
        t = pl.load(x, [0, 0], [GATHERED, WIDTH])
        i = pl.load(idx, [0, 0], [GATHERED, WIDTH])
        pl.mscatter(t, i, out)  # @mscatter
    return out
