"""``lightning_indexer``: the scoring and top-k of a given query with the arguments, layouts and
results of ``torch_npu.npu_lightning_indexer``, W8A8 on this project's paged C16 / C8 cache.
docs/torch_ops.md lists every difference from the torch_npu operator."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from deepseek_v4_pypto_ops.ops import _checks, _runner
from deepseek_v4_pypto_ops.ops._kernel import Kernel
from models.deepseek_v4.config import INDEX_HEAD_DIM, INDEX_N_HEADS, MAX_TOKENS_PER_STEP
from models.deepseek_v4.contract.decode import MAX_SERVING_BATCH, PAD_POSITION

KERNEL = "models.deepseek_v4.kernels.lightning_indexer"
LAYOUTS_QUERY = ("BSND", "TND")
LAYOUTS_KEY = ("PA_BSND",)
#: sparse_mode 0: every query token sees all of its request's rows; 3: ratio-4 causal.
SPARSE_MODES = (0, 3)
MAX_SPARSE_COUNT = 2048
#: The kernels' top-k width is a multiple of this; sparse_count is rounded up, then cut.
TOPK_MULTIPLE = 8
RATIO = 4


@dataclass(frozen=True)
class Call:
    """A checked call in the kernel's terms."""

    query: torch.Tensor  # [B * S * 64, 128] bfloat16
    weights: torch.Tensor  # [B * S, 64] float32
    cache: torch.Tensor  # [NB, BS, 128]
    scale: torch.Tensor | None  # [NB, BS] float32 (c8)
    block_table: torch.Tensor  # [B, max_blocks] int32
    position_ids: torch.Tensor  # [B, S] int32
    kv_seq_lens: torch.Tensor  # [B] int32
    width: int  # the kernel's top-k width (sparse_count rounded up to 8)
    out_shape: tuple[int, ...]  # the result's shape (torch_npu's)


def _tokens_per_request(
    query: torch.Tensor, layout: str, actual_seq_lengths_query: object, device: torch.device
) -> tuple[int, int]:
    """(B, S): every request has the same number S (1..4) of query tokens."""
    if layout == "BSND":
        batch, seq = int(query.shape[0]), int(query.shape[1])
        if actual_seq_lengths_query is not None:
            lens = _checks.tensor("actual_seq_lengths_query", actual_seq_lengths_query,
                                  torch.int32, [batch], device)  # fmt: skip
            if bool((lens.cpu() != seq).any()):
                raise ValueError(
                    f"actual_seq_lengths_query: expected every request to have S = {seq} query "
                    f"tokens (BSND, no padding tokens), got {lens.tolist()}"
                )
        return batch, seq
    if actual_seq_lengths_query is None:
        raise ValueError("actual_seq_lengths_query: required with layout_query 'TND' (cumulative)")
    ends = _checks.tensor("actual_seq_lengths_query", actual_seq_lengths_query, torch.int32,
                          [None], device).cpu().to(torch.int64)  # fmt: skip
    batch, total = int(ends.numel()), int(query.shape[0])
    counts = torch.diff(ends, prepend=torch.zeros(1, dtype=torch.int64))
    if batch == 0 or int(ends[-1]) != total or bool((counts != counts[0]).any()):
        raise ValueError(
            "actual_seq_lengths_query: expected cumulative token counts ending at T = "
            f"{total}, the same count S = 1..{MAX_TOKENS_PER_STEP} for every request, got "
            f"{ends.tolist()[:8]}"
        )
    return batch, int(counts[0])


