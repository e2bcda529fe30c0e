"""The compressor kernels (c16 and c8) on plsim against their NumPy golden, on the serving
contract.

Tolerances are the case's own: compressor_case.STATE_ATOL / STATE_RTOL for the FP32 state pools;
on the pool rows a step writes at most 1 BF16 ULP at the row's scale (c16) or one INT8 code and
one BF16 ULP of scale (c8) (models/deepseek_v4/cases/decode_compare.py says why); every other pool
row and every other state slot bit-exact.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import plsim
from golden.case import CaseConfig
from models.deepseek_v4.cases import decode_compressor as cc
from models.deepseek_v4.contract.decode import slot_mapping_for
from models.deepseek_v4.reference.decode_compressor import empty_state, to_bf16

SHORT_CONTEXT = 256  # enough positions for every test below; small rope tables and cache


@functools.cache
def kernel(name: str):
    return getattr(plsim.load(cc.KERNEL_FILE), name)


def outputs_of(inputs: dict[str, Any]) -> list[str]:
    """The in/out pools the kernel writes (the signature's non-input roles)."""
    outputs = ("kv_state", "score_state", "index_cache", "index_cache_scale")
    return [name for name in outputs if name in inputs]


def run_kernel(inputs: dict[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """Run the config's kernel on copies of ``inputs``; return the updated in/out tensors."""
    args = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    plsim.run(kernel(cc.kernel_name(config)), *args.values())
    return {name: args[name] for name in outputs_of(inputs)}


def check(config: CaseConfig, actual: dict, expected: dict, inputs: dict) -> None:
    for name, comparison in cc.comparisons(config).items():
        result = comparison(
            actual[name],
            expected[name],
            actual_outputs=actual,
            expected_outputs=expected,
            inputs=inputs,
        )
        assert result.passed, f"{name}: {result.message}"


def run_case(**kwargs) -> tuple[dict, dict]:
    kwargs.setdefault("max_seq_len", SHORT_CONTEXT)
    config = cc.resolve_config(CaseConfig(**kwargs))
    inputs = cc.make_inputs(config)
    expected = cc.golden(inputs, config)
    actual = run_kernel(inputs, config)
    check(config, actual, expected, inputs)
    return inputs, actual


def test_every_residue_of_the_position_in_one_batch():
    # Four requests at positions 40..43: only the one at 43 closes a window.
    inputs, actual = run_case(batch=4, seq=1, start_pos="40,41,42,43")
    before = inputs["index_cache"].reshape(-1, 128).view(np.uint16)
    after = actual["index_cache"].reshape(-1, 128).view(np.uint16)
    changed = np.nonzero(np.any(before != after, axis=1))[0].tolist()
    assert changed == [int(inputs["slot_mapping"][3, 0])]
    assert (inputs["slot_mapping"][:3] == -1).all()


@pytest.mark.parametrize(("seq", "start_pos"), [(1, 3), (4, 0)])
def test_first_window(seq, start_pos):
    inputs, _ = run_case(batch=1, seq=seq, start_pos=start_pos)
    slot = inputs["state_slots"][0]
    assert np.isneginf(inputs["score_state"][slot, :4]).all()


def test_late_window_default_configuration():
    config = cc.resolve_config(CaseConfig())
    assert config.start_pos == 1023 and config.max_seq_len == 4096
    inputs = cc.make_inputs(config)
    check(config, run_kernel(inputs, config), cc.golden(inputs, config), inputs)


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
@pytest.mark.parametrize(("seq", "start_pos"), [(1, 43), (2, 42), (2, 43), (4, 41), (4, 44)])
def test_tokens_per_step(seq, start_pos, cache_format):
    # (2, 43) and (4, 41) close at a middle token: later tokens write the freshly shifted state.
    run_case(batch=3, seq=seq, start_pos=start_pos, cache_format=cache_format)


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_mixed_batch_with_padded_slots_and_block_boundaries(cache_format):
    inputs, actual = run_case(
        batch=8, seq=4, mixed=True, cache_format=cache_format, block_size=16, seed=3
    )
    padded = np.nonzero(inputs["state_slots"] < 0)[0]
    assert padded.size == 2
    # Spare and padded slots: the pool comparisons demand them bit-exact; check directly too.
    live = set(inputs["state_slots"][inputs["state_slots"] >= 0].tolist())
    for slot in range(inputs["kv_state"].shape[0]):
        if slot not in live:
            assert actual["kv_state"][slot].tobytes() == inputs["kv_state"][slot].tobytes()


def test_c16_and_c8_write_the_same_row():
    rows = {}
    for cache_format in ("c16", "c8"):
        inputs, actual = run_case(batch=2, seq=2, start_pos=42, cache_format=cache_format)
        slot = int(inputs["slot_mapping"][0, 1])
        flat = actual["index_cache"].reshape(-1, 128)[slot].astype(np.float64)
        if cache_format == "c8":
            flat = flat * actual["index_cache_scale"].reshape(-1)[slot]
        rows[cache_format] = flat
    # The c8 row is the c16 row's INT8 quantization: within half a quant step of it.
    step = np.abs(rows["c16"]).max() / 127
    assert np.abs(rows["c8"] - rows["c16"]).max() <= 0.5 * step * (1 + 1e-6)


@pytest.mark.parametrize("batch", [16, 20])
def test_batch_sizes(batch):
    run_case(batch=batch, seq=2, start_pos=58)


def test_largest_batch_spans_two_token_tiles():
    run_case(batch=128, seq=2, mixed=True)  # B*S = 256 tokens = two projection tiles


def test_fourteen_consecutive_steps_from_an_empty_state():
    """Drive the kernel with its own state and cache for positions 0..13 of two requests that
    sit in shuffled pool slots; check every step against the golden on the kernel's own inputs
    and the kernel's trajectory against a golden-only trajectory."""
    config = cc.resolve_config(CaseConfig(batch=2, seq=1, start_pos=0, max_seq_len=64))
    base = cc.make_inputs(config)
    rng = np.random.default_rng(11)
    slots = base["state_slots"]
    kv_pool, score_pool = base["kv_state"].copy(), base["score_state"].copy()
    fresh_kv, fresh_score = empty_state(2)
    kv_pool[slots], score_pool[slots] = fresh_kv, fresh_score
    table = np.array([[1], [0]], np.int32)  # 16 rows per request in a 2-block pool
    start = {"kv_state": kv_pool, "score_state": score_pool}
    start["index_cache"] = np.zeros((2, 32, 128), dtype=base["index_cache"].dtype)
    kernel_state, golden_state = dict(start), dict(start)
    dim = base["x"].shape[-1]
    for pos in range(14):
        x = to_bf16(rng.standard_normal((2, 1, dim)))
        positions = np.full((2, 1), pos, np.int32)
        mapping = slot_mapping_for(positions, table, 32)
        step = {**base, "x": x, "position_ids": positions, "slot_mapping": mapping}
        inputs = {**step, **kernel_state}
        kernel_state = run_kernel(inputs, config)
        check(config, kernel_state, cc.golden(inputs, config), inputs)
        golden_state = cc.golden({**step, **golden_state}, config)
        for name in ("kv_state", "score_state"):
            np.testing.assert_allclose(
                kernel_state[name], golden_state[name], rtol=cc.STATE_RTOL, atol=cc.STATE_ATOL
            )
        got = kernel_state["index_cache"].astype(np.float64)
        want = golden_state["index_cache"].astype(np.float64)
        ulp = 2.0 ** (np.floor(np.log2(np.maximum(np.abs(want).max(-1, keepdims=True), 1e-30))) - 7)
        assert (np.abs(got - want) <= ulp).all(), f"position {pos}"
    written = ~np.all(kernel_state["index_cache"].astype(np.float32) == 0, axis=2)
    # windows closed at 3, 7, 11 -> rows 0..2 of block 1 (request 0) and block 0 (request 1)
    assert written[:, :3].all() and not written[:, 3:].any()


def stage_writes(inputs: dict[str, Any], config: CaseConfig) -> dict[str, int]:
    """GM bytes each stage wrote in a plsim run of the case's kernel on ``inputs``."""
    args = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    run = plsim.run(kernel(cc.kernel_name(config)), *args.values())
    return {stage.name: stage.gm_write_bytes for stage in run.stages}


WINDOW_STAGE = "window_pool_rmsnorm_rope_hadamard"
CACHE_ROW_BYTES = 128 * 2  # one BF16 cache row
STATE_ROW_BYTES = 2 * 256 * 4  # one kv_state row and one score_state row, FP32


def test_only_closing_steps_write_cache_rows_and_shift_the_state():
    config = cc.resolve_config(CaseConfig(batch=1, seq=1, start_pos=42, max_seq_len=64))
    writes = stage_writes(cc.make_inputs(config), config)
    assert writes[WINDOW_STAGE] == 0  # position 42 closes no window
    assert writes["state_write_back"] == STATE_ROW_BYTES  # its own row 4 + 42 % 4 only
    config = cc.resolve_config(CaseConfig(batch=1, seq=1, start_pos=43, max_seq_len=64))
    writes = stage_writes(cc.make_inputs(config), config)
    assert writes[WINDOW_STAGE] == CACHE_ROW_BYTES  # the window 40..43, one row
    assert writes["state_write_back"] == 5 * STATE_ROW_BYTES  # row 7, then rows 0..3
    config = cc.resolve_config(
        CaseConfig(batch=1, seq=1, start_pos=43, max_seq_len=64, cache_format="c8")
    )
    writes = stage_writes(cc.make_inputs(config), config)
    # the window's INT8 codes and FP32 scale, from the task that pools it (no BF16 staging)
    assert writes[WINDOW_STAGE + "_quant"] == 128 + 4
    assert WINDOW_STAGE not in writes


def test_a_padded_request_writes_nothing():
    config = cc.resolve_config(CaseConfig(batch=2, seq=1, start_pos="-1,43", max_seq_len=64))
    writes = stage_writes(cc.make_inputs(config), config)
    # the live request's token row and its 8 saved rows only
    assert writes["source_rows"] == 2 * 256 * 4 + 8 * 2 * 256 * 4
    assert writes["state_write_back"] == 5 * STATE_ROW_BYTES
    assert writes[WINDOW_STAGE] == CACHE_ROW_BYTES


def test_hidden_size_must_be_a_multiple_of_the_k_chunk():
    config = cc.resolve_config(CaseConfig(batch=1, seq=1, start_pos=3, max_seq_len=64))
    inputs = cc.make_inputs(config)
    for name in ("x", "wkv", "wgate"):
        value = inputs[name]
        inputs[name] = np.ascontiguousarray(value[:, :, :4000] if value.ndim == 3 else value[:4000])
    with pytest.raises(plsim.DSLError, match="multiple of 128"):
        plsim.run(kernel("indexer_compressor_c16"), *inputs.values())


def test_more_than_four_tokens_per_step_is_refused_before_any_write():
    config = cc.resolve_config(CaseConfig(batch=1, seq=4, start_pos=41, max_seq_len=SHORT_CONTEXT))
    inputs = cc.make_inputs(config)
    args = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    for name in ("x", "position_ids", "slot_mapping"):  # S = 5
        args[name] = np.ascontiguousarray(np.concatenate([args[name], args[name][:, :1]], axis=1))
    with pytest.raises(plsim.DSLError) as err:
        plsim.run(kernel("indexer_compressor_c16"), *args.values())
    message = str(err.value)
    assert "1..4" in message and "MAX_TOKENS_PER_STEP" in message
    assert "kernels/decode_compressor.py" in message
    for name in outputs_of(inputs):  # the static assertion fires before any stage runs
        assert args[name].tobytes() == inputs[name].tobytes()


def test_four_tokens_per_step_is_still_accepted():
    run_case(batch=1, seq=4, start_pos=41)
