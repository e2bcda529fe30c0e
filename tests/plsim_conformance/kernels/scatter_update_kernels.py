"""pl.scatter_update (plsim/ops/scatter_update.py): CACHE_ROWS cache rows, of which the
BATCH x STEPS rows named by ``index`` are replaced by the rows of ``src``; as tiles and as
tensor-level values.
"""

import pypto.language as pl

CACHE_ROWS = 64
WIDTH = 32
BATCH = 2
STEPS = 8

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "update_tiles": "compiles",
    "update_tensors": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "update_tiles": "pass",
    "update_tensors": "pass",
}


@pl.jit
def update_tiles(
    cache: pl.Tensor[[CACHE_ROWS, WIDTH], pl.FP32],
    index: pl.Tensor[[BATCH, STEPS], pl.INT32],
    src: pl.Tensor[[BATCH * STEPS, WIDTH], pl.FP32],
    out: pl.Out[pl.Tensor[[CACHE_ROWS, WIDTH], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="update_tiles"):
        c = pl.load(cache, [0, 0], [CACHE_ROWS, WIDTH])
        i = pl.load(index, [0, 0], [BATCH, STEPS])
        s = pl.load(src, [0, 0], [BATCH * STEPS, WIDTH])
        pl.store(pl.scatter_update(c, -2, i, s), [0, 0], out)
    return out


@pl.jit
def update_tensors(
    cache: pl.Tensor[[CACHE_ROWS, WIDTH], pl.FP32],
    index: pl.Tensor[[BATCH, STEPS], pl.INT32],
    src: pl.Tensor[[BATCH * STEPS, WIDTH], pl.FP32],
    out: pl.Out[pl.Tensor[[CACHE_ROWS, WIDTH], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="update_tensors"):
        out[:, :] = pl.scatter_update(cache[:, :], index[:, :], src[:, :], dim=-2)
    return out
