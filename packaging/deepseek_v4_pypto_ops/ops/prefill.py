"""One packed prefill chunk of the indexer (with its compressor) and of the compressor alone, as
torch calls on the prefill contract (models/deepseek_v4/contract/prefill.py): T token rows of R
requests back to back (``cu_seqlens``), per-token positions, the decode step's paged pools. The
chunk is
padded to a whole bucket of 128 token rows (padding rows: position -1, no writes), so chunks of
similar size share one artifact; the results are returned for the T rows given."""

from __future__ import annotations

import torch

from deepseek_v4_pypto_ops.ops import _checks, _runner, _serving_args
from deepseek_v4_pypto_ops.ops._kernel import Kernel
from deepseek_v4_pypto_ops.ops.weights import IndexerWeights
from models.deepseek_v4.cases.prefill_inputs import TOKEN_BUCKET
from models.deepseek_v4.config import COMPRESS_RATIO
from models.deepseek_v4.contract.decode import PAD_POSITION
from models.deepseek_v4.contract.prefill import MAX_CHUNK_REQUESTS, MAX_CHUNK_TOKENS, check_chunk

INDEXER = "models.deepseek_v4.kernels.prefill_indexer"
COMPRESSOR = "models.deepseek_v4.kernels.prefill_compressor"


def _chunk(
    x: object,
    weights: IndexerWeights,
    position_ids: object,
    cu_seqlens: object,
    slot_mapping: object,
    state_slots: object,
    device: torch.device,
) -> tuple[int, int]:
    """(T, R) of a chunk whose row tensors are checked."""
    x = _checks.tensor("x", x, torch.bfloat16, [None, weights.hidden_size], device)
    tokens = int(x.shape[0])
    if not 1 <= tokens <= MAX_CHUNK_TOKENS:
        raise ValueError(f"x: token rows (dim 0) {tokens}; expected 1..{MAX_CHUNK_TOKENS}")
    _checks.tensor("position_ids", position_ids, torch.int32, [tokens], device)
    _checks.tensor("slot_mapping", slot_mapping, torch.int32, [tokens], device)
    cu = _checks.tensor("cu_seqlens", cu_seqlens, torch.int32, [None], device)
    requests = int(cu.shape[0]) - 1
    if not 1 <= requests <= MAX_CHUNK_REQUESTS:
        raise ValueError(
            f"cu_seqlens: {requests + 1} entries; expected R + 1 with R in 1..{MAX_CHUNK_REQUESTS}"
        )
    _checks.tensor("state_slots", state_slots, torch.int32, [requests], device)
    return tokens, requests


def _padded(value: torch.Tensor, rows: int, fill: int | float) -> torch.Tensor:
    """``value`` with rows appended up to ``rows`` (dim 0), filled with ``fill``."""
    extra = rows - int(value.shape[0])
    if extra == 0:
        return value
    tail = torch.full((extra, *value.shape[1:]), fill, dtype=value.dtype, device=value.device)
    return torch.cat([value, tail])


def _check_contents(
    position_ids: torch.Tensor, cu_seqlens: torch.Tensor, block_table: torch.Tensor,
    slot_mapping: torch.Tensor, state_slots: torch.Tensor, pools: _serving_args.Pools,
    positions: int,
) -> None:  # fmt: skip
    check_chunk(
        position_ids.cpu().numpy(), cu_seqlens.cpu().numpy(), block_table.cpu().numpy(),
        slot_mapping.cpu().numpy(), state_slots.cpu().numpy(),
        num_blocks=int(pools.index_cache.shape[0]), block_size=pools.block_size,
        num_state_slots=int(pools.kv_state.shape[0]), max_positions=positions,
    )  # fmt: skip


