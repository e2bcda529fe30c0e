"""The configurations the product kernels must compile for, and a helper to compile one.

Compiling needs the real pypto compiler (golden.compiler); the tests skip where it is absent.
Every configuration is a mixed serving batch (empty, short, block-boundary and long requests):
positions, lengths, tables and mappings are tensor data, so the artifact depends only on
(preset, B, S, block geometry, cache format).
"""

from __future__ import annotations

import itertools
import json
import sys
import time

from golden.case import CaseConfig
from golden.compile_only import compile_args
from golden.compile_progress import CompileProgress
from golden.compiler import CompileRequest, CompileResult, compile_kernel, compile_many
from golden.registry import get_case

PRESETS = ("DEMO", "FLASH", "PRO")
BATCHES = (1, 5, 16, 64, 128)
SEQS = (1, 2, 3, 4)
FORMATS = ("c16", "c8")
#: (case, topk_only): the indexer's scores-requested and serving (top-k only) entry points.
KERNELS = (
    ("deepseek_v4.indexer", False),
    ("deepseek_v4.indexer", True),
    ("deepseek_v4.indexer_compressor", False),
)
MATRIX_FIELDS = ("case", "preset", "batch", "seq", "format", "topk_only")


def full_matrix() -> list[tuple[str, str, int, int, str, bool]]:
    """Every (case, preset, batch, seq, cache format, topk_only)."""
    return [
        (case, preset, batch, seq, cache_format, topk_only)
        for (case, topk_only), preset, batch, seq, cache_format in itertools.product(
            KERNELS, PRESETS, BATCHES, SEQS, FORMATS
        )
    ]


def compile_config(
    case_name: str,
    preset: str,
    batch: int,
    seq: int,
    cache_format: str = "c16",
    topk_only: bool = False,
    max_seq_len: int | None = None,
    block_size: int | None = None,
) -> CompileResult:
    """Compile a case's kernel for one mixed-batch configuration (a2a3); the compiler's verdict."""
    case = get_case(case_name)
    config = _config(
        case, preset, batch, seq, cache_format, topk_only,
        max_seq_len=max_seq_len, block_size=block_size,
    )  # fmt: skip
    args = compile_args(case, config)
    return compile_kernel(case.kernel_file, case.kernel_for(config), args, platform="a2a3")


def _config(case, preset, batch, seq, cache_format, topk_only=False, **extra) -> CaseConfig:
    """The resolved mixed-batch CaseConfig (``extra``: further CaseConfig fields)."""
    return case.resolve_config(
        CaseConfig(
            preset=preset, batch=batch, seq=seq, mixed=True, cache_format=cache_format,
            topk_only=topk_only, **extra,
        )
    )  # fmt: skip


def shape_request(
    case_name: str, preset: str, batch: int, seq: int, cache_format: str, topk_only: bool = False
):
    """A compile request built from the case's parameter shapes and scalars, without
    generating inputs (golden.compile_only.compile_args; ``Case.param_shapes`` and
    ``scalar_specs`` equal ``make_specs``'s, tests/models/test_footprint.py)."""
    case = get_case(case_name)
    config = _config(case, preset, batch, seq, cache_format, topk_only)
    args = compile_args(case, config)
    return CompileRequest(case.kernel_file, case.kernel_for(config), args, platform="a2a3")


def _json_line(row: tuple, result: CompileResult) -> str:
    line = dict(zip(MATRIX_FIELDS, row))
    kernels = {k: len(v) for k, v in result.kernels.items()}
    line.update(compiled=result.compiled, kernels=kernels, hints=result.hint_counts(),
                seconds=round(result.seconds, 2), error=result.error[:300],
                location=result.location)  # fmt: skip
    return json.dumps(line)


def main(argv: list[str]) -> int:
    """Compile the whole matrix in one compiler process; print one JSON line per configuration
    as it finishes, and progress with an estimate of the time left on stderr."""
    rows = full_matrix()
    start = time.perf_counter()
    progress = CompileProgress(sys.stderr, [" ".join(map(str, row)) for row in rows])

    def on_event(index: int, event: str, result: CompileResult | None) -> None:
        progress(index, event, result)
        if event == "done" and result is not None:
            print(_json_line(rows[index], result), flush=True)

    with progress:
        results = compile_many([shape_request(*row) for row in rows], on_event=on_event)
    failed = sum(not r.compiled for r in results)
    print(f"{len(rows) - failed} compiled, {failed} rejected, "
          f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    raise SystemExit(main(sys.argv[1:]))
