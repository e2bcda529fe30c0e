"""Shared helpers of the indexer tests: run the kernel on plsim and compare with the golden."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import plsim
from golden.case import CaseConfig, CompareResult
from models.deepseek_v4.indexer_case import CASE, make_inputs
from models.deepseek_v4.indexer_golden import indexer_golden

OUTPUTS = ("score", "topk_idxs", "kv_cache", "kv_state", "score_state")


@functools.cache
def kernel():
    """The indexer kernel loaded through plsim (once per test session)."""
    return getattr(plsim.load(CASE.kernel_file), CASE.kernel_name)


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
    """Run the kernel on a resolved ``config`` (inputs from the case unless given)."""
    if inputs is None:
        inputs = make_inputs(config)
    inputs = _copies(inputs)
    expected = indexer_golden(inputs)
    args = _copies(inputs)
    run = plsim.run(kernel(), *[args[name] for name in PARAMETER_ORDER])
    actual = {name: args[name] for name in OUTPUTS}
    comparisons = CASE.comparisons(config)
    results = {
        name: comparisons[name](
            actual[name],
            expected[name],
            actual_outputs=actual,
            expected_outputs=expected,
            inputs=inputs,
        )
        for name in OUTPUTS
    }
    return StepResult(config, inputs, actual, expected, results, run)


def _copies(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in values.items()
    }


#: Kernel parameter order (models/deepseek_v4/indexer.py docstring; the case's specs agree).
PARAMETER_ORDER = (
    "x",
    "qr",
    "wq_b",
    "wq_b_scale",
    "weights_proj",
    "rope_cos",
    "rope_sin",
    "hadamard",
    "wkv",
    "wgate",
    "ape",
    "norm_weight",
    "kv_state",
    "score_state",
    "kv_cache",
    "score",
    "topk_idxs",
    "start_pos",
    "offset",
)
