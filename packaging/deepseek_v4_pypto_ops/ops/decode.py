"""One decode step of the indexer (with its compressor) and of the compressor alone, as torch
calls on the serving contract (models/deepseek_v4/contract/decode.py): B requests of S = 1..4 tokens
at their own positions, a paged cache behind a block table, compressor writes through a slot
mapping into a state pool. Caches and states are written in place, as the kernels do."""

from __future__ import annotations

import torch

from deepseek_v4_pypto_ops.ops import _checks, _runner, _serving_args
from deepseek_v4_pypto_ops.ops._kernel import Kernel
from deepseek_v4_pypto_ops.ops.weights import IndexerWeights
from models.deepseek_v4.config import MAX_TOKENS_PER_STEP
from models.deepseek_v4.contract.decode import (
    MAX_SERVING_BATCH,
    check_compressor_step,
    check_step,
)

INDEXER = "models.deepseek_v4.kernels.decode_indexer"
COMPRESSOR = "models.deepseek_v4.kernels.decode_compressor"


def _step_shape(x: object, weights: IndexerWeights, device: torch.device) -> tuple[int, int]:
    x = _checks.tensor("x", x, torch.bfloat16, [None, None, weights.hidden_size], device)
    batch, seq = int(x.shape[0]), int(x.shape[1])
    if not 1 <= batch <= MAX_SERVING_BATCH:
        raise ValueError(f"x: batch (dim 0) {batch}; expected 1..{MAX_SERVING_BATCH}")
    if not 1 <= seq <= MAX_TOKENS_PER_STEP:
        raise ValueError(f"x: tokens per step (dim 1) {seq}; expected 1..{MAX_TOKENS_PER_STEP}")
    return batch, seq


def _int32(name: str, value: object, shape: list[int | None], device: torch.device):
    return _checks.tensor(name, value, torch.int32, shape, device)


def _device() -> torch.device:
    return torch.device(_runner.device_type())


def check_indexer_step(
    x: object,
    qr: object,
    weights: IndexerWeights,
    position_ids: object,
    kv_seq_lens: object,
    block_table: object,
    slot_mapping: object,
    state_slots: object,
    kv_state: object,
    score_state: object,
    index_cache: object,
    index_cache_scale: object,
    index_topk: object,
    offset: object,
    return_scores: bool,
    score_width: object,
    check: bool,
    device: torch.device,
) -> tuple[int, int, _serving_args.Pools, int, torch.Tensor, int]:
    """(B, S, pools, index_topk, offsets [B, S], score width) of a checked decode step."""
    batch, seq = _step_shape(x, weights, device)
    _checks.tensor("qr", qr, torch.bfloat16, [batch, seq, weights.q_lora_rank], device)
    weights.check(device)
    _int32("position_ids", position_ids, [batch, seq], device)
    _int32("kv_seq_lens", kv_seq_lens, [batch], device)
    _int32("block_table", block_table, [batch, None], device)
    _int32("slot_mapping", slot_mapping, [batch, seq], device)
    _int32("state_slots", state_slots, [batch], device)
    pools = _serving_args.pools(kv_state, score_state, index_cache, index_cache_scale, device)
    topk = _serving_args.topk_width(index_topk)
    shift = _serving_args.offsets(offset, [batch, seq], device, check)
    rows = int(block_table.shape[1]) * pools.block_size
    width = _serving_args.score_width(score_width if return_scores else None, rows)
    if check:
        check_step(
            position_ids.cpu().numpy(), kv_seq_lens.cpu().numpy(), block_table.cpu().numpy(),
            slot_mapping.cpu().numpy(), state_slots.cpu().numpy(),
            num_blocks=int(pools.index_cache.shape[0]), block_size=pools.block_size,
            num_state_slots=int(pools.kv_state.shape[0]), max_positions=weights.positions,
        )  # fmt: skip
    return batch, seq, pools, topk, shift, width


