"""The DeepSeek-V4 cases the harness can run: a static table of case name -> module.

The registry (golden/registry.py) reads CASE_TABLE and imports only the module of the case it
runs; each module defines ``CASE``. Importing this package imports no case.
"""

from __future__ import annotations

#: Case name -> the module defining it as ``CASE``, in listing order.
CASE_TABLE: dict[str, str] = {
    "deepseek_v4.indexer_compressor": "models.deepseek_v4.cases.decode_compressor",
    "deepseek_v4.indexer": "models.deepseek_v4.cases.decode_indexer",
    "deepseek_v4.indexer_compressor_prefill": "models.deepseek_v4.cases.prefill_compressor",
    "deepseek_v4.indexer_prefill": "models.deepseek_v4.cases.prefill_indexer",
}
