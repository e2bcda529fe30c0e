"""Checks shared by the decode and prefill functions: the weights, the paged pools, the cache
format, the top-k width and offsets. Each failure is one TypeError / ValueError naming the
argument (ops._checks)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from deepseek_v4_pypto_ops.ops import _checks
from models.deepseek_v4.config import (
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    SLIDING_WINDOW,
)
from models.deepseek_v4.contract.decode import SCORE_ROW_MULTIPLE, score_width_for_rows
from models.deepseek_v4.contract.topk_offsets import MAX_TOPK_OFFSET, check_topk_offsets

#: index_topk: the kernels sort in lists of pairs whose width must be a multiple of 16.
TOPK_MULTIPLE = 8
MAX_TOPK = 2048
#: The top-k offset of the fused functions by default: the sliding window (128). It is data
#: (one INT32 per top-k row, read at run time), so any offset shares one compiled artifact.
DEFAULT_OFFSET = SLIDING_WINDOW
MAX_OFFSET = MAX_TOPK_OFFSET


@dataclass(frozen=True)
class Pools:
    """The paged pools a step reads and writes, checked."""

    kv_state: torch.Tensor
    score_state: torch.Tensor
    index_cache: torch.Tensor
    index_cache_scale: torch.Tensor | None

    @property
    def cache_format(self) -> str:
        return "c8" if self.index_cache_scale is not None else "c16"

    @property
    def block_size(self) -> int:
        return int(self.index_cache.shape[1])

    def tensors(self) -> list[torch.Tensor]:
        """In kernel order: kv_state, score_state, index_cache (, index_cache_scale)."""
        pools = [self.kv_state, self.score_state, self.index_cache]
        return pools + ([self.index_cache_scale] if self.index_cache_scale is not None else [])


def pools(
    kv_state: object,
    score_state: object,
    index_cache: object,
    index_cache_scale: object,
    device: torch.device,
) -> Pools:
    """Check the state pools [NS, 8, 256] float32 and the cache pool: c16 bfloat16
    [NB, BS, 128] without a scale, c8 int8 [NB, BS, 128] with index_cache_scale [NB, BS]."""
    shape = [None, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH]
    kv = _checks.tensor("kv_state", kv_state, torch.float32, shape, device)
    score = _checks.tensor(
        "score_state", score_state, torch.float32, [kv.shape[0], *shape[1:]], device
    )
    cache = _checks.tensor(
        "index_cache", index_cache, (torch.bfloat16, torch.int8), [None, None, INDEX_HEAD_DIM],
        device,
    )  # fmt: skip
    _checks.block_size("index_cache", cache)
    scale = None
    if cache.dtype == torch.int8:
        if index_cache_scale is None:
            raise ValueError(
                "index_cache_scale: an int8 index_cache (c8) needs its float32 per-row scales "
                f"[{cache.shape[0]}, {cache.shape[1]}]"
            )
        scale = _checks.tensor(
            "index_cache_scale", index_cache_scale, torch.float32, list(cache.shape[:2]), device
        )
    elif index_cache_scale is not None:
        raise ValueError(
            "index_cache_scale: given with a bfloat16 index_cache (c16, quantized at score "
            "time); pass it only with an int8 (c8) cache"
        )
    return Pools(kv, score, cache, scale)


def topk_width(value: object) -> int:
    """index_topk: a multiple of 8 in 8..2048."""
    return _checks.integer("index_topk", value, TOPK_MULTIPLE, MAX_TOPK, TOPK_MULTIPLE)


def offsets(
    value: object, rows_shape: list[int], device: torch.device, check: bool
) -> torch.Tensor:
    """The top-k offsets the kernels take, int32 of ``rows_shape`` (topk_idxs' shape without
    its last dimension): an int (0..MAX_OFFSET) given to every row, or such a tensor as is,
    its values checked (0..MAX_OFFSET) when ``check``."""
    if isinstance(value, torch.Tensor):
        rows = _checks.tensor("offset", value, torch.int32, rows_shape, device)
        if check:  # the harness's rule (a ValueError), on one host copy
            check_topk_offsets(rows.cpu().numpy(), tuple(rows_shape), name="offset")
        return rows
    shift = _checks.integer("offset", value, 0, MAX_OFFSET)
    return torch.full(rows_shape, shift, dtype=torch.int32, device=device)


def score_width(value: object, rows: int) -> int:
    """The score row length: ``value``, a multiple of 512 covering the ``rows`` the block
    table addresses, or (None) the smallest such."""
    if value is None:
        return score_width_for_rows(rows)
    if isinstance(value, bool) or not isinstance(value, int) or value < rows or (
        value % SCORE_ROW_MULTIPLE
    ):  # fmt: skip
        raise ValueError(
            f"score_width: expected a multiple of {SCORE_ROW_MULTIPLE} >= {rows} (the rows "
            f"block_table addresses), got {value!r}"
        )
    return value
