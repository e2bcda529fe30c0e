#!/usr/bin/env python3
"""Run a named case's kernel on a platform and check it against its golden.

python scripts/run.py CASE [-p PLATFORM] [--preset NAME] [--batch N] [--seq N] [--start-pos N]
    [--max-seq-len N] [--seed N] [--json] [--save-data DIR] [--replay DIR] [--trace FILE]
python scripts/run.py --list

Exit status: 0 all outputs pass, 1 a mismatch, 2 bad usage / configuration / missing toolchain,
130 / 143 interrupted (python scripts/run.py --help has them all).
"""

import sys
from pathlib import Path

# Run from a checkout without installing: this checkout's packages come first.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from golden.allocator import keep_freed_memory  # noqa: E402
from golden.cli import command  # noqa: E402

if __name__ == "__main__":
    keep_freed_memory()  # a whole run per process: reuse freed memory (golden/allocator.py)
    sys.exit(command())
