"""A small serving engine for the torch API tests: a mixed batch of requests decoded step after
step over one set of paged pools (blocks and state slots handed out as requests grow or join),
then one packed prefill chunk; each call's inputs as the goldens take them.

The first step is the indexer case's own structured inputs
(models/deepseek_v4/cases/decode_indexer.py: outlier activations, trained-scale weights, a cache
history with strong rows and decoy blocks,
warmed compressor states); later steps draw fresh activations from the same generator.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from deepseek_v4_pypto_ops.ops import IndexerWeights
from deepseek_v4_pypto_ops.ops.weights import as_numpy, as_tensor

from golden.case import CaseConfig
from models.deepseek_v4.cases import decode_indexer as indexer_case
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case
from models.deepseek_v4.cases.prefill_indexer import activations as _activations
from models.deepseek_v4.config import COMPRESS_RATIO, SLIDING_WINDOW
from models.deepseek_v4.contract.decode import slot_mapping_for
from models.deepseek_v4.contract.prefill import chunk_slot_mapping

POOLS = ("kv_state", "score_state", "index_cache", "index_cache_scale")
WEIGHT_NAMES = tuple(f.name for f in fields(IndexerWeights))

#: The mixed batch: a fresh request, a padded slot (a request joins it at JOIN_STEP), a short
#: one, one that crosses a 16-row block boundary during the steps, one near the context end.
STARTS = "0,-1,29,3001,4062"
SEQ = 2
BLOCK_SIZE = 16
JOIN_STEP = 5
SEED = 11


def decode_config(cache_format: str, topk_only: bool = True) -> CaseConfig:
    """The indexer case's configuration of the batch (DEMO preset, 4096 positions)."""
    return indexer_case.resolve_config(
        CaseConfig(batch=5, seq=SEQ, start_pos=STARTS, cache_format=cache_format,
                   block_size=BLOCK_SIZE, seed=SEED, topk_only=topk_only)
    )  # fmt: skip


def prefill_config(cache_format: str) -> CaseConfig:
    """A prefill configuration with the same tolerances (for its comparisons)."""
    return indexer_prefill_case.resolve_config(
        CaseConfig(prompt_lens="1", cache_format=cache_format, block_size=BLOCK_SIZE)
    )


