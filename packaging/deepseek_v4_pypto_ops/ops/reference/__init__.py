"""The indexer and compressor math in plain, vectorised PyTorch (CPU or any device): the same
functions and arguments as :mod:`deepseek_v4_pypto_ops.ops`, no kernel, no simulator."""

from __future__ import annotations

from deepseek_v4_pypto_ops.ops.reference.api import (
    compressor_decode,
    compressor_prefill,
    indexer_decode,
    indexer_prefill,
    lightning_indexer,
)

__all__ = [
    "compressor_decode",
    "compressor_prefill",
    "indexer_decode",
    "indexer_prefill",
    "lightning_indexer",
]
