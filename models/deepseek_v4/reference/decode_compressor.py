"""NumPy golden of the DeepSeek-V4 ratio-4 overlapping indexer compressor.

Written from the model's math (DeepSeek-V4's ratio-4 overlapping compressor), never from a
kernel's output. It follows the dtype chain documented in ``kernels/decode_compressor.py``:

1. kv = x @ wkv, gate = x @ wgate: BF16 operands, products summed exactly and rounded once to
   FP32 (the cube accumulates in FP32 in its own order; the difference is far below the state
   tolerance). score = gate + ape[pos % 4] in FP32.
2. pooling in FP32: m = max over the 8 rows, e_r = exp(g_r - m), pooled = (sum_r e_r * kv_r) /
   (sum_r e_r), both sums accumulated in row order 0..7; the pooled row is rounded to BF16 (RNE).
3. RMSNorm in FP32 on the BF16 pooled value: x * rsqrt(sum(x*x) * (1/128) + 1e-6) * weight,
   rounded to BF16.
4. RoPE in FP32 on the BF16 normed value's trailing 64 dims (interleaved pairs) at the window's
   first position, rounded to BF16.
5. rotate: BF16 row @ BF16 Hadamard, exact sum rounded to FP32, then rounded to BF16.

State layout: kv_state / score_state [B, 8, 256]; rows 0..3 the previous window, rows 4..7 the
current one; pooling reads columns 0..127 of rows 0..3 and columns 128..255 of rows 4..7. After a
window closes rows 4..7 are copied to rows 0..3 and keep their values.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    NOPE_DIM,
    RMS_NORM_EPS,
)
from models.deepseek_v4.reference.quant import quantize_rows
from models.deepseek_v4.reference.tables import apply_rope_interleaved

BF16 = ml_dtypes.bfloat16
F32 = np.float32


def to_bf16(x: np.ndarray) -> np.ndarray:
    """Round to BF16, nearest with ties to even (pl cast mode ``rint``)."""
    return np.asarray(x, dtype=F32).astype(BF16)


def fp32_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` of (BF16) operands with the exact sum rounded once to FP32."""
    return (np.asarray(a, np.float64) @ np.asarray(b, np.float64)).astype(F32)


def empty_state(batch: int) -> tuple[np.ndarray, np.ndarray]:
    """A fresh compressor state: kv_state zeros and score_state -inf, each [batch, 8, 256]."""
    shape = (batch, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH)
    return np.zeros(shape, F32), np.full(shape, -np.inf, F32)


def pool_window(kv_state: np.ndarray, score_state: np.ndarray) -> np.ndarray:
    """Gated softmax pooling over the 8 state rows: [B, 8, 256] x2 -> pooled [B, 128] FP32.

    Rows 0..3 contribute columns 0..127 (previous window's front half), rows 4..7 columns
    128..255 (current window's back half). Sums run in row order 0..7 in FP32.
    """
    half = INDEX_HEAD_DIM
    ratio = COMPRESS_RATIO
    gates = np.concatenate(
        [score_state[:, :ratio, :half], score_state[:, ratio:, half:]], axis=1
    ).astype(F32)
    values = np.concatenate([kv_state[:, :ratio, :half], kv_state[:, ratio:, half:]], axis=1)
    values = values.astype(F32)
    gate_max = gates.max(axis=1)
    weight_sum = np.zeros_like(gate_max)
    weighted = np.zeros_like(gate_max)
    for r in range(COMPRESS_STATE_ROWS):
        weight = np.exp(gates[:, r] - gate_max).astype(F32)
        weight_sum = (weight_sum + weight).astype(F32)
        weighted = (weighted + (weight * values[:, r]).astype(F32)).astype(F32)
    return (weighted / weight_sum).astype(F32)


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float = RMS_NORM_EPS) -> np.ndarray:
    """RMSNorm in FP32 of ``x`` [..., 128] (BF16 or FP32) with a BF16/FP32 weight -> FP32."""
    values = np.asarray(x).astype(F32)
    mean_square = (
        np.sum(values * values, axis=-1, keepdims=True, dtype=F32) * F32(1.0 / values.shape[-1])
    ).astype(F32)
    inv_rms = (1.0 / np.sqrt((mean_square + F32(eps)).astype(np.float64))).astype(F32)
    return ((values * inv_rms).astype(F32) * np.asarray(weight).astype(F32)).astype(F32)


def compress_row(
    pooled: np.ndarray,
    norm_weight: np.ndarray,
    cos: np.ndarray,
    sin: np.ndarray,
    hadamard: np.ndarray,
    rotate: bool,
) -> np.ndarray:
    """Pooled FP32 rows [B, 128] -> BF16 cache rows [B, 128] (rmsnorm, rope, Hadamard).

    ``cos``/``sin`` are the [32] table rows of the window's first position.
    """
    normed = to_bf16(rms_norm(to_bf16(pooled), norm_weight))
    rope_part = apply_rope_interleaved(normed[:, NOPE_DIM:].astype(F32), cos, sin)
    row = np.concatenate([normed[:, :NOPE_DIM], to_bf16(rope_part)], axis=1)
    if rotate:
        row = to_bf16(fp32_matmul(row, hadamard))
    return row