def check_indexer_chunk(
    x: object,
    qr: object,
    weights: IndexerWeights,
    position_ids: object,
    cu_seqlens: object,
    block_table: object,
    slot_mapping: object,
    state_slots: object,
    kv_state: object,
    score_state: object,
    index_cache: object,
    index_cache_scale: object,
    index_topk: object,
    offset: object,
    score_width: object,
    check: bool,
    device: torch.device,
) -> tuple[int, _serving_args.Pools, int, torch.Tensor, int]:
    """(T, pools, index_topk, offsets [T], score width) of a checked prefill chunk."""
    tokens, requests = _chunk(x, weights, position_ids, cu_seqlens, slot_mapping, state_slots,
                              device)  # fmt: skip
    _checks.tensor("qr", qr, torch.bfloat16, [tokens, weights.q_lora_rank], device)
    _checks.tensor("block_table", block_table, torch.int32, [requests, None], device)
    weights.check(device)
    pools = _serving_args.pools(kv_state, score_state, index_cache, index_cache_scale, device)
    topk = _serving_args.topk_width(index_topk)
    shift = _serving_args.offsets(offset, [tokens], device, check)
    width = _serving_args.score_width(score_width, int(block_table.shape[1]) * pools.block_size)
    if check:
        _check_contents(position_ids, cu_seqlens, block_table, slot_mapping, state_slots,
                        pools, weights.positions)  # fmt: skip
    return tokens, pools, topk, shift, width


