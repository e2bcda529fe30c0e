"""Serving-contract inputs shared by the indexer and compressor cases: request positions, block
tables, slot mappings and the paged compressor state (contract/decode.py).

Request first positions come from ``start_pos`` (one int for every request, or a comma list
``"0,17,4023"`` with one entry per request, -1 = a padded slot) or from the ``mixed`` generator
(empty, short, block-boundary and long requests in one batch). Physical blocks and state slots
are a seeded permutation, so physical order differs from logical order; unused blocks and
state slots hold plausible decoy data, so a kernel that reads the wrong one fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from golden.case import CaseConfig, ConfigError, option_name
from models.deepseek_v4.cases.pool_draws import quantize_rows_blocked
from models.deepseek_v4.cases.support import check_int
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    MAX_TOKENS_PER_STEP,
    Preset,
    get_preset,
)
from models.deepseek_v4.contract.decode import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_CACHE_FORMAT,
    MAX_SERVING_BATCH,
    PAD_POSITION,
    check_block_size,
    check_cache_format,
    check_step,
    positions_for,
    rows_after_step,
    slot_mapping_for,
)
from models.deepseek_v4.contract.topk_offsets import check_topk_offsets

#: What shrinks a decode step's run (named when a run is refused for its memory).
SIZE_OPTIONS = ("--batch", "--max-seq-len")
#: Blocks and state slots beyond what the batch can use: decoys a wrong read would pick up.
SPARE_BLOCKS = 2
SPARE_STATE_SLOTS = 2
#: Mixed batches: short requests start below this position.
SHORT_LIMIT = 64
MIXED_KINDS = ("long", "boundary", "short", "empty")


def parse_starts(value: Any, batch: int, seq: int, max_seq_len: int) -> np.ndarray:
    """Per-request first positions [B] from ``start_pos``: one int for every request (-1: every
    request a padded slot) or a comma list with one per request (-1 = padded)."""
    if isinstance(value, str):
        try:
            starts = [int(v) for v in value.split(",")]
        except ValueError:
            raise ConfigError(
                f"--start-pos: got {value!r}; expected an integer or a comma list of integers"
            ) from None
        if len(starts) != batch:
            raise ConfigError(
                f"--start-pos: {len(starts)} positions for --batch {batch}; give one per request"
            )
    else:
        starts = [check_int("start_pos", value)] * batch
    for b, start in enumerate(starts):
        if start != PAD_POSITION and not 0 <= start <= max_seq_len - seq:
            which = f"request {b} got {start}" if isinstance(value, str) else f"got {start}"
            raise ConfigError(
                f"--start-pos: {which}; allowed -1 (padded) or 0..{max_seq_len - seq}"
                f" (start_pos + seq <= max_seq_len = {max_seq_len})"
            )
    return np.asarray(starts, dtype=np.int64)


def mixed_starts(
    rng: np.random.Generator, batch: int, seq: int, max_seq_len: int, block_size: int
) -> np.ndarray:
    """First positions of a mixed batch: long (near max_seq_len), block-boundary (a token of the
    step writes the first row of a new block), short (< 64) and empty (padded) requests, in
    that rotation, shuffled; a batch of one is a long request."""
    kinds = [MIXED_KINDS[b % len(MIXED_KINDS)] for b in range(batch)]
    rng.shuffle(kinds)
    starts = np.empty(batch, dtype=np.int64)
    last = max_seq_len - seq
    for b, kind in enumerate(kinds):
        if kind == "empty":
            starts[b] = PAD_POSITION
        elif kind == "short":
            starts[b] = int(rng.integers(0, min(SHORT_LIMIT, last + 1)))
        elif kind == "long":
            starts[b] = last - int(rng.integers(0, min(COMPRESS_RATIO, last + 1)))
        else:
            blocks = (last + seq) // (COMPRESS_RATIO * block_size)
            if blocks < 1:  # context too short for a second block: a long request instead
                starts[b] = last
                continue
            row = block_size * int(rng.integers(1, blocks + 1))
            closing = COMPRESS_RATIO * row + COMPRESS_RATIO - 1
            start = closing - int(rng.integers(0, seq))
            starts[b] = min(max(start, 0), last)
            if not starts[b] <= closing < starts[b] + seq:  # clipped at the end: the last step
                starts[b] = last
    return starts


def resolve_serving_config(
    config: CaseConfig,
    *,
    seq_len_multiple: int,
    seq_len_reason: str,
    default_max_seq_len: int,
    default_start_pos: Callable[[Preset, int, int], int],
) -> CaseConfig:
    """Fill defaults and validate a serving-step config (ConfigError names argument and value).

    batch 1..128; seq 1..4; max_seq_len a multiple of ``seq_len_multiple`` up to the preset's
    maximum; cache_format c16|c8 (default c16); block_size a multiple of 16 in 16..1024
    (default 32); start_pos an int, a comma list (one per request, -1 = padded) or, with
    ``mixed``, absent (the mixed generator draws positions from the seed).
    """
    try:
        preset = get_preset(config.preset)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    given = [f for f in ("prompt_lens", "prefix_lens") if getattr(config, f) is not None]
    if given:
        raise ConfigError(
            f"{'/'.join(map(option_name, given))}: a prefill option; a decode step takes "
            "--batch, --seq and --start-pos (the prefill cases are deepseek_v4.indexer_prefill "
            "and deepseek_v4.indexer_compressor_prefill)"
        )
    batch = check_int("batch", config.batch)
    if not 1 <= batch <= MAX_SERVING_BATCH:
        raise ConfigError(f"--batch: got {batch}; allowed 1..{MAX_SERVING_BATCH}")
    seq = check_int("seq", config.seq)
    if not 1 <= seq <= MAX_TOKENS_PER_STEP:
        raise ConfigError(f"--seq: got {seq}; allowed 1..{MAX_TOKENS_PER_STEP} tokens per step")
    limit = preset.max_position_embeddings
    if config.max_seq_len is None:
        max_seq_len = min(default_max_seq_len, limit)
    else:
        max_seq_len = check_int("max_seq_len", config.max_seq_len)
        if max_seq_len % seq_len_multiple or not seq_len_multiple <= max_seq_len <= limit:
            raise ConfigError(
                f"--max-seq-len: got {max_seq_len}; allowed a multiple of {seq_len_multiple}"
                f"{seq_len_reason} in [{seq_len_multiple}, {limit}] for preset {preset.name}"
            )
    cache_format = check_cache_format(
        DEFAULT_CACHE_FORMAT if config.cache_format is None else config.cache_format
    )
    block_size = check_block_size(
        DEFAULT_BLOCK_SIZE if config.block_size is None else config.block_size
    )
    mixed = bool(config.mixed)
    start_pos: int | str | None
    if mixed:
        if config.start_pos is not None:
            raise ConfigError("--start-pos: cannot be combined with --mixed (positions are drawn)")
        start_pos = None
    elif config.start_pos is None:
        start_pos = default_start_pos(preset, seq, max_seq_len)
    elif isinstance(config.start_pos, str) and "," in config.start_pos:
        parse_starts(config.start_pos, batch, seq, max_seq_len)
        start_pos = ",".join(p.strip() for p in config.start_pos.split(","))
    else:
        value = config.start_pos
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise ConfigError(f"--start-pos: got {value!r}; expected an integer") from None
        parse_starts(value, batch, seq, max_seq_len)
        start_pos = int(value)
    return replace(
        config,
        preset=preset.name,
        batch=batch,
        seq=seq,
        max_seq_len=max_seq_len,
        start_pos=start_pos,
        seed=check_int("seed", config.seed),
        cache_format=cache_format,
        block_size=block_size,
        mixed=mixed,
    )


@dataclass
class StepTensors:
    """One step's serving tensors (INT32) and its pool sizes."""

    starts: np.ndarray
    position_ids: np.ndarray
    kv_seq_lens: np.ndarray
    block_table: np.ndarray
    slot_mapping: np.ndarray
    state_slots: np.ndarray
    num_blocks: int
    num_state_slots: int
    block_size: int

    @property
    def live(self) -> np.ndarray:
        """Indices of the live (not padded) requests."""
        return np.nonzero(self.starts >= 0)[0]

    def blocks_used(self, b: int) -> int:
        """Blocks request b holds after the step."""
        return -(-int(rows_after_step(self.kv_seq_lens)[b]) // self.block_size)


def request_starts(config: CaseConfig, rng: np.random.Generator) -> np.ndarray:
    """Per-request first positions of a resolved config (the mixed generator draws from rng)."""
    if config.mixed:
        return mixed_starts(rng, config.batch, config.seq, config.max_seq_len, config.block_size)
    return parse_starts(config.start_pos, config.batch, config.seq, config.max_seq_len)


def step_tensors(config: CaseConfig, rng: np.random.Generator) -> StepTensors:
    """Positions, lengths, a shuffled block table, the slot mapping and shuffled state slots."""
    batch, seq, block_size = config.batch, config.seq, config.block_size
    starts = request_starts(config, rng)
    position_ids, kv_seq_lens = positions_for(starts, seq)
    max_blocks = -(-(config.max_seq_len // COMPRESS_RATIO) // block_size)
    need = [-(-int(r) // block_size) for r in rows_after_step(kv_seq_lens)]
    # The pool holds every request at full context (plus spares), as a serving engine sizes it
    # once: its shape depends on (B, max_seq_len, block_size) only, never on the positions.
    num_blocks = batch * max_blocks + SPARE_BLOCKS
    physical = rng.permutation(num_blocks)
    table = np.full((batch, max_blocks), -1, dtype=np.int32)
    used = 0
    for b in range(batch):
        table[b, : need[b]] = physical[used : used + need[b]]
        used += need[b]
    num_state_slots = batch + SPARE_STATE_SLOTS
    state_slots = rng.permutation(num_state_slots)[:batch].astype(np.int32)
    state_slots[starts < 0] = -1
    slots = slot_mapping_for(position_ids, np.where(table < 0, 0, table), block_size)
    tensors = StepTensors(
        starts, position_ids, kv_seq_lens, table, slots, state_slots,
        num_blocks, num_state_slots, block_size,
    )  # fmt: skip
    check_tensors(tensors, config.max_seq_len)
    return tensors


def check_tensors(tensors: StepTensors, max_positions: int) -> None:
    """:func:`models.deepseek_v4.contract.decode.check_step` on a StepTensors."""
    check_step(
        tensors.position_ids,
        tensors.kv_seq_lens,
        tensors.block_table,
        tensors.slot_mapping,
        tensors.state_slots,
        num_blocks=tensors.num_blocks,
        block_size=tensors.block_size,
        num_state_slots=tensors.num_state_slots,
        max_positions=max_positions,
    )


def check_inputs(inputs: dict[str, Any], max_positions: int) -> None:
    """Validate the serving tensors of a kernel-argument dict (the harness's gate)."""
    cache = np.asarray(inputs["index_cache"])
    check_step(
        inputs["position_ids"],
        inputs["kv_seq_lens"],
        inputs["block_table"],
        inputs["slot_mapping"],
        inputs["state_slots"],
        num_blocks=cache.shape[0],
        block_size=cache.shape[1],
        num_state_slots=np.asarray(inputs["kv_state"]).shape[0],
        max_positions=max_positions,
    )
    if "topk_offset" in inputs:  # the indexers' per-token offsets (not the compressor's)
        check_topk_offsets(inputs["topk_offset"], np.asarray(inputs["position_ids"]).shape)


def state_pools(rng: np.random.Generator, num_state_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Decoy-filled state pools [slots, 8, 256] FP32 (every slot a live request's state
    replaces)."""
    shape = (num_state_slots, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH)
    return (
        rng.standard_normal(shape).astype(np.float32),
        rng.standard_normal(shape).astype(np.float32),
    )


def write_rows(pool: np.ndarray, table_row: np.ndarray, first: int, rows: np.ndarray) -> None:
    """Write logical rows first.. of one request into a [blocks, block_size, 128] pool."""
    block_size = pool.shape[1]
    for i, row in enumerate(rows):
        j = first + i
        pool[int(table_row[j // block_size]), j % block_size] = row


def to_c8(pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A BF16 pool as the c8 format: per-row INT8 codes and FP32 dequant scales (quant.py),
    quantized a block of rows at a time (pool_draws)."""
    return quantize_rows_blocked(pool)
