"""``run.py --compile-only``: verdict, kernels, perf hints, errors and exit codes.

The compiler runs in a child process (golden.compiler); this process never imports the real
pypto. Tests that need the compiler skip when it is not installed (a fresh user's machine).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from golden import compiler, registry
from golden.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "rejected_scale_matmul.py"
needs_compiler = pytest.mark.skipif(
    not compiler.compiler_available(),
    reason=f"the real pypto compiler is not installed ({compiler._missing_reason()})",
)


def test_absent_compiler_exits_2_naming_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(compiler, "_missing_reason", lambda: "pypto is not installed")
    status = main(["toy.scale_matmul", "--compile-only"])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "pypto is not installed" in lines[0] and compiler.COMPILER_INSTALL in lines[0]


@pytest.mark.parametrize("option", [["--save-data", "d"], ["--replay", "d"], ["--trace", "t"]])
def test_compile_only_refuses_run_options(capsys, option):
    assert main(["toy.scale_matmul", "--compile-only", *option]) == 2
    err = capsys.readouterr().err
    assert option[0] in err and "--compile-only" in err


def test_bad_configuration_is_refused_before_compiling(monkeypatch, capsys):
    def never(*args, **kwargs):
        raise AssertionError("compile_kernel must not be called")

    monkeypatch.setattr(compiler, "compile_kernel", never)
    assert main(["toy.scale_matmul", "--compile-only", "--batch", "99"]) == 2
    assert "--batch" in capsys.readouterr().err


@needs_compiler
def test_toy_compiles_with_kernels_and_hints(capsys):
    status = main(["toy.scale_matmul", "--compile-only", "--json", "--batch", "2"])
    obj = json.loads(capsys.readouterr().out)
    assert status == 0 and obj["compiled"] is True and obj["target"] == "a2a3"
    # One cube stage (matmul) and one vector stage (row_scale) in toy_kernel.py.
    assert obj["kernels"] == {"aic": ["matmul"], "aiv": ["row_scale"], "mixed": []}
    assert obj["error"] is None and obj["seconds"] > 0
    assert sum(obj["hint_counts"].values()) == len(obj["perf_hints"])
    for hint in obj["perf_hints"]:
        assert hint["code"].startswith("PH")
        assert "toy_kernel.py:" in hint["location"]


@needs_compiler
def test_toy_text_report_for_a5(capsys):
    assert main(["toy.scale_matmul", "--compile-only", "-p", "a5"]) == 0
    out = capsys.readouterr().out
    assert "compile toy.scale_matmul for a5" in out
    assert "kernels: AIC 1, AIV 1, mixed 0" in out and "RESULT: COMPILED" in out


@needs_compiler
def test_rejected_kernel_exits_1_with_file_and_line(monkeypatch, capsys):
    toy = registry.get_case("toy.scale_matmul")
    rejected = dataclasses.replace(toy, name="fixture.rejected", kernel_file=FIXTURE)
    monkeypatch.setattr(registry, "get_case", lambda name: rejected)
    status = main(["fixture.rejected", "--compile-only"])
    out = capsys.readouterr().out
    assert status == 1
    # The fixture's plain `range` loop is on line 21.
    assert f"error at {FIXTURE}:21 [pypto]: ParserSyntaxError" in out
    assert "RESULT: REJECTED" in out
    status = main(["fixture.rejected", "--compile-only", "--json"])
    obj = json.loads(capsys.readouterr().out)
    assert status == 1 and obj["compiled"] is False
    assert obj["location"] == f"{FIXTURE}:21" and obj["kernels"] == {
        "aic": [],
        "aiv": [],
        "mixed": [],
    }


def _never(*args, **kwargs):
    raise AssertionError("must not be called")


def test_oversized_compile_is_refused_from_shapes_before_any_data(monkeypatch, capsys):
    """--compile-only sizes the compile from the case's shapes: an address space the
    parameters cannot get is refused (exit 2, one line, the case's own options) before the
    compiler or any input generation runs."""
    from golden import memory

    case = registry.get_case("deepseek_v4.indexer_compressor")
    monkeypatch.setattr(compiler, "_missing_reason", lambda: None)
    monkeypatch.setattr(case, "make_specs", _never)
    monkeypatch.setattr(compiler, "compile_many", _never)
    monkeypatch.setattr(memory, "allocatable_bytes", lambda: 4 * 2**30)
    status = main(["deepseek_v4.indexer_compressor", "--compile-only", "--preset", "FLASH",
                   "--batch", "127", "--block-size", "16", "--max-seq-len", "1048576"])  # fmt: skip
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "4.00 GiB this process may allocate" in lines[0]
    assert "choose a smaller --batch or --max-seq-len" in lines[0]


@needs_compiler
def test_compile_uses_shapes_not_generated_inputs(monkeypatch, capsys):
    case = registry.get_case("deepseek_v4.indexer_compressor")
    monkeypatch.setattr(case, "make_specs", _never)
    assert main(["deepseek_v4.indexer_compressor", "--compile-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["compiled"] is True


@needs_compiler
def test_failure_before_the_compiler_runs_is_exit_2_not_a_rejection(monkeypatch, capsys):
    """A compiler process that fails while it builds the kernel's sample tensors never asked
    the compiler anything: exit 2 with one line, not exit 1 ("rejected")."""
    from golden import compile_only

    def unbuildable(case, config):
        return [compiler.tensor_arg("x", [16, 64], "complex128")]  # no torch sample for it

    monkeypatch.setattr(compile_only, "compile_args", unbuildable)
    status = main(["toy.scale_matmul", "--compile-only", "--json"])  # --json: no progress lines
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "failed before building scale_matmul" in lines[0] and "complex128" in lines[0]
