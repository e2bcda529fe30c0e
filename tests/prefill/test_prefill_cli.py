"""The prefill cases through scripts/run.py: options, save/replay, trace, refusals."""

from __future__ import annotations

import json

import pytest

from golden.cli import main

COMPRESSOR = "deepseek_v4.indexer_compressor_prefill"


def test_save_replay_and_trace_round_trip(tmp_path, capsys):
    data, trace = tmp_path / "saved", tmp_path / "trace.json"
    argv = [COMPRESSOR, "--prompt-lens", "3,9", "--prefix-lens", "0,6", "--cache-format", "c8",
            "--block-size", "16", "--json"]  # fmt: skip
    assert main([*argv, "--save-data", str(data), "--trace", str(trace)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["config"]["prompt_lens"] == "3,9" and first["config"]["prefix_lens"] == "0,6"
    assert json.loads(trace.read_text())["traceEvents"]
    assert main([COMPRESSOR, "--replay", str(data), "--json"]) == 0
    replay = json.loads(capsys.readouterr().out)
    assert replay["passed"] and replay["config"] == first["config"]
    # A replay given a different chunk is refused, not silently rerun on the saved one.
    assert main([COMPRESSOR, "--replay", str(data), "--prompt-lens", "4,9"]) == 2


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([COMPRESSOR, "--prompt-lens", "3,x"], "--prompt-lens"),
        ([COMPRESSOR, "--prompt-lens", "0"], "--prompt-lens: got 0"),
        ([COMPRESSOR, "--prompt-lens", "4", "--batch", "2"], "--batch: a decode option"),
        (["deepseek_v4.indexer_prefill", "--prefix-lens", "1,2", "--prompt-lens", "4"],
         "--prefix-lens: got 1,2"),
        (["deepseek_v4.indexer", "--prompt-lens", "4"], "--prompt-lens: a prefill option"),
        (["toy.scale_matmul", "--prefix-lens", "4"], "--prefix-lens"),
    ],
)  # fmt: skip
def test_bad_prefill_options_exit_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]
