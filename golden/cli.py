"""The ``scripts/run.py`` command line: run, list, save, replay and compile cases.

Exit status: 0 every output passed (``--compile-only``: compiled); 1 a mismatch, or the kernel
raised while running (``--compile-only``: the compiler rejected the kernel); 2 bad usage, bad
configuration, unusable file or directory, a damaged save, a run too big for this machine's
memory, or a missing toolchain, with a one-line reason on stderr; 130 / 143 interrupted by
SIGINT / SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from golden import builds, compile_only, compiler, interrupts, registry
from golden.case import CaseConfig, ConfigError
from golden.compile_progress import CompileProgress
from golden.data import DataError, check_writable
from golden.inputs import CaseDefinitionError
from golden.output_paths import OutputPathError, check_distinct
from golden.platforms import PLATFORMS, PlatformUnavailable, check_platform
from golden.report import dumps, render_text
from golden.run_progress import StderrProgress
from golden.runner import replay_case, resolve, run_case
from golden.trace import TraceError, check_trace_path, write_trace

EXIT_PASS = 0
EXIT_MISMATCH = 1
EXIT_USAGE = 2
#: The command's name in usage and messages: scripts/run.py in a checkout; the installed console
#: command passes its own (deepseek-v4-run).
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
    "topk_only",
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


#: Options whose value may be a comma list starting with a negative number (-1 = a padded slot).
LIST_OPTIONS: tuple[str, ...] = ("--start-pos", "--prompt-lens", "--prefix-lens")
_NEGATIVE_LIST = re.compile(r"-\d+(\s*,\s*-?\d+)+")


def join_list_values(argv: Sequence[str]) -> list[str]:
    """``argv`` with ``--start-pos -1,4000`` written as ``--start-pos=-1,4000``.

    argparse takes a value that starts with '-' and is not a plain negative number for an
    option, so the documented padded form failed with "expected one argument"."""
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        if args[i] in LIST_OPTIONS and i + 1 < len(args) and _NEGATIVE_LIST.fullmatch(args[i + 1]):
            out.append(f"{args[i]}={args[i + 1]}")
            i += 2
            continue
        out.append(args[i])
        i += 1
    return out


class UsageError(Exception):
    """Bad command-line usage; becomes exit status 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        # argparse says "argument --seq: ..."; every other message says "--seq: ...".
        raise UsageError(message.removeprefix("argument "))


