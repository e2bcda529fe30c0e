"""Fixture for pl.create_l1 + pl.gather_row (pypto-lib decode_sparse_attn_csa): rows gathered
from a GM pool into an L1 matmul operand, one row at a time and as a multi-row run."""

import pypto.language as pl

VERDICTS = {"gather_rows_mm": "compiles", "gather_run_mm": "compiles", "gather_wide_mm": "compiles"}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
#: The "fail" entries: pto-isa's CPU TLOAD pads the whole subview tile (docs/dsl.md §14).
A2A3SIM = {
    "gather_rows_mm": "fail: y: 240 of 256 cells differ (max 52.8)",
    "gather_run_mm": "fail: y: 240 of 256 cells differ (max 52.8)",
    "gather_wide_mm": "pass",
}


@pl.jit
def gather_rows_mm(
    q: pl.Tensor[[16, 64], pl.BF16],
    pool: pl.Tensor[[32, 64], pl.BF16],
    idx: pl.Tensor[[16], pl.INT32],
    y: pl.Out[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_mm"):
        kv = pl.create_l1([16, 64], pl.BF16)
        for r in pl.range(16):
            src = pl.cast(pl.read(idx, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [src, 0], [1, 64])
        s = pl.matmul(q[0:16, 0:64], kv, b_trans=True, out_dtype=pl.FP32)
        y[0:16, 0:16] = s
    return y


@pl.jit
def gather_run_mm(
    q: pl.Tensor[[16, 64], pl.BF16],
    pool: pl.Tensor[[32, 64], pl.BF16],
    idx: pl.Tensor[[16], pl.INT32],
    y: pl.Out[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_run"):
        kv = pl.create_l1([16, 64], pl.BF16)
        base = pl.cast(pl.read(idx, [0]), pl.INDEX)
        n = pl.cast(pl.read(idx, [1]), pl.INDEX)
        kv = pl.gather_row(kv, pool, [0, 0], [base, 0], [16, 64], valid_shape=[n, 64])
        for r in pl.range(n, 16):
            kv = pl.gather_row(kv, pool, [r, 0], [0, 0], [1, 64])
        s = pl.matmul(q[0:16, 0:64], kv, b_trans=True, out_dtype=pl.FP32)
        y[0:16, 0:16] = s
    return y


@pl.jit
def gather_wide_mm(
    q: pl.Tensor[[16, 512], pl.BF16],
    pool: pl.Tensor[[256, 512], pl.BF16],
    y: pl.Out[pl.Tensor[[16, 128], pl.FP32]],
):
    # a 128 KiB L1 operand: filled by DMA, it takes no cube/vector ring slot in UB
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_wide"):
        kv = pl.create_l1([128, 512], pl.BF16)
        kv = pl.gather_row(kv, pool, [0, 0], [64, 0], [128, 512])
        s = pl.matmul(q[0:16, 0:512], kv, b_trans=True, out_dtype=pl.FP32)
        y[0:16, 0:128] = s
    return y
