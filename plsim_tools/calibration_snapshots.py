"""Complete a calibration set's missing snapshots from a pypto-lib git history.

    python -m plsim_tools.calibration_snapshots --claims DIR --git REPO --out NEW_DIR

Some claims of a calibration set (docs/cost_model_calibration.md) name their PR and kernel file
but not the commits that were timed, so ``calibration collect`` cannot run them. pypto-lib
merges each PR as one commit whose subject ends with ``(#PR)``; that commit is the claim's
``after`` and its first parent the ``before``, the same convention as the claims that do name
them. For every side that a claim measured (its ``measured_*_us`` is given) but whose commit
it does not name, this finds the commit in REPO (a clone of https://github.com/hw-native-sys/pypto-lib
with its history), checks that the kernel file exists there, and exports the kernel's folder
and the ``golden/`` harness package at that commit into ``NEW_DIR/snapshots/<commit>/``.

NEW_DIR receives a copy of ``claims.json`` with the found sides filled in (each marked
``"from_git": true``; the entry and arguments are the other side's, else the file's own
defaults, which is what the claims without them measured) and links to the set's existing
snapshots. NEW_DIR must not exist yet: nothing is overwritten. Claims whose PR has no single
merge commit, or whose file is absent at a commit, are listed and left as they were.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

#: Existing snapshot folders are named by the commit's first 12 hex digits.
COMMIT_DIGITS = 12


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def merge_commits(repo: Path) -> dict[int, list[str]]:
    """PR number -> the commits of ``repo`` whose subject ends with ``(#PR)``."""
    found: dict[int, list[str]] = {}
    log = _git(repo, "log", "--all", "--format=%H %s").decode("utf-8", "replace")
    for line in log.splitlines():
        sha, _, subject = line.partition(" ")
        match = re.search(r"\(#(\d+)\)\s*$", subject)
        if match:
            found.setdefault(int(match.group(1)), []).append(sha)
    return found


def has_file(repo: Path, commit: str, path: str) -> bool:
    """True if ``path`` is a file at ``commit``."""
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "-t", f"{commit}:{path}"], capture_output=True
    )
    return out.returncode == 0 and out.stdout.strip() == b"blob"


def export_snapshot(repo: Path, commit: str, kernel_path: str, dest: Path) -> None:
    """Write the kernel's folder and ``golden/`` at ``commit`` under ``dest``."""
    folder = str(Path(kernel_path).parent)
    archive = _git(repo, "archive", "--format=tar", commit, "--", folder, "golden")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def _snapshot(repo: Path, commit: str, kernel_path: str, dest: Path) -> str:
    """Make sure ``dest`` holds the kernel at ``commit``; the reason why not, or ''."""
    if not has_file(repo, commit, kernel_path):
        return f"no {kernel_path} at {commit[:COMMIT_DIGITS]}"
    if (dest / kernel_path).is_file():
        return ""
    if dest.is_symlink():  # the given set's own snapshot of that commit, another kernel's folder
        return f"the set's snapshot {dest.name} has no {kernel_path} (left as it is)"
    export_snapshot(repo, commit, kernel_path, dest)
    return ""


def _side_template(claim: dict[str, Any]) -> dict[str, Any]:
    other = claim.get("after") or claim.get("before") or {}
    return {
        "kernel_path": claim["kernel"],
        "entry": other.get("entry"),
        "args": list(other.get("args") or []),
    }


def complete(claims_root: Path, repo: Path, out: Path) -> tuple[list[str], list[str]]:
    """Write the completed set to ``out``; return (sides filled, claims left with the reason)."""
    claims = json.loads((claims_root / "claims.json").read_text(encoding="utf-8"))
    merges = merge_commits(repo)
    snapshots = out / "snapshots"
    snapshots.mkdir(parents=True)
    for existing in sorted((claims_root / "snapshots").iterdir()):
        (snapshots / existing.name).symlink_to(existing.resolve(), target_is_directory=True)
    filled: list[str] = []
    left: list[str] = []
    for index, claim in enumerate(claims):
        wanted = [
            side for side in ("before", "after")
            if claim.get(f"measured_{side}_us") is not None
            and not (claim.get(side) or {}).get("commit")
        ]  # fmt: skip
        if not wanted:
            continue
        commits = merges.get(int(claim["pr"]), [])
        if len(commits) != 1:
            pr = claim["pr"]
            left.append(f"claim {index} (#{pr}): {len(commits)} commits end with (#{pr})")
            continue
        after = commits[0]
        named = (claim.get("after") or {}).get("commit")
        if named and not after.startswith(named):
            # the claim's own after is another commit: the merge's parent is not its before
            left.append(f"claim {index} (#{claim['pr']}): names after {named}, the merge is "
                        f"{after[:COMMIT_DIGITS]}")  # fmt: skip
            continue
        before = _git(repo, "rev-parse", f"{after}^").decode().strip()
        for side, commit in (("before", before), ("after", after)):
            if side not in wanted:
                continue
            short = commit[:COMMIT_DIGITS]
            reason = _snapshot(repo, commit, claim["kernel"], snapshots / short)
            if reason:
                left.append(f"claim {index} (#{claim['pr']}) {side}: {reason}")
                continue
            claim[side] = {"commit": short, **_side_template(claim), "from_git": True}
            filled.append(f"claim {index} (#{claim['pr']}) {side}: {short}")
    (out / "claims.json").write_text(json.dumps(claims, indent=1) + "\n", encoding="utf-8")
    return filled, left


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m plsim_tools.calibration_snapshots", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add("--claims", type=Path, required=True, help="the calibration set to complete")
    add("--git", type=Path, required=True, help="a pypto-lib clone with its history")
    add("--out", type=Path, required=True, help="the completed set (must not exist)")
    ns = parser.parse_args(argv)
    if not (ns.claims / "claims.json").is_file() or not (ns.claims / "snapshots").is_dir():
        parser.error(f"--claims: {ns.claims} has no claims.json and snapshots/ (a calibration set)")
    probe = ["git", "-C", str(ns.git), "rev-parse", "--git-dir"]
    if subprocess.run(probe, capture_output=True).returncode:
        parser.error(f"--git: {ns.git} is not a git repository (expected a pypto-lib clone)")
    if ns.out.exists():
        parser.error(f"--out: {ns.out} already exists (expected a new folder; nothing overwritten)")
    filled, left = complete(ns.claims, ns.git, ns.out)
    for line in filled:
        print(f"filled  {line}")
    for line in left:
        print(f"left    {line}")
    print(f"{len(filled)} sides filled, {len(left)} left; completed set in {ns.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