def indexer_prefill(
    x: torch.Tensor,
    qr: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    cu_seqlens: torch.Tensor,
    block_table: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    index_topk: int = 512,
    offset: int | torch.Tensor = _serving_args.DEFAULT_OFFSET,
    return_scores: bool = False,
    score_width: int | None = None,
    check: bool = True,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """The indexer over a packed chunk; returns ``topk_idxs [T, index_topk]`` int32 (logical
    row + ``offset``, -1 unused) and, with ``return_scores``, ``score [T, W]`` float32.
    ``offset``: an int for every token or an int32 ``[T]`` tensor, one per token (DeepSeek-V4's
    reference offsets a prompt prefilled from position 0 by its length, docs/prefill.md); it is
    data, so every offset runs on one compiled artifact.

    ``x [T, D]``, ``qr [T, Q_LORA]`` bfloat16; ``position_ids [T]`` (-1 on rows after
    ``cu_seqlens[R]``), ``cu_seqlens [R + 1]``, ``block_table [R, max_blocks]``,
    ``slot_mapping [T]``, ``state_slots [R]`` (-1: an empty request) int32. Token t at position
    p of request r sees rows j < (p + 1) // 4 of request r, rows closed earlier in the chunk
    included. The pools are written in place as in :func:`ops.indexer_decode`.
    """
    device = torch.device(_runner.device_type())
    tokens, pools, topk, shift, width = check_indexer_chunk(
        x, qr, weights, position_ids, cu_seqlens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache, index_cache_scale, index_topk, offset, score_width,
        check, device,
    )  # fmt: skip
    bucket = -(-tokens // TOKEN_BUCKET) * TOKEN_BUCKET
    score = torch.empty((bucket, width), dtype=torch.float32, device=device)
    topk_idxs = torch.empty((bucket, topk), dtype=torch.int32, device=device)
    args: list[torch.Tensor | int] = [
        _padded(x, bucket, 0), _padded(qr, bucket, 0), weights.wq_b, weights.wq_b_scale,
        weights.weights_proj, weights.rope_cos, weights.rope_sin, weights.hadamard,
        weights.wkv, weights.wgate, weights.ape, weights.norm_weight,
        _padded(position_ids, bucket, PAD_POSITION), cu_seqlens, block_table,
        _padded(slot_mapping, bucket, -1), state_slots,
    ]  # fmt: skip
    first_pool = len(args)
    shifts = _padded(shift, bucket, _serving_args.DEFAULT_OFFSET)  # padding rows: top-k -1
    args += [*pools.tensors(), score, topk_idxs, shifts]
    name = f"indexer_prefill_{pools.cache_format}"
    _runner.run(Kernel(INDEXER, name), args, range(first_pool, len(args) - 1))
    if return_scores:
        return topk_idxs[:tokens], score[:tokens]
    return topk_idxs[:tokens]


def check_compressor_chunk(
    x: object,
    weights: IndexerWeights,
    position_ids: object,
    cu_seqlens: object,
    slot_mapping: object,
    state_slots: object,
    kv_state: object,
    score_state: object,
    index_cache: object,
    index_cache_scale: object,
    check: bool,
    device: torch.device,
) -> tuple[int, _serving_args.Pools]:
    """(T, pools) of a checked compressor chunk."""
    tokens, _ = _chunk(x, weights, position_ids, cu_seqlens, slot_mapping, state_slots, device)
    weights.check(device, compressor_only=True)
    pools = _serving_args.pools(kv_state, score_state, index_cache, index_cache_scale, device)
    if check:
        _check_compressor_chunk(position_ids, cu_seqlens, slot_mapping, state_slots, pools,
                                weights.positions)  # fmt: skip
    return tokens, pools


def compressor_prefill(
    x: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    cu_seqlens: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    check: bool = True,
) -> None:
    """The ratio-4 compressor over a packed chunk: each request's tokens in order from its
    saved state; every window the chunk closes lands at its ``slot_mapping`` slot, in place.
    Arguments as :func:`indexer_prefill`."""
    device = torch.device(_runner.device_type())
    tokens, pools = check_compressor_chunk(
        x, weights, position_ids, cu_seqlens, slot_mapping, state_slots, kv_state, score_state,
        index_cache, index_cache_scale, check, device,
    )  # fmt: skip
    bucket = -(-tokens // TOKEN_BUCKET) * TOKEN_BUCKET
    args: list[torch.Tensor | int] = [
        _padded(x, bucket, 0), weights.wkv, weights.wgate, weights.ape, weights.norm_weight,
        weights.rope_cos, weights.rope_sin, weights.hadamard,
        _padded(position_ids, bucket, PAD_POSITION), cu_seqlens, state_slots,
        _padded(slot_mapping, bucket, -1),
    ]  # fmt: skip
    first_pool = len(args)
    args += pools.tensors()
    name = f"indexer_compressor_prefill_{pools.cache_format}"
    _runner.run(Kernel(COMPRESSOR, name), args, range(first_pool, len(args)))


def _check_compressor_chunk(
    position_ids: torch.Tensor, cu_seqlens: torch.Tensor, slot_mapping: torch.Tensor,
    state_slots: torch.Tensor, pools: _serving_args.Pools, positions: int,
) -> None:  # fmt: skip
    """check_chunk without a block table: every written slot inside the pool and distinct."""
    slots = slot_mapping.cpu()
    pool_rows = int(pools.index_cache.shape[0]) * pools.block_size
    written = slots[slots >= 0]
    if written.numel() and (int(written.max()) >= pool_rows or written.unique().numel()
                            != written.numel()):  # fmt: skip
        raise ValueError(
            f"slot_mapping: expected distinct slots in 0..{pool_rows - 1} (or -1), got "
            f"{sorted(set(written.tolist()))[:8]}..."
        )
    cu = cu_seqlens.cpu().numpy()
    pos = position_ids.cpu().numpy()
    for r in range(cu.size - 1):
        span = pos[cu[r] : cu[r + 1]]
        if span.size and ((span[0] < 0) or (span != span[0] + range(span.size)).any()
                          or span[-1] >= positions):  # fmt: skip
            raise ValueError(
                f"position_ids: request {r}: expected consecutive positions from >= 0 and "
                f"below {positions}, got {span[:8].tolist()}..."
            )
    closes = (pos >= 0) & ((pos + 1) % COMPRESS_RATIO == 0)
    bad = (slots.numpy() >= 0) != closes
    if bad.any():
        t = int(bad.nonzero()[0][0])
        raise ValueError(
            f"slot_mapping: token row {t} (position {int(pos[t])}) got {int(slots[t])}; a token "
            "writes (slot >= 0) exactly when it closes a window ((position + 1) % 4 == 0)"
        )
    if (pos[int(cu[-1]) :] != PAD_POSITION).any():
        raise ValueError(f"position_ids: rows after cu_seqlens[R] must be {PAD_POSITION}")
    states = state_slots.cpu().numpy()
    live = states[states >= 0]
    if live.size != len(set(live.tolist())) or (live >= pools.kv_state.shape[0]).any():
        raise ValueError(
            f"state_slots: expected distinct slots in 0..{pools.kv_state.shape[0] - 1} "
            f"(-1: an empty request), got {states.tolist()}"
        )
