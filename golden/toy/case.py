"""The toy cases: ``toy.scale_matmul`` and its deliberately failing twin.

``toy.scale_matmul_wrong_golden`` runs the same (correct) kernel against a golden that uses the
wrong policy (signed row max instead of max |x|). It exists so the harness's failure path
(verdict FAIL, exit status 1) is exercised end to end; it must always fail.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

from golden import compare
from golden.case import Case, CaseConfig, Comparison, ConfigError
from golden.compare import error_distribution
from golden.spec import ScalarSpec, TensorSpec
from golden.toy import toy_golden

KERNEL_FILE = Path(__file__).with_name("toy_kernel.py")
ROW_TILE = 16  # must equal toy_kernel.ROW_TILE
K_DIM = 64  # must equal toy_kernel.K_DIM
N_DIM = 32  # must equal toy_kernel.N_DIM
MAX_BATCH = 8
MAX_SEQ = 4
PRESETS = ("DEMO",)
SIZE_OPTIONS = ("--batch", "--seq")

# FP32 sums of K_DIM = 64 exact BF16 products in a different order than the golden's single
# rounding: error <= 64 * 2^-24 * sum|terms| ~ 4e-6 * sum|terms| worst case; with w scaled by
# 1/8 the outputs are O(1), so 1e-5 absolute plus 1e-5 relative covers it with margin.
OUT_ATOL = 1e-5
OUT_RTOL = 1e-5
# (plsim rounds the division exactly; a device's vector divide is not correctly rounded, so a
# device run may need a wider, documented tolerance.)
# out_bf16 is a round-to-nearest of out: an FP32 difference can flip it by at most one BF16 ulp.
OUT_BF16_MAX_ULP = 1


def resolve_config(config: CaseConfig) -> CaseConfig:
    """Fill defaults and check the toy's limits; ConfigError names the argument."""
    preset = str(config.preset).upper()
    if preset not in PRESETS:
        raise ConfigError(
            f"--preset: the toy cases have only preset(s) {list(PRESETS)}, got {config.preset!r}"
        )
    if not 1 <= config.batch <= MAX_BATCH:
        raise ConfigError(
            f"--batch: must be in 1..{MAX_BATCH} for the toy cases, got {config.batch}"
        )
    if not 1 <= config.seq <= MAX_SEQ:
        raise ConfigError(f"--seq: must be in 1..{MAX_SEQ} for the toy cases, got {config.seq}")
    if config.start_pos is not None:
        raise ConfigError(
            f"--start-pos: the toy cases have no start position; leave it unset "
            f"(got {config.start_pos})"
        )
    if config.max_seq_len is not None:
        raise ConfigError(
            f"--max-seq-len: the toy cases have no sequence cache; leave it unset "
            f"(got {config.max_seq_len})"
        )
    for option, value in (
        ("--cache-format", config.cache_format),
        ("--block-size", config.block_size),
        ("--mixed", config.mixed or None),
        ("--prompt-lens", config.prompt_lens),
        ("--prefix-lens", config.prefix_lens),
        ("--topk-only", config.topk_only or None),
    ):
        if value is not None:
            raise ConfigError(
                f"{option}: the toy cases have no paged cache or request mix; leave it unset "
                f"(got {value})"
            )
    return dataclasses.replace(config, preset=preset)


def _rows(config: CaseConfig) -> int:
    return ROW_TILE * config.batch * config.seq


def _activations(rows: int) -> Callable[[np.random.Generator], np.ndarray]:
    def draw(rng: np.random.Generator) -> np.ndarray:
        # Signed rows with a per-row magnitude spread, so max|x| and the signed max differ.
        magnitude = rng.uniform(0.25, 4.0, size=(rows, 1))
        return (rng.standard_normal((rows, K_DIM)) * magnitude).astype(ml_dtypes.bfloat16)

    return draw


