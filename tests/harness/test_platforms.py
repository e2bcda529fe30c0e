"""Platform detection: never a silent fallback; a missing toolchain names what to install."""

from __future__ import annotations

import contextlib
import sys

import pytest

from golden import platforms
from golden.case import ConfigError
from golden.platforms import PlatformUnavailable, ensure_available


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A directory on sys.path for fake packages; afterwards the pypto/torch modules are what
    they were before. Only modules the test imported are forgotten: a real torch loaded earlier
    in the session must stay (importing torch a second time in one process corrupts its native
    state; a later torch test then crashed with "SystemError: bad call flags")."""
    roots = {"pypto", "torch", "torch_npu"}
    before = {k: v for k, v in sys.modules.items() if k.split(".")[0] in roots}
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.split(".")[0] in roots and name not in before:
            del sys.modules[name]
    sys.modules.update(before)


def _package(root, dotted, body=""):
    path = root.joinpath(*dotted.split("."))
    path.mkdir(parents=True, exist_ok=True)
    (path / "__init__.py").write_text(body)


def _hide(monkeypatch, *names):
    """Make ``names`` look uninstalled to the platform checks, whatever this venv holds."""
    real = platforms.importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name.split(".")[0] in names else real(name, *args, **kwargs)

    monkeypatch.setattr(platforms.importlib.util, "find_spec", find_spec)


def _real_pypto(root):
    """A fake pypto with language and runtime.RunConfig on disk (never imported by the checks)."""
    _package(root, "pypto")
    _package(root, "pypto.language")
    _package(root, "pypto.runtime", "class RunConfig:\n    pass\n")


@pytest.fixture
def ptoas(tmp_path, monkeypatch):
    """An executable 'ptoas' under $PTOAS_ROOT."""
    root = tmp_path / "ptoas_root"
    root.mkdir()
    tool = root / "ptoas"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PTOAS_ROOT", str(root))
    return root


def test_unknown_platform_is_a_config_error():
    with pytest.raises(ConfigError, match="expected one of"):
        ensure_available("a3")


@pytest.mark.parametrize("platform", ["a2a3sim", "a5sim", "a2a3", "a5"])
def test_missing_pypto(platform, monkeypatch):
    _hide(monkeypatch, "pypto")
    with pytest.raises(PlatformUnavailable, match="hw-native-sys/pypto") as info:
        ensure_available(platform)
    assert "PTOAS" in str(info.value) and "PyPI" in str(info.value)


def test_the_other_pypto_from_pypi_is_rejected(fake_site):
    _package(fake_site, "pypto")  # a 'pypto' without pypto.language
    with pytest.raises(PlatformUnavailable, match=r"no pypto\.language"):
        ensure_available("a2a3sim")


def test_pypto_without_runtime(fake_site):
    _package(fake_site, "pypto")
    _package(fake_site, "pypto.language")
    with pytest.raises(PlatformUnavailable, match="RunConfig"):
        ensure_available("a5sim")


def test_pypto_without_ptoas_points_to_compile_only(fake_site, monkeypatch):
    _real_pypto(fake_site)
    monkeypatch.setenv("PTOAS_ROOT", str(fake_site / "nowhere"))
    with pytest.raises(PlatformUnavailable, match="ptoas") as info:
        ensure_available("a2a3sim")
    assert "--compile-only" in str(info.value)


def test_pypto_present_but_no_torch(fake_site, ptoas, monkeypatch):
    _real_pypto(fake_site)
    _hide(monkeypatch, "torch")
    with pytest.raises(PlatformUnavailable, match="torch"):
        ensure_available("a2a3sim")


def test_device_needs_torch_npu(fake_site, ptoas, monkeypatch):
    _real_pypto(fake_site)
    _package(fake_site, "torch")
    _hide(monkeypatch, "torch_npu")
    monkeypatch.setattr(platforms.toolchain, "simulator_missing_reason", lambda: None)
    ensure_available("a2a3sim")  # the CPU simulator needs no torch_npu
    with pytest.raises(PlatformUnavailable, match="torch_npu") as info:
        ensure_available("a2a3")
    assert "CANN" in str(info.value)


def test_detection_never_imports_pypto(fake_site, ptoas):
    _real_pypto(fake_site)
    _package(fake_site, "torch")
    before = set(sys.modules)
    with contextlib.suppress(PlatformUnavailable):  # the simulator's parts may be absent here
        ensure_available("a5sim")
    imported = set(sys.modules) - before
    toolchain = {"pypto", "torch", "simpler", "simpler_setup"}
    assert not any(name.split(".")[0] in toolchain for name in imported)
