"""NumPy golden of the decode lightning indexer (W8A8 with a C16 or C8 cache) on the serving
contract (contract/decode.py), and its unquantized float reference.

Both follow the model's math (DeepSeek-V4's indexer: q = RoPE'd, Hadamard-rotated wq_b(qr);
score = sum_h relu(q_h . k_j) * w_h over the compressed cache), never the kernel's intermediate
results. The golden applies the library's INT8 policy (reference/quant.py) at the same points as
the kernel: c16 quantizes each BF16 cache row at score time, c8 stores the codes and scale the
compressor computed with the same chain, so both formats give the same codes, scores and top-k.
The float reference is the same model with no quantization (FP32 math after the BF16 inputs),
used only to report quality figures (top-k recall, score error).

Inputs are the kernel's parameters by name (kernels/decode_indexer.py lists them); a c8
step is one whose inputs carry ``index_cache_scale``.

Top-k rule (shared with the kernel): the k = min(index_topk, visible) cache rows with the highest
score, in descending score order; equal scores are ordered by the smaller cache index first.
Values are logical cache index + the token's ``topk_offset``; unused slots and padded
requests hold -1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from models.deepseek_v4.config import (
    FP32_LOWEST,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    NOPE_DIM,
)
from models.deepseek_v4.contract.decode import physical_rows, score_width_for_rows, visible_rows
from models.deepseek_v4.reference.decode_compressor import compressor_paged_golden
from models.deepseek_v4.reference.quant import INT8_MAX, int32_matmul, quantize_rows, to_bf16
from models.deepseek_v4.reference.tables import apply_rope_interleaved

#: Scale of the head-weights projection, Dh^-0.5 * H^-0.5, as the FP32 the kernel multiplies by.
WEIGHTS_SCALE = np.float32(INDEX_HEAD_DIM**-0.5 * INDEX_N_HEADS**-0.5)
#: The score of a cache row a token may not see.
SCORE_SENTINEL = np.float32(FP32_LOWEST)
#: Padding of unused top-k slots.
TOPK_PAD = -1


def query_positions(inputs: Mapping[str, Any]) -> np.ndarray:
    """Rope position of every query token [B, S]: ``position_ids``, a padded token's -1 read as
    0 (its query feeds no output; the kernel reads the same table row)."""
    return np.maximum(np.asarray(inputs["position_ids"], np.int64), 0)


def _matmul_f32(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float matmul accumulated exactly (float64) and rounded once to FP32."""
    return (np.asarray(a, np.float64) @ np.asarray(b, np.float64)).astype(np.float32)


def topk_rows(
    score: np.ndarray, visible: np.ndarray, topk: int, offset: int | np.ndarray
) -> np.ndarray:
    """Top-k indices [B, S, topk] INT32 of ``score`` [B, S, L] over each token's visible prefix
    (``visible`` [S] or [B, S]).

    Descending score, ties to the smaller cache index; values + the token's ``offset`` (one
    number, or [B, S] as the kernels' ``topk_offset``); unused slots -1.
    """
    b_count, s_count, _ = score.shape
    visible = np.broadcast_to(np.asarray(visible), (b_count, s_count))
    offset = np.broadcast_to(np.asarray(offset, np.int64), (b_count, s_count))
    out = np.full((b_count, s_count, topk), TOPK_PAD, dtype=np.int32)
    for b in range(b_count):
        for s in range(s_count):
            vis = int(visible[b, s])
            k = min(topk, vis)
            if k == 0:
                continue
            row = np.asarray(score[b, s, :vis], dtype=np.float64)
            order = np.lexsort((np.arange(vis), -row))[:k]  # value descending, index ascending
            out[b, s, :k] = order.astype(np.int32) + np.int32(offset[b, s])
    return out


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
    pos = query_positions(inputs)
    cos = np.asarray(inputs["rope_cos"], np.float32)[pos][:, :, None, :]
    sin = np.asarray(inputs["rope_sin"], np.float32)[pos][:, :, None, :]
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
    pos = query_positions(inputs)
    cos = np.asarray(inputs["rope_cos"], np.float32)[pos][:, :, None, :]
    sin = np.asarray(inputs["rope_sin"], np.float32)[pos][:, :, None, :]
    q[..., NOPE_DIM:] = apply_rope_interleaved(q[..., NOPE_DIM:], cos, sin)
    hadamard = np.asarray(inputs["hadamard"]).astype(np.float32)
    q = _matmul_f32(q.reshape(-1, head_dim), hadamard).reshape(batch, seq, heads, head_dim)
    weights = _matmul_f32(x.reshape(tokens, -1).astype(np.float32), inputs["weights_proj"])
    weights = (weights * WEIGHTS_SCALE).reshape(batch, seq, heads)
    return q, weights