def _weights(rng: np.random.Generator) -> np.ndarray:
    return (rng.standard_normal((K_DIM, N_DIM)) / 8.0).astype(ml_dtypes.bfloat16)


def make_specs(config: CaseConfig) -> list[TensorSpec | ScalarSpec]:
    """Kernel parameters in order: x, w, out, out_bf16, row_tiles."""
    rows = _rows(config)
    return [
        TensorSpec("x", (rows, K_DIM), "bfloat16", init=_activations(rows)),
        TensorSpec("w", (K_DIM, N_DIM), "bfloat16", init=_weights),
        TensorSpec("out", (rows, N_DIM), "float32", is_output=True),
        TensorSpec("out_bf16", (rows, N_DIM), "bfloat16", is_output=True),
        *scalar_specs(config),
    ]


def param_shapes(config: CaseConfig) -> dict[str, tuple[tuple[int, ...], str]]:
    """The tensor parameters' shapes and dtypes (make_specs's, without drawing data)."""
    rows = _rows(config)
    return {
        "x": ((rows, K_DIM), "bfloat16"),
        "w": ((K_DIM, N_DIM), "bfloat16"),
        "out": ((rows, N_DIM), "float32"),
        "out_bf16": ((rows, N_DIM), "bfloat16"),
    }


def scalar_specs(config: CaseConfig) -> list[ScalarSpec]:
    """The scalar parameter: row tiles of x."""
    return [ScalarSpec("row_tiles", "int32", _rows(config) // ROW_TILE)]


def golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """The toy's outputs from its NumPy golden."""
    out, out_bf16 = toy_golden.scale_matmul(inputs["x"], inputs["w"])
    return {"out": out, "out_bf16": out_bf16}


def wrong_golden(inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, np.ndarray]:
    """The deliberately wrong golden of the failing self-test case."""
    out, out_bf16 = toy_golden.scale_matmul_signed_max(inputs["x"], inputs["w"])
    return {"out": out, "out_bf16": out_bf16}


def comparisons(config: CaseConfig) -> dict[str, Comparison]:
    """allclose for the FP32 output, at most one BF16 ulp for the BF16 output."""
    return {
        "out": compare.allclose(OUT_ATOL, OUT_RTOL),
        "out_bf16": compare.bf16_ulp(OUT_BF16_MAX_ULP),
    }


def quality(
    inputs: Mapping[str, Any], outputs: Mapping[str, np.ndarray], config: CaseConfig
) -> dict[str, Any]:
    """Kernel FP32 output against the all-float64 reference."""
    reference = toy_golden.float_reference(inputs["x"], inputs["w"])
    dist = error_distribution(outputs["out"], reference)
    return {"rel_l2_vs_float64": dist["rel_l2"], "max_abs_err_vs_float64": dist["max_abs_err"]}


SCALE_MATMUL = Case(
    name="toy.scale_matmul",
    description="harness self-test: row-scaled BF16 matmul (load, cast, row max, matmul)",
    kernel_file=KERNEL_FILE,
    kernel_name="scale_matmul",
    resolve_config=resolve_config,
    make_specs=make_specs,
    golden=golden,
    comparisons=comparisons,
    quality=quality,
    param_shapes=param_shapes,
    scalar_specs=scalar_specs,
    size_options=SIZE_OPTIONS,
)

SCALE_MATMUL_WRONG_GOLDEN = Case(
    name="toy.scale_matmul_wrong_golden",
    description="harness self-test that MUST FAIL: correct kernel, golden uses signed max",
    kernel_file=KERNEL_FILE,
    kernel_name="scale_matmul",
    resolve_config=resolve_config,
    make_specs=make_specs,
    golden=wrong_golden,
    comparisons=comparisons,
    param_shapes=param_shapes,
    scalar_specs=scalar_specs,
    size_options=SIZE_OPTIONS,
)

CASES: list[Case] = [SCALE_MATMUL, SCALE_MATMUL_WRONG_GOLDEN]
