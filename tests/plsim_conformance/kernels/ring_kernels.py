"""Mixed cube + vector scopes and their cube<->vector ring buffers (ExpandMixedKernel).

dequant_<R>_rows: an INT8 [R, 64] x [64, 512] matmul whose INT32 [R, 512] result (R x 2 KiB) is
read by vector ops (a cube->vector crossing), cast to an FP32 copy of the same size and scaled
per row. The ring takes slot_num x R x 2 KiB of UB before the FP32 copy (R x 2 KiB) is placed:

    R = 64: ring 2 x 128 KiB = 256 KiB  > 184 KiB on its own     -> CapacityError
    R = 32: ring 2 x  64 KiB + 64 KiB copy = 192 KiB > 184 KiB   -> CapacityError
    R = 16: ring 2 x  32 KiB + 32 KiB copy =  96 KiB             -> fits
    R = 32, slot_num=1: 64 KiB + 64 KiB = 128 KiB                -> fits
    R = 48, pl.split(UP_DOWN): the copy is halved (48 KiB) but the ring slot holds the FULL
            [48, 512] INT32 tile: 2 x 96 KiB = 192 KiB > 184 KiB  -> CapacityError

operand_ring_*: a vector-made [64, 1024] FP16 tile (128 KiB) is the LEFT operand of a matmul
(a vector->cube crossing), so L1 holds its ring (slot_num x 128 KiB) below the loaded
[1024, 128] FP16 right operand (256 KiB): 2 slots fill L1 (512 KiB) exactly, 3 overflow it.
(FP16, not BF16: a2a3's vector unit has no BF16 multiply, plsim/ops/vector_dtypes.py.)
"""

import pypto.language as pl

KD = 64
N = 512


#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "dequant_16_rows": "compiles",
    "dequant_32_rows": "rejected: Vec buffer usage",
    "dequant_32_rows_one_slot": "compiles",
    "dequant_32_rows_split_one_slot": "compiles",
    "dequant_48_rows_split": "rejected: Vec buffer usage",
    "dequant_64_rows": "rejected: Vec buffer usage",
    "operand_ring_three_slots": "rejected: Mat buffer usage",
    "operand_ring_two_slots": "compiles",
    "zero_slots": "rejected: pl.cross_core_slot(slot_num=...) must be positive, got 0",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "dequant_16_rows": "pass",
    "dequant_32_rows": (
        "not run: ValueError: Vec buffer usage (196736 bytes) exceeds platform limit "
        "(188416 bytes). The first 131072 bytes of that space are reserved by "
        "system.reserve_buffer, so tiles are allocated above them \u2014 this"
    ),
    "dequant_32_rows_one_slot": "pass",
    "dequant_32_rows_split_one_slot": "pass",
    "dequant_48_rows_split": (
        "not run: ValueError: Vec buffer usage (245856 bytes) exceeds platform limit "
        "(188416 bytes). The first 196608 bytes of that space are reserved by "
        "system.reserve_buffer, so tiles are allocated above them \u2014 this"
    ),
    "dequant_64_rows": (
        "not run: ValueError: Vec buffer usage (393472 bytes) exceeds platform limit "
        "(188416 bytes). The first 262144 bytes of that space are reserved by "
        "system.reserve_buffer, so tiles are allocated above them \u2014 this"
    ),
    "operand_ring_three_slots": (
        "not run: ValueError: Mat buffer usage (655360 bytes) exceeds platform limit "
        "(524288 bytes). The first 393216 bytes of that space are reserved by "
        "system.reserve_buffer, so tiles are allocated above them \u2014 this"
    ),
    "operand_ring_two_slots": "pass",
    "zero_slots": (
        "not run: ParserSyntaxError: pl.cross_core_slot(slot_num=...) must be positive, "
        "got 0"
    ),
}


