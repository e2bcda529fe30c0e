"""Conformance: pl.dump_tag, pl.tile.get_block_num / get_subblock_idx, pl.tile.fillpad_inplace,
pl.move and jit-family decorator keyword arguments (expectations derived by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

K = load("more_construct_kernels.py")


def _x(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-2.0, 2.0, size=(K.ROWS, K.COLS)).astype(np.float32)


def test_dump_tag_has_no_functional_effect():
    x = _x(1)
    out = np.zeros_like(x)
    plsim.run(K.tagged_scale, x, out)
    # Both steps are single FP32 roundings, reproduced here in FP32.
    expected = (x * np.float32(3.0)) + np.float32(1.0)
    assert np.array_equal(out, expected)


def test_get_block_num_is_the_spmd_block_count():
    out = np.full((K.BLOCKS, K.COLS), -1, dtype=np.int32)
    plsim.run(K.block_numbers, out)
    expected = np.repeat(np.array([[4], [104], [204], [304]], dtype=np.int32), K.COLS, axis=1)
    assert np.array_equal(out, expected)


def test_get_subblock_idx_is_lane_zero_in_an_unsplit_scope():
    x = _x(2)
    out = np.zeros_like(x)
    plsim.run(K.subblock_lane, x, out)
    assert np.array_equal(out, x)


def test_fillpad_inplace_pads_outside_the_valid_region():
    x = _x(3)
    out = np.zeros_like(x)
    plsim.run(K.fillpad_in_place, x, out)
    expected = np.full_like(x, -np.inf)
    expected[: K.VALID_ROWS, : K.VALID_COLS] = x[: K.VALID_ROWS, : K.VALID_COLS]
    assert np.array_equal(out, expected)


def test_move_preserves_values():
    x = _x(4)
    out = np.zeros_like(x)
    plsim.run(K.moved_copy, x, out)
    assert np.array_equal(out, x + np.float32(0.5))


@pytest.mark.parametrize(
    ("kernel", "pattern"),
    [
        ("dump_tag_two_args", "exactly one positional"),
        ("dump_tag_subscript", "bare variable name"),
        ("dump_tag_in_incore", "only valid inside an orchestration"),
        ("subblock_in_split_scope", "vector split"),
        ("fillpad_inplace_on_tensor", "requires first argument to be a TileType"),
        ("move_to_gm", "target_memory"),
    ],
)
def test_misuse_is_a_dsl_error(kernel, pattern):
    x = _x(5)
    with pytest.raises(plsim.DSLError, match=pattern):
        plsim.run(getattr(K, kernel), x, np.zeros_like(x))


def test_block_num_outside_spmd_compiles_and_plsim_reads_one_block():
    """The real compiler accepts get_block_num() outside pl.spmd; plsim warns and uses 1."""
    out = np.zeros((K.ROWS, K.COLS), dtype=np.int32)
    with pytest.warns(plsim.DSLWarning, match="outside a pl.spmd body"):
        plsim.run(K.block_num_outside_spmd, out)
    assert np.array_equal(out, np.ones_like(out))


@pytest.mark.parametrize("decorator", ["jit", "inline", "incore", "opaque"])
def test_decorator_keywords(decorator):
    from plsim import language as pl

    factory = pl.jit if decorator == "jit" else getattr(pl.jit, decorator)
    assert callable(factory(auto_scope=False))
    # an unknown keyword may be legal pypto: plsim warns instead of rejecting the kernel
    with pytest.warns(plsim.DSLWarning, match="schedule_hint=3 that plsim does not know"):
        assert callable(factory(schedule_hint=3))
    with pytest.raises(plsim.DSLError, match="auto_scope must be a bool"):
        factory(auto_scope="no")
    assert callable(factory(level=pl.Level.CORE_GROUP))
    with pytest.raises(plsim.DSLError, match="CORE_GROUP only"):
        factory(level=pl.Level.CHIP)


def test_a_launch_of_zero_blocks_is_refused_at_its_line():
    """The runtime aborts on pl.spmd(0) ("block_num must be >= 1"); pypto builds it."""
    x = np.ones((8, 64), np.float32)
    with pytest.raises(plsim.HardwareError) as err:
        plsim.run(K.spmd_zero_blocks, x, np.zeros_like(x))
    assert marked_line("more_construct_kernels.py", "zero_blocks") in str(err.value)
    assert "block_num >= 1" in str(err.value)
