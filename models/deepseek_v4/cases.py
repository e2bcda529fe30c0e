"""The DeepSeek-V4 cases the harness can run, by name."""

from __future__ import annotations

from golden.case import Case
from models.deepseek_v4.compressor_case import CASE as COMPRESSOR_CASE
from models.deepseek_v4.compressor_prefill_case import CASE as COMPRESSOR_PREFILL_CASE
from models.deepseek_v4.indexer_case import CASE as INDEXER_CASE
from models.deepseek_v4.indexer_prefill_case import CASE as INDEXER_PREFILL_CASE

CASES: list[Case] = [COMPRESSOR_CASE, INDEXER_CASE, COMPRESSOR_PREFILL_CASE, INDEXER_PREFILL_CASE]
