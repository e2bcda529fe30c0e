"""Run a case: build inputs -> golden -> kernel on a platform -> compare each output -> report."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from golden import data, memory
from golden.case import Case, CaseConfig, CompareResult, ConfigError
from golden.compare import error_distribution, is_float_dtype
from golden.inputs import (
    CaseDefinitionError,
    build_inputs,
    copy_values,
    describe_nan_input,
    validate_specs,
)
from golden.platforms import (
    KernelError,
    KernelRun,
    Progress,
    check_functional_only,
    check_platform,
    ensure_available,
    run_kernel,
)
from golden.signature import SignatureError
from golden.spec import ScalarSpec, TensorSpec, numpy_dtype
from plsim.blas_threads import single_blas_thread


@dataclass
class OutputVerdict:
    """One output's comparison: verdict, figures and a one-line message."""

    name: str
    passed: bool
    figures: dict[str, Any]
    message: str


@dataclass
class RunReport:
    """Everything one run established, ready for the text or JSON report."""

    case: str
    platform: str
    config: CaseConfig
    passed: bool
    outputs: dict[str, OutputVerdict]
    stages: list[dict[str, Any]] | None
    traffic: dict[str, Any] | None
    wall_s: dict[str, float | None]
    #: The cost model's time of the whole kernel; None where no model runs.
    modeled_us: float | None = None
    #: The kernel's floor on the chip and modeled time over it; None where no model runs.
    floor: dict[str, Any] | None = None
    quality: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    replayed_from: str | None = None
    saved_to: str | None = None
    trace: Callable[[], dict] | None = field(default=None, repr=False)
    #: The kernel's and the golden's output arrays by name (not part of the JSON report).
    actual_outputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    expected_outputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: The configuration fields the case takes, for the text report's header (None: all).
    shown_config: dict[str, Any] | None = field(default=None, repr=False)
    #: Lines the text report adds under its header (e.g. what a replay could not verify).
    notes: list[str] = field(default_factory=list)
    #: plsim ran functional-only: no counts were collected (stages, traffic, model are None).
    functional_only: bool = False


#: Phases of a run, in order; ``wall_s`` has one entry per phase plus ``total``.
PHASES: tuple[str, ...] = ("inputs", "golden", "kernel", "compare")


