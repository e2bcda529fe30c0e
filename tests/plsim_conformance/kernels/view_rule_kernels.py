"""Tile views, valid shapes and cube shapes as pypto types them and as ptoas / pto-isa / a2a3sim
take them (plsim/ops/view_rules.py); each line a rule fires on is tagged ``# @name``.

``hardware`` kernels compile in pypto and are refused by ptoas (or compute something else on
a2a3sim: plsim.MiscompileError); ``runtime`` ones let undefined cells reach an output.
"""

import pypto.language as pl

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "concat_store_all_rows": "runtime: pl.concat is valid over its whole shape (undefined rows)",
    "concat_rows_reasserted": "compiles",
    "transpose_partial": "runtime: pl.transpose is valid over its whole shape (undefined cells)",
    "gather_partial_index": "runtime: pl.gather is valid over the whole index (undefined cells)",
    "reshape_of_runtime_row_window": (
        "hardware: the reshape drops the runtime row offset (a2a3sim reads rows 0..15)"
    ),
    "reshape_whole_then_row": "compiles",
    "b_trans_tile_window": (
        "hardware: a b_trans window of an L1 tile is never copied into its transposed tile"
    ),
    "b_trans_gm_window": "compiles",
    "subview_runtime_rows": "hardware: ptoas 'pto.subview' valid_shape[0] vs valid_row",
    "subview_runtime_rows_valid_given": "compiles",
    "accumulator_subview_partial": "hardware: ptoas 'pto.set_validshape' on an L0C tile",
    "accumulator_subview_whole": "compiles",
    "cast_column_window": "hardware: ptoas 'pto.tcvt' expects compatible src/dst shapes",
    "assemble_column_window": "hardware: ptoas 'pto.tmov' A2/A3 non-mat matching shapes",
    "assemble_whole_rows": "compiles",
    "column_window_vector_ops": "compiles",
    "matmul_m8": "hardware: an 8-row L1 tile (ptoas alloc_tile innerRows 16)",
    "matmul_n8": "hardware: an 8-column accumulator (pto_tile.hpp fractalCSize 16 x 16)",
    "matmul_fp32_k24": "hardware: FP32 rhs [24, 16] in L1 (ptoas alloc_tile innerRows 16)",
    "matmul_fp32_k24_b_trans": "compiles",
    "reshape_runtime_rows": "rejected: because its real data extends a runtime number of rows",
    "column_window_carried": "hardware: ptoas 'pto.tmov' into the loop-carried tile",
    "row_view_carried": "compiles",
    "gather_in_split_scope": "hardware: pl.gather keeps the unsplit shape under pl.split",
    "validshape_on_a_slice": "rejected: pl.set_validshape cannot narrow a tile view",
    "validshape_on_a_slice_same_extent": "rejected: pl.set_validshape cannot narrow a tile view",
    "valid_shape_given_at_the_slice": "compiles",
    "validshape_on_a_reshape": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "concat_store_all_rows": "ran: plsim refuses it (UninitializedReadError)",
    "concat_rows_reasserted": "pass",
    "transpose_partial": "ran: plsim refuses it (UninitializedReadError)",
    "gather_partial_index": "ran: plsim refuses it (UninitializedReadError)",
    "reshape_of_runtime_row_window": "ran: plsim refuses it (MiscompileError)",
    "reshape_whole_then_row": "pass",
    "b_trans_tile_window": "ran: plsim refuses it (MiscompileError)",
    "b_trans_gm_window": "pass",
    "subview_runtime_rows": (
        "not run: 'pto.subview' op expects result valid_shape[0] to match "
        "inferred/explicit valid_row"
    ),
    "subview_runtime_rows_valid_given": "pass",
    "accumulator_subview_partial": (
        "not run: 'pto.set_validshape' op expects source tile_buf to have dynamic "
        "validShape (?, ?)"
    ),
    "accumulator_subview_whole": "pass",
    "cast_column_window": "not run: 'pto.tcvt' op expects src and dst to have compatible shapes",
    "assemble_column_window": (
        "not run: 'pto.tmov' op expects A2/A3 non-mat tmov to use matching src/dst shapes"
    ),
    "assemble_whole_rows": "pass",
    "column_window_vector_ops": "pass",
    "matmul_m8": (
        "not run: 'pto.alloc_tile' op expects result boxed tile rows to be a multiple of "
        "innerRows (16), but got 8"
    ),
    "matmul_n8": (
        "not run: 'pto.alloc_tile' op expects result boxed tile cols to be a multiple of "
        "innerCols (16), but got 8"
    ),
    "matmul_fp32_k24": (
        "not run: 'pto.alloc_tile' op expects result boxed tile rows to be a multiple of "
        "innerRows (16), but got 24"
    ),
    "matmul_fp32_k24_b_trans": "pass",
    "reshape_runtime_rows": (
        "not run: InvalidOperationError: pl operation 'reshape': tensor.reshape: cannot "
        "reshape [16, 64] to [32, 32] because its real data extends a runtime number of "
        "rows (rows) and no dimension of [32, 32] has the ma"
    ),
    "column_window_carried": (
        "not run: 'pto.tmov' op expects A2/A3 non-mat tmov to use matching src/dst shapes"
    ),
    "row_view_carried": "pass",
    "gather_in_split_scope": "not run: no matching function for call to 'TADD_IMPL'",
    "validshape_on_a_slice": "not run: pl.set_validshape cannot narrow a tile view",
    "validshape_on_a_slice_same_extent": "not run: pl.set_validshape cannot narrow a tile view",
    "valid_shape_given_at_the_slice": "pass",
    "validshape_on_a_reshape": "pass",
}

