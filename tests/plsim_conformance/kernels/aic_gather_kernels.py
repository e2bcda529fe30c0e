"""pl.aic_gather out of a data-parallel pl.split_aiv region: each AIV lane pushes its half of a
vector-made tile and the cube receives the halves rejoined (plsim/control.py aic_gather).

``rows_rejoined_for_the_cube`` (UP_DOWN): per iteration the cube makes an INT32 product
[2 * HALF, TILE] of INT8 codes; each lane takes its half of the rows, relu(FP32) of it, and
pushes it back; the cube takes W [16, 2 * HALF] (from GM) x the rejoined [2 * HALF, TILE] in
FP32, and each lane scales row 0 of its half of that product by a row of scales and stores it.
That is the shape of a head sum on the cube (rows = heads, W = per-token head factors with
token 0's at row 0 and token 1's at row 8). ``columns_rejoined_for_the_cube`` (LEFT_RIGHT): the
lanes take column halves of a BF16 product, relu them, and the cube multiplies the rejoined
[M, 2 * HALF_N] by a GM matrix; each lane stores its column half of that.
``lane_tile_to_the_cube`` is that kernel with the cube reading a lane's relu half straight after
the region, without pl.aic_gather: pypto refuses the implicit crossing (AivSplitValid), and so
does plsim (plsim/aiv_regions.py check_cube_read). ``product_read_whole_in_region`` is the other
way: a vector op in an UP_DOWN region reads the cube's product itself instead of its
pl.aiv_shard half, refused by both (check_vector_read).
"""

import pypto.language as pl

ITERS = 3
HALF = 64
DIM = 128
TILE = 32
W_ROWS = 16
M = 32
HALF_N = 32
N_OUT = 32

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "rows_rejoined_for_the_cube": "compiles",
    "columns_rejoined_for_the_cube": "compiles",
    "gather_on_one_lane": "rejected: used outside its defining scope",
    "lane_tile_to_the_cube": "rejected: crosses the AIV -> AIC boundary implicitly",
    "product_read_whole_in_region": "rejected: crosses the AIC -> AIV boundary implicitly",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "rows_rejoined_for_the_cube": "pass",
    "columns_rejoined_for_the_cube": "pass",
    "gather_on_one_lane": "not run: used outside its defining scope",
    "lane_tile_to_the_cube": "not run: Verification failed ... {AivSplitValid}",
    "product_read_whole_in_region": "not run: Verification failed ... {AivSplitValid}",
}


@pl.jit
def rows_rejoined_for_the_cube(
    q: pl.Tensor[[2 * HALF, DIM], pl.INT8],
    k: pl.Tensor[[ITERS * TILE, DIM], pl.INT8],
    w: pl.Tensor[[W_ROWS, 2 * HALF], pl.FP32],
    scale: pl.Tensor[[1, ITERS * TILE], pl.FP32],
    y: pl.Out[pl.Tensor[[ITERS * 2, TILE], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="rows_rejoined_for_the_cube"):
        for it in pl.range(ITERS):
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
                # The scale row is read whole by both lanes: its offset names the lane
                # (aiv_id // 2 = 0), as the compiler requires of a load in a region with a
                # crossing (docs/dsl.md 4.5).
                row_scale = pl.slice(scale, [1, TILE], [0, it * TILE + aiv_id // 2])
                scaled = pl.col_expand_mul(pl.aiv_shard(sums), row_scale)
                y[it * 2 + aiv_id : it * 2 + aiv_id + 1, :] = pl.slice(scaled, [1, TILE], [0, 0])
    return y


@pl.jit
def columns_rejoined_for_the_cube(
    a: pl.Tensor[[M, DIM], pl.BF16],
    b: pl.Tensor[[2 * HALF_N, DIM], pl.BF16],
    w: pl.Tensor[[2 * HALF_N, N_OUT], pl.FP32],
    y: pl.Out[pl.Tensor[[M, N_OUT], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="columns_rejoined_for_the_cube"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            half = pl.maximum(pl.aiv_shard(product), 0.0)
            rejoined = pl.aic_gather(half)
        out = pl.matmul(rejoined, w, out_dtype=pl.FP32)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            c0 = aiv_id * (N_OUT // 2)
            y[:, c0 : c0 + N_OUT // 2] = pl.add(pl.aiv_shard(out), 0.0)
    return y


@pl.jit
def gather_on_one_lane(
    a: pl.Tensor[[M, DIM], pl.BF16],
    b: pl.Tensor[[2 * HALF_N, DIM], pl.BF16],
    w: pl.Tensor[[2 * HALF_N, N_OUT], pl.FP32],
    y: pl.Out[pl.Tensor[[M, N_OUT], pl.FP32]],
):
    # columns_rejoined_for_the_cube with the push on lane 1 only: pypto refuses the gathered
    # name outside the branch that makes it; plsim refuses lane 1's push without lane 0's.
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_on_one_lane"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            half = pl.maximum(pl.aiv_shard(product), 0.0)
            if aiv_id == 1:
                rejoined = pl.aic_gather(half)  # @one_lane
        out = pl.matmul(rejoined, w, out_dtype=pl.FP32)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            c0 = aiv_id * (N_OUT // 2)
            y[:, c0 : c0 + N_OUT // 2] = pl.add(pl.aiv_shard(out), 0.0)
    return y


@pl.jit
def lane_tile_to_the_cube(
    a: pl.Tensor[[M, DIM], pl.BF16],
    b: pl.Tensor[[2 * HALF_N, DIM], pl.BF16],
    w: pl.Tensor[[HALF_N, N_OUT], pl.FP32],
    y: pl.Out[pl.Tensor[[M, N_OUT], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="lane_tile_to_the_cube"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for _lane in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            half = pl.maximum(pl.aiv_shard(product), 0.0)
        out = pl.matmul(half, w, out_dtype=pl.FP32)  # @implicit_crossing
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.LEFT_RIGHT):
            c0 = aiv_id * (N_OUT // 2)
            y[:, c0 : c0 + N_OUT // 2] = pl.add(pl.aiv_shard(out), 0.0)
    return y


@pl.jit
def product_read_whole_in_region(
    a: pl.Tensor[[M, DIM], pl.BF16],
    b: pl.Tensor[[2 * HALF_N, DIM], pl.BF16],
    y: pl.Out[pl.Tensor[[2 * M, 2 * HALF_N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="product_read_whole_in_region"):
        product = pl.matmul(a, b, out_dtype=pl.FP32, b_trans=True)
        for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.UP_DOWN):
            r0 = aiv_id * M
            y[r0 : r0 + M, :] = pl.add(product, 1.0)  # @implicit_pop
    return y
