"""The configurations the product kernels must build for, and helpers to build them.

Building needs the real pypto compiler (golden.compiler); the tests skip where it is absent.
With ptoas installed a build runs pypto, ptoas and the kernel wrapper (golden.toolchain).
Decode configurations are mixed serving batches (empty, short, block-boundary and long
requests): positions, lengths, tables and mappings are tensor data, so the artifact depends
only on (preset, B, S, block geometry, cache format). Prefill configurations are packed chunks
(the artifact depends on preset, the chunk's T bucket and request count, cache format). Every
configuration builds for both targets, a2a3 and a5.
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
from golden.runner import resolve

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
#: The prefill entry points and their chunks: (prompt_lens, prefix_lens).
PREFILL_KERNELS = ("deepseek_v4.indexer_prefill", "deepseek_v4.indexer_compressor_prefill")
PREFILL_CHUNKS = (("1", "0"), ("5,40", "0,1001"), ("1,7,128,300", "0"), ("300,20", "3000,0"))
PREFILL_FIELDS = ("case", "preset", "prompt_lens", "prefix_lens", "format")
TARGETS = ("a2a3", "a5")


def full_matrix() -> list[tuple[str, str, int, int, str, bool]]:
    """Every (case, preset, batch, seq, cache format, topk_only)."""
    return [
        (case, preset, batch, seq, cache_format, topk_only)
        for (case, topk_only), preset, batch, seq, cache_format in itertools.product(
            KERNELS, PRESETS, BATCHES, SEQS, FORMATS
        )
    ]


def full_prefill_matrix() -> list[tuple[str, str, str, str, str]]:
    """Every (prefill case, preset, prompt_lens, prefix_lens, cache format)."""
    return [
        (case, preset, prompts, prefixes, cache_format)
        for case, preset, (prompts, prefixes), cache_format in itertools.product(
            PREFILL_KERNELS, PRESETS, PREFILL_CHUNKS, FORMATS
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
    platform: str = "a2a3",
) -> CompileResult:
    """Build a case's kernel for one mixed-batch configuration; the toolchain's verdict."""
    case = get_case(case_name)
    config = _config(
        case, preset, batch, seq, cache_format, topk_only,
        max_seq_len=max_seq_len, block_size=block_size,
    )  # fmt: skip
    args = compile_args(case, config)
    return compile_kernel(case.kernel_file, case.kernel_for(config), args, platform=platform)


def _config(case, preset, batch, seq, cache_format, topk_only=False, **extra) -> CaseConfig:
    """The resolved mixed-batch CaseConfig (``extra``: further CaseConfig fields)."""
    return case.resolve_config(
        CaseConfig(
            preset=preset, batch=batch, seq=seq, mixed=True, cache_format=cache_format,
            topk_only=topk_only, **extra,
        )
    )  # fmt: skip


def shape_request(
    case_name: str,
    preset: str,
    batch: int,
    seq: int,
    cache_format: str,
    topk_only: bool = False,
    platform: str = "a2a3",
) -> CompileRequest:
    """A compile request built from the case's parameter shapes and scalars, without
    generating inputs (golden.compile_only.compile_args; ``Case.param_shapes`` and
    ``scalar_specs`` come from the case's signature, golden/signature.py)."""
    case = get_case(case_name)
    config = _config(case, preset, batch, seq, cache_format, topk_only)
    args = compile_args(case, config)
    return CompileRequest(case.kernel_file, case.kernel_for(config), args, platform=platform)


def prefill_request(
    case_name: str,
    preset: str,
    prompt_lens: str,
    prefix_lens: str,
    cache_format: str,
    platform: str = "a2a3",
) -> CompileRequest:
    """A compile request for one prefill chunk, from its shapes (no inputs generated)."""
    case = get_case(case_name)
    config = resolve(
        case,
        CaseConfig(preset=preset, prompt_lens=prompt_lens, prefix_lens=prefix_lens,
                   cache_format=cache_format),
    )  # fmt: skip
    args = compile_args(case, config)
    return CompileRequest(case.kernel_file, case.kernel_for(config), args, platform=platform)


def _json_line(fields: dict, result: CompileResult) -> str:
    line = dict(fields)
    kernels = {k: len(v) for k, v in result.kernels.items()}
    line.update(compiled=result.compiled, stages=result.stages, stage=result.stage,
                kernels=kernels, hints=result.hint_counts(),
                seconds=round(result.seconds, 2), error=result.error[:300],
                location=result.location)  # fmt: skip
    return json.dumps(line)


def main(argv: list[str]) -> int:
    """Build the whole matrix (decode and prefill, both targets) with one child process per
    target; print one JSON line per configuration as it finishes, progress with an estimate of
    the time left on stderr, then the counts and the time.

    ``--decode-only`` / ``--prefill-only`` / ``--target a2a3|a5`` narrow it.
    """
    targets = [argv[argv.index("--target") + 1]] if "--target" in argv else list(TARGETS)
    rows: list[tuple[dict, CompileRequest]] = []
    for target in targets:
        if "--prefill-only" not in argv:
            rows += [({**dict(zip(MATRIX_FIELDS, row)), "target": target},
                      shape_request(*row, platform=target)) for row in full_matrix()]  # fmt: skip
        if "--decode-only" not in argv:
            rows += [({**dict(zip(PREFILL_FIELDS, row)), "target": target},
                      prefill_request(*row, platform=target))
                     for row in full_prefill_matrix()]  # fmt: skip
    start = time.perf_counter()
    progress = CompileProgress(
        sys.stderr, [" ".join(str(v) for v in line.values()) for line, _ in rows]
    )

    def on_event(index: int, event: str, result: CompileResult | None) -> None:
        progress(index, event, result)
        if event == "done" and result is not None:
            print(_json_line(rows[index][0], result), flush=True)

    with progress:
        results = compile_many([request for _, request in rows], on_event=on_event)
    failed = sum(not r.compiled for r in results)
    print(f"{len(rows) - failed} built, {failed} rejected, "
          f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    from golden.interrupts import Interrupted, signals_raise

    try:
        # SIGTERM as an exception too, so the worker is stopped and the build root removed.
        with signals_raise():
            status = main(sys.argv[1:])
    except Interrupted as stop:
        print(f"compile_matrix: interrupted by {stop.name}", file=sys.stderr)
        status = stop.exit_status
    raise SystemExit(status)
