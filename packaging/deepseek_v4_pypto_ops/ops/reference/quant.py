"""The W8A8 policy of golden/quant.py in PyTorch: per-row INT8 codes and FP32 dequant scales,
exact INT8 x INT8 products, BF16 rounding. Every step is one IEEE operation in the golden's
order, so codes and scales equal the golden's bit for bit (tests/torch_ops check it)."""

from __future__ import annotations

import torch

AMAX_FLOOR = 1e-4
INT8_MAX = 127.0
#: float32 holds every integer up to 2^24 exactly: an INT8 x INT8 sum of K products (each at
#: most 127 * 127 in magnitude) is exact in any order while K * 127^2 < 2^24 (K <= 1040).
_FP32_EXACT = 2**24


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row INT8 codes [..., N] and FP32 dequant scales [..., 1] of ``x`` (last axis).

    amax = max(max|x|, 1e-4); codes = round-half-away(x * (127 / amax)) (|codes| <= 127, so the
    kernels' INT32 -> FP16 -> INT8 trunc chain is the identity); scale = amax / 127.
    """
    xf = x.to(torch.float32, copy=True)  # worked on in place below
    floor = torch.tensor(AMAX_FLOOR, dtype=torch.float32)
    amax = torch.maximum(torch.linalg.vector_norm(xf, float("inf"), dim=-1, keepdim=True), floor)
    scaled = xf.mul_(torch.tensor(INT8_MAX, dtype=torch.float32) / amax)
    # Round half away from zero, exactly in FP32 (|scaled| <= 127: trunc and the fraction are
    # exact), as golden/quant.py's fast path.
    rounded = torch.trunc(scaled)
    away = scaled.sub_(rounded).abs_().ge_(0.5).copysign_(rounded)  # trunc keeps the sign
    codes = rounded.add_(away).to(torch.int8)
    return codes, amax / torch.tensor(INT8_MAX, dtype=torch.float32)


def int_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact ``a @ b`` of INT8 codes as float32 values (integers; FP32-exact sums when K is
    small enough, else summed in float64 and rounded once, as the golden's INT32 -> FP32)."""
    k = a.shape[-1]
    if k * 127 * 127 < _FP32_EXACT:
        return a.to(torch.float32) @ b.to(torch.float32)
    return (a.to(torch.float64) @ b.to(torch.float64)).to(torch.float32)


def matmul_f32(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` summed in float64 and rounded once to float32 (the goldens' FP32 matmul)."""
    return (a.to(torch.float64) @ b.to(torch.float64)).to(torch.float32)


def to_bf16(x: torch.Tensor) -> torch.Tensor:
    """Round to BF16, nearest with ties to even."""
    return x.to(torch.float32).to(torch.bfloat16)
