"""The same torch calls on pypto's a2a3sim CPU simulator (the real compiler, ptoas and the
simulator's C++ build, in a child process): the ten decode steps and the prefill chunk against
the golden, and the lightning indexer. Slow: each new artifact compiles for 2-4 minutes (then
it is kept in $DEEPSEEK_V4_OPS_CACHE_DIR and later runs load it in seconds)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

import deepseek_v4_pypto_ops.ops as ops  # noqa: E402
from deepseek_v4_pypto_ops.ops import _platform, _runner  # noqa: E402

_MISSING = _platform.simulator_missing()
if _MISSING is not None:
    pytest.skip(f"needs pypto's a2a3sim: {_MISSING}", allow_module_level=True)
pytestmark = pytest.mark.slow


@pytest.fixture
def on_a2a3sim():
    ops.set_platform("a2a3sim")
    yield
    ops.set_platform(None)


def test_ten_decode_steps_and_a_prefill_chunk_on_a2a3sim(on_a2a3sim):
    from torch_ops.engine_run import DECODE_STEPS, drive

    figures = drive("c16")
    assert figures["max_visible"] > figures["topk"]
    calls = _runner.artifacts("a2a3sim")
    # One artifact per shape: the top-k step, the scored step and the chunk; the top-k step's
    # artifact served every step but the scored one.
    names = sorted(key[1] for key in calls)
    assert names == ["indexer_c16", "indexer_prefill_c16", "indexer_topk_c16"]
    topk_key = next(key for key in calls if key[1] == "indexer_topk_c16")
    assert calls[topk_key] == DECODE_STEPS - 1


def test_lightning_indexer_on_a2a3sim(on_a2a3sim):
    from torch_ops.lightning_support import kernel_matches_golden

    kernel_matches_golden("c16", "BSND", 3, 512)
