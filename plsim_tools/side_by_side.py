"""Our decode indexer and the public pypto-lib one, through the same cost model.

    python -m plsim_tools.side_by_side [--preset FLASH] [--batch 4] [--seq 2] [--cache-format c8]
                                       [--upstream FILE]    (or PYPTO_LIB_DIR=<pypto-lib checkout>)

Runs our ``deepseek_v4.indexer`` case on plsim for the configuration given, and the pypto-lib
flash_mtp ``decode_indexer.py`` (its own ``__main__``, through ``python -m plsim_tools.pyptolib``
in a child process; it is fixed at B = 4, S = 2 with its own start positions and its C8 indexer
cache: INT8 keys with one FP32 scale per position; ours runs with the same cache format by
default), then prints the stage tables, the modeled times, the GM traffic and the ratios of the
two under the calibrated model (plsim.hardware, docs/cost_model_calibration.md). Both kernels
must pass their own goldens.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from plsim.accounting import StageStats, kernel_time, stage_times
from plsim.hardware import PLATFORMS
from plsim_tools.corpus_paths import (
    PYPTO_LIB_ENV,
    UPSTREAM_INDEXER,
    CorpusMissing,
    upstream_indexer,
)
from plsim_tools.pyptolib import RESULT_MARK, stage_table


def import_harness() -> None:
    """Make our harness importable as ``golden``: a checkout has it at the top level; an
    installed copy keeps it under deepseek_v4_pypto_ops, whose import finder serves the name."""
    if importlib.util.find_spec("golden") is None:
        import deepseek_v4_pypto_ops  # noqa: F401 (installs the finder)


def ours(
    preset: str, batch: int, seq: int, seed: int = 0, cache_format: str = "c8"
) -> list[StageStats]:
    """Stage counts of our indexer case on plsim; its golden must pass (golden.runner.run_case,
    then one more plsim run of the same inputs for the full counts)."""
    import plsim

    import_harness()
    from golden.case import CaseConfig
    from golden.inputs import build_inputs
    from golden.registry import get_case
    from golden.runner import run_case

    case = get_case("deepseek_v4.indexer")
    config = CaseConfig(preset=preset, batch=batch, seq=seq, seed=seed, cache_format=cache_format)
    report = run_case(case, config, "plsim")
    failed = [v.name for v in report.outputs.values() if not v.passed] if report.outputs else []
    if report.error or failed:
        raise RuntimeError(f"our indexer does not pass its golden: {report.error or failed}")
    resolved = case.resolve_config(config)
    specs = list(case.make_specs(resolved))
    values = build_inputs(specs, seed)
    # the kernel of the config's cache format (indexer_c16 / indexer_c8)
    kernel = getattr(plsim.load(str(case.kernel_file)), case.kernel_for(resolved))
    return list(plsim.run(kernel, *[values[s.name] for s in specs]).stages)


def theirs(path: Path, timeout: float = 900.0) -> list[StageStats]:
    """Stage counts of a pypto-lib file's run_jit call on plsim (its golden must pass)."""
    cmd = [sys.executable, "-m", "plsim_tools.pyptolib", "--quiet", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            row = json.loads(line[len(RESULT_MARK) :])
            break
    else:
        raise RuntimeError(f"{path}: no result ({proc.stderr.strip().splitlines()[-1:]})")
    if row["verdict"] != "PASS" or len(row["calls"]) != 1:
        raise RuntimeError(f"{path}: {row['verdict']} {row['reason']}")
    names = {f.name for f in dataclasses.fields(StageStats)}
    return [
        StageStats(**{k: v for k, v in s.items() if k in names}) for s in row["calls"][0]["stages"]
    ]


def summary(stages: list[StageStats], platform) -> dict[str, float]:
    """Modeled wall time (us; stages overlap by their dependences, plsim.accounting.kernel_time)
    and GM bytes moved of a kernel."""
    for s in stages:
        s.modeled_us = stage_times(s, platform)["wall"]
    return {
        "modeled_us": kernel_time(stages, platform),
        "gm_bytes": sum(s.gm_read_bytes + s.gm_write_bytes for s in stages),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry; returns the exit code."""
    p = argparse.ArgumentParser(
        prog="python -m plsim_tools.side_by_side", description=__doc__.split("\n")[0]
    )
    p.add_argument("--preset", default="FLASH")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=2)
    p.add_argument(
        "--cache-format", default="c8", choices=("c16", "c8"), help="our indexer's cache format"
    )
    p.add_argument(
        "--upstream",
        type=Path,
        default=None,
        help=f"pypto-lib's {UPSTREAM_INDEXER} (default: in the checkout named by {PYPTO_LIB_ENV})",
    )
    ns = p.parse_args(argv)
    try:
        ns.upstream = upstream_indexer(ns.upstream)
    except CorpusMissing as exc:
        p.error(str(exc))
    if not ns.upstream.is_file():
        p.error(f"--upstream: no file at {ns.upstream}")
    platform = PLATFORMS["a2a3"]
    mine = ours(ns.preset, ns.batch, ns.seq, cache_format=ns.cache_format)
    other = theirs(ns.upstream)
    a, b = summary(mine, platform), summary(other, platform)
    print(f"ours: deepseek_v4.indexer {ns.preset} B={ns.batch} S={ns.seq} {ns.cache_format}")
    print(stage_table(mine, a["modeled_us"]))
    print(f"\npypto-lib: {ns.upstream.name} (its __main__: B=4, S=2)")
    print(stage_table(other, b["modeled_us"]))
    print(f"\n{'':<10}{'modeled us':>12}{'GM MB':>10}")
    print(f"{'ours':<10}{a['modeled_us']:>12.1f}{a['gm_bytes'] / 1e6:>10.2f}")
    print(f"{'pypto-lib':<10}{b['modeled_us']:>12.1f}{b['gm_bytes'] / 1e6:>10.2f}")
    print(f"ratio ours / pypto-lib: time {a['modeled_us'] / b['modeled_us']:.2f}, "
          f"traffic {a['gm_bytes'] / b['gm_bytes']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
