"""Detectors hold on real kernels: seeded mutations of the current kernel files are caught.

Each fixture in tests/reliability/mutants/ names a kernel, a one-line textual mutation (an
off-by-one slice bound, overlapping pl.parallel writes, a read of a never-written buffer, a tile
grown past UB), a configuration and the plsim exception that must catch it. The mutant is made
from the kernel's text at test time, so it tracks the real kernel; the error must name the
mutated statement's file:line, and the unmutated kernel must pass the same configuration.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import plsim
from golden import registry
from golden.case import CaseConfig
from golden.inputs import copy_values
from golden.runner import run_case
from models.deepseek_v4.cases import decode_compressor as compressor_case
from models.deepseek_v4.cases import decode_indexer as indexer_case

MUTANTS = Path(__file__).parent / "mutants"
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted(MUTANTS.glob("*.json"))
KERNELS = {
    "indexer": (indexer_case, "indexer_c16", "deepseek_v4.indexer"),
    "indexer_compressor": (
        compressor_case,
        "indexer_compressor_c16",
        "deepseek_v4.indexer_compressor",
    ),
}
DETECTORS = {
    "OutOfBoundsError": plsim.OutOfBoundsError,
    "RaceError": plsim.RaceError,
    "UninitializedReadError": plsim.UninitializedReadError,
    "CapacityError": plsim.CapacityError,
}


def mutate(source: str, spec: dict, fixture: str, target: str) -> tuple[str, int]:
    """``source`` with the fixture's one-line mutation applied, and the mutated line number."""
    lines = source.splitlines(keepends=True)
    pattern = re.compile(spec["find"])
    hits = [i for i, line in enumerate(lines) if pattern.search(line.rstrip("\n"))]
    occurrence = spec.get("occurrence")
    if occurrence is None and len(hits) != 1:
        pytest.fail(
            f"mutant {fixture}: 'find' {spec['find']!r} matches {len(hits)} lines of the current "
            f"{target}.py (lines {[h + 1 for h in hits]}); it must match exactly one. "
            "Update the fixture to the same bug in the current kernel."
        )
    if occurrence is not None and not 1 <= occurrence <= len(hits):
        pytest.fail(
            f"mutant {fixture}: occurrence {occurrence} of {spec['find']!r} requested, the "
            f"current {target}.py has {len(hits)}. Update the fixture."
        )
    index = hits[(occurrence or 1) - 1]
    body = lines[index].rstrip("\n")
    mutated = pattern.sub(spec["replace"], body, count=1)
    assert mutated != body, f"mutant {fixture}: the replacement changes nothing"
    lines[index] = mutated + "\n"
    return "".join(lines), index + 1


def statement_span(source: str, line: int) -> range:
    """Lines of the innermost simple statement containing ``line`` (a multi-line call)."""
    best = None
    for node in ast.walk(ast.parse(source)):
        simple = isinstance(node, ast.stmt) and not hasattr(node, "body")
        inside = simple and node.lineno <= line <= (node.end_lineno or node.lineno)
        if inside and (best is None or node.lineno >= best.lineno):
            best = node
    assert best is not None, f"no statement at line {line}"
    return range(best.lineno, (best.end_lineno or best.lineno) + 1)


@cache
def case_inputs(kernel: str, config_items: tuple) -> tuple[CaseConfig, dict]:
    case_module = KERNELS[kernel][0]
    config = case_module.resolve_config(CaseConfig(**dict(config_items)))
    return config, case_module.make_inputs(config)


def load_spec(path: Path) -> dict:
    spec = json.loads(path.read_text())
    assert spec["kernel"] in KERNELS, f"{path.name}: unknown kernel {spec['kernel']!r}"
    assert spec["expect"] in DETECTORS, f"{path.name}: unknown detector {spec['expect']!r}"
    return spec


def test_every_detector_has_a_mutant_of_a_real_kernel():
    kinds = {load_spec(p)["expect"] for p in FIXTURES}
    assert kinds == set(DETECTORS), f"detectors without a mutant: {set(DETECTORS) - kinds}"
    assert {load_spec(p)["kernel"] for p in FIXTURES} == set(KERNELS)


def load_mutant(
    spec: dict, fixture: str, tmp_path: Path, monkeypatch
) -> tuple[Any, Path, str, int]:
    """The mutant's kernel function, the mutated file's path, its text and the mutated line.

    The mutation goes into the kernel file, or into ``spec["file"]``, a module of the kernel's
    package it imports (e.g. indexer_score for the indexer): that module is loaded from the
    mutated copy and stands in for the original while the kernel file is loaded.
    """
    case_module, kernel_name, _ = KERNELS[spec["kernel"]]
    if spec["config"].get("cache_format", "c16") != "c16":  # the config's entry point
        kernel_name = kernel_name.replace("_c16", f"_{spec['config']['cache_format']}")
    kernel_file = Path(case_module.KERNEL_FILE)
    target = spec.get("file", kernel_file.stem)
    source = kernel_file.with_name(f"{target}.py").read_text()
    mutated, line = mutate(source, spec, fixture, target)
    path = tmp_path / f"{target}.py"
    path.write_text(mutated)
    if target == kernel_file.stem:
        return getattr(plsim.load(path), kernel_name), path, mutated, line
    # The kernel imports its sibling by its package's dotted name (models.deepseek_v4.kernels).
    package = ".".join(kernel_file.resolve().parent.relative_to(ROOT).parts)
    monkeypatch.setitem(sys.modules, f"{package}.{target}", plsim.load(path))
    return getattr(plsim.load(kernel_file), kernel_name), path, mutated, line


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_mutant_is_caught_at_the_mutated_line(fixture, tmp_path, request, monkeypatch):
    spec = load_spec(fixture)
    if spec.get("xfail"):  # only while an issue to the plsim owner is open
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"waiting on {spec['xfail']}"))
    kernel, path, mutated, line = load_mutant(spec, fixture.name, tmp_path, monkeypatch)
    _, inputs = case_inputs(spec["kernel"], tuple(sorted(spec["config"].items())))
    with pytest.raises(plsim.SimError) as err:
        plsim.run(kernel, **copy_values(inputs))
    message = str(err.value)
    assert isinstance(err.value, DETECTORS[spec["expect"]]), (
        f"{fixture.name}: expected {spec['expect']}, got {type(err.value).__name__}: {message}"
    )
    span = statement_span(mutated, line)
    named = [int(n) for n in re.findall(rf"{re.escape(path.name)}:(\d+)", message)]
    assert any(n in span for n in named), (
        f"{fixture.name}: the message should point at {path.name}:{line} "
        f"(statement lines {span.start}..{span.stop - 1}): {message}"
    )
    for text in spec["message_contains"]:
        assert text in message, (fixture.name, text, message)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_unmutated_kernel_passes_the_mutant_configuration(fixture):
    spec = load_spec(fixture)
    _, _, case_name = KERNELS[spec["kernel"]]
    config, _ = case_inputs(spec["kernel"], tuple(sorted(spec["config"].items())))
    assert run_case(registry.get_case(case_name), config).passed, fixture.name
