"""Time one decode step of the PyTorch reference (deepseek_v4_pypto_ops.ops.reference) at serving
scale: B requests of S tokens, every request at the end of a context of N positions (N / 4 cache
rows each), FLASH sizes (hidden 4096, low-rank query 1024, top-512).

    python scripts/reference_speed.py --batch 128 --context 131072 --cache-format c8

Prints the setup, then the step's wall time (the best of --repeat runs) and the threads used.
"""

from __future__ import annotations

import argparse
import time

import torch
from deepseek_v4_pypto_ops.ops import IndexerWeights, reference

from models.deepseek_v4.config import get_preset
from models.deepseek_v4.contract.decode import slot_mapping_for
from models.deepseek_v4.reference.tables import hadamard, rope_cos_sin


def world(batch: int, seq: int, context: int, block_size: int, cache_format: str) -> dict:
    """Random tensors of the right shapes, dtypes and scales (the timing does not depend on
    the values); each request holds context - seq tokens before the step."""
    gen = torch.Generator().manual_seed(0)
    hidden, q_lora, heads, dim = 4096, 1024, 64, 128
    cos, sin = rope_cos_sin(torch.arange(context).numpy(), get_preset("FLASH"))

    def bf16(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return (torch.randn(*shape, generator=gen) * scale).to(torch.bfloat16)

    weights = IndexerWeights(
        wq_b=torch.randint(-127, 128, (q_lora, heads * dim), generator=gen, dtype=torch.int8),
        wq_b_scale=torch.full((heads * dim,), 1e-3),
        weights_proj=bf16(hidden, heads, scale=0.02), wkv=bf16(hidden, 256, scale=0.02),
        wgate=bf16(hidden, 256, scale=0.02), ape=torch.randn(4, 256, generator=gen) * 0.1,
        norm_weight=bf16(128), rope_cos=torch.from_numpy(cos), rope_sin=torch.from_numpy(sin),
        hadamard=torch.from_numpy(hadamard(128)).float().to(torch.bfloat16),
    )  # fmt: skip
    rows = context // 4
    max_blocks = -(-rows // block_size)
    table = torch.randperm(batch * max_blocks, generator=gen).reshape(batch, max_blocks)
    positions = (context - seq + torch.arange(seq)).repeat(batch, 1).to(torch.int32)
    slots = slot_mapping_for(positions.numpy(), table.numpy(), block_size)
    pools = {
        "kv_state": torch.randn(batch, 8, 256, generator=gen),
        "score_state": torch.randn(batch, 8, 256, generator=gen),
    }
    cache = bf16(batch * max_blocks, block_size, dim)
    if cache_format == "c8":
        pools["index_cache"] = torch.randint(-127, 128, cache.shape, generator=gen,
                                             dtype=torch.int8)  # fmt: skip
        pools["index_cache_scale"] = torch.rand(cache.shape[:2], generator=gen) * 0.02
    else:
        pools["index_cache"] = cache
    return {
        "x": bf16(batch, seq, hidden), "qr": bf16(batch, seq, q_lora), "weights": weights,
        "position_ids": positions, "kv_seq_lens": torch.full((batch,), context, dtype=torch.int32),
        "block_table": table.to(torch.int32), "slot_mapping": torch.from_numpy(slots),
        "state_slots": torch.arange(batch, dtype=torch.int32), **pools,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seq", type=int, default=1)
    parser.add_argument("--context", type=int, default=131072)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--cache-format", choices=("c16", "c8"), default="c16")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    tensors = world(args.batch, args.seq, args.context, args.block_size, args.cache_format)
    print(f"setup {time.perf_counter() - start:.1f} s: B={args.batch} S={args.seq} "
          f"context={args.context} ({args.context // 4} rows per request) "
          f"{args.cache_format}, block size {args.block_size}")  # fmt: skip
    best, best_cpu = float("inf"), float("inf")
    for _ in range(args.repeat):
        x, qr, weights = tensors["x"], tensors["qr"], tensors["weights"]
        rest = {k: v for k, v in tensors.items() if k not in ("x", "qr", "weights")}
        start, cpu = time.perf_counter(), time.process_time()
        topk = reference.indexer_decode(x, qr, weights, **rest, check=False)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    print(f"decode step: {best:.2f} s wall, {best_cpu:.2f} s CPU (best of {args.repeat}), "
          f"{torch.get_num_threads()} threads; top-k {list(topk.shape)}")  # fmt: skip


if __name__ == "__main__":
    main()
