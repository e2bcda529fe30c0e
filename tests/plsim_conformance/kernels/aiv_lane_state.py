"""A value each AIV lane keeps across the pl.split_aiv regions of one task (plsim/lane_frames.py).

``running_sum_per_lane``: per loop iteration the cube makes one [2M, N] product; an UP_DOWN region
gives lane 0 its rows [0, M) and lane 1 rows [M, 2M), and each lane adds its half into its own
running tile ``run``, defined in the first (peeled) region and carried to the next regions; each
lane stores its own band at the end. pypto, ptoas and a2a3sim take it, and a2a3sim's output is
the per-lane sums (equal to NumPy's). plsim runs lane 0, then lane 1, in one Python frame and
gives each lane back the names it assigned before its next pass, so it computes the same sums
(before it did, ``run`` held lane 1's tile when the next region started on lane 0).
Values made and used inside one region run as before (tests/pyptolib/kernels/split_aiv_lanes.py,
``shard_rows``, passes on a2a3sim).
"""

import pypto.language as pl

ITERS = 2
M = 32
N = 128
K = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "running_sum_per_lane": "compiles",
    "lane_value_from_a_helper": "rejected: tile.add requires first argument to be a TileType",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "running_sum_per_lane": "pass",
    "lane_value_from_a_helper": "not run: tile.add requires first argument to be a TileType",
}


@pl.jit
def running_sum_per_lane(
    k: pl.Tensor[[2 * ITERS * M, K], pl.BF16],
    q: pl.Tensor[[N, K], pl.BF16],
    y: pl.Out[pl.Tensor[[2 * M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="running_sum_per_lane"):
        first = pl.matmul(k[0 : 2 * M, 0:K], q, b_trans=True, out_dtype=pl.FP32)
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            run = pl.add(pl.aiv_shard(first), 0.0)
        for it in pl.range(1, ITERS):
            r0 = it * 2 * M
            acc = pl.matmul(k[r0 : r0 + 2 * M, 0:K], q, b_trans=True, out_dtype=pl.FP32)
            for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                run = pl.add(run, pl.aiv_shard(acc))
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            y[aiv_id * M : aiv_id * M + M, 0:N] = run
    return y



@pl.jit.inline
def first_half_per_lane(k: pl.Tensor, q: pl.Tensor):
    """Each lane's half of the first product, made in a region of this helper's own frame."""
    first = pl.matmul(k[0 : 2 * M, 0:K], q, b_trans=True, out_dtype=pl.FP32)
    for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
        start = pl.add(pl.aiv_shard(first), 0.0)
    return start


@pl.jit
def lane_value_from_a_helper(
    k: pl.Tensor[[2 * ITERS * M, K], pl.BF16],
    q: pl.Tensor[[N, K], pl.BF16],
    y: pl.Out[pl.Tensor[[2 * M, N], pl.FP32]],
):
    # running_sum_per_lane with its first region in an inline helper: the helper returns one
    # name, which plsim's per-lane frames do not follow out of the helper's frame, so plsim
    # refuses the other lane's tile; pypto refuses the helper's region itself.
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="lane_value_from_a_helper"):
        run = first_half_per_lane(k, q)
        for it in pl.range(1, ITERS):
            r0 = it * 2 * M
            acc = pl.matmul(k[r0 : r0 + 2 * M, 0:K], q, b_trans=True, out_dtype=pl.FP32)
            for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                run = pl.add(run, pl.aiv_shard(acc))  # @other_lane
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            y[aiv_id * M : aiv_id * M + M, 0:N] = run
    return y
