"""The serving contract of the decode indexer and its compressor (NumPy side).

One decode step carries, per request b of the batch (B = 1..128) and token s (S = 1..4):

- ``position_ids [B, S]`` INT32: consecutive positions of the step's tokens within a request,
  independent across requests; ``kv_seq_lens [B]`` INT32: tokens of the request after this step
  (``position_ids[b, S - 1] + 1``). A padded batch slot has ``kv_seq_lens = 0`` and every
  position -1: it writes nothing, reads nothing, and its outputs are top-k -1 and sentinel
  scores.
- A paged indexer cache: a block pool ``[num_blocks, block_size, 128]`` (``c16``: BF16 rows;
  ``c8``: INT8 codes plus an FP32 per-row dequant scale ``[num_blocks, block_size]``) and a
  block table ``[B, max_blocks]`` INT32: logical cache row j of request b lives in block
  ``block_table[b, j // block_size]`` at offset ``j % block_size``. A contiguous cache is the
  table 0, 1, 2, ...
- ``slot_mapping [B, S]`` INT32: where the compressor writes the cache row a token closes
  (``block * block_size + offset``), -1 when the token closes no window (or is padding).
- A paged compressor state: pools ``kv_state`` / ``score_state [num_state_slots, 8, 256]`` FP32
  and ``state_slots [B]`` INT32, the pool slot of each request's state (-1 for a padded slot).
  One slot per request, as serving engines keep per-request recurrent state; a step touches
  only the slots named in ``state_slots``.

Token (b, s) at position p sees cache rows j < (p + 1) // 4 (the rows of windows closed at or
before p, this step's included: the compressor runs before scoring).

:func:`check_step` is the harness's validation of these tensors (ConfigError naming the tensor,
the request and what was expected); nothing inconsistent reaches a kernel or a golden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.case import ConfigError
from models.deepseek_v4.config import COMPRESS_RATIO, MAX_TOKENS_PER_STEP

#: Cache formats: BF16 rows quantized at score time, or INT8 rows + FP32 scale written once.
CACHE_FORMATS = ("c16", "c8")
DEFAULT_CACHE_FORMAT = "c16"
#: Block sizes (compressed rows per block): a multiple of 16 in 16..1024; default 32.
BLOCK_SIZE_MULTIPLE = 16
MIN_BLOCK_SIZE = 16
MAX_BLOCK_SIZE = 1024
DEFAULT_BLOCK_SIZE = 32
MAX_SERVING_BATCH = 128
#: Position of every token of a padded batch slot.
PAD_POSITION = -1


def check_cache_format(value: str) -> str:
    """``value`` if it names a cache format; ConfigError otherwise."""
    if value not in CACHE_FORMATS:
        raise ConfigError(
            f"--cache-format: got {value!r}; expected one of {', '.join(CACHE_FORMATS)}"
        )
    return value


def check_block_size(value: int) -> int:
    """``value`` if it is a multiple of 16 in 16..1024; ConfigError otherwise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value % BLOCK_SIZE_MULTIPLE
        or not MIN_BLOCK_SIZE <= value <= MAX_BLOCK_SIZE
    ):
        raise ConfigError(
            f"--block-size: got {value!r}; allowed a multiple of {BLOCK_SIZE_MULTIPLE} in "
            f"{MIN_BLOCK_SIZE}..{MAX_BLOCK_SIZE}"
        )
    return int(value)


@dataclass(frozen=True)
class StepLayout:
    """Geometry of one step's paged tensors."""

    batch: int
    seq: int
    block_size: int
    max_blocks: int
    num_blocks: int
    num_state_slots: int

    @property
    def request_rows(self) -> int:
        """Logical cache rows a request can address: max_blocks * block_size."""
        return self.max_blocks * self.block_size


def positions_for(starts: np.ndarray, seq: int) -> tuple[np.ndarray, np.ndarray]:
    """``position_ids [B, S]`` and ``kv_seq_lens [B]`` INT32 from first positions (-1 = padded)."""
    starts = np.asarray(starts, dtype=np.int64)
    pos = starts[:, None] + np.arange(seq, dtype=np.int64)[None, :]
    padded = starts < 0
    pos[padded] = PAD_POSITION
    lens = np.where(padded, 0, starts + seq)
    return pos.astype(np.int32), lens.astype(np.int32)


