"""Code, docstrings and docs cite only documents that exist in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ABSENT = ("ARCHITECTURE.md", "GUIDE.md", "PL_SEMANTICS", "REQUESTS.md")


def _tracked_text_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs a git checkout")
    return [
        ROOT / n for n in listed if n.endswith((".py", ".md", ".toml")) and (ROOT / n).is_file()
    ]


def test_no_citation_of_documents_outside_the_repository():
    offenders = []
    for path in _tracked_text_files():
        if path.name == "test_docs.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if any(name in line for name in ABSENT):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_every_cited_docs_file_exists():
    missing = []
    for path in _tracked_text_files():
        # this repository's docs/ (not e.g. pypto's docs/en/... cited by path)
        for match in re.finditer(r"(?<![\w/])docs/[\w-]+\.md", path.read_text()):
            if not (ROOT / match.group(0)).is_file():
                missing.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert missing == []


def test_docs_links_resolve():
    broken = []
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#\s,]+)\)", page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.name} -> {target}")
    assert broken == []


#: The project's own top-level packages: a `python -m` command naming one of them must name a
#: module that exists (a moved module leaves no stale command behind in the docs).
OWN_PACKAGES = ("plsim", "plsim_tools", "golden", "models", "deepseek_v4_pypto_ops")


def test_every_cited_python_m_command_names_an_existing_module():
    missing = []
    for path in _tracked_text_files():
        # a whole dotted name; a template such as plsim_tools.{tool} is not one
        for match in re.finditer(r"python3? -m ([\w.]*\w)(?![\w.{<])", path.read_text()):
            name = match.group(1)
            if name.split(".")[0] not in OWN_PACKAGES:
                continue
            parts = name.split(".")
            module = ROOT.joinpath(*parts).with_suffix(".py")
            package = ROOT.joinpath(*parts, "__main__.py")
            if not (module.is_file() or package.is_file()):
                missing.append(f"{path.relative_to(ROOT)}: python -m {name}")
    assert missing == []
