"""NumPy golden of the decode lightning indexer (W8A8C16) and its unquantized float reference.

Both follow the model's math (docs/indexer.md, "The indexer"), never the kernel's intermediate
results. The golden applies the library's INT8 policy (golden/quant.py) at the same points as the
kernel; the float reference is the same model with no quantization (FP32 math after the BF16
inputs), used only to report quality figures (top-k recall, score error).

Inputs are the kernel's parameters by name (see models/deepseek_v4/indexer.py for the order):
x, qr, wq_b, wq_b_scale, weights_proj, rope_cos, rope_sin, hadamard, wkv, wgate, ape,
norm_weight, kv_state, score_state, kv_cache, score, topk_idxs, start_pos, offset.

Top-k rule (shared with the kernel): the k = min(index_topk, visible) cache rows with the highest
score, in descending score order; equal scores are ordered by the smaller cache index first.
Values are cache index + offset; unused slots hold -1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from golden.quant import int32_matmul, quantize_rows, to_bf16
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    NOPE_DIM,
)
from models.deepseek_v4.indexer_compressor_golden import compressor_golden
from models.deepseek_v4.tables import apply_rope_interleaved

#: Scale of the head-weights projection, Dh^-0.5 * H^-0.5, as the FP32 the kernel multiplies by.
WEIGHTS_SCALE = np.float32(INDEX_HEAD_DIM**-0.5 * INDEX_N_HEADS**-0.5)
#: The score of a cache row a token may not see.
SCORE_SENTINEL = np.float32(FP32_LOWEST)
#: Padding of unused top-k slots.
TOPK_PAD = -1


def token_positions(start_pos: int, seq: int) -> np.ndarray:
    """Position of each of the step's ``seq`` tokens: start_pos + s."""
    return int(start_pos) + np.arange(seq, dtype=np.int64)


def visible_lengths(start_pos: int, seq: int) -> np.ndarray:
    """Cache rows each token may see: (pos + 1) // 4 (rows of windows closed at or before pos)."""
    return (token_positions(start_pos, seq) + 1) // COMPRESS_RATIO


def visible_mask(start_pos: int, batch: int, seq: int, cache_rows: int) -> np.ndarray:
    """Boolean [B, S, cache_rows]: True where token s may see cache row j."""
    vis = visible_lengths(start_pos, seq)
    cols = np.arange(cache_rows)[None, :] < vis[:, None]
    return np.broadcast_to(cols[None], (batch, seq, cache_rows)).copy()


