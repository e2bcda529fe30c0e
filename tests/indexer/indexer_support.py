"""Shared helpers of the indexer tests: run a kernel on plsim and compare with the golden."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import plsim
from golden.case import CaseConfig, CompareResult
from models.deepseek_v4.cases.decode_indexer import CASE, make_inputs, parameter_names
from models.deepseek_v4.reference.decode_indexer import indexer_paged_golden


@functools.cache
def kernel(name: str):
    """An indexer kernel (indexer_c16 / indexer_c8) loaded through plsim (once per session)."""
    return getattr(plsim.load(CASE.kernel_file), name)


def output_names(cache_format: str, topk_only: bool = False) -> tuple[str, ...]:
    """The kernel's outputs for a cache format (no score for the top-k-only entry point)."""
    names = ("topk_idxs", "index_cache", "kv_state", "score_state")
    names = names if topk_only else ("score", *names)
    return (*names, "index_cache_scale") if cache_format == "c8" else names


@dataclass
class StepResult:
    """One kernel step on plsim with its golden and per-output comparisons."""

    config: CaseConfig
    inputs: dict[str, Any]
    actual: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    results: dict[str, CompareResult]
    run: Any

    def failures(self) -> dict[str, str]:
        """Messages of the outputs that failed their comparison."""
        return {name: r.message for name, r in self.results.items() if not r.passed}


def run_step(config: CaseConfig, inputs: Mapping[str, Any] | None = None) -> StepResult:
    """Run the config's kernel on a resolved ``config`` (inputs from the case unless given)."""
    if inputs is None:
        inputs = make_inputs(config)
    inputs = copies(inputs)
    expected = indexer_paged_golden(inputs)
    args = copies(inputs)
    names = parameter_names(config.cache_format, config.topk_only)
    run = plsim.run(kernel(CASE.kernel_for(config)), *[args[name] for name in names])
    outputs = output_names(config.cache_format, config.topk_only)
    actual = {name: args[name] for name in outputs}
    comparisons = CASE.comparisons(config)
    results = {
        name: comparisons[name](
            actual[name],
            expected[name],
            actual_outputs=actual,
            expected_outputs=expected,
            inputs=inputs,
        )
        for name in outputs
    }
    return StepResult(config, inputs, actual, expected, results, run)


def copies(values: Mapping[str, Any]) -> dict[str, Any]:
    """Copies of every array of ``values`` (scalars as they are)."""
    return {
        k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in values.items()
    }
