"""Kernels the real compiler fails on with an internal error, not a rule: plsim runs them (their
semantics are plain) and the agreement test records the disagreement as a gap, so a compiler
that fixes the defect shows up as an unexpected pass.
"""

import pypto.language as pl

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "tile_redefined_in_outer_loop": (
        "gap: codegen internal error 'no MLIR mapping for MemRef base' (a2a3, a mixed kernel): "
        "a vector tile redefined in an outer pl.range loop and assembled in an inner loop that "
        "also runs a matmul; defining it before the outer loop and resetting it at the end of "
        "each iteration compiles (models/deepseek_v4/kernels/score.py does that)"
    ),
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "tile_redefined_in_outer_loop": "not run: no MLIR mapping for MemRef base 'mem_vec_10'",
}


@pl.jit
def tile_redefined_in_outer_loop(
    kv: pl.Tensor[[64, 128], pl.INT8],
    q: pl.Tensor[[64, 128], pl.INT8],
    out: pl.Out[pl.Tensor[[2, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="redefine"):
        q_rows = q[0:64, :]
        for c0 in pl.range(0, 64, 32):
            chunk = pl.full([2, 32], dtype=pl.FP32, value=0.0)
            for j0 in pl.range(c0, c0 + 32, 16):
                acc = pl.matmul(kv[j0 : j0 + 16, :], q_rows, out_dtype=pl.INT32, b_trans=True)
                for s in pl.range(2):
                    part = pl.cast(
                        pl.slice(acc, [16, 32], [0, s * 32]), target_type=pl.FP32, mode="rint"
                    )
                    sums = pl.reshape(pl.row_sum(part), [1, 16])
                    chunk = pl.assemble(chunk, sums, [s, j0 - c0])
            out[0:2, c0 : c0 + 32] = chunk
    return out
