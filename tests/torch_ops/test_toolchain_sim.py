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
pytestmark = [pytest.mark.slow, pytest.mark.a2a3sim]


@pytest.fixture
def on_a2a3sim():
    ops.set_platform("a2a3sim")
    yield
    ops.set_platform(None)


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_ten_decode_steps_and_a_prefill_chunk_on_a2a3sim(on_a2a3sim, cache_format):
    from torch_ops.engine_run import DECODE_STEPS, drive

    before = _runner.artifacts("a2a3sim")
    figures = drive(cache_format)
    assert figures["max_visible"] > figures["topk"]
    # One artifact per shape: the top-k step's served every step but the scored one.
    used = {k: n - before.get(k, 0) for k, n in _runner.artifacts("a2a3sim").items()}
    used = {key[1]: n for key, n in used.items() if n}
    fmt = cache_format
    assert used == {f"indexer_topk_{fmt}": DECODE_STEPS - 1, f"indexer_{fmt}": 1,
                    f"indexer_prefill_{fmt}": 1}  # fmt: skip


def test_lightning_indexer_on_a2a3sim(on_a2a3sim):
    from torch_ops.lightning_support import kernel_matches_golden

    kernel_matches_golden("c16", "BSND", 3, 512)
