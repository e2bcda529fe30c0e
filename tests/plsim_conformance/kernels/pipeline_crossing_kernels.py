"""pl.pipeline loops whose iterations hand tiles between the cube and the AIV lanes
(plsim/pipeline_crossings.py): one way only, or both ways (a round trip).

``round_trip_pipelined``: per iteration the cube makes an INT32 product [2 * HALF, TILE] of
INT8 codes, each lane takes relu(FP32) of its half and pushes it back (pl.aic_gather), the
cube takes W [16, 2 * HALF] x the rejoined tile in FP32, and each lane scales its row of that
by a row of scales and stores it: the shape of a head sum on the cube. Its trip count is read
at run time. pypto demotes that loop to a sequential one whatever it says (more than one round
trip per iteration: its SkewCrossCorePipeline pass), so plsim models it as
``round_trip_sequential``, the same kernel written with pl.range. ``one_way_pipelined`` hands
the products to the lanes only (relu, scale, store on the lanes), which pypto copies twice per
iteration with its own buffers: modeled as pipelined.
"""

import pypto.language as pl

ITERS = 3
HALF = 64
DIM = 128
TILE = 32
W_ROWS = 16

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "round_trip_pipelined": "compiles",
    "round_trip_sequential": "compiles",
    "one_way_pipelined": "compiles",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "round_trip_pipelined": "pass",
    "round_trip_sequential": "pass",
    "one_way_pipelined": "pass",
}


@pl.jit
def round_trip_pipelined(
    q: pl.Tensor[[2 * HALF, DIM], pl.INT8],
    k: pl.Tensor[[ITERS * TILE, DIM], pl.INT8],
    w: pl.Tensor[[W_ROWS, 2 * HALF], pl.FP32],
    scale: pl.Tensor[[1, ITERS * TILE], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    y: pl.Out[pl.Tensor[[ITERS * 2, TILE], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="round_trip_pipelined"):
        iters = pl.read(n, [0])
        for it in pl.pipeline(0, iters, 1, stage=2):
            acc = pl.matmul(
                q, k[it * TILE : it * TILE + TILE, :], out_dtype=pl.INT32, b_trans=True
            )
            for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                half = pl.maximum(
                    pl.cast(pl.aiv_shard(acc), target_type=pl.FP32, mode="rint"), 0.0
                )
                rejoined = pl.aic_gather(half)
            sums = pl.matmul(w, rejoined, out_dtype=pl.FP32)
            for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                # read whole by both lanes: the offset names the lane (docs/dsl.md 4.5)
                row_scale = pl.slice(scale, [1, TILE], [0, it * TILE + aiv_id // 2])
                scaled = pl.col_expand_mul(pl.aiv_shard(sums), row_scale)
                y[it * 2 + aiv_id : it * 2 + aiv_id + 1, :] = pl.slice(scaled, [1, TILE], [0, 0])
    return y


@pl.jit
def round_trip_sequential(
    q: pl.Tensor[[2 * HALF, DIM], pl.INT8],
    k: pl.Tensor[[ITERS * TILE, DIM], pl.INT8],
    w: pl.Tensor[[W_ROWS, 2 * HALF], pl.FP32],
    scale: pl.Tensor[[1, ITERS * TILE], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    y: pl.Out[pl.Tensor[[ITERS * 2, TILE], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="round_trip_sequential"):
        iters = pl.read(n, [0])
        for it in pl.range(0, iters, 1):
            acc = pl.matmul(
                q, k[it * TILE : it * TILE + TILE, :], out_dtype=pl.INT32, b_trans=True
            )
            for _lane in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                half = pl.maximum(
                    pl.cast(pl.aiv_shard(acc), target_type=pl.FP32, mode="rint"), 0.0
                )
                rejoined = pl.aic_gather(half)
            sums = pl.matmul(w, rejoined, out_dtype=pl.FP32)
            for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                row_scale = pl.slice(scale, [1, TILE], [0, it * TILE + aiv_id // 2])
                scaled = pl.col_expand_mul(pl.aiv_shard(sums), row_scale)
                y[it * 2 + aiv_id : it * 2 + aiv_id + 1, :] = pl.slice(scaled, [1, TILE], [0, 0])
    return y


@pl.jit
def one_way_pipelined(
    q: pl.Tensor[[2 * HALF, DIM], pl.INT8],
    k: pl.Tensor[[ITERS * TILE, DIM], pl.INT8],
    scale: pl.Tensor[[1, ITERS * TILE], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    y: pl.Out[pl.Tensor[[ITERS * 2 * HALF, TILE], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="one_way_pipelined"):
        iters = pl.read(n, [0])
        for it in pl.pipeline(0, iters, 1, stage=2):
            acc = pl.matmul(
                q, k[it * TILE : it * TILE + TILE, :], out_dtype=pl.INT32, b_trans=True
            )
            for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
                row_scale = pl.slice(scale, [1, TILE], [0, it * TILE + aiv_id // 2])
                scaled = pl.col_expand_mul(
                    pl.maximum(pl.cast(pl.aiv_shard(acc), target_type=pl.FP32, mode="rint"), 0.0),
                    row_scale,
                )
                r0 = (it * 2 + aiv_id) * HALF
                y[r0 : r0 + HALF, :] = scaled
    return y