def topk_recall(actual: np.ndarray, reference: np.ndarray, visible: np.ndarray) -> float | None:
    """Mean over tokens with k > 0 of |actual set ∩ reference set| / k (None if no such token)."""
    topk = actual.shape[2]
    visible = np.broadcast_to(np.asarray(visible), actual.shape[:2])
    recalls = []
    for b in range(actual.shape[0]):
        for s in range(actual.shape[1]):
            k = min(topk, int(visible[b, s]))
            if k == 0:
                continue
            got = set(actual[b, s, :k].tolist())
            want = set(reference[b, s, :k].tolist())
            recalls.append(len(got & want) / k)
    return float(np.mean(recalls)) if recalls else None


def request_codes(
    inputs: Mapping[str, Any], cache: np.ndarray, scale: np.ndarray | None, b: int, rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """INT8 codes [rows, 128] and FP32 dequant scales [rows, 1] of request b's logical rows.

    c16 (``scale`` None): the BF16 rows quantized per row now (reference/quant.py); c8: the codes
    and scales stored in the pool. Both go through the block table.
    """
    block_size = cache.shape[1]
    flat_rows = physical_rows(np.asarray(inputs["block_table"])[b], rows, block_size)
    pool = cache.reshape(-1, cache.shape[2])[flat_rows]
    if scale is None:
        return quantize_rows(pool)
    return pool.astype(np.int8), scale.reshape(-1)[flat_rows][:, None].astype(np.float32)


def score_head_factors(query: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each head's factor of the score [B, S, H]: q_scale * weight, one FP32 rounding.

    The score policy (DeepSeek's reference indexer kernel, whose head weights arrive already
    multiplied by the query's dequant scale): score = kv_scale * sum_h relu(acc_h) * factor_h,
    every product one FP32 rounding, the head sum exact and rounded once (the kernel sums in
    FP32). Both scales are positive, so this is the same value as sum_h relu(acc_h * q_scale_h
    * kv_scale) * w_h up to rounding; its order costs 4 vector element-ops per (row, token,
    head) on chip instead of 6.
    """
    return (np.asarray(query["q_scale"], np.float32) * np.asarray(query["weights"], np.float32))


def paged_scores(
    inputs: Mapping[str, Any],
    query: Mapping[str, np.ndarray],
    cache: np.ndarray,
    scale: np.ndarray | None,
    width: int,
) -> np.ndarray:
    """Stages 8-10 on the paged cache: score [B, S, width], sentinel outside each token's
    visible prefix (all of a padded request's row)."""
    q_codes = query["q_codes"]
    head_factor = score_head_factors(query)
    batch, seq = q_codes.shape[:2]
    visible = visible_rows(inputs["position_ids"])
    score = np.full((batch, seq, width), SCORE_SENTINEL, dtype=np.float32)
    for b in range(batch):
        seen = int(visible[b].max())
        if seen == 0:
            continue
        kv_codes, kv_scale = request_codes(inputs, cache, scale, b, seen)
        for s in range(seq):
            vis = int(visible[b, s])
            if vis == 0:
                continue
            acc = int32_matmul(q_codes[b, s], kv_codes[:vis].T).astype(np.float32)
            weighted = np.maximum(acc, np.float32(0.0)) * head_factor[b, s][:, None]
            head_sum = weighted.astype(np.float64).sum(axis=0).astype(np.float32)
            score[b, s, :vis] = head_sum * kv_scale[:vis, 0]
    return score


def paged_score_step(
    inputs: Mapping[str, Any],
    query: Mapping[str, np.ndarray],
    cache: np.ndarray,
    scale: np.ndarray | None,
    width: int,
) -> np.ndarray:
    """The score change of one INT8 step of q, per cell [B, S, width] (0 where not visible):
    max_h |w_h| * q_scale_h times the cache row's largest value (kv_scale * 127).

    Why the score comparison allows it: the query's Hadamard product is a BF16 dot product
    accumulated in FP32 in an order the hardware defines (the golden sums exactly, pto-isa's
    CPU backend in sequence, the cube its own way). Where the FP32 sum sits next to a BF16
    rounding boundary the BF16 value moves one step, and its INT8 code (or the row's scale)
    can follow; one code of head h moves cell j by |w_h| * q_scale_h * kv_scale_j * |kv_code|,
    at most this step. Scores are about 256 steps on the test inputs, so the allowance is
    about 2^-8 of a typical score; in cancelling cells it dwarfs the relative tolerance.
    """
    q_scale, weights = query["q_scale"], query["weights"]
    batch, seq = q_scale.shape[:2]
    visible = visible_rows(inputs["position_ids"])
    step = np.zeros((batch, seq, width), dtype=np.float32)
    for b in range(batch):
        seen = int(visible[b].max())
        if seen == 0:
            continue
        _, kv_scale = request_codes(inputs, cache, scale, b, seen)
        row_max = kv_scale[:, 0].astype(np.float64) * float(INT8_MAX)
        for s in range(seq):
            vis = int(visible[b, s])
            head_step = float(np.max(np.abs(weights[b, s]).astype(np.float64) * q_scale[b, s]))
            step[b, s, :vis] = (head_step * row_max[:vis]).astype(np.float32)
    return step


def score_row_width(inputs: Mapping[str, Any]) -> int:
    """Score row length W: the ``score`` buffer's when the step has one, else (a top-k-only
    step) the block table's addressable rows rounded up to whole 512-row top-k chunks."""
    if "score" in inputs:
        return int(np.asarray(inputs["score"]).shape[2])
    rows = np.asarray(inputs["block_table"]).shape[1] * np.asarray(inputs["index_cache"]).shape[1]
    return score_width_for_rows(rows)


def indexer_paged_golden(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The indexer step on the serving contract: score, topk_idxs, the cache (and its scale in
    c8) after the compressor's writes, and the state pools.

    ``inputs`` holds the kernel's parameters by name (kernels/decode_indexer.py); a c8
    step is one whose inputs carry ``index_cache_scale``. Nothing in ``inputs`` is modified.
    """
    topk = np.asarray(inputs["topk_idxs"]).shape[2]
    width = score_row_width(inputs)
    query = quantized_query(inputs)
    compressed = compressor_paged_golden(dict(inputs))  # runs first: closed windows are visible
    scale = compressed.get("index_cache_scale")
    score = paged_scores(inputs, query, compressed["index_cache"], scale, width)
    visible = visible_rows(inputs["position_ids"])
    return {
        "score": score,
        "topk_idxs": topk_rows(score, visible, topk, np.asarray(inputs["topk_offset"])),
        "score_step": paged_score_step(inputs, query, compressed["index_cache"], scale, width),
        **compressed,
    }


def float_paged_scores(
    inputs: Mapping[str, Any],
    q: np.ndarray,
    weights: np.ndarray,
    cache: np.ndarray,
    scale: np.ndarray | None,
    width: int,
) -> np.ndarray:
    """Unquantized stages 8-10 on the paged cache: score [B, S, width] of the FP32 query ``q``
    [B, S, H, Dh] and head ``weights`` [B, S, H] against each row's FP32 value (c16: the BF16
    row; c8: codes * scale); sentinel outside each token's visible prefix."""
    batch, seq = q.shape[:2]
    visible = visible_rows(inputs["position_ids"])
    score = np.full((batch, seq, width), SCORE_SENTINEL, dtype=np.float32)
    for b in range(batch):
        seen = int(visible[b].max())
        if seen == 0:
            continue
        flat_rows = physical_rows(np.asarray(inputs["block_table"])[b], seen, cache.shape[1])
        rows = cache.reshape(-1, cache.shape[2])[flat_rows].astype(np.float64)
        if scale is not None:
            rows = rows * scale.reshape(-1)[flat_rows][:, None].astype(np.float64)
        for s in range(seq):
            vis = int(visible[b, s])
            if vis == 0:
                continue
            dots = q[b, s].astype(np.float64) @ rows[:vis].T
            weighted = np.maximum(dots, 0.0) * weights[b, s][:, None].astype(np.float64)
            score[b, s, :vis] = weighted.sum(axis=0).astype(np.float32)
    return score


def indexer_paged_float_reference(inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The serving step with no quantization: FP32 query against the FP32 value of each row.

    c16 rows are the BF16 rows; c8 rows are codes * scale (the stored row's value). Returns
    ``score`` and ``topk_idxs`` under the same top-k rule.
    """
    q, weights = float_query(inputs)
    topk = np.asarray(inputs["topk_idxs"]).shape[2]
    width = score_row_width(inputs)
    compressed = compressor_paged_golden(dict(inputs))
    cache = compressed["index_cache"]
    scale = compressed.get("index_cache_scale")
    score = float_paged_scores(inputs, q, weights, cache, scale, width)
    visible = visible_rows(inputs["position_ids"])
    offsets = np.asarray(inputs["topk_offset"])
    return {"score": score, "topk_idxs": topk_rows(score, visible, topk, offsets)}


def indexer_paged_quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray]
) -> dict[str, float | None]:
    """topk_recall_vs_float and score_rel_l2_vs_float of a serving step's outputs (the latter
    None for a top-k-only step, which returns no scores)."""
    reference = indexer_paged_float_reference(inputs)
    visible = visible_rows(inputs["position_ids"])
    rel_l2 = None
    if "score" in outputs:  # a top-k-only step returns no scores
        score = np.asarray(outputs["score"], np.float64)
        ref_score = reference["score"].astype(np.float64)
        mask = np.arange(score.shape[2])[None, None, :] < visible[:, :, None]
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
