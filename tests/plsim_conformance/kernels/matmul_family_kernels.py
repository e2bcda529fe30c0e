"""The cube ops beyond pl.matmul / pl.matmul_acc (plsim/ops/cube_forms.py, plsim/ops/matmul.py,
pl.tile.transpose_view in plsim/ops/views.py): a bias row, batches (tile and tensor level,
broadcast), a transposed view, and the one-row gemv family; then four forms the compiler
refuses.
"""

import pypto.language as pl

M = 16
K = 64
N = 32
BATCH = 2
HALF_K = K // 2


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "bias_rows": "compiles",
    "batched_tiles": "compiles",
    "batched_tensors": "compiles",
    "transposed_views": "compiles",
    "row_vector_products": "compiles",
    "row_vector_matmuls": "compiles",
    "bias_of_operand_dtype": (
        "rejected: The operator tile.matmul_bias requires bias dtype fp32 to match the "
        "accumulator, but got bfloat16"
    ),
    "bias_of_tensors": (
        "rejected: The operator tile.matmul_bias requires first argument (lhs) to be a TileType, "
        "but got TensorType"
    ),
    "batch_of_tensors": (
        "rejected: pl.batch_matmul: expected Tensor or Tile operands, got (Tensor, Tensor)"
    ),
    "tile_flag": (
        "rejected: 'b_trans' is not supported for Tile operands. At tile level a transposed "
        "operand is an explicit zero-copy view, not an op flag"
    ),
    "tile_out_dtype": (
        "rejected: pl.matmul: out_dtype=bfloat16 is not supported for Tile operands"
    ),
    "mixed_levels": "rejected: pl.matmul: cannot mix Tensor and Tile arguments (Tile, Tensor)",
    "gemv_of_rows": (
        "rejected: GEMV requires lhs physical row extent to be exactly 1, but got shape [16, 64]"
    ),
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "bias_rows": "pass",
    "batched_tiles": "pass",
    "batched_tensors": "pass",
    "transposed_views": "pass",
    "row_vector_matmuls": "pass",
    "row_vector_products": (
        "not run: static assertion failed due to requirement 'Tile<pto::TileType::Left, __bf16, "
        "1, 64, ...>::Rows == Tile<pto::TileType::Acc, float, 16, 32, ...>::Rows': Inconsistent "
        "number of m, k, n (pto-isa's CPU TMatmul)"
    ),
    "bias_of_operand_dtype": (
        "not run: InvalidOperationError: pl operation 'matmul_bias': The operator "
        "tile.matmul_bias requires bias dtype fp32 to match the accumulator, but got bfloat16"
    ),
    "bias_of_tensors": (
        "not run: InvalidOperationError: pl operation 'matmul_bias': The operator "
        "tile.matmul_bias requires first argument (lhs) to be a TileType, but got TensorType"
    ),
    "batch_of_tensors": (
        "not run: InvalidOperationError: pl.batch_matmul: expected Tensor or Tile operands, got "
        "(Tensor, Tensor)"
    ),
    "tile_flag": (
        "not run: InvalidOperationError: pl.matmul: 'b_trans' is not supported for Tile operands"
    ),
    "tile_out_dtype": (
        "not run: InvalidOperationError: pl.matmul: out_dtype=bfloat16 is not supported for Tile "
        "operands"
    ),
    "mixed_levels": (
        "not run: InvalidOperationError: pl.matmul: cannot mix Tensor and Tile arguments (Tile, "
        "Tensor)"
    ),
    "gemv_of_rows": (
        "not run: InvalidOperationError: pl operation 'gemv': GEMV requires lhs physical row "
        "extent to be exactly 1, but got shape [16, 64]"
    ),
}


