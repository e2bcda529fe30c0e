"""pypto-lib's decode indexer (deepseek_v4_flash_mtp/decode_indexer.py) at a benchmark
configuration, run unchanged through ``python -m plsim_tools.pyptolib`` in a child process.

The file is written for one shape: its config module fixes B = 4 requests of S = 2 tokens and
sizes its pools for 16384 positions; its ``__main__`` takes only ``--start-pos``. So it runs
at a benchmark configuration only when that configuration has the same B and S and fits its
pools; anything else is reported as not comparable, with the reason, rather than run on a
changed copy of third-party code.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.configs import BenchConfig
from plsim.accounting import StageStats, kernel_time
from plsim.hardware import A2A3
from plsim_tools.pyptolib import RESULT_MARK

#: The shape pypto-lib's file is written for (its config.py: DECODE_BATCH, DECODE_SEQ,
#: FLASH.max_position_embeddings).
UPSTREAM_BATCH, UPSTREAM_SEQ, UPSTREAM_MAX_POSITIONS = 4, 2, 16384


@dataclass
class Upstream:
    """pypto-lib's kernel at one configuration: modeled time and GM bytes, or why not."""

    modeled_us: float | None
    gm_bytes: int | None
    reason: str = ""


def comparable(config: BenchConfig) -> str:
    """Empty when pypto-lib's file runs at ``config`` unchanged, else the reason it cannot."""
    if config.cache_format != "c8":
        return "pypto-lib's decode indexer has the C8 cache only"
    if (config.batch, config.seq) != (UPSTREAM_BATCH, UPSTREAM_SEQ):
        return f"pypto-lib's file is fixed at B {UPSTREAM_BATCH} S {UPSTREAM_SEQ}"
    if config.context > UPSTREAM_MAX_POSITIONS:
        return f"pypto-lib's pools hold {UPSTREAM_MAX_POSITIONS} positions"
    return ""


def run_upstream(path: Path, config: BenchConfig, timeout: float = 900.0) -> Upstream:
    """Modeled time of pypto-lib's decode indexer at ``config`` (every request starting at the
    same position as ours); its golden must pass."""
    reason = comparable(config)
    if reason:
        return Upstream(None, None, reason)
    cmd = [sys.executable, "-m", "plsim_tools.pyptolib", "--quiet", str(path),
           "--start-pos", str(config.context - config.seq)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    row = None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            row = json.loads(line[len(RESULT_MARK) :])
            break
    if row is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Upstream(None, None, f"no result: {tail}")
    if row["verdict"] != "PASS" or len(row["calls"]) != 1:
        return Upstream(None, None, f"{row['verdict']}: {row.get('reason', '')}")
    names = {f.name for f in dataclasses.fields(StageStats)}
    stages = [StageStats(**{k: v for k, v in s.items() if k in names})
              for s in row["calls"][0]["stages"]]  # fmt: skip
    gm = sum(s.gm_read_bytes + s.gm_write_bytes for s in stages)
    return Upstream(kernel_time(stages, A2A3), gm)
