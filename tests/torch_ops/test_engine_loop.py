"""The issue's acceptance run on the CPU path: ten decode steps and one prefill chunk of a mixed
batch through the torch API on plsim, every call compared with the NumPy golden."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

import deepseek_v4_pypto_ops.ops as ops  # noqa: E402
from torch_ops.engine_run import drive  # noqa: E402


@pytest.fixture
def on_plsim():
    ops.set_platform("plsim")
    yield
    ops.set_platform(None)


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_ten_decode_steps_and_a_prefill_chunk_match_the_golden(on_plsim, cache_format):
    before = ops.artifacts("plsim")
    figures = drive(cache_format)
    # Not vacuous: some token chose index_topk rows among more than index_topk.
    assert figures["max_visible"] > figures["topk"]
    assert figures["chunk_tokens"] == 75
    assert figures["chunk_offsets"] == [45, 128]  # the fresh prompt's length, the window
    # One artifact per shape: the top-k step's served the nine unscored steps, with the window
    # and with per-token offsets alike (the offset is data).
    used = {k: n - before.get(k, 0) for k, n in ops.artifacts("plsim").items()}
    used = {key[1]: n for key, n in used.items() if n}
    fmt = cache_format
    assert used == {f"indexer_topk_{fmt}": 9, f"indexer_{fmt}": 1, f"indexer_prefill_{fmt}": 1}
