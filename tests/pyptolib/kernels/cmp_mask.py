"""Fixture for tensor-level pl.cmp (pypto-lib lm_head greedy_sample): a 0/1 tensor of the
lhs dtype, cast to INT32 and used as a select mask; against a tensor and against a scalar."""

import pypto.language as pl

VERDICTS = {"cmp_select": "compiles"}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "cmp_select": "pass",
}


@pl.jit
def cmp_select(
    a: pl.Tensor[[16, 64], pl.FP32],
    b: pl.Tensor[[16, 64], pl.FP32],
    gt: pl.Out[pl.Tensor[[16, 64], pl.INT32]],
    eq: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="cmp_scope"):
        x = a[0:16, 0:64]
        is_gt = pl.cmp(x, b[0:16, 0:64], cmp_type=4)
        gt[0:16, 0:64] = pl.cast(is_gt, target_type=pl.INT32)
        top = pl.read(a, [0, 0])
        eq[0:16, 0:64] = pl.cmp(x, top, cmp_type=0)
    return gt, eq
