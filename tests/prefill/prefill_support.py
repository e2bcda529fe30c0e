"""Shared helpers of the prefill tests: one request's prompt served as prefill chunks and decode
steps over the same pools, through the goldens or the kernels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from golden.case import CaseConfig
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case
from models.deepseek_v4.config import SLIDING_WINDOW
from models.deepseek_v4.contract.decode import slot_mapping_for
from models.deepseek_v4.contract.prefill import chunk_slot_mapping

POOLS = ("kv_state", "score_state", "index_cache", "index_cache_scale")
#: Names of a one-request prompt's per-token tensors (x, qr) and everything shared.
TOKEN_TENSORS = ("x", "qr")


def prompt_world(prompt_len: int, cache_format: str, block_size: int = 16) -> dict[str, Any]:
    """The indexer prefill case's inputs for one fresh request of ``prompt_len`` tokens
    (weights, tables, pools with an empty state, x / qr of every token)."""
    config = indexer_prefill_case.resolve_config(
        CaseConfig(
            prompt_lens=str(prompt_len),
            prefix_lens="0",
            cache_format=cache_format,
            block_size=block_size,
        )
    )
    return indexer_prefill_case.make_inputs(config)


def pools_of(values: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Copies of the pools in ``values``."""
    return {name: np.array(values[name], copy=True) for name in POOLS if name in values}


def chunk_inputs(world: Mapping[str, Any], pools: Mapping[str, np.ndarray], first: int, end: int):
    """Prefill-kernel arguments for tokens first..end-1 of the world's request (one request,
    no padding rows), on ``pools``."""
    count = end - first
    values = {k: v for k, v in world.items() if k not in POOLS}
    values.update({k: np.array(v, copy=True) for k, v in pools.items()})
    values["x"] = np.ascontiguousarray(world["x"][first:end])
    values["qr"] = np.ascontiguousarray(world["qr"][first:end])
    values["position_ids"] = np.arange(first, end, dtype=np.int32)
    values["cu_seqlens"] = np.array([0, count], np.int32)
    block_size = world["index_cache"].shape[1]
    values["slot_mapping"] = chunk_slot_mapping(
        values["position_ids"], values["cu_seqlens"], world["block_table"], block_size
    )
    values["score"] = np.zeros((count, world["score"].shape[1]), np.float32)
    values["topk_idxs"] = np.zeros((count, world["topk_idxs"].shape[1]), np.int32)
    # The decode layout's offset for every token, so chunks and decode steps compare equal.
    values["topk_offset"] = np.full(count, SLIDING_WINDOW, np.int32)
    return values


def decode_inputs(world: Mapping[str, Any], pools: Mapping[str, np.ndarray], pos: int):
    """Decode-kernel arguments (kernels/decode_indexer.py) for the single token at ``pos`` on
    ``pools``."""
    values = {k: v for k, v in world.items() if k not in POOLS}
    values.update({k: np.array(v, copy=True) for k, v in pools.items()})
    values["x"] = np.ascontiguousarray(world["x"][pos : pos + 1][None])
    values["qr"] = np.ascontiguousarray(world["qr"][pos : pos + 1][None])
    values["position_ids"] = np.array([[pos]], np.int32)
    values["kv_seq_lens"] = np.array([pos + 1], np.int32)
    block_size = world["index_cache"].shape[1]
    values["slot_mapping"] = slot_mapping_for(
        values["position_ids"], world["block_table"], block_size
    )
    values["score"] = np.zeros((1, 1, world["score"].shape[1]), np.float32)
    values["topk_idxs"] = np.zeros((1, 1, world["topk_idxs"].shape[1]), np.int32)
    values["topk_offset"] = np.full((1, 1), SLIDING_WINDOW, np.int32)
    del values["cu_seqlens"]
    return values


Runner = Callable[[dict[str, Any]], dict[str, np.ndarray]]


def serve(
    world: Mapping[str, Any],
    chunk_ends: list[int],
    decode_until: int,
    run_chunk: Runner,
    run_step: Runner,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Serve the world's request: prefill chunks ending at ``chunk_ends`` (each continuing the
    previous), then one decode step per token up to ``decode_until``. Returns the per-token
    scores [N, W], top-k [N, K] and the final pools."""
    pools = pools_of(world)
    scores, topks = [], []
    first = 0
    for end in chunk_ends:
        out = run_chunk(chunk_inputs(world, pools, first, end))
        pools = pools_of(out)
        scores.append(out["score"])
        topks.append(out["topk_idxs"])
        first = end
    for pos in range(first, decode_until):
        out = run_step(decode_inputs(world, pools, pos))
        pools = pools_of(out)
        scores.append(out["score"][0])
        topks.append(out["topk_idxs"][0])
    return np.concatenate(scores), np.concatenate(topks), pools