def _matmul_f32(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float matmul accumulated exactly (float64) and rounded once to FP32."""
    return (np.asarray(a, np.float64) @ np.asarray(b, np.float64)).astype(np.float32)


def topk_rows(score: np.ndarray, visible: np.ndarray, topk: int, offset: int) -> np.ndarray:
    """Top-k indices [B, S, topk] INT32 of ``score`` [B, S, L] over each token's visible prefix.

    Descending score, ties to the smaller cache index; values + ``offset``; unused slots -1.
    """
    b_count, s_count, _ = score.shape
    out = np.full((b_count, s_count, topk), TOPK_PAD, dtype=np.int32)
    for b in range(b_count):
        for s in range(s_count):
            vis = int(visible[s])
            k = min(topk, vis)
            if k == 0:
                continue
            row = np.asarray(score[b, s, :vis], dtype=np.float64)
            order = np.lexsort((np.arange(vis), -row))[:k]  # value descending, index ascending
            out[b, s, :k] = order.astype(np.int32) + np.int32(offset)
    return out


def run_compressor(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Stage 7: the inner ratio-4 compressor over the step's tokens, on copies of its state.

    Returns the updated ``kv_state``, ``score_state`` and ``kv_cache`` (the cache gets one BF16
    row at pos // 4 for every window a token of this step closes).
    """
    kv_state, score_state, kv_cache = compressor_golden(
        np.asarray(inputs["x"]),
        inputs["wkv"],
        inputs["wgate"],
        inputs["ape"],
        inputs["norm_weight"],
        inputs["rope_cos"],
        inputs["rope_sin"],
        inputs["hadamard"],
        inputs["kv_state"],
        inputs["score_state"],
        inputs["kv_cache"],
        int(inputs["start_pos"]),
        True,
    )
    return {"kv_state": kv_state, "score_state": score_state, "kv_cache": kv_cache}


def quantized_query(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Stages 1-6 of the W8A8C16 golden: INT8 q codes, their scales and the head weights.

    Returns ``q_codes`` int8 [B, S, H, Dh], ``q_scale`` float32 [B, S, H] and ``weights``
    float32 [B, S, H].
    """
    x = np.asarray(inputs["x"])
    qr = np.asarray(inputs["qr"])
    batch, seq, _ = x.shape
    tokens = batch * seq
    heads, head_dim = INDEX_N_HEADS, INDEX_HEAD_DIM

    # 1 qr_quant: per-row INT8 of qr.
    qr_codes, qr_scale = quantize_rows(qr.reshape(tokens, -1))
    # 2 qr_proj: exact INT32 accumulation, then (acc * row scale) * channel scale -> BF16.
    acc = int32_matmul(qr_codes, inputs["wq_b"]).astype(np.float32)
    channel_scale = np.asarray(inputs["wq_b_scale"], np.float32).reshape(1, -1)
    q = to_bf16((acc * qr_scale) * channel_scale).reshape(batch, seq, heads, head_dim)
    # 3 rope: the trailing ROPE_DIM dims of every head, at each token's own position.
    pos = token_positions(inputs["start_pos"], seq)
    cos = np.asarray(inputs["rope_cos"], np.float32)[pos][None, :, None, :]
    sin = np.asarray(inputs["rope_sin"], np.float32)[pos][None, :, None, :]
    rotated = apply_rope_interleaved(q[..., NOPE_DIM:].astype(np.float32), cos, sin)
    q = np.concatenate([q[..., :NOPE_DIM], to_bf16(rotated)], axis=-1)
    # 4 qr_hadamard: q @ Hadamard with FP32 accumulation -> BF16.
    hadamard = np.asarray(inputs["hadamard"]).astype(np.float32)
    q_rot = to_bf16(_matmul_f32(q.reshape(-1, head_dim).astype(np.float32), hadamard))
    # 5 qr_hadamard_quant: per (token, head) INT8.
    q_codes, q_scale = quantize_rows(q_rot)
    # 6 weights_proj: (x @ weights_proj) * Dh^-0.5 * H^-0.5 in FP32.
    weights = _matmul_f32(x.reshape(tokens, -1).astype(np.float32), inputs["weights_proj"])
    weights = (weights * WEIGHTS_SCALE).astype(np.float32)
    return {
        "q_codes": q_codes.reshape(batch, seq, heads, head_dim),
        "q_scale": q_scale.reshape(batch, seq, heads),
        "weights": weights.reshape(batch, seq, heads),
    }


def quantized_scores(
    q_codes: np.ndarray,
    q_scale: np.ndarray,
    weights: np.ndarray,
    kv_cache: np.ndarray,
    visible: np.ndarray,
) -> np.ndarray:
    """Stages 8-10: per-row INT8 of the visible cache, INT32 scores, FP32 weighted head sum.

    score[b, s, j] = sum_h relu((acc * q_scale[h]) * kv_scale[j]) * weights[h] for j < visible[s];
    every other cell holds the lowest finite FP32.
    """
    batch, seq, _, _ = q_codes.shape
    cache_rows = kv_cache.shape[1]
    score = np.full((batch, seq, cache_rows), SCORE_SENTINEL, dtype=np.float32)
    seen = int(visible.max()) if visible.size else 0
    if seen == 0:
        return score
    for b in range(batch):
        kv_codes, kv_scale = quantize_rows(kv_cache[b, :seen])  # [seen, Dh], [seen, 1]
        for s in range(seq):
            vis = int(visible[s])
            if vis == 0:
                continue
            acc = int32_matmul(q_codes[b, s], kv_codes[:vis].T).astype(np.float32)  # [H, vis]
            deq = (acc * q_scale[b, s][:, None]) * kv_scale[:vis, 0][None, :]
            weighted = np.maximum(deq, np.float32(0.0)) * weights[b, s][:, None]
            score[b, s, :vis] = weighted.astype(np.float64).sum(axis=0).astype(np.float32)
    return score


def indexer_golden(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The W8A8C16 indexer step: score, topk_idxs and the updated cache and compressor state.

    ``inputs`` holds the kernel's parameters by name; nothing in it is modified.
    """
    seq = np.asarray(inputs["x"]).shape[1]
    topk = np.asarray(inputs["topk_idxs"]).shape[2]
    query = quantized_query(inputs)
    compressed = run_compressor(inputs)  # 7: runs before scoring, so closed windows are visible
    visible = visible_lengths(inputs["start_pos"], seq)
    score = quantized_scores(
        query["q_codes"], query["q_scale"], query["weights"], compressed["kv_cache"], visible
    )
    return {
        "score": score,
        "topk_idxs": topk_rows(score, visible, topk, int(inputs["offset"])),
        "kv_cache": compressed["kv_cache"],
        "kv_state": compressed["kv_state"],
        "score_state": compressed["score_state"],
    }


def float_query(inputs: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Unquantized stages 1-6: rotated q [B, S, H, Dh] and head weights [B, S, H], FP32.

    q = qr @ (wq_b * wq_b_scale), RoPE and Hadamard in FP32 (no BF16 rounding in between).
    """
    x = np.asarray(inputs["x"])
    batch, seq, _ = x.shape
    tokens = batch * seq
    heads, head_dim = INDEX_N_HEADS, INDEX_HEAD_DIM
    weight = np.asarray(inputs["wq_b"], np.float32) * np.asarray(inputs["wq_b_scale"], np.float32)
    qr = np.asarray(inputs["qr"]).astype(np.float32).reshape(tokens, -1)
    q = _matmul_f32(qr, weight).reshape(batch, seq, heads, head_dim)
    pos = token_positions(inputs["start_pos"], seq)
    cos = np.asarray(inputs["rope_cos"], np.float32)[pos][None, :, None, :]
    sin = np.asarray(inputs["rope_sin"], np.float32)[pos][None, :, None, :]
    q[..., NOPE_DIM:] = apply_rope_interleaved(q[..., NOPE_DIM:], cos, sin)
    hadamard = np.asarray(inputs["hadamard"]).astype(np.float32)
    q = _matmul_f32(q.reshape(-1, head_dim), hadamard).reshape(batch, seq, heads, head_dim)
    weights = _matmul_f32(x.reshape(tokens, -1).astype(np.float32), inputs["weights_proj"])
    weights = (weights * WEIGHTS_SCALE).reshape(batch, seq, heads)
    return q, weights


def indexer_float_reference(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The same indexer with no quantization: FP32 math after the BF16 inputs.

    Query and head weights from :func:`float_query`; scores against the FP32 value of the BF16
    cache after this step's compressor writes. Returns ``score`` [B, S, L] (sentinel where
    invisible) and ``topk_idxs`` [B, S, index_topk] under the same top-k rule.
    """
    q, weights = float_query(inputs)
    batch, seq = q.shape[:2]
    topk = np.asarray(inputs["topk_idxs"]).shape[2]
    cache = run_compressor(inputs)["kv_cache"].astype(np.float32)
    visible = visible_lengths(inputs["start_pos"], seq)
    score = np.full((batch, seq, cache.shape[1]), SCORE_SENTINEL, dtype=np.float32)
    for b in range(batch):
        for s in range(seq):
            vis = int(visible[s])
            if vis == 0:
                continue
            dots = q[b, s].astype(np.float64) @ cache[b, :vis].astype(np.float64).T  # [H, vis]
            weighted = np.maximum(dots, 0.0) * weights[b, s][:, None].astype(np.float64)
            score[b, s, :vis] = weighted.sum(axis=0).astype(np.float32)
    return {"score": score, "topk_idxs": topk_rows(score, visible, topk, int(inputs["offset"]))}


def topk_recall(actual: np.ndarray, reference: np.ndarray, visible: np.ndarray) -> float | None:
    """Mean over tokens with k > 0 of |actual set ∩ reference set| / k (None if no such token)."""
    topk = actual.shape[2]
    recalls = []
    for b in range(actual.shape[0]):
        for s in range(actual.shape[1]):
            k = min(topk, int(visible[s]))
            if k == 0:
                continue
            got = set(actual[b, s, :k].tolist())
            want = set(reference[b, s, :k].tolist())
            recalls.append(len(got & want) / k)
    return float(np.mean(recalls)) if recalls else None


def indexer_quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray]
) -> dict[str, float | None]:
    """Quality of a W8A8C16 result against the float reference.

    ``topk_recall_vs_float``: mean over tokens with k > 0 of |kernel set ∩ reference set| / k.
    ``score_rel_l2_vs_float``: ||score - reference|| / ||reference|| over visible cells.
    """
    reference = indexer_float_reference(inputs)
    seq = np.asarray(inputs["x"]).shape[1]
    visible = visible_lengths(inputs["start_pos"], seq)
    score = np.asarray(outputs["score"], np.float64)
    ref_score = reference["score"].astype(np.float64)
    mask = visible_mask(inputs["start_pos"], score.shape[0], seq, score.shape[2])
    rel_l2 = None
    if mask.any():
        norm = float(np.linalg.norm(ref_score[mask]))
        diff = float(np.linalg.norm(score[mask] - ref_score[mask]))
        rel_l2 = diff / norm if norm > 0 else None
    return {
        "topk_recall_vs_float": topk_recall(
            np.asarray(outputs["topk_idxs"]), reference["topk_idxs"], visible
        ),
        "score_rel_l2_vs_float": rel_l2,
    }
