"""Candidate shared tile helpers for the c16/c8 twins (tests/compile/kernels/tile_chain_kernels.py,
whose docstring gives each verdict): each computes the policy's numbers on plsim; with the real
toolchain (skipped, with the reason, where it is not installed) the row-quant helper on a GM
window builds through pypto, ptoas and the kernel wrapper, and a helper taking a computed tile
is refused by pypto's JIT, which is why the c16/c8 score stages stay twins in lockstep
(tests/models/test_format_twins.py). The refusal test fails once pypto accepts the form: then
the twins can share the chains."""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from golden.compiler import (
    COMPILER_INSTALL,
    CompileRequest,
    compile_many,
    compiler_available,
    tensor_arg,
)
from models.deepseek_v4.reference.quant import quantize_rows

FIXTURE = Path(__file__).with_name("kernels") / "tile_chain_kernels.py"
ARGS = {
    "quant_rows": [tensor_arg("x", [32, 128], "bfloat16"), tensor_arg("valid", [1], "int32"),
                   tensor_arg("codes", [32, 128], "int8"),
                   tensor_arg("dequant", [32, 1], "float32")],
    "merge_chunks": [tensor_arg("scores", [2, 512], "float32"),
                     tensor_arg("best_out", [1, 64], "float32")],
    "quant_rows_computed_extent": [tensor_arg("x", [32, 128], "bfloat16"),
                                   tensor_arg("codes", [32, 128], "int8"),
                                   tensor_arg("dequant", [32, 1], "float32")],
}  # fmt: skip


def _module():
    import plsim

    return plsim.load(str(FIXTURE))


def test_quant_rows_helper_is_the_policy_on_plsim():
    import plsim

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((32, 128)) * 3).astype(ml_dtypes.bfloat16)
    x[3] = 0  # an all-zero row: the 1e-4 floor
    codes = np.zeros((32, 128), np.int8)
    dequant = np.zeros((32, 1), np.float32)
    plsim.run(_module().quant_rows, x, np.array([32], np.int32), codes, dequant)
    want_codes, want_scale = quantize_rows(x.astype(np.float32))
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(dequant.ravel(), np.asarray(want_scale).ravel())


def test_merge_helper_keeps_the_best_scores_smaller_index_first_on_plsim():
    import plsim

    rng = np.random.default_rng(1)
    scores = rng.integers(0, 50, (2, 512)).astype(np.float32)  # many ties
    best = np.zeros((1, 64), np.float32)
    plsim.run(_module().merge_chunks, scores, best)
    flat = scores.ravel()
    order = np.lexsort((np.arange(flat.size), -flat))[:32]  # descending, smaller index first
    np.testing.assert_array_equal(best[0, 0::2], flat[order])
    np.testing.assert_array_equal(best[0, 1::2].view(np.uint32), order.astype(np.uint32))


NO_COMPILER = f"the real pypto compiler is not installed; install {COMPILER_INSTALL}"


@pytest.mark.skipif(not compiler_available(), reason=NO_COMPILER)
@pytest.mark.parametrize("kernel", ["quant_rows", "quant_rows_computed_extent"])
def test_row_quant_helper_on_a_gm_window_builds_with_the_real_toolchain(kernel):
    """Both build; the second only because the JIT types the helper from the parent's extent
    (the fixture's docstring), which is why no product stage relies on it."""
    (result,) = compile_many([CompileRequest(FIXTURE, kernel, ARGS[kernel])])
    assert result.compiled, f"[{result.stage}] {result.error[:800]} at {result.location}"


@pytest.mark.skipif(not compiler_available(), reason=NO_COMPILER)
def test_helper_taking_a_computed_tile_is_refused_by_the_real_compiler():
    (result,) = compile_many([CompileRequest(FIXTURE, "merge_chunks", ARGS["merge_chunks"])])
    assert not result.compiled
    assert "missing inferred tensor metadata for parameter 'best_row'" in result.error
