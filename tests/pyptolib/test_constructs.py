"""Constructs of the public pypto-lib kernels that plsim accepts because the compiler does:
each fixture runs on plsim with the expected values, and compiles with the real pypto."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import plsim
from golden.compiler import compile_kernel, compiler_available, tensor_arg

KERNELS = Path(__file__).parent / "kernels"

#: fixture file, entry, compile arguments
_BF16 = "bfloat16"
_RING_ARGS = [("a", [128, 256], "int8"), ("b", [256, 1024], "int8"), ("y", [128, 1024])]
FIXTURES = [
    ("write_in_param.py", "write_in_param",
     [("x", [16, 64]), ("state", [16, 64]), ("y", [16, 64])]),
    ("cross_scope_tile.py", "xs", [("x", [16, 64]), ("y", [16, 64])]),
    ("transpose_tile.py", "tr", [("x", [16, 32]), ("y", [32, 16])]),
    ("task_id_array.py", "arr", [("x", [16, 64]), ("y", [16, 64])]),
    ("scope_prefetch.py", "sp", [("x", [16, 64]), ("y", [16, 64])]),
    ("load_valid_shape.py", "lv", [("x", [16, 64]), ("y", [16, 64])]),
    ("atomic_add.py", "aa", [("x", [64, 64]), ("y", [16, 64])]),
    ("matmul_3d_operand.py", "mm3",
     [("x", [16, 64], _BF16), ("w", [2, 32, 64], _BF16), ("y", [16, 32])]),
    ("ring_slot_by_view.py", "ring", _RING_ARGS),
    ("noop_self_copy.py", "selfcopy", [("kv", [4, 64]), ("y", [4, 64])]),
    *[("gather_row_l1.py", entry, [("q", [16, 64], _BF16), ("pool", [32, 64], _BF16),
                                   ("idx", [16], "int32"), ("y", [16, 16])])
      for entry in ("gather_rows_mm", "gather_run_mm")],
    ("gather_row_l1.py", "gather_wide_mm",
     [("q", [16, 512], _BF16), ("pool", [256, 512], _BF16), ("y", [16, 128])]),
    *[("split_aiv_lanes.py", entry, [("a", [32, 64], _BF16), ("b", [64, 64], _BF16),
                                     ("y", [32, 64])])
      for entry in ("shard_rows", "lanes_whole")],
    ("cmp_mask.py", "cmp_select",
     [("a", [16, 64]), ("b", [16, 64]), ("gt", [16, 64], "int32"), ("eq", [16, 64])]),
    ("read_out_param.py", "read_out", [("x", [16, 64]), ("cache", [16, 64])]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "entry", "args"), FIXTURES, ids=[f"{f[0]}:{f[1]}" for f in FIXTURES]
)
def test_the_compiler_accepts_the_fixture(name, entry, args):
    if not compiler_available():
        pytest.skip("the real pypto compiler is not installed (see golden.compiler)")
    specs = [tensor_arg(a[0], a[1], a[2] if len(a) > 2 else "float32") for a in args]
    result = compile_kernel(str(KERNELS / name), entry, specs, platform="a2a3")
    assert result.compiled, f"{result.error} at {result.location}"


def test_a_tile_from_a_closed_scope_goes_through_gm():
    k = plsim.load(KERNELS / "cross_scope_tile.py")
    x = np.arange(16 * 64, dtype=np.float32).reshape(16, 64)
    y = np.zeros_like(x)
    run = plsim.run(k.xs, x, y)
    np.testing.assert_array_equal(y, x * 2 + 1)
    first, second = run.stages
    # first: reads x (4096 B), writes the outlined tile; second: reads it back, writes y
    assert (first.gm_read_bytes, first.gm_write_bytes) == (4096, 4096)
    assert (second.gm_read_bytes, second.gm_write_bytes) == (4096, 4096)


def test_transpose_swaps_the_axes():
    k = plsim.load(KERNELS / "transpose_tile.py")
    x = np.arange(16 * 32, dtype=np.float32).reshape(16, 32)
    y = np.zeros((32, 16), np.float32)
    plsim.run(k.tr, x, y)
    np.testing.assert_array_equal(y, x.T)


def test_task_id_array_carries_handles_to_deps():
    k = plsim.load(KERNELS / "task_id_array.py")
    x = np.full((16, 64), 3.0, np.float32)
    y = np.zeros_like(x)
    plsim.run(k.arr, x, y)
    np.testing.assert_array_equal(y, x + 1)


def test_an_unassigned_integer_array_element_is_an_error():
    from plsim.ops.arrays import create

    a = create(2, plsim.language.INT32)
    a[0] = 5
    assert a[0].value == 5
    with pytest.raises(plsim.DSLError, match="never assigned"):
        a[1]


def test_scope_and_prefetch_run_and_prefetch_reads_the_tensor():
    k = plsim.load(KERNELS / "scope_prefetch.py")
    x = np.ones((16, 64), np.float32)
    y = np.zeros_like(x)
    run = plsim.run(k.sp, x, y)
    np.testing.assert_array_equal(y, x + 1)
    warm = run.stages[0]
    assert (warm.name, warm.gm_read_bytes, warm.gm_segments) == ("warm", 4096, 1)


def test_a_hand_placed_scope_needs_auto_scope_false():
    path = KERNELS / "scope_without_auto_scope_false.py"
    k = plsim.load(path)
    x = np.ones((16, 64), np.float32)
    with pytest.raises(plsim.DSLError, match="auto_scope=False"):
        plsim.run(k.sp, x, np.zeros_like(x))
    if compiler_available():  # the compiler's verdict on the same file
        args = [tensor_arg("x", [16, 64], "float32"), tensor_arg("y", [16, 64], "float32")]
        result = compile_kernel(str(path), "sp", args, platform="a2a3")
        assert not result.compiled and "auto_scope=False" in result.error


def test_load_takes_the_valid_shape_spelling():
    k = plsim.load(KERNELS / "load_valid_shape.py")
    x = np.full((16, 64), 2.0, np.float32)
    y = np.zeros_like(x)
    plsim.run(k.lv, x, y)
    np.testing.assert_array_equal(y[:, :32], 3.0)
    np.testing.assert_array_equal(y[:, 32:], 1.0)  # zero padding + 1


def test_atomic_add_sums_the_parallel_partials_without_a_race():
    k = plsim.load(KERNELS / "atomic_add.py")
    x = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) / 64
    y = np.zeros((16, 64), np.float32)
    plsim.run(k.aa, x, y, shuffle_seed=3)
    np.testing.assert_allclose(y, 2 * x.reshape(4, 16, 64).sum(axis=0), rtol=1e-6)


def test_a_unit_leading_axis_operand_keeps_the_axis_in_the_result():
    import ml_dtypes

    k = plsim.load(KERNELS / "matmul_3d_operand.py")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 64)).astype(ml_dtypes.bfloat16)
    w = rng.standard_normal((2, 32, 64)).astype(ml_dtypes.bfloat16)
    y = np.zeros((16, 32), np.float32)
    plsim.run(k.mm3, x, w, y)
    expected = x.astype(np.float32) @ w[1].astype(np.float32).T
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_the_ring_slot_is_the_view_the_vector_reads():
    a = np.ones((128, 256), np.int8)
    b = np.ones((256, 1024), np.int8)
    k = plsim.load(KERNELS / "ring_slot_by_view.py")
    y = np.zeros((128, 1024), np.float32)
    plsim.run(k.ring, a, b, y)
    np.testing.assert_array_equal(y, 128.0)  # 256 ones summed, times 0.5
    whole = KERNELS / "ring_slot_whole.py"
    k = plsim.load(whole)
    with pytest.raises(plsim.CapacityError, match="262144 bytes are reserved"):
        plsim.run(k.ring, a, b, np.zeros((128, 1024), np.float32))
    if compiler_available():  # the compiler rejects the whole-tile read the same way
        args = [tensor_arg(n, s, d) for n, s, d in
                [(*x, "float32") if len(x) == 2 else x for x in _RING_ARGS]]  # fmt: skip
        result = compile_kernel(str(whole), "ring", args, platform="a2a3")
        assert not result.compiled and "262144 bytes" in result.error


def test_a_no_op_self_copy_is_not_a_race_a_real_update_is():
    kv = np.arange(256, dtype=np.float32).reshape(4, 64)
    y = np.zeros_like(kv)
    plsim.run(plsim.load(KERNELS / "noop_self_copy.py").selfcopy, kv, y, shuffle_seed=1)
    np.testing.assert_array_equal(y, np.roll(kv, -1, axis=0) + 1)
    k = plsim.load(KERNELS / "self_update_race.py")
    with pytest.raises(plsim.RaceError):
        plsim.run(k.selfcopy, kv.copy(), np.zeros_like(kv))


def test_gather_row_fills_an_l1_operand_row_by_row_and_by_runs():
    import ml_dtypes

    k = plsim.load(KERNELS / "gather_row_l1.py")
    rng = np.random.default_rng(0)
    q = rng.standard_normal((16, 64)).astype(ml_dtypes.bfloat16)
    pool = rng.standard_normal((32, 64)).astype(ml_dtypes.bfloat16)
    idx = rng.integers(0, 32, 16).astype(np.int32)
    y = np.zeros((16, 16), np.float32)
    plsim.run(k.gather_rows_mm, q, pool, idx, y)
    ref = q.astype(np.float64) @ pool[idx].astype(np.float64).T
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)  # FP32 accumulation of BF16
    idx[:2] = [5, 6]  # a run of 6 rows from pool row 5, then pool row 0 for the other 10
    plsim.run(k.gather_run_mm, q, pool, idx, y)
    rows = np.concatenate([pool[5:11], np.repeat(pool[:1], 10, axis=0)])
    np.testing.assert_allclose(y, q.astype(np.float64) @ rows.astype(np.float64).T,
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def test_split_aiv_lanes_take_their_half_or_disjoint_work():
    import ml_dtypes

    k = plsim.load(KERNELS / "split_aiv_lanes.py")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((32, 64)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((64, 64)).astype(ml_dtypes.bfloat16)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    y = np.full((32, 64), np.nan, np.float32)
    plsim.run(k.shard_rows, a, b, y)  # lane l of block m writes rows m*16 + l*8 .. + 8
    np.testing.assert_allclose(y, 2 * ref, rtol=1e-5, atol=1e-4)
    y[:] = np.nan
    plsim.run(k.lanes_whole, a, b, y)  # lane l writes column block l of the whole result
    np.testing.assert_allclose(y, ref + 1, rtol=1e-5, atol=1e-4)


def test_cmp_gives_zero_one_in_the_lhs_dtype():
    k = plsim.load(KERNELS / "cmp_mask.py")
    rng = np.random.default_rng(2)
    a = rng.standard_normal((16, 64)).astype(np.float32)
    b = rng.standard_normal((16, 64)).astype(np.float32)
    a[3, 5] = a[0, 0]  # two cells equal to a[0, 0]
    gt = np.full((16, 64), -1, np.int32)
    eq = np.full((16, 64), -1, np.float32)
    plsim.run(k.cmp_select, a, b, gt, eq)
    np.testing.assert_array_equal(gt, (a > b).astype(np.int32))
    np.testing.assert_array_equal(eq, (a == a[0, 0]).astype(np.float32))
    assert eq.sum() == 2


def test_a_gathered_l1_operand_takes_no_cube_vector_ring_slot():
    # [128, 512] BF16 is 128 KiB: as a vector-made operand its two ring slots (256 KiB) would
    # not fit UB (188 KiB); filled by DMA it lives in L1 and the kernel runs.
    import ml_dtypes

    k = plsim.load(KERNELS / "gather_row_l1.py")
    rng = np.random.default_rng(3)
    q = rng.standard_normal((16, 512)).astype(ml_dtypes.bfloat16)
    pool = rng.standard_normal((256, 512)).astype(ml_dtypes.bfloat16)
    y = np.zeros((16, 128), np.float32)
    plsim.run(k.gather_wide_mm, q, pool, y)
    ref = q.astype(np.float64) @ pool[64:192].astype(np.float64).T
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-4)


def test_a_read_of_an_out_parameter_needs_its_data_declared():
    k = plsim.load(KERNELS / "read_out_param.py")
    x = np.full((16, 64), 2.0, np.float32)
    cache = np.full((16, 64), 5.0, np.float32)
    with pytest.raises(plsim.UninitializedReadError, match="cache"):
        plsim.run(k.read_out, x, cache.copy())
    plsim.run(k.read_out, x, cache, out_keeps_data=["cache"])
    np.testing.assert_array_equal(cache, 7.0)
    with pytest.raises(plsim.ArgumentError, match="out_keeps_data"):
        plsim.run(k.read_out, x, cache, out_keeps_data=["nope"])
