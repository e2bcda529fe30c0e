"""NumPy golden and float reference of the packed prefill (contract/prefill.py).

No math of its own: a prefill chunk is run through the decode golden's functions
(reference/decode_compressor.compressor_paged_golden, reference/decode_indexer.quantized_query /
paged_scores / topk_rows and their float counterparts), one request at a time for everything
that depends on a request's state or cache, and one token row at a time for the query. So
prefill and decode share one implementation of the model's math; this module only re-views the
packed tensors:

- the compressor sees request r as a decode step of one request whose S = its token count
  (its tokens run in order from its saved state, exactly as decode runs S <= 4 tokens);
- the query stages see the T token rows as a step of T requests of one token;
- scoring sees request r as a step of one request with its tokens and its block-table row.

Inputs are the prefill kernel's parameters by name (kernels/prefill_indexer.py); a c8
chunk is one whose inputs carry ``index_cache_scale``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from models.deepseek_v4.contract.decode import visible_rows
from models.deepseek_v4.reference.decode_compressor import compressor_paged_golden
from models.deepseek_v4.reference.decode_indexer import (
    SCORE_SENTINEL,
    float_paged_scores,
    float_query,
    paged_score_step,
    paged_scores,
    quantized_query,
    topk_recall,
    topk_rows,
)

#: Parameters the compressor golden takes as they are (weights and tables).
COMPRESSOR_CONSTANTS = (
    "wkv", "wgate", "ape", "norm_weight", "rope_cos", "rope_sin", "hadamard",
)  # fmt: skip
POOL_NAMES = ("kv_state", "score_state", "index_cache", "index_cache_scale")


def request_spans(inputs: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    """(request, first row, end row) of every request with tokens, in request order."""
    cu = np.asarray(inputs["cu_seqlens"], np.int64)
    return [(r, int(cu[r]), int(cu[r + 1])) for r in range(cu.size - 1) if cu[r + 1] > cu[r]]


def compressor_prefill_golden(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The compressor over a packed chunk: updated copies of the state pools and the cache (and
    its scale in c8). Request r's tokens run in order from its saved state (state_slots[r]);
    every window that closes lands in its slot_mapping slot."""
    pools = {name: np.asarray(inputs[name]) for name in POOL_NAMES if name in inputs}
    pools = {name: np.array(value, copy=True) for name, value in pools.items()}
    x = np.asarray(inputs["x"])
    positions = np.asarray(inputs["position_ids"])
    slots = np.asarray(inputs["slot_mapping"])
    states = np.asarray(inputs["state_slots"])
    for r, first, end in request_spans(inputs):
        step = {name: inputs[name] for name in COMPRESSOR_CONSTANTS}
        step.update(pools)
        step["x"] = x[None, first:end]
        step["position_ids"] = positions[None, first:end]
        step["slot_mapping"] = slots[None, first:end]
        step["state_slots"] = states[r : r + 1]
        pools = compressor_paged_golden(step)
    return pools


def token_rows_as_step(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The chunk's token rows as a decode step of T requests of one token (query stages)."""
    view = dict(inputs)
    view["x"] = np.asarray(inputs["x"])[:, None]
    view["qr"] = np.asarray(inputs["qr"])[:, None]
    view["position_ids"] = np.asarray(inputs["position_ids"])[:, None]
    return view


def _request_view(inputs: Mapping[str, Any], r: int, first: int, end: int) -> dict[str, Any]:
    return {
        "position_ids": np.asarray(inputs["position_ids"])[None, first:end],
        "block_table": np.asarray(inputs["block_table"])[r : r + 1],
    }


def _topk(inputs: Mapping[str, Any], score: np.ndarray) -> np.ndarray:
    topk = np.asarray(inputs["topk_idxs"]).shape[1]
    visible = visible_rows(np.asarray(inputs["position_ids"])[None, :])
    return topk_rows(score[None], visible, topk, np.asarray(inputs["topk_offset"])[None])[0]


def indexer_prefill_golden(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The indexer over a packed chunk: score [T, W], topk_idxs [T, index_topk], the cache (and
    scale) after the compressor's writes, and the state pools. Padding rows get sentinel scores
    and top-k -1. Nothing in ``inputs`` is modified."""
    width = np.asarray(inputs["score"]).shape[1]
    query = quantized_query(token_rows_as_step(inputs))
    compressed = compressor_prefill_golden(inputs)  # first: rows closed in the chunk are visible
    cache, scale = compressed["index_cache"], compressed.get("index_cache_scale")
    score = np.full((np.asarray(inputs["x"]).shape[0], width), SCORE_SENTINEL, np.float32)
    step = np.zeros(score.shape, np.float32)
    for r, first, end in request_spans(inputs):
        request_query = {name: value[first:end, 0][None] for name, value in query.items()}
        view = _request_view(inputs, r, first, end)
        score[first:end] = paged_scores(view, request_query, cache, scale, width)[0]
        step[first:end] = paged_score_step(view, request_query, cache, scale, width)[0]
    return {"score": score, "topk_idxs": _topk(inputs, score), "score_step": step, **compressed}


def indexer_prefill_float_reference(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The chunk with no quantization (reference/decode_indexer's float reference, per request)."""
    width = np.asarray(inputs["score"]).shape[1]
    q, weights = float_query(token_rows_as_step(inputs))
    compressed = compressor_prefill_golden(inputs)
    cache, scale = compressed["index_cache"], compressed.get("index_cache_scale")
    score = np.full((q.shape[0], width), SCORE_SENTINEL, np.float32)
    for r, first, end in request_spans(inputs):
        view = _request_view(inputs, r, first, end)
        score[first:end] = float_paged_scores(
            view, q[first:end, 0][None], weights[first:end, 0][None], cache, scale, width
        )[0]
    return {"score": score, "topk_idxs": _topk(inputs, score)}


def indexer_prefill_quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray]
) -> dict[str, float | None]:
    """topk_recall_vs_float and score_rel_l2_vs_float of a chunk's outputs."""
    reference = indexer_prefill_float_reference(inputs)
    visible = visible_rows(np.asarray(inputs["position_ids"]))
    score = np.asarray(outputs["score"], np.float64)
    mask = np.arange(score.shape[1])[None, :] < visible[:, None]
    rel_l2 = None
    if mask.any():
        want = reference["score"].astype(np.float64)[mask]
        norm = float(np.linalg.norm(want))
        rel_l2 = float(np.linalg.norm(score[mask] - want)) / norm if norm > 0 else None
    return {
        "topk_recall_vs_float": topk_recall(
            np.asarray(outputs["topk_idxs"])[None], reference["topk_idxs"][None], visible[None]
        ),
        "score_rel_l2_vs_float": rel_l2,
    }
