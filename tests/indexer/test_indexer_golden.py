"""Self-checks of the indexer golden, its float reference and the case's inputs (no kernel)."""

from __future__ import annotations

import numpy as np
import pytest

from golden.case import CaseConfig, ConfigError
from golden.quant import quantize_rows
from models.deepseek_v4.config import FP32_LOWEST, INDEX_HEAD_DIM, INDEX_N_HEADS, SLIDING_WINDOW
from models.deepseek_v4.indexer_case import CASE, make_inputs, resolve_config
from models.deepseek_v4.indexer_golden import (
    indexer_float_reference,
    indexer_golden,
    indexer_quality,
    quantized_scores,
    topk_recall,
    topk_rows,
    visible_lengths,
)
from models.deepseek_v4.tables import hadamard

LOWEST = np.float32(FP32_LOWEST)


@pytest.fixture(scope="module")
def default_step():
    """Inputs and golden outputs of the default DEMO case with S = 2."""
    config = resolve_config(CaseConfig(seq=2))
    inputs = make_inputs(config)
    return config, inputs, indexer_golden(inputs)


def test_visible_lengths_per_token():
    # Tokens at 4m+2 .. 4m+5: the token at 4m+3 closes window m and sees it, the one before not.
    assert visible_lengths(10, 4).tolist() == [2, 3, 3, 3]
    assert visible_lengths(0, 4).tolist() == [0, 0, 0, 1]


def test_topk_tie_order_padding_and_offset():
    score = np.full((1, 2, 8), LOWEST, np.float32)
    score[0, 0, :6] = [1.0, 3.0, 3.0, -2.0, 3.0, 0.5]
    score[0, 1, :2] = [5.0, 5.0]
    out = topk_rows(score, np.array([6, 2]), topk=4, offset=100)
    # Equal scores: smaller cache index first; values + offset.
    assert out[0, 0].tolist() == [101, 102, 104, 100]
    # k = min(topk, visible) = 2; unused slots -1.
    assert out[0, 1].tolist() == [100, 101, -1, -1]


def test_quantized_scores_match_hand_formula():
    rng = np.random.default_rng(3)
    heads = INDEX_N_HEADS
    q_codes = rng.integers(-127, 128, (1, 1, heads, INDEX_HEAD_DIM)).astype(np.int8)
    q_scale = rng.uniform(0.001, 0.01, (1, 1, heads)).astype(np.float32)
    weights = rng.normal(0, 1, (1, 1, heads)).astype(np.float32)
    cache = rng.normal(0, 1, (1, 8, INDEX_HEAD_DIM)).astype(np.float32)
    score = quantized_scores(q_codes, q_scale, weights, cache, np.array([5]))
    kv_codes, kv_scale = quantize_rows(cache[0, :5])
    for j in range(5):
        expected = 0.0
        for h in range(heads):
            acc = int(np.dot(q_codes[0, 0, h].astype(np.int64), kv_codes[j].astype(np.int64)))
            value = np.float32(np.float32(acc) * q_scale[0, 0, h]) * kv_scale[j, 0]
            expected += float(max(value, np.float32(0.0)) * weights[0, 0, h])
        assert score[0, 0, j] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    # Rows the token may not see hold exactly the lowest finite FP32.
    assert (score[0, 0, 5:].view(np.uint32) == np.array([LOWEST]).view(np.uint32)).all()


def test_cache_quant_is_scale_invariant_per_row():
    rng = np.random.default_rng(5)
    rows = rng.normal(0, 1, (4, INDEX_HEAD_DIM)).astype(np.float32)
    codes, scale = quantize_rows(rows)
    codes2, scale2 = quantize_rows(rows * np.float32(8.0))
    np.testing.assert_array_equal(codes, codes2)
    np.testing.assert_array_equal(scale2, scale * np.float32(8.0))
    # Dequantized codes reproduce the row within half a step.
    err = np.abs(codes.astype(np.float32) * scale - rows)
    assert (err <= scale * 0.5 + 1e-7).all()