def indexer_decode(
    x: torch.Tensor,
    qr: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    kv_seq_lens: torch.Tensor,
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
    """One decode step of the W8A8 lightning indexer; returns ``topk_idxs [B, S, index_topk]``
    int32 (logical cache row + ``offset``, -1 where unused), and ``score [B, S, W]`` float32
    too when ``return_scores`` (lowest float32 where a token sees nothing).

    ``x [B, S, D]``, ``qr [B, S, Q_LORA]`` bfloat16; ``position_ids [B, S]``, ``kv_seq_lens
    [B]`` (tokens after the step, 0 for a padded slot), ``block_table [B, max_blocks]``,
    ``slot_mapping [B, S]``, ``state_slots [B]`` int32. The compressor runs first and writes
    ``kv_state``, ``score_state`` and the closed windows' rows of ``index_cache`` (bfloat16:
    c16; int8 with ``index_cache_scale``: c8) in place. ``offset``: an int for every token or
    an int32 ``[B, S]`` tensor, one per token; it is data, so every offset runs on one compiled
    artifact. ``check`` validates the index tensors' contents (one host copy of them).
    """
    device = _device()
    step = check_indexer_step(
        x, qr, weights, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        kv_state, score_state, index_cache, index_cache_scale, index_topk, offset,
        return_scores, score_width, check, device,
    )  # fmt: skip
    batch, seq, pools, topk, shift, width = step
    topk_idxs = torch.empty((batch, seq, topk), dtype=torch.int32, device=device)
    args: list[torch.Tensor | int] = [
        x, qr, weights.wq_b, weights.wq_b_scale, weights.weights_proj, weights.rope_cos,
        weights.rope_sin, weights.hadamard, weights.wkv, weights.wgate, weights.ape,
        weights.norm_weight, position_ids, kv_seq_lens, block_table, slot_mapping, state_slots,
        *pools.tensors(),
    ]  # fmt: skip
    first_pool = len(args) - len(pools.tensors())
    score = None
    if return_scores:
        score = torch.empty((batch, seq, width), dtype=torch.float32, device=device)
        args.append(score)
    args += [topk_idxs, shift]
    name = f"indexer_{'' if return_scores else 'topk_'}{pools.cache_format}"
    _runner.run(Kernel(INDEXER, name), args, range(first_pool, len(args) - 1))
    return (topk_idxs, score) if score is not None else topk_idxs


def check_compressor_step_args(
    x: object,
    weights: IndexerWeights,
    position_ids: object,
    slot_mapping: object,
    state_slots: object,
    kv_state: object,
    score_state: object,
    index_cache: object,
    index_cache_scale: object,
    check: bool,
    device: torch.device,
) -> _serving_args.Pools:
    """The pools of a checked compressor step."""
    batch, seq = _step_shape(x, weights, device)
    weights.check(device, compressor_only=True)
    _int32("position_ids", position_ids, [batch, seq], device)
    _int32("slot_mapping", slot_mapping, [batch, seq], device)
    _int32("state_slots", state_slots, [batch], device)
    pools = _serving_args.pools(kv_state, score_state, index_cache, index_cache_scale, device)
    if check:
        check_compressor_step(
            position_ids.cpu().numpy(), state_slots.cpu().numpy(), slot_mapping.cpu().numpy(),
            pool_rows=int(pools.index_cache.shape[0]) * pools.block_size,
            num_state_slots=int(pools.kv_state.shape[0]), max_positions=weights.positions,
        )  # fmt: skip
    return pools


def compressor_decode(
    x: torch.Tensor,
    weights: IndexerWeights,
    *,
    position_ids: torch.Tensor,
    slot_mapping: torch.Tensor,
    state_slots: torch.Tensor,
    kv_state: torch.Tensor,
    score_state: torch.Tensor,
    index_cache: torch.Tensor,
    index_cache_scale: torch.Tensor | None = None,
    check: bool = True,
) -> None:
    """One decode step of the ratio-4 compressor alone: updates ``kv_state`` / ``score_state``
    at ``state_slots`` and writes each closed window's row into ``index_cache`` (and its
    scale, c8) at ``slot_mapping``, in place. Arguments as :func:`indexer_decode`."""
    device = _device()
    pools = check_compressor_step_args(
        x, weights, position_ids, slot_mapping, state_slots, kv_state, score_state,
        index_cache, index_cache_scale, check, device,
    )  # fmt: skip
    args: list[torch.Tensor | int] = [
        x, weights.wkv, weights.wgate, weights.ape, weights.norm_weight, weights.rope_cos,
        weights.rope_sin, weights.hadamard, position_ids, state_slots, slot_mapping,
        *pools.tensors(),
    ]  # fmt: skip
    first_pool = len(args) - len(pools.tensors())
    name = f"indexer_compressor_{pools.cache_format}"
    _runner.run(Kernel(COMPRESSOR, name), args, range(first_pool, len(args)))
