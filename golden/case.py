"""What a named case is: kernel, golden, specs and per-output comparisons, for a configuration."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from golden import signature as signatures
from golden.spec import ScalarSpec, TensorSpec


class ConfigError(ValueError):
    """A configuration the case cannot take; the message names the argument and what is allowed."""


def option_name(field: str) -> str:
    """The command-line option of a CaseConfig field (``max_seq_len`` -> ``--max-seq-len``):
    every ConfigError message names its argument this way, whoever raised it."""
    return "--" + field.replace("_", "-")


@dataclass(frozen=True)
class CaseConfig:
    """Run-time configuration of a case. ``None`` fields take the case's defaults."""

    preset: str = "DEMO"
    batch: int = 1
    seq: int = 1
    #: One position for every request, or a comma list with one per request (-1 = padded).
    start_pos: int | str | None = None
    max_seq_len: int | None = None
    seed: int = 0
    #: Serving cases: indexer cache format (c16 | c8), paged-cache block size, mixed batch.
    cache_format: str | None = None
    block_size: int | None = None
    mixed: bool = False
    #: Prefill cases: tokens of each request in the chunk, and each request's cached prefix
    #: (its first position), as comma lists.
    prompt_lens: str | None = None
    prefix_lens: str | None = None
    #: Decode indexer: run the serving entry point, which returns top-k only and writes no
    #: score row (the score comparison then has only the golden's scores, for tie checks).
    topk_only: bool = False


@dataclass
class CompareResult:
    """A comparison's verdict, its figures (JSON-serialisable numbers) and a short message."""

    passed: bool
    figures: dict[str, Any] = field(default_factory=dict)
    message: str = ""


class Comparison(Protocol):
    """Compares one output. Gets every actual and expected output and the inputs by name."""

    def __call__(
        self,
        actual: np.ndarray,
        expected: np.ndarray,
        *,
        actual_outputs: Mapping[str, np.ndarray],
        expected_outputs: Mapping[str, np.ndarray],
        inputs: Mapping[str, Any],
    ) -> CompareResult: ...


class _FromSignature:
    """A Case function derived from its signature (told apart from one the case gave)."""

    def __init__(self, function: Callable[[CaseConfig], Any]) -> None:
        self.function = function

    def __call__(self, config: CaseConfig) -> Any:
        return self.function(config)


