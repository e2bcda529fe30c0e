"""pypto's whole build through golden.compiler: each stage rejects its fixture kernel and the
rejection names that stage and, where the message has one, the kernel's line.

Needs the compiler and ptoas (the C++ stage also the simulator); skipped otherwise, with what
to install.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from golden import builds, compiler, toolchain
from golden.compiler import CompileRequest, compile_many, scalar_arg, tensor_arg

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "golden" / "toy" / "toy_kernel.py"
KERNELS = Path(__file__).parent / "kernels"
STAGES = KERNELS / "stage_kernels.py"
ROWS = [tensor_arg("x", [16, 64], "float32"), tensor_arg("out", [16, 64], "float32")]
MATMUL = [tensor_arg("x", [8, 64], "bfloat16"), tensor_arg("w", [64, 32], "bfloat16"),
          tensor_arg("out", [8, 32], "float32")]  # fmt: skip

pytestmark = pytest.mark.skipif(
    not compiler.compiler_available() or toolchain.ptoas_missing_reason() is not None,
    reason=f"needs the pypto compiler and ptoas; install {compiler.COMPILER_INSTALL} and "
    f"{toolchain.TOOLCHAIN_INSTALL}",
)
needs_simulator = pytest.mark.skipif(
    not toolchain.simulator_available(),
    reason=f"needs the simulator's C++ toolchain; install {toolchain.TOOLCHAIN_INSTALL}",
)


def _tagged_line(tag: str) -> str:
    for number, text in enumerate(STAGES.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# @{tag}"):
            return f"{STAGES}:{number}"
    raise AssertionError(f"no line tagged @{tag}")


@pytest.fixture(scope="module")
def results():
    """The four fixtures of the pypto, ptoas and wrapper stages, built in one child process."""
    requests = [
        CompileRequest(STAGES, "augmented_assignment", ROWS),
        CompileRequest(STAGES, "matmul_eight_rows", MATMUL),
        CompileRequest(STAGES, "row_count_as_product", ROWS),
        CompileRequest(STAGES, "row_exp", ROWS),
    ]
    return dict(zip([r.kernel_name for r in requests], compile_many(requests)))


def test_every_stage_runs_when_ptoas_is_there(results):
    good = results["row_exp"]
    assert good.compiled and good.stage == "" and not good.skipped
    assert good.stages == ["pypto", "ptoas", "kernel wrapper"]
    assert good.kernels["aiv"] == ["exp_rows"]


def test_pypto_rejection_names_its_line(results):
    result = results["augmented_assignment"]
    assert not result.compiled and result.stage == "pypto"
    assert result.location == _tagged_line("aug") and "AugAssign" in result.error


def test_ptoas_rejection_names_the_kernel_line(results):
    result = results["matmul_eight_rows"]
    assert not result.compiled and result.stage == "ptoas"
    assert result.location == _tagged_line("mm8")
    assert [f.function for f in result.failures] == ["mm8"]
    assert "multiple of innerRows (16), but got 8" in result.error


def test_wrapper_rejection_names_the_function(results):
    result = results["row_count_as_product"]
    assert not result.compiled and result.stage == "kernel wrapper"
    assert result.failures[0].function == "exp_into"
    assert "Cannot recover dynamic dimension" in result.error


def test_without_ptoas_the_build_stops_after_pypto_and_says_so():
    result = compiler.compile_kernel(STAGES, "matmul_eight_rows", MATMUL, ptoas=False)
    assert result.compiled and result.stages == ["pypto"] and result.skipped == "not requested"


def _toy(rows: int) -> CompileRequest:
    args = [
        tensor_arg("x", [rows, 64], "bfloat16"),
        tensor_arg("w", [64, 32], "bfloat16"),
        tensor_arg("out", [rows, 32], "float32"),
        tensor_arg("out_bf16", [rows, 32], "bfloat16"),
        scalar_arg("row_tiles", rows // 16),
    ]
    return CompileRequest(TOY, "scale_matmul", args)


def test_builds_of_one_kernel_in_one_second_keep_separate_folders(tmp_path):
    """pypto names a build <kernel>_<time to the second>; two specializations of one kernel
    built back to back in one process each keep their own folder."""
    with builds.kept_in(tmp_path):
        twice = compile_many([_toy(32), _toy(48)])
    folders = {Path(r.output_dir) for r in twice}
    assert len(folders) == 2 and all((f / "kernel_config.py").is_file() for f in folders)
    assert {f.parent.parent for f in folders} == {tmp_path.resolve()}


@needs_simulator
def test_cxx_rejection_names_the_generated_kernel():
    result = compiler.compile_kernel(STAGES, "row_vector_add", ROWS, sim_compile=True)
    assert not result.compiled and result.stage == "C++ compile"
    assert result.stages[-1] == "C++ compile"
    assert result.failures[0].function == "bcast"
    assert "no matching function for call to 'TADD_IMPL'" in result.error
