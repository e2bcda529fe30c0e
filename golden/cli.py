"""The ``scripts/run.py`` command line: run, list, save and replay cases.

Exit status: 0 every output passed; 1 a mismatch (or the kernel raised while running);
2 bad usage, bad configuration, unusable data directory or missing toolchain, with a one-line
reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from golden import registry
from golden.case import CaseConfig, ConfigError
from golden.data import DataError
from golden.inputs import CaseDefinitionError
from golden.platforms import PLATFORMS, PlatformUnavailable, check_platform
from golden.report import dumps, render_text
from golden.runner import replay_case, run_case
from golden.trace import TraceError, check_trace_path, write_trace

EXIT_PASS = 0
EXIT_MISMATCH = 1
EXIT_USAGE = 2
PROG = "run.py"

#: CLI options that map one-to-one onto CaseConfig fields.
CONFIG_OPTIONS: tuple[str, ...] = (
    "preset",
    "batch",
    "seq",
    "start_pos",
    "max_seq_len",
    "seed",
    "cache_format",
    "block_size",
    "mixed",
    "prompt_lens",
    "prefix_lens",
)


def start_positions(text: str) -> int | str:
    """``--start-pos``: one integer, or a comma list with one position per request."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or a comma list of integers, got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else ",".join(str(v) for v in values)


def int_list(text: str) -> str:
    """``--prompt-lens`` / ``--prefix-lens``: a comma list of integers, kept as text."""
    parts = [p.strip() for p in text.split(",")]
    try:
        return ",".join(str(int(p)) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a comma list of integers, got {text!r}"
        ) from None


class UsageError(Exception):
    """Bad command-line usage; becomes exit status 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the CLI contract."""
    parser = _Parser(
        prog=PROG,
        description="Run a named case's kernel on a platform and check it against its golden.",
    )
    parser.add_argument("case", nargs="?", help="case name (see --list)")
    parser.add_argument(
        "-p", "--platform", default="plsim", help=f"one of {', '.join(PLATFORMS)} (default plsim)"
    )
    parser.add_argument("--preset", help="model preset (e.g. DEMO, FLASH, PRO)")
    parser.add_argument("--batch", type=int, help="batch size")
    parser.add_argument("--seq", type=int, help="tokens per step")
    parser.add_argument(
        "--start-pos",
        type=start_positions,
        help="position of the step's first token: one for every request, or a comma list with "
        "one per request (-1 = padded slot)",
    )
    parser.add_argument("--max-seq-len", type=int, help="maximum sequence length (cache size)")
    parser.add_argument("--seed", type=int, help="input generator seed (default 0)")
    parser.add_argument(
        "--cache-format", choices=("c16", "c8"), help="indexer cache format (serving cases)"
    )
    parser.add_argument("--block-size", type=int, help="paged-cache block size (serving cases)")
    parser.add_argument(
        "--mixed",
        action="store_const",
        const=True,
        help="mixed batch: empty, short, block-boundary and long requests (serving cases)",
    )
    parser.add_argument(
        "--prompt-lens",
        type=int_list,
        help="prefill cases: tokens of each request in the chunk, e.g. 1,7,128,3000",
    )
    parser.add_argument(
        "--prefix-lens",
        type=int_list,
        help="prefill cases: cached tokens before each request's chunk (one, or one per request)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--save-data", metavar="DIR", help="save inputs, golden and config")
    parser.add_argument("--replay", metavar="DIR", help="rerun the kernel on saved data")
    parser.add_argument("--trace", metavar="FILE", help="write a Chrome/Perfetto trace (plsim)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser


class StderrProgress:
    """Progress lines on stderr for long runs: quiet during the grace period, then at most one
    line per interval naming the current stage, its task index and the tasks run so far."""

    def __init__(self, stream: TextIO, grace_s: float = 1.0, interval_s: float = 1.0) -> None:
        self.stream = stream
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.start = time.monotonic()
        self.last_print = 0.0
        self.printed = False
        self.tasks = 0

    def __call__(self, stage: str, task_index: int) -> None:
        self.tasks += 1
        now = time.monotonic() - self.start
        if now < self.grace_s or (self.printed and now - self.last_print < self.interval_s):
            return
        self.printed = True
        self.last_print = now
        print(
            f"[{now:6.1f}s] stage {stage}: task {task_index} ({self.tasks} tasks run so far)",
            file=self.stream,
            flush=True,
        )


def _list_cases(as_json: bool) -> int:
    cases = registry.all_cases()
    errors = registry.load_errors()
    if as_json:
        print(
            json.dumps(
                {
                    "cases": [{"name": c.name, "description": c.description} for c in cases],
                    "unavailable_modules": errors,
                }
            )
        )
    else:
        width = max((len(c.name) for c in cases), default=0)
        for case in cases:
            print(f"{case.name:<{width}}  {case.description}")
    for module, reason in errors.items():
        print(f"{PROG}: warning: case module {module} failed to load: {reason}", file=sys.stderr)
    return EXIT_PASS


def _explicit_config(args: argparse.Namespace) -> dict[str, Any]:
    return {key: getattr(args, key) for key in CONFIG_OPTIONS if getattr(args, key) is not None}


def _run(args: argparse.Namespace) -> int:
    if args.list:
        return _list_cases(args.json)
    if not args.case:
        raise UsageError("the following argument is required: case (or use --list)")
    if args.save_data and args.replay:
        raise UsageError("--save-data and --replay cannot be combined")
    check_platform(args.platform)
    if args.trace is not None:
        check_trace_path(args.trace)
        if args.platform != "plsim":
            raise TraceError(f"--trace: only platform 'plsim' models stages, got {args.platform!r}")
    case = registry.get_case(args.case)
    progress = None if args.json else StderrProgress(sys.stderr)
    explicit = _explicit_config(args)
    if args.replay:
        report = replay_case(case, args.replay, args.platform, progress=progress, explicit=explicit)
    else:
        report = run_case(
            case,
            CaseConfig(**explicit),
            args.platform,
            progress=progress,
            save_dir=args.save_data,
        )
    if args.trace is not None and report.trace is not None:
        write_trace(report, args.trace)
    print(dumps(report) if args.json else render_text(report))
    return EXIT_PASS if report.passed else EXIT_MISMATCH


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default sys.argv[1:]); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except (
        UsageError,
        ConfigError,
        PlatformUnavailable,
        DataError,
        TraceError,
        CaseDefinitionError,
    ) as exc:
        reason = " ".join(str(exc).split())  # exactly one line
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        return EXIT_USAGE
