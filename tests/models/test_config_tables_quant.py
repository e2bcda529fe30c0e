"""Presets, rope/Hadamard tables and the INT8 quant policy, checked against hand-derived values."""

import math

import ml_dtypes
import numpy as np
import pytest

from models.deepseek_v4 import config
from models.deepseek_v4.reference import tables
from models.deepseek_v4.reference.quant import (
    quantize_columns_symmetric,
    quantize_rows,
    round_half_away,
)


def test_presets_carry_public_checkpoint_values():
    assert (config.FLASH.hidden_size, config.FLASH.q_lora_rank, config.FLASH.index_topk) == (
        4096,
        1024,
        512,
    )
    assert (config.PRO.hidden_size, config.PRO.q_lora_rank, config.PRO.index_topk) == (
        7168,
        1536,
        1024,
    )
    assert config.DEMO.hidden_size == config.FLASH.hidden_size
    assert config.DEMO.max_position_embeddings == 4096
    assert config.FLASH.max_position_embeddings == 1_048_576


def test_derived_values_are_computed():
    assert config.FLASH.nope_head_dim == 64
    assert config.FLASH.weights_scale == pytest.approx(1 / math.sqrt(128) / math.sqrt(64))
    assert config.FLASH.q_proj_width == 64 * 128
    assert config.DEMO.cache_rows(4096) == 1024


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match=r"preset: unknown preset 'HUGE'.*DEMO.*FLASH.*PRO"):
        config.get_preset("HUGE")
    assert config.get_preset("flash") is config.FLASH


def test_hadamard_is_orthogonal_sylvester():
    h = tables.hadamard(128)
    np.testing.assert_allclose(h @ h.T, np.eye(128), atol=1e-12)
    assert np.all(np.abs(h) == 1 / math.sqrt(128))
    # Sylvester structure: H[i, j] sign = (-1)^popcount(i & j)
    i, j = np.meshgrid(np.arange(128), np.arange(128), indexing="ij")
    parity = np.vectorize(lambda v: bin(v).count("1") % 2)(i & j)
    np.testing.assert_array_equal(np.sign(h), np.where(parity == 1, -1.0, 1.0))
    with pytest.raises(ValueError, match="power of two"):
        tables.hadamard(96)


def test_yarn_keeps_high_frequencies_and_interpolates_low_ones():
    inv = tables.yarn_inverse_frequencies(config.FLASH)
    base = 160000.0
    plain = 1.0 / base ** (np.arange(0, 64, 2) / 64)
    # correction dims for beta_fast=32 / beta_slow=1 at original length 65536 are 15.45 / 24.71,
    # so pairs 0..15 keep their frequency and pairs 25.. are divided by the factor 16.
    np.testing.assert_allclose(inv[:16], plain[:16], rtol=1e-15)
    np.testing.assert_allclose(inv[25:], plain[25:] / 16, rtol=1e-15)
    assert np.all((inv[16:25] < plain[16:25]) & (inv[16:25] > plain[16:25] / 16))


def test_rope_rotation_preserves_pair_norms_and_is_identity_at_zero():
    cos, sin = tables.rope_cos_sin(np.array([0, 7, 4095]), config.DEMO)
    assert cos.shape == (3, 32) and cos.dtype == np.float32
    x = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    y = tables.apply_rope_interleaved(x, cos, sin)
    np.testing.assert_array_equal(y[0], x[0])
    pair_norm = lambda v: v[..., 0::2] ** 2 + v[..., 1::2] ** 2  # noqa: E731
    np.testing.assert_allclose(pair_norm(y), pair_norm(x), rtol=1e-5)
    # first pair at position 7 rotates by exactly 7 radians (inverse frequency 1)
    c, s = math.cos(7), math.sin(7)
    assert y[1, 0] == pytest.approx(x[1, 0] * c - x[1, 1] * s, rel=1e-5)


def test_round_half_away_ties():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, -0.49], dtype=np.float32)
    np.testing.assert_array_equal(round_half_away(x), [1, 2, 3, -1, -2, -3, 0, -0.0])


def test_quantize_rows_signed_amax_and_ties():
    # amax comes from the negative entry: an all-positive fixture would hide an abs() bug.
    row = np.array([[-2.0, 1.0, 0.5, 0.0]], dtype=np.float32)
    codes, scale = quantize_rows(row)
    # quant scale 127/2 = 63.5: -2 -> -127, 1 -> 63.5 -> 64 (tie away), 0.5 -> 31.75 -> 32
    np.testing.assert_array_equal(codes, [[-127, 64, 32, 0]])
    assert codes.dtype == np.int8
    assert scale[0, 0] == np.float32(2.0) / np.float32(127.0)


def test_quantize_rows_floors_amax_for_zero_rows_and_reads_bf16():
    codes, scale = quantize_rows(np.zeros((2, 8), dtype=ml_dtypes.bfloat16))
    np.testing.assert_array_equal(codes, 0)
    assert scale[0, 0] == np.float32(1e-4) / np.float32(127.0)


def test_quantize_columns_is_per_output_channel():
    w = np.array([[1.0, -4.0], [-0.5, 2.0]], dtype=np.float32)
    codes, scale = quantize_columns_symmetric(w)
    np.testing.assert_array_equal(codes, [[127, -127], [-64, 64]])
    np.testing.assert_array_equal(scale, np.float32([1.0, 4.0]) / np.float32(127.0))

