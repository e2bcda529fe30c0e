"""plsim_tools.pyptolib: a pypto-lib file's __main__ runs unchanged, with the upstream harness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import plsim
from plsim_tools import pyptolib

KERNELS = Path(__file__).parent / "kernels"
REPO = Path(__file__).resolve().parents[2]


def _harnessed(tmp_path: Path, corpus: Path, name: str) -> Path:
    """Our fixture file in a folder beside a link to the upstream golden/ package."""
    (tmp_path / "golden").symlink_to(corpus / "golden", target_is_directory=True)
    target = tmp_path / name
    target.write_text((KERNELS / name).read_text())
    return target


def test_upstream_hello_world_passes_with_its_own_golden(corpus):
    calls, code, error = pyptolib.run_file(corpus / "examples/beginner/hello_world.py", [])
    assert (code, error) == (0, "")
    assert [c.fn for c in calls] == ["hello_world"] and calls[0].passed
    assert calls[0].stages[0]["name"] == "add_scalar"
    assert pyptolib.verdict(calls, code, error) == ("PASS", "")


def test_a_wrong_golden_fails(tmp_path, corpus):
    path = _harnessed(tmp_path, corpus, "scale_rows.py")
    calls, code, error = pyptolib.run_file(path, ["--wrong-golden"])
    assert code == 1 and not calls[0].passed
    status, reason = pyptolib.verdict(calls, code, error)
    assert status == "FAIL" and reason.startswith("scale_rows:")
    calls, code, error = pyptolib.run_file(path, [])
    assert pyptolib.verdict(calls, code, error) == ("PASS", "")


def test_our_golden_package_is_restored(corpus):
    import golden as ours

    pyptolib.run_file(corpus / "examples/beginner/hello_world.py", [])
    import golden as after

    assert after is ours and Path(after.__file__).resolve().is_relative_to(REPO)
    assert "golden.validation" not in sys.modules  # the upstream submodules are gone


def test_corpus_files_skip_the_harness_package(corpus):
    files = pyptolib.corpus_files(corpus)
    assert corpus / "examples/beginner/hello_world.py" in files
    assert not any(f.relative_to(corpus).parts[0] == "golden" for f in files)


def test_cli_prints_the_stage_table_and_verdict(tmp_path, corpus):
    path = _harnessed(tmp_path, corpus, "scale_rows.py")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "plsim_tools.pyptolib", str(path)],
                          capture_output=True, text=True, env=env, cwd=REPO)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "scale " in proc.stdout and "model us" in proc.stdout
    assert "'y' PASS" in proc.stdout and ": PASS" in proc.stdout


def test_cli_rejects_a_missing_file():
    proc = subprocess.run([sys.executable, "-m", "plsim_tools.pyptolib", "/nonexistent.py"],
                          capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert proc.returncode == 2 and "FILE" in proc.stderr


def test_a_write_to_an_in_parameter_is_promoted_to_inout():
    # The compiler accepts this file (it promotes `state` to InOut); the device writes the
    # caller's memory, so plsim updates the caller's array.
    k = plsim.load(KERNELS / "write_in_param.py")
    x = np.arange(16 * 64, dtype=np.float32).reshape(16, 64)
    state = np.ones((16, 64), np.float32)
    y = np.zeros((16, 64), np.float32)
    plsim.run(k.write_in_param, x, state, y)
    np.testing.assert_array_equal(state, x + 1)
    np.testing.assert_array_equal(y, x + 1)


def test_corpus_table_counts_pass_and_fail(tmp_path, corpus):
    good = _harnessed(tmp_path, corpus, "scale_rows.py")
    bad = tmp_path / "sub" / "broken.py"
    bad.parent.mkdir()
    bad.write_text('import pypto.language as pl\n\nif __name__ == "__main__":\n    pl.nope()\n')
    rows = pyptolib.run_corpus(tmp_path, "a2a3", timeout=120, jobs=2)
    verdicts = {r["file"]: (r["verdict"], r["reason"]) for r in rows}
    assert verdicts[good.name] == ("PASS", "")
    assert verdicts["sub/broken.py"][0] == "ERROR"
    assert "nope" in verdicts["sub/broken.py"][1]
    assert pyptolib.corpus_table(rows).endswith("1/2 files PASS")


def test_upstream_allreduce_runs_on_two_simulated_ranks(corpus):
    """examples/advanced/allreduce.py: @pl.jit.host, window buffers, notify/wait, remote_load;
    the rank count comes from its DistributedConfig(device_ids=[0, 1])."""
    calls, code, error = pyptolib.run_file(corpus / "examples/advanced/allreduce.py", [])
    assert pyptolib.verdict(calls, code, error) == ("PASS", "")
    stages = {s["name"]: s for s in calls[0].stages}
    assert sorted(stages) == ["r0.reduce_step", "r1.reduce_step"]
    for s in stages.values():  # one [1, 256] FP32 row loaded from the other rank
        assert s["remote_read_bytes"] == 256 * 4 and s["remote_write_bytes"] == 0


def test_upstream_allreduce_with_one_device_fails_its_own_check(corpus):
    calls, code, error = pyptolib.run_file(corpus / "examples/advanced/allreduce.py", ["-d", "0"])
    assert code == 1
    assert calls == [] and "need exactly 2 devices" in error


def test_an_l3_file_binds_its_specs_by_name(tmp_path, corpus):
    path = _harnessed(tmp_path, corpus, "l3_spec_order.py")
    calls, code, error = pyptolib.run_file(path, [])
    assert pyptolib.verdict(calls, code, error) == ("PASS", "")
    assert sorted(s["name"] for s in calls[0].stages) == ["r0.add_w", "r1.add_w"]
