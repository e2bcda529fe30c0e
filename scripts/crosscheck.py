#!/usr/bin/env python3
"""Run a case on plsim and on pypto's simulator with the same inputs; compare the outputs.

python scripts/crosscheck.py CASE [-p a2a3sim|a5sim] [run.py's configuration options]
    [--save-data DIR | --replay DIR] [--force] [--build-dir DIR] [--json]

Each platform is checked against the golden, and the two platforms' outputs against each
other: integer outputs bit-identical, float outputs within the bound golden/crosscheck.py
states. Exit status: 0 both pass and agree, 1 a golden mismatch or a disagreement, 2 bad usage
or configuration, an unusable file, or a missing toolchain (one line on stderr).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from golden.crosscheck_cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