class _Clock:
    """Times the phases of one run and tells the progress reporter when each starts."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.start = time.perf_counter()
        self.wall: dict[str, float | None] = dict.fromkeys((*PHASES, "total"))
        self._current: str | None = None
        self._since = self.start

    def phase(self, name: str | None) -> None:
        """End the current phase (recording its wall time) and start ``name`` (None: stop)."""
        now = time.perf_counter()
        if self._current is not None:
            self.wall[self._current] = now - self._since
        self._current, self._since = name, now
        self.wall["total"] = now - self.start
        notify = getattr(self.progress, "phase", None)
        if name is not None and callable(notify):
            notify(name)


def check_memory(shapes: memory.Shapes, size_options: Sequence[str] = ()) -> None:
    """ConfigError, with the estimate and the limit, if the run would not fit in memory;
    ``size_options`` are the options of the case that make it smaller (named in the message)."""
    need = memory.estimate_run_bytes(shapes)
    have = memory.available_bytes()
    if have is not None and need > have:
        raise ConfigError(
            f"configuration: this run needs about {memory.gib(need)} of memory "
            f"({memory.gib(memory.parameter_bytes(shapes))} of parameters), more than the "
            f"{memory.gib(have)} this machine has available; {memory.smaller(size_options)}"
        )


def resolve(case: Case, config: CaseConfig) -> CaseConfig:
    """``case.resolve_config(config)`` after the harness's own checks (the seed); ConfigError
    or CaseDefinitionError."""
    seed = config.seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"--seed: must be an integer >= 0, got {seed!r}")
    resolved = case.resolve_config(config)
    if not isinstance(resolved, CaseConfig):
        raise CaseDefinitionError(
            f"case {case.name!r}: resolve_config returned {type(resolved).__name__}, "
            "not a CaseConfig"
        )
    return resolved


def _specs(case: Case, config: CaseConfig) -> list[TensorSpec | ScalarSpec]:
    try:
        specs = list(case.make_specs(config))
    except SignatureError as exc:
        raise CaseDefinitionError(f"case {case.name!r}: {exc}") from None
    validate_specs(specs)
    if not any(isinstance(s, TensorSpec) and s.is_output for s in specs):
        raise CaseDefinitionError(f"case {case.name!r}: no TensorSpec has is_output=True")
    return specs


def _output_specs(specs: Sequence[TensorSpec | ScalarSpec]) -> dict[str, TensorSpec]:
    return {s.name: s for s in specs if isinstance(s, TensorSpec) and s.is_output}


def _check_golden(
    case: Case,
    outputs: Mapping[str, Any],
    out_specs: Mapping[str, TensorSpec],
    references: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """The golden's outputs, verified to be exactly the output specs' names, shapes, dtypes,
    plus the config's reference outputs (golden only, e.g. the scores of a top-k-only run)."""
    if not isinstance(outputs, Mapping):
        raise CaseDefinitionError(f"case {case.name!r}: golden must return a dict of outputs")
    if set(outputs) != set(out_specs) | set(references):
        raise CaseDefinitionError(
            f"case {case.name!r}: golden returned outputs {sorted(outputs)}, "
            f"the specs mark {sorted(out_specs)} as outputs"
            + (f" and the case names {sorted(references)} as references" if references else "")
        )
    checked = {name: np.ascontiguousarray(np.asarray(outputs[name])) for name in references}
    for name, spec in out_specs.items():
        value = np.asarray(outputs[name])
        want = (tuple(spec.shape), numpy_dtype(spec.dtype))
        if (value.shape, value.dtype) != want:
            raise CaseDefinitionError(
                f"case {case.name!r}: golden output {name!r} is {value.shape} {value.dtype}, "
                f"its spec says {want[0]} {want[1]}"
            )
        checked[name] = np.ascontiguousarray(value)
    return checked


def _comparisons(case: Case, config: CaseConfig, names: Sequence[str]) -> dict[str, Any]:
    comparisons = dict(case.comparisons(config))
    if set(comparisons) != set(names):
        raise CaseDefinitionError(
            f"case {case.name!r}: comparisons cover {sorted(comparisons)}, "
            f"outputs are {sorted(names)}"
        )
    return comparisons


def _compare_all(
    comparisons: Mapping[str, Any],
    actual: Mapping[str, np.ndarray],
    expected: Mapping[str, np.ndarray],
    inputs: Mapping[str, Any],
) -> dict[str, OutputVerdict]:
    verdicts = {}
    for name, compare in comparisons.items():
        result = compare(
            actual[name],
            expected[name],
            actual_outputs=actual,
            expected_outputs=expected,
            inputs=inputs,
        )
        if not isinstance(result, CompareResult):
            raise CaseDefinitionError(f"comparison for {name!r} did not return a CompareResult")
        figures = dict(result.figures)
        # Every float output gets its error distribution, whatever its comparison reports.
        if is_float_dtype(expected[name].dtype) and "error_distribution" not in figures:
            figures["error_distribution"] = error_distribution(actual[name], expected[name])
        verdicts[name] = OutputVerdict(name, bool(result.passed), figures, result.message)
    return verdicts


