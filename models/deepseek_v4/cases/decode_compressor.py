"""The registered case ``deepseek_v4.indexer_compressor``: configuration, inputs, comparisons.

The step follows the serving contract (contract/decode.py): per-request positions,
a paged cache in the c16 or c8 format written through ``slot_mapping``, and a state pool
addressed by ``state_slots``. Inputs have the structure of a running model: trained-layer-scale
BF16 weights, signed hidden states with a few outlier channels, a small learned ``ape``, the
real normalized Sylvester Hadamard, the compressed layers' YaRN rope tables at every position,
and per request a state and recent cache rows produced by running the golden over its previous
windows from an empty state (older rows, unused blocks and spare state slots hold unit-RMS
decoys).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from golden.case import Case, CaseConfig, Comparison, ConfigError
from models.deepseek_v4.cases import decode_inputs, pool_draws
from models.deepseek_v4.cases.decode_compare import pool_comparisons, written_slots
from models.deepseek_v4.cases.decode_signatures import compressor_signature
from models.deepseek_v4.cases.support import (
    COMPRESSOR_DEFAULT_MAX_SEQ_LEN,
    OUTLIER_CHANNELS,
    OUTLIER_SCALE,
    compressor_weights,
)
from models.deepseek_v4.cases.tolerances import CACHE_MAX_ULP, STATE_ATOL, STATE_RTOL
from models.deepseek_v4.config import (
    COMPRESS_RATIO,
    INDEX_HEAD_DIM,
    Preset,
    get_preset,
)
from models.deepseek_v4.contract.decode import check_compressor_step
from models.deepseek_v4.reference.decode_compressor import (
    compressor_float_reference,
    compressor_paged_golden,
    compressor_rows,
    empty_state,
    to_bf16,
)
from models.deepseek_v4.reference.tables import hadamard, rope_cos_sin

CASE_NAME = "deepseek_v4.indexer_compressor"
KERNEL_FILE = Path(__file__).parents[1] / "kernels" / "decode_compressor.py"
DEFAULT_LAST_POSITION = 1023  # the default step ends by closing the window at this position
HISTORY_WINDOWS = 3  # whole windows replayed through the golden before the step
ROTATE = True  # the indexer's compressor always rotates (same Hadamard as q)


def _default_start_pos(preset: Preset, seq: int, max_seq_len: int) -> int:
    # The step whose last token closes the window ending at position 1023, or the last window
    # of a shorter context (both are 3 mod 4: a closing step).
    return min(DEFAULT_LAST_POSITION, max_seq_len - 1) - (seq - 1)


def resolve_config(config: CaseConfig) -> CaseConfig:
    """Fill defaults and validate; ConfigError names the argument, the value and what is allowed.

    batch 1..128; seq 1..4; max_seq_len a multiple of 4 in [4, preset max] (default 4096 capped
    at the preset); start_pos an int or a comma list (one per request, -1 padded) with
    start_pos + seq <= max_seq_len (default: the step whose last token closes the window ending
    at position 1023, or the last window of a shorter context), or ``mixed``; cache_format
    c16|c8; block_size a multiple of 16 in 16..1024 (default 32). topk_only is refused.
    """
    if config.topk_only:
        raise ConfigError(
            "--topk-only: the compressor returns no scores or top-k; it applies to "
            "deepseek_v4.indexer only"
        )
    return decode_inputs.resolve_serving_config(
        config,
        seq_len_multiple=COMPRESS_RATIO,
        seq_len_reason="",
        default_max_seq_len=COMPRESSOR_DEFAULT_MAX_SEQ_LEN,
        default_start_pos=_default_start_pos,
    )


def closing_slots(inputs: Mapping[str, Any]) -> list[int]:
    """Pool rows the step writes (slot_mapping entries >= 0)."""
    return written_slots(inputs).tolist()


def _hidden_states(rng: np.random.Generator, shape: tuple[int, ...], outliers: np.ndarray):
    values = rng.standard_normal(shape)
    values[..., outliers] *= OUTLIER_SCALE
    return to_bf16(values)


def make_inputs(config: CaseConfig) -> dict[str, Any]:
    """All kernel arguments by parameter name for a resolved ``config`` (deterministic in seed).

    Per live request, the state and the cache rows of the last ``HISTORY_WINDOWS`` windows
    (plus the current window's earlier tokens) come from running the golden from an empty
    state; every other pool row is a synthetic unit-RMS BF16 decoy, spare state slots hold
    random values. The c8 pool is the BF16 pool quantized per row (reference/quant.py).
    """
    preset = get_preset(config.preset)
    batch, seq, max_seq_len = config.batch, config.seq, config.max_seq_len
    dim = preset.hidden_size
    rng = np.random.default_rng(config.seed)
    step = decode_inputs.step_tensors(config, rng)
    outliers = rng.choice(dim, size=OUTLIER_CHANNELS, replace=False)
    weights = compressor_weights(rng, dim, weight_std=dim**-0.5)
    wkv, wgate, ape, norm_weight = (weights[k] for k in ("wkv", "wgate", "ape", "norm_weight"))
    rope_cos, rope_sin = rope_cos_sin(np.arange(max_seq_len), preset)
    hadamard_bf16 = to_bf16(hadamard(INDEX_HEAD_DIM))
    pool = pool_draws.normal_bf16(rng, (step.num_blocks, step.block_size, INDEX_HEAD_DIM))
    kv_pool, score_pool = decode_inputs.state_pools(rng, step.num_state_slots)
    for b in step.live:
        start = int(step.starts[b])
        history_start = max(0, (start // COMPRESS_RATIO - HISTORY_WINDOWS) * COMPRESS_RATIO)
        kv_state, score_state = empty_state(1)
        if start > history_start:
            history_x = _hidden_states(rng, (1, start - history_start, dim), outliers)
            positions = np.arange(history_start, start)[None, :]
            kv_state, score_state, written = compressor_rows(
                history_x, wkv, wgate, ape, norm_weight, rope_cos, rope_sin, hadamard_bf16,
                kv_state, score_state, positions,
            )  # fmt: skip
            for (_, s), row in written.items():
                row_index = (history_start + s) // COMPRESS_RATIO
                decode_inputs.write_rows(pool, step.block_table[b], row_index, row[None])
        slot = int(step.state_slots[b])
        kv_pool[slot], score_pool[slot] = kv_state[0], score_state[0]
    x = _hidden_states(rng, (batch, seq, dim), outliers)
    inputs: dict[str, Any] = {
        "x": x,
        "wkv": wkv,
        "wgate": wgate,
        "ape": ape,
        "norm_weight": norm_weight,
        "rope_cos": rope_cos,
        "rope_sin": rope_sin,
        "hadamard": hadamard_bf16,
        "position_ids": step.position_ids,
        "state_slots": step.state_slots,
        "slot_mapping": step.slot_mapping,
        "kv_state": kv_pool,
        "score_state": score_pool,
    }
    if config.cache_format == "c8":
        inputs["index_cache"], inputs["index_cache_scale"] = decode_inputs.to_c8(pool)
    else:
        inputs["index_cache"] = pool
    return inputs


def kernel_name(config: CaseConfig) -> str:
    """The kernel of the config's cache format."""
    return f"indexer_compressor_{config.cache_format}"


def golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """Expected state pools and cache pool(s) from the NumPy golden (inputs validated first)."""
    cache = np.asarray(inputs["index_cache"])
    check_compressor_step(
        inputs["position_ids"],
        inputs["state_slots"],
        inputs["slot_mapping"],
        pool_rows=cache.shape[0] * cache.shape[1],
        num_state_slots=np.asarray(inputs["kv_state"]).shape[0],
        max_positions=config.max_seq_len,
    )
    return compressor_paged_golden(dict(inputs))


def comparisons(config: CaseConfig) -> dict[str, Comparison]:
    """One comparison per output: the state pools close (empty -inf cells exact); the cache
    pool's written rows within CACHE_MAX_ULP (c16) or one code / one BF16 scale ULP (c8) and
    every other pool row bit-exact."""
    return pool_comparisons(
        config.cache_format,
        state_atol=STATE_ATOL,
        state_rtol=STATE_RTOL,
        cache_max_ulp=CACHE_MAX_ULP,
    )


def quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray], config: CaseConfig
) -> dict[str, float]:
    """Relative L2 error of the written cache rows (dequantized in c8) against the unrounded
    float64 model, per live request."""
    states = np.asarray(inputs["state_slots"])
    positions = np.asarray(inputs["position_ids"])
    slots = np.asarray(inputs["slot_mapping"])
    cache = np.asarray(outputs["index_cache"])
    flat = cache.reshape(-1, cache.shape[-1]).astype(np.float64)
    if "index_cache_scale" in outputs:
        flat = flat * np.asarray(outputs["index_cache_scale"]).reshape(-1, 1).astype(np.float64)
    actual, expected = [], []
    for b in np.nonzero(states >= 0)[0]:
        reference = compressor_float_reference(
            inputs["x"][b : b + 1], inputs["wkv"], inputs["wgate"], inputs["ape"],
            inputs["norm_weight"], inputs["rope_cos"], inputs["rope_sin"],
            hadamard(INDEX_HEAD_DIM), inputs["kv_state"][states[b] : states[b] + 1],
            inputs["score_state"][states[b] : states[b] + 1], int(positions[b, 0]), True,
        )  # fmt: skip
        for s in range(positions.shape[1]):
            row = (int(positions[b, s])) // COMPRESS_RATIO
            if slots[b, s] >= 0 and row in reference:
                actual.append(flat[int(slots[b, s])])
                expected.append(reference[row][0])
    if not expected:
        return {}
    a, e = np.stack(actual), np.stack(expected)
    return {"cache_rel_l2_vs_float": float(np.linalg.norm(a - e) / np.linalg.norm(e))}


CASE = Case(
    name=CASE_NAME,
    description=(
        "DeepSeek-V4 ratio-4 overlapping indexer compressor, serving contract: one decode step "
        "of S tokens per request (paged state, gated softmax pooling, RMSNorm, RoPE, Hadamard, "
        "cache write through slot_mapping in the c16 or c8 format)"
    ),
    kernel_file=KERNEL_FILE,
    kernel_name="indexer_compressor_c16",
    resolve_config=resolve_config,
    signature=compressor_signature,
    make_inputs=make_inputs,
    golden=golden,
    comparisons=comparisons,
    quality=quality,
    kernel_name_for=kernel_name,
    size_options=decode_inputs.SIZE_OPTIONS,
)

#: The kernel's parameters with their inputs (the signature bound to make_inputs).
make_specs = CASE.make_specs
