"""End to end through `python scripts/run.py` with the real plsim platform (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from report_contract import FLOOR_KEYS, STAGE_KEYS, TOP_KEYS

from golden import compiler

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "run.py"


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_functional_only_reports_no_counts_and_the_same_verdict(tmp_path):
    proc = run_cli("toy.scale_matmul", "--json", "--batch", "2", "--functional-only")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert set(obj) == TOP_KEYS
    assert obj["passed"] is True and obj["counted"] is False
    assert obj["stages"] is None and obj["traffic"] is None
    assert obj["modeled_us"] is None and obj["floor"] is None
    text = run_cli("toy.scale_matmul", "--functional-only")
    assert text.returncode == 0, text.stderr
    assert "counts: not collected" in text.stdout and "stages (modeled" not in text.stdout


def test_toy_passes_on_plsim_with_exact_json_schema(tmp_path):
    # Run from an unrelated directory: the script must find the repo by itself.
    trace = tmp_path / "not_yet" / "trace.json"  # a missing parent is created
    proc = run_cli(
        "toy.scale_matmul", "--json", "--batch", "2", "--trace", str(trace), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert set(obj) == TOP_KEYS
    assert obj["passed"] is True and obj["error"] is None
    assert set(obj["config"]) == {
        "preset",
        "batch",
        "seq",
        "start_pos",
        "max_seq_len",
        "seed",
        "cache_format",
        "block_size",
        "mixed",
        "prompt_lens",
        "prefix_lens",
        "topk_only",
    }
    assert set(obj["outputs"]) == {"out", "out_bf16"}
    for verdict in obj["outputs"].values():
        assert verdict["passed"] is True
        assert "error_distribution" in verdict
    assert obj["outputs"]["out"]["mismatches"] == 0
    assert [s["name"] for s in obj["stages"]] == ["matmul", "row_scale"]
    for stage in obj["stages"]:
        assert set(stage) == STAGE_KEYS
        assert stage["tasks"] == 2  # batch 2 -> 32 rows -> two 16-row tiles per stage
    matmul, row_scale = obj["stages"]
    assert matmul["cube_macs"] == 32 * 64 * 32
    # per task, whole-row windows (one contiguous run each): matmul loads x and w and stores
    # out; row_scale loads x and out and stores out and out_bf16; each pl.at entry a dispatch
    assert (matmul["gm_transfers"], matmul["gm_segments"], matmul["launches"]) == (6, 6, 2)
    assert (row_scale["gm_transfers"], row_scale["gm_segments"]) == (8, 8)
    floor = obj["floor"]
    assert set(floor) == FLOOR_KEYS
    gm_us = obj["traffic"]["compulsory_bytes"] / 1.6e12 * 1e6
    cube_us = 32 * 64 * 32 / (24 * 4096 * 1.8e9) * 1e6  # BF16: half the INT8 rate
    assert floor["gm_floor_us"] == pytest.approx(gm_us)
    assert floor["cube_floor_us"] == pytest.approx(cube_us)
    assert floor["floor_us"] == pytest.approx(max(gm_us, cube_us))
    assert floor["modeled_over_floor"] == pytest.approx(obj["modeled_us"] / max(gm_us, cube_us))
    assert set(obj["traffic"]) == {"gm_bytes", "compulsory_bytes", "ratio"}
    assert obj["traffic"]["gm_bytes"] >= obj["traffic"]["compulsory_bytes"] > 0
    assert obj["wall_s"]["kernel"] > 0 and obj["wall_s"]["golden"] > 0
    assert "rel_l2_vs_float64" in obj["quality"]
    assert isinstance(json.loads(trace.read_text()), dict)


def test_deliberately_wrong_golden_exits_1():
    proc = run_cli("toy.scale_matmul_wrong_golden")
    assert proc.returncode == 1, proc.stderr
    assert "FAIL" in proc.stdout and "stage" in proc.stdout


def test_human_report_and_save_replay(tmp_path):
    saved = tmp_path / "saved"
    proc = run_cli("toy.scale_matmul", "--seed", "3", "--save-data", str(saved))
    assert proc.returncode == 0, proc.stderr
    for fragment in ("PASS  out", "matmul", "row_scale", "traffic: GM", "wall: inputs"):
        assert fragment in proc.stdout
    replay = run_cli("toy.scale_matmul", "--replay", str(saved), "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["config"]["seed"] == 3


def test_usage_errors_exit_2():
    cases = [(("nope",), "unknown case")]
    if not compiler.compiler_available():  # with pypto installed a2a3sim fails later (no ptoas)
        cases.append((("toy.scale_matmul", "-p", "a2a3sim"), "hw-native-sys/pypto"))
    for args, fragment in cases:
        proc = run_cli(*args)
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1 and fragment in proc.stderr


def test_serving_options_save_and_replay(tmp_path):
    """Per-request positions, c8 and a block size round-trip through --save-data / --replay."""
    save = tmp_path / "step"
    flags = ["--batch", "3", "--seq", "2", "--start-pos", "5,-1,77", "--cache-format", "c8"]
    first = run_cli(
        "deepseek_v4.indexer_compressor", *flags, "--block-size", "16", "--json",
        "--save-data", str(save), cwd=tmp_path,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    config = json.loads(first.stdout)["config"]
    assert config["start_pos"] == "5,-1,77" and config["cache_format"] == "c8"
    assert config["block_size"] == 16 and config["mixed"] is False
    again = run_cli(
        "deepseek_v4.indexer_compressor", "--replay", str(save), "--start-pos", "5,-1,77",
        "--json", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["passed"] is True
