"""Conformance kernels: spmd projections, nested scopes, views, runtime lengths, top-k."""

import pypto.language as pl
from conformance_shapes import (
    BATCH,
    COLS,
    FP32_LOWEST,
    K_TILE,
    N_OUT,
    N_TILE,
    ROW_TILE,
    ROWS,
    SCORE_LEN,
    TOPK,
    K,
)

ROW_BLOCKS = (ROWS + ROW_TILE - 1) // ROW_TILE
COL_BLOCKS = N_OUT // N_TILE


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "masked_row_max": (
        "gap: codegen needs identical pad modes for tile.assemble of a fillpad'ed slice "
        "into a tile; plsim does not model pad modes"
    ),
    "nested_scopes": "rejected: No codegen registered for operation: inner_exp",
    "reshape_views": "compiles",
    "runtime_scalars": "compiles",
    "spmd_projection": (
        "gap: the compiler drops the valid rows through matmul/matmul_acc, so a 16-row "
        "result stored into a 10-row tensor is rejected; plsim keeps the valid rows"
    ),
    "spmd_with_block_index": "compiles",
    "topk_4096": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "masked_row_max": (
        "not run: tile.assemble: pad mismatch between source and result; pto.subview "
        "requires identical pad mode"
    ),
    "nested_scopes": "not run: No codegen registered for operation: inner_exp",
    "reshape_views": "pass",
    "runtime_scalars": "pass",
    "spmd_projection": (
        "not run: ParserSyntaxError: Failed to parse function 'spmd_projection': "
        "tensor.assemble writes past the end of dimension 0: offset row0 + extent 16 "
        "exceeds the target extent 10. tensor.assemble transfers only"
    ),
    "spmd_with_block_index": "pass",
    "topk_4096": "pass",
}


@pl.jit
def spmd_projection(
    x: pl.Tensor[[ROWS, K], pl.BF16],
    w: pl.Tensor[[N_OUT, K], pl.BF16],
    out: pl.Out[pl.Tensor[[ROWS, N_OUT], pl.FP32]],
):
    """out = x @ w.T, one [16, 32] tile per spmd block, K accumulated in two chunks."""
    for blk in pl.spmd(ROW_BLOCKS * COL_BLOCKS, name_hint="proj"):
        row0 = (blk // COL_BLOCKS) * ROW_TILE
        col0 = (blk % COL_BLOCKS) * N_TILE
        rows = pl.min(ROW_TILE, ROWS - row0)
        acc = pl.create_tensor([ROW_TILE, N_TILE], dtype=pl.FP32)
        for kb in pl.pipeline(0, K // K_TILE, stage=2):
            k0 = kb * K_TILE
            x_tile = pl.slice(x, [ROW_TILE, K_TILE], [row0, k0], valid_shape=[rows, K_TILE])
            w_tile = w[col0 : col0 + N_TILE, k0 : k0 + K_TILE]
            if k0 == 0:
                acc = pl.matmul(x_tile, w_tile, out_dtype=pl.FP32, b_trans=True)
            else:
                acc = pl.matmul_acc(acc, x_tile, w_tile, b_trans=True)
        out[row0 : row0 + ROW_TILE, col0 : col0 + N_TILE] = acc
    return out


@pl.jit
def spmd_with_block_index(
    x: pl.Tensor[[4 * 8, COLS], pl.FP32], out: pl.Out[pl.Tensor[[4 * 8, COLS], pl.FP32]]
):
    """Block b adds b * 10 to its 8 rows; the index comes from pl.tile.get_block_idx()."""
    with pl.spmd(4, name_hint="blocks") as _tid:
        b = pl.tile.get_block_idx()
        bias = pl.cast(pl.cast(b * 10, pl.INT32), pl.FP32)
        out[b * 8 : b * 8 + 8, :] = pl.add(x[b * 8 : b * 8 + 8, :], bias)
    return out


@pl.jit
def nested_scopes(x: pl.Tensor[[16, COLS], pl.FP32], out: pl.Out[pl.Tensor[[16, COLS], pl.FP32]]):
    """An outer pl.at holding two inner ones: rejected (no codegen for an inner scope)."""
    mid = pl.create_tensor([16, COLS], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="outer"):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="inner_exp"):  # @nested_at
            mid[:, :] = pl.exp(x[:, :])
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="inner_scale"):
            out[:, :] = pl.mul(mid[:, :], 0.5)
    return out