def test_golden_sentinel_and_visibility(default_step):
    config, _inputs, out = default_step
    score = out["score"]
    vis = visible_lengths(config.start_pos, config.seq)
    assert vis[0] + 1 == vis[1]  # token 1 closes a window that token 0 may not see
    for s, v in enumerate(vis):
        assert (score[:, s, :v] > LOWEST).all()
        assert (score[:, s, v:] == LOWEST).all()
        k = min(512, v)
        assert (out["topk_idxs"][:, s, :k] >= SLIDING_WINDOW).all()
        assert (out["topk_idxs"][:, s, :k] < SLIDING_WINDOW + v).all()
        assert (out["topk_idxs"][:, s, k:] == -1).all()


def test_golden_close_to_float_reference(default_step):
    _config, inputs, out = default_step
    quality = indexer_quality(inputs, out)
    # W8A8C16 keeps the ranking: most of the float top-k survives quantization, and the
    # scores move by a few percent at most.
    assert quality["topk_recall_vs_float"] > 0.95
    assert quality["score_rel_l2_vs_float"] < 0.05


def test_golden_cache_row_written_by_compressor(default_step):
    config, inputs, out = default_step
    closing_row = (config.start_pos + 1) // 4  # token 1 closes window start_pos // 4
    changed = np.any(out["kv_cache"] != inputs["kv_cache"], axis=-1)
    assert changed[:, closing_row].all()
    assert changed.sum() == config.batch  # one row per request, nothing else


def test_fixture_structure(default_step):
    config, inputs, out = default_step
    h = inputs["hadamard"].astype(np.float64)
    np.testing.assert_allclose(h @ h.T, np.eye(128) * 128 * 0.08837890625**2, atol=1e-12)
    np.testing.assert_array_equal(np.sign(h), np.sign(hadamard(128)))
    cache = inputs["kv_cache"].astype(np.float32)
    assert (cache < 0).mean() > 0.3 and (cache > 0).mean() > 0.3  # signed, not all-zero
    # Per-channel INT8 weight reproduces a trained-scale BF16 weight.
    assert np.abs(inputs["wq_b"]).max() == 127
    weight = inputs["wq_b"].astype(np.float32) * inputs["wq_b_scale"]
    rms = float(np.sqrt(np.mean(weight**2)))
    assert 0.5 < rms * np.sqrt(inputs["wq_b"].shape[0]) < 2.0  # ~ Q_LORA^-0.5, trained scale
    assert inputs["wq_b_scale"].max() > 2 * inputs["wq_b_scale"].min()  # channel spread
    # Distinct scores around the top-k boundary: the top-k check is not vacuous.
    for s in range(config.seq):
        row = out["score"][0, s]
        top = np.sort(row[row > LOWEST])[::-1][:513]
        assert np.unique(top).size == top.size


def test_float_reference_recall_is_self_consistent(default_step):
    config, inputs, _out = default_step
    ref = indexer_float_reference(inputs)
    vis = visible_lengths(config.start_pos, config.seq)
    assert topk_recall(ref["topk_idxs"], ref["topk_idxs"], vis) == 1.0
    # A shuffled selection of the same size has a much lower recall.
    shuffled = ref["topk_idxs"].copy()
    shuffled[..., :512] = SLIDING_WINDOW + np.arange(512)
    assert topk_recall(shuffled, ref["topk_idxs"], vis) < 0.9


def test_inputs_are_deterministic():
    config = resolve_config(CaseConfig(seq=1, seed=7))
    a, b = make_inputs(config), make_inputs(config)
    for name in a:
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]))


def test_default_config_covers_topk_and_a_closing_window():
    for seq in (1, 2, 3, 4):
        config = resolve_config(CaseConfig(seq=seq))
        vis = visible_lengths(config.start_pos, seq)
        assert vis.min() > 512 and vis.min() % 64 != 0
        assert any((p + 1) % 4 == 0 for p in range(config.start_pos, config.start_pos + seq))
        assert config.start_pos + seq <= config.max_seq_len == 4096


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch", 0, "batch"),
        ("batch", 65, "batch"),
        ("seq", 5, "seq"),
        ("max_seq_len", 3000, "max_seq_len"),
        ("max_seq_len", 8192, "max_seq_len"),  # beyond DEMO's 4096 positions
        ("start_pos", 4096, "start_pos"),
        ("start_pos", -1, "start_pos"),
        ("preset", "nope", "preset"),
    ],
)
def test_bad_config_names_the_argument(field, value, message):
    with pytest.raises(ConfigError, match=message):
        CASE.resolve_config(CaseConfig(**{field: value}))
