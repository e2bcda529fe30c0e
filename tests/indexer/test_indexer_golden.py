"""Self-checks of the indexer golden on the serving contract, its float reference and the case's
inputs (no kernel)."""

from __future__ import annotations

import numpy as np
import pytest

from golden.case import CaseConfig, ConfigError
from models.deepseek_v4.cases.decode_indexer import CASE, make_inputs, resolve_config
from models.deepseek_v4.config import FP32_LOWEST, INDEX_HEAD_DIM, INDEX_N_HEADS, SLIDING_WINDOW
from models.deepseek_v4.contract.decode import physical_rows, visible_rows
from models.deepseek_v4.reference.decode_indexer import (
    indexer_paged_float_reference,
    indexer_paged_golden,
    indexer_paged_quality,
    paged_scores,
    topk_recall,
    topk_rows,
)
from models.deepseek_v4.reference.quant import quantize_rows
from models.deepseek_v4.reference.tables import hadamard

LOWEST = np.float32(FP32_LOWEST)


@pytest.fixture(scope="module")
def default_step():
    """Inputs and golden outputs of the default DEMO case with B = 2, S = 2."""
    config = resolve_config(CaseConfig(batch=2, seq=2))
    inputs = make_inputs(config)
    return config, inputs, indexer_paged_golden(inputs)


def test_visible_rows_per_token():
    # Tokens at 4m+2 .. 4m+5: the token at 4m+3 closes window m and sees it, the one before not.
    pos = np.array([[10, 11, 12, 13], [0, 1, 2, 3], [-1, -1, -1, -1]], np.int32)
    assert visible_rows(pos).tolist() == [[2, 3, 3, 3], [0, 0, 0, 1], [0, 0, 0, 0]]


def test_topk_tie_order_padding_and_offset():
    score = np.full((1, 2, 8), LOWEST, np.float32)
    score[0, 0, :6] = [1.0, 3.0, 3.0, -2.0, 3.0, 0.5]
    score[0, 1, :2] = [5.0, 5.0]
    out = topk_rows(score, np.array([[6, 2]]), topk=4, offset=100)
    # Equal scores: smaller cache index first; values + offset.
    assert out[0, 0].tolist() == [101, 102, 104, 100]
    # k = min(topk, visible) = 2; unused slots -1.
    assert out[0, 1].tolist() == [100, 101, -1, -1]


def _hand_inputs(rng, table_row):
    heads = INDEX_N_HEADS
    query = {
        "q_codes": rng.integers(-127, 128, (1, 1, heads, INDEX_HEAD_DIM)).astype(np.int8),
        "q_scale": rng.uniform(0.001, 0.01, (1, 1, heads)).astype(np.float32),
        "weights": rng.normal(0, 1, (1, 1, heads)).astype(np.float32),
    }
    inputs = {"position_ids": np.array([[19]], np.int32), "block_table": table_row}
    return query, inputs


def test_paged_scores_match_hand_formula_through_the_block_table():
    rng = np.random.default_rng(3)
    pool = rng.normal(0, 1, (3, 16, INDEX_HEAD_DIM)).astype(np.float32)
    query, inputs = _hand_inputs(rng, np.array([[2, 0]], np.int32))
    score = paged_scores(inputs, query, pool, None, 32)  # position 19 sees 5 rows
    rows = pool[2, :5]  # logical rows 0..4 sit in physical block 2
    kv_codes, kv_scale = quantize_rows(rows)
    for j in range(5):
        # The stated policy: kv_scale * sum_h relu(acc_h) * (q_scale_h * w_h), each product
        # one FP32 rounding, the head sum exact then rounded once.
        head_sum = 0.0
        for h in range(INDEX_N_HEADS):
            acc = int(np.dot(query["q_codes"][0, 0, h].astype(np.int64), kv_codes[j]))
            factor = np.float32(query["q_scale"][0, 0, h] * query["weights"][0, 0, h])
            head_sum += float(np.float32(max(acc, 0)) * factor)
        expected = np.float32(np.float32(head_sum) * kv_scale[j, 0])
        assert score[0, 0, j].view(np.uint32) == expected.view(np.uint32)
        # The same value as the unfolded order relu(acc * q_scale * kv_scale) * w, to rounding.
        unfolded = 0.0
        for h in range(INDEX_N_HEADS):
            acc = int(np.dot(query["q_codes"][0, 0, h].astype(np.int64), kv_codes[j]))
            value = np.float32(np.float32(acc) * query["q_scale"][0, 0, h]) * kv_scale[j, 0]
            unfolded += float(max(value, np.float32(0.0)) * query["weights"][0, 0, h])
        assert score[0, 0, j] == pytest.approx(unfolded, rel=1e-6, abs=1e-9)
    # Rows the token may not see hold exactly the lowest finite FP32.
    assert (score[0, 0, 5:].view(np.uint32) == np.array([LOWEST]).view(np.uint32)).all()


