"""The case list is found from the folders, not written down."""

from __future__ import annotations

import types

from golden import registry


def test_every_model_folder_with_cases_py_is_listed(tmp_path, monkeypatch):
    for name, files in {
        "zeta": ["__init__.py", "cases.py"],
        "alpha": ["__init__.py", "cases.py"],
        "no_cases": ["__init__.py"],
        "not_a_package": ["cases.py"],
    }.items():
        (tmp_path / name).mkdir()
        for file in files:
            (tmp_path / name / file).write_text("")
    fake = types.SimpleNamespace(submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(registry.importlib.util, "find_spec", lambda name: fake)
    assert registry.discover_case_modules() == [
        "golden.toy.case",
        "models.alpha.cases",
        "models.zeta.cases",
    ]


def test_the_repository_cases_are_found():
    assert registry.discover_case_modules() == ["golden.toy.case", "models.deepseek_v4.cases"]