@pl.jit
def masked_row_max(
    scores: pl.Tensor[[BATCH, COLS], pl.FP32],
    lengths: pl.Tensor[[BATCH], pl.INT32],
    padded: pl.Out[pl.Tensor[[BATCH, COLS], pl.FP32]],
    row_max: pl.Out[pl.Tensor[[8, 8], pl.FP32]],
):
    """Per row: valid length from GM, pad with -inf then clamp to FP32_LOWEST; the rows are
    gathered into one 8-row tile (a [8, 1] FP32 column is the smallest aligned reduction)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mask"):
        rows = pl.full([8, COLS], dtype=pl.FP32, value=0.0)
        for b in pl.range(BATCH):
            n = pl.read(lengths, [b])
            t = pl.slice(scores, [1, COLS], [b, 0], valid_shape=[1, n])
            t = pl.maximum(pl.fillpad(t, pad_value=pl.PadValue.min), FP32_LOWEST)
            padded[b : b + 1, :] = t
            rows[b : b + 1, :] = t
        m = pl.row_max(rows)
        row_max[:, :] = pl.row_expand(pl.full([8, 8], dtype=pl.FP32, value=0.0), m)
    return padded, row_max


@pl.jit
def topk_4096(
    scores: pl.Tensor[[BATCH, SCORE_LEN], pl.FP32],
    lengths: pl.Tensor[[BATCH], pl.INT32],
    topk_idx: pl.Out[pl.Tensor[[BATCH, TOPK], pl.INT32]],
    topk_val: pl.Out[pl.Tensor[[BATCH, TOPK], pl.FP32]],
):
    """Top-512 of 4096 scores per row: sort32, three format-1 merges, a format-2 merge of the
    two sorted halves, gather of indices (P1010) and values (P0101). Invalid tail -> -1."""
    for b in pl.parallel(BATCH):
        n = pl.read(lengths, [b])
        k = pl.min(TOPK, n)
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="topk"):
            row = pl.slice(scores, [1, SCORE_LEN], [b, 0], valid_shape=[1, n])
            row = pl.maximum(pl.fillpad(row, pad_value=pl.PadValue.min), FP32_LOWEST)
            idx = pl.arange(0, [1, SCORE_LEN], dtype=pl.UINT32)
            pairs = pl.sort32(row, idx)
            pairs = pl.mrgsort(pairs, block_len=64)
            pairs = pl.mrgsort(pairs, block_len=256)
            pairs = pl.mrgsort(pairs, block_len=1024)
            first = pairs[:, 0 : 2 * TOPK]
            second = pairs[:, SCORE_LEN : SCORE_LEN + 2 * TOPK]
            merged = pl.mrgsort(first, second)
            best = merged[:, 0 : 2 * TOPK]
            ids = pl.gather(best, mask_pattern=pl.tile.MaskPattern.P1010, output_dtype=pl.INT32)
            vals = pl.gather(best, mask_pattern=pl.tile.MaskPattern.P0101)
            topk_idx[b : b + 1, :] = pl.full([1, TOPK], dtype=pl.INT32, value=-1)
            topk_idx = pl.assemble(topk_idx, pl.set_validshape(ids, 1, k), [b, 0])
            topk_val[b : b + 1, :] = vals
    return topk_idx, topk_val


@pl.jit
def reshape_views(
    x: pl.Tensor[[BATCH, 2, COLS], pl.FP32], out: pl.Out[pl.Tensor[[BATCH, 2, COLS], pl.FP32]]
):
    """Orchestration reshapes are views: rows written through out_flat land in out."""
    x_flat = pl.reshape(x, [BATCH * 2, COLS])
    out_flat = pl.reshape(out, [BATCH * 2, COLS])
    for r in pl.range(BATCH * 2):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_copy"):
            out_flat[r : r + 1, :] = pl.add(
                x_flat[r : r + 1, :], pl.cast(pl.cast(r, pl.INT32), pl.FP32)
            )
    return out


@pl.jit
def runtime_scalars(vals: pl.Tensor[[4], pl.INT32], out: pl.Out[pl.Tensor[[4, 4], pl.INT32]]):
    """// and % on runtime scalars truncate toward zero (C); pl.min/pl.max of scalars. Inside a
    pl.at scope: a run that submits no task never ends (plsim/checks.check_submits_a_task)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scalars"):
        for i in pl.range(4):
            v = pl.read(vals, [i])
            pl.write(out, [i, 0], pl.cast(v // 3, pl.INT32))
            pl.write(out, [i, 1], pl.cast(v % 3, pl.INT32))
            pl.write(out, [i, 2], pl.cast(pl.min(v, 2), pl.INT32))
            pl.write(out, [i, 3], pl.cast(pl.max(v * 2, -5), pl.INT32))
    return out
