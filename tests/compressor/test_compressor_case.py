"""The registered compressor case on the serving contract: configuration rules, structured
inputs, comparisons."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from golden.case import CaseConfig, ConfigError
from golden.spec import TensorSpec
from models.deepseek_v4.cases import decode_compressor as cc

BF16 = ml_dtypes.bfloat16


def resolve(**kwargs) -> CaseConfig:
    return cc.resolve_config(CaseConfig(**kwargs))


def test_defaults_are_a_late_closing_demo_step():
    for seq in (1, 2, 4):
        config = resolve(seq=seq)
        assert config.preset == "DEMO" and config.max_seq_len == 4096
        assert config.start_pos + seq - 1 == 1023
        assert config.cache_format == "c16" and config.block_size == 32
        inputs = cc.make_inputs(config)
        assert cc.closing_slots(inputs) == [int(inputs["slot_mapping"][0, -1])]
    assert resolve(max_seq_len=16).start_pos == 15


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"batch": 0}, "batch"),
        ({"batch": 129}, "batch"),
        ({"batch": 2.0}, "batch"),
        ({"seq": 5}, "seq"),
        ({"seq": 0}, "seq"),
        ({"max_seq_len": 4098}, "max_seq_len"),
        ({"max_seq_len": 8192}, "max_seq_len"),
        ({"max_seq_len": 0}, "max_seq_len"),
        ({"start_pos": -2}, "start_pos"),
        ({"start_pos": 4095, "seq": 2}, "start_pos"),
        ({"start_pos": "3,4", "batch": 3}, "start_pos"),
        ({"start_pos": "3,4094", "batch": 2, "seq": 4}, "start_pos"),
        ({"preset": "TINY"}, "preset"),
        ({"cache_format": "c32"}, "cache_format"),
        ({"block_size": 8}, "block_size"),
        ({"block_size": 40}, "block_size"),
    ],
)
def test_bad_configuration_names_the_argument(kwargs, argument):
    # Every message names its option as the command line spells it (--max-seq-len).
    with pytest.raises(ConfigError, match=f"^--{argument.replace('_', '-')}:"):
        resolve(**kwargs)


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_specs_follow_the_kernel_parameter_order_and_are_seeded(cache_format):
    config = resolve(batch=2, seq=2, start_pos=41, max_seq_len=256, cache_format=cache_format)
    specs = cc.make_specs(config)
    names = [s.name for s in specs]
    tail = ["index_cache_scale"] if cache_format == "c8" else []
    assert names == [
        "x", "wkv", "wgate", "ape", "norm_weight", "rope_cos", "rope_sin", "hadamard",
        "position_ids", "state_slots", "slot_mapping", "kv_state", "score_state",
        "index_cache", *tail,
    ]  # fmt: skip
    assert all(isinstance(s, TensorSpec) for s in specs)  # nothing step-dependent is a scalar
    outputs = [s.name for s in specs if s.is_output]
    assert outputs == ["kv_state", "score_state", "index_cache", *tail]
    assert cc.kernel_name(config) == f"indexer_compressor_{cache_format}"
    again = cc.make_specs(config)
    other = cc.make_specs(resolve(batch=2, seq=2, start_pos=41, max_seq_len=256, seed=1))
    for a, b, c in zip(specs, again, other):
        assert a.shape == tuple(np.shape(a.init))
        np.testing.assert_array_equal(np.asarray(a.init).view(np.uint8), b.init.view(np.uint8))
        if a.name in ("x", "wkv", "kv_state", "block_table"):
            assert not np.array_equal(a.init, c.init), a.name


def test_inputs_have_model_structure():
    config = resolve(batch=3, seq=1, start_pos=1023)
    inputs = cc.make_inputs(config)
    x = inputs["x"].astype(np.float32)
    assert (x < 0).mean() > 0.4 and (x > 0).mean() > 0.4  # signed activations
    h = inputs["hadamard"].astype(np.float64)
    np.testing.assert_allclose(h @ h.T, np.eye(128) * 128 * 0.08837890625**2, atol=1e-12)
    w = inputs["wkv"].astype(np.float64)
    assert abs(w.std() * np.sqrt(4096) - 1.0) < 0.05  # trained-layer scale
    # History 1008..1022 from an empty state: every state cell of a request's slot is a real
    # value by now, and the previous window (rows 0..3) differs from the current one.
    for slot in inputs["state_slots"]:
        kv, score = inputs["kv_state"][slot], inputs["score_state"][slot]
        assert np.isfinite(score).all() and np.abs(kv).max() > 0.5
        assert not np.array_equal(kv[0:3], kv[4:7])
    # Three requests, each in its own shuffled state slot and cache blocks.
    assert len(set(inputs["state_slots"].tolist())) == 3
    assert inputs["kv_state"].shape[0] > 3  # spare slots hold decoys
    cos, sin = inputs["rope_cos"], inputs["rope_sin"]
    assert cos.shape == (4096, 32)
    np.testing.assert_allclose(cos**2 + sin**2, 1.0, rtol=1e-6)


def test_first_window_inputs_start_from_an_empty_state():
    inputs = cc.make_inputs(resolve(batch=1, seq=1, start_pos=3))
    score = inputs["score_state"][inputs["state_slots"][0]]
    assert np.isneginf(score[:4]).all()  # previous window never existed
    assert np.isfinite(score[4:7]).all() and np.isneginf(score[7]).all()


def _golden_and_comparisons(config):
    inputs = cc.make_inputs(config)
    expected = cc.golden(inputs, config)
    return inputs, expected, cc.comparisons(config)


def _run(comparison, actual_value, name, inputs, expected):
    actual = dict(expected)
    actual[name] = actual_value
    return comparison(
        actual_value,
        expected[name],
        actual_outputs=actual,
        expected_outputs=expected,
        inputs=inputs,
    )


def test_comparisons_accept_the_golden_and_reject_real_defects():
    config = resolve(batch=2, seq=2, start_pos=1022)  # closes at 1023 -> cache row 255
    inputs, expected, comparisons = _golden_and_comparisons(config)
    for name, comparison in comparisons.items():
        assert _run(comparison, expected[name].copy(), name, inputs, expected).passed, name

    cache = expected["index_cache"]
    flat_bits = cache.view(np.uint16).reshape(-1, 128)
    slot = int(inputs["slot_mapping"][1, 1])
    row = cache.reshape(-1, 128)[slot].astype(np.float32)
    largest = int(np.argmax(np.abs(row)))

    def cache_with(pool_row: int, column: int, step: int):
        changed = flat_bits.copy()
        changed[pool_row, column] += step  # `step` BF16 ULPs away from zero
        value = changed.reshape(cache.shape).view(BF16)
        return _run(comparisons["index_cache"], value, "index_cache", inputs, expected)

    assert cache_with(slot, largest, 1).passed  # 1 ULP at the row's scale
    assert not cache_with(slot, largest, 2).passed
    stray = (slot + 1) if (slot + 1) not in cc.closing_slots(inputs) else (slot + 2)
    result = cache_with(stray, 0, 1)  # a row this step must not touch
    assert not result.passed and not result.figures["unwritten_rows_exact"]
    nan = flat_bits.copy()
    nan[slot, 3] = 0x7FC0
    value = nan.reshape(cache.shape).view(BF16)
    assert not _run(comparisons["index_cache"], value, "index_cache", inputs, expected).passed

    state = int(inputs["state_slots"][0])
    score = expected["score_state"].copy()
    score[state, 5] -= inputs["ape"][2]  # a missing ape row
    assert not _run(comparisons["score_state"], score, "score_state", inputs, expected).passed
    kv = expected["kv_state"].copy()
    kv[state, 5] += 1e-3  # a small but real error, 100x the tolerance
    assert not _run(comparisons["kv_state"], kv, "kv_state", inputs, expected).passed


def test_c8_comparisons_reject_a_wrong_code_or_scale():
    config = resolve(batch=2, seq=2, start_pos=1022, cache_format="c8")
    inputs, expected, comparisons = _golden_and_comparisons(config)
    for name, comparison in comparisons.items():
        assert _run(comparison, expected[name].copy(), name, inputs, expected).passed, name
    slot = int(inputs["slot_mapping"][0, 1])
    codes = expected["index_cache"].copy()
    codes.reshape(-1, 128)[slot, 7] += 2
    assert not _run(comparisons["index_cache"], codes, "index_cache", inputs, expected).passed
    scale = expected["index_cache_scale"].copy()
    scale.reshape(-1)[slot] *= np.float32(1.01)
    result = _run(comparisons["index_cache_scale"], scale, "index_cache_scale", inputs, expected)
    assert not result.passed


def test_non_closing_step_expects_the_cache_unchanged():
    config = resolve(batch=1, seq=2, start_pos=1020)  # positions 1020, 1021: no window closes
    inputs, expected, _ = _golden_and_comparisons(config)
    np.testing.assert_array_equal(
        expected["index_cache"].view(np.uint16), inputs["index_cache"].view(np.uint16)
    )
    assert cc.closing_slots(inputs) == []


def test_golden_refuses_inconsistent_slots():
    config = resolve(batch=2, seq=2, start_pos=1022)
    inputs = cc.make_inputs(config)
    bad = dict(inputs, slot_mapping=inputs["slot_mapping"].copy())
    bad["slot_mapping"][0, 0] = 5  # position 1022 closes no window
    with pytest.raises(ConfigError, match="slot_mapping"):
        cc.golden(bad, config)
    bad = dict(inputs, state_slots=np.array([1, 1], np.int32))
    with pytest.raises(ConfigError, match="state_slots"):
        cc.golden(bad, config)
    bad = dict(inputs, position_ids=np.array([[1022, 1024], [1022, 1023]], np.int32))
    with pytest.raises(ConfigError, match="position_ids"):
        cc.golden(bad, config)


def test_quality_reports_the_distance_to_the_float_model():
    for cache_format, limit in (("c16", 1e-2), ("c8", 2e-2)):
        config = resolve(batch=2, seq=1, start_pos=1023, cache_format=cache_format)
        inputs, expected, _ = _golden_and_comparisons(config)
        figures = cc.quality(inputs, expected, config)
        assert 0 < figures["cache_rel_l2_vs_float"] < limit
