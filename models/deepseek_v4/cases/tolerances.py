"""The DeepSeek-V4 cases' tolerances, one definition each, with the reason next to it.

Decode and prefill run the same kernels' stages on the same pools, so they share every
tolerance; a case that needed a different one would define it here under its own name.
"""

from __future__ import annotations

# --- Scores and top-k (indexer cases) ------------------------------------------------------------
SCORE_ATOL = 1e-4
SCORE_RTOL = 1.0 / 128
# Plus, per cell, one INT8 step of q (reference/decode_indexer.paged_score_step says why): the
# golden's golden-only output of that name.
SCORE_SLACK = "score_step"

# --- Compressor state and cache pools (every case) ---------------------------------------------
# kv_state / score_state: the kernel accumulates D = 4096..7168 BF16 products in FP32 in 128-wide
# chunks, the golden rounds the exact sum once; for the O(1) projections this differs by a few
# FP32 ulps (~1e-6). atol = rtol = 1e-5 is ~10x that, and 1e4x below the smallest real defect
# (a missing or misplaced ape row is ~0.1; a wrong slot or shift moves O(1) values).
STATE_ATOL = 1e-5
STATE_RTOL = 1e-5
CACHE_MAX_ULP = 1  # BF16 cache rows: 1 ULP, at the row's scale (decode_compare.cache_comparison)
