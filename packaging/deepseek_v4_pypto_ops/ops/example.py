"""A toy serving engine's tensors for examples: random weights of trained-layer scale, paged
pools sized once for a context, a batch of requests at their own positions (their cached
prefixes stand in as random rows), a block allocator. README's ten-line decode loop uses it."""

from __future__ import annotations

import numpy as np
import torch

from deepseek_v4_pypto_ops.ops.weights import IndexerWeights, as_tensor
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_ROWS,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    get_preset,
)
from models.deepseek_v4.contract.decode import slot_mapping_for
from models.deepseek_v4.reference.quant import quantize_columns_symmetric, to_bf16
from models.deepseek_v4.reference.tables import hadamard, rope_cos_sin


class DemoEngine:
    """``batch`` requests decoding one token per step from the positions ``starts`` (default:
    spread over the context), hidden size 512 and low-rank query width 256 (small, so plsim is
    quick; the kernels take any multiple of 256 / 128)."""

    def __init__(self, batch: int = 4, context: int = 4096, block_size: int = 32,
                 seed: int = 0, hidden: int = 512, q_lora: int = 256) -> None:  # fmt: skip
        rng = np.random.default_rng(seed)
        self.rng, self.block_size, self.hidden, self.q_lora = rng, block_size, hidden, q_lora
        self.starts = np.linspace(3, context - 64, batch).astype(np.int64)
        width = INDEX_N_HEADS * INDEX_HEAD_DIM
        wq_b, wq_b_scale = quantize_columns_symmetric(
            to_bf16(rng.standard_normal((q_lora, width)) * q_lora**-0.5)
        )
        cos, sin = rope_cos_sin(np.arange(context), get_preset("DEMO"))
        arrays = {
            "wq_b": wq_b, "wq_b_scale": wq_b_scale,
            "weights_proj": to_bf16(rng.standard_normal((hidden, INDEX_N_HEADS)) * 0.02),
            "wkv": to_bf16(rng.standard_normal((hidden, COMPRESS_STATE_WIDTH)) * 0.02),
            "wgate": to_bf16(rng.standard_normal((hidden, COMPRESS_STATE_WIDTH)) * 0.02),
            "ape": (rng.standard_normal((COMPRESS_RATIO, COMPRESS_STATE_WIDTH)) * 0.1).astype(
                np.float32),
            "norm_weight": to_bf16(1.0 + rng.standard_normal(INDEX_HEAD_DIM) * 0.25),
            "rope_cos": cos, "rope_sin": sin, "hadamard": to_bf16(hadamard(INDEX_HEAD_DIM)),
        }  # fmt: skip
        self.weights = IndexerWeights.from_arrays(arrays)
        max_blocks = -(-(context // COMPRESS_RATIO) // block_size)
        num_blocks = batch * max_blocks + 2
        self.free_blocks = [int(b) for b in rng.permutation(num_blocks)]
        self.table = np.full((batch, max_blocks), -1, np.int32)
        rows = to_bf16(rng.standard_normal((num_blocks, block_size, INDEX_HEAD_DIM)))
        shape = (batch + 2, COMPRESS_STATE_ROWS, COMPRESS_STATE_WIDTH)
        self.pools = {
            "kv_state": torch.zeros(shape),
            "score_state": torch.full(shape, float("-inf")),
            "index_cache": as_tensor(rows),
        }
        self.state_slots = rng.permutation(batch + 2)[:batch].astype(np.int32)

    def hidden_states(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This step's ``x [B, 1, D]`` and ``qr [B, 1, Q_LORA]`` bfloat16."""
        batch = self.starts.size
        x = to_bf16(self.rng.standard_normal((batch, 1, self.hidden)))
        qr = to_bf16(self.rng.standard_normal((batch, 1, self.q_lora)))
        return as_tensor(x), as_tensor(qr)

    def step_tensors(self) -> dict[str, torch.Tensor]:
        """position_ids, kv_seq_lens, block_table, slot_mapping, state_slots of this step
        (a request gets a new block when its rows reach one)."""
        for b, start in enumerate(self.starts):
            for i in range(-(-((int(start) + 1) // COMPRESS_RATIO) // self.block_size)):
                if self.table[b, i] < 0:
                    self.table[b, i] = self.free_blocks.pop()
        positions = self.starts[:, None].astype(np.int32)
        return {
            "position_ids": torch.from_numpy(positions),
            "kv_seq_lens": torch.from_numpy(positions[:, 0] + 1),
            "block_table": torch.from_numpy(self.table.copy()),
            "slot_mapping": torch.from_numpy(
                slot_mapping_for(positions, np.maximum(self.table, 0), self.block_size)
            ),
            "state_slots": torch.from_numpy(self.state_slots.copy()),
        }

    def advance(self) -> None:
        """Every request moves one position on."""
        self.starts += 1
