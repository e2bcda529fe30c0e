"""Fixture kernels for plsim's run-time checks: each bad kernel has a corrected twin.

Lines the tests expect in error messages carry a trailing ``# @tag`` comment.
"""

import pypto.language as pl

R = 16
C = 64


# --- out-of-bounds -------------------------------------------------------------------------
#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "acc_fits": "compiles",
    "acc_too_big": "rejected: Acc buffer usage",
    "aligned_rows": "compiles",
    "load_oob": "rejected: tensor.slice reads past the end of dimension 0",
    "long_read_assembled": "rejected: tensor.assemble writes past the end of dimension 0",
    "long_read_fixed": "compiles",
    "long_read_in_helper": "rejected: tile.store writes past the end of dimension 0",
    "long_read_in_loop": "runtime: data-driven out-of-bounds store",
    "long_read_meets_short": "rejected: requires compatible shapes",
    "long_read_pl_store": "rejected: tile.store writes past the end of dimension 0",
    "long_read_subscript_store": "rejected: Subscript-write shape mismatch on source axis 0",
    "long_valid_read_store": "rejected: Subscript-write shape mismatch on source axis 0",
    "load_tail_ok": "compiles",
    "narrow_rows": "hardware: UB tile row of 16 bytes (pto_tile.hpp 32-byte row rule)",
    "out_partial_then_masked": "compiles",
    "parallel_disjoint": "compiles",
    "parallel_overlap": "runtime: race between iterations/blocks",
    "parallel_overlap_in_scratch": "runtime: race between iterations/blocks",
    "relay_defined": "compiles",
    "relay_partly_never_written": "runtime: read of undefined data",
    "relay_then_orchestration_copy": "runtime: read of undefined data",
    "relay_undefined": "runtime: read of undefined data",
    "relay_undefined_scalar": "runtime: read of undefined data",
    "scratch_unwritten": "runtime: read of undefined data",
    "scratch_written": "compiles",
    "short_column": "hardware: [2,1] FP32 column of 8 bytes (pto_tile.hpp 32-byte column rule)",
    "spmd_reads_neighbour": "runtime: race between iterations/blocks",
    "store_ok": "compiles",
    "store_oob": "rejected: tensor.assemble writes past the end of dimension 0",
    "ub_at_limit": "compiles",
    "ub_over_limit": "rejected: Vec buffer usage",
    "writes_inout": "compiles",
    "writes_input": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "acc_fits": "pass",
    "acc_too_big": (
        "not run: ValueError: Acc buffer usage (262144 bytes) exceeds platform limit "
        "(131072 bytes)"
    ),
    "aligned_rows": "pass",
    "load_oob": (
        "not run: ParserSyntaxError: Failed to parse function 'load_oob': tensor.slice "
        "reads past the end of dimension 0: offset 0 + extent 16 exceeds the source "
        "extent 12. Pass clamp=True -- pl.slice(x, shape, offset,"
    ),
    "long_read_assembled": (
        "not run: InvalidOperationError: pl operation 'assemble': tensor.assemble writes "
        "past the end of dimension 0: offset 0 + extent 24 exceeds the target extent 16. "
        "tensor.assemble transfers only the source's effec"
    ),
    "long_read_fixed": "pass",
    "long_read_in_helper": (
        "not run: InvalidOperationError: pl operation 'store': tile.store writes past the"
        " end of dimension 0: offset 0 + extent 24 exceeds the target extent 16. A store "
        "performs no layout conversion (RFC #1300 P7): the"
    ),
    "long_read_in_loop": "ran: plsim refuses it (OutOfBoundsError); a2a3sim's run fails",
    "long_read_meets_short": (
        "not run: InvalidOperationError: pl operation 'add': The operator tensor.add "
        "requires compatible shapes, but got [24, 64] and [16, 64]"
    ),
    "long_read_pl_store": (
        "not run: InvalidOperationError: pl operation 'store': tile.store writes past the"
        " end of dimension 0: offset 0 + extent 24 exceeds the target extent 16. A store "
        "performs no layout conversion (RFC #1300 P7): the"
    ),
    "long_read_subscript_store": (
        "not run: ParserTypeError: Subscript-write shape mismatch on source axis 0: "
        "window expects 16 elements, source has 24"
    ),
    "long_valid_read_store": (
        "not run: ParserTypeError: Subscript-write shape mismatch on source axis 0: "
        "window expects 16 elements, source has 32"
    ),
    "load_tail_ok": "pass",
    "narrow_rows": (
        "not run: 'pto.alloc_tile' op expects result row-major none_box tile row byte "
        "size (cols * sizeof(dtype)) to be 32-byte aligned, but got 16 bytes"
    ),
    "out_partial_then_masked": "pass",
    "parallel_disjoint": "pass",
    "parallel_overlap": "ran: plsim refuses it (RaceError)",
    "parallel_overlap_in_scratch": "ran: plsim refuses it (RaceError)",
    "relay_defined": "pass",
    "relay_partly_never_written": "ran: plsim refuses it (UninitializedReadError)",
    "relay_then_orchestration_copy": "ran: plsim refuses it (UninitializedReadError)",
    "relay_undefined": "ran: plsim refuses it (UninitializedReadError)",
    "relay_undefined_scalar": "ran: plsim refuses it (UninitializedReadError)",
    "scratch_unwritten": "ran: plsim refuses it (UninitializedReadError)",
    "scratch_written": "pass",
    "short_column": (
        "not run: 'pto.alloc_tile' op expects result col-major none_box tile column byte "
        "size (rows * sizeof(dtype)) to be 32-byte aligned, but got 8 bytes"
    ),
    "spmd_reads_neighbour": "ran: plsim refuses it (RaceError)",
    "store_ok": "pass",
    "store_oob": (
        "not run: ParserSyntaxError: Failed to parse function 'store_oob': "
        "tensor.assemble writes past the end of dimension 0: offset 12 + extent 8 exceeds"
        " the target extent 16. tensor.assemble transfers only the sourc"
    ),
    "ub_at_limit": "pass",
    "ub_over_limit": (
        "not run: ValueError: Vec buffer usage (189888 bytes) exceeds platform limit "
        "(188416 bytes)"
    ),
    "writes_inout": "pass",
    "writes_input": "pass",
}


