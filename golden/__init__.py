"""The model-agnostic harness: specs, cases, comparisons, platforms, runs, reports, save/replay.

The names below load on first use (PEP 562), so that importing one submodule does not import
the rest: the child processes that run the real pypto (golden.compile_worker,
golden.run_worker) import a few harness modules and must never load plsim, which the runner
and the platforms import.
"""

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "PLATFORMS": "golden.platforms",
    "Case": "golden.case",
    "CaseConfig": "golden.case",
    "CaseDefinitionError": "golden.inputs",
    "CompareResult": "golden.case",
    "Comparison": "golden.case",
    "ConfigError": "golden.case",
    "DataError": "golden.data",
    "KernelError": "golden.platforms",
    "OutputVerdict": "golden.runner",
    "PlatformUnavailable": "golden.platforms",
    "RunReport": "golden.runner",
    "ScalarSpec": "golden.spec",
    "TensorSpec": "golden.spec",
    "allclose": "golden.compare",
    "bf16_ulp": "golden.compare",
    "build_inputs": "golden.inputs",
    "case_names": "golden.registry",
    "error_distribution": "golden.compare",
    "exact": "golden.compare",
    "get_case": "golden.registry",
    "render_text": "golden.report",
    "replay_case": "golden.runner",
    "run_case": "golden.runner",
    "to_json": "golden.report",
    "topk_tie_aware": "golden.compare",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'golden' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
