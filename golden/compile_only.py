"""``run.py --compile-only``: compile a case's kernel with the real pypto and report the verdict.

The kernel is compiled for the case's resolved configuration (the same parameter shapes and
scalars a run would pass) in a child process (``golden.compiler``), so the real ``pypto`` never
enters this interpreter. Nothing is run: there is no golden, no comparison and no input data;
the arguments come from the case's ``param_shapes`` and ``scalar_specs``, and the compiler
process gets untouched tensors of those shapes, so a compile's memory does not grow with them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from golden import compiler, memory
from golden.case import Case, CaseConfig, ConfigError

#: Harness platform -> compiler target. plsim and the CPU simulators compile for the chip
#: they model; plsim models a2a3.
COMPILE_TARGETS: dict[str, str] = {
    "plsim": "a2a3",
    "a2a3sim": "a2a3",
    "a2a3": "a2a3",
    "a5sim": "a5",
    "a5": "a5",
}
#: Kernel kinds in report order, with their display names.
KERNEL_KINDS: tuple[tuple[str, str], ...] = (("aic", "AIC"), ("aiv", "AIV"), ("mixed", "mixed"))


def compile_target(platform: str) -> str:
    """The compiler target (a2a3 or a5) for a harness platform name."""
    return COMPILE_TARGETS[platform]


def compile_args(case: Case, config: CaseConfig) -> list[dict[str, Any]]:
    """The kernel's arguments for a resolved ``config``: tensors from ``param_shapes``, scalars
    from ``scalar_specs``, no data generated. A case without them falls back to its
    ``make_specs`` (which generates its inputs). ConfigError if the parameters cannot even be
    allocated in this process's address space, or the compiler would not fit in memory."""
    if case.param_shapes is None or case.scalar_specs is None:
        return compiler.spec_args(case.make_specs(config))
    shapes = case.param_shapes(config)
    check_compile_memory(shapes, case.size_options)
    args = [compiler.tensor_arg(n, shape, dtype) for n, (shape, dtype) in shapes.items()]
    return args + [compiler.scalar_arg(s.name, s.value) for s in case.scalar_specs(config)]


def check_compile_memory(shapes: memory.Shapes, size_options: tuple[str, ...] = ()) -> None:
    """ConfigError if the compiler process cannot hold these parameters: their shape samples
    must be allocatable (untouched), and the compiler's resident memory must be available."""
    space = memory.COMPILE_RESIDENT_BYTES + memory.parameter_bytes(shapes)
    limit = memory.allocatable_bytes()
    if limit is not None and space > limit:
        raise ConfigError(
            f"configuration: compiling needs {memory.gib(space)} of address space (the "
            f"kernel's parameters, {memory.gib(memory.parameter_bytes(shapes))}, allocated "
            f"as untouched shape samples), more than the {memory.gib(limit)} this process may "
            f"allocate; {memory.smaller(size_options)}"
        )
    have = memory.available_bytes()
    if have is not None and have < memory.COMPILE_RESIDENT_BYTES:
        raise ConfigError(
            f"configuration: the compiler needs about {memory.gib(memory.COMPILE_RESIDENT_BYTES)}"
            f" of memory, more than the {memory.gib(have)} this machine has available"
        )


def compile_case(
    case: Case,
    config: CaseConfig,
    platform: str,
    on_event: compiler.CompileEvent | None = None,
) -> compiler.CompileResult:
    """Compile ``case``'s kernel for the resolved ``config``; CompilerUnavailable if absent,
    ConfigError if it cannot fit (see compile_args). ``on_event`` hears of the compile's
    progress (golden.compiler.CompileEvent)."""
    compiler.require_compiler()  # before anything else: the absent path must be instant
    request = compiler.CompileRequest(
        case.kernel_file, case.kernel_for(config), compile_args(case, config),
        compile_target(platform),
    )  # fmt: skip
    return compiler.compile_many([request], on_event=on_event)[0]


def to_json(
    case: Case, config: CaseConfig, platform: str, result: compiler.CompileResult
) -> dict[str, Any]:
    """The ``--compile-only --json`` object."""
    return {
        "case": case.name,
        "platform": platform,
        "target": compile_target(platform),
        "config": dataclasses.asdict(config),
        "compiled": result.compiled,
        "seconds": result.seconds,
        "kernels": {kind: list(result.kernels.get(kind, [])) for kind, _ in KERNEL_KINDS},
        "hint_counts": result.hint_counts(),
        "perf_hints": [dataclasses.asdict(h) for h in result.perf_hints],
        "error": result.error or None,
        "error_type": result.error_type or None,
        "location": result.location or None,
        "phase": result.phase,
        "stages": list(result.stages),
        "stage": result.stage or None,
        "failures": [dataclasses.asdict(f) for f in result.failures],
        "ptoas_skipped": result.skipped or None,
        "build_dir": result.output_dir or None,
    }


def render_text(
    case: Case, config: CaseConfig, platform: str, result: compiler.CompileResult
) -> str:
    """The human ``--compile-only`` report: verdict, time, kernels, perf hints or the error."""
    cfg = " ".join(f"{k}={'-' if v is None else v}" for k, v in case.shown_config(config).items())
    lines = [f"compile {case.name} for {compile_target(platform)}  ({cfg})"]
    stages = ", ".join(result.stages) or "none"
    if result.skipped:
        stages += f" (ptoas and the kernel wrapper not run: {result.skipped}; docs/running.md)"
    lines.append(f"stages: {stages}")
    verdict = "COMPILED" if result.compiled else "REJECTED"
    by = f" by {result.stage}" if result.stage else ""
    lines.append(f"verdict: {verdict}{by} in {result.seconds:.2f} s")
    if result.compiled:
        counts = ", ".join(
            f"{label} {len(result.kernels.get(kind, []))}" for kind, label in KERNEL_KINDS
        )
        lines.append(f"kernels: {counts}")
        for kind, label in KERNEL_KINDS:
            names = result.kernels.get(kind, [])
            if names:
                lines.append(f"  {label}: {', '.join(names)}")
        counts_by_code = result.hint_counts()
        summary = ", ".join(f"{code} x{n}" for code, n in counts_by_code.items()) or "none"
        lines.append(f"perf hints: {summary}")
        for hint in result.perf_hints:
            where = hint.location or "(no source line)"
            lines.append(f"  {hint.code} {where}: {hint.message}")
    else:
        lines.extend(_failure_lines(result))
    if result.output_dir:
        lines.append(f"build kept in: {result.output_dir}")
    lines.append(f"RESULT: {verdict}")
    return "\n".join(lines)


def _failure_lines(result: compiler.CompileResult) -> list[str]:
    """One ``error at FILE:LINE [stage, function]: message`` line per failure."""
    failures = result.failures or [
        compiler.StageFailure(result.stage, "", result.error, result.error_type, result.location)
    ]
    lines = []
    for failure in failures:
        where = failure.location or "(no source line)"
        tag = ", ".join(t for t in (failure.stage, failure.function) if t)
        # pypto's exception type says what it checked (ParserSyntaxError, ValueError, ...);
        # the later stages' types are all RuntimeError, so their message alone is shown.
        typed = failure.error_type and failure.stage in ("", "pypto")
        kind = f"{failure.error_type}: " if typed else ""
        lines.append(f"error at {where}{f' [{tag}]' if tag else ''}: {kind}"
                     f"{' '.join(failure.error.split())}")  # fmt: skip
    return lines
