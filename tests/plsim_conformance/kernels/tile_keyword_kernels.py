"""Keywords of ``pl.tile.<op>`` calls as pypto's signatures name them
(plsim/ops/tile_signatures.py): ``tile_matmul_out_dtype`` passes a keyword only ``pl.matmul``
has, ``pypto_keyword_names`` spells every argument with pypto's parameter names."""

import pypto.language as pl

M = 16
K = 32
N = 16
ROWS = 16
COLS = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "tile_matmul_out_dtype": "rejected: matmul() got an unexpected keyword argument 'out_dtype'",
    "tile_exp_high_precision": "rejected: exp() got an unexpected keyword argument",
    "pypto_keyword_names": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "tile_matmul_out_dtype": (
        "not run: pl.tile operation 'matmul': matmul() got an unexpected keyword argument "
        "'out_dtype'"
    ),
    "tile_exp_high_precision": (
        "not run: pl.tile operation 'exp': exp() got an unexpected keyword argument "
        "'high_precision'"
    ),
    "pypto_keyword_names": "pass",
}


@pl.jit
def tile_matmul_out_dtype(
    a: pl.Tensor[[M, K], pl.BF16], b: pl.Tensor[[K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_matmul_out_dtype"):
        x = pl.move(pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat),
                    target_memory=pl.MemorySpace.Left)  # fmt: skip
        y = pl.move(pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat),
                    target_memory=pl.MemorySpace.Right)  # fmt: skip
        pl.store(pl.tile.matmul(x, y, out_dtype=pl.FP32), [0, 0], out)  # @out_dtype
    return out


@pl.jit
def tile_exp_high_precision(
    a: pl.Tensor[[ROWS, COLS], pl.FP32], out: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_exp_high_precision"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        pl.store(pl.tile.exp(x, high_precision=True), [0, 0], out)  # @high_precision
    return out


@pl.jit
def pypto_keyword_names(
    a: pl.Tensor[[ROWS, COLS], pl.FP32], c: pl.Tensor[[ROWS, 1], pl.FP32],
    exps: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    scaled: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    sums: pl.Out[pl.Tensor[[ROWS, 1], pl.FP32]],
):  # fmt: skip
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pypto_keyword_names"):
        x = pl.load(a, [0, 0], [ROWS, COLS])
        col = pl.load(c, [0, 0], [ROWS, 1])
        tmp = pl.create_tile([ROWS, COLS], dtype=pl.FP32, target_memory=pl.MemorySpace.Vec)
        pl.store(pl.tile.exp(tile=x), [0, 0], exps)
        pl.store(pl.tile.row_expand_mul(tile=x, row_vec=col), [0, 0], scaled)
        pl.store(pl.tile.row_sum(tile=x, tmp_tile=tmp), [0, 0], sums)
    return exps, scaled, sums
