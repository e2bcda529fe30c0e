"""Inputs and the golden of ``ops.lightning_indexer`` calls: a mixed batch's paged cache (the
indexer case's) with a BF16 query; the golden's math is the query quantized per row
(models/deepseek_v4/reference/quant.py), reference/decode_indexer.paged_scores and topk_rows
with offset 0."""

from __future__ import annotations

import deepseek_v4_pypto_ops.ops as ops
import numpy as np
import torch
from deepseek_v4_pypto_ops.ops.weights import as_tensor

from golden import compare
from golden.case import CaseConfig
from models.deepseek_v4.cases import decode_indexer as indexer_case
from models.deepseek_v4.contract.decode import visible_rows
from models.deepseek_v4.reference.decode_indexer import (
    float_query,
    paged_score_step,
    paged_scores,
    topk_rows,
)
from models.deepseek_v4.reference.quant import quantize_rows, to_bf16


def world_of(cache_format: str, seq: int = 2) -> dict:
    """A mixed batch's cache, table and lengths (the indexer case's), with its BF16 query of
    ``seq`` tokens per request."""
    config = indexer_case.resolve_config(
        CaseConfig(mixed=True, batch=6, seq=seq, cache_format=cache_format, seed=5, topk_only=True)
    )
    inputs = indexer_case.make_inputs(config)
    q, weights = float_query(inputs)
    return {**inputs, "query": to_bf16(q), "weights": weights.astype(np.float32)}


def golden_of(world: dict, sparse_mode: int, count: int) -> dict:
    """Scores, the one-step allowance and top-k of the golden's math for the mirror's call."""
    lens = world["kv_seq_lens"].astype(np.int64)
    seq = world["position_ids"].shape[1]
    if sparse_mode == 3:
        pos = lens[:, None] - seq + np.arange(seq)[None, :]
    else:
        pos = np.repeat(lens[:, None] - 1, seq, axis=1)
    pos = np.where(lens[:, None] > 0, pos, -1).astype(np.int32)
    view = {"position_ids": pos, "block_table": world["block_table"]}
    codes, scale = quantize_rows(world["query"])
    query = {"q_codes": codes, "q_scale": scale[..., 0], "weights": world["weights"]}
    cache, cache_scale = world["index_cache"], world.get("index_cache_scale")
    width = world["block_table"].shape[1] * cache.shape[1]
    score = paged_scores(view, query, cache, cache_scale, width)
    return {
        "score": score,
        "score_step": paged_score_step(view, query, cache, cache_scale, width),
        "topk_idxs": topk_rows(score, visible_rows(pos), count, 0),
        "inputs": view,
    }


def call(fn, world: dict, layout: str, sparse_mode: int, count: int):
    batch, seq = world["position_ids"].shape
    query, weights = as_tensor(world["query"]), as_tensor(world["weights"])
    kwargs = {}
    if layout == "TND":
        query, weights = query.reshape(batch * seq, 64, 128), weights.reshape(batch * seq, 64)
        kwargs["actual_seq_lengths_query"] = torch.arange(1, batch + 1, dtype=torch.int32) * seq
    key = as_tensor(world["index_cache"]).unsqueeze(2)
    if "index_cache_scale" in world:
        kwargs["key_dequant_scale"] = as_tensor(world["index_cache_scale"])
    indices, values = fn(
        query, key, weights, actual_seq_lengths_key=as_tensor(world["kv_seq_lens"]),
        block_table=as_tensor(world["block_table"]), layout_query=layout,
        layout_key="PA_BSND", sparse_count=count, sparse_mode=sparse_mode, **kwargs,
    )  # fmt: skip
    assert values.numel() == 0
    want = (batch, seq, 1, count) if layout == "BSND" else (batch * seq, 1, count)
    assert tuple(indices.shape) == want and indices.dtype == torch.int32
    return indices.reshape(batch, seq, count).numpy()


def kernel_matches_golden(
    cache_format: str, layout: str, sparse_mode: int, count: int, seq: int = 2
) -> None:
    """``ops.lightning_indexer`` on the current platform with ``seq`` query tokens per request,
    tie-aware against the golden (the kernel's FP32 sums run in its own order)."""
    world = world_of(cache_format, seq)
    expected = golden_of(world, sparse_mode, count)
    got = call(ops.lightning_indexer, world, layout, sparse_mode, count)
    check = compare.topk_tie_aware("score", offset=0, atol=indexer_case.SCORE_ATOL,
                                   rtol=indexer_case.SCORE_RTOL, slack="score_step")  # fmt: skip
    result = check(got, expected["topk_idxs"], actual_outputs={"topk_idxs": got},
                   expected_outputs=expected, inputs=expected["inputs"])  # fmt: skip
    assert result.passed, result.message
