"""The packed prefill contract of the indexer and its compressor (NumPy side).

One prefill call carries T token rows of R requests back to back (a ``TND``-style packed batch)
on the same paged pools as a decode step (contract/decode.py):

- ``cu_seqlens [R + 1]`` INT32: request r owns token rows ``cu_seqlens[r] .. cu_seqlens[r+1]-1``
  (cu_seqlens[0] = 0, non-decreasing). Rows ``cu_seqlens[R] .. T - 1`` are padding of the T
  bucket (position -1: they write nothing, and get sentinel scores and top-k -1).
- ``position_ids [T]`` INT32: token positions, consecutive within a request from its start
  position (0 for a fresh prompt, > 0 when the chunk continues a cached prefix whose rows and
  compressor state are already in the pools). The start position of request r is
  ``position_ids[cu_seqlens[r]]``.
- ``block_table [R, max_blocks]``, ``state_slots [R]`` (-1 for an empty, padded request),
  ``slot_mapping [T]`` (the cache slot of the row a token closes, -1 otherwise).

Token t at position p of request r sees logical rows j < (p + 1) // 4 of request r, rows closed
earlier in the same chunk included. :func:`check_chunk` validates all of it (ConfigError naming
the tensor, the request and what was expected).
"""

from __future__ import annotations

import numpy as np

from golden.case import ConfigError
from models.deepseek_v4.config import COMPRESS_RATIO
from models.deepseek_v4.contract.decode import (
    PAD_POSITION,
    check_block_size,
    claim_blocks,
    claim_state_slot,
    slot_mapping_for,
)

#: Sizes the contract serves: tokens per chunk and requests per chunk.
MAX_CHUNK_TOKENS = 8192
MAX_CHUNK_REQUESTS = 64


