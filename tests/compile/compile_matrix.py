"""The configurations issue 9 asks every product kernel to compile for, and a helper to compile one.

Compiling needs the real pypto compiler (golden.compiler); the tests skip where it is absent.
"""

from __future__ import annotations

import itertools

from golden.case import CaseConfig
from golden.compiler import CompileResult, compile_kernel, spec_args
from golden.registry import get_case

PRESETS = ("DEMO", "FLASH", "PRO")
BATCHES = (1, 5, 16, 64)
SEQS = (1, 2, 3, 4)
KERNEL_CASES = ("deepseek_v4.indexer", "deepseek_v4.indexer_compressor")


def full_matrix() -> list[tuple[str, str, int, int, bool]]:
    """Every (case, preset, batch, seq, rotate); rotate off only exists for the compressor."""
    rows = []
    for case, preset, batch, seq in itertools.product(KERNEL_CASES, PRESETS, BATCHES, SEQS):
        rotations = (True, False) if case.endswith("compressor") else (True,)
        rows.extend((case, preset, batch, seq, rotate) for rotate in rotations)
    return rows


def compile_config(
    case_name: str,
    preset: str,
    batch: int,
    seq: int,
    rotate: bool = True,
    max_seq_len: int | None = None,
) -> CompileResult:
    """Compile a case's kernel for one configuration (a2a3) and return the compiler's verdict."""
    case = get_case(case_name)
    config = case.resolve_config(
        CaseConfig(preset=preset, batch=batch, seq=seq, max_seq_len=max_seq_len)
    )
    args = spec_args(case.make_specs(config))
    for arg in args:
        if arg["name"] == "rotate":
            arg["value"] = rotate
    return compile_kernel(case.kernel_file, case.kernel_name, args, platform="a2a3")
