"""Every product entry point builds with the real pypto toolchain, for a2a3 and a5.

With ptoas installed a build is pypto (parse, passes, code generation), ptoas and the kernel
wrapper; without it, pypto only (the result says so). Skips where the compiler is absent (a
fresh user's machine: README's commands work without it). The default run builds a spread: all
ten entry points (decode indexer with and without scores, c16/c8; compressor c16/c8; both
prefill kernels c16/c8) for both targets, plus a spread of decode presets and batches for a2a3,
all in one child process per target. ``PYPTO_COMPILE_MATRIX=full`` builds the whole matrix
(tests/compile/compile_matrix.py; docs/running.md gives its size and time).
"""

from __future__ import annotations

import os

import pytest
from compile.compile_matrix import (
    TARGETS,
    full_matrix,
    full_prefill_matrix,
    prefill_request,
    shape_request,
)

from golden.compiler import (
    COMPILER_INSTALL,
    compile_kernel,
    compile_many,
    compiler_available,
    scalar_arg,
    tensor_arg,
)

pytestmark = pytest.mark.skipif(
    not compiler_available(),
    reason=f"the real pypto compiler is not installed; install {COMPILER_INSTALL}",
)

DECODE_SPREAD = [
    ("a2a3", "deepseek_v4.indexer", "DEMO", 1, 1, "c16", False),
    ("a2a3", "deepseek_v4.indexer", "FLASH", 16, 2, "c8", False),
    ("a2a3", "deepseek_v4.indexer", "FLASH", 16, 2, "c16", False),
    ("a2a3", "deepseek_v4.indexer", "DEMO", 128, 4, "c8", False),
    ("a2a3", "deepseek_v4.indexer", "FLASH", 16, 2, "c8", True),
    ("a2a3", "deepseek_v4.indexer", "PRO", 5, 4, "c16", True),
    ("a2a3", "deepseek_v4.indexer_compressor", "DEMO", 1, 1, "c8", False),
    ("a2a3", "deepseek_v4.indexer_compressor", "PRO", 16, 4, "c16", False),
    ("a2a3", "deepseek_v4.indexer_compressor", "FLASH", 128, 2, "c8", False),
    *[("a5", case, "DEMO", 5, 4, fmt, topk)
      for case, topk in (("deepseek_v4.indexer", False), ("deepseek_v4.indexer", True),
                         ("deepseek_v4.indexer_compressor", False))
      for fmt in ("c16", "c8")],
]  # fmt: skip
PREFILL_SPREAD = [
    (target, case, "DEMO", "5,40", "0,1001", fmt)
    for target in TARGETS
    for case in ("deepseek_v4.indexer_prefill", "deepseek_v4.indexer_compressor_prefill")
    for fmt in ("c16", "c8")
]
if os.environ.get("PYPTO_COMPILE_MATRIX") == "full":
    DECODE_SPREAD = [(t, *row) for t in TARGETS for row in full_matrix()]
    PREFILL_SPREAD = [(t, *row) for t in TARGETS for row in full_prefill_matrix()]
DECODE_IDS = ["-".join(str(v) for v in row).replace("deepseek_v4.", "") for row in DECODE_SPREAD]
PREFILL_IDS = ["-".join(row).replace("deepseek_v4.", "") for row in PREFILL_SPREAD]


@pytest.fixture(scope="module")
def built():
    """Every configuration of the spread, built in one child process per target."""
    requests = [shape_request(*row[1:], platform=row[0]) for row in DECODE_SPREAD]
    requests += [prefill_request(*row[1:], platform=row[0]) for row in PREFILL_SPREAD]
    results = compile_many(requests)
    return dict(zip([*DECODE_IDS, *PREFILL_IDS], results))


def _describe(result) -> str:
    return f"[{result.stage}] {result.error_type}: {result.error[:800]} at {result.location}"


@pytest.mark.parametrize("row", DECODE_IDS)
def test_decode_entry_point_builds(built, row):
    result = built[row]
    assert result.compiled, _describe(result)
    assert result.kernels["aic"] and result.kernels["aiv"], result.kernels


@pytest.mark.parametrize("row", PREFILL_IDS)
def test_prefill_entry_point_builds(built, row):
    result = built[row]
    assert result.compiled, _describe(result)
    assert result.kernels["aic"] or result.kernels["aiv"], result.kernels


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