EPILOG = """\
exit status:
  0  every output matches its golden (--compile-only: the kernel compiled)
  1  an output mismatches, the kernel failed a plsim check, or the toolchain rejected it or
     its run failed (--compile-only: a stage of the build rejected it)
  2  bad usage or configuration, an unusable file or directory, a damaged save, a run that
     would not fit in this machine's memory, or a missing toolchain (one line on stderr)
  130, 143  interrupted by Ctrl-C or SIGTERM (one line; nothing half-written is left)

report labels:
  tol       the output's tolerance; margin = how far the worst error stays inside it
  outside_mismatches  cells outside the compared region (e.g. scores a token may not see)
            that differ from the golden; they must match exactly (the sentinel)
  >0.001    share of cells whose error |a - e| / max(|e|, 1) exceeds 0.001 (absolute
            below magnitude 1, relative above); likewise >0.01, >0.05
  |err| pNN the NN-th percentile of |actual - golden| over the compared cells
  bound     the cost-model term that sets a stage's modeled time: GM (DMA), cube, vector,
            or task floor (launch and dispatch at least the work); a model, not a measurement

--compile-only builds the kernel for the case's configuration with the real pypto toolchain
(pypto's parse, passes and code generation; with ptoas installed also ptoas and the kernel
wrapper; with --sim-compile also the simulator's C++ compile; nothing runs) for -p a2a3 or a5;
-p plsim (the default) and a2a3sim build for a2a3, a5sim for a5. It builds from the case's
shapes (no inputs are generated). A rejection names its stage and, where the message has one,
the kernel's file:line.
"""


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser of the CLI contract, for a command called ``prog``."""
    parser = _Parser(
        prog=prog,
        description="Run a named case's kernel on a platform and check it against its golden.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("case", nargs="?", help="case name (see --list)")
    parser.add_argument(
        "-p", "--platform", default="plsim", help=f"one of {', '.join(PLATFORMS)} (default plsim)"
    )
    parser.add_argument(
        "--preset", help="model preset: DEMO (default), FLASH or PRO (toy cases: DEMO)"
    )
    parser.add_argument("--batch", type=int, help="requests per step, 1..128 (default 1)")
    parser.add_argument("--seq", type=int, help="tokens per step, 1..4 (default 1)")
    parser.add_argument(
        "--start-pos",
        type=start_positions,
        help="position of the step's first token, 0..max-seq-len - seq (default: the case's); "
        "or a comma list with one per request, e.g. -1,4000 (-1 = a padded slot; -1 alone pads "
        "every request)",
    )
    parser.add_argument(
        "--max-seq-len",
        type=int,
        help="cache size in tokens, a multiple of the case's granule (default: the case's)",
    )
    parser.add_argument("--seed", type=int, help="input generator seed, >= 0 (default 0)")
    parser.add_argument(
        "--cache-format", choices=("c16", "c8"), help="indexer cache format (default c16)"
    )
    parser.add_argument(
        "--block-size", type=int, help="paged-cache block size, 16..1024 step 16 (default 32)"
    )
    parser.add_argument(
        "--mixed",
        action="store_const",
        const=True,
        help="mixed batch: empty, short, block-boundary and long requests",
    )
    parser.add_argument(
        "--topk-only",
        action="store_const",
        const=True,
        help="deepseek_v4.indexer: run the serving entry point, which returns top-k only and "
        "writes no score row to GM (default: scores too, so the harness can compare them)",
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
    parser.add_argument(
        "--save-data",
        metavar="DIR",
        help="save inputs, golden and config (a missing parent directory is created)",
    )
    parser.add_argument("--replay", metavar="DIR", help="rerun the kernel on saved data")
    parser.add_argument(
        "--trace",
        metavar="FILE",
        help="write a Chrome/Perfetto trace (plsim; a missing parent directory is created)",
    )
    parser.add_argument(
        "--force", action="store_true", help="let --save-data / --trace replace what is there"
    )
    parser.add_argument(
        "--functional-only",
        action="store_true",
        help="plsim: run without counting (no stages, traffic, modeled time or trace; the "
        "outputs and every check are a normal run's); not with --trace",
    )
    parser.add_argument(
        "--compile-only",
        action="store_true",
        help="compile with the real pypto compiler instead of running (see below)",
    )
    parser.add_argument(
        "--sim-compile",
        action="store_true",
        help="with --compile-only: also compile the kernels' C++ for the CPU simulator (slower)",
    )
    parser.add_argument(
        "--build-dir",
        metavar="DIR",
        help="keep pypto's build folders in DIR, one new folder per build (default: a "
        "temporary directory, removed afterwards)",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser


def _list_cases(as_json: bool, prog: str = PROG) -> int:
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
        print(f"{prog}: warning: case module {module} failed to load: {reason}", file=sys.stderr)
    return EXIT_PASS


def _explicit_config(args: argparse.Namespace) -> dict[str, Any]:
    return {key: getattr(args, key) for key in CONFIG_OPTIONS if getattr(args, key) is not None}


def _check_platform(name: str) -> None:
    if name not in PLATFORMS:
        raise UsageError(f"--platform: got {name!r}; expected one of {', '.join(PLATFORMS)}")
    check_platform(name)


def _check_options(args: argparse.Namespace) -> None:
    """Option combinations and output paths, checked before anything runs."""
    if not args.case:
        raise UsageError("the following argument is required: case (or use --list)")
    if args.save_data and args.replay:
        raise UsageError("--save-data and --replay cannot be combined")
    _check_platform(args.platform)
    if args.sim_compile and not args.compile_only:
        raise UsageError("--sim-compile needs --compile-only (a run on a simulator compiles)")
    if args.build_dir is not None and args.platform == "plsim" and not args.compile_only:
        raise UsageError("--build-dir: platform 'plsim' builds nothing; use -p a2a3sim or a5sim")
    if args.functional_only:
        if args.compile_only:
            raise UsageError("--functional-only cannot be combined with --compile-only "
                             "(nothing runs)")  # fmt: skip
        if args.platform != "plsim":
            raise UsageError(f"--functional-only: only platform 'plsim' counts, so only it can "
                             f"skip counting; got {args.platform!r}")  # fmt: skip
        if args.trace is not None:
            raise UsageError(
                "--functional-only cannot be combined with --trace (the trace draws the counts "
                "a functional-only run does not collect)"
            )
    if args.compile_only:
        for option in ("save_data", "replay", "trace"):
            if getattr(args, option) is not None:
                name = "--" + option.replace("_", "-")
                raise UsageError(f"{name} cannot be combined with --compile-only (nothing runs)")
        return
    # Every output target is checked before the run: found after it, the run's work is lost.
    if args.save_data is not None:
        check_writable(args.save_data, force=args.force)
    if args.trace is not None:
        check_trace_path(args.trace, force=args.force)
        if args.platform != "plsim":
            raise TraceError(f"--trace: only platform 'plsim' models stages, got {args.platform!r}")
        check_distinct(args.save_data, args.trace)


class CompileSetupError(Exception):
    """The compiler process failed before it compiled the kernel: exit 2, not a verdict."""


def _compile(args: argparse.Namespace) -> int:
    case = registry.get_case(args.case)
    config = resolve(case, CaseConfig(**_explicit_config(args)))
    name = case.kernel_for(config)
    progress = None if args.json else CompileProgress(sys.stderr, [name])
    with (
        progress or contextlib.nullcontext(),
        builds.kept_in(args.build_dir),
        compiler.simulator_compile(args.sim_compile),
    ):
        result = compile_only.compile_case(case, config, args.platform, on_event=progress)
    if not result.compiled and not result.rejected:
        first = (result.error.strip().splitlines() or ["no message"])[-1]
        raise CompileSetupError(
            f"--compile-only: the toolchain's process failed before building {name} "
            f"({result.error_type or 'error'}: {first})"
        )
    if args.json:
        print(json.dumps(compile_only.to_json(case, config, args.platform, result)))
    else:
        print(compile_only.render_text(case, config, args.platform, result))
    return EXIT_PASS if result.compiled else EXIT_MISMATCH


def _run(args: argparse.Namespace, prog: str = PROG) -> int:
    if args.list:
        return _list_cases(args.json, prog)
    _check_options(args)
    if args.compile_only:
        return _compile(args)
    case = registry.get_case(args.case)
    progress = None if args.json else StderrProgress(sys.stderr)
    explicit = _explicit_config(args)
    with progress or contextlib.nullcontext(), builds.kept_in(args.build_dir):
        if args.replay:
            report = replay_case(
                case, args.replay, args.platform, progress=progress, explicit=explicit,
                functional_only=args.functional_only,
            )  # fmt: skip
        else:
            report = run_case(
                case,
                CaseConfig(**explicit),
                args.platform,
                progress=progress,
                save_dir=args.save_data,
                force=args.force,
                functional_only=args.functional_only,
            )
        if progress is not None:
            progress.phase("report")
    # The report first: a trace that fails to write (the disk filled up during the run) must
    # not take the report with it.
    print(dumps(report) if args.json else render_text(report), flush=True)
    if args.trace is not None and report.trace is not None:
        write_trace(report, args.trace, force=args.force)
    return EXIT_PASS if report.passed else EXIT_MISMATCH


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Run the CLI with ``argv`` (default sys.argv[1:]) as the command ``prog``; returns the
    exit status (128 + the signal's number after Ctrl-C or SIGTERM, with one line on stderr)."""
    try:
        with interrupts.signals_raise():
            return _main(argv, prog)
    except (interrupts.Interrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, interrupts.Interrupted) else signal.SIGINT
        interrupted = interrupts.Interrupted(signum)
        print(f"{prog}: interrupted by {interrupted.name}; nothing half-written was left",
              file=sys.stderr)  # fmt: skip
        return interrupted.exit_status


def command(prog: str = PROG) -> int:
    """:func:`main` as a process of its own (scripts/run.py, ``deepseek-v4-run``): a signal
    that arrives after the run finished still ends the process with one line (exit 130 / 143)."""
    status = main(prog=prog)
    interrupts.after_finish(prog)
    return status


def _main(argv: Sequence[str] | None, prog: str) -> int:
    try:
        args = build_parser(prog).parse_args(
            join_list_values(sys.argv[1:] if argv is None else argv)
        )
        return _run(args, prog)
    except (
        UsageError,
        ConfigError,
        PlatformUnavailable,
        DataError,
        TraceError,
        CaseDefinitionError,
        compiler.CompilerUnavailable,
        CompileSetupError,
        OutputPathError,
    ) as exc:
        reason = " ".join(str(exc).split())  # exactly one line
        print(f"{prog}: error: {reason}", file=sys.stderr)
        return EXIT_USAGE