def _execute(
    case: Case,
    config: CaseConfig,
    specs: list[TensorSpec | ScalarSpec],
    platform: str,
    inputs: Mapping[str, Any],
    expected: dict[str, np.ndarray],
    clock: _Clock,
    functional_only: bool = False,
) -> RunReport:
    """Run the kernel on its own copies of ``inputs`` and compare against ``expected``."""
    comparisons = _comparisons(case, config, list(_output_specs(specs)))
    clock.phase("kernel")
    kernel_values = copy_values(dict(inputs))
    report = RunReport(
        case=case.name,
        platform=platform,
        config=config,
        passed=False,
        outputs={},
        stages=None,
        traffic=None,
        wall_s=clock.wall,
        expected_outputs=dict(expected),
        shown_config=case.shown_config(config),
        functional_only=functional_only,
    )
    try:
        kernel_case = dataclasses.replace(case, kernel_name=case.kernel_for(config))
        run: KernelRun = run_kernel(
            platform, kernel_case, specs, kernel_values, clock.progress, functional_only
        )
    except KernelError as exc:
        report.error = str(exc)
        clock.phase(None)
        return report
    report.stages, report.traffic, report.trace = run.stages, run.traffic, run.trace
    report.modeled_us, report.floor = run.modeled_us, run.floor
    clock.phase("compare")
    report.actual_outputs = dict(run.outputs)
    # Comparisons and quality see pristine inputs (in/out tensors at their initial values):
    # ``inputs`` itself, which the golden and the kernel only ever saw copies of and which is
    # not used after this (copying it again cost a tenth of a second of a PRO run).
    pristine = dict(inputs)
    report.outputs = _compare_all(comparisons, run.outputs, expected, pristine)
    report.passed = all(v.passed for v in report.outputs.values())
    if case.quality is not None:
        report.quality = dict(case.quality(pristine, run.outputs, config))
    clock.phase(None)
    return report


def run_case(
    case: Case,
    config: CaseConfig,
    platform: str = "plsim",
    *,
    progress: Progress | None = None,
    save_dir: str | os.PathLike | None = None,
    force: bool = False,
    functional_only: bool = False,
) -> RunReport:
    """Run ``case`` on ``platform`` for ``config`` and compare every output with its golden.

    Raises ConfigError (bad configuration or platform, or a run too big for this machine's
    memory), PlatformUnavailable (toolchain missing), DataError (save directory unusable, or
    an existing save without ``force``) or CaseDefinitionError (an inconsistent case, or one
    whose input tensors hold NaN). A kernel that raises while running gives a failed report
    with ``error`` set. ``progress`` may also have a ``phase(name)`` method, called as each
    phase (PHASES) starts. The whole run uses one BLAS thread (see _run_case).
    ``functional_only`` (plsim only; ConfigError elsewhere): the kernel runs without counting,
    so the report has no stages, traffic or modeled time.
    """
    with single_blas_thread():
        return _run_case(case, config, platform, progress=progress, save_dir=save_dir,
                         force=force, functional_only=functional_only)  # fmt: skip


def _run_case(
    case: Case,
    config: CaseConfig,
    platform: str = "plsim",
    *,
    progress: Progress | None = None,
    save_dir: str | os.PathLike | None = None,
    force: bool = False,
    functional_only: bool = False,
) -> RunReport:
    # The goldens' and comparisons' matmuls are small to medium: split over every core, OpenBLAS
    # busy-waits its threads, which on a shared 2-core machine cost 2-7x (measured; see
    # docs/running.md). INT8 products sum exactly in any order; float64 sums rounded once to
    # FP32 may differ in a last bit with the split, and one thread also makes the goldens
    # independent of the machine's core count.
    check_platform(platform)
    check_functional_only(platform, functional_only)
    resolved = resolve(case, config)
    ensure_available(platform)
    if save_dir is not None:
        data.check_writable(save_dir, force=force)
    if case.param_shapes is not None:  # before make_specs, which may generate the data
        check_memory(case.param_shapes(resolved), case.size_options)
    clock = _Clock(progress)
    clock.phase("inputs")
    specs = _specs(case, resolved)
    if case.param_shapes is None:
        check_memory(memory.spec_shapes(specs), case.size_options)
    inputs = build_inputs(specs, resolved.seed)
    nan_message = describe_nan_input(inputs)
    if nan_message is not None:
        raise CaseDefinitionError(f"case {case.name!r}: {nan_message}")
    golden_inputs = copy_values(inputs)
    clock.phase("golden")
    expected_raw = case.golden(golden_inputs, resolved)
    expected = _check_golden(
        case, expected_raw, _output_specs(specs), case.references_for(resolved)
    )
    saved_to = None
    if save_dir is not None:
        # Saved before the kernel runs, so a kernel crash still leaves replayable data.
        saved_to = str(
            data.save(save_dir, case.name, resolved, specs, inputs, expected, force=force)
        )
    report = _execute(case, resolved, specs, platform, inputs, expected, clock, functional_only)
    report.saved_to = saved_to
    return report


