"""pyproject lists every package folder; nothing generically named installs at top level; the
installed layout is a library with the documented API and a command that knows its name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "deepseek_v4_pypto_ops"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_folders(top: str) -> list[str]:
    return sorted(
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    )


def test_every_package_folder_is_installed():
    packages = set(_setuptools()["packages"])
    expected = set(_package_folders("plsim")) | set(_package_folders("plsim_tools"))
    expected |= {f"{NAMESPACE}.{name}" for name in _package_folders("golden")}
    expected |= {f"{NAMESPACE}.{name}" for name in _package_folders("models")}
    expected |= {name.removeprefix("packaging.") for name in _package_folders("packaging")}
    assert packages == expected


def test_only_distinctive_top_level_names():
    tops = {name.split(".")[0] for name in _setuptools()["packages"]}
    assert tops == {"plsim", "plsim_tools", NAMESPACE}
    dirs = _setuptools()["package-dir"]
    assert dirs[f"{NAMESPACE}.golden"] == "golden" and dirs[f"{NAMESPACE}.models"] == "models"


def test_metadata_is_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and (ROOT / "LICENSE").is_file()
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    for key in ("authors", "urls", "classifiers", "scripts", "readme", "description"):
        assert project.get(key), key


def _installed_layout(root: Path) -> Path:
    """The wheel's layout, as pyproject's package-dir maps it: plsim and plsim_tools at the
    top, golden and models under the namespace package (copied, without the checkout on the
    path)."""
    site = root / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("plsim", "plsim_tools"):
        shutil.copytree(ROOT / name, site / name, ignore=ignore)
    shutil.copytree(ROOT / "packaging" / NAMESPACE, site / NAMESPACE, ignore=ignore)
    for name in ("golden", "models"):
        shutil.copytree(ROOT / name, site / NAMESPACE / name, ignore=ignore)
    return site


INSTALLED_USE = """
import sys
from deepseek_v4_pypto_ops.golden import CaseConfig, get_case, run_case
from deepseek_v4_pypto_ops.golden.runner import RunReport
import golden.runner
assert RunReport is golden.runner.RunReport  # one module, whichever name imported it
assert golden.runner.__file__.startswith(sys.argv[1]), golden.runner.__file__
report = run_case(get_case("toy.scale_matmul"), CaseConfig(batch=2))
print("passed", report.passed)
"""


def test_the_installed_package_is_a_library_with_its_documented_api(tmp_path):
    site = _installed_layout(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", INSTALLED_USE, str(site)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["passed", "True"]


def test_the_installed_command_calls_itself_by_its_name_and_cites_no_missing_docs(tmp_path):
    site = _installed_layout(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import sys, deepseek_v4_pypto_ops as p; sys.argv[0] = 'deepseek-v4-run'; " \
           "sys.exit(p.main())"  # fmt: skip
    help_text = subprocess.run(
        [sys.executable, "-c", code, "--help"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120,
    ).stdout  # fmt: skip
    assert help_text.startswith("usage: deepseek-v4-run ")
    assert "run.py" not in help_text and "docs/" not in help_text
    error = subprocess.run(
        [sys.executable, "-c", code, "toy.scale_matmul", "--batch", "99"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert error.returncode == 2
    assert error.stderr.startswith("deepseek-v4-run: error: --batch")


TOOLS_USE = """
import sys
from plsim_tools import side_by_side
side_by_side.import_harness()  # an installed copy: golden comes from deepseek_v4_pypto_ops
import golden.registry
assert golden.registry.__file__.startswith(sys.argv[1]), golden.registry.__file__
"""


def test_the_installed_tools_run_beside_the_simulator(tmp_path):
    site = _installed_layout(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    for tool in ("pyptolib", "side_by_side", "calibration"):
        shown = subprocess.run(
            [sys.executable, "-m", f"plsim_tools.{tool}", "--help"], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith(f"usage: python -m plsim_tools.{tool}"), shown.stdout
    used = subprocess.run(
        [sys.executable, "-c", TOOLS_USE, str(site)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert used.returncode == 0, used.stderr
