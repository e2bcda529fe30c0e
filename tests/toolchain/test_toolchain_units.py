"""Build folders, toolchain detection, the plsim-vs-simulator comparison and process isolation:
the parts that need no toolchain installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from golden import builds, crosscheck, toolchain
from golden.case import Case, CaseConfig, ConfigError
from golden.compare import topk_tie_aware
from golden.runner import RunReport

ROOT = Path(__file__).resolve().parents[2]
BF16 = np.dtype(ml_dtypes.bfloat16)


def test_every_build_gets_its_own_folder(tmp_path):
    first = builds.new_build_dir(tmp_path, "kernel")
    second = builds.new_build_dir(tmp_path, "kernel")
    assert first != second and first.is_dir() and second.is_dir()
    assert first.parent == second.parent == tmp_path


def test_temporary_builds_are_removed_and_kept_ones_stay(tmp_path):
    with builds.build_root() as root:
        (root / "artifact").write_text("x")
    assert not root.exists()
    with builds.kept_in(tmp_path / "keep"), builds.build_root() as root:
        (root / "artifact").write_text("x")
    assert root == (tmp_path / "keep").resolve() and (root / "artifact").is_file()
    assert builds.kept_dir() is None  # the block's setting ends with it


def test_build_dir_must_be_a_directory_with_an_existing_parent(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"--build-dir: .* is not a directory"):
        builds.check_build_dir(tmp_path / "file")
    with pytest.raises(ConfigError, match="--build-dir: the parent"):
        builds.check_build_dir(tmp_path / "no" / "such")
    assert builds.check_build_dir(tmp_path / "new").is_dir()


def test_ptoas_is_found_where_pypto_looks(tmp_path, monkeypatch):
    tool = tmp_path / "bin" / "ptoas"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PTOAS_ROOT", str(tmp_path))
    assert toolchain.find_ptoas() == tool
    monkeypatch.setenv("PTOAS_ROOT", str(tmp_path / "elsewhere"))
    assert toolchain.find_ptoas() is None
    assert "PTOAS_ROOT" in toolchain.ptoas_missing_reason()


def test_simulator_needs_g_plus_plus_15(tmp_path, monkeypatch):
    tool = tmp_path / "ptoas"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PTOAS_ROOT", str(tmp_path))
    monkeypatch.setattr(toolchain, "_pto_isa_dir", lambda: tmp_path)
    (tmp_path / "include").mkdir()
    monkeypatch.setattr(toolchain.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert "g++-15" in toolchain.simulator_missing_reason()


def test_ulp_distance_on_known_neighbours():
    one = np.float32(1.0)
    up = np.nextafter(one, np.float32(2))
    a = np.array([one, 0.0, -0.0, -1e-45, 2.0], np.float32)
    b = np.array([up, -0.0, 0.0, 1e-45, 2.0], np.float32)
    assert crosscheck.ulp_distance(a, b).tolist() == [1, 0, 0, 2, 0]
    bf = np.array([1.0, 1.0078125], BF16)  # BF16 has 7 fraction bits: 1 + 2**-7 is next
    assert crosscheck.ulp_distance(bf[:1], bf[1:]).tolist() == [1]
    nan = np.array([np.nan, np.nan], np.float32)
    assert crosscheck.ulp_distance(nan, np.array([np.nan, 1.0], np.float32))[0] == 0
    assert crosscheck.ulp_distance(nan, np.array([np.nan, 1.0], np.float32))[1] > 10**9


def test_integer_outputs_must_be_identical():
    mine = np.arange(12, dtype=np.int32).reshape(3, 4)
    theirs = mine.copy()
    assert crosscheck.compare_outputs("idx", mine, theirs).agrees
    theirs[1, 2] += 1
    agreement = crosscheck.compare_outputs("idx", mine, theirs)
    assert not agreement.agrees and agreement.differing == 1
    assert agreement.first[0]["index"] == [1, 2]


def test_ulp_of_a_scale():
    assert crosscheck.ulp_of(1.0, np.dtype(np.float32)) == 2.0**-23
    assert crosscheck.ulp_of(1000.0, np.dtype(np.float32)) == 2.0**-14  # 1000 is in [512, 1024)
    assert crosscheck.ulp_of(3.0, BF16) == 2.0**-6


def test_float_outputs_within_eight_ulp_of_their_scale():
    """Scale 1000 (ulp 2**-14): a cell may differ by 8 * 2**-14 = 4.9e-4, whatever its size;
    the -FLT_MAX sentinel does not count as the scale."""
    lowest = np.finfo(np.float32).min
    mine = np.array([1.0, 1000.0, 1e-9, lowest, -np.inf], np.float32)
    theirs = mine.copy()
    theirs[0] = np.float32(1.0004)  # 4e-4: ~3400 ulp of 1.0, inside the bound
    theirs[2] = np.float32(-1e-9)
    agreement = crosscheck.compare_outputs("s", mine, theirs)
    assert crosscheck.FLOAT_ULPS == 8
    assert agreement.scale == 1000.0 and agreement.tolerance == 8 * 2.0**-14
    assert agreement.agrees and agreement.differing == 2
    theirs[0] = np.float32(1.0006)  # 6e-4: outside
    assert crosscheck.compare_outputs("s", mine, theirs).outside_bound == 1
    theirs[0] = mine[0]
    theirs[4] = np.float32(0.0)  # -inf against a number: outside
    assert crosscheck.compare_outputs("s", mine, theirs).outside_bound == 1


def test_pypto_children_never_load_plsim():
    """The modules the compile and run children import keep plsim out of their process."""
    code = (
        "import sys; import golden.run_worker, golden.compile_worker, golden.compiler; "
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'plsim']; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _report(outputs, expected):
    return RunReport(case="t", platform="p", config=CaseConfig(), passed=True, outputs={},
                     stages=None, traffic=None, wall_s={}, actual_outputs=outputs,
                     expected_outputs=expected)  # fmt: skip


def test_top_k_differences_that_are_tie_swaps_agree():
    """Candidates 1 and 2 tie in the golden scores: their swap is accepted, a swap with the
    strictly worse candidate 3 is not."""
    case = Case(
        name="t", description="", kernel_file=Path("k.py"), kernel_name="k",
        resolve_config=lambda c: c, make_specs=lambda c: [], golden=lambda i, c: {},
        comparisons=lambda c: {"idx": topk_tie_aware("score", offset=0, atol=0.0, rtol=0.0)},
    )  # fmt: skip
    golden = {"score": np.array([[5.0, 4.0, 4.0, 1.0]], np.float32),
              "idx": np.array([[0, 1, 2]], np.int32)}  # fmt: skip
    mine = _report({"idx": np.array([[0, 1, 2]], np.int32)}, golden)
    for theirs_row, swaps, agrees in (([0, 2, 1], 2, True), ([0, 1, 3], 0, False)):
        theirs = _report({"idx": np.array([theirs_row], np.int32)}, golden)
        agreement = crosscheck.compare_outputs("idx", mine.actual_outputs["idx"],
                                               theirs.actual_outputs["idx"])  # fmt: skip
        agreement.tie_swaps = crosscheck.tie_swaps(case, "idx", mine, theirs, {})
        assert (agreement.tie_swaps, agreement.agrees) == (swaps, agrees)
