"""golden.compiler.compile_many: one child process for many compiles, results in request order,
a crashed worker costs only the entry it was compiling."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden.compiler import (
    COMPILER_INSTALL,
    CompileRequest,
    compile_many,
    compiler_available,
    tensor_arg,
)

KERNELS = Path(__file__).parent / "kernels"
ARGS = [tensor_arg("x", [16, 64], "float32"), tensor_arg("out", [16, 64], "float32")]

needs_compiler = pytest.mark.skipif(
    not compiler_available(),
    reason=f"the real pypto compiler is not installed; install {COMPILER_INSTALL}",
)


def test_unknown_platform_is_refused_before_anything_runs():
    request = CompileRequest(KERNELS / "rejected_kernels.py", "parallel_in_core", ARGS, "a3")
    with pytest.raises(ValueError, match="platform: got 'a3'"):
        compile_many([request])


@needs_compiler
def test_results_keep_request_order_and_survive_a_crashed_worker(tmp_path):
    crashing = tmp_path / "crashing_kernel.py"
    crashing.write_text("import os\n\nos._exit(3)\n")  # kills the worker at import
    requests = [
        CompileRequest(KERNELS / "rejected_kernels.py", "parallel_in_core", ARGS),
        CompileRequest(crashing, "anything", ARGS),
        CompileRequest(KERNELS / "rejected_kernels.py", "augmented_assignment", ARGS),
        CompileRequest(KERNELS / "rejected_kernels.py", "parallel_in_core", ARGS),
    ]
    results = compile_many(requests)
    assert [r.compiled for r in results] == [True, False, False, True]
    assert results[1].error_type == "CrashedWorker"
    assert "exited 3" in results[1].error
    assert "AugAssign" in results[2].error
    assert results[3].kernels["aiv"], results[3]
