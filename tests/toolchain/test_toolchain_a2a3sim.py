"""Every product entry point on pypto's a2a3sim: its golden, and agreement with plsim on the
same inputs (integer outputs bit-identical, float outputs within golden/crosscheck.py's bound).

Marked ``a2a3sim``: not in the default selection (each case costs 20-100 s of C++ compile);
run them with ``python -m pytest -m a2a3sim`` (.ci/run does, as its second step). Skipped, with
what to install, where the toolchain is absent. The larger configurations are also ``slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from golden import compiler, crosscheck, toolchain
from golden.case import Case, CaseConfig
from golden.compare import exact
from golden.registry import get_case
from golden.runner import run_case
from golden.spec import TensorSpec

ROOT = Path(__file__).resolve().parents[2]
_MISSING = compiler._missing_reason() or toolchain.simulator_missing_reason()
pytestmark = [
    pytest.mark.a2a3sim,
    pytest.mark.skipif(
        _MISSING is not None,
        reason=f"needs pypto's a2a3sim ({_MISSING}); install {compiler.COMPILER_INSTALL} and "
        f"{toolchain.TOOLCHAIN_INSTALL}",
    ),
]

#: A mixed decode batch: long, block-boundary, short and padded requests, S = 4 tokens, blocks
#: of 48 rows (so a block boundary falls inside the step).
DECODE = {"mixed": True, "batch": 5, "seq": 4, "block_size": 48}
#: The same mix at 12 tokens: a step of at most 32 tokens takes qr_proj in K parts
#: (qr_proj_parts + qr_dequant_rope), larger ones the fused qr_proj and qr_rope
#: (kernels/decode_indexer.py; the prefill chunk of 45 tokens below runs the fused form).
DECODE_SMALL = {"mixed": True, "batch": 4, "seq": 3, "block_size": 48}
#: A serving step of 2 tokens per request on 32-row blocks: the c8 top-k-only entry scores it on
#: both AIVs of each core group (kernels/score_lanes.py).
DECODE_PAIR = {"mixed": True, "batch": 4, "seq": 2}
#: A plain decode step of 1 token per request on 32-row blocks: the c8 top-k-only entry scores
#: two groups of cache rows per core group, one on each AIV (kernels/score_pairs.py).
DECODE_ONE = {"mixed": True, "batch": 5, "seq": 1}
#: A step of 4 tokens per request on 32-row blocks: the c8 top-k-only entry scores it on both
#: AIVs, two tokens on each (kernels/score_lanes.py).
DECODE_FOUR = {"mixed": True, "batch": 3, "seq": 4}
#: A packed prefill chunk: a fresh 5-token prompt and a 40-token one after a 1001-token prefix.
PREFILL = {"prompt_lens": "5,40", "prefix_lens": "0,1001"}
#: The indexer's prefill chunk: three requests, two with a prefix (c16); c8 takes PREFILL's
#: 1001-token prefix (at da05d2a a2a3sim's scores of a few cells there were outside the
#: golden's tolerance: q-code flips from the FP32 accumulation order, which the score
#: comparison's one-step slack now covers; docs/indexer.md). Both mix top-k offsets: the fresh
#: prompt's rows offset by its length (9, 5), the others by the window.
INDEXER_PREFILL = {"prompt_lens": "9,7,13", "prefix_lens": "0,5,40"}

#: (entry point, case, configuration): every product kernel the cases can run.
ENTRY_POINTS = [
    ("indexer_c16", "deepseek_v4.indexer", DECODE),
    ("indexer_c8", "deepseek_v4.indexer", {**DECODE, "cache_format": "c8"}),
    ("indexer_topk_c16", "deepseek_v4.indexer", {**DECODE_SMALL, "topk_only": True}),
    ("indexer_topk_c8", "deepseek_v4.indexer",
     {**DECODE_SMALL, "topk_only": True, "cache_format": "c8"}),
    ("indexer_topk_c8", "deepseek_v4.indexer",
     {**DECODE_PAIR, "topk_only": True, "cache_format": "c8"}),
    ("indexer_topk_c8", "deepseek_v4.indexer",
     {**DECODE_ONE, "topk_only": True, "cache_format": "c8"}),
    ("indexer_topk_c8", "deepseek_v4.indexer",
     {**DECODE_FOUR, "topk_only": True, "cache_format": "c8"}),
    ("indexer_compressor_c16", "deepseek_v4.indexer_compressor", DECODE),
    ("indexer_compressor_c8", "deepseek_v4.indexer_compressor", {**DECODE, "cache_format": "c8"}),
    ("indexer_prefill_c16", "deepseek_v4.indexer_prefill", INDEXER_PREFILL),
    ("indexer_prefill_c8", "deepseek_v4.indexer_prefill", {**PREFILL, "cache_format": "c8"}),
    ("indexer_compressor_prefill_c16", "deepseek_v4.indexer_compressor_prefill", PREFILL),
    ("indexer_compressor_prefill_c8", "deepseek_v4.indexer_compressor_prefill",
     {**PREFILL, "cache_format": "c8"}),
]  # fmt: skip
#: Larger configurations, also marked slow.
LARGER = [
    ("indexer_c8", "deepseek_v4.indexer",
     {"preset": "FLASH", "mixed": True, "batch": 16, "seq": 2, "cache_format": "c8"}),
    ("indexer_compressor_c16", "deepseek_v4.indexer_compressor",
     {"mixed": True, "batch": 16, "seq": 4, "block_size": 64}),
    ("indexer_compressor_prefill_c8", "deepseek_v4.indexer_compressor_prefill",
     {"prompt_lens": "1,7,130", "prefix_lens": "0,1000,37", "cache_format": "c8"}),
]  # fmt: skip


def _check(entry: str, case_name: str, config: dict) -> None:
    case = get_case(case_name)
    resolved = case.resolve_config(CaseConfig(**config))
    assert case.kernel_for(resolved) == entry  # the configuration reaches this entry point
    check = crosscheck.cross_check(case, resolved, "a2a3sim")
    text = crosscheck.render_text(check)
    assert check.plsim.passed, text
    assert check.other.error is None, text
    assert check.other.passed, text
    assert check.agrees, text


def _entry_id(entry: str, config: dict) -> str:
    """The test id: the entry point, plus which two-AIV score stage a c8 top-k-only step on
    32-row blocks takes."""
    if entry != "indexer_topk_c8" or "block_size" in config:
        return entry
    return entry + {1: "-two_aiv_groups", 2: "-two_aiv", 4: "-two_aiv_four_tokens"}[config["seq"]]


@pytest.mark.parametrize(("entry", "case_name", "config"), ENTRY_POINTS,
                         ids=[_entry_id(e[0], e[2]) for e in ENTRY_POINTS])  # fmt: skip
def test_entry_point_on_a2a3sim_passes_and_agrees_with_plsim(entry, case_name, config):
    _check(entry, case_name, config)


@pytest.mark.slow
@pytest.mark.parametrize(("entry", "case_name", "config"), LARGER,
                         ids=[f"{e[0]}-larger" for e in LARGER])  # fmt: skip
def test_larger_configuration_on_a2a3sim(entry, case_name, config):
    _check(entry, case_name, config)


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run.py"), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=1200)  # fmt: skip


def test_run_json_is_one_document_and_leaves_no_build_in_the_cwd(tmp_path):
    proc = _run_cli("toy.scale_matmul", "-p", "a2a3sim", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)  # the runtime's [TIMING]/[STRACE] lines are not in it
    assert report["passed"] and report["platform"] == "a2a3sim"
    assert "[STRACE]" not in proc.stdout + proc.stderr and "[TIMING]" not in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_build_dir_keeps_the_build_and_its_log(tmp_path):
    keep = tmp_path / "builds"
    proc = _run_cli("toy.scale_matmul", "-p", "a5sim", "--build-dir", str(keep), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (folder,) = keep.iterdir()
    assert (folder / "pypto_run.log").is_file()
    assert len(list(folder.glob("_jit_scale_matmul_*/kernel_config.py"))) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["builds"]


def test_a_kernel_the_build_rejects_fails_the_run_naming_stage_and_line():
    """A run of a kernel ptoas rejects is a failed run whose error names ptoas and the line."""
    kernel = ROOT / "tests" / "toolchain" / "kernels" / "stage_kernels.py"
    line = next(n for n, t in enumerate(kernel.read_text().splitlines(), 1) if "# @mm8" in t)
    specs = [
        TensorSpec("x", (8, 64), "bfloat16", init=1.0),
        TensorSpec("w", (64, 32), "bfloat16", init=1.0),
        TensorSpec("out", (8, 32), "float32", is_output=True),
    ]
    case = Case(
        name="fixture.matmul_eight_rows", description="rejected by ptoas",
        kernel_file=kernel, kernel_name="matmul_eight_rows",
        resolve_config=lambda config: config, make_specs=lambda config: specs,
        golden=lambda inputs, config: {"out": np.full((8, 32), 64.0, np.float32)},
        comparisons=lambda config: {"out": exact()},
    )  # fmt: skip
    report = run_case(case, CaseConfig(), "a2a3sim")
    assert not report.passed
    assert f"rejected by ptoas at {kernel}:{line}" in report.error
