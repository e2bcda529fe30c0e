"""Cube MACs, modeled time and cube utilization of one prefill chunk, from plsim's stage table.

Runs the prefill indexer kernel (models/deepseek_v4/kernels/prefill_indexer.py) on plsim for one
chunk without the golden (the kernel's correctness is the case's job: scripts/run.py
deepseek_v4.indexer_prefill), then prints per stage: tasks, cube MACs, vector ops, GM bytes,
modeled microseconds (plsim/hardware.py's cost model, an estimate) and cube utilization =
cube MACs / (peak MAC rate of the operand dtype x 24 AICs x modeled time). Bad input is one
line on stderr and exit status 2, before any work; a run longer than 3 s prints progress on
stderr (the kernel's stage and task).

    python scripts/prefill_figures.py --preset FLASH --prompt-lens 4096 --prefix-lens 65536 \
        --cache-format c8
    python scripts/prefill_figures.py --prompt-lens 512 --prefix-lens 65536 --project-tokens 4096
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plsim
from golden.case import CaseConfig, ConfigError
from golden.cli import join_list_values
from golden.run_progress import StderrProgress
from golden.runner import check_memory
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case
from models.deepseek_v4.config import get_preset
from plsim.accounting import kernel_time, model_stage
from plsim.hardware import PLATFORMS

PROG = "prefill_figures.py"


def utilization(stage, platform) -> float:
    """Cube MACs over what all AICs could do in the stage's modeled time."""
    if not stage.modeled_us:
        return 0.0
    capacity = sum(
        macs / platform.cube_macs_per_second(dtype)
        for dtype, macs in stage.cube_macs_by_dtype.items()
    )  # seconds of one AIC
    return capacity / (platform.cube_cores * stage.modeled_us * 1e-6)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --seq: ..."; every other message says "--seq: ...".
        raise ConfigError(message.removeprefix("argument "))


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The options: the chunk (as the prefill case takes it), the platform, a projection."""
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="FLASH", help="DEMO, FLASH (default) or PRO")
    parser.add_argument("--prompt-lens", default="4096", help="tokens per request (comma list)")
    parser.add_argument(
        "--prefix-lens", default="65536", help="cached tokens before each request's chunk"
    )
    parser.add_argument("--cache-format", default="c8", choices=("c16", "c8"))
    parser.add_argument("--block-size", type=positive_int, default=None)
    parser.add_argument(
        "--max-seq-len",
        type=positive_int,
        default=None,
        help="the context the pools are sized for (default: the smallest that holds the chunk)",
    )
    parser.add_argument("--platform", default="a2a3", choices=sorted(PLATFORMS))
    parser.add_argument(
        "--project-tokens",
        type=positive_int,
        default=None,
        help="also print a PROJECTION to a one-request chunk of this many tokens: every counter "
        "of the measured stages scaled (score and top-k stages by tokens x visible rows, the "
        "rest by tokens) and modeled again; an extrapolation, not a plsim run",
    )
    return parser


def chunk_config(args: argparse.Namespace) -> CaseConfig:
    """The resolved chunk (ConfigError names the option). Its context is the smallest that
    holds it unless --max-seq-len is given: the figures are of one chunk, not of a serving
    engine's pools (the case's default)."""
    max_seq_len = args.max_seq_len
    if max_seq_len is None:
        max_seq_len = smallest_context(args.preset, args.prompt_lens, args.prefix_lens)
    return indexer_prefill_case.resolve_config(
        CaseConfig(
            preset=args.preset, prompt_lens=args.prompt_lens, prefix_lens=args.prefix_lens,
            cache_format=args.cache_format, block_size=args.block_size, max_seq_len=max_seq_len,
        )
    )  # fmt: skip


def smallest_context(preset: str, prompt_lens: str, prefix_lens: str) -> int | None:
    """The smallest valid max_seq_len that holds every request's prefix + prompt; None when the
    lists do not parse or it would pass the preset's maximum (resolve_config then says why)."""
    try:
        prompts = [int(v) for v in prompt_lens.split(",")]
        prefixes = [int(v) for v in prefix_lens.split(",")]
        limit = get_preset(preset).max_position_embeddings
    except ValueError:
        return None
    if len(prefixes) == 1:
        prefixes *= len(prompts)
    step = indexer_prefill_case.SEQ_LEN_MULTIPLE
    need = max(p + q for p, q in zip(prefixes, prompts))
    fit = max(step, -(-need // step) * step)
    return fit if fit <= limit else None


def main(argv: list[str] | None = None) -> int:
    """Run one chunk on plsim and print its stage table with cube utilization; bad input is
    one line on stderr and exit status 2, before any work."""
    try:
        args = build_parser().parse_args(join_list_values(sys.argv[1:] if argv is None else argv))
        config = chunk_config(args)
        case = indexer_prefill_case.CASE
        check_memory(case.param_shapes(config), case.size_options)
    except ConfigError as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    with StderrProgress(sys.stderr) as progress:
        progress.phase("inputs")
        values = indexer_prefill_case.make_inputs(config)
        names = [p.name for p in indexer_prefill_case.indexer_signature(config)]
        kernel = getattr(
            plsim.load(indexer_prefill_case.KERNEL_FILE), indexer_prefill_case.kernel_name(config)
        )
        progress.phase("kernel")
        start = time.monotonic()
        run = plsim.run(kernel, *[values[n] for n in names],
                        platform=args.platform, progress=progress)  # fmt: skip
        wall = time.monotonic() - start
        progress.phase("report")
    print_table(run, config, PLATFORMS[args.platform], wall)
    if args.project_tokens:
        print_projection(run.stages, config, args.project_tokens, PLATFORMS[args.platform])
    return 0


def print_table(run, config: CaseConfig, platform, wall: float) -> None:
    """The measured stage table: tasks, cube MACs, vector ops, GM MiB, modeled us, cube util."""
    shown = indexer_prefill_case.CASE.shown_config(config)
    print("config: " + " ".join(f"{k}={v}" for k, v in shown.items()))
    print(f"{'stage':<58}{'tasks':>7}{'cube MACs':>12}{'vector ops':>12}"
          f"{'GM MiB':>9}{'model us':>10}{'cube util':>10}")  # fmt: skip
    total_us = run.modeled_us  # the kernel: stages overlap by dependences (kernel_time)
    total_seconds_of_one_aic = 0.0
    total_macs = 0
    for stage in run.stages:
        total_macs += stage.cube_macs
        total_seconds_of_one_aic += sum(
            macs / platform.cube_macs_per_second(dtype)
            for dtype, macs in stage.cube_macs_by_dtype.items()
        )
        gm = (stage.gm_read_bytes + stage.gm_write_bytes) / 2**20
        print(
            f"{stage.name:<58}{stage.tasks:>7}{stage.cube_macs:>12.3e}{stage.vector_ops:>12.3e}"
            f"{gm:>9.1f}{stage.modeled_us:>10.1f}{utilization(stage, platform):>10.1%}"
        )
    overall = total_seconds_of_one_aic / (platform.cube_cores * total_us * 1e-6)
    print(
        f"{'total':<58}{'':>7}{total_macs:>12.3e}{'':>12}{'':>9}{total_us:>10.1f}{overall:>10.1%}"
    )
    print(f"plsim wall: {wall:.1f} s")


#: Stages whose work grows with tokens x visible rows (the rest grow with tokens).
ROW_STAGES = ("prefill_kv_quant_score", "prefill_kv_score", "topk_partial")


def print_projection(stages, config, tokens: int, platform) -> None:
    """The measured stage counters scaled to a one-request chunk of ``tokens`` tokens and
    modeled again (plsim.accounting.model_stage)."""
    measured = int(config.prompt_lens.split(",")[0])
    prefix = int(config.prefix_lens.split(",")[0])
    token_scale = tokens / measured
    # Mean rows a token sees: (prefix + mean position offset) / 4.
    row_scale = token_scale * (prefix + tokens / 2) / (prefix + measured / 2)
    print(f"PROJECTION to {tokens} tokens (x{token_scale:.2f} tokens, x{row_scale:.2f} "
          f"token-rows), not a plsim run:")  # fmt: skip
    total_aic = total_macs = 0.0
    projected = []
    for stage in stages:
        f = row_scale if stage.name in ROW_STAGES else token_scale
        scaled = dataclasses.replace(
            stage,
            tasks=max(1, round(stage.tasks * f)),
            gm_read_bytes=round(stage.gm_read_bytes * f),
            gm_write_bytes=round(stage.gm_write_bytes * f),
            gm_transfers=round(stage.gm_transfers * f),
            gm_segments=round(stage.gm_segments * f),
            cube_macs=round(stage.cube_macs * f),
            cube_macs_by_dtype={k: round(v * f) for k, v in stage.cube_macs_by_dtype.items()},
            vector_ops=round(stage.vector_ops * f),
        )
        if stage.name in ROW_STAGES and stage.name != "topk_partial":
            scaled.tasks = max(1, round(stage.tasks * token_scale))  # one task per 4 tokens
        scaled.modeled_us = model_stage(scaled, platform)
        projected.append(scaled)
        total_macs += scaled.cube_macs
        total_aic += sum(
            macs / platform.cube_macs_per_second(dtype)
            for dtype, macs in scaled.cube_macs_by_dtype.items()
        )
        print(f"{stage.name:<58}{scaled.tasks:>7}{scaled.cube_macs:>12.3e}"
              f"{scaled.vector_ops:>12.3e}{'':>9}{scaled.modeled_us:>10.1f}"
              f"{utilization(scaled, platform):>10.1%}")  # fmt: skip
    total_us = kernel_time(projected, platform)  # same dependences as the measured stages
    overall = total_aic / (platform.cube_cores * total_us * 1e-6)
    print(f"{'projected total':<58}{'':>7}{total_macs:>12.3e}{'':>21}{total_us:>10.1f}"
          f"{overall:>10.1%}")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
