"""The ratio-4 overlapping compressor in PyTorch (docs/indexer.md), for a decode step or a
packed prefill chunk alike: every window the tokens close is pooled at once.

The window closing at position c pools positions c-7 .. c. Each one is a token of this call
when it is at or after its request's first position p0, else one of the 8 rows saved in the
request's state slot (row q - w0 + 4, w0 = p0 - p0 % 4), exactly the rows the sequential walk
of the golden would hold. The state written back is what that walk leaves.

Floating-point order follows the golden (models/deepseek_v4/reference/decode_compressor.py) step by
step; the one difference is ``exp``: the reference's is correctly rounded (float64, rounded once),
NumPy's
float32 ``exp`` is not, so pooled values can differ by a float32 ulp and a cache row by one
BF16 ulp (the same allowance the kernels get).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from deepseek_v4_pypto_ops.ops.reference.quant import matmul_f32, quantize_rows, to_bf16
from deepseek_v4_pypto_ops.ops.reference.query import rope_interleaved
from deepseek_v4_pypto_ops.ops.weights import IndexerWeights
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    INDEX_HEAD_DIM,
    NOPE_DIM,
    RMS_NORM_EPS,
)

RATIO = COMPRESS_RATIO
HALF = INDEX_HEAD_DIM


@dataclass
class Tokens:
    """The live tokens of a call, request after request, each request's in position order."""

    x: torch.Tensor  # [N, D] bfloat16
    positions: torch.Tensor  # [N] int64
    request: torch.Tensor  # [N] int64: index into the requests
    slots: torch.Tensor  # [N] int64: cache slot of the row the token closes, -1 otherwise
    state_slots: torch.Tensor  # [R] int64: each request's state slot
    first: torch.Tensor  # [R] int64: each request's first position (p0)


