"""The top-k offset of the indexers, as data (NumPy side of the serving contract).

Every top-k index the indexers return is a logical cache row plus an offset: where the
compressed rows start in the KV layout of the attention that consumes the indices. DeepSeek-V4's
reference passes it per call, in ``Attention.forward`` of its ``inference/model.py``::

    offset = kv.size(1) if start_pos == 0 else win

so a decode step offsets by the sliding window (128) and a prompt prefilled from position 0 by
its own length (its whole uncompressed KV comes first). The kernels take one INT32 offset per
top-k row, ``topk_offset`` (decode ``[B, S]``, prefill ``[T]``: topk_idxs' shape without its
last dimension), read at run time: one compiled artifact serves every offset.
"""

from __future__ import annotations

import numpy as np

from golden.case import ConfigError
from models.deepseek_v4.config import SLIDING_WINDOW

#: The largest offset accepted: index + offset stays far inside INT32 for every score width.
MAX_TOPK_OFFSET = 1 << 20


def decode_topk_offsets(batch: int, seq: int, window: int = SLIDING_WINDOW) -> np.ndarray:
    """``topk_offset [B, S]`` INT32 of a decode step: the sliding window for every token."""
    return np.full((batch, seq), window, np.int32)


def prefill_topk_offsets(
    position_ids: np.ndarray, cu_seqlens: np.ndarray, window: int = SLIDING_WINDOW
) -> np.ndarray:
    """``topk_offset [T]`` INT32 of a packed prefill chunk, the reference's rule per request:
    a request whose chunk starts at position 0 offsets by its token count, one that continues
    a cached prefix by the window; padding rows get the window (their top-k is all -1)."""
    pos = np.asarray(position_ids, np.int64)
    cu = np.asarray(cu_seqlens, np.int64)
    offsets = np.full(pos.shape[0], window, np.int64)
    for r in range(cu.size - 1):
        first, end = int(cu[r]), int(cu[r + 1])
        if end > first and pos[first] == 0:
            offsets[first:end] = end - first
    return offsets.astype(np.int32)


def check_topk_offsets(
    topk_offset: object, rows_shape: tuple[int, ...], name: str = "topk_offset"
) -> None:
    """ConfigError naming ``name`` (the kernel's parameter; the torch API's is ``offset``)
    unless it is INT32 of shape ``rows_shape`` (topk_idxs' shape without its last dimension)
    with every value in 0..MAX_TOPK_OFFSET."""
    array = np.asarray(topk_offset)
    if array.dtype != np.int32 or array.shape != tuple(rows_shape):
        raise ConfigError(
            f"{name}: expected int32 {list(rows_shape)} (one offset per top-k row), got "
            f"{array.dtype} {list(array.shape)}"
        )
    bad = np.argwhere((array < 0) | (array > MAX_TOPK_OFFSET))
    if bad.size:
        where = tuple(int(i) for i in bad[0])
        raise ConfigError(
            f"{name}: {int(array[where])} at {list(where)}; expected 0..{MAX_TOPK_OFFSET}"
        )
