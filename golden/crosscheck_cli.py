"""The ``scripts/crosscheck.py`` command line: plsim against a2a3sim / a5sim on the same inputs.

The configuration options are run.py's own (golden.cli), so a case is described the same way
for both commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from golden import builds, cli, crosscheck, registry
from golden.case import CaseConfig, ConfigError
from golden.data import DataError
from golden.inputs import CaseDefinitionError
from golden.platforms import PlatformUnavailable

PROG = "crosscheck.py"
#: The platforms plsim is compared with (the CPU simulators; a device would do as well).
OTHER_PLATFORMS: tuple[str, ...] = ("a2a3sim", "a5sim", "a2a3", "a5")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise cli.UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: case, platform, run.py's configuration options, data and output."""
    parser = _Parser(
        prog=PROG,
        description="Run a case on plsim and on a pypto platform with the same inputs; check "
        "both against the golden and the two platforms' outputs against each other.",
    )
    parser.add_argument("case", help="case name (run.py --list)")
    parser.add_argument(
        "-p", "--platform", default="a2a3sim",
        help=f"the platform to compare with plsim: one of {', '.join(OTHER_PLATFORMS)} "
        "(default a2a3sim)",
    )  # fmt: skip
    # run.py's configuration options, taken from its parser so the two never drift apart.
    for action in cli.build_parser()._actions:
        if action.dest in cli.CONFIG_OPTIONS:
            parser._add_action(action)
    parser.add_argument("--save-data", metavar="DIR", help="keep the inputs and golden in DIR")
    parser.add_argument("--replay", metavar="DIR", help="compare on data saved by run.py")
    parser.add_argument("--force", action="store_true", help="let --save-data replace a save")
    parser.add_argument("--build-dir", metavar="DIR", help="keep pypto's build folders in DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.platform not in OTHER_PLATFORMS:
        raise cli.UsageError(
            f"--platform: got {args.platform!r}; expected one of {', '.join(OTHER_PLATFORMS)}"
        )
    if args.save_data and args.replay:
        raise cli.UsageError("--save-data and --replay cannot be combined")
    explicit = {k: getattr(args, k) for k in cli.CONFIG_OPTIONS if getattr(args, k) is not None}
    if args.replay and explicit:
        raise cli.UsageError("--replay takes its configuration from the save; drop "
                             + ", ".join(f"--{k.replace('_', '-')}" for k in explicit))  # fmt: skip
    case = registry.get_case(args.case)
    progress = None if args.json else cli.StderrProgress(sys.stderr)
    with builds.kept_in(args.build_dir):
        check = crosscheck.cross_check(
            case, CaseConfig(**explicit), args.platform, save_dir=args.save_data,
            replay_dir=args.replay, force=args.force, progress=progress,
        )  # fmt: skip
    if args.json:
        print(json.dumps(crosscheck.to_json(check), allow_nan=False))
    else:
        print(crosscheck.render_text(check))
    return 0 if check.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default sys.argv[1:]); returns the exit status."""
    try:
        return _run(build_parser().parse_args(argv))
    except (cli.UsageError, ConfigError, PlatformUnavailable, DataError,
            CaseDefinitionError) as exc:  # fmt: skip
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
