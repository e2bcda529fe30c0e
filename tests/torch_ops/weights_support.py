"""IndexerWeights for the compressor cases, whose inputs have no query weights."""

from __future__ import annotations

import numpy as np
from deepseek_v4_pypto_ops.ops import IndexerWeights


def compressor_weights(inputs: dict) -> IndexerWeights:
    """The case's compressor weights and tables; the query's are zeros the compressor never
    reads."""
    dim = inputs["wkv"].shape[0]
    placeholders = {
        "wq_b": np.zeros((128, 64 * 128), np.int8),
        "wq_b_scale": np.zeros(64 * 128, np.float32),
        "weights_proj": np.zeros((dim, 64), inputs["wkv"].dtype),
    }
    return IndexerWeights.from_arrays({**inputs, **placeholders})
