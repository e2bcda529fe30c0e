"""Self-checks of the compressor golden from the math (no kernel involved)."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

from models.deepseek_v4.config import DEMO
from models.deepseek_v4.reference.decode_compressor import (
    compress_row,
    compressor_float_reference,
    compressor_golden,
    compressor_paged_golden,
    compressor_rows,
    empty_state,
    pool_window,
    rms_norm,
    to_bf16,
)
from models.deepseek_v4.reference.tables import apply_rope_interleaved, hadamard, rope_cos_sin

BF16 = ml_dtypes.bfloat16
HEAD = 128
DIM = 256  # a small hidden size keeps these math checks fast (the golden takes any D)


def small_step_inputs(seed: int, batch: int, seq: int, max_seq_len: int = 64):
    """Weights and tables of a small-D compressor with signed, trained-scale values."""
    rng = np.random.default_rng(seed)
    wkv = to_bf16(rng.standard_normal((DIM, 256)) / math.sqrt(DIM))
    wgate = to_bf16(rng.standard_normal((DIM, 256)) / math.sqrt(DIM))
    ape = (rng.standard_normal((4, 256)) * 0.1).astype(np.float32)
    norm_weight = to_bf16(1.0 + 0.25 * rng.standard_normal(HEAD))
    cos, sin = rope_cos_sin(np.arange(max_seq_len), DEMO)
    xs = to_bf16(rng.standard_normal((batch, seq, DIM)))
    return xs, wkv, wgate, ape, norm_weight, cos, sin, to_bf16(hadamard(HEAD))


def test_hadamard_is_orthogonal_and_bf16_copy_nearly_so():
    h = hadamard(HEAD)
    np.testing.assert_allclose(h @ h.T, np.eye(HEAD), atol=1e-12)
    hb = to_bf16(h).astype(np.float64)
    # 2^-3.5 rounds to 0.08837890625 in BF16: H_bf16 H_bf16^T = 128 * 0.08837890625^2 * I.
    np.testing.assert_allclose(hb @ hb.T, np.eye(HEAD) * 128 * 0.08837890625**2, atol=1e-12)
    assert set(np.unique(np.abs(hb))) == {0.08837890625}


def test_pooling_equal_gates_is_mean_of_selected_halves():
    batch = 2
    kv, score = empty_state(batch)
    # Marker values: row r, front half = 10 * r + f / 1000, back half = -(10 * r) - f / 1000.
    f = np.arange(HEAD) / 1000.0
    for r in range(8):
        kv[:, r, :HEAD] = 10 * r + f
        kv[:, r, HEAD:] = -(10 * r) - f
    score[:] = 0.5  # all gates equal
    pooled = pool_window(kv, score)
    front = np.mean([10 * r + f for r in range(4)], axis=0)
    back = np.mean([-(10 * r) - f for r in range(4, 8)], axis=0)
    np.testing.assert_allclose(
        pooled, np.broadcast_to((front + back) / 2, (batch, HEAD)), rtol=1e-6
    )


def test_pooling_first_window_ignores_empty_rows_and_follows_softmax():
    kv, score = empty_state(1)
    rng = np.random.default_rng(1)
    kv[:, 4:] = rng.standard_normal((1, 4, 256))
    score[:, 4:] = rng.standard_normal((1, 4, 256))
    pooled = pool_window(kv, score)
    g = score[0, 4:, HEAD:].astype(np.float64)
    w = np.exp(g - g.max(0)) / np.exp(g - g.max(0)).sum(0)
    np.testing.assert_allclose(pooled[0], (w * kv[0, 4:, HEAD:]).sum(0), rtol=2e-6, atol=1e-7)


def test_pooling_dominant_gate_selects_its_row():
    kv, score = empty_state(1)
    kv[:] = np.arange(8 * 256, dtype=np.float32).reshape(1, 8, 256)
    score[:] = 0.0
    score[0, 2, :HEAD] = 200.0  # row 2 front half dominates every feature
    pooled = pool_window(kv, score)
    np.testing.assert_allclose(pooled[0], kv[0, 2, :HEAD], rtol=1e-6)


def test_rms_norm_of_known_vectors():
    x = np.zeros((2, HEAD), np.float32)
    x[0] = 2.0  # rms 2 -> 1 everywhere
    x[1, :2] = [3.0, 4.0]  # rms = 5 / sqrt(128)
    weight = np.full(HEAD, 2.0, np.float32)
    out = rms_norm(x, weight)
    np.testing.assert_allclose(out[0], 2.0 * 2.0 / math.sqrt(4.0 + 1e-6), rtol=1e-6)
    scale = 1.0 / math.sqrt(25.0 / HEAD + 1e-6)
    np.testing.assert_allclose(out[1, :2], [2 * 3 * scale, 2 * 4 * scale], rtol=1e-6)
    assert np.all(out[1, 2:] == 0)


def test_rope_rotates_interleaved_pairs():
    cos, sin = rope_cos_sin(np.array([0, 1000]), DEMO)
    x = np.random.default_rng(2).standard_normal(64).astype(np.float32)
    np.testing.assert_array_equal(apply_rope_interleaved(x, cos[0], sin[0]), x)  # angle 0
    y = apply_rope_interleaved(x, cos[1], sin[1])
    np.testing.assert_allclose(np.hypot(y[0::2], y[1::2]), np.hypot(x[0::2], x[1::2]), rtol=1e-6)
    i = 5
    angle = math.atan2(sin[1, i], cos[1, i])
    expected_even = x[2 * i] * math.cos(angle) - x[2 * i + 1] * math.sin(angle)
    assert y[2 * i] == pytest.approx(expected_even, rel=1e-5)


def test_compress_row_leaves_nope_dims_and_rotation_is_the_hadamard():
    rng = np.random.default_rng(3)
    pooled = rng.standard_normal((3, HEAD)).astype(np.float32)
    weight = to_bf16(np.ones(HEAD))
    cos, sin = rope_cos_sin(np.array([37]), DEMO)
    hb = to_bf16(hadamard(HEAD))
    plain = compress_row(pooled, weight, cos[0], sin[0], hb, rotate=False)
    rotated = compress_row(pooled, weight, cos[0], sin[0], hb, rotate=True)
    normed = to_bf16(rms_norm(to_bf16(pooled), weight))
    np.testing.assert_array_equal(plain[:, :64], normed[:, :64])
    assert not np.array_equal(plain[:, 64:], normed[:, 64:])  # rope changed the tail
    expected = to_bf16(plain.astype(np.float64) @ hb.astype(np.float64))
    np.testing.assert_array_equal(rotated, expected)
    assert plain.dtype == BF16 and rotated.dtype == BF16


def test_non_closing_step_only_writes_its_state_row():
    xs, wkv, wgate, ape, w, cos, sin, hb = small_step_inputs(4, batch=2, seq=1)
    kv, score = empty_state(2)
    kv[:, :5] = 1.5
    score[:, :5] = 0.25
    cache = to_bf16(np.random.default_rng(5).standard_normal((2, 16, HEAD)))
    pos = 13  # slot 1, not closing
    kv2, score2, cache2 = compressor_golden(
        xs, wkv, wgate, ape, w, cos, sin, hb, kv, score, cache, pos, True
    )
    token = xs[:, 0].astype(np.float64)
    np.testing.assert_allclose(kv2[:, 5], token @ wkv.astype(np.float64), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        score2[:, 5], token @ wgate.astype(np.float64) + ape[1], rtol=1e-6, atol=1e-6
    )
    others = [r for r in range(8) if r != 5]
    np.testing.assert_array_equal(kv2[:, others], kv[:, others])
    np.testing.assert_array_equal(score2[:, others], score[:, others])
    np.testing.assert_array_equal(cache2.view(np.uint16), cache.view(np.uint16))


def test_closing_step_shifts_state_and_writes_one_cache_row():
    xs, wkv, wgate, ape, w, cos, sin, hb = small_step_inputs(6, batch=3, seq=4)
    kv, score = empty_state(3)
    cache = np.zeros((3, 16, HEAD), BF16)
    # Positions 0..3 from an empty state: the first window closes at 3 -> cache row 0.
    kv2, score2, cache2 = compressor_golden(
        xs, wkv, wgate, ape, w, cos, sin, hb, kv, score, cache, 0, True
    )
    np.testing.assert_array_equal(kv2[:, :4], kv2[:, 4:])  # rows 4..7 keep their values
    np.testing.assert_array_equal(score2[:, :4], score2[:, 4:])
    assert np.all(np.isfinite(score2))
    assert np.any(cache2[:, 0].astype(np.float32) != 0)
    np.testing.assert_array_equal(cache2[:, 1:].view(np.uint16), 0)
    # The first window pools only the current window's back half (the previous rows are -inf).
    tokens = xs.astype(np.float64) @ wkv.astype(np.float64)
    gates = xs.astype(np.float64) @ wgate.astype(np.float64) + ape.astype(np.float64)
    g = gates[..., HEAD:]
    weights = np.exp(g - g.max(1, keepdims=True))
    pooled = (weights * tokens[..., HEAD:]).sum(1) / weights.sum(1)
    expected = compress_row(pooled.astype(np.float32), w, cos[0], sin[0], hb, True)
    diff = np.abs(cache2[:, 0].astype(np.float64) - expected.astype(np.float64))
    assert diff.max() <= 2 * np.abs(expected.astype(np.float64)).max() * 2.0**-8


@pytest.mark.parametrize("start_pos", [8, 9, 10, 11])
def test_multi_token_step_equals_single_token_steps(start_pos):
    xs, wkv, wgate, ape, w, cos, sin, hb = small_step_inputs(7, batch=2, seq=4)
    kv, score = empty_state(2)
    cache = np.zeros((2, 16, HEAD), BF16)
    kv, score, cache = compressor_golden(  # a history from the empty state
        to_bf16(np.random.default_rng(8).standard_normal((2, start_pos, DIM))),
        wkv, wgate, ape, w, cos, sin, hb, kv, score, cache, 0, True,
    )  # fmt: skip
    together = compressor_golden(
        xs, wkv, wgate, ape, w, cos, sin, hb, kv, score, cache, start_pos, True
    )
    state = (kv, score, cache)
    for s in range(4):
        state = compressor_golden(
            xs[:, s : s + 1], wkv, wgate, ape, w, cos, sin, hb, *state, start_pos + s, True
        )
    for a, b in zip(together, state):
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.mark.parametrize("rotate", [False, True])
def test_bf16_chain_stays_close_to_the_float_model(rotate):
    xs, wkv, wgate, ape, w, cos, sin, hb = small_step_inputs(9, batch=4, seq=4)
    kv, score = empty_state(4)
    cache = np.zeros((4, 16, HEAD), BF16)
    history = to_bf16(np.random.default_rng(10).standard_normal((4, 9, DIM)))
    kv, score, cache = compressor_golden(
        history, wkv, wgate, ape, w, cos, sin, hb, kv, score, cache, 0, rotate
    )
    _, _, cache2 = compressor_golden(
        xs, wkv, wgate, ape, w, cos, sin, hb, kv, score, cache, 9, rotate
    )
    reference = compressor_float_reference(
        xs, wkv, wgate, ape, w, cos, sin, hadamard(HEAD), kv, score, 9, rotate
    )
    assert list(reference) == [2]  # positions 9..12 close the window ending at 11
    got = cache2[:, 2].astype(np.float64)
    rel_l2 = np.linalg.norm(got - reference[2]) / np.linalg.norm(reference[2])
    assert 0 < rel_l2 < 1e-2  # a few BF16 roundings (2^-9 relative each), not a wrong formula


def test_per_request_positions_equal_each_request_run_alone():
    """compressor_rows at positions that differ per request == compressor_golden per request."""
    xs, wkv, wgate, ape, w, cos, sin, hb = small_step_inputs(9, batch=3, seq=3)
    rng = np.random.default_rng(10)
    kv = rng.standard_normal((3, 8, 256)).astype(np.float32)
    score = rng.standard_normal((3, 8, 256)).astype(np.float32)
    starts = [5, 9, 22]
    positions = np.array([[p, p + 1, p + 2] for p in starts], np.int32)
    kv_all, score_all, written = compressor_rows(
        xs, wkv, wgate, ape, w, cos, sin, hb, kv, score, positions
    )
    for b, start in enumerate(starts):
        cache = np.zeros((1, 16, HEAD), BF16)
        alone = compressor_golden(
            xs[b : b + 1], wkv, wgate, ape, w, cos, sin, hb, kv[b : b + 1], score[b : b + 1],
            cache, start, True,
        )  # fmt: skip
        np.testing.assert_array_equal(kv_all[b], alone[0][0])
        np.testing.assert_array_equal(score_all[b], alone[1][0])
        for s in range(3):
            pos = start + s
            if (pos + 1) % 4 == 0:
                np.testing.assert_array_equal(
                    written[(b, s)].view(np.uint16), alone[2][0, pos // 4].view(np.uint16)
                )
            else:
                assert (b, s) not in written


def test_paged_golden_skips_padded_requests_and_writes_through_the_slot_mapping():
    xs, wkv, wgate, ape, w, cos, sin, hb = small_step_inputs(12, batch=2, seq=1)
    rng = np.random.default_rng(13)
    pool = rng.standard_normal((4, 8, 256)).astype(np.float32)
    cache = to_bf16(rng.standard_normal((2, 16, HEAD)))
    inputs = {
        "x": xs, "wkv": wkv, "wgate": wgate, "ape": ape, "norm_weight": w, "rope_cos": cos,
        "rope_sin": sin, "hadamard": hb, "kv_state": pool, "score_state": pool.copy(),
        "index_cache": cache, "position_ids": np.array([[-1], [7]], np.int32),
        "state_slots": np.array([-1, 2], np.int32),
        "slot_mapping": np.array([[-1], [21]], np.int32),
    }  # fmt: skip
    out = compressor_paged_golden(inputs)
    untouched = [0, 1, 3]
    np.testing.assert_array_equal(out["kv_state"][untouched], pool[untouched])
    assert not np.array_equal(out["kv_state"][2], pool[2])
    changed = np.nonzero(np.any(out["index_cache"].reshape(-1, HEAD) != cache.reshape(-1, HEAD), 1))
    assert changed[0].tolist() == [21]