@pl.jit
def dequant_64_rows(
    a: pl.Tensor[[64, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[64, 1], pl.FP32], out: pl.Out[pl.Tensor[[64, N], pl.FP32]],
):  # fmt: skip
    """Over UB: the default two-slot ring of the 128 KiB INT32 result alone overflows UB."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dequant_wide"):
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)  # @slot_64
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out


@pl.jit
def dequant_32_rows(
    a: pl.Tensor[[32, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[32, 1], pl.FP32], out: pl.Out[pl.Tensor[[32, N], pl.FP32]],
):  # fmt: skip
    """Over UB: the ring fits, the ring plus the FP32 copy does not."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dequant_mid"):
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)  # @slot_32
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")  # @copy_32
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out


@pl.jit
def dequant_16_rows(
    a: pl.Tensor[[16, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[16, 1], pl.FP32], out: pl.Out[pl.Tensor[[16, N], pl.FP32]],
):  # fmt: skip
    """Fits: the same computation on half the rows."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dequant_small"):
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out


@pl.jit
def dequant_32_rows_one_slot(
    a: pl.Tensor[[32, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[32, 1], pl.FP32], out: pl.Out[pl.Tensor[[32, N], pl.FP32]],
):  # fmt: skip
    """Fits: dequant_32_rows with a one-slot ring."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dequant_one_slot",
               optimizations=[pl.cross_core_slot(slot_num=1)]):  # fmt: skip
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out


@pl.jit
def dequant_32_rows_split_one_slot(
    a: pl.Tensor[[32, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[32, 1], pl.FP32], out: pl.Out[pl.Tensor[[32, N], pl.FP32]],
):  # fmt: skip
    """Fits: the deprecated pl.split(mode, slot_num=N) spelling of the ring depth."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dequant_split_slot",
               optimizations=[pl.split(pl.SplitMode.NONE, slot_num=1)]):  # fmt: skip
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out


@pl.jit
def dequant_48_rows_split(
    a: pl.Tensor[[48, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[48, 1], pl.FP32], out: pl.Out[pl.Tensor[[48, N], pl.FP32]],
):  # fmt: skip
    """Over UB: splitting the vector work halves the copy but not the ring slots."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="dequant_split",
               optimizations=[pl.split(pl.SplitMode.UP_DOWN)]):  # fmt: skip
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)  # @slot_48
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out


@pl.jit
def operand_ring_two_slots(
    x: pl.Tensor[[64, 1024], pl.FP16], w: pl.Tensor[[1024, 128], pl.FP16],
    out: pl.Out[pl.Tensor[[64, 128], pl.FP32]],
):  # fmt: skip
    """Fits: 2 x 128 KiB ring + 256 KiB right operand = 512 KiB of L1."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="operand_two_slots"):
        doubled = pl.mul(x[:, :], 2.0)
        out[:, :] = pl.matmul(doubled, w[:, :], out_dtype=pl.FP32)
    return out


@pl.jit
def operand_ring_three_slots(
    x: pl.Tensor[[64, 1024], pl.FP16], w: pl.Tensor[[1024, 128], pl.FP16],
    out: pl.Out[pl.Tensor[[64, 128], pl.FP32]],
):  # fmt: skip
    """Over L1: 3 x 128 KiB ring + 256 KiB right operand = 640 KiB."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="operand_three_slots",
               optimizations=[pl.cross_core_slot(slot_num=3)]):  # fmt: skip
        doubled = pl.mul(x[:, :], 2.0)  # @operand_slot
        out[:, :] = pl.matmul(doubled, w[:, :], out_dtype=pl.FP32)  # @operand_use
    return out


@pl.jit
def zero_slots(
    a: pl.Tensor[[16, KD], pl.INT8], b: pl.Tensor[[KD, N], pl.INT8],
    scale: pl.Tensor[[16, 1], pl.FP32], out: pl.Out[pl.Tensor[[16, N], pl.FP32]],
):  # fmt: skip
    """Rejected: a ring needs at least one slot."""
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="no_slots",
               optimizations=[pl.cross_core_slot(slot_num=0)]):  # fmt: skip
        acc = pl.matmul(a[:, :], b[:, :], out_dtype=pl.INT32)
        wide = pl.cast(acc, target_type=pl.FP32, mode="rint")
        out[:, :] = pl.row_expand_mul(wide, scale[:, :])
    return out
