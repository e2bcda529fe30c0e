"""Score and top-k comparisons of a prefill chunk that see the rows the chunk itself wrote.

In a chunk, tokens score rows the kernel's compressor wrote moments earlier. The cache
comparison (decode_compare.pool_comparison) lets a written row differ from the golden's by one
BF16 ULP at the row's scale (the kernel's FP32 sums run in another order; a rounding boundary
flips now and then), and a chunk writes hundreds of rows, so some do. Scoring the golden's row
against the kernel's score of its own row would then count the compressor's legal rounding as a
score error. So, for exactly the rows whose written value differs from the golden's, the
expected cells are the golden's scoring math
(reference/decode_indexer.quantized_query / paged_scores)
applied to the kernel's row; every other cell is the plain golden. The figures report how many
rows were rescored; a row outside the cache tolerance fails the cache comparison anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from golden.case import CompareResult, Comparison
from models.deepseek_v4.config import COMPRESS_RATIO, INDEX_HEAD_DIM
from models.deepseek_v4.contract.decode import visible_rows
from models.deepseek_v4.contract.prefill import request_of_tokens
from models.deepseek_v4.reference.decode_indexer import paged_scores, quantized_query, topk_rows
from models.deepseek_v4.reference.prefill import token_rows_as_step

#: Block size of the one-row pool a rescored row is put in (the smallest allowed).
MINI_BLOCK = 16


def _differing_slots(actual: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray],
                     inputs: Mapping[str, Any]) -> list[int]:  # fmt: skip
    slots = np.asarray(inputs["slot_mapping"]).reshape(-1)
    if "index_cache" not in actual:
        return []
    got = np.asarray(actual["index_cache"]).reshape(-1, INDEX_HEAD_DIM)
    want = np.asarray(expected["index_cache"]).reshape(-1, INDEX_HEAD_DIM)
    differ = []
    for slot in slots[slots >= 0].tolist():
        same = np.array_equal(got[slot], want[slot])
        if "index_cache_scale" in expected:
            same = same and np.array_equal(
                np.asarray(actual["index_cache_scale"]).reshape(-1)[slot],
                np.asarray(expected["index_cache_scale"]).reshape(-1)[slot],
            )
        if not same:
            differ.append(int(slot))
    return differ


def kernel_row_scores(
    actual: Mapping[str, np.ndarray],
    expected: Mapping[str, np.ndarray],
    inputs: Mapping[str, Any],
) -> tuple[np.ndarray, int]:
    """The golden scores [T, W] with the cells of every row the kernel wrote differently
    rescored on the kernel's row (golden math); returns (scores, rows rescored)."""
    scores = np.asarray(expected["score"])
    differ = _differing_slots(actual, expected, inputs)
    if not differ:
        return scores, 0
    scores = scores.copy()
    slots = np.asarray(inputs["slot_mapping"]).reshape(-1)
    positions = np.asarray(inputs["position_ids"])
    cu = np.asarray(inputs["cu_seqlens"])
    owner = request_of_tokens(cu, positions.shape[0])
    cache = np.asarray(actual["index_cache"]).reshape(-1, INDEX_HEAD_DIM)
    scale = actual.get("index_cache_scale")
    for slot in differ:
        closer = int(np.nonzero(slots == slot)[0][0])
        end = int(cu[owner[closer] + 1])
        row = int(positions[closer]) // COMPRESS_RATIO
        count = end - closer
        tokens = {name: np.asarray(inputs[name])[closer:end] for name in ("x", "qr")}
        tokens["position_ids"] = positions[closer:end]
        view = dict(inputs)
        view.update(tokens)
        query = quantized_query(token_rows_as_step(view))
        query = {name: value[:, 0][None] for name, value in query.items()}
        mini_cache = np.zeros((1, MINI_BLOCK, INDEX_HEAD_DIM), cache.dtype)
        mini_cache[0, 0] = cache[slot]
        mini_scale = None
        if scale is not None:
            mini_scale = np.zeros((1, MINI_BLOCK), np.float32)
            mini_scale[0, 0] = np.asarray(scale).reshape(-1)[slot]
        # Every one of these tokens sees the row: a position whose visible prefix is 1 row.
        mini = {
            "position_ids": np.full((1, count), COMPRESS_RATIO - 1, np.int32),
            "block_table": np.zeros((1, 1), np.int32),
        }
        rescored = paged_scores(mini, query, mini_cache, mini_scale, MINI_BLOCK)
        scores[closer:end, row] = rescored[0, :, 0]
    return scores, len(differ)


def _with_kernel_rows(base: Comparison, rescore_topk: bool) -> Comparison:
    def comparison(
        actual: np.ndarray,
        expected: np.ndarray,
        *,
        actual_outputs: Mapping[str, np.ndarray],
        expected_outputs: Mapping[str, np.ndarray],
        inputs: Mapping[str, Any],
    ) -> CompareResult:
        scores, rescored = kernel_row_scores(actual_outputs, expected_outputs, inputs)
        outputs = dict(expected_outputs, score=scores)
        want = scores
        if rescore_topk:
            want = expected
            if rescored:
                visible = visible_rows(np.asarray(inputs["position_ids"])[None, :])
                offset = np.asarray(inputs["topk_offset"])[None]
                want = topk_rows(scores[None], visible, expected.shape[1], offset)[0]
            outputs["topk_idxs"] = want
        result = base(
            actual, want, actual_outputs=actual_outputs, expected_outputs=outputs, inputs=inputs
        )
        result.figures["rows_rescored_on_kernel_cache"] = rescored
        return result

    return comparison


def score_on_kernel_rows(base: Comparison) -> Comparison:
    """``base`` (a score comparison) against :func:`kernel_row_scores`."""
    return _with_kernel_rows(base, rescore_topk=False)


def topk_on_kernel_rows(base: Comparison) -> Comparison:
    """``base`` (a tie-aware top-k comparison) against the golden top-k rule applied to
    :func:`kernel_row_scores`, with those scores as the tie reference."""
    return _with_kernel_rows(base, rescore_topk=True)
