"""Metamorphic checks of the real kernels on plsim (and of the goldens) — no golden comparison.

- Permuting the batch permutes every per-request output and leaves the pools bit-identical
  (kernel and golden); relabelling the physical blocks of the cache pool (and the table with
  them) changes nothing but where the rows sit.
- Scaling one visible cache row by a power of two keeps its INT8 codes, so its score column
  scales by exactly that power and every other score cell is unchanged.
- Lowest-scored rows never change the top-k: rows past every token's visibility (a longer
  cache) leave top-k and visible scores unchanged; appending lowest-scored candidates to a
  score row never changes the golden top-k's existing entries.
- Same seed twice gives bit-identical kernel and golden outputs, and pl.parallel iterations run
  in a shuffled order give the same bits (the kernels are race-free).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import fuzz_settings

import plsim
from golden import registry
from golden.case import CaseConfig
from golden.inputs import copy_values
from golden.runner import run_case
from models.deepseek_v4.cases import decode_compressor as compressor_case
from models.deepseek_v4.cases import decode_indexer as indexer_case
from models.deepseek_v4.config import FP32_LOWEST, SLIDING_WINDOW
from models.deepseek_v4.reference.decode_indexer import indexer_paged_golden, topk_rows

INDEXER_OUTPUTS = ("kv_state", "score_state", "index_cache", "score", "topk_idxs")
PER_REQUEST = (
    "x", "qr", "position_ids", "kv_seq_lens", "block_table", "slot_mapping", "state_slots",
    "score", "topk_idxs",
)  # fmt: skip
POOLS = ("kv_state", "score_state", "index_cache")


@cache
def indexer_kernel():
    return plsim.load(indexer_case.KERNEL_FILE).indexer_c16


@cache
def compressor_kernel():
    return plsim.load(compressor_case.KERNEL_FILE).indexer_compressor_c16


def run_indexer(inputs: dict, **options) -> dict[str, np.ndarray]:
    values = copy_values(inputs)
    plsim.run(indexer_kernel(), **values, **options)  # by name: the dict is not in order
    return {name: values[name] for name in INDEXER_OUTPUTS}


def cache_row(inputs: dict, b: int, row: int) -> tuple[int, int]:
    """(block, offset) of logical cache row ``row`` of request b."""
    block_size = inputs["index_cache"].shape[1]
    return int(inputs["block_table"][b, row // block_size]), row % block_size


def bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def indexer_inputs(**fields) -> tuple[CaseConfig, dict]:
    config = indexer_case.resolve_config(CaseConfig(**fields))
    return config, indexer_case.make_inputs(config)


# ------------------------------------------------------------------ batch permutation
@pytest.mark.slow
def test_permuting_the_batch_permutes_indexer_outputs():
    _, inputs = indexer_inputs(batch=3, seq=2, start_pos="2050,1203,-1", max_seq_len=4096, seed=11)
    order = np.array([2, 0, 1])
    permuted = dict(inputs)
    for name in PER_REQUEST:
        permuted[name] = np.ascontiguousarray(inputs[name][order])
    base, moved = run_indexer(inputs), run_indexer(permuted)
    golden_base = indexer_paged_golden(copy_values(inputs))
    golden_moved = indexer_paged_golden(permuted)
    for name in INDEXER_OUTPUTS:
        want = base[name] if name in POOLS else base[name][order]
        gold = golden_base[name] if name in POOLS else golden_base[name][order]
        assert bits_equal(moved[name], want), f"kernel {name}"
        assert bits_equal(golden_moved[name], gold), f"golden {name}"


@pytest.mark.slow
def test_relabelling_physical_blocks_moves_only_the_rows():
    _, inputs = indexer_inputs(batch=2, seq=2, mixed=True, block_size=16, seed=16)
    blocks = inputs["index_cache"].shape[0]
    relabel = np.random.default_rng(17).permutation(blocks)  # old block i -> new block relabel[i]
    moved = dict(inputs)
    moved["index_cache"] = np.empty_like(inputs["index_cache"])
    moved["index_cache"][relabel] = inputs["index_cache"]
    table = inputs["block_table"]
    moved["block_table"] = np.where(table >= 0, relabel[np.maximum(table, 0)], -1).astype(np.int32)
    slots = inputs["slot_mapping"]
    moved["slot_mapping"] = np.where(
        slots >= 0, relabel[np.maximum(slots, 0) // 16] * 16 + slots % 16, -1
    ).astype(np.int32)
    base, after = run_indexer(inputs), run_indexer(moved)
    for name in ("score", "topk_idxs", "kv_state", "score_state"):
        assert bits_equal(after[name], base[name]), name
    assert bits_equal(after["index_cache"][relabel], base["index_cache"])


def test_permuting_the_batch_permutes_compressor_outputs():
    config = compressor_case.resolve_config(
        CaseConfig(batch=5, seq=3, start_pos="9,2,-1,30,17", max_seq_len=64, seed=12)
    )
    inputs = compressor_case.make_inputs(config)
    order = np.array([4, 2, 0, 3, 1])
    permuted = dict(inputs)
    for name in ("x", "position_ids", "state_slots", "slot_mapping"):
        permuted[name] = np.ascontiguousarray(inputs[name][order])
    runs = []
    for values in (copy_values(inputs), copy_values(permuted)):
        plsim.run(compressor_kernel(), *values.values())
        runs.append(values)
    golden_base = compressor_case.golden(copy_values(inputs), config)
    golden_moved = compressor_case.golden(copy_values(permuted), config)
    for name in ("kv_state", "score_state", "index_cache"):  # pools: the same bits
        assert bits_equal(runs[1][name], runs[0][name]), f"kernel {name}"
        assert bits_equal(golden_moved[name], golden_base[name]), f"golden {name}"


# ------------------------------------------------------------------ power-of-two cache rows
@pytest.mark.slow
@pytest.mark.parametrize("power", [3, -2])
def test_power_of_two_cache_row_scales_only_its_score_column(power):
    _, inputs = indexer_inputs(batch=2, seq=1, start_pos=2103, max_seq_len=4096, seed=13)
    row = 37  # visible to the step, far from the row the step's compressor writes (525)
    block, offset = cache_row(inputs, 1, row)
    scaled = dict(inputs)
    pool = np.array(inputs["index_cache"], copy=True)
    original = pool[block, offset].astype(np.float32)
    pool[block, offset] = (original * np.float32(2.0**power)).astype(pool.dtype)
    assert np.array_equal(pool[block, offset].astype(np.float64), original * 2.0**power)  # exact
    scaled["index_cache"] = pool
    base, changed = run_indexer(inputs), run_indexer(scaled)
    want = base["score"].copy()
    want[1, :, row] = (want[1, :, row] * np.float32(2.0**power)).astype(np.float32)
    assert bits_equal(changed["score"], want)
    for name in ("kv_state", "score_state"):
        assert bits_equal(changed[name], base[name])
    expected_pool = np.array(base["index_cache"], copy=True)
    expected_pool[block, offset] = pool[block, offset]  # the step writes a different row
    assert bits_equal(changed["index_cache"], expected_pool)


# ------------------------------------------------------------------ lowest-scored rows
@pytest.mark.slow
def test_rows_nobody_sees_never_change_topk_or_visible_scores():
    """The same step with a table and score row twice as long: the extra rows are lowest-scored
    for every token, so top-k and the visible scores are bit-identical and the extra cells are
    the FP32_LOWEST sentinel."""
    _, long_inputs = indexer_inputs(batch=2, seq=3, start_pos="1500,700", max_seq_len=4096, seed=14)
    short_rows = 2048 // 4
    block_size = long_inputs["index_cache"].shape[1]
    short = dict(long_inputs)
    short["block_table"] = np.ascontiguousarray(
        long_inputs["block_table"][:, : short_rows // block_size]
    )
    short["rope_cos"] = np.ascontiguousarray(long_inputs["rope_cos"][:2048])
    short["rope_sin"] = np.ascontiguousarray(long_inputs["rope_sin"][:2048])
    short["score"] = np.zeros((2, 3, short_rows), np.float32)
    long_out, short_out = run_indexer(long_inputs), run_indexer(short)
    assert bits_equal(long_out["topk_idxs"], short_out["topk_idxs"])
    assert bits_equal(long_out["score"][:, :, :short_rows], short_out["score"])
    assert np.all(long_out["score"][:, :, short_rows:] == np.float32(FP32_LOWEST))
    assert bits_equal(long_out["index_cache"], short_out["index_cache"])


@fuzz_settings(ci_examples=80)
@given(
    visible=st.integers(1, 40),
    topk=st.sampled_from([8, 16, 32]),
    added=st.integers(1, 20),
    seed=st.integers(0, 2**16),
    lowest=st.sampled_from([float(FP32_LOWEST), float("-inf")]),
)
def test_golden_topk_ignores_appended_lowest_scored_rows(visible, topk, added, seed, lowest):
    rng = np.random.default_rng(seed)
    # Few distinct values, so ties (broken towards the smaller index) are common.
    score = rng.integers(-4, 5, (1, 1, visible)).astype(np.float32) * np.float32(0.25)
    grown = np.concatenate([score, np.full((1, 1, added), lowest, np.float32)], axis=2)
    before = topk_rows(score, np.array([[visible]]), topk, SLIDING_WINDOW)
    after = topk_rows(grown, np.array([[visible + added]]), topk, SLIDING_WINDOW)
    k = min(topk, visible)
    assert np.array_equal(after[..., :k], before[..., :k])
    # Slots the old row could not fill take the added rows, in index order.
    fill = min(topk, visible + added) - k
    assert np.array_equal(after[0, 0, k : k + fill], visible + np.arange(fill) + SLIDING_WINDOW)


# ------------------------------------------------------------------ determinism
@pytest.mark.slow
@pytest.mark.parametrize(
    "case_name,config",
    [
        (
            "deepseek_v4.indexer",
            CaseConfig(batch=3, seq=2, mixed=True, cache_format="c8", seed=5),
        ),
        (
            "deepseek_v4.indexer_compressor",
            CaseConfig(batch=3, seq=4, start_pos="10,-1,33", max_seq_len=64, seed=5),
        ),
    ],
    ids=["indexer", "compressor"],
)
def test_same_seed_twice_gives_bit_identical_kernel_and_golden_outputs(case_name, config):
    case = registry.get_case(case_name)
    first, second = run_case(case, config), run_case(case, config)
    assert first.passed and second.passed
    for name in first.expected_outputs:
        if name in first.actual_outputs:  # golden-only references have no kernel output
            assert bits_equal(first.actual_outputs[name], second.actual_outputs[name]), name
        assert bits_equal(first.expected_outputs[name], second.expected_outputs[name]), name
    other_seed = run_case(case, CaseConfig(**{**config.__dict__, "seed": config.seed + 1}))
    assert any(
        not bits_equal(first.expected_outputs[n], other_seed.expected_outputs[n])
        for n in first.expected_outputs
    ), "a different seed must give different data"


@pytest.mark.slow
@pytest.mark.parametrize("shuffle_seed", [1, 2])
def test_shuffled_parallel_order_gives_the_same_bits(shuffle_seed):
    _, inputs = indexer_inputs(batch=4, seq=2, mixed=True, max_seq_len=4096, seed=15)
    base = run_indexer(inputs)
    shuffled = run_indexer(inputs, shuffle_seed=shuffle_seed)
    for name in INDEXER_OUTPUTS:
        assert bits_equal(shuffled[name], base[name]), name
