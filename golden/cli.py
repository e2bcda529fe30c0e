"""The ``scripts/run.py`` command line: run, list, save, replay and compile cases.

Exit status: 0 every output passed (``--compile-only``: compiled); 1 a mismatch, or the kernel
raised while running (``--compile-only``: the compiler rejected the kernel); 2 bad usage, bad
configuration, unusable file or directory, a run too big for this machine's memory, or a missing
toolchain, with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from golden import builds, compile_only, compiler, registry
from golden.case import CaseConfig, ConfigError
from golden.data import DataError, check_writable
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


class UsageError(Exception):
    """Bad command-line usage; becomes exit status 2 with a one-line message."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


EPILOG = """\
exit status:
  0  every output matches its golden (--compile-only: the kernel compiled)
  1  an output mismatches, the kernel failed a plsim check, or the toolchain rejected it or
     its run failed (--compile-only: a stage of the build rejected it)
  2  bad usage or configuration, an unusable file or directory, a run that would not fit
     in this machine's memory, or a missing toolchain (one line on stderr)

report labels:
  tol       the output's tolerance; margin = how far the worst error stays inside it
  outside_mismatches  cells outside the compared region (e.g. scores a token may not see)
            that differ from the golden; they must match exactly (the sentinel)
  >0.001    share of cells whose error |a - e| / max(|e|, 1) exceeds 0.001 (absolute
            below magnitude 1, relative above); likewise >0.01, >0.05
  |err| pNN the NN-th percentile of |actual - golden| over the compared cells
  bound     the cost-model term that sets a stage's modeled time (docs/cost_model.md)

--compile-only builds the kernel for the case's configuration with the real pypto toolchain
(pypto's parse, passes and code generation; with ptoas installed also ptoas and the kernel
wrapper; with --sim-compile also the simulator's C++ compile; nothing runs) for -p a2a3 or a5;
-p plsim (the default) and a2a3sim build for a2a3, a5sim for a5. A rejection names its stage
and, where the message has one, the kernel's file:line. docs/running.md has the details.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the CLI contract."""
    parser = _Parser(
        prog=PROG,
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
        "or a comma list with one per request (-1 = padded slot)",
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


class StderrProgress:
    """Progress on stderr over the whole run (inputs, golden, kernel, compare).

    Quiet for runs shorter than ``grace_s``; after that one line at each phase change and at
    most one per ``interval_s`` within a phase (a heartbeat thread covers phases, like the
    golden, that report nothing themselves). Kernel lines name the stage, its task index and
    the tasks run so far.
    """

    def __init__(
        self,
        stream: TextIO,
        grace_s: float = 3.0,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self.last_print: float | None = None
        self.current = "start"
        self.phase_start = self.start
        self.tasks = 0
        self.stage = ""
        self.task_index = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _emit(self, now: float, text: str) -> None:
        self.last_print = now
        print(f"[{now - self.start:6.1f}s] {text}", file=self.stream, flush=True)

    def _due(self, now: float) -> bool:
        if now - self.start < self.grace_s:
            return False
        return self.last_print is None or now - self.last_print >= self.interval_s

    def _status(self, now: float) -> str:
        text = f"{self.current}: {now - self.phase_start:.1f} s in this phase"
        if self.current == "kernel" and self.tasks:
            text += f", stage {self.stage} task {self.task_index} ({self.tasks} tasks run so far)"
        elif self.current == "kernel" and self.stage:
            text += f", {self.stage}"
        return text

    def step(self, name: str) -> None:
        """A step of a pypto platform's kernel phase starts (build, C++ compile, run)."""
        with self._lock:
            self.stage = name

    def phase(self, name: str) -> None:
        """A new phase of the run starts."""
        with self._lock:
            now = self.clock()
            if now - self.start >= self.grace_s:
                self._emit(now, f"{self.current} done in {now - self.phase_start:.1f} s; {name}")
            self.current, self.phase_start = name, now

    def __call__(self, stage: str, task_index: int) -> None:
        """A kernel task starts (plsim's progress callback)."""
        with self._lock:
            self.tasks += 1
            self.stage, self.task_index = stage, task_index
            now = self.clock()
            if self._due(now):
                self._emit(now, self._status(now))

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s / 2):
            with self._lock:
                now = self.clock()
                if self._due(now):
                    self._emit(now, self._status(now))

    def __enter__(self) -> StderrProgress:
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


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
    if args.compile_only:
        for option in ("save_data", "replay", "trace"):
            if getattr(args, option) is not None:
                name = "--" + option.replace("_", "-")
                raise UsageError(f"{name} cannot be combined with --compile-only (nothing runs)")
        return
    if args.save_data is not None:
        check_writable(args.save_data, force=args.force)
    if args.trace is not None:
        check_trace_path(args.trace, force=args.force)
        if args.platform != "plsim":
            raise TraceError(f"--trace: only platform 'plsim' models stages, got {args.platform!r}")


def _compile(args: argparse.Namespace) -> int:
    case = registry.get_case(args.case)
    config = case.resolve_config(CaseConfig(**_explicit_config(args)))
    with builds.kept_in(args.build_dir), compiler.simulator_compile(args.sim_compile):
        result = compile_only.compile_case(case, config, args.platform)
    if args.json:
        print(json.dumps(compile_only.to_json(case, config, args.platform, result)))
    else:
        print(compile_only.render_text(case, config, args.platform, result))
    return EXIT_PASS if result.compiled else EXIT_MISMATCH


def _run(args: argparse.Namespace) -> int:
    if args.list:
        return _list_cases(args.json)
    _check_options(args)
    if args.compile_only:
        return _compile(args)
    case = registry.get_case(args.case)
    progress = None if args.json else StderrProgress(sys.stderr)
    explicit = _explicit_config(args)
    with progress or contextlib.nullcontext(), builds.kept_in(args.build_dir):
        if args.replay:
            report = replay_case(
                case, args.replay, args.platform, progress=progress, explicit=explicit
            )
        else:
            report = run_case(
                case,
                CaseConfig(**explicit),
                args.platform,
                progress=progress,
                save_dir=args.save_data,
                force=args.force,
            )
        if progress is not None:
            progress.phase("report")
    if args.trace is not None and report.trace is not None:
        write_trace(report, args.trace, force=args.force)
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
        compiler.CompilerUnavailable,
    ) as exc:
        reason = " ".join(str(exc).split())  # exactly one line
        print(f"{PROG}: error: {reason}", file=sys.stderr)
        return EXIT_USAGE
