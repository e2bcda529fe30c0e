"""The model-agnostic harness: specs, cases, comparisons, platforms, runs, reports, save/replay."""

from golden.case import Case, CaseConfig, CompareResult, Comparison, ConfigError
from golden.compare import allclose, bf16_ulp, error_distribution, exact, topk_tie_aware
from golden.data import DataError
from golden.inputs import CaseDefinitionError, build_inputs
from golden.platforms import PLATFORMS, KernelError, PlatformUnavailable
from golden.registry import case_names, get_case
from golden.report import render_text, to_json
from golden.runner import OutputVerdict, RunReport, replay_case, run_case
from golden.spec import ScalarSpec, TensorSpec

__all__ = [
    "PLATFORMS",
    "Case",
    "CaseConfig",
    "CaseDefinitionError",
    "CompareResult",
    "Comparison",
    "ConfigError",
    "DataError",
    "KernelError",
    "OutputVerdict",
    "PlatformUnavailable",
    "RunReport",
    "ScalarSpec",
    "TensorSpec",
    "allclose",
    "bf16_ulp",
    "build_inputs",
    "case_names",
    "error_distribution",
    "exact",
    "get_case",
    "render_text",
    "replay_case",
    "run_case",
    "to_json",
    "topk_tie_aware",
]
