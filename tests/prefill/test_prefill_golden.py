"""The prefill golden (models/deepseek_v4/reference/prefill.py): consistency with token-by-token
decode, visibility at short prompts, independence of packed requests, validation."""

from __future__ import annotations

import numpy as np
import pytest
from prefill.prefill_support import POOLS, chunk_inputs, pools_of, prompt_world, serve

from golden.case import CaseConfig, ConfigError
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case
from models.deepseek_v4.cases import prefill_inputs
from models.deepseek_v4.config import SLIDING_WINDOW
from models.deepseek_v4.contract.prefill import check_chunk
from models.deepseek_v4.reference.decode_indexer import SCORE_SENTINEL, indexer_paged_golden
from models.deepseek_v4.reference.prefill import indexer_prefill_golden

# 70 tokens with 16-row blocks: 17 cache rows, so the rows cross a block boundary; every
# residue of the position mod 4 starts a chunk or a decode step somewhere below.
PROMPT = 70


def _assert_same_serving(world, plan_a, plan_b) -> None:
    score_a, topk_a, pools_a = serve(world, *plan_a, indexer_prefill_golden, indexer_paged_golden)
    score_b, topk_b, pools_b = serve(world, *plan_b, indexer_prefill_golden, indexer_paged_golden)
    assert np.array_equal(topk_a, topk_b)
    assert np.array_equal(score_a, score_b)
    for name in pools_a:
        assert np.array_equal(pools_a[name], pools_b[name]), name


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_prefill_then_decode_equals_decoding_token_by_token(cache_format):
    world = prompt_world(PROMPT, cache_format)
    # A: the prompt's first 61 tokens as one chunk, then 9 decode steps; B: 70 decode steps.
    _assert_same_serving(world, ([61], PROMPT), ([], PROMPT))


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_chunks_continuing_a_prefix_equal_one_chunk(cache_format):
    world = prompt_world(PROMPT, cache_format)
    # Chunks ending mid-window (13, 34) and on a window boundary (48) continue from the saved
    # state and rows; the same tokens as one chunk give the same everything.
    _assert_same_serving(world, ([13, 34, 48, 66], 67), ([66], 67))


@pytest.mark.parametrize("length", [1, 2, 3])
def test_a_prompt_shorter_than_a_window_sees_nothing_and_writes_no_row(length):
    world = prompt_world(8, "c16")
    inputs = chunk_inputs(world, pools_of(world), 0, length)
    out = indexer_prefill_golden(inputs)
    assert (out["topk_idxs"] == -1).all()
    assert (out["score"] == SCORE_SENTINEL).all()
    assert np.array_equal(out["index_cache"], world["index_cache"])
    slot = int(world["state_slots"][0])
    assert not np.array_equal(out["kv_state"][slot], world["kv_state"][slot])  # state moved on


@pytest.mark.parametrize("length", [4, 5, 8])
def test_around_the_first_window_tokens_see_exactly_their_closed_rows(length):
    world = prompt_world(8, "c8")
    out = indexer_prefill_golden(chunk_inputs(world, pools_of(world), 0, length))
    for t in range(length):
        visible = (t + 1) // 4
        row = out["topk_idxs"][t]
        assert sorted(row[:visible].tolist()) == [SLIDING_WINDOW + j for j in range(visible)]
        assert (row[visible:] == -1).all()
        assert (out["score"][t, visible:] == SCORE_SENTINEL).all()
        assert (out["score"][t, :visible] > SCORE_SENTINEL).all()


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_packed_requests_equal_each_request_alone(cache_format):
    """Mixed lengths and prefixes in one chunk (with padding rows) give, per request, what the
    request gets as the only one of a chunk: requests share nothing but the pools."""
    config = indexer_prefill_case.resolve_config(
        CaseConfig(
            prompt_lens="3,4,5,33,17",
            prefix_lens="0,0,9,70,61",
            cache_format=cache_format,
            block_size=16,
        )
    )
    inputs = indexer_prefill_case.make_inputs(config)
    packed = indexer_prefill_golden(inputs)
    cu = inputs["cu_seqlens"]
    total = int(cu[-1])
    assert (packed["topk_idxs"][total:] == -1).all()
    assert (packed["score"][total:] == SCORE_SENTINEL).all()
    for r in range(cu.size - 1):
        alone = dict(inputs)
        first, end = int(cu[r]), int(cu[r + 1])
        per_token = ("x", "qr", "position_ids", "slot_mapping", "score", "topk_idxs", "topk_offset")
        for name in per_token:
            alone[name] = np.asarray(inputs[name])[first:end]
        alone["cu_seqlens"] = np.array([0, end - first], np.int32)
        alone["block_table"] = inputs["block_table"][r : r + 1]
        alone["state_slots"] = inputs["state_slots"][r : r + 1]
        out = indexer_prefill_golden(alone)
        assert np.array_equal(out["topk_idxs"], packed["topk_idxs"][first:end])
        assert np.array_equal(out["score"], packed["score"][first:end])
        slot = int(inputs["state_slots"][r])
        assert np.array_equal(out["kv_state"][slot], packed["kv_state"][slot])


