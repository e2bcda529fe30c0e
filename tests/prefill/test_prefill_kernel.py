"""The prefill kernels (kernels/prefill_indexer.py, prefill_compressor.py) on plsim against their
goldens, and prefill-then-decode on the kernels against decoding token by token."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from prefill.prefill_support import prompt_world, serve

import plsim
from golden.case import CaseConfig
from golden.runner import run_case
from models.deepseek_v4.cases import decode_indexer as indexer_case
from models.deepseek_v4.cases import prefill_compressor as compressor_prefill_case
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case
from models.deepseek_v4.cases import prefill_inputs


@functools.cache
def _kernel(path: str, name: str):
    return getattr(plsim.load(path), name)


def _runner(case_module, names: list[str], kernel_name: str, outputs: tuple[str, ...]):
    def run(values: dict[str, Any]) -> dict[str, np.ndarray]:
        args = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                for k, v in values.items()}  # fmt: skip
        plsim.run(_kernel(str(case_module.KERNEL_FILE), kernel_name), *[args[n] for n in names])
        return {name: args[name] for name in outputs if name in args}

    return run


def _prefill_names(cache_format: str) -> list[str]:
    config = indexer_prefill_case.resolve_config(CaseConfig(cache_format=cache_format))
    return [p.name for p in indexer_prefill_case.indexer_signature(config)]


OUTPUTS = ("score", "topk_idxs", "kv_state", "score_state", "index_cache", "index_cache_scale")


def _run_case(case, **fields):
    report = run_case(case, CaseConfig(**fields), "plsim")
    failed = {name: v.message for name, v in report.outputs.items() if not v.passed}
    assert report.passed, failed or report.error
    return report


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_mixed_chunk_with_prefixes_short_prompts_and_block_boundaries(cache_format):
    # Lengths 1..5 around the first window, a prompt crossing a 16-row block boundary (row 16
    # closes at position 67), two requests continuing prefixes, and padding rows (T = 128).
    report = _run_case(
        indexer_prefill_case.CASE,
        prompt_lens="1,3,4,5,70,9",
        prefix_lens="0,0,0,0,0,61",
        cache_format=cache_format,
        block_size=16,
    )
    assert report.quality["topk_recall_vs_float"] > 0.9
    # the decode step's submission order: both chains' projections first
    names = [stage["name"] for stage in report.stages]
    assert names[:6] == [
        "qr_quant",
        "qr_proj",
        "qr_rope",
        "kv_gate_projection",
        "qr_hadamard_quant",
        "source_rows",
    ]
    assert names[-1] == "state_write_back"  # after the score and top-k stages


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_compressor_prefill_case(cache_format):
    _run_case(
        compressor_prefill_case.CASE,
        prompt_lens="2,4,7,37",
        prefix_lens="0,3,0,130",
        cache_format=cache_format,
        block_size=32,
    )


def test_a_single_short_prompt_sees_nothing():
    report = _run_case(indexer_prefill_case.CASE, prompt_lens="3", cache_format="c8")
    assert report.passed


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_kernel_prefill_then_decode_equals_kernel_decode_token_by_token(cache_format):
    """Prefill kernel on the first 17 tokens then decode-kernel steps to 22 vs 22 decode-kernel
    steps from position 0: the same top-k, scores, cache rows and states, bit for bit."""
    world = prompt_world(22, cache_format)
    chunk = _runner(indexer_prefill_case, _prefill_names(cache_format),
                    f"indexer_prefill_{cache_format}", OUTPUTS)  # fmt: skip
    step = _runner(indexer_case, indexer_case.parameter_names(cache_format),
                   f"indexer_{cache_format}", OUTPUTS)  # fmt: skip
    score_a, topk_a, pools_a = serve(world, [17], 22, chunk, step)
    score_b, topk_b, pools_b = serve(world, [], 22, chunk, step)
    # Bit for bit: both paths run the same per-token chain (the chunk's projections differ
    # from decode's only in their token tiling, which does not change a row's sums on plsim).
    assert np.array_equal(topk_a, topk_b)
    assert np.array_equal(score_a, score_b)
    for name in pools_a:
        assert np.array_equal(pools_a[name], pools_b[name]), name


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_an_empty_request_slot_reads_and_writes_nothing(cache_format):
    """R padded with an empty request (no tokens, state slot -1, table row -1) between two
    live ones: the kernel matches the golden, and the check accepts the chunk."""
    config = indexer_prefill_case.resolve_config(
        CaseConfig(prompt_lens="6,9", prefix_lens="0,30", cache_format=cache_format)
    )
    inputs = indexer_prefill_case.make_inputs(config)
    cu = inputs["cu_seqlens"]
    inputs["cu_seqlens"] = np.array([cu[0], cu[1], cu[1], cu[2]], np.int32)
    table = inputs["block_table"]
    inputs["block_table"] = np.concatenate([table[:1], np.full_like(table[:1], -1), table[1:]])
    states = inputs["state_slots"]
    inputs["state_slots"] = np.array([states[0], -1, states[1]], np.int32)
    prefill_inputs.check_chunk_inputs(inputs, config.max_seq_len)
    expected = indexer_prefill_case.golden(inputs, config)
    run = _runner(indexer_prefill_case, _prefill_names(cache_format),
                  f"indexer_prefill_{cache_format}", OUTPUTS)  # fmt: skip
    actual = run(inputs)
    for name, comparison in indexer_prefill_case.comparisons(config).items():
        result = comparison(
            actual[name], expected[name], actual_outputs=actual, expected_outputs=expected,
            inputs=inputs,
        )  # fmt: skip
        assert result.passed, (name, result.message)
