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


def test_get_case_imports_only_the_module_of_that_case():
    """Running one case must not import the others (the table names each case's module)."""
    import subprocess
    import sys

    code = (
        "import sys; from golden import registry; registry.get_case('deepseek_v4.indexer'); "
        "print(sorted(m for m in sys.modules if m.startswith('models.deepseek_v4.cases.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a list literal printed by the child
    assert "models.deepseek_v4.cases.decode_indexer" in loaded
    for other in ("decode_compressor", "prefill_indexer", "prefill_compressor"):
        assert f"models.deepseek_v4.cases.{other}" not in loaded


def test_all_cases_load_from_the_table_without_errors():
    registry.reload()
    names = [case.name for case in registry.all_cases()]
    assert registry.load_errors() == {}
    assert names[:2] == ["toy.scale_matmul", "toy.scale_matmul_wrong_golden"]
    assert set(names[2:]) == {
        "deepseek_v4.indexer", "deepseek_v4.indexer_compressor",
        "deepseek_v4.indexer_prefill", "deepseek_v4.indexer_compressor_prefill",
    }  # fmt: skip