LOW = -3.4028234663852886e38


@pl.jit
def concat_store_all_rows(
    a: pl.Tensor[[16, 64], pl.FP32],
    b: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 128], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="concat_all"):
        ta = pl.slice(a, [16, 64], [0, 0], valid_shape=[1, 64])
        tb = pl.slice(b, [16, 64], [0, 0], valid_shape=[1, 64])
        c = pl.concat(ta, tb)  # @concat
        out[0:16, :] = pl.add(c, 1.0)  # @concat_store
    return out


@pl.jit
def concat_rows_reasserted(
    a: pl.Tensor[[16, 64], pl.FP32],
    b: pl.Tensor[[16, 64], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 128], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="concat_one_row"):
        ta = pl.slice(a, [16, 64], [0, 0], valid_shape=[1, 64])
        tb = pl.slice(b, [16, 64], [0, 0], valid_shape=[1, 64])
        c = pl.set_validshape(pl.concat(ta, tb), 1, 128)
        out[0:16, :] = pl.add(c, 1.0)
    return out


@pl.jit
def transpose_partial(
    x: pl.Tensor[[16, 64], pl.FP32], out: pl.InOut[pl.Tensor[[64, 16], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="transpose_partial"):
        t = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 32])
        out[0:64, 0:16] = pl.transpose(t, 0, 1)  # @transpose_store
    return out


