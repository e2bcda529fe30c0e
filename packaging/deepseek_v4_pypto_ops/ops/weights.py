"""The indexer's and its compressor's weights and tables, as one bundle of torch tensors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import ml_dtypes
import numpy as np
import torch

from deepseek_v4_pypto_ops.ops import _checks
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    COMPRESS_STATE_WIDTH,
    INDEX_HEAD_DIM,
    INDEX_N_HEADS,
    ROPE_DIM,
)


@dataclass(frozen=True)
class IndexerWeights:
    """What one layer's indexer and compressor read besides activations (kernel parameter
    names; D the hidden size, Q_LORA the low-rank query width, P the positions the rope tables
    cover). The compressor functions use the compressor fields and the tables only."""

    wq_b: torch.Tensor  # [Q_LORA, 64 * 128] int8, quantized per output channel
    wq_b_scale: torch.Tensor  # [64 * 128] float32, its dequant scales
    weights_proj: torch.Tensor  # [D, 64] bfloat16
    wkv: torch.Tensor  # [D, 256] bfloat16
    wgate: torch.Tensor  # [D, 256] bfloat16
    ape: torch.Tensor  # [4, 256] float32
    norm_weight: torch.Tensor  # [128] bfloat16
    rope_cos: torch.Tensor  # [P, 32] float32
    rope_sin: torch.Tensor  # [P, 32] float32
    hadamard: torch.Tensor  # [128, 128] bfloat16

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], device: str | torch.device = "cpu"):
        """The bundle from NumPy arrays (or tensors) keyed by the field names, e.g. a case's
        inputs; extra keys are ignored."""
        return cls(**{f.name: as_tensor(arrays[f.name], device) for f in fields(cls)})

    @property
    def hidden_size(self) -> int:
        return int(self.wkv.shape[0])

    @property
    def q_lora_rank(self) -> int:
        return int(self.wq_b.shape[0])

    @property
    def positions(self) -> int:
        """P: positions the rope tables cover (every position must be below it)."""
        return int(self.rope_cos.shape[0])

    def check(self, device: torch.device, compressor_only: bool = False) -> None:
        """TypeError / ValueError naming the first field of the wrong dtype, shape or device."""
        d, half, n = self.hidden_size, ROPE_DIM // 2, COMPRESS_STATE_WIDTH
        expect: list[tuple[str, torch.dtype, list[int | None]]] = [
            ("wkv", torch.bfloat16, [None, n]),
            ("wgate", torch.bfloat16, [d, n]),
            ("ape", torch.float32, [COMPRESS_RATIO, n]),
            ("norm_weight", torch.bfloat16, [INDEX_HEAD_DIM]),
            ("rope_cos", torch.float32, [None, half]),
            ("rope_sin", torch.float32, [self.positions, half]),
            ("hadamard", torch.bfloat16, [INDEX_HEAD_DIM, INDEX_HEAD_DIM]),
        ]
        if not compressor_only:
            width = INDEX_N_HEADS * INDEX_HEAD_DIM
            expect += [
                ("wq_b", torch.int8, [None, width]),
                ("wq_b_scale", torch.float32, [width]),
                ("weights_proj", torch.bfloat16, [d, INDEX_N_HEADS]),
            ]
        for name, dtype, shape in expect:
            _checks.tensor(f"weights.{name}", getattr(self, name), dtype, shape, device)


def as_tensor(value: Any, device: str | torch.device = "cpu") -> torch.Tensor:
    """A NumPy array (BF16 through ml_dtypes) or tensor as a contiguous torch tensor."""
    if isinstance(value, torch.Tensor):
        return value.to(device).contiguous()
    array = np.ascontiguousarray(value)
    if array.dtype == np.dtype(ml_dtypes.bfloat16):
        return torch.from_numpy(array.view(np.int16).copy()).view(torch.bfloat16).to(device)
    return torch.from_numpy(array.copy()).to(device)


def as_numpy(value: torch.Tensor) -> np.ndarray:
    """A CPU tensor as a NumPy array sharing its memory (BF16 as ml_dtypes.bfloat16)."""
    if value.dtype == torch.bfloat16:
        return value.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return value.numpy()