def packed_positions(
    starts: np.ndarray, lengths: np.ndarray, total_tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """``position_ids [T]`` and ``cu_seqlens [R + 1]`` INT32 of requests with first positions
    ``starts`` and token counts ``lengths``, packed back to back; rows beyond their sum are
    padding (-1). ConfigError if the tokens do not fit in ``total_tokens``."""
    lengths = np.asarray(lengths, np.int64)
    cu = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if cu[-1] > total_tokens:
        raise ConfigError(f"--prompt-lens: {int(cu[-1])} tokens exceed the chunk's {total_tokens}")
    pos = np.full(total_tokens, PAD_POSITION, np.int64)
    for r, (start, length) in enumerate(zip(starts, lengths)):
        pos[cu[r] : cu[r + 1]] = int(start) + np.arange(int(length))
    return pos.astype(np.int32), cu.astype(np.int32)


def request_of_tokens(cu_seqlens: np.ndarray, total_tokens: int) -> np.ndarray:
    """The request of every token row [T] (-1 for a padding row)."""
    cu = np.asarray(cu_seqlens, np.int64)
    owner = np.full(total_tokens, -1, np.int64)
    for r in range(cu.size - 1):
        owner[cu[r] : cu[r + 1]] = r
    return owner


def chunk_slot_mapping(
    position_ids: np.ndarray, cu_seqlens: np.ndarray, block_table: np.ndarray, block_size: int
) -> np.ndarray:
    """The compressor's write slots [T] INT32 (serving.slot_mapping_for per token row)."""
    owner = request_of_tokens(cu_seqlens, np.asarray(position_ids).shape[0])
    table = np.asarray(block_table, np.int64)
    token_tables = np.where(owner[:, None] >= 0, table[np.maximum(owner, 0)], 0)
    pos = np.where(owner >= 0, np.asarray(position_ids, np.int64), PAD_POSITION)
    return slot_mapping_for(pos[:, None].astype(np.int32), np.maximum(token_tables, 0), block_size)[
        :, 0
    ]


def _fail(tensor: str, message: str) -> None:
    raise ConfigError(f"{tensor}: {message}")


def _int32(name: str, value: object, ndim: int) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype != np.int32 or array.ndim != ndim:
        _fail(name, f"expected int32 of rank {ndim}, got {array.dtype} {list(array.shape)}")
    return array.astype(np.int64)


def check_chunk(
    position_ids: np.ndarray,
    cu_seqlens: np.ndarray,
    block_table: np.ndarray,
    slot_mapping: np.ndarray,
    state_slots: np.ndarray,
    *,
    num_blocks: int,
    block_size: int,
    num_state_slots: int,
    max_positions: int,
) -> None:
    """Validate one prefill chunk's tensors; ConfigError names the tensor and the request.

    T 1..8192 rows, R 1..64 requests; cu_seqlens starts at 0, does not decrease and ends at or
    below T; a request with tokens has consecutive positions from its start below
    ``max_positions``, a distinct in-range state slot and distinct in-range blocks for every
    row it holds after the chunk; an empty request has state slot -1; padding rows have
    position -1; slot_mapping equals the slot of the row each closing token writes.
    """
    pos = _int32("position_ids", position_ids, 1)
    cu = _int32("cu_seqlens", cu_seqlens, 1)
    table = _int32("block_table", block_table, 2)
    slots = _int32("slot_mapping", slot_mapping, 1)
    states = _int32("state_slots", state_slots, 1)
    check_block_size(block_size)
    total, requests = pos.shape[0], cu.shape[0] - 1
    if not 1 <= total <= MAX_CHUNK_TOKENS:
        _fail("position_ids", f"{total} token rows; allowed 1..{MAX_CHUNK_TOKENS}")
    if not 1 <= requests <= MAX_CHUNK_REQUESTS:
        _fail("cu_seqlens", f"{requests} requests; allowed 1..{MAX_CHUNK_REQUESTS}")
    if cu[0] != 0 or (np.diff(cu) < 0).any() or cu[-1] > total:
        _fail("cu_seqlens", f"got {cu.tolist()}; expected 0, non-decreasing, last <= T = {total}")
    if table.shape[0] != requests or states.shape[0] != requests or slots.shape[0] != total:
        _fail(
            "block_table",
            f"block_table {list(table.shape)}, state_slots {list(states.shape)}, slot_mapping "
            f"{list(slots.shape)}; expected [{requests}, max_blocks], [{requests}], [{total}]",
        )
    if (pos[cu[-1] :] != PAD_POSITION).any():
        _fail("position_ids", f"padding rows {int(cu[-1])}..{total - 1} must be {PAD_POSITION}")
    used_blocks: dict[int, int] = {}
    used_states: dict[int, int] = {}
    for r in range(requests):
        first, end = int(cu[r]), int(cu[r + 1])
        if first == end:
            if states[r] != -1:
                _fail("state_slots", f"empty request {r} must have state slot -1")
            continue
        start = int(pos[first])
        want = start + np.arange(end - first)
        if start < 0 or (pos[first:end] != want).any() or want[-1] >= max_positions:
            _fail(
                "position_ids",
                f"request {r}: expected consecutive positions from its start >= 0 and below "
                f"{max_positions}, got {pos[first:end][:8].tolist()}...",
            )
        rows = (int(want[-1]) + 1) // COMPRESS_RATIO
        blocks_needed = -(-rows // block_size)
        if blocks_needed > table.shape[1]:
            _fail("block_table", f"request {r} needs {blocks_needed} blocks, the table has "
                  f"{table.shape[1]}")  # fmt: skip
        claim_blocks(table[r], r, blocks_needed, num_blocks, used_blocks)
        claim_state_slot(int(states[r]), r, num_state_slots, used_states)
    expected = chunk_slot_mapping(
        pos.astype(np.int32), cu.astype(np.int32), np.maximum(table, 0), block_size
    )
    bad = np.nonzero(slots != expected)[0]
    if bad.size:
        t = int(bad[0])
        _fail(
            "slot_mapping",
            f"token row {t} (position {int(pos[t])}): got {int(slots[t])}, expected "
            f"{int(expected[t])} (the slot of row position // 4 when the token closes a window)",
        )
