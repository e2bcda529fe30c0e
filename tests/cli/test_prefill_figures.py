"""scripts/prefill_figures.py: bad input is one line on stderr and exit 2 before any work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "prefill_figures.py"
_spec = importlib.util.spec_from_file_location("prefill_figures", SCRIPT)
figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(figures)


@pytest.fixture
def no_work(monkeypatch):
    def never(config):
        raise AssertionError("inputs were generated for a refused command")

    monkeypatch.setattr(figures.indexer_prefill_case, "make_inputs", never)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--preset", "NANO"], "--preset: unknown preset 'NANO'"),
        (["--prompt-lens", "x"], "--prompt-lens: expected a comma list of integers"),
        (["--prefix-lens", "-4"], "--prefix-lens: got -4"),
        (["--prefix-lens", "-1,4"], "--prefix-lens: got -1,4"),
        (["--block-size", "40"], "--block-size: got 40"),
        (["--block-size", "x"], "--block-size: expected an integer >= 1, got 'x'"),
        (["--prompt-lens", "0"], "--prompt-lens: got 0"),
        (["--project-tokens", "-5"], "--project-tokens: expected an integer >= 1, got -5"),
        (["--project-tokens", "0"], "--project-tokens: expected an integer >= 1, got 0"),
        (["--platform", "foo"], "--platform: invalid choice: 'foo'"),
        (["--preset", "PRO", "--prompt-lens", "8192", "--prefix-lens", "1000000"],
         "choose a smaller --prompt-lens or --max-seq-len"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(no_work, capsys, monkeypatch, argv, fragment):
    from golden import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 16 * 2**30)
    assert figures.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured.err
    assert lines[0].startswith("prefill_figures.py: error: ") and fragment in lines[0]


def test_the_chunk_gets_the_smallest_context_that_holds_it():
    """README's command (a 65,536-token prefix) works beyond the case's default context."""
    args = figures.build_parser().parse_args(["--prompt-lens", "512", "--prefix-lens", "65536"])
    assert figures.chunk_config(args).max_seq_len == 67584  # 33 x 2048 >= 66048
