"""FP16 reductions as pto-isa's CPU backend runs them (plsim/numerics_arith.py): ``row_sum``
sums in FP32, ``col_sum``, ``col_prod`` and ``row_prod`` keep the running value in FP16."""

import pypto.language as pl

R = 32
C = 256

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "fp16_reductions": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "fp16_reductions": "pass",
}


@pl.jit
def fp16_reductions(
    x: pl.Tensor[[R, C], pl.FP16],
    row_sums: pl.Out[pl.Tensor[[R, 16], pl.FP16]],
    row_products: pl.Out[pl.Tensor[[R, 16], pl.FP16]],
    col_sums: pl.Out[pl.Tensor[[1, C], pl.FP16]],
    col_products: pl.Out[pl.Tensor[[1, C], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fp16_reductions"):
        a = pl.load(x, [0, 0], [R, C])
        tmp = pl.create_tile([R, C], dtype=pl.FP16, target_memory=pl.MemorySpace.Vec)
        wide = pl.create_tile([R, 16], dtype=pl.FP16)
        pl.store(pl.row_expand(wide, pl.row_sum(a, tmp)), [0, 0], row_sums)
        pl.store(pl.row_expand(wide, pl.row_prod(a, tmp)), [0, 0], row_products)
        pl.store(pl.col_sum(a), [0, 0], col_sums)
        pl.store(pl.col_prod(a), [0, 0], col_products)
    return row_sums, row_products, col_sums, col_products
