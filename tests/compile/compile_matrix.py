"""The configurations the product kernels must compile for, and a helper to compile one.

Compiling needs the real pypto compiler (golden.compiler); the tests skip where it is absent.
Every configuration is a mixed serving batch (empty, short, block-boundary and long requests):
positions, lengths, tables and mappings are tensor data, so the artifact depends only on
(preset, B, S, block geometry, cache format).
"""

from __future__ import annotations

import itertools

from golden.case import CaseConfig
from golden.compiler import CompileResult, compile_kernel, spec_args
from golden.registry import get_case

PRESETS = ("DEMO", "FLASH", "PRO")
BATCHES = (1, 5, 16, 64, 128)
SEQS = (1, 2, 3, 4)
FORMATS = ("c16", "c8")
KERNEL_CASES = ("deepseek_v4.indexer", "deepseek_v4.indexer_compressor")


def full_matrix() -> list[tuple[str, str, int, int, str]]:
    """Every (case, preset, batch, seq, cache format)."""
    return list(itertools.product(KERNEL_CASES, PRESETS, BATCHES, SEQS, FORMATS))


def compile_config(
    case_name: str,
    preset: str,
    batch: int,
    seq: int,
    cache_format: str = "c16",
    max_seq_len: int | None = None,
    block_size: int | None = None,
) -> CompileResult:
    """Compile a case's kernel for one mixed-batch configuration (a2a3); the compiler's verdict."""
    case = get_case(case_name)
    config = case.resolve_config(
        CaseConfig(
            preset=preset, batch=batch, seq=seq, max_seq_len=max_seq_len, mixed=True,
            cache_format=cache_format, block_size=block_size,
        )
    )  # fmt: skip
    args = spec_args(case.make_specs(config))
    return compile_kernel(case.kernel_file, case.kernel_for(config), args, platform="a2a3")
