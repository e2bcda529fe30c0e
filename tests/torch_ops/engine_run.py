"""Ten decode steps and one packed prefill chunk of a mixed batch through the torch API, each
call checked against the NumPy golden on the same inputs with the case's own comparisons
(tie-aware top-k, scores within tolerance, pools' written rows within one BF16 ulp, the rest
bit-exact). Shared by the plsim test and the pypto-simulator test."""

from __future__ import annotations

from typing import Any

import deepseek_v4_pypto_ops.ops as ops
import numpy as np
from deepseek_v4_pypto_ops.ops.weights import as_numpy, as_tensor
from torch_ops.serving_loop import Engine, decode_config, prefill_config

from models.deepseek_v4.cases import decode_indexer as indexer_case
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case
from models.deepseek_v4.config import SLIDING_WINDOW
from models.deepseek_v4.contract.decode import score_width_for_rows
from models.deepseek_v4.contract.topk_offsets import prefill_topk_offsets
from models.deepseek_v4.reference.decode_indexer import indexer_paged_golden
from models.deepseek_v4.reference.prefill import indexer_prefill_golden

DECODE_STEPS = 10
#: The step that also asks for its scores (compared too).
SCORED_STEP = 3
#: The prefill chunk: a fresh 45-token prompt, 23 more tokens of the short request, an empty
#: request, 7 more tokens of the block-boundary request.
CHUNK = [(None, 45), (2, 23), (None, 0), (3, 7)]


def _compare(comparisons: dict, actual: dict, expected: dict, inputs: dict, where: str) -> None:
    for name, check in comparisons.items():
        result = check(actual[name], expected[name], actual_outputs=actual,
                       expected_outputs=expected, inputs=inputs)  # fmt: skip
        assert result.passed, f"{where}, {name}: {result.message}"


def _pools(engine: Engine) -> dict[str, np.ndarray]:
    return {name: as_numpy(t) for name, t in engine.pools.items()}


def _decode_offsets(step: dict[str, Any], k: int) -> np.ndarray:
    """Step k's top-k offsets [B, S]: the window on even steps, a different one per token on
    odd steps (data: the same artifact must serve both)."""
    batch, seq = step["position_ids"].shape
    if k % 2 == 0:
        return np.full((batch, seq), SLIDING_WINDOW, np.int32)
    return (1000 + 17 * np.arange(batch)[:, None] + 3 * np.arange(seq)[None, :]).astype(np.int32)


def drive(cache_format: str) -> dict[str, Any]:
    """Run the loop on the current platform; returns figures the tests check."""
    engine = Engine.start(cache_format)
    topk = int(engine.base["topk_idxs"].shape[2])
    width = score_width_for_rows(engine.table.shape[1] * engine.block_size)
    seen = []
    for k in range(DECODE_STEPS):
        step = engine.decode_step()
        step["topk_offset"] = _decode_offsets(step, k)
        scored = k == SCORED_STEP
        inputs = engine.golden_inputs(step, topk, width)
        expected = indexer_paged_golden(inputs)
        out = ops.indexer_decode(
            as_tensor(step["x"]), as_tensor(step["qr"]), engine.weights,
            **engine.torch_step(step), index_topk=topk, return_scores=scored,
        )  # fmt: skip
        actual = _pools(engine)
        if scored:
            actual["topk_idxs"], actual["score"] = out[0].numpy(), out[1].numpy()
        else:
            actual["topk_idxs"] = out.numpy()
        comparisons = indexer_case.comparisons(decode_config(cache_format, topk_only=not scored))
        _compare(comparisons, actual, expected, inputs, f"decode step {k}")
        seen.append((step["position_ids"].max() + 1) // 4)
    chunk = engine.prefill_chunk(CHUNK)
    # The reference's rule: the fresh prompt offsets by its length, the others by the window.
    chunk["topk_offset"] = prefill_topk_offsets(chunk["position_ids"], chunk["cu_seqlens"])
    inputs = engine.golden_inputs(chunk, topk, width)
    expected = indexer_prefill_golden(inputs)
    idx, score = ops.indexer_prefill(
        as_tensor(chunk["x"]), as_tensor(chunk["qr"]), engine.weights,
        **engine.torch_step(chunk), index_topk=topk, return_scores=True,
    )  # fmt: skip
    actual = {**_pools(engine), "topk_idxs": idx.numpy(), "score": score.numpy()}
    comparisons = indexer_prefill_case.comparisons(prefill_config(cache_format))
    _compare(comparisons, actual, expected, inputs, "prefill chunk")
    offsets = sorted(set(inputs["topk_offset"].tolist()))
    return {"max_visible": int(max(seen)), "topk": topk, "chunk_tokens": int(idx.shape[0]),
            "chunk_offsets": offsets}  # fmt: skip