@pl.jit
def gather_partial_index(
    x: pl.Tensor[[16, 64], pl.FP32],
    idx: pl.Tensor[[16, 16], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gather_partial"):
        i = pl.slice(idx, [16, 16], [0, 0], valid_shape=[4, 8])
        out[0:16, 0:16] = pl.gather(x[0:16, 0:64], -1, i)  # @gather_store
    return out


@pl.jit
def reshape_of_runtime_row_window(
    scores: pl.Tensor[[2, 512], pl.FP32], out: pl.InOut[pl.Tensor[[2, 512], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_window"):
        chunk = pl.add(pl.reshape(scores[0:2, 0:512], [32, 32]), 0.0)
        for s in pl.range(2):
            row = pl.reshape(chunk[s * 16 : (s + 1) * 16, :], [1, 512])  # @runtime_window
            out[s : s + 1, :] = pl.add(row, 0.0)
    return out


@pl.jit
def reshape_whole_then_row(
    scores: pl.Tensor[[2, 512], pl.FP32], out: pl.InOut[pl.Tensor[[2, 512], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="whole_rows"):
        chunk = pl.add(pl.reshape(scores[0:2, 0:512], [32, 32]), 0.0)
        rows = pl.reshape(chunk, [2, 512])
        for s in pl.range(2):
            out[s : s + 1, :] = pl.add(pl.slice(rows, [1, 512], [s, 0]), 0.0)
    return out


@pl.jit
def b_trans_tile_window(
    q: pl.Tensor[[128, 128], pl.INT8],
    kv: pl.Tensor[[32, 128], pl.INT8],
    out: pl.InOut[pl.Tensor[[64, 64], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="b_trans_window"):
        q_rows = q[0:128, :]
        kv_t = kv[0:32, :]
        for s in pl.range(2):
            q_tok = pl.slice(q_rows, [64, 128], [s * 64, 0])
            acc = pl.matmul(kv_t, q_tok, out_dtype=pl.INT32, b_trans=True)  # @b_trans_window
            out[s * 32 : (s + 1) * 32, :] = acc
    return out


@pl.jit
def b_trans_gm_window(
    q: pl.Tensor[[128, 128], pl.INT8],
    kv: pl.Tensor[[32, 128], pl.INT8],
    out: pl.InOut[pl.Tensor[[64, 64], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="b_trans_gm"):
        kv_t = kv[0:32, :]
        for s in pl.range(2):
            acc = pl.matmul(kv_t, q[s * 64 : (s + 1) * 64, :], out_dtype=pl.INT32, b_trans=True)
            out[s * 32 : (s + 1) * 32, :] = acc
    return out


@pl.jit
def subview_runtime_rows(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 32], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="runtime_rows"):
        rows = pl.cast(pl.read(n, [0]), pl.INDEX)
        v = pl.slice(x, [16, 64], [0, 0], valid_shape=[rows, 64])
        part = pl.slice(v, [16, 32], [0, 32])  # @runtime_rows_view
        out[0:16, 0:32] = pl.add(part, 0.0)
    return out


@pl.jit
def subview_runtime_rows_valid_given(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 32], pl.FP32]],
):
    # subview_runtime_rows with the window's valid shape given: the subview's valid rows are
    # then the explicit ones, which the pto.subview verifier takes.
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="runtime_rows_given"):
        rows = pl.cast(pl.read(n, [0]), pl.INDEX)
        v = pl.slice(x, [16, 64], [0, 0], valid_shape=[rows, 64])
        part = pl.slice(v, [16, 32], [0, 32], valid_shape=[rows, 32])
        out[0:16, 0:32] = pl.add(part, 0.0)
    return out

@pl.jit
def accumulator_subview_partial(
    x: pl.Tensor[[16, 64], pl.BF16],
    w: pl.Tensor[[64, 32], pl.BF16],
    out: pl.InOut[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="acc_partial"):
        lhs = pl.slice(x, [16, 64], [0, 0], valid_shape=[4, 64])
        acc = pl.matmul(lhs, w[0:64, 0:32], out_dtype=pl.FP32)
        part = pl.slice(acc, [16, 16], [0, 16])  # @acc_view
        out[0:16, 0:16] = pl.add(part, 0.0)
    return out


@pl.jit
def accumulator_subview_whole(
    x: pl.Tensor[[16, 64], pl.BF16],
    w: pl.Tensor[[64, 32], pl.BF16],
    out: pl.InOut[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="acc_whole"):
        acc = pl.matmul(x[0:16, 0:64], w[0:64, 0:32], out_dtype=pl.FP32)
        part = pl.slice(acc, [16, 16], [0, 16])
        out[0:16, 0:16] = pl.add(part, 0.0)
    return out


@pl.jit
def cast_column_window(
    x: pl.Tensor[[16, 128], pl.FP32], out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="cast_window"):
        t = pl.cast(x[0:16, 0:128], pl.BF16)
        out[0:16, 0:64] = pl.cast(t[:, 64:128], pl.FP32)  # @cast_window
    return out


@pl.jit
def assemble_column_window(
    x: pl.Tensor[[16, 128], pl.FP32], out: pl.InOut[pl.Tensor[[4, 128], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="assemble_window"):
        big = pl.full([4, 128], dtype=pl.FP32, value=0.0)
        small = pl.add(x[0:1, 0:32], 1.0)
        big = pl.assemble(big, small, [1, 32])  # @assemble_window
        out[0:4, 0:128] = big
    return out


@pl.jit
def assemble_whole_rows(
    x: pl.Tensor[[16, 128], pl.FP32], out: pl.InOut[pl.Tensor[[4, 128], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="assemble_rows"):
        big = pl.full([4, 128], dtype=pl.FP32, value=0.0)
        row = pl.add(x[0:1, 0:128], 1.0)
        big = pl.assemble(big, row, [1, 0])
        out[0:4, 0:128] = big
    return out


@pl.jit
def column_window_vector_ops(
    x: pl.Tensor[[16, 128], pl.FP32],
    idx: pl.Tensor[[16, 16], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 160], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="window_ops"):
        t = pl.add(x[0:16, 0:128], 1.0)
        w = t[:, 64:128]
        out[0:16, 0:64] = pl.exp(pl.mul(w, 0.01))
        out[0:16, 64:128] = pl.row_expand_mul(w, x[0:16, 0:1])
        out[0:16, 128:129] = pl.row_sum(w)
        out[0:16, 144:160] = pl.gather(w, -1, idx[0:16, 0:16])
    return out


@pl.jit
def matmul_m8(
    a: pl.Tensor[[8, 64], pl.BF16],
    b: pl.Tensor[[64, 32], pl.BF16],
    out: pl.InOut[pl.Tensor[[8, 32], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="m8"):
        out[0:8, 0:32] = pl.matmul(a[0:8, 0:64], b[0:64, 0:32], out_dtype=pl.FP32)  # @m8
    return out


@pl.jit
def matmul_n8(
    a: pl.Tensor[[16, 64], pl.BF16],
    b: pl.Tensor[[64, 8], pl.BF16],
    out: pl.InOut[pl.Tensor[[16, 8], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="n8"):
        out[0:16, 0:8] = pl.matmul(a[0:16, 0:64], b[0:64, 0:8], out_dtype=pl.FP32)  # @n8
    return out


@pl.jit
def matmul_fp32_k24(
    a: pl.Tensor[[16, 24], pl.FP32],
    b: pl.Tensor[[24, 16], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="k24"):
        out[0:16, 0:16] = pl.matmul(a[0:16, 0:24], b[0:24, 0:16], out_dtype=pl.FP32)  # @k24
    return out


@pl.jit
def matmul_fp32_k24_b_trans(
    a: pl.Tensor[[16, 24], pl.FP32],
    b: pl.Tensor[[16, 24], pl.FP32],
    out: pl.InOut[pl.Tensor[[16, 16], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="k24_bt"):
        acc = pl.matmul(a[0:16, 0:24], b[0:16, 0:24], out_dtype=pl.FP32, b_trans=True)
        out[0:16, 0:16] = acc
    return out


@pl.jit
def reshape_runtime_rows(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[32, 32], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reshape_rows"):
        rows = pl.cast(pl.read(n, [0]), pl.INDEX)
        v = pl.slice(x, [16, 64], [0, 0], valid_shape=[rows, 64])
        out[0:32, 0:32] = pl.add(pl.reshape(v, [32, 32]), 0.0)  # @reshape_rows
    return out


@pl.jit
def column_window_carried(
    x: pl.Tensor[[2, 64], pl.FP32], out: pl.InOut[pl.Tensor[[1, 64], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="window_carried"):
        best = pl.full([1, 64], dtype=pl.FP32, value=0.0)
        for i in pl.range(2):  # @carried_window
            merged = pl.concat(best, pl.add(x[i : i + 1, 0:64], 1.0))
            best = merged[:, 64:128]
        out[0:1, 0:64] = best
    return out


@pl.jit
def row_view_carried(x: pl.Tensor[[2, 64], pl.FP32], out: pl.InOut[pl.Tensor[[1, 64], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_view_carried"):
        best = pl.full([1, 64], dtype=pl.FP32, value=0.0)
        for i in pl.range(2):
            merged = pl.concat(best, pl.add(x[i : i + 1, 0:64], 1.0))
            rows = pl.reshape(merged, [2, 64])
            best = rows[1:2, :]
        out[0:1, 0:64] = best
    return out


@pl.jit
def gather_in_split_scope(
    x: pl.Tensor[[32, 128], pl.BF16],
    h: pl.Tensor[[128, 128], pl.BF16],
    out: pl.InOut[pl.Tensor[[32, 128], pl.FP32]],
):
    with pl.at(
        level=pl.Level.CORE_GROUP,
        name_hint="gather_split",
        optimizations=[pl.split(pl.SplitMode.UP_DOWN)],
    ):
        acc = pl.matmul(x[0:32, :], h[0:128, 0:128], out_dtype=pl.FP32)
        col = pl.cast(pl.arange(0, [1, 128], dtype=pl.INT32), target_type=pl.FP32)
        idx = pl.cast(
            pl.col_expand_mul(pl.full([32, 128], dtype=pl.FP32, value=1.0), col),
            target_type=pl.INT32,
            mode="round",
        )
        moved = pl.gather(pl.cast(x[0:32, :], pl.FP32), dim=-1, index=idx)  # @gather_split
        out[0:32, :] = pl.add(moved, acc)
    return out


# pl.set_validshape of a pl.slice result: pypto's code generation refuses it ("a view carries its
# valid extent in its type"), whether the extent narrows or not; the slice takes the extent
# itself (valid_shape=), and a reshape of a whole tile takes pl.set_validshape.


@pl.jit
def validshape_on_a_slice(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="validshape_on_a_slice"):
        t = pl.add(x[0:16, 0:64], 1.0)
        k = pl.cast(pl.read(n, [0]), pl.INDEX)
        row = pl.slice(t, [1, 64], [2, 0])
        rows = pl.full([16, 64], dtype=pl.FP32, value=0.0)
        rows = pl.assemble(rows, pl.set_validshape(row, 1, k), [0, 0])  # @validshape_slice
        out[0:16, 0:64] = rows
    return out


@pl.jit
def validshape_on_a_slice_same_extent(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="validshape_on_a_slice_same_extent"):
        t = pl.add(x[0:16, 0:64], 1.0)
        row = pl.slice(t, [1, 64], [2, 0])
        rows = pl.full([16, 64], dtype=pl.FP32, value=0.0)
        rows = pl.assemble(rows, pl.set_validshape(row, 1, 64), [0, 0])  # @validshape_same
        out[0:16, 0:64] = rows
    return out


@pl.jit
def valid_shape_given_at_the_slice(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="valid_shape_given_at_the_slice"):
        t = pl.add(x[0:16, 0:64], 1.0)
        k = pl.cast(pl.read(n, [0]), pl.INDEX)
        row = pl.slice(t, [1, 64], [2, 0], valid_shape=[1, k])
        rows = pl.full([16, 64], dtype=pl.FP32, value=0.0)
        rows = pl.assemble(rows, row, [0, 0])
        out[0:16, 0:64] = rows
    return out


@pl.jit
def validshape_on_a_reshape(
    x: pl.Tensor[[16, 64], pl.FP32],
    n: pl.Tensor[[1], pl.INT32],
    out: pl.InOut[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="validshape_on_a_reshape"):
        t = pl.add(x[0:16, 0:64], 1.0)
        pairs = pl.reshape(t, [8, 128])
        rows = pl.full([8, 128], dtype=pl.FP32, value=0.0)
        rows = pl.assemble(rows, pl.set_validshape(pairs, 4, 128), [0, 0])
        out[0:16, 0:64] = pl.reshape(rows, [16, 64])
    return out
