"""The W8A8 policy of models/deepseek_v4/reference/quant.py in PyTorch: per-row INT8 codes and FP32
dequant scales, exact INT8 x INT8 products, BF16 rounding. Every step is one IEEE operation in the
golden's
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
    codes = round_half_away_(scaled).to(torch.int8)
    return codes, amax / torch.tensor(INT8_MAX, dtype=torch.float32)


#: The largest float32 below 0.5.
_BELOW_HALF = torch.tensor(0.49999997, dtype=torch.float32)


def round_half_away_(x: torch.Tensor) -> torch.Tensor:
    """Round float32 ``x`` (|x| < 2^22) to integers, ties away from zero, in place.

    trunc(x + copysign(0.49999997, x)) is exact here: below a tie the sum stays under the next
    integer (it is at least 2^-25 short of it, and rounds down to a float32 there); at or above
    a tie it reaches it (0.5 + 0.49999997 rounds to 1.0, ties to even). One add and one trunc
    instead of the golden's four steps (tests/torch_ops check it against fp32_to_int32_round).
    """
    return x.add_(_BELOW_HALF.copysign(x)).trunc_()


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
