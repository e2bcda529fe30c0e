"""pyproject lists every package folder; nothing generically named installs at top level."""

from __future__ import annotations

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
    expected = set(_package_folders("plsim"))
    expected |= {f"{NAMESPACE}.{name}" for name in _package_folders("golden")}
    expected |= {f"{NAMESPACE}.{name}" for name in _package_folders("models")}
    expected.add(NAMESPACE)
    assert packages == expected


def test_only_distinctive_top_level_names():
    tops = {name.split(".")[0] for name in _setuptools()["packages"]}
    assert tops == {"plsim", NAMESPACE}
    dirs = _setuptools()["package-dir"]
    assert dirs[f"{NAMESPACE}.golden"] == "golden" and dirs[f"{NAMESPACE}.models"] == "models"


def test_metadata_is_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and (ROOT / "LICENSE").is_file()
    assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    for key in ("authors", "urls", "classifiers", "scripts", "readme", "description"):
        assert project.get(key), key