def pool_windows(gates: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Softmax pooling over the 8 rows of each window: [W, 8, 128] x2 -> [W, 128] float32,
    summed in row order 0..7 in float32 as the golden does."""
    top = gates.amax(dim=1)
    weight_sum = torch.zeros_like(top)
    weighted = torch.zeros_like(top)
    for r in range(COMPRESS_STATE_ROWS):
        weight = torch.exp((gates[:, r] - top).to(torch.float64)).to(torch.float32)
        weight_sum = weight_sum + weight
        weighted = weighted + weight * values[:, r]
    return weighted / weight_sum


def _pairwise_sum_128(values: torch.Tensor) -> torch.Tensor:
    """float32 sum over the last axis (128) in NumPy's pairwise order: 8 running sums over
    columns i, i+8, ..., then ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))."""
    lanes = values.reshape(*values.shape[:-1], -1, 8)
    acc = lanes[..., 0, :].clone()
    for i in range(1, lanes.shape[-2]):
        acc = acc + lanes[..., i, :]
    r = [acc[..., j] for j in range(8)]
    return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))


def rms_norm(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """RMSNorm in float32: x * rsqrt(mean(x^2) + eps) * weight (rsqrt in float64, rounded)."""
    values = x.to(torch.float32)
    mean_square = _pairwise_sum_128(values * values)[..., None] * torch.tensor(
        1.0 / values.shape[-1], dtype=torch.float32
    )
    shifted = (mean_square + torch.tensor(RMS_NORM_EPS, dtype=torch.float32)).to(torch.float64)
    inv_rms = (1.0 / torch.sqrt(shifted)).to(torch.float32)
    return (values * inv_rms) * weight.to(torch.float32)


def compress_rows(pooled: torch.Tensor, starts: torch.Tensor, weights: IndexerWeights):
    """Pooled rows [W, 128] -> BF16 cache rows: RMSNorm, RoPE at each window's first position
    ``starts`` [W], Hadamard."""
    normed = to_bf16(rms_norm(to_bf16(pooled), weights.norm_weight))
    cos, sin = weights.rope_cos[starts], weights.rope_sin[starts]
    rope = to_bf16(rope_interleaved(normed[:, NOPE_DIM:].to(torch.float32), cos, sin))
    row = torch.cat([normed[:, :NOPE_DIM], rope], dim=1)
    return to_bf16(matmul_f32(row, weights.hadamard))


def compress(
    tokens: Tokens,
    weights: IndexerWeights,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None,
) -> None:
    """Run the compressor over ``tokens``: the closed windows' rows land in ``index_cache``
    (BF16, or INT8 codes + ``index_cache_scale``) at their slots; the state slots of the
    requests are updated. All in place."""
    if tokens.x.shape[0] == 0:
        return
    pos, req = tokens.positions, tokens.request
    kv = matmul_f32(tokens.x, weights.wkv)
    gate = matmul_f32(tokens.x, weights.wgate) + weights.ape[pos % RATIO]
    saved_kv = kv_state[tokens.state_slots]  # [R, 8, 256]
    saved_gate = score_state[tokens.state_slots]
    count = kv.shape[0]
    # One table of source rows: the tokens' rows, then each request's 8 saved rows.
    kv_rows = torch.cat([kv, saved_kv.reshape(-1, kv.shape[1])])
    gate_rows = torch.cat([gate, saved_gate.reshape(-1, gate.shape[1])])
    first = tokens.first[req]
    base = first - first % RATIO  # w0 of each token's request

    def source(q: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
        """Row of position q of the request of token ``row`` (token rows are consecutive)."""
        own = row[:, None] - (pos[row][:, None] - q)
        saved = count + req[row][:, None] * COMPRESS_STATE_ROWS + (q - base[row][:, None] + 4)
        return torch.where(q >= first[row][:, None], own, saved)

    closing = torch.nonzero((pos + 1) % RATIO == 0).flatten()
    if closing.numel():
        c = pos[closing]
        window = source(c[:, None] - 7 + torch.arange(8), closing)  # [W, 8]
        g, v = gate_rows[window], kv_rows[window]
        gates = torch.cat([g[:, :RATIO, :HALF], g[:, RATIO:, HALF:]], dim=1)
        values = torch.cat([v[:, :RATIO, :HALF], v[:, RATIO:, HALF:]], dim=1)
        rows = compress_rows(pool_windows(gates, values), c - (RATIO - 1), weights)
        flat = index_cache.view(-1, INDEX_HEAD_DIM)
        slots = tokens.slots[closing]
        if index_cache_scale is None:
            flat[slots] = rows
        else:
            codes, scale = quantize_rows(rows)
            flat[slots] = codes
            index_cache_scale.view(-1)[slots] = scale[:, 0]
    # The state the walk leaves: rows 4 + k the latest token at a position = k (mod 4) (else as
    # saved); rows 0..3 the last window closed (else as saved).
    new_kv, new_gate = saved_kv.clone(), saved_gate.clone()
    requests = len(tokens.first)
    lane_key = req * RATIO + pos % RATIO
    latest = torch.full((requests * RATIO,), -1, dtype=torch.int64).scatter_reduce(
        0, lane_key, torch.arange(count), reduce="amax"
    )
    held = torch.nonzero(latest >= 0).flatten()
    new_kv[held // RATIO, RATIO + held % RATIO] = kv[latest[held]]
    new_gate[held // RATIO, RATIO + held % RATIO] = gate[latest[held]]
    if closing.numel():
        last = torch.zeros(len(tokens.first), dtype=torch.int64).scatter_reduce(
            0, req[closing], closing, reduce="amax", include_self=False
        )
        closed = torch.zeros(len(tokens.first), dtype=torch.bool)
        closed[req[closing]] = True
        rows = source(pos[last][:, None] - 3 + torch.arange(4), last)[closed]  # [R', 4]
        new_kv[closed, :RATIO] = kv_rows[rows]
        new_gate[closed, :RATIO] = gate_rows[rows]
    kv_state[tokens.state_slots] = new_kv
    score_state[tokens.state_slots] = new_gate