@pl.jit
def bias_rows(
    a: pl.Tensor[[M, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    bias: pl.Tensor[[1, N], pl.FP32],
    qa: pl.Tensor[[M, K], pl.INT8],
    qb: pl.Tensor[[K, N], pl.INT8],
    qbias: pl.Tensor[[1, N], pl.INT32],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
    qout: pl.Out[pl.Tensor[[M, N], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bias_rows"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        row = pl.load(bias, [0, 0], [1, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul_bias(ta, tb, row), [0, 0], out)
        qta = pl.load(qa, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        qtb = pl.load(qb, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        qrow = pl.load(qbias, [0, 0], [1, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul_bias(qta, qtb, qrow), [0, 0], qout)
    return out, qout


@pl.jit
def batched_tiles(
    a: pl.Tensor[[BATCH, M, K], pl.BF16],
    b: pl.Tensor[[BATCH, K, N], pl.BF16],
    shared: pl.Tensor[[1, K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[BATCH, M, N], pl.FP32]],
    broadcast: pl.Out[pl.Tensor[[BATCH, M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="batched_tiles"):
        ta = pl.load(a, [0, 0, 0], [BATCH, M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0, 0], [BATCH, K, N], target_memory=pl.MemorySpace.Mat)
        ts = pl.load(shared, [0, 0, 0], [1, K, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.batch_matmul(ta, tb), [0, 0, 0], out)
        pl.store(pl.batch_matmul(ta, ts), [0, 0, 0], broadcast)
    return out, broadcast


@pl.jit
def batched_tensors(
    a: pl.Tensor[[BATCH, M, K], pl.BF16],
    b: pl.Tensor[[BATCH, K, N], pl.BF16],
    w: pl.Tensor[[K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[BATCH, M, N], pl.FP32]],
    broadcast: pl.Out[pl.Tensor[[BATCH, M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="batched_tensors"):
        out[:, :, :] = pl.matmul(a, b, out_dtype=pl.FP32)
        broadcast[:, :, :] = pl.matmul(a, w, out_dtype=pl.FP32)
    return out, broadcast


@pl.jit
def transposed_views(
    a: pl.Tensor[[M, K], pl.BF16],
    bt: pl.Tensor[[N, K], pl.BF16],
    x: pl.Tensor[[M, K], pl.FP32],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
    xt: pl.Out[pl.Tensor[[K, M], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="transposed_views"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(bt, [0, 0], [N, K], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul(ta, pl.tile.transpose_view(tb), out_dtype=pl.FP32), [0, 0], out)
        vx = pl.load(x, [0, 0], [M, K])
        pl.store(pl.tile.transpose_view(vx), [0, 0], xt)
    return out, xt


@pl.jit
def row_vector_products(
    a: pl.Tensor[[1, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    bias: pl.Tensor[[1, N], pl.FP32],
    plain: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    biased: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    halves: pl.Out[pl.Tensor[[1, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_vector_products"):
        ta = pl.load(a, [0, 0], [1, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.gemv(ta, tb), [0, 0], plain)
        row = pl.load(bias, [0, 0], [1, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.gemv_bias(ta, tb, row), [0, 0], biased)
        a0 = pl.load(a, [0, 0], [1, HALF_K], target_memory=pl.MemorySpace.Mat)
        b0 = pl.load(b, [0, 0], [HALF_K, N], target_memory=pl.MemorySpace.Mat)
        a1 = pl.load(a, [0, HALF_K], [1, HALF_K], target_memory=pl.MemorySpace.Mat)
        b1 = pl.load(b, [HALF_K, 0], [HALF_K, N], target_memory=pl.MemorySpace.Mat)
        first = pl.gemv(a0, b0, acc_phase="partial")
        pl.store(pl.gemv_acc(first, a1, b1, acc_phase="final"), [0, 0], halves)
    return plain, biased, halves


@pl.jit
def row_vector_matmuls(
    a: pl.Tensor[[1, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    tensor_level: pl.Out[pl.Tensor[[1, N], pl.FP32]],
    tile_level: pl.Out[pl.Tensor[[1, N], pl.FP32]],
):
    """pl.matmul with M = 1: pypto stores the row unboxed, which builds (M = 8 does not)."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="row_vector_matmuls"):
        tensor_level[:, :] = pl.matmul(a, b, out_dtype=pl.FP32)
        ta = pl.load(a, [0, 0], [1, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul(ta, tb, out_dtype=pl.FP32), [0, 0], tile_level)
    return tensor_level, tile_level


@pl.jit
def bias_of_operand_dtype(
    a: pl.Tensor[[M, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    bias: pl.Tensor[[1, N], pl.BF16],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bias_of_operand_dtype"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        row = pl.load(bias, [0, 0], [1, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul_bias(ta, tb, row), [0, 0], out)  # @bf16_bias
    return out


@pl.jit
def bias_of_tensors(
    a: pl.Tensor[[M, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    bias: pl.Tensor[[1, N], pl.FP32],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bias_of_tensors"):
        out[:, :] = pl.matmul_bias(a[:, :], b[:, :], bias[:, :])  # @tensor_bias
    return out


@pl.jit
def batch_of_tensors(
    a: pl.Tensor[[BATCH, M, K], pl.BF16],
    b: pl.Tensor[[BATCH, K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[BATCH, M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="batch_of_tensors"):
        out[:, :, :] = pl.batch_matmul(a[:, :, :], b[:, :, :])  # @tensor_batch
    return out


@pl.jit
def gemv_of_rows(
    a: pl.Tensor[[M, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="gemv_of_rows"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.gemv(ta, tb), [0, 0], out)  # @gemv_rows
    return out


@pl.jit
def tile_flag(
    a: pl.Tensor[[M, K], pl.BF16],
    bt: pl.Tensor[[N, K], pl.BF16],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_flag"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(bt, [0, 0], [N, K], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul(ta, tb, b_trans=True), [0, 0], out)  # @tile_flag
    return out


@pl.jit
def tile_out_dtype(
    a: pl.Tensor[[M, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[M, N], pl.BF16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tile_out_dtype"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        tb = pl.load(b, [0, 0], [K, N], target_memory=pl.MemorySpace.Mat)
        pl.store(pl.matmul(ta, tb, out_dtype=pl.BF16), [0, 0], out)  # @tile_out_dtype
    return out


@pl.jit
def mixed_levels(
    a: pl.Tensor[[M, K], pl.BF16],
    b: pl.Tensor[[K, N], pl.BF16],
    out: pl.Out[pl.Tensor[[M, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="mixed_levels"):
        ta = pl.load(a, [0, 0], [M, K], target_memory=pl.MemorySpace.Mat)
        product = pl.matmul(ta, b[:, :], out_dtype=pl.FP32)  # @mixed
        pl.store(product, [0, 0], out)
    return out