@dataclass(kw_only=True)
class Case:
    """A named, runnable pairing of a pl kernel with its NumPy golden.

    - ``kernel_file`` / ``kernel_name``: the kernel source file and its ``@pl.jit`` function.
    - ``resolve_config(config)``: fills defaults and validates; raises ConfigError.
    - ``signature(config)`` and ``make_inputs(config)``: the kernel's parameter table without
      data (golden/signature.py) and, separately, every input by name built from
      ``config.seed``. Given them, ``make_specs``, ``param_shapes`` and ``scalar_specs`` are
      derived, and a replay or ``--compile-only`` generates nothing. Otherwise:
    - ``make_specs(config)``: the kernel's parameters in order, inputs built from ``config.seed``.
    - ``golden(inputs, config)``: NumPy outputs by name, computed from copies of the inputs.
    - ``comparisons(config)``: one Comparison per output name.
    - ``quality(inputs, outputs, config)``: optional case-specific figures (JSON "quality").
    - ``kernel_name_for(config)``: optional per-config kernel name (see :meth:`kernel_for`).
    - ``param_shapes(config)``: optional ``{name: (shape, dtype)}`` of the tensor parameters,
      computed without generating data, so the harness can refuse a run that would not fit
      in memory before ``make_specs`` allocates anything.
    - ``scalar_specs(config)``: optional scalar parameters (ScalarSpec), computed without
      generating data; with ``param_shapes`` they are everything ``--compile-only`` needs.
    - ``size_options``: the options that make a run of this case smaller (``--batch``, ...),
      named when a run is refused for its memory.
    - ``config_fields``: the CaseConfig fields this case takes, shown in the report's header
      (default: every field).
    - ``upgrade_saved(inputs, config)``: optional; turns the inputs of a save made by an
      earlier version of the case (a scalar that became a tensor, say) into today's
      parameters, so old saves replay. It gets a copy and returns the new inputs.
    - ``reference_outputs(config)``: optional names of golden outputs the kernel does not
      produce for this config (e.g. the scores of a top-k-only run): the golden returns them,
      comparisons of the kernel's outputs may read them, nothing compares them.
    """

    name: str
    description: str
    kernel_file: Path
    kernel_name: str
    resolve_config: Callable[[CaseConfig], CaseConfig]
    make_specs: Callable[[CaseConfig], list[TensorSpec | ScalarSpec]] | None = None
    signature: Callable[[CaseConfig], signatures.Signature] | None = None
    make_inputs: Callable[[CaseConfig], Mapping[str, Any]] | None = None
    golden: Callable[[Mapping[str, Any], CaseConfig], dict[str, np.ndarray]]
    comparisons: Callable[[CaseConfig], dict[str, Comparison]]
    quality: Callable[[Mapping[str, Any], Mapping[str, np.ndarray], CaseConfig], dict] | None = None
    param_shapes: Callable[[CaseConfig], dict[str, tuple[tuple[int, ...], str]]] | None = None
    #: Optional: the kernel to run for a resolved config (e.g. one per cache format); default
    #: ``kernel_name`` for every config.
    kernel_name_for: Callable[[CaseConfig], str] | None = None
    reference_outputs: Callable[[CaseConfig], Sequence[str]] | None = None
    scalar_specs: Callable[[CaseConfig], list[ScalarSpec]] | None = None
    upgrade_saved: Callable[[dict[str, Any], CaseConfig], dict[str, Any]] | None = None
    size_options: tuple[str, ...] = ()
    config_fields: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        # dataclasses.replace passes the derived functions back in: derive them again.
        for name in ("make_specs", "param_shapes", "scalar_specs"):
            if isinstance(getattr(self, name), _FromSignature):
                setattr(self, name, None)
        if self.signature is None:
            if self.make_specs is None:
                raise TypeError(f"case {self.name!r}: give make_specs, or a signature and inputs")
            return
        signature, make_inputs = self.signature, self.make_inputs
        if self.make_specs is None:  # a given one (a test's substitute) is kept
            if make_inputs is None:
                raise TypeError(f"case {self.name!r}: a signature needs make_inputs")
            self.make_specs = _FromSignature(
                lambda config: signatures.bind(signature(config), make_inputs(config))
            )
        if self.param_shapes is None:
            self.param_shapes = _FromSignature(
                lambda config: signatures.tensor_shapes(signature(config))
            )
        if self.scalar_specs is None:
            self.scalar_specs = _FromSignature(
                lambda config: signatures.scalars(signature(config))
            )

    def unbound_specs(self, config: CaseConfig) -> list[TensorSpec | ScalarSpec] | None:
        """The parameters of a resolved ``config`` without data (None without a signature)."""
        return None if self.signature is None else signatures.unbound(self.signature(config))

    def saved_inputs(self, inputs: Mapping[str, Any], config: CaseConfig) -> dict[str, Any]:
        """A save's inputs as today's parameters (``upgrade_saved``; a copy either way)."""
        if self.upgrade_saved is None:
            return dict(inputs)
        return self.upgrade_saved(dict(inputs), config)

    def kernel_for(self, config: CaseConfig) -> str:
        """The ``@pl.jit`` function to run for a resolved ``config``."""
        return self.kernel_name if self.kernel_name_for is None else self.kernel_name_for(config)

    def shown_config(self, config: CaseConfig) -> dict[str, Any]:
        """The fields of ``config`` this case takes (``config_fields``), for a report header."""
        values = dataclasses.asdict(config)
        return values if self.config_fields is None else {f: values[f] for f in self.config_fields}

    def references_for(self, config: CaseConfig) -> tuple[str, ...]:
        """Golden-only output names for a resolved ``config`` (see ``reference_outputs``)."""
        return () if self.reference_outputs is None else tuple(self.reference_outputs(config))
