"""Configuration and serving tensors of the prefill cases (contract/prefill.py).

A chunk is given by ``prompt_lens`` (tokens of each request in the chunk, a comma list) and
``prefix_lens`` (each request's cached tokens before the chunk: one value for every request or
one per request; default 0, a fresh prompt). The chunk's T is the token total rounded up to the
T bucket (TOKEN_BUCKET rows; padding rows have position -1). The pools are sized once, from
max_seq_len and the request count, as a serving engine sizes them: the prefixes never change a
tensor's shape, so one artifact serves every chunk of one (T bucket, requests, pool) shape.
Physical blocks and state slots are a seeded permutation with decoy spares, as in
decode_inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from golden.case import CaseConfig, ConfigError, option_name
from models.deepseek_v4.cases.decode_inputs import (
    SPARE_BLOCKS,
    SPARE_STATE_SLOTS,
    state_pools,
    write_rows,
)
from models.deepseek_v4.cases.support import check_int
from models.deepseek_v4.config import COMPRESS_RATIO, get_preset
from models.deepseek_v4.contract.decode import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_CACHE_FORMAT,
    check_block_size,
    check_cache_format,
)
from models.deepseek_v4.contract.prefill import (
    MAX_CHUNK_REQUESTS,
    MAX_CHUNK_TOKENS,
    check_chunk,
    chunk_slot_mapping,
    packed_positions,
)
from models.deepseek_v4.contract.topk_offsets import check_topk_offsets
from models.deepseek_v4.reference.decode_compressor import compressor_rows, empty_state

#: Chunks are compiled for T in whole buckets of this many token rows.
TOKEN_BUCKET = 128
DEFAULT_PROMPT_LENS = "1,7,128,300"


def _int_list(name: str, value: object) -> list[int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)]
    if not isinstance(value, str):
        raise ConfigError(f"{option_name(name)}: expected a comma list of integers, got {value!r}")
    try:
        return [int(v) for v in value.split(",")]
    except ValueError:
        raise ConfigError(
            f"{option_name(name)}: expected a comma list of integers, got {value!r}"
        ) from None


#: The CaseConfig fields a prefill chunk takes (the report's header shows these).
CONFIG_FIELDS = (
    "preset", "prompt_lens", "prefix_lens", "max_seq_len", "seed", "cache_format", "block_size",
)  # fmt: skip
#: CaseConfig fields of a decode step, refused by the prefill cases (with their unset values).
DECODE_FIELDS: dict[str, object] = {
    "batch": 1, "seq": 1, "start_pos": None, "mixed": False, "topk_only": False,
}  # fmt: skip


def resolve_prefill_config(
    config: CaseConfig, *, seq_len_multiple: int, default_max_seq_len: int
) -> CaseConfig:
    """Fill defaults and validate a prefill chunk's config (ConfigError names the option).

    prompt_lens 1..64 requests of >= 1 token, 8192 tokens in all (default 1,7,128,300);
    prefix_lens >= 0, one value or one per request (default 0); max_seq_len, the context the
    pools are sized for, a multiple of ``seq_len_multiple`` up to the preset's maximum (default
    ``default_max_seq_len`` capped at the preset's): as a serving engine sizes its pools once,
    it does not follow the chunk, and every request's prefix + prompt must fit in it;
    cache_format c16|c8; block_size a multiple of 16 in 16..1024. The decode options (batch,
    seq, start_pos, mixed, topk_only) are refused.
    """
    try:
        preset = get_preset(config.preset)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    given = [f for f, unset in DECODE_FIELDS.items() if getattr(config, f) != unset]
    if given:
        raise ConfigError(
            f"{'/'.join(map(option_name, given))}: a decode option; a prefill chunk takes "
            "--prompt-lens (tokens of each request) and --prefix-lens (tokens cached before it)"
        )
    prompts = _int_list("prompt_lens", DEFAULT_PROMPT_LENS if config.prompt_lens is None
                        else config.prompt_lens)  # fmt: skip
    if not 1 <= len(prompts) <= MAX_CHUNK_REQUESTS or min(prompts) < 1:
        raise ConfigError(
            f"--prompt-lens: got {_short(prompts)}; allowed 1..{MAX_CHUNK_REQUESTS} requests of "
            ">= 1 token"
        )
    if sum(prompts) > MAX_CHUNK_TOKENS:
        raise ConfigError(
            f"--prompt-lens: {sum(prompts)} tokens in all; allowed <= {MAX_CHUNK_TOKENS}"
        )
    given = _int_list("prefix_lens", 0 if config.prefix_lens is None else config.prefix_lens)
    if len(given) not in (1, len(prompts)) or min(given) < 0:
        raise ConfigError(
            f"--prefix-lens: got {_short(given)}; expected values >= 0, one or one per "
            f"request ({len(prompts)})"
        )
    prefixes = given * len(prompts) if len(given) == 1 else given
    limit = preset.max_position_embeddings
    if config.max_seq_len is None:
        max_seq_len, source = min(default_max_seq_len, limit), "the default"
    else:
        max_seq_len, source = check_int("max_seq_len", config.max_seq_len), "given"
        if max_seq_len % seq_len_multiple or not seq_len_multiple <= max_seq_len <= limit:
            raise ConfigError(
                f"--max-seq-len: got {max_seq_len}; allowed a multiple of {seq_len_multiple} in "
                f"[{seq_len_multiple}, {limit}] for preset {preset.name}"
            )
    need = max(p + q for p, q in zip(prefixes, prompts))
    if need > max_seq_len:
        r = [p + q for p, q in zip(prefixes, prompts)].index(need)
        fit = -(-need // seq_len_multiple) * seq_len_multiple
        hint = (f"give --max-seq-len {fit} or more (a multiple of {seq_len_multiple})"
                if fit <= limit else f"preset {preset.name} has {limit} positions")  # fmt: skip
        raise ConfigError(
            f"--prefix-lens/--prompt-lens: request {r} reaches {need} positions, more than "
            f"--max-seq-len {max_seq_len} ({source}), the context the pools are sized for; "
            + hint
        )
    return replace(
        config,
        preset=preset.name,
        max_seq_len=max_seq_len,
        seed=check_int("seed", config.seed),
        cache_format=check_cache_format(config.cache_format or DEFAULT_CACHE_FORMAT),
        block_size=check_block_size(
            DEFAULT_BLOCK_SIZE if config.block_size is None else config.block_size
        ),
        prompt_lens=",".join(map(str, prompts)),
        prefix_lens=",".join(map(str, prefixes)),
    )


def _short(values: list[int], keep: int = 8) -> str:
    """A list for a one-line message: at most ``keep`` values, then how many more."""
    head = ",".join(map(str, values[:keep]))
    return head if len(values) <= keep else f"{head},... ({len(values)} values)"


def token_bucket(prompts: list[int] | np.ndarray) -> int:
    """T: the chunk's token rows, the prompt total rounded up to whole TOKEN_BUCKETs."""
    return -(-int(np.sum(prompts)) // TOKEN_BUCKET) * TOKEN_BUCKET


def max_blocks(max_seq_len: int, block_size: int) -> int:
    """Block-table width: blocks of one request at full context."""
    return -(-(int(max_seq_len) // COMPRESS_RATIO) // int(block_size))


def pool_blocks(requests: int, max_seq_len: int, block_size: int) -> int:
    """Blocks of the cache pool: every request at full context plus the decoy spares. It
    depends on (requests, max_seq_len, block_size) only, never on the prefixes."""
    return requests * max_blocks(max_seq_len, block_size) + SPARE_BLOCKS


def requests_of(config: CaseConfig) -> tuple[list[int], list[int]]:
    """Prompt and prefix lengths of a resolved config."""
    return _int_list("prompt_lens", config.prompt_lens), _int_list(
        "prefix_lens", config.prefix_lens
    )


@dataclass
class ChunkTensors:
    """One chunk's serving tensors (INT32) and its pool sizes."""

    prefixes: np.ndarray
    prompts: np.ndarray
    position_ids: np.ndarray
    cu_seqlens: np.ndarray
    block_table: np.ndarray
    slot_mapping: np.ndarray
    state_slots: np.ndarray
    num_blocks: int
    num_state_slots: int
    block_size: int

    @property
    def total_tokens(self) -> int:
        """T: the chunk's token rows (padding included)."""
        return int(self.position_ids.shape[0])


def chunk_tensors(config: CaseConfig, rng: np.random.Generator) -> ChunkTensors:
    """Positions, cu_seqlens, a shuffled block table, the slot mapping and shuffled state slots
    of a resolved prefill config. The pools are sized as a serving engine sizes them, once
    (pool_blocks); the requests' blocks are a seeded draw from it, the rest are decoys."""
    prompt_list, prefix_list = requests_of(config)
    prompts = np.asarray(prompt_list, np.int64)
    prefixes = np.asarray(prefix_list, np.int64)
    block_size = config.block_size
    total = token_bucket(prompts)
    position_ids, cu = packed_positions(prefixes, prompts, total)
    width = max_blocks(config.max_seq_len, block_size)
    need = [-(-int((p + q) // COMPRESS_RATIO) // block_size) for p, q in zip(prefixes, prompts)]
    num_blocks = pool_blocks(prompts.size, config.max_seq_len, block_size)
    physical = rng.permutation(num_blocks)
    table = np.full((prompts.size, width), -1, dtype=np.int32)
    used = 0
    for r, count in enumerate(need):
        table[r, :count] = physical[used : used + count]
        used += count
    num_state_slots = prompts.size + SPARE_STATE_SLOTS
    state_slots = rng.permutation(num_state_slots)[: prompts.size].astype(np.int32)
    slots = chunk_slot_mapping(position_ids, cu, np.maximum(table, 0), block_size)
    check_chunk(
        position_ids, cu, table, slots, state_slots, num_blocks=num_blocks,
        block_size=block_size, num_state_slots=num_state_slots, max_positions=config.max_seq_len,
    )  # fmt: skip
    return ChunkTensors(
        prefixes, prompts, position_ids, cu, table, slots, state_slots,
        num_blocks, num_state_slots, block_size,
    )  # fmt: skip


def check_chunk_inputs(inputs: Mapping[str, Any], max_positions: int) -> None:
    """Validate the chunk tensors of a kernel-argument dict (the harness's gate)."""
    cache = np.asarray(inputs["index_cache"])
    check_chunk(
        inputs["position_ids"], inputs["cu_seqlens"], inputs["block_table"],
        inputs["slot_mapping"], inputs["state_slots"], num_blocks=cache.shape[0],
        block_size=cache.shape[1], num_state_slots=np.asarray(inputs["kv_state"]).shape[0],
        max_positions=max_positions,
    )  # fmt: skip
    if "topk_offset" in inputs:  # the indexer's per-token offsets (not the compressor's)
        check_topk_offsets(inputs["topk_offset"], np.asarray(inputs["position_ids"]).shape)


#: Whole windows before a request's prefix replayed through the compressor golden to warm its
#: state and write its latest rows (older prefix rows are synthetic history).
HISTORY_WINDOWS = 2


def warm_prefixes(
    rng: np.random.Generator,
    chunk: ChunkTensors,
    compressor: Mapping[str, np.ndarray],
    tables: Mapping[str, np.ndarray],
    pool: np.ndarray,
    activations: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """State pools [slots, 8, 256] with each request's state at its prefix: empty for a fresh
    prompt; otherwise the compressor golden run from an empty state over the prefix's last
    HISTORY_WINDOWS windows and partial window (its rows written into ``pool`` through the
    table). Spare slots hold decoys. ``activations(rng, shape)`` draws BF16 hidden states;
    ``tables`` holds rope_cos, rope_sin and hadamard."""
    kv_pool, score_pool = state_pools(rng, chunk.num_state_slots)
    dim = compressor["wkv"].shape[0]
    for r, start in enumerate(chunk.prefixes):
        start = int(start)
        history_start = max(0, (start // COMPRESS_RATIO - HISTORY_WINDOWS) * COMPRESS_RATIO)
        kv_state, score_state = empty_state(1)
        if start > history_start:
            history = activations(rng, (1, start - history_start, dim))
            kv_state, score_state, written = compressor_rows(
                history, compressor["wkv"], compressor["wgate"], compressor["ape"],
                compressor["norm_weight"], tables["rope_cos"], tables["rope_sin"],
                tables["hadamard"], kv_state, score_state,
                np.arange(history_start, start)[None, :],
            )  # fmt: skip
            for (_, s), row in written.items():
                write_rows(pool, chunk.block_table[r], (history_start + s) // COMPRESS_RATIO,
                           row[None])  # fmt: skip
        slot = int(chunk.state_slots[r])
        kv_pool[slot], score_pool[slot] = kv_state[0], score_state[0]
    return kv_pool, score_pool