def check(
    query: object,
    key: object,
    weights: object,
    actual_seq_lengths_query: object,
    actual_seq_lengths_key: object,
    block_table: object,
    layout_query: object,
    layout_key: object,
    sparse_count: object,
    sparse_mode: object,
    key_dequant_scale: object,
    return_value: object,
    device: torch.device,
) -> Call:
    """Check every argument (one TypeError / ValueError naming it) and translate the call."""
    _checks.choice("layout_query", layout_query, LAYOUTS_QUERY)
    _checks.choice("layout_key", layout_key, LAYOUTS_KEY)
    mode = _checks.choice("sparse_mode", sparse_mode, SPARSE_MODES)
    count = _checks.integer("sparse_count", sparse_count, 1, MAX_SPARSE_COUNT)
    if return_value:
        raise ValueError("return_value: top-k values are not returned with a paged key "
                         "(PA_BSND), as in torch_npu; expected False")  # fmt: skip
    heads, dim = INDEX_N_HEADS, INDEX_HEAD_DIM
    q_shape = [None, None, heads, dim] if layout_query == "BSND" else [None, heads, dim]
    query = _checks.tensor("query", query, torch.bfloat16, q_shape, device)
    batch, seq = _tokens_per_request(query, layout_query, actual_seq_lengths_query, device)
    if not 1 <= batch <= MAX_SERVING_BATCH or not 1 <= seq <= MAX_TOKENS_PER_STEP:
        raise ValueError(
            f"query: {batch} requests of {seq} tokens; expected 1..{MAX_SERVING_BATCH} requests "
            f"of 1..{MAX_TOKENS_PER_STEP} tokens (a decode step)"
        )
    w_shape = [batch, seq, heads] if layout_query == "BSND" else [batch * seq, heads]
    weights = _checks.tensor("weights", weights, (torch.float32, torch.bfloat16), w_shape, device)
    key = _checks.tensor("key", key, (torch.bfloat16, torch.int8), [None, None, 1, dim], device)
    block = _checks.block_size("key", key)
    scale = None
    if key.dtype == torch.int8:
        if key_dequant_scale is None:
            raise ValueError("key_dequant_scale: an int8 key needs its float32 per-row scales "
                             f"[{key.shape[0]}, {block}]")  # fmt: skip
        scale = _checks.tensor("key_dequant_scale", key_dequant_scale, torch.float32,
                               [key.shape[0], block], device)  # fmt: skip
    elif key_dequant_scale is not None:
        raise ValueError("key_dequant_scale: only with an int8 key (C8); the bfloat16 key is "
                         "quantized per row when scored")  # fmt: skip
    if actual_seq_lengths_key is None:
        raise ValueError("actual_seq_lengths_key: required with layout_key 'PA_BSND'")
    lens = _checks.tensor("actual_seq_lengths_key", actual_seq_lengths_key, torch.int32,
                          [batch], device)  # fmt: skip
    if block_table is None:
        raise ValueError("block_table: required with layout_key 'PA_BSND'")
    table = _checks.tensor("block_table", block_table, torch.int32, [batch, None], device)
    host_lens, host_table = lens.cpu().to(torch.int64), table.cpu().to(torch.int64)
    bad = torch.nonzero((host_lens != 0) & (host_lens < seq)).flatten()
    if bad.numel():
        b = int(bad[0])
        raise ValueError(
            f"actual_seq_lengths_key: request {b} has {int(host_lens[b])} tokens; expected 0 "
            f"(padding) or at least its {seq} query tokens (tokens, not cache rows)"
        )
    for b in range(batch):
        blocks = -(-(int(host_lens[b]) // RATIO) // block)
        if blocks > host_table.shape[1]:
            raise ValueError(f"block_table: request {b} needs {blocks} blocks, the table has "
                             f"{host_table.shape[1]}")  # fmt: skip
        used = host_table[b, :blocks]
        if bool(((used < 0) | (used >= key.shape[0])).any()):
            raise ValueError(f"block_table: request {b} names a block outside 0.."
                             f"{key.shape[0] - 1}: {used.tolist()[:8]}")  # fmt: skip
    if mode == 3:  # token s of request b at position L - S + s
        positions = host_lens[:, None] - seq + torch.arange(seq)[None, :]
    else:  # every token sees the request's L // 4 rows
        positions = (host_lens[:, None] - 1).expand(batch, seq)
    positions = torch.where(host_lens[:, None] > 0, positions, PAD_POSITION).to(torch.int32)
    out_shape = (batch, seq, 1, count) if layout_query == "BSND" else (batch * seq, 1, count)
    return Call(
        query=query.reshape(batch * seq * heads, dim),
        weights=weights.reshape(batch * seq, heads).to(torch.float32),
        cache=key.reshape(key.shape[0], block, dim),
        scale=scale,
        block_table=table,
        position_ids=positions.to(device),
        kv_seq_lens=lens,
        width=-(-count // TOPK_MULTIPLE) * TOPK_MULTIPLE,
        out_shape=out_shape,
    )


def lightning_indexer(
    query: torch.Tensor,
    key: torch.Tensor,
    weights: torch.Tensor,
    actual_seq_lengths_query: torch.Tensor | None = None,
    actual_seq_lengths_key: torch.Tensor | None = None,
    block_table: torch.Tensor | None = None,
    layout_query: str = "BSND",
    layout_key: str = "PA_BSND",
    sparse_count: int = 2048,
    sparse_mode: int = 3,
    *,
    key_dequant_scale: torch.Tensor | None = None,
    return_value: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-``sparse_count`` cache rows per query token: ``(sparse_indices, sparse_values)``,
    indices int32 ``[B, S1, 1, sparse_count]`` (BSND) or ``[T, 1, sparse_count]`` (TND),
    0-based logical rows of the request, -1 past the rows it sees; values an empty tensor.

    ``query`` bfloat16 [B, S1, 64, 128] / [T, 64, 128] (rotated, not yet quantized: quantized
    per (token, head) row to INT8 here), ``key`` the paged cache [NB, BS, 1, 128] (bfloat16,
    or int8 with ``key_dequant_scale`` [NB, BS]), ``weights`` [.., 64] float32 or bfloat16,
    ``actual_seq_lengths_key`` [B] the request's TOKENS (the cache holds len // 4 rows).
    """
    device = torch.device(_runner.device_type())
    call = check(
        query, key, weights, actual_seq_lengths_query, actual_seq_lengths_key, block_table,
        layout_query, layout_key, sparse_count, sparse_mode, key_dequant_scale, return_value,
        device,
    )  # fmt: skip
    batch, seq = call.position_ids.shape
    topk = torch.empty((batch, seq, call.width), dtype=torch.int32, device=device)
    args: list[torch.Tensor | int] = [call.query, call.weights, call.cache]
    args += [call.scale] if call.scale is not None else []
    # 0-based rows, as torch_npu's call returns them: every token's offset is 0.
    no_offset = torch.zeros((batch, seq), dtype=torch.int32, device=device)
    args += [call.block_table, call.position_ids, call.kv_seq_lens, topk, no_offset]
    name = f"lightning_indexer_{'c8' if call.scale is not None else 'c16'}"
    _runner.run(Kernel(KERNEL, name), args, [len(args) - 2])
    indices = topk[..., : call.out_shape[-1]].reshape(call.out_shape)
    return indices, torch.empty(0, dtype=query.dtype, device=device)