def compressor_golden(
    x: np.ndarray,
    wkv: np.ndarray,
    wgate: np.ndarray,
    ape: np.ndarray,
    norm_weight: np.ndarray,
    rope_cos: np.ndarray,
    rope_sin: np.ndarray,
    hadamard: np.ndarray,
    kv_state: np.ndarray,
    score_state: np.ndarray,
    kv_cache: np.ndarray,
    start_pos: int,
    rotate: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One decode step of S tokens; returns updated copies (kv_state, score_state, kv_cache).

    ``x`` [B, S, D] BF16; token s is at position start_pos + s; a window closing at pos writes
    kv_cache[:, pos // 4]. Inputs are not modified.
    """
    kv_state = np.array(kv_state, dtype=F32, copy=True)
    score_state = np.array(score_state, dtype=F32, copy=True)
    kv_cache = np.array(kv_cache, dtype=BF16, copy=True)
    batch, seq, dim = x.shape
    tokens = np.asarray(x).reshape(batch * seq, dim)
    kv_all = fp32_matmul(tokens, wkv).reshape(batch, seq, -1)
    gate_all = fp32_matmul(tokens, wgate).reshape(batch, seq, -1)
    ape = np.asarray(ape, dtype=F32)
    ratio = COMPRESS_RATIO
    for s in range(seq):
        pos = int(start_pos) + s
        slot = pos % ratio
        kv_state[:, ratio + slot] = kv_all[:, s]
        score_state[:, ratio + slot] = (gate_all[:, s] + ape[slot]).astype(F32)
        if (pos + 1) % ratio == 0:
            pooled = pool_window(kv_state, score_state)
            kv_state[:, :ratio] = kv_state[:, ratio:]
            score_state[:, :ratio] = score_state[:, ratio:]
            window_start = pos - (ratio - 1)
            kv_cache[:, pos // ratio] = compress_row(
                pooled,
                norm_weight,
                np.asarray(rope_cos[window_start], F32),
                np.asarray(rope_sin[window_start], F32),
                hadamard,
                bool(rotate),
            )
    return kv_state, score_state, kv_cache


def compressor_float_reference(
    x: np.ndarray,
    wkv: np.ndarray,
    wgate: np.ndarray,
    ape: np.ndarray,
    norm_weight: np.ndarray,
    rope_cos: np.ndarray,
    rope_sin: np.ndarray,
    hadamard_exact: np.ndarray,
    kv_state: np.ndarray,
    score_state: np.ndarray,
    start_pos: int,
    rotate: bool,
) -> dict[int, np.ndarray]:
    """The same step in float64 with no intermediate rounding: {cache row: [B, 128] float64}.

    Takes the exact (float64) Hadamard; used to bound how far the BF16 chain strays from the
    unrounded model.
    """
    kv_state = np.array(kv_state, dtype=np.float64, copy=True)
    score_state = np.array(score_state, dtype=np.float64, copy=True)
    batch, seq, dim = x.shape
    tokens = np.asarray(x, np.float64).reshape(batch * seq, dim)
    kv_all = (tokens @ np.asarray(wkv, np.float64)).reshape(batch, seq, -1)
    gate_all = (tokens @ np.asarray(wgate, np.float64)).reshape(batch, seq, -1)
    ratio, half = COMPRESS_RATIO, INDEX_HEAD_DIM
    rows: dict[int, np.ndarray] = {}
    for s in range(seq):
        pos = int(start_pos) + s
        slot = pos % ratio
        kv_state[:, ratio + slot] = kv_all[:, s]
        score_state[:, ratio + slot] = gate_all[:, s] + np.asarray(ape, np.float64)[slot]
        if (pos + 1) % ratio == 0:
            gates = np.concatenate(
                [score_state[:, :ratio, :half], score_state[:, ratio:, half:]], 1
            )
            values = np.concatenate([kv_state[:, :ratio, :half], kv_state[:, ratio:, half:]], 1)
            weight = np.exp(gates - gates.max(axis=1, keepdims=True))
            pooled = (weight * values).sum(axis=1) / weight.sum(axis=1)
            kv_state[:, :ratio] = kv_state[:, ratio:]
            score_state[:, :ratio] = score_state[:, ratio:]
            inv_rms = 1.0 / np.sqrt(np.mean(pooled * pooled, axis=-1, keepdims=True) + RMS_NORM_EPS)
            normed = pooled * inv_rms * np.asarray(norm_weight, np.float64)
            start = pos - (ratio - 1)
            cos = np.asarray(rope_cos[start], np.float64)
            sin = np.asarray(rope_sin[start], np.float64)
            even, odd = normed[:, NOPE_DIM::2].copy(), normed[:, NOPE_DIM + 1 :: 2].copy()
            normed[:, NOPE_DIM::2] = even * cos - odd * sin
            normed[:, NOPE_DIM + 1 :: 2] = odd * cos + even * sin
            if rotate:
                normed = normed @ np.asarray(hadamard_exact, np.float64)
            rows[pos // ratio] = normed
    return rows


def compressor_rows(
    x: np.ndarray,
    wkv: np.ndarray,
    wgate: np.ndarray,
    ape: np.ndarray,
    norm_weight: np.ndarray,
    rope_cos: np.ndarray,
    rope_sin: np.ndarray,
    hadamard: np.ndarray,
    kv_state: np.ndarray,
    score_state: np.ndarray,
    position_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """One step with a position per token; returns updated copies of the per-request states
    ``kv_state`` / ``score_state`` [B, 8, 256] and the BF16 rows written, {(b, s): [128]}.

    ``position_ids`` [B, S]: token s of request b is at that position (consecutive within a
    request); a request whose positions are negative (a padded slot) is skipped entirely.
    The math per request is :func:`compressor_golden`'s, at the request's own positions.
    """
    kv_state = np.array(kv_state, dtype=F32, copy=True)
    score_state = np.array(score_state, dtype=F32, copy=True)
    batch, seq, dim = x.shape
    tokens = np.asarray(x).reshape(batch * seq, dim)
    kv_all = fp32_matmul(tokens, wkv).reshape(batch, seq, -1)
    gate_all = fp32_matmul(tokens, wgate).reshape(batch, seq, -1)
    ape = np.asarray(ape, dtype=F32)
    ratio = COMPRESS_RATIO
    written: dict[tuple[int, int], np.ndarray] = {}
    for b in range(batch):
        for s in range(seq):
            pos = int(position_ids[b, s])
            if pos < 0:
                continue
            slot = pos % ratio
            kv_state[b, ratio + slot] = kv_all[b, s]
            score_state[b, ratio + slot] = (gate_all[b, s] + ape[slot]).astype(F32)
            if (pos + 1) % ratio == 0:
                pooled = pool_window(kv_state[b : b + 1], score_state[b : b + 1])
                kv_state[b, :ratio] = kv_state[b, ratio:]
                score_state[b, :ratio] = score_state[b, ratio:]
                start = pos - (ratio - 1)
                written[(b, s)] = compress_row(
                    pooled,
                    norm_weight,
                    np.asarray(rope_cos[start], F32),
                    np.asarray(rope_sin[start], F32),
                    hadamard,
                    True,
                )[0]
    return kv_state, score_state, written


def compressor_paged_golden(inputs: dict) -> dict[str, np.ndarray]:
    """The compressor step on the serving contract (contract/decode.py).

    ``inputs`` holds the kernel's parameters by name: x, wkv, wgate, ape, norm_weight, rope_cos,
    rope_sin, hadamard, position_ids, state_slots, slot_mapping, kv_state, score_state,
    index_cache and, for the c8 format, index_cache_scale. Returns updated copies of the state
    pools and the cache (and its scale): a closing token's row lands in its slot_mapping slot,
    as BF16 (c16) or as its per-row INT8 codes and FP32 dequant scale (c8, reference/quant.py).
    Padded requests (state slot -1) and every other pool slot stay untouched.
    """
    states = np.asarray(inputs["state_slots"], np.int64)
    live = np.nonzero(states >= 0)[0]
    kv_pool = np.array(inputs["kv_state"], dtype=F32, copy=True)
    score_pool = np.array(inputs["score_state"], dtype=F32, copy=True)
    cache = np.array(inputs["index_cache"], copy=True)
    c8 = "index_cache_scale" in inputs
    out: dict[str, np.ndarray] = {}
    if c8:
        scale = np.array(inputs["index_cache_scale"], dtype=F32, copy=True)
    if live.size:
        kv_req, score_req, written = compressor_rows(
            np.asarray(inputs["x"])[live], inputs["wkv"], inputs["wgate"], inputs["ape"],
            inputs["norm_weight"], inputs["rope_cos"], inputs["rope_sin"], inputs["hadamard"],
            kv_pool[states[live]], score_pool[states[live]],
            np.asarray(inputs["position_ids"])[live],
        )  # fmt: skip
        kv_pool[states[live]] = kv_req
        score_pool[states[live]] = score_req
        flat = cache.reshape(-1, cache.shape[2])
        slots = np.asarray(inputs["slot_mapping"], np.int64)
        for (i, s), row in written.items():
            slot = int(slots[live[i], s])
            if c8:
                codes, deq = quantize_rows(row[None, :])
                flat[slot] = codes[0]
                scale.reshape(-1)[slot] = deq[0, 0]
            else:
                flat[slot] = row
    out["kv_state"], out["score_state"], out["index_cache"] = kv_pool, score_pool, cache
    if c8:
        out["index_cache_scale"] = scale
    return out