def test_the_golden_does_not_modify_its_inputs():
    world = prompt_world(9, "c8")
    inputs = chunk_inputs(world, pools_of(world), 0, 9)
    before = {name: np.array(inputs[name], copy=True) for name in POOLS}
    indexer_prefill_golden(inputs)
    for name, value in before.items():
        assert np.array_equal(inputs[name], value)


def _valid_chunk():
    config = indexer_prefill_case.resolve_config(
        CaseConfig(prompt_lens="5,9", prefix_lens="0,4", block_size=16)
    )
    rng = np.random.default_rng(0)
    return prefill_inputs.chunk_tensors(config, rng), config


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.position_ids.__setitem__(6, 7), "position_ids"),
        (lambda c: c.position_ids.__setitem__(-1, 3), "padding rows"),
        (lambda c: c.slot_mapping.__setitem__(3, 5), "slot_mapping"),
        (lambda c: c.cu_seqlens.__setitem__(1, 200), "cu_seqlens"),
        (lambda c: c.state_slots.__setitem__(1, c.state_slots[0]), "state_slots"),
    ],
)
def test_check_chunk_names_the_bad_tensor(mutate, message):
    chunk, config = _valid_chunk()
    mutate(chunk)
    with pytest.raises(ConfigError, match=message):
        check_chunk(
            chunk.position_ids, chunk.cu_seqlens, chunk.block_table, chunk.slot_mapping,
            chunk.state_slots, num_blocks=chunk.num_blocks, block_size=chunk.block_size,
            num_state_slots=chunk.num_state_slots, max_positions=config.max_seq_len,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt_lens": "0,4"}, "--prompt-lens: got 0,4"),
        ({"prompt_lens": "5000,4000"}, "--prompt-lens: 9000 tokens"),
        ({"prompt_lens": ",".join(["1"] * 65)}, r"--prompt-lens: got 1,.*\(65 values\)"),
        ({"prompt_lens": "4,4", "prefix_lens": "1,2,3"}, "--prefix-lens: got 1,2,3"),
        ({"prompt_lens": "4", "prefix_lens": "-4"}, "--prefix-lens: got -4"),
        ({"prompt_lens": "4", "start_pos": 3}, "--start-pos: a decode option"),
        ({"prompt_lens": "4", "max_seq_len": 1000}, "--max-seq-len: got 1000"),
        ({"prompt_lens": "4", "prefix_lens": "5000"}, "reaches 5004 positions.*4096 positions"),
        ({"prompt_lens": "4", "prefix_lens": "3000", "max_seq_len": 2048},
         "reaches 3004 positions.*--max-seq-len 2048 \\(given\\).*give --max-seq-len 4096"),
    ],
)
def test_config_errors_name_the_argument(fields, message):
    with pytest.raises(ConfigError, match=message):
        indexer_prefill_case.resolve_config(CaseConfig(**fields))


def test_scores_of_a_row_the_kernel_wrote_differently_are_the_golden_math_on_that_row():
    """prefill_compare.kernel_row_scores: a written row that differs from the golden's gets its
    cells rescored exactly as the golden scores the whole pool holding that row; other cells
    and an unchanged pool keep the plain golden."""
    from models.deepseek_v4.cases.prefill_compare import kernel_row_scores
    from models.deepseek_v4.reference.decode_indexer import paged_scores, quantized_query
    from models.deepseek_v4.reference.prefill import token_rows_as_step

    world = prompt_world(13, "c16")
    inputs = chunk_inputs(world, pools_of(world), 0, 13)
    expected = indexer_prefill_golden(inputs)
    same, rescored = kernel_row_scores(expected, expected, inputs)
    assert rescored == 0 and same is expected["score"]
    actual = {name: np.array(value, copy=True) for name, value in expected.items()}
    slot = int(inputs["slot_mapping"][7])  # row 1, closed by position 7
    flat = actual["index_cache"].reshape(-1, 128)
    flat[slot] = (flat[slot].astype(np.float32) * np.float32(1.25)).astype(flat.dtype)
    assert not np.array_equal(flat[slot], expected["index_cache"].reshape(-1, 128)[slot])
    scores, rescored = kernel_row_scores(actual, expected, inputs)
    assert rescored == 1
    query = quantized_query(token_rows_as_step(inputs))
    view = {"position_ids": inputs["position_ids"][None], "block_table": inputs["block_table"]}
    request_query = {name: value[:, 0][None] for name, value in query.items()}
    want = paged_scores(view, request_query, actual["index_cache"], None, scores.shape[1])[0]
    assert np.array_equal(scores, want)
    assert not np.array_equal(scores[7:, 1], expected["score"][7:, 1])
    assert np.array_equal(np.delete(scores, 1, axis=1), np.delete(expected["score"], 1, axis=1))
