"""Every kernel in the repository compiles with the real pypto compiler (parse, passes, codegen).

Skips where the compiler is absent (a fresh user's machine: README's commands work without it).
The default run compiles a spread of configurations of both product kernels (mixed serving
batches, c16 and c8), the toy kernel and README's example; ``PYPTO_COMPILE_MATRIX=full`` compiles
the whole matrix (the indexer with and without scores and the compressor x DEMO/FLASH/PRO x
batch 1/5/16/64/128 x seq 1..4 x c16/c8).
"""

from __future__ import annotations

import os

import pytest
from compile.compile_matrix import compile_config, full_matrix

from golden.compiler import (
    COMPILER_INSTALL,
    compile_kernel,
    compiler_available,
    scalar_arg,
    tensor_arg,
)

pytestmark = pytest.mark.skipif(
    not compiler_available(),
    reason=f"the real pypto compiler is not installed; install {COMPILER_INSTALL}",
)

SPREAD = [
    ("deepseek_v4.indexer", "DEMO", 1, 1, "c16", False),
    ("deepseek_v4.indexer", "FLASH", 16, 2, "c8", False),
    ("deepseek_v4.indexer", "FLASH", 16, 2, "c16", False),
    ("deepseek_v4.indexer", "DEMO", 128, 4, "c8", False),
    ("deepseek_v4.indexer", "FLASH", 16, 2, "c8", True),
    ("deepseek_v4.indexer", "PRO", 5, 4, "c16", True),
    ("deepseek_v4.indexer_compressor", "DEMO", 1, 1, "c8", False),
    ("deepseek_v4.indexer_compressor", "PRO", 16, 4, "c16", False),
    ("deepseek_v4.indexer_compressor", "FLASH", 128, 2, "c8", False),
]
MATRIX = full_matrix() if os.environ.get("PYPTO_COMPILE_MATRIX") == "full" else SPREAD


def _describe(result) -> str:
    return f"{result.error_type}: {result.error[:800]} at {result.location}"


@pytest.mark.parametrize(("case", "preset", "batch", "seq", "cache_format", "topk_only"), MATRIX)
def test_product_kernel_compiles(case, preset, batch, seq, cache_format, topk_only):
    result = compile_config(case, preset, batch, seq, cache_format, topk_only)
    assert result.compiled, _describe(result)
    assert result.kernels["aic"] and result.kernels["aiv"], result.kernels


def test_readme_example_kernel_compiles():
    """README's plsim example kernel (golden/toy/toy_kernel.py) with README's shapes."""
    result = compile_kernel(
        "golden/toy/toy_kernel.py",
        "scale_matmul",
        [
            tensor_arg("x", (32, 64), "bfloat16"),
            tensor_arg("w", (64, 32), "bfloat16"),
            tensor_arg("out", (32, 32), "float32"),
            tensor_arg("out_bf16", (32, 32), "bfloat16"),
            scalar_arg("row_tiles", 2),
        ],
    )
    assert result.compiled, _describe(result)


def test_a_rejected_kernel_names_its_line(tmp_path):
    """The verdict can fail: a kernel the compiler rejects comes back rejected with its line."""
    kernel = tmp_path / "bad_kernel.py"
    kernel.write_text(
        "import pypto.language as pl\n\n\n"
        "@pl.jit\n"
        "def bad(x: pl.Tensor, out: pl.Out[pl.Tensor]):\n"
        "    with pl.at(level=pl.Level.CORE_GROUP, name_hint='s'):\n"
        "        t = x[0:16, 0:64]\n"
        "        t += t\n"
        "        out[0:16, 0:64] = t\n"
        "    return out\n"
    )
    result = compile_kernel(
        kernel,
        "bad",
        [tensor_arg("x", (16, 64), "float32"), tensor_arg("out", (16, 64), "float32")],
    )
    assert not result.compiled
    assert result.error
    assert "bad_kernel.py:8" in result.location or "bad_kernel.py:8" in result.error