def replay_case(
    case: Case,
    directory: str | os.PathLike,
    platform: str = "plsim",
    *,
    progress: Progress | None = None,
    explicit: Mapping[str, Any] | None = None,
    functional_only: bool = False,
) -> RunReport:
    """Rerun ``case``'s kernel on the inputs saved in ``directory`` (see _replay_case)."""
    with single_blas_thread():
        return _replay_case(case, directory, platform, progress=progress, explicit=explicit,
                            functional_only=functional_only)  # fmt: skip


def _replay_case(
    case: Case,
    directory: str | os.PathLike,
    platform: str = "plsim",
    *,
    progress: Progress | None = None,
    explicit: Mapping[str, Any] | None = None,
    functional_only: bool = False,
) -> RunReport:
    """Rerun ``case``'s kernel on the inputs saved in ``directory``; compare to the saved golden.

    ``explicit`` holds configuration fields the user gave alongside the replay; each must
    agree with the saved configuration (DataError otherwise); saved inputs holding NaN are
    refused with DataError too. The golden is not recomputed, so ``wall_s["golden"]`` is None;
    ``wall_s["inputs"]`` is the time to load the saved data.
    """
    check_platform(platform)
    check_functional_only(platform, functional_only)
    ensure_available(platform)
    clock = _Clock(progress)
    clock.phase("inputs")  # loading the saved data
    saved = data.load(directory)
    if saved.case != case.name:
        raise data.DataError(
            f"--replay: {str(directory)!r} holds data of case {saved.case!r}, not {case.name!r}"
        )
    for key, value in (explicit or {}).items():
        if getattr(saved.config, key) != value:
            raise data.DataError(
                f"--replay: --{key.replace('_', '-')} {value} disagrees with the saved "
                f"configuration ({key}={getattr(saved.config, key)!r}); drop it or use a new save"
            )
    try:
        resolved = resolve(case, saved.config)
    except ConfigError as exc:
        raise data.DataError(f"--replay: saved configuration is not valid: {exc}") from None
    if resolved != saved.config:
        raise data.DataError(
            f"--replay: saved configuration {dataclasses.asdict(saved.config)} resolves "
            f"differently now ({dataclasses.asdict(resolved)})"
        )
    saved.inputs = case.saved_inputs(saved.inputs, resolved)  # an older save's parameters
    # The signature alone (no input generated) when the case has one.
    specs = case.unbound_specs(resolved)
    if specs is None:
        specs = _specs(case, resolved)
    else:
        validate_specs(specs)
    data.check_matches(saved, specs)
    # Every kernel output must be saved; a golden-only reference may be missing from a save
    # made before the case had it (its comparison then does without, as documented there).
    outputs = set(_output_specs(specs))
    golden_names = outputs | set(case.references_for(resolved))
    if not outputs <= set(saved.golden) <= golden_names:
        raise data.DataError(
            f"--replay: saved golden outputs {sorted(saved.golden)} differ from the case's "
            f"golden outputs {sorted(golden_names)}"
        )
    inputs = {spec.name: saved.inputs[spec.name] for spec in specs}
    nan_message = describe_nan_input(inputs)
    if nan_message is not None:
        raise data.DataError(f"--replay: saved {nan_message}")
    report = _execute(case, resolved, specs, platform, inputs, saved.golden, clock,
                      functional_only)  # fmt: skip
    report.replayed_from = str(Path(directory))
    if not saved.checksummed:
        report.notes.append(
            "a version-1 save (before field checksums): its arrays and scalars were checked, "
            "its configuration could not be"
        )
    return report
