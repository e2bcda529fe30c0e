"""Stages 1-6 of the indexer in PyTorch (docs/indexer.md): INT8 q codes per (token, head) row
with their scales, and the head weights, for T token rows."""

from __future__ import annotations

import torch

from deepseek_v4_pypto_ops.ops.reference.quant import int_matmul, matmul_f32, quantize_rows, to_bf16
from deepseek_v4_pypto_ops.ops.weights import IndexerWeights
from models.deepseek_v4.config import INDEX_HEAD_DIM, INDEX_N_HEADS, NOPE_DIM

#: Dh^-0.5 * H^-0.5 as the float32 the golden multiplies by.
WEIGHTS_SCALE = torch.tensor(INDEX_HEAD_DIM**-0.5 * INDEX_N_HEADS**-0.5, dtype=torch.float64).to(
    torch.float32
)


def rope_interleaved(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs (x[2i], x[2i+1]) by cos/sin [.., rd/2] in float32."""
    even, odd = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = odd * cos + even * sin
    return out


def quantized_query(
    x: torch.Tensor, qr: torch.Tensor, positions: torch.Tensor, weights: IndexerWeights
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x [T, D]``, ``qr [T, Q_LORA]`` bfloat16 and ``positions [T]`` (negative read as 0) ->
    q codes int8 [T, H, Dh], q scales float32 [T, H], head weights float32 [T, H]."""
    tokens = x.shape[0]
    qr_codes, qr_scale = quantize_rows(qr)
    acc = int_matmul(qr_codes, weights.wq_b)
    q = to_bf16((acc * qr_scale) * weights.wq_b_scale.reshape(1, -1))
    q = q.reshape(tokens, INDEX_N_HEADS, INDEX_HEAD_DIM)
    pos = positions.to(torch.int64).clamp_min(0)
    cos = weights.rope_cos[pos][:, None, :]
    sin = weights.rope_sin[pos][:, None, :]
    rotated = to_bf16(rope_interleaved(q[..., NOPE_DIM:].to(torch.float32), cos, sin))
    q = torch.cat([q[..., :NOPE_DIM], rotated], dim=-1).reshape(-1, INDEX_HEAD_DIM)
    q_rot = to_bf16(matmul_f32(q, weights.hadamard))
    q_codes, q_scale = quantize_rows(q_rot)
    head_weights = matmul_f32(x, weights.weights_proj) * WEIGHTS_SCALE
    return (
        q_codes.reshape(tokens, INDEX_N_HEADS, INDEX_HEAD_DIM),
        q_scale.reshape(tokens, INDEX_N_HEADS),
        head_weights,
    )
