"""Fixture for pl.split_aiv / pl.aiv_shard (pypto-lib lm_head, hc_pre): a cube result crosses
to the two AIV lanes, halved by rows (UP_DOWN) or whole (NONE, lanes take disjoint work)."""

import pypto.language as pl

VERDICTS = {"shard_rows": "compiles", "lanes_whole": "compiles"}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "shard_rows": "pass",
    "lanes_whole": "fail: a2a3sim run failed: the worker died (see worker.log)",
}


@pl.jit
def shard_rows(
    a: pl.Tensor[[32, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    y: pl.Out[pl.Tensor[[32, 64], pl.FP32]],
):
    with pl.spmd(2, name_hint="mm_shard"):
        m0 = pl.tile.get_block_idx() * 16
        acc = pl.matmul(a[m0 : m0 + 16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            half = pl.aiv_shard(acc)
            r0 = m0 + aiv_id * 8
            y[r0 : r0 + 8, 0:64] = pl.mul(half, 2.0)
    return y


@pl.jit
def lanes_whole(
    a: pl.Tensor[[32, 64], pl.BF16],
    b: pl.Tensor[[64, 64], pl.BF16],
    y: pl.Out[pl.Tensor[[32, 64], pl.FP32]],
):
    with pl.spmd(2, name_hint="mm_lanes"):
        m0 = pl.tile.get_block_idx() * 16
        acc = pl.matmul(a[m0 : m0 + 16, 0:64], b[0:64, 0:64], out_dtype=pl.FP32)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.NONE):
            whole = pl.aiv_shard(acc)
            for blk in pl.range(aiv_id, 2, 2):
                c0 = blk * 32
                y[m0 : m0 + 16, c0 : c0 + 32] = pl.add(whole[0:16, c0 : c0 + 32], 1.0)
    return y