@dataclass
class Engine:
    """The engine's side: weights, pools (torch), per-slot request state, free blocks/slots."""

    base: dict[str, Any]
    weights: IndexerWeights
    pools: dict[str, torch.Tensor]
    starts: np.ndarray  # next first position per batch slot, -1 padded
    table: np.ndarray  # [B, max_blocks] int32, -1 unassigned
    state_slots: np.ndarray  # [B] int32
    free_blocks: list[int]
    free_states: list[int]
    rng: np.random.Generator
    steps_done: int = 0

    @classmethod
    def start(cls, cache_format: str) -> Engine:
        base = indexer_case.make_inputs(decode_config(cache_format))
        table = np.array(base["block_table"], copy=True)
        used = set(table[table >= 0].tolist())
        num_blocks = base["index_cache"].shape[0]
        states = np.array(base["state_slots"], copy=True)
        rng = np.random.default_rng(SEED + 1)
        free_states = sorted(set(range(base["kv_state"].shape[0])) - set(states.tolist()))
        return cls(
            base=base,
            weights=IndexerWeights.from_arrays(base),
            pools={n: as_tensor(base[n]) for n in POOLS if n in base},
            starts=np.asarray(base["position_ids"][:, 0], np.int64),
            table=table,
            state_slots=states,
            free_blocks=[int(b) for b in rng.permutation(sorted(set(range(num_blocks)) - used))],
            free_states=free_states,
            rng=rng,
        )

    @property
    def block_size(self) -> int:
        return int(self.base["index_cache"].shape[1])

    def _claim_blocks(self, b: int, positions_after: int) -> None:
        rows = positions_after // COMPRESS_RATIO
        for i in range(-(-rows // self.block_size)):
            if self.table[b, i] < 0:
                self.table[b, i] = self.free_blocks.pop()

    def _join(self, b: int) -> None:
        """A new request takes padded slot b: fresh state slot (emptied), position 0."""
        slot = self.free_states.pop(0)
        self.pools["kv_state"][slot] = 0.0
        self.pools["score_state"][slot] = float("-inf")
        self.state_slots[b] = slot
        self.starts[b] = 0

    def decode_step(self) -> dict[str, Any]:
        """The next step's tensors (NumPy), blocks claimed; step 0 is the case's own."""
        if self.steps_done == 0:
            step = {k: self.base[k] for k in ("x", "qr", "position_ids", "kv_seq_lens")}
        else:
            if self.steps_done == JOIN_STEP:
                self._join(int(np.nonzero(self.starts < 0)[0][0]))
            batch = self.starts.size
            live = self.starts >= 0
            pos = np.where(live[:, None], self.starts[:, None] + np.arange(SEQ), -1)
            dim, lora = self.weights.hidden_size, self.weights.q_lora_rank
            step = {
                "x": _activations(self.rng, (batch, SEQ, dim)),
                "qr": _activations(self.rng, (batch, SEQ, lora)),
                "position_ids": pos.astype(np.int32),
                "kv_seq_lens": np.where(live, self.starts + SEQ, 0).astype(np.int32),
            }
        for b in np.nonzero(self.starts >= 0)[0]:
            self._claim_blocks(int(b), int(step["kv_seq_lens"][b]))
        step["block_table"] = self.table.copy()
        step["slot_mapping"] = slot_mapping_for(
            step["position_ids"], np.maximum(self.table, 0), self.block_size
        )
        step["state_slots"] = self.state_slots.copy()
        self.starts = np.where(self.starts >= 0, self.starts + SEQ, -1)
        self.steps_done += 1
        return step

    def prefill_chunk(self, plan: list[tuple[int | None, int]]) -> dict[str, Any]:
        """A packed chunk: (batch slot continuing its request, or None for a fresh request,
        token count) per request; a count of 0 is an empty request. Fresh requests get a new
        table row and an emptied state slot."""
        rows, tables, states, cu = [], [], [], [0]
        for slot, count in plan:
            if slot is None:
                table = np.full(self.table.shape[1], -1, np.int32)
                state = self.free_states.pop(0) if count else -1
                if count:
                    self.pools["kv_state"][state] = 0.0
                    self.pools["score_state"][state] = float("-inf")
                first = 0
            else:
                table, state = self.table[slot], int(self.state_slots[slot])
                first = int(self.starts[slot])
            positions_after = first + count
            for i in range(-(-(positions_after // COMPRESS_RATIO) // self.block_size)):
                if table[i] < 0:
                    table[i] = self.free_blocks.pop()
            if slot is not None:
                self.starts[slot] += count
            rows.append(np.arange(first, first + count))
            tables.append(table.copy())
            states.append(state)
            cu.append(cu[-1] + count)
        positions = np.concatenate(rows).astype(np.int32)
        cu_seqlens = np.array(cu, np.int32)
        block_table = np.stack(tables).astype(np.int32)
        total = positions.size
        return {
            "x": _activations(self.rng, (total, self.weights.hidden_size)),
            "qr": _activations(self.rng, (total, self.weights.q_lora_rank)),
            "position_ids": positions,
            "cu_seqlens": cu_seqlens,
            "block_table": block_table,
            "slot_mapping": chunk_slot_mapping(
                positions, cu_seqlens, np.maximum(block_table, 0), self.block_size
            ),
            "state_slots": np.array(states, np.int32),
        }

    def golden_inputs(self, step: dict[str, Any], topk: int, width: int) -> dict[str, Any]:
        """The golden's inputs for ``step`` on copies of the pools as they are now."""
        values = {name: self.base[name] for name in WEIGHT_NAMES}
        values.update(step)
        values.update({n: np.array(as_numpy(t), copy=True) for n, t in self.pools.items()})
        rows = step["x"].shape[:-1]
        values["score"] = np.zeros((*rows, width), np.float32)
        values["topk_idxs"] = np.zeros((*rows, topk), np.int32)
        # The step's own offsets when it has them (engine_run varies them), else the window.
        values.setdefault("topk_offset", np.full(rows, SLIDING_WINDOW, np.int32))
        return values

    def torch_step(self, step: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``step`` as the torch API's keyword arguments (pools included, in place)."""
        names = ("position_ids", "kv_seq_lens", "cu_seqlens", "block_table", "slot_mapping",
                 "state_slots")  # fmt: skip
        args = {n: as_tensor(step[n]) for n in names if n in step}
        if "topk_offset" in step:
            args["offset"] = as_tensor(step["topk_offset"])
        return {**args, **self.pools}
