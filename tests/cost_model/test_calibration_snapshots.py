"""plsim_tools.calibration_snapshots on a synthetic pypto-lib history: which commits a claim's
missing sides get, what is exported, and what is refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from plsim_tools import calibration as cal
from plsim_tools import calibration_snapshots as snap

KERNEL = "models/v4/kernel.py"


def _commit(repo: Path, files: dict[str, str], subject: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    env = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "-C", str(repo), *env, "commit", "-q", "-m", subject], check=True)
    head = ["git", "-C", str(repo), "rev-parse", "HEAD"]
    out = subprocess.run(head, capture_output=True, check=True)
    return out.stdout.decode().strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose PR 7 changes the kernel, PR 9 adds another file, PR 5 is merged twice."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    c = {}
    c["base"] = _commit(repo, {"golden/validation.py": "g = 1\n", KERNEL: "v = 1\n",
                               "models/v4/config.py": "c = 1\n", "other/x.py": "x\n"},
                        "start (#5)")  # fmt: skip
    c["pr7"] = _commit(repo, {KERNEL: "v = 2\n"}, "perf: faster kernel (#7)")
    c["pr9"] = _commit(repo, {"models/v4/new.py": "n = 1\n"}, "add new kernel (#9)")
    c["again5"] = _commit(repo, {"golden/validation.py": "g = 2\n"}, "follow-up (#5)")
    return repo, c


def _claims_set(root: Path, claims: list[dict]) -> Path:
    (root / "snapshots" / "aaaaaaaaaaaa").mkdir(parents=True)
    (root / "claims.json").write_text(json.dumps(claims), encoding="utf-8")
    return root


def _claim(pr: int, kernel: str = KERNEL, before: float | None = 10.0) -> dict:
    return {"pr": pr, "kernel": kernel, "compared": "total", "measured_before_us": before,
            "measured_after_us": 8.0, "before": None, "after": None}  # fmt: skip


def test_missing_sides_become_the_merge_and_its_parent(tmp_path, history):
    repo, c = history
    root = _claims_set(tmp_path / "set", [_claim(7)])
    filled, left = snap.complete(root, repo, tmp_path / "out")
    assert left == []
    claim = json.loads((tmp_path / "out" / "claims.json").read_text())[0]
    assert claim["after"]["commit"] == c["pr7"][:12]
    assert claim["before"]["commit"] == c["base"][:12]
    assert claim["after"]["from_git"] is True
    assert len(filled) == 2
    after_dir = tmp_path / "out" / "snapshots" / c["pr7"][:12]
    assert (after_dir / KERNEL).read_text() == "v = 2\n"
    assert (tmp_path / "out" / "snapshots" / c["base"][:12] / KERNEL).read_text() == "v = 1\n"
    assert (after_dir / "models/v4/config.py").is_file()  # the kernel's folder, for its imports
    assert (after_dir / "golden/validation.py").is_file()
    assert not (after_dir / "other").exists()
    assert (tmp_path / "out" / "snapshots" / "aaaaaaaaaaaa").is_dir()  # the set's own, linked
    assert cal.usable(tmp_path / "out", {**claim})


def test_a_side_not_measured_is_not_filled(tmp_path, history):
    repo, c = history
    root = _claims_set(tmp_path / "set", [_claim(7, before=None)])
    snap.complete(root, repo, tmp_path / "out")
    claim = json.loads((tmp_path / "out" / "claims.json").read_text())[0]
    assert claim["before"] is None and claim["after"]["commit"] == c["pr7"][:12]


def test_ambiguous_pr_and_absent_file_are_left_with_a_reason(tmp_path, history):
    repo, _ = history
    root = _claims_set(tmp_path / "set", [_claim(5), _claim(9, kernel="models/v4/new.py"),
                                          _claim(404)])  # fmt: skip
    _, left = snap.complete(root, repo, tmp_path / "out")
    assert any("#5" in line and "2 commits" in line for line in left)
    assert any("#9" in line and "before" in line and "no models/v4/new.py" in line for line in left)
    assert any("#404" in line and "0 commits" in line for line in left)
    claims = json.loads((tmp_path / "out" / "claims.json").read_text())
    assert claims[0]["after"] is None and claims[1]["before"] is None
    assert claims[1]["after"]["commit"]  # the side that exists is still filled


def test_cli_refuses_an_existing_out_before_any_work(tmp_path, history, capsys):
    repo, _ = history
    root = _claims_set(tmp_path / "set", [_claim(7)])
    (tmp_path / "out").mkdir()
    with pytest.raises(SystemExit) as exc:
        snap.main(["--claims", str(root), "--git", str(repo), "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "--out" in capsys.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []


def test_cli_refuses_a_folder_that_is_not_a_repository(tmp_path, capsys):
    root = _claims_set(tmp_path / "set", [_claim(7)])
    with pytest.raises(SystemExit) as exc:
        snap.main(["--claims", str(root), "--git", str(tmp_path), "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    assert "--git" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_named_after_other_than_the_merge_is_left(tmp_path, history):
    repo, c = history
    claim = _claim(7)
    claim["after"] = {"commit": c["pr9"][:12], "kernel_path": KERNEL, "entry": "k", "args": []}
    root = _claims_set(tmp_path / "set", [claim])
    filled, left = snap.complete(root, repo, tmp_path / "out")
    assert filled == []
    assert any("#7" in line and "names after" in line for line in left)
    assert json.loads((tmp_path / "out" / "claims.json").read_text())[0]["before"] is None


def test_a_named_after_keeps_its_entry_for_the_found_before(tmp_path, history):
    repo, c = history
    claim = _claim(7)
    claim["after"] = {"commit": c["pr7"][:12], "kernel_path": KERNEL, "entry": "k_test",
                      "args": ["--x", "1"]}  # fmt: skip
    root = _claims_set(tmp_path / "set", [claim])
    filled, left = snap.complete(root, repo, tmp_path / "out")
    assert left == [] and len(filled) == 1
    before = json.loads((tmp_path / "out" / "claims.json").read_text())[0]["before"]
    assert before["commit"] == c["base"][:12]
    assert before["entry"] == "k_test" and before["args"] == ["--x", "1"]


def test_two_kernels_of_one_commit_in_other_folders_are_both_exported(tmp_path, history):
    repo, _ = history
    pr11 = _commit(repo, {KERNEL: "v = 3\n", "models/v5/other.py": "o = 1\n"}, "both (#11)")
    root = _claims_set(tmp_path / "set", [_claim(11), _claim(11, kernel="models/v5/other.py")])
    # the second claim's before has no models/v5/other.py (added by PR 11): only its after
    filled, left = snap.complete(root, repo, tmp_path / "out")
    after_dir = tmp_path / "out" / "snapshots" / pr11[:12]
    assert (after_dir / KERNEL).read_text() == "v = 3\n"
    assert (after_dir / "models/v5/other.py").is_file()
    assert len(filled) == 3
    assert any("claim 1 (#11) before" in line for line in left)
