"""Platform detection: never a silent fallback; a missing toolchain names what to install."""

from __future__ import annotations

import sys

import pytest

from golden import platforms
from golden.case import ConfigError
from golden.platforms import PlatformUnavailable, ensure_available


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A directory on sys.path for fake packages; forgets imported pypto/torch afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.split(".")[0] in {"pypto", "torch", "torch_npu"}:
            del sys.modules[name]


def _package(root, dotted, body=""):
    path = root.joinpath(*dotted.split("."))
    path.mkdir(parents=True, exist_ok=True)
    (path / "__init__.py").write_text(body)


def test_unknown_platform_is_a_config_error():
    with pytest.raises(ConfigError, match="expected one of"):
        ensure_available("a3")


@pytest.mark.parametrize("platform", ["a2a3sim", "a5sim", "a2a3", "a5"])
def test_missing_pypto(platform):
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


def test_pypto_present_but_no_torch(fake_site):
    _package(fake_site, "pypto")
    _package(fake_site, "pypto.language")
    _package(fake_site, "pypto.runtime", "class RunConfig:\n    pass\n")
    with pytest.raises(PlatformUnavailable, match="torch"):
        ensure_available("a2a3sim")


def test_device_needs_torch_npu(fake_site):
    _package(fake_site, "pypto")
    _package(fake_site, "pypto.language")
    _package(fake_site, "pypto.runtime", "class RunConfig:\n    pass\n")
    _package(fake_site, "torch")
    ensure_available("a2a3sim")  # the CPU simulator needs no torch_npu
    with pytest.raises(PlatformUnavailable, match="torch_npu") as info:
        ensure_available("a2a3")
    assert "CANN" in str(info.value)


def test_plsim_standing_in_for_pypto_is_not_the_real_toolchain():
    import types

    impostor = types.ModuleType("plsim.language")
    impostor.__file__ = "/somewhere/plsim/language.py"
    assert platforms._is_plsim_module(impostor)
