"""Case registry: lookup, listing, and tolerance of a case module that fails to import."""

from __future__ import annotations

import pytest

from golden import registry
from golden.case import ConfigError


@pytest.fixture
def broken_registry(monkeypatch):
    monkeypatch.setattr(registry, "CASE_MODULES", ["golden.toy.case", "golden.no_such_model.cases"])
    registry.reload()
    yield
    registry.reload()


def test_toy_cases_registered():
    names = registry.case_names()
    assert "toy.scale_matmul" in names
    assert registry.get_case("toy.scale_matmul").kernel_name == "scale_matmul"


def test_broken_module_does_not_hide_the_others(broken_registry):
    assert registry.case_names() == ["toy.scale_matmul", "toy.scale_matmul_wrong_golden"]
    errors = registry.load_errors()
    assert list(errors) == ["golden.no_such_model.cases"]
    assert "ModuleNotFoundError" in errors["golden.no_such_model.cases"]


def test_unknown_case_lists_known_names_and_failures(broken_registry):
    with pytest.raises(ConfigError) as info:
        registry.get_case("nope")
    message = str(info.value)
    assert "'nope'" in message and "toy.scale_matmul" in message
    assert "golden.no_such_model.cases" in message
