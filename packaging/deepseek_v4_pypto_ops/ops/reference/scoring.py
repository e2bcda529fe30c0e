"""Stages 8-11 in PyTorch: INT8 q codes against the paged cache (c16 rows quantized per row,
c8 codes and scales as stored), score = kv_scale * sum over heads of relu(acc) * (q_scale *
weight), then the top-k. One request at a time, all of its tokens at once.

Order of operations is the golden's (reference/decode_indexer.paged_scores): INT32 accumulations are
exact, each product one float32 rounding, the head sum in float64 in head order, rounded once
to float32, then times the row's scale; top-k a stable descending sort, so equal scores keep the
smaller index first.
"""

from __future__ import annotations

import torch

from deepseek_v4_pypto_ops.ops.reference.quant import int_matmul, quantize_rows
from models.deepseek_v4.config import FP32_LOWEST, INDEX_HEAD_DIM

SENTINEL = FP32_LOWEST


def request_codes(
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None,
    table_row: torch.Tensor,
    rows: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """INT8 codes [rows, 128] and float32 scales [rows] of one request's logical rows."""
    block_size = index_cache.shape[1]
    blocks = table_row[: -(-rows // block_size)].to(torch.int64)  # whole blocks: fast copies
    pool = index_cache[blocks].reshape(-1, INDEX_HEAD_DIM)[:rows]
    if index_cache_scale is None:
        codes, scale = quantize_rows(pool)
        return codes, scale[:, 0]
    return pool, index_cache_scale[blocks].reshape(-1)[:rows]


def scores(
    q_codes: torch.Tensor,
    q_scale: torch.Tensor,
    head_weights: torch.Tensor,
    kv_codes: torch.Tensor,
    kv_scale: torch.Tensor,
) -> torch.Tensor:
    """Scores [n, rows] of n tokens (codes [n, H, Dh], scales and weights [n, H]) against
    rows (codes [rows, Dh], scales [rows])."""
    n, heads, dim = q_codes.shape
    acc = int_matmul(q_codes.reshape(n * heads, dim), kv_codes.T).reshape(n, heads, -1)
    # In place, in the golden's order: relu, * (q_scale * weight); the head sum; * kv_scale.
    head_factor = q_scale * head_weights
    weighted = acc.relu_().mul_(head_factor[:, :, None])
    total = weighted[:, 0].to(torch.float64)
    for h in range(1, heads):
        total += weighted[:, h]
    return total.to(torch.float32).mul_(kv_scale)


def paged_scores(
    q_codes: torch.Tensor,
    q_scale: torch.Tensor,
    head_weights: torch.Tensor,
    visible: torch.Tensor,
    table_row: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None,
    width: int,
) -> torch.Tensor:
    """Score rows [n, width] of one request's n tokens: visible[i] rows scored, the lowest
    float32 everywhere else."""
    out = torch.full((q_codes.shape[0], width), SENTINEL, dtype=torch.float32)
    seen = int(visible.max()) if visible.numel() else 0
    if seen == 0:
        return out
    kv_codes, kv_scale = request_codes(index_cache, index_cache_scale, table_row, seen)
    out[:, :seen] = scores(q_codes, q_scale, head_weights, kv_codes, kv_scale)
    hidden = torch.arange(width)[None, :] >= visible[:, None]
    return out.masked_fill_(hidden, SENTINEL)


def topk(
    score: torch.Tensor, visible: torch.Tensor, k: int, offset: int | torch.Tensor
) -> torch.Tensor:
    """Top-k [n, k] int32 of score rows [n, W]: descending, ties to the smaller index, + the
    row's offset (one int, or [n]); -1 past min(k, visible)."""
    if isinstance(offset, torch.Tensor):
        offset = offset.reshape(-1, 1).to(torch.int64)
    order = torch.sort(score, dim=1, descending=True, stable=True).indices[:, :k]
    width = order.shape[1]
    if width < k:
        order = torch.cat([order, torch.zeros(order.shape[0], k - width, dtype=order.dtype)], 1)
    used = torch.arange(k)[None, :] < torch.clamp(visible, max=k)[:, None]
    return torch.where(used, order + offset, -1).to(torch.int32)
