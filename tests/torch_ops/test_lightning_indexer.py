"""``ops.lightning_indexer`` (torch_npu.npu_lightning_indexer's arguments) against the golden's
math (tests/torch_ops/lightning_support.py): the kernel on plsim tie-aware (its FP32 sums run
in the kernel's order), the PyTorch reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

import deepseek_v4_pypto_ops.ops as ops  # noqa: E402
from deepseek_v4_pypto_ops.ops import reference  # noqa: E402
from torch_ops.lightning_support import call, golden_of, kernel_matches_golden, world_of  # noqa: E402

CALLS = [("c16", "BSND", 3, 512), ("c8", "TND", 0, 300), ("c16", "TND", 3, 41)]


@pytest.mark.parametrize(("cache_format", "layout", "sparse_mode", "count"), CALLS)
def test_reference_equals_the_golden_bit_for_bit(cache_format, layout, sparse_mode, count):
    world = world_of(cache_format)
    expected = golden_of(world, sparse_mode, count)
    got = call(reference.lightning_indexer, world, layout, sparse_mode, count)
    np.testing.assert_array_equal(got, expected["topk_idxs"])
    assert (got[..., 0] >= 0).sum() > 0 and (got == -1).any()  # chosen rows and padding


@pytest.mark.parametrize(("cache_format", "layout", "sparse_mode", "count"), CALLS[:2])
def test_kernel_on_plsim_matches_the_golden(cache_format, layout, sparse_mode, count):
    ops.set_platform("plsim")
    try:
        kernel_matches_golden(cache_format, layout, sparse_mode, count)
    finally:
        ops.set_platform(None)


@pytest.mark.parametrize("seq", [1, 4])
def test_kernel_on_plsim_at_one_and_four_query_tokens(seq):
    """c8 at 1 and 4 query tokens per request: the score stages on both vector cores that
    those counts take (one group of cache rows per core; two tokens per core)."""
    ops.set_platform("plsim")
    try:
        kernel_matches_golden("c8", "BSND", 3, 512, seq)
    finally:
        ops.set_platform(None)
