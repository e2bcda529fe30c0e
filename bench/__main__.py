"""The decode indexer against the chip's floor and pypto-lib's indexer, on plsim's cost model.

    python -m bench [--only TEXT] [--upstream FILE | --no-upstream] [--markdown FILE]
        (--upstream defaults to pypto-lib's decode indexer in the checkout $PYPTO_LIB_DIR)

For each configuration of bench.configs (issue 19's four, C8 then C16; FLASH, top-k only,
block size 32) it runs our ``deepseek_v4.indexer`` case on plsim, its golden checked, and
prints the modeled time, the floor (max of compulsory GM bytes over 1.6 TB/s and cube MACs at
the chip's peak), their ratio, the GM traffic over compulsory, the tasks, dispatches, DMA
transfers and contiguous segments, the MiB handed between the cube and vector cores (counted,
not priced by the model), and the modeled time of pypto-lib's decode indexer where
its file runs at the same configuration (bench.upstream says where it cannot). The counts are
exact; the times are the model's (docs/cost_model.md), not measurements.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.configs import CONFIGS
from bench.measure import Measured, measure
from bench.upstream import Upstream, run_upstream
from plsim_tools.corpus_paths import CorpusMissing, upstream_indexer

HEAD = ("config", "cache", "modeled us", "floor us", "modeled/floor", "traffic", "tasks",
        "dispatches", "transfers", "segments", "cross-core MiB", "slowest stage", "pypto-lib us",
        "ours/pypto-lib", "run s")  # fmt: skip


def row(m: Measured, up: Upstream | None) -> list[str]:
    """One table row of a measured configuration."""
    c = m.config
    if up is None:
        theirs, ratio = "-", "not run"
    elif up.modeled_us is None:
        theirs, ratio = "-", up.reason
    else:
        theirs, ratio = f"{up.modeled_us:.1f}", f"{m.modeled_us / up.modeled_us:.2f}"
    verdict = "" if m.passed else " (golden FAILED)"
    return [c.name + verdict, c.cache_format, f"{m.modeled_us:.1f}",
            f"{m.floor_us:.1f} ({m.floor_bound})", f"{m.over_floor:.2f}",
            f"{m.traffic_ratio:.2f}", str(m.tasks), str(m.dispatches), str(m.transfers),
            str(m.segments), f"{m.cross_core_bytes / 2**20:.1f}", m.slowest, theirs, ratio,
            f"{m.wall_s:.0f}"]  # fmt: skip


def markdown(rows: list[list[str]]) -> str:
    """The rows as a Markdown table."""
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    """CLI entry; returns the exit code (1 if a kernel fails its golden)."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--only", help="run only the configurations whose name contains this")
    p.add_argument("--upstream", type=Path, help="pypto-lib's decode indexer file")
    p.add_argument("--no-upstream", action="store_true", help="skip pypto-lib's indexer")
    p.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    ns = p.parse_args(argv)
    upstream = None
    if not ns.no_upstream:
        try:
            upstream = upstream_indexer(ns.upstream)
        except CorpusMissing as exc:
            p.error(f"{exc}; or give --no-upstream")
        if not upstream.is_file():
            p.error(f"--upstream: no file at {upstream}")
    rows, ok = [], True
    for config in CONFIGS:
        label = f"{config.name} {config.cache_format}"
        if ns.only and ns.only not in label:
            continue
        print(f"running {label} ...", file=sys.stderr, flush=True)
        m = measure(config)
        up = run_upstream(upstream, config) if upstream is not None else None
        ok = ok and m.passed
        rows.append(row(m, up))
        print("  ".join(rows[-1]), file=sys.stderr, flush=True)
    print(markdown(rows))
    if ns.markdown is not None:
        ns.markdown.write_text(markdown(rows) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
