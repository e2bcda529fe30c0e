"""The prefill kernels compile with the real pypto compiler (parse, passes, codegen), one artifact
per (preset, T bucket, format); skipped where the compiler is absent."""

from __future__ import annotations

import pytest

from golden.case import CaseConfig
from golden.compiler import COMPILER_INSTALL, compile_kernel, compiler_available, spec_args
from golden.registry import get_case

pytestmark = pytest.mark.skipif(
    not compiler_available(),
    reason=f"the real pypto compiler is not installed; install {COMPILER_INSTALL}",
)


@pytest.mark.parametrize(
    ("case_name", "preset", "prompts", "prefixes", "cache_format"),
    [
        ("deepseek_v4.indexer_prefill", "DEMO", "1,7,128,3000", "0", "c8"),
        ("deepseek_v4.indexer_prefill", "DEMO", "1,7,13", "0,5,40", "c16"),
        ("deepseek_v4.indexer_prefill", "FLASH", "300,20", "4000,0", "c8"),
        ("deepseek_v4.indexer_prefill", "PRO", "64", "0", "c16"),
        ("deepseek_v4.indexer_compressor_prefill", "DEMO", "1,7,13", "0,5,40", "c16"),
        ("deepseek_v4.indexer_compressor_prefill", "FLASH", "200", "96", "c8"),
    ],
)
def test_prefill_kernel_compiles(case_name, preset, prompts, prefixes, cache_format):
    case = get_case(case_name)
    config = case.resolve_config(
        CaseConfig(
            preset=preset, prompt_lens=prompts, prefix_lens=prefixes, cache_format=cache_format
        )
    )
    result = compile_kernel(
        case.kernel_file, case.kernel_for(config), spec_args(case.make_specs(config)),
        platform="a2a3",
    )  # fmt: skip
    assert result.compiled, f"{result.error} at {result.location}"
    assert result.kernels
