"""The DeepSeek-V4 lightning indexer (W8A8, C16 / C8 cache) and its ratio-4 compressor as
PyTorch calls a serving engine makes (docs/torch_ops.md).

- :func:`indexer_decode` / :func:`compressor_decode`: one decode step on the serving contract
  (positions, paged cache + block table + slot mapping, compressor state pool).
- :func:`indexer_prefill` / :func:`compressor_prefill`: one packed prefill chunk.
- :func:`lightning_indexer`: the scoring and top-k alone, with the arguments of
  ``torch_npu.npu_lightning_indexer`` (differences in docs/torch_ops.md).
- :mod:`deepseek_v4_pypto_ops.ops.reference`: the same math in plain PyTorch, on any machine.

Kernels run where :mod:`ops._platform <deepseek_v4_pypto_ops.ops._platform>` finds them: an
Ascend NPU, pypto's CPU simulator, else plsim (stated once at first use). torch is an optional
dependency of the project: ``pip install "deepseek-v4-pypto-ops[torch]"``.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("torch") is None:  # one clear line instead of a deep traceback
    raise ImportError(
        "deepseek_v4_pypto_ops.ops needs torch: install a CPU build of torch (docs/torch_ops.md), "
        "or torch and torch_npu on an Ascend machine"
    )

from deepseek_v4_pypto_ops.ops._platform import current as current_platform
from deepseek_v4_pypto_ops.ops._platform import set_platform
from deepseek_v4_pypto_ops.ops._runner import artifacts
from deepseek_v4_pypto_ops.ops.decode import compressor_decode, indexer_decode
from deepseek_v4_pypto_ops.ops.lightning import lightning_indexer
from deepseek_v4_pypto_ops.ops.prefill import compressor_prefill, indexer_prefill
from deepseek_v4_pypto_ops.ops.weights import IndexerWeights

__all__ = [
    "IndexerWeights",
    "artifacts",
    "compressor_decode",
    "compressor_prefill",
    "current_platform",
    "indexer_decode",
    "indexer_prefill",
    "lightning_indexer",
    "set_platform",
]