@pl.jit
def load_oob(x: pl.Tensor[[12, C], pl.FP32], out: pl.Out[pl.Tensor[[12, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="oob_load"):
        t = x[0:R, :]  # @load_oob
        out[0:12, :] = t
    return out


@pl.jit
def load_tail_ok(x: pl.Tensor[[12, C], pl.FP32], out: pl.Out[pl.Tensor[[12, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="tail_load"):
        t = pl.slice(x, [R, C], [0, 0], valid_shape=[12, C])
        out[0:R, :] = t
    return out


@pl.jit
def store_oob(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="oob_store"):
        t = x[0:8, :]
        out[12:20, :] = t  # @store_oob
    return out


@pl.jit
def store_ok(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="store_ok"):
        t = x[0:8, :]
        out[8:16, :] = t
        out[0:8, :] = t
    return out


# --- an over-long read, found where its tile is stored (or mixed) a few lines later ---------
# LONG rows read where the destination takes R: the error names the read line (tag @long_*).
LONG = 24
XR = 32


@pl.jit
def long_read_subscript_store(
    x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_read"):
        t = x[0:LONG, :]  # @long_subscript
        u = pl.add(t, 1.0)
        v = pl.mul(u, 2.0)
        w = pl.sub(v, 1.0)
        out[0:R, :] = w  # @long_subscript_store
    return out


@pl.jit
def long_read_fixed(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_read"):
        t = x[0:R, :]
        u = pl.add(t, 1.0)
        v = pl.mul(u, 2.0)
        w = pl.sub(v, 1.0)
        out[0:R, :] = w
    return out


@pl.jit
def long_read_pl_store(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_load"):
        t = pl.load(x, [8, 0], [LONG, C])  # @long_load
        u = pl.add(t, 1.0)
        v = pl.mul(u, 2.0)
        pl.store(v, [0, 0], out)  # @long_load_store
    return out


@pl.jit
def long_valid_read_store(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_valid"):
        t = pl.slice(x, [XR, C], [0, 0], valid_shape=[LONG, C])  # @long_valid
        u = pl.add(t, 1.0)
        out[0:R, :] = u
    return out


@pl.jit
def long_read_assembled(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_assemble"):
        t = x[0:LONG, :]  # @long_assemble
        u = pl.add(t, 1.0)
        out = pl.assemble(out, u, [0, 0])
    return out


@pl.jit.inline
def _read_and_store(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_helper"):
        t = pl.load(x, [0, 0], [LONG, C])  # @long_helper
        u = pl.add(t, 1.0)
        pl.store(u, [0, 0], out)
    return out


@pl.jit
def long_read_in_helper(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    out = _read_and_store(x, out)
    return out


@pl.jit
def long_read_in_loop(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[XR, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_loop"):
        for r in pl.range(0, XR, R):
            t = pl.load(x, [r // 2, 0], [LONG, C])  # @long_loop
            u = pl.add(t, 1.0)
            pl.store(u, [r, 0], out)  # @long_loop_store
    return out


@pl.jit
def long_read_meets_short(x: pl.Tensor[[XR, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="long_mixed"):
        t = x[0:LONG, :]  # @long_mixed
        s = x[0:R, :]
        u = pl.add(t, s)  # @long_mixed_add
        out[0:R, :] = u
    return out


# --- uninitialized reads -------------------------------------------------------------------
@pl.jit
def scratch_unwritten(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    tmp = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fill_half"):
        tmp[0:8, :] = x[0:8, :]
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="consume"):
        t = tmp[0:R, :]
        out[0:R, :] = pl.exp(t)  # @uninit
    return out


@pl.jit
def scratch_written(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    tmp = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fill_all"):
        tmp[0:R, :] = x[0:R, :]
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="consume"):
        out[0:R, :] = pl.exp(tmp[0:R, :])
    return out


@pl.jit
def out_partial_then_masked(x: pl.Tensor[[1, C], pl.FP32], out: pl.Out[pl.Tensor[[1, C], pl.FP32]]):
    # Reads a partly written Out row, but only its written prefix is valid: no error.
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="prefix"):
        out[0:1, 0:8] = x[0:1, 0:8]
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="pad"):
        row = pl.set_validshape(out[0:1, 0:C], 1, 8)
        out[0:1, 0:C] = pl.fillpad(row, pad_value=pl.PadValue.min)
    return out


# --- where undefined data came from, through a scratch store and reload ---------------------
@pl.jit
def relay_undefined(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    # Stage one reads a scratch nobody wrote (the bug), stage two relays its result through a
    # second scratch, stage three stores the reloaded cells into the output.
    missing = pl.create_tensor([R, C], dtype=pl.FP32)
    relay = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_read"):
        scale = missing[0:R, :]  # @origin
        relay[0:R, :] = pl.mul(x[0:R, :], scale)  # @relay_store
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reload"):
        t = relay[0:R, :]  # @reload
        out[0:R, :] = pl.exp(t)  # @sink
    return out


@pl.jit
def relay_then_orchestration_copy(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    missing = pl.create_tensor([R, C], dtype=pl.FP32)
    relay = pl.create_tensor([R, C], dtype=pl.FP32)
    copy = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_read"):
        relay[0:R, :] = pl.add(x[0:R, :], missing[0:R, :])  # @copy_origin
    copy = pl.assemble(copy, relay, [0, 0])
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reload"):
        out[0:R, :] = copy[0:R, :]  # @copy_sink
    return out


@pl.jit
def relay_partly_never_written(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    # Rows 0..7 of relay are never written; rows 8..15 hold undefined data from @late_origin.
    missing = pl.create_tensor([R, C], dtype=pl.FP32)
    relay = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_read"):
        relay[8:R, :] = pl.add(x[8:R, :], missing[8:R, :])  # @late_origin
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reload_all"):
        t = relay[0:R, :]  # @first_reader
        out[0:R, :] = t
    return out


@pl.jit
def relay_undefined_scalar(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    missing = pl.create_tensor([R, C], dtype=pl.FP32)
    relay = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bad_read"):
        relay[0:R, :] = pl.sub(x[0:R, :], missing[0:R, :])  # @scalar_origin
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="scalar"):
        gain = pl.read(relay, [3, 5])  # @scalar_read
        out[0:R, :] = pl.mul(x[0:R, :], gain)
    return out


@pl.jit
def relay_defined(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    # The corrected twin: stage one writes what stage two reads.
    relay = pl.create_tensor([R, C], dtype=pl.FP32)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="good_write"):
        relay[0:R, :] = pl.mul(x[0:R, :], 2.0)
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="reload"):
        out[0:R, :] = pl.exp(relay[0:R, :])
    return out


# --- races ---------------------------------------------------------------------------------
@pl.jit
def parallel_overlap(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R + 4, C], pl.FP32]]):
    for i in pl.parallel(2):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="rows"):
            out[i * 8 : i * 8 + 12, :] = pl.slice(x, [12, C], [0, 0])  # @race
    return out


@pl.jit
def parallel_overlap_in_scratch(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]
):
    staging = pl.create_tensor(
        [R + 4, C],
        dtype=pl.FP32,
    )
    for i in pl.parallel(2):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="stage_rows"):
            staging[i * 8 : i * 8 + 12, :] = pl.slice(x, [12, C], [0, 0])  # @scratch_race
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="copy_out"):
        out[0:R, :] = staging[0:R, :]
    return out


@pl.jit
def parallel_disjoint(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R + 4, C], pl.FP32]]):
    for i in pl.parallel(2):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="rows"):
            out[i * 10 : i * 10 + 10, :] = pl.slice(x, [10, C], [0, 0])
    return out


@pl.jit
def spmd_reads_neighbour(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    for b in pl.spmd(2, name_hint="shift"):
        out[b * 8 : b * 8 + 8, :] = x[b * 8 : b * 8 + 8, :]
        t = out[0:8, :]  # @spmd_race
        x_unused = pl.add(t, 1.0)
        out[b * 8 : b * 8 + 8, :] = x_unused
    return out


# --- capacity ------------------------------------------------------------------------------
@pl.jit
def ub_at_limit(
    a: pl.Tensor[[128, 184], pl.FP32],
    b: pl.Tensor[[128, 184], pl.FP32],
    out: pl.Out[pl.Tensor[[128, 184], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="two_tiles"):
        ta = a[:, :]
        tb = b[:, :]
        out[:, :] = pl.add(ta, tb)
    return out


@pl.jit
def ub_over_limit(
    a: pl.Tensor[[129, 184], pl.FP32],
    b: pl.Tensor[[129, 184], pl.FP32],
    out: pl.Out[pl.Tensor[[129, 184], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="two_tiles"):
        ta = a[:, :]
        tb = b[:, :]  # @ub_over
        out[:, :] = pl.add(ta, tb)
    return out


@pl.jit
def acc_too_big(
    a: pl.Tensor[[256, 32], pl.BF16],
    b: pl.Tensor[[32, 256], pl.BF16],
    out: pl.Out[pl.Tensor[[256, 256], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="big_matmul"):
        # A matmul_acc accumulator stays whole in L0C (a plain matmul feeding only one store
        # would be M/N-tiled by AutoTileMatmulL0 and is legal; see tests/plsim_conformance).
        acc = pl.matmul(a, b, out_dtype=pl.FP32)  # @acc_big
        acc = pl.matmul_acc(acc, a, b)
        out[:, :] = acc
    return out


@pl.jit
def acc_fits(
    a: pl.Tensor[[128, 32], pl.BF16],
    b: pl.Tensor[[32, 256], pl.BF16],
    out: pl.Out[pl.Tensor[[128, 256], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="fits_matmul"):
        out[:, :] = pl.matmul(a, b, out_dtype=pl.FP32)
    return out


# --- alignment -----------------------------------------------------------------------------
@pl.jit
def narrow_rows(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="narrow"):
        t = x[:, 0:4]  # @narrow
        out[:, 0:4] = pl.exp(t)
    return out


@pl.jit
def aligned_rows(x: pl.Tensor[[R, C], pl.FP32], out: pl.Out[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="aligned"):
        out[:, 0:8] = pl.exp(x[:, 0:8])
    return out


@pl.jit
def short_column(x: pl.Tensor[[2, C], pl.FP32], out: pl.Out[pl.Tensor[[2, 1], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="short_col"):
        out[:, :] = pl.row_sum(x[:, :])  # @short_col
    return out


# --- parameter direction -------------------------------------------------------------------
@pl.jit
def writes_input(x: pl.Tensor[[R, C], pl.FP32]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="clobber"):
        x[0:R, :] = pl.exp(x[0:R, :])  # @write_in
    return x


@pl.jit
def writes_inout(x: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="update"):
        x[0:R, :] = pl.mul(x[0:R, :], 2.0)
    return x
