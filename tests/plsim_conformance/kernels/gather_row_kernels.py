"""Conformance kernels for pl.create_l1 / pl.gather_row (a matmul operand gathered row by row
from a GM pool into L1, as the pypto-lib sparse-attention kernels do)."""

import pypto.language as pl

M = 16
K_ROWS = 16
D = 64
POOL = 64
BIG_ROWS = 512
BIG_D = 256

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "gather_qk": "compiles",
    "gather_pv_transposed": "compiles",
    "gather_partial_rows": "compiles",
    "gather_large_operand": "compiles",
    "gather_leaves_a_slot": "runtime: the unfilled L1 row reaches the stored product",
    "gather_in_orchestration": "rejected: requires dst to be a TileType",
    "gather_runtime_shape": "rejected: to be a compile-time constant",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
#: The four "fail" entries are a defect of pto-isa's CPU backend (docs/dsl.md §14): its TLOAD
#: fills the whole destination tile type (Rows x Cols) with the pad value before writing the
#: valid cells; a one-row gather_row is a subview at row r declared with the parent's 16 rows,
#: so each load clears rows r+1.. of every column block and rows ..r-1 of the next. Only the
#: last row survives whole (a2a3sim's column 15 is right, the others hold block 0 only). The
#: device's ND2NZ copy writes the valid rows only; plsim computes what it computes.
A2A3SIM = {
    "gather_qk": "fail: out: 240 of 256 cells differ (max 52.8)",
    "gather_pv_transposed": "fail: out: 240 of 256 cells differ (max 52.8)",
    "gather_partial_rows": "fail: out: 240 of 256 cells differ (max 52.8)",
    "gather_large_operand": "fail: out: 8176 of 8192 cells differ (max 253)",
    "gather_leaves_a_slot": "ran: plsim refuses it (UninitializedReadError)",
    "gather_in_orchestration": (
        "not run: ValueError: The operator tile.gather_row requires dst to be a TileType,"
        " but got TensorType"
    ),
    "gather_runtime_shape": (
        "not run: InvalidOperationError: pl operation 'gather_row': The operator "
        "tensor.gather_row requires shapes[0] to be a compile-time constant (it sizes "
        "pto.subview, whose sizes is a static attribute), but got a r"
    ),
}


@pl.jit
def gather_qk(
    q: pl.Tensor[[M, D], pl.BF16],
    pool: pl.Tensor[[POOL, D], pl.BF16],
    rows: pl.Tensor[[K_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, K_ROWS], pl.FP32]],
):
    """q @ pool[rows].T with the gathered rows built in L1 (no GM round-trip)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk"):
        kv = pl.create_l1([K_ROWS, D], pl.BF16)
        for r in pl.range(K_ROWS):
            src = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [src, 0], [1, D])
        out[:, :] = pl.matmul(q[:, :], kv, b_trans=True, out_dtype=pl.FP32)
    return out


@pl.jit
def gather_pv_transposed(
    q: pl.Tensor[[M, D], pl.BF16],
    pool: pl.Tensor[[POOL, D], pl.BF16],
    rows: pl.Tensor[[K_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, K_ROWS], pl.FP32]],
):
    """The same product with each gathered row placed as a column of a [D, K_ROWS] operand."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk_t"):
        kv_t = pl.create_l1([D, K_ROWS], pl.BF16, transpose=True)
        for r in pl.range(K_ROWS):
            src = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv_t = pl.gather_row(kv_t, pool, [0, r], [src, 0], [1, D], transpose=True)
        out[:, :] = pl.matmul(q[:, :], kv_t, out_dtype=pl.FP32)
    return out


@pl.jit
def gather_partial_rows(
    q: pl.Tensor[[M, D], pl.BF16],
    pool: pl.Tensor[[POOL, D], pl.BF16],
    rows: pl.Tensor[[K_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, K_ROWS], pl.FP32]],
):
    """The same gather with the transferred part given explicitly by valid_shape."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk_valid"):
        kv = pl.create_l1([K_ROWS, D], pl.BF16)
        for r in pl.range(K_ROWS):
            src = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [src, 0], [1, D], valid_shape=[1, D])
        out[:, :] = pl.matmul(q[:, :], kv, b_trans=True, out_dtype=pl.FP32)
    return out


@pl.jit
def gather_in_orchestration(
    q: pl.Tensor[[M, D], pl.BF16],
    pool: pl.Tensor[[POOL, D], pl.BF16],
    rows: pl.Tensor[[K_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, K_ROWS], pl.FP32]],
):
    """pl.create_l1 outside any InCore scope."""
    kv = pl.create_l1([K_ROWS, D], pl.BF16)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk_orch"):
        for r in pl.range(K_ROWS):
            src = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [src, 0], [1, D])
        out[:, :] = pl.matmul(q[:, :], kv, b_trans=True, out_dtype=pl.FP32)
    return out


@pl.jit
def gather_runtime_shape(
    q: pl.Tensor[[M, D], pl.BF16],
    pool: pl.Tensor[[POOL, D], pl.BF16],
    rows: pl.Tensor[[K_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, K_ROWS], pl.FP32]],
):
    """A gather window whose shape is a runtime value (shapes must be constants)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk_dyn"):
        kv = pl.create_l1([K_ROWS, D], pl.BF16)
        for r in pl.range(K_ROWS):
            n = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [0, 0], [n - n + 1, D])
        out[:, :] = pl.matmul(q[:, :], kv, b_trans=True, out_dtype=pl.FP32)
    return out


@pl.jit
def gather_leaves_a_slot(
    q: pl.Tensor[[M, D], pl.BF16],
    pool: pl.Tensor[[POOL, D], pl.BF16],
    rows: pl.Tensor[[K_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, K_ROWS], pl.FP32]],
):
    """The last row slot of the L1 operand is never gathered."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk_gap"):
        kv = pl.create_l1([K_ROWS, D], pl.BF16)
        for r in pl.range(K_ROWS - 1):
            src = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [src, 0], [1, D])
        out[:, :] = pl.matmul(q[:, :], kv, b_trans=True, out_dtype=pl.FP32)  # @gap_store
    return out


@pl.jit
def gather_large_operand(
    q: pl.Tensor[[M, BIG_D], pl.BF16],
    pool: pl.Tensor[[BIG_ROWS, BIG_D], pl.BF16],
    rows: pl.Tensor[[BIG_ROWS], pl.INT32],
    out: pl.Out[pl.Tensor[[M, BIG_ROWS], pl.FP32]],
):
    """A 256 KiB gathered operand: larger than UB, within L1."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="qk_big"):
        kv = pl.create_l1([BIG_ROWS, BIG_D], pl.BF16)
        for r in pl.range(BIG_ROWS):
            src = pl.cast(pl.read(rows, [r]), pl.INDEX)
            kv = pl.gather_row(kv, pool, [r, 0], [src, 0], [1, BIG_D])
        out[:, :] = pl.matmul(q[:, :], kv, b_trans=True, out_dtype=pl.FP32)
    return out