def test_c8_pool_gives_the_same_scores_as_c16_bit_for_bit():
    rng = np.random.default_rng(4)
    pool = rng.normal(0, 1, (3, 16, INDEX_HEAD_DIM)).astype(np.float32)
    query, inputs = _hand_inputs(rng, np.array([[1, 2]], np.int32))
    codes, scale = quantize_rows(pool)
    c16 = paged_scores(inputs, query, pool, None, 32)
    c8 = paged_scores(inputs, query, codes, scale[..., 0], 32)
    np.testing.assert_array_equal(c16.view(np.uint32), c8.view(np.uint32))


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
    _config, inputs, out = default_step
    score = out["score"]
    vis = visible_rows(inputs["position_ids"])
    assert (vis[:, 0] + 1 == vis[:, 1]).all()  # token 1 closes a window token 0 may not see
    for b in range(vis.shape[0]):
        for s, v in enumerate(vis[b]):
            assert (score[b, s, :v] > LOWEST).all()
            assert (score[b, s, v:] == LOWEST).all()
            k = min(512, v)
            assert (out["topk_idxs"][b, s, :k] >= SLIDING_WINDOW).all()
            assert (out["topk_idxs"][b, s, :k] < SLIDING_WINDOW + v).all()
            assert (out["topk_idxs"][b, s, k:] == -1).all()


def test_golden_close_to_float_reference(default_step):
    _config, inputs, out = default_step
    quality = indexer_paged_quality(inputs, out)
    # W8A8C16 keeps the ranking: most of the float top-k survives quantization, and the
    # scores move by a few percent at most.
    assert quality["topk_recall_vs_float"] > 0.95
    assert quality["score_rel_l2_vs_float"] < 0.05


def test_golden_cache_row_written_through_the_slot_mapping(default_step):
    _config, inputs, out = default_step
    before = inputs["index_cache"].reshape(-1, INDEX_HEAD_DIM)
    after = out["index_cache"].reshape(-1, INDEX_HEAD_DIM)
    changed = np.nonzero(np.any(after != before, axis=-1))[0]
    slots = inputs["slot_mapping"]
    assert sorted(changed.tolist()) == sorted(slots[slots >= 0].tolist())
    assert (slots >= 0).sum() == 2  # one closing token per request, nothing else


def test_fixture_structure(default_step):
    config, inputs, out = default_step
    h = inputs["hadamard"].astype(np.float64)
    np.testing.assert_allclose(h @ h.T, np.eye(128) * 128 * 0.08837890625**2, atol=1e-12)
    np.testing.assert_array_equal(np.sign(h), np.sign(hadamard(128)))
    cache = inputs["index_cache"].astype(np.float32)
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
    # The block table is shuffled: physical order differs from logical order.
    table = inputs["block_table"][0]
    used = table[table >= 0]
    assert not np.array_equal(used, np.sort(used))


def test_float_reference_recall_is_self_consistent(default_step):
    _config, inputs, _out = default_step
    ref = indexer_paged_float_reference(inputs)
    vis = visible_rows(inputs["position_ids"])
    assert topk_recall(ref["topk_idxs"], ref["topk_idxs"], vis) == 1.0
    # A shuffled selection of the same size has a much lower recall.
    shuffled = ref["topk_idxs"].copy()
    shuffled[..., :512] = SLIDING_WINDOW + np.arange(512)
    assert topk_recall(shuffled, ref["topk_idxs"], vis) < 0.9


def test_inputs_are_deterministic():
    config = resolve_config(CaseConfig(seq=1, seed=7, mixed=True, batch=3))
    a, b = make_inputs(config), make_inputs(config)
    for name in a:
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]))


def test_default_config_covers_topk_and_a_closing_window():
    for seq in (1, 2, 3, 4):
        config = resolve_config(CaseConfig(seq=seq))
        start = config.start_pos
        vis = visible_rows(np.arange(start, start + seq)[None].astype(np.int32))[0]
        assert vis.min() > 512 and vis.min() % 64 != 0
        assert any((p + 1) % 4 == 0 for p in range(start, start + seq))
        assert start + seq <= config.max_seq_len == 4096
        assert config.cache_format == "c16" and config.block_size == 32


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch", 0, "batch"),
        ("batch", 129, "batch"),
        ("seq", 5, "seq"),
        ("max_seq_len", 3000, "max_seq_len"),
        ("max_seq_len", 8192, "max_seq_len"),  # beyond DEMO's 4096 positions
        ("start_pos", 4096, "start_pos"),
        ("start_pos", -2, "start_pos"),
        ("start_pos", "0,1", "start_pos"),  # two positions for batch 1
        ("start_pos", "x", "start_pos"),
        ("preset", "nope", "preset"),
        ("cache_format", "c4", "cache_format"),
        ("block_size", 24, "block_size"),
        ("block_size", 2048, "block_size"),
    ],
)
def test_bad_config_names_the_argument(field, value, message):
    with pytest.raises(ConfigError, match=f"^--{message.replace('_', '-')}:"):
        CASE.resolve_config(CaseConfig(**{field: value}))


def test_mixed_cannot_take_positions():
    with pytest.raises(ConfigError, match="--start-pos: cannot be combined with --mixed"):
        CASE.resolve_config(CaseConfig(batch=2, mixed=True, start_pos=5))


def test_per_request_start_list_resolves_and_pads():
    config = CASE.resolve_config(CaseConfig(batch=3, seq=2, start_pos="0,-1,4000"))
    assert config.start_pos == "0,-1,4000"
    inputs = make_inputs(config)
    assert inputs["position_ids"].tolist() == [[0, 1], [-1, -1], [4000, 4001]]
    assert inputs["kv_seq_lens"].tolist() == [2, 0, 4002]
    assert inputs["state_slots"][1] == -1 and (inputs["slot_mapping"][1] == -1).all()


def test_physical_rows_follow_the_table():
    assert physical_rows(np.array([5, 2, 0]), 5, 2).tolist() == [10, 11, 4, 5, 0]