def visible_rows(position_ids: np.ndarray) -> np.ndarray:
    """Cache rows each token may see, [B, S]: (pos + 1) // 4 (0 for a padded token)."""
    pos = np.asarray(position_ids, dtype=np.int64)
    return np.where(pos < 0, 0, (pos + 1) // COMPRESS_RATIO)


def rows_after_step(kv_seq_lens: np.ndarray) -> np.ndarray:
    """Cache rows of each request after the step, [B]: kv_seq_lens // 4."""
    return np.asarray(kv_seq_lens, dtype=np.int64) // COMPRESS_RATIO


def slot_mapping_for(
    position_ids: np.ndarray, block_table: np.ndarray, block_size: int
) -> np.ndarray:
    """The compressor's write slots [B, S] INT32: block * block_size + offset of row pos // 4
    for a token that closes a window ((pos + 1) % 4 == 0), -1 for every other token."""
    pos = np.asarray(position_ids, dtype=np.int64)
    table = np.asarray(block_table, dtype=np.int64)
    out = np.full(pos.shape, -1, dtype=np.int64)
    closes = (pos >= 0) & ((pos + 1) % COMPRESS_RATIO == 0)
    for b, s in zip(*np.nonzero(closes)):
        row = int(pos[b, s]) // COMPRESS_RATIO
        out[b, s] = int(table[b, row // block_size]) * block_size + row % block_size
    return out.astype(np.int32)


def physical_rows(block_table_row: np.ndarray, rows: int, block_size: int) -> np.ndarray:
    """Flat pool row (block * block_size + offset) of logical rows 0..rows-1 of one request."""
    j = np.arange(rows, dtype=np.int64)
    return np.asarray(block_table_row, np.int64)[j // block_size] * block_size + j % block_size


def _fail(tensor: str, message: str) -> None:
    raise ConfigError(f"{tensor}: {message}")


def _as_int32(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype != np.int32:
        _fail(name, f"expected dtype int32, got {array.dtype}")
    if array.shape != shape:
        _fail(name, f"expected shape {list(shape)}, got {list(array.shape)}")
    return array.astype(np.int64)


def claim_blocks(
    table_row: np.ndarray, request: int, blocks_needed: int, num_blocks: int, used: dict[int, int]
) -> None:
    """Check the first ``blocks_needed`` entries of a request's block table row: each inside the
    pool and held by no other request (``used`` maps block -> request and is updated)."""
    for i in range(blocks_needed):
        block = int(table_row[i])
        if not 0 <= block < num_blocks:
            _fail(
                "block_table",
                f"request {request}, entry {i}: block {block} outside 0..{num_blocks - 1}",
            )
        if block in used:
            _fail(
                "block_table",
                f"block {block} is used twice (request {used[block]} "
                f"and request {request}, entry {i})",
            )
        used[block] = request


def claim_state_slot(state: int, request: int, num_state_slots: int, used: dict[int, int]) -> None:
    """Check a live request's state-pool slot: inside the pool and given to no other request."""
    if not 0 <= state < num_state_slots:
        _fail("state_slots", f"request {request}: slot {state} outside 0..{num_state_slots - 1}")
    if state in used:
        _fail("state_slots", f"slot {state} is given to requests {used[state]} and {request}")
    used[state] = request


def check_step(
    position_ids: np.ndarray,
    kv_seq_lens: np.ndarray,
    block_table: np.ndarray,
    slot_mapping: np.ndarray,
    state_slots: np.ndarray,
    *,
    num_blocks: int,
    block_size: int,
    num_state_slots: int,
    max_positions: int,
) -> StepLayout:
    """Validate one step's serving tensors; returns their layout or raises ConfigError.

    Checks: B 1..128, S 1..4; a request is padded (length 0, positions -1, state slot -1, no
    writes) or live (length >= S, positions length - S .. length - 1 and below
    ``max_positions``); a live request's table holds a distinct in-range block for every row
    it holds after the step, and no block serves two requests; slot_mapping equals the slot of
    the row each closing token writes; state slots are in range and distinct.
    """
    pos_arr = np.asarray(position_ids)
    if pos_arr.ndim != 2:
        _fail("position_ids", f"expected rank 2 [B, S], got shape {list(pos_arr.shape)}")
    batch, seq = pos_arr.shape
    if not 1 <= batch <= MAX_SERVING_BATCH:
        _fail("position_ids", f"batch {batch}; allowed 1..{MAX_SERVING_BATCH}")
    if not 1 <= seq <= MAX_TOKENS_PER_STEP:
        _fail("position_ids", f"{seq} tokens per step; allowed 1..{MAX_TOKENS_PER_STEP}")
    check_block_size(block_size)
    pos = _as_int32("position_ids", position_ids, (batch, seq))
    lens = _as_int32("kv_seq_lens", kv_seq_lens, (batch,))
    table_arr = np.asarray(block_table)
    if table_arr.ndim != 2 or table_arr.shape[0] != batch:
        _fail("block_table", f"expected shape [{batch}, max_blocks], got {list(table_arr.shape)}")
    table = _as_int32("block_table", block_table, tuple(table_arr.shape))
    max_blocks = table.shape[1]
    slots = _as_int32("slot_mapping", slot_mapping, (batch, seq))
    states = _as_int32("state_slots", state_slots, (batch,))
    used_blocks: dict[int, int] = {}
    used_states: dict[int, int] = {}
    for b in range(batch):
        length = int(lens[b])
        if length == 0:
            if (pos[b] != PAD_POSITION).any():
                _fail(
                    "position_ids",
                    f"request {b} is padded (kv_seq_lens 0) but its positions "
                    f"are {pos[b].tolist()}; expected all {PAD_POSITION}",
                )
            if (slots[b] != -1).any():
                _fail(
                    "slot_mapping",
                    f"padded request {b} must write nothing (all -1), got {slots[b].tolist()}",
                )
            if states[b] != -1:
                _fail(
                    "state_slots",
                    f"padded request {b} must have state slot -1, got {int(states[b])}",
                )
            continue
        if length < seq or length > max_positions:
            _fail(
                "kv_seq_lens",
                f"request {b} has {length}; a live request holds {seq}.."
                f"{max_positions} tokens (its step's {seq} tokens included)",
            )
        want = np.arange(length - seq, length)
        if (pos[b] != want).any():
            _fail(
                "position_ids",
                f"request {b}: got {pos[b].tolist()}, expected "
                f"{want.tolist()} (consecutive, ending at kv_seq_lens - 1 = {length - 1})",
            )
        rows = length // COMPRESS_RATIO
        blocks_needed = -(-rows // block_size)
        if blocks_needed > max_blocks:
            _fail(
                "block_table",
                f"request {b} holds {rows} cache rows after the step: "
                f"{blocks_needed} blocks of {block_size}, the table has {max_blocks}",
            )
        claim_blocks(table[b], b, blocks_needed, num_blocks, used_blocks)
        claim_state_slot(int(states[b]), b, num_state_slots, used_states)
    expected_slots = slot_mapping_for(
        pos.astype(np.int32), np.where(table < 0, 0, table), block_size
    )
    bad = np.argwhere(slots != expected_slots)
    if bad.size:
        b, s = (int(i) for i in bad[0])
        _fail(
            "slot_mapping",
            f"request {b}, token {s} (position {int(pos[b, s])}): got "
            f"{int(slots[b, s])}, expected {int(expected_slots[b, s])} (block * block_size + "
            f"offset of row position // 4 when the token closes a window, else -1)",
        )
    return StepLayout(batch, seq, block_size, max_blocks, num_blocks, num_state_slots)


def check_compressor_step(
    position_ids: np.ndarray,
    state_slots: np.ndarray,
    slot_mapping: np.ndarray,
    *,
    pool_rows: int,
    num_state_slots: int,
    max_positions: int,
) -> None:
    """Validate a compressor step's tensors (the compressor takes no table or lengths).

    A request is padded (positions -1, state slot -1, no writes) or live (consecutive positions
    below ``max_positions``, a distinct in-range state slot); a token writes (slot >= 0) exactly
    when it closes a window, into a distinct pool row below ``pool_rows``.
    """
    pos = np.asarray(position_ids)
    if pos.ndim != 2:
        _fail("position_ids", f"expected rank 2 [B, S], got shape {list(pos.shape)}")
    batch, seq = pos.shape
    pos = _as_int32("position_ids", position_ids, (batch, seq))
    states = _as_int32("state_slots", state_slots, (batch,))
    slots = _as_int32("slot_mapping", slot_mapping, (batch, seq))
    used_states: set[int] = set()
    used_slots: set[int] = set()
    for b in range(batch):
        if states[b] < 0 or (pos[b] < 0).any():
            if (pos[b] != PAD_POSITION).any() or states[b] != -1 or (slots[b] != -1).any():
                _fail(
                    "position_ids",
                    f"request {b}: a padded request has all positions -1, "
                    f"state slot -1 and slot_mapping -1; got positions {pos[b].tolist()}, "
                    f"state slot {int(states[b])}, slots {slots[b].tolist()}",
                )
            continue
        want = pos[b, 0] + np.arange(seq)
        if (pos[b] != want).any() or pos[b, -1] >= max_positions:
            _fail(
                "position_ids",
                f"request {b}: got {pos[b].tolist()}; expected consecutive "
                f"positions below {max_positions}",
            )
        if not 0 <= states[b] < num_state_slots or int(states[b]) in used_states:
            _fail(
                "state_slots",
                f"request {b}: slot {int(states[b])} out of range "
                f"0..{num_state_slots - 1} or shared with another request",
            )
        used_states.add(int(states[b]))
        for s in range(seq):
            closes = (pos[b, s] + 1) % COMPRESS_RATIO == 0
            slot = int(slots[b, s])
            if closes != (slot >= 0) or slot >= pool_rows or slot in used_slots:
                _fail(
                    "slot_mapping",
                    f"request {b}, token {s} (position {int(pos[b, s])}): "
                    f"got {slot}; expected a distinct row in 0..{pool_rows - 1} when the "
                    f"token closes a window, else -1",
                )
            if slot >= 0:
                used_slots.add(slot)


#: Top-k chunk of the kernels' selection: the score row is padded to a whole number of them.
SCORE_ROW_MULTIPLE = 512


def score_width_for_rows(table_rows: int) -> int:
    """Score row length W for a block table addressing ``table_rows`` cache rows: rounded up
    to whole SCORE_ROW_MULTIPLE-row top-k chunks."""
    return -(-int(table_rows) // SCORE_ROW_MULTIPLE) * SCORE_ROW_MULTIPLE
