"""plsim against a2a3sim on the fixture kernels: the ``A2A3SIM`` column of each fixture file.

Every fixture file states, beside ``VERDICTS``, what the toolchain's CPU simulator does with each
kernel, in a dict ``A2A3SIM`` (kernel name -> string):

- ``"pass"``: pypto, ptoas and the kernel wrapper build it, a2a3sim runs it, and every cell plsim
  writes holds the same value on both (floats within a few ULPs of the dtype, integers exact);
- ``"fail: <what>"``: it builds and runs, and some written cell differs;
- ``"ran: <why plsim refuses>"``: a2a3sim runs it, plsim raises (a HardwareError such as a
  MiscompileError, or a runtime finding), so there is nothing to compare; when a2a3sim's run
  fails or hangs on a kernel plsim refuses (an out-of-bounds store that kills the process, a
  run with no task), the two agree and the detail says what a2a3sim did;
- ``"not run: <reason>"``: the build stops (the reason names the stage's message, matched
  case-insensitively like a "rejected" verdict), or the kernel is not run here (distributed,
  uint32 arguments: the reason says which).

Inputs are the shapes and dtypes recorded in fixture_calls.json, filled from a fixed seed: float
tensors uniform in [0.5, 1.5), integer tensors ones (indices and lengths stay in range). A fixture
file that sets ``INPUTS = "special"`` gets special values instead (``special_inputs``: NaN,
infinities, signed zeros, subnormals, rounding ties, range edges, every pair of them across its
first two inputs), and its outputs are compared bit for bit. plsim and a2a3sim get the same
arrays. ``python -m plsim_conformance.sim_agreement`` (from tests/, with
the toolchain installed) prints the column for every fixture file.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import ml_dtypes
import numpy as np
from reliability.reference_numerics import same_values

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).with_name("fixture_calls.json")
SIM_KINDS = ("pass", "fail", "ran", "not run")
#: Seconds one fixture's build and run may take before it counts as hung.
ENTRY_TIMEOUT_S = 180
#: How to get the toolchain, for the one-line skip.
TOOLCHAIN_INSTALL = (
    "the real pypto compiler and the rest of its chain: ptoas (PTOAS_ROOT pointing at the "
    "directory holding it) and simpler's a2a3sim runtime, built from the public PTOAS / "
    "pto-isa / simpler sources (docs/running.md)"
)


@dataclass(frozen=True)
class SimVerdict:
    """One stated A2A3SIM entry."""

    kind: str
    detail: str = ""


def parse_sim_verdict(text: str) -> SimVerdict:
    """``"kind: detail"`` -> SimVerdict; ValueError naming the kinds otherwise."""
    kind, _, detail = text.partition(":")
    kind, detail = kind.strip(), detail.strip()
    if kind not in SIM_KINDS:
        raise ValueError(f"A2A3SIM {text!r}: kind must be one of {', '.join(SIM_KINDS)}")
    if kind != "pass" and not detail:
        raise ValueError(f"A2A3SIM {text!r}: '{kind}' needs a detail after the colon")
    return SimVerdict(kind, detail)


def stated_sim_verdicts(path: Path) -> dict[str, SimVerdict]:
    """The ``A2A3SIM`` dict of fixture file ``path``, read from its source (not imported)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "A2A3SIM" for t in node.targets
        ):
            return {k: parse_sim_verdict(v) for k, v in ast.literal_eval(node.value).items()}
    return {}


def toolchain_missing() -> str | None:
    """Why the whole chain cannot run here, or None when it can."""
    from golden.compiler import compiler_available

    if not compiler_available():
        return "the real pypto compiler is not installed"
    ptoas = Path(os.environ.get("PTOAS_ROOT", "/nonexistent")) / "ptoas"
    if not os.access(ptoas, os.X_OK):
        return "no ptoas at $PTOAS_ROOT"
    try:
        importlib.metadata.distribution("simpler")
    except importlib.metadata.PackageNotFoundError:
        return "simpler (the a2a3sim runtime) is not installed"
    return None


def calls() -> dict[str, dict]:
    """The recorded fixture calls by ``file::kernel``."""
    return {f"{c['file']}::{c['kernel']}": c for c in json.loads(MANIFEST.read_text())}


def make_inputs(call: dict, seed: int = 0) -> dict[str, np.ndarray | int | float | bool]:
    """The arguments of one call: seeded floats in [0.5, 1.5), integer tensors of ones."""
    rng = np.random.default_rng(seed)
    values: dict = {}
    for arg in call["args"]:
        if arg["kind"] != "tensor":
            values[arg["name"]] = arg["value"]
            continue
        dtype = ml_dtypes.bfloat16 if arg["dtype"] == "bfloat16" else np.dtype(arg["dtype"])
        if np.issubdtype(np.dtype(dtype), np.floating) or arg["dtype"] == "bfloat16":
            values[arg["name"]] = rng.uniform(0.5, 1.5, arg["shape"]).astype(dtype)
        else:
            values[arg["name"]] = np.ones(arg["shape"], dtype)
    return values


#: The special FP32 values: each NaN / infinity / zero / subnormal / tie / range-edge class once.
SPECIAL_FLOATS = (
    float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38,
    1.1754944e-38, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1.0, -1.0, 3.0, 127.5, -128.5, 255.5,
    300.0, -300.0, 32767.5, 65504.0, 65520.0, 3.4e38, -3.4e38, 2147483648.0, -2147483904.0,
    1e-5, 0.33333334,
)
#: The special INT32 values: zero, signs, the edges of INT8 / UINT8 / INT16 / FP16 / FP32's
#: exact integers and of INT32 itself.
SPECIAL_INTS = (
    0, 1, -1, 2, -2, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535,
    65536, 2047, 2048, 2049, 2051, 4097, 16777217, 16777219, 2**31 - 1, -(2**31), 2**30 + 1,
    1000000, -1000000, 65519, 65520, 100000,
)


def _special_grid(shape: list[int], order: int, pool_size: int) -> np.ndarray:
    """Pool indices for the ``order``-th input: cell (r, c) of input 0 takes (r + c), of input
    1 (r + 2c + 1) mod the pool size, so every row and column holds every value and the first
    two inputs hold every pair (the map is invertible mod the pool size)."""
    rows, cols = (shape[-2], shape[-1]) if len(shape) >= 2 else (1, shape[-1])
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    grid = (r + (order + 1) * c + order) % pool_size
    return np.broadcast_to(grid, (*shape[:-2], rows, cols)).reshape(shape)


def special_inputs(call: dict) -> dict[str, np.ndarray | int | float | bool]:
    """The arguments of one call filled from SPECIAL_FLOATS / SPECIAL_INTS (floats rounded to
    the tensor's dtype, integers wrapped to it)."""
    values: dict = {}
    order = 0
    for arg in call["args"]:
        if arg["kind"] != "tensor":
            values[arg["name"]] = arg["value"]
            continue
        dtype = ml_dtypes.bfloat16 if arg["dtype"] == "bfloat16" else np.dtype(arg["dtype"])
        floating = arg["dtype"] == "bfloat16" or np.issubdtype(np.dtype(dtype), np.floating)
        pool = np.array(SPECIAL_FLOATS if floating else SPECIAL_INTS,
                        np.float32 if floating else np.int64)  # fmt: skip
        grid = _special_grid(arg["shape"], order % 2, len(pool))
        order += 1
        with np.errstate(over="ignore"):
            values[arg["name"]] = pool[grid].astype(dtype)
    return values


def special_file(path: Path) -> bool:
    """Whether fixture file ``path`` sets ``INPUTS = "special"``."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "INPUTS" for t in node.targets
        ):
            return ast.literal_eval(node.value) == "special"
    return False


@dataclass
class PlsimOutcome:
    """plsim's run: the tensors afterwards and the cells it stored, or the error it raised."""

    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    stored: dict[str, np.ndarray] = field(default_factory=dict)
    error: str = ""


def run_plsim(call: dict, inputs: dict) -> PlsimOutcome:
    """Run the fixture on plsim with copies of ``inputs``; record each parameter's stored cells."""
    import plsim
    import plsim.binding

    values = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    buffers = []
    original = plsim.binding.GMBuffer  # where a run binds its arguments

    def recording(*args, **kwargs):
        buf = original(*args, **kwargs)
        buffers.append(buf)
        return buf

    plsim.binding.GMBuffer = recording
    try:
        kernel = getattr(plsim.load(ROOT / call["file"]), call["kernel"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plsim.run(kernel, **values)
    except plsim.SimError as exc:
        return PlsimOutcome(error=f"{type(exc).__name__}: {exc}")
    finally:
        plsim.binding.GMBuffer = original
    outcome = PlsimOutcome(tensors={k: v for k, v in values.items() if isinstance(v, np.ndarray)})
    for buf in buffers:
        if buf.stored_mask is not None and buf.name in outcome.tensors and buf.stored_mask.any():
            outcome.stored[buf.name] = np.array(buf.stored_mask)
    return outcome


def run_on_a2a3sim(entries: list[tuple[dict, dict]], workdir: Path, on_result=None) -> list[dict]:
    """Build and run ``(call, inputs)`` pairs on a2a3sim in a child process (sim_worker.py).

    A fixture that gives no result within ENTRY_TIMEOUT_S (a2a3sim hangs) is reported as
    ``timed_out``; a new worker goes on with the rest. ``on_result(index, result)`` is called
    as each result arrives.
    """
    batch = []
    for index, (call, inputs) in enumerate(entries):
        folder = workdir / f"{index}"
        folder.mkdir(parents=True, exist_ok=True)
        args = []
        for arg in call["args"]:
            value = inputs[arg["name"]]
            if arg["kind"] == "tensor":
                path = folder / f"in_{arg['name']}.npy"
                saved = value.astype(np.float32) if arg["dtype"] == "bfloat16" else value
                np.save(path, saved)
                args.append({**arg, "path": str(path)})
            else:
                args.append(arg)
        batch.append({"file": str(ROOT / call["file"]), "kernel": call["kernel"], "args": args,
                      "out_dir": str(folder)})  # fmt: skip
    results: list[dict] = []
    while len(results) < len(batch):
        start = len(results)
        for offset, result in _worker(batch[start:], workdir):
            results.append(result)
            if on_result is not None:
                on_result(start + offset, result)
    return results


def _worker(batch: list[dict], workdir: Path):
    """Yield (index, result) from one worker until the batch ends, the worker dies or an entry
    hangs (then that entry's result says so and the worker is killed).

    The worker's stdout is read by a thread into a queue: waiting with select() on the pipe
    and then calling readline() on its buffered reader loses lines already in the buffer (a
    result line read ahead behind the blank line before it waited for the next entry's output,
    so the entry before a hanging one was reported as hanging too).
    """
    import queue
    import threading
    import time

    request = {"root": str(ROOT), "build_dir": str(workdir / "build"), "batch": batch}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    log = open(workdir / "worker.log", "a")  # noqa: SIM115 (kept open for the worker's life)
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("sim_worker.py"))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
        cwd=str(workdir),
    )  # fmt: skip
    proc.stdin.write(json.dumps(request))
    proc.stdin.close()
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for text in proc.stdout:
            lines.put(text)
        lines.put("")  # end of output: the worker exited

    threading.Thread(target=pump, daemon=True).start()
    done = 0
    deadline = time.monotonic() + ENTRY_TIMEOUT_S
    try:
        while done < len(batch):
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                yield done, {"status": "timed_out",
                             "error": f"no result within {ENTRY_TIMEOUT_S} s (a2a3sim hangs)"}
                return
            if not line:
                yield done, {"status": "run_failed", "error": "the worker died (see worker.log)"}
                return
            match = re.match(r"@@SIM_RESULT (\d+)@@(.*)", line)
            if match:
                yield done, json.loads(match.group(2))
                done += 1
                deadline = time.monotonic() + ENTRY_TIMEOUT_S
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()


def _tolerance(dtype: str) -> float:
    return {"bfloat16": 2.0**-7, "float16": 2.0**-10, "float32": 1e-5}.get(dtype, 0.0)


def _short(error: str) -> str:
    """The telling line of a build error (ptoas's 'error:' line, else the first line)."""
    flat = re.sub(r"\s*\n\s*\|?\s*", " ", error)  # pypto's error tables wrap lines in '|'
    found = re.search(r"(?<![A-Za-z])error: (.*?)(?:\s+-{4,}|\s+Full details|$)", flat)
    if found is None:  # pypto's "Function | Error" table: the first error cell
        found = re.search(r"Function\s+\|\s+Error\s+-[-+]+\s+\S+\s+\|\s+(.*?)(?:\s+-{4,}|$)", flat)
    text = found.group(1) if found else error.strip().splitlines()[0]
    return text.strip()[:200]


def judge(call: dict, plsim_run: PlsimOutcome, sim: dict) -> str:
    """The A2A3SIM verdict string for one fixture from both runs."""
    if sim["status"] == "build_failed":
        return f"not run: {_short(sim['error'])}"
    refused = plsim_run.error.split(":", 1)[0]
    failed = {"timed_out": "a2a3sim hangs", "run_failed": "a2a3sim's run fails"}.get(sim["status"])
    if plsim_run.error and failed:  # plsim refuses what breaks the run: they agree
        return f"ran: plsim refuses it ({refused}); {failed}"
    if sim["status"] == "timed_out":
        return f"fail: {sim['error']}"
    if sim["status"] == "run_failed":
        return f"fail: a2a3sim run failed: {_short(sim['error'])}"
    if plsim_run.error:
        return f"ran: plsim refuses it ({refused})"
    differences = []
    dtypes = {a["name"]: a["dtype"] for a in call["args"] if a["kind"] == "tensor"}
    exact = special_file(ROOT / call["file"])
    for name, mask in plsim_run.stored.items():
        if exact:
            differences += _bit_differences(name, plsim_run.tensors[name][mask],
                                            np.load(sim["outputs"][name])[mask])  # fmt: skip
            continue
        mine = plsim_run.tensors[name].astype(np.float64)[mask]
        theirs = np.load(sim["outputs"][name]).astype(np.float64)[mask]
        tol = _tolerance(dtypes[name])
        close = np.isclose(theirs, mine, rtol=tol, atol=tol * 1e-3, equal_nan=True)
        if not close.all():
            worst = float(np.nanmax(np.abs(theirs - mine)))
            differences.append(f"{name}: {int((~close).sum())} of {close.size} cells differ "
                               f"(max {worst:.3g})")  # fmt: skip
    return "fail: " + "; ".join(differences) if differences else "pass"


def _bit_differences(name: str, mine: np.ndarray, theirs: np.ndarray) -> list[str]:
    """Cells whose bits differ (any NaN equals any NaN), with the first few pairs shown."""
    if theirs.dtype != mine.dtype:
        theirs = theirs.astype(mine.dtype)
    same = same_values(mine, theirs)
    if same.all():
        return []
    shown = ", ".join(f"{a!r} vs {b!r}" for a, b in
                      zip(mine[~same][:3].tolist(), theirs[~same][:3].tolist()))  # fmt: skip
    return [f"{name}: {int((~same).sum())} of {same.size} cells differ in bits (plsim vs "
            f"a2a3sim: {shown})"]  # fmt: skip


def not_run_reason(call: dict) -> str | None:
    """Why a fixture is not run on a2a3sim here at all, or None."""
    if call.get("world_size"):
        return "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)"
    if any(a.get("dtype") == "uint32" for a in call["args"]):
        return "not run: uint32 arguments (pypto's torch argument path has none)"
    return None


def sim_column(keys: list[str], workdir: Path | None = None, report=None) -> dict[str, str]:
    """The A2A3SIM verdict of each ``file::kernel`` key, measured now; ``report(key, verdict)``
    is called as each verdict is known."""
    table = calls()
    verdicts: dict[str, str] = {}
    entries, pending = [], []
    outcomes = {}
    for key in keys:
        call = table[key]
        reason = not_run_reason(call)
        if reason:
            verdicts[key] = reason
            if report is not None:
                report(key, reason)
            continue
        inputs = special_inputs(call) if special_file(ROOT / call["file"]) else make_inputs(call)
        outcomes[key] = run_plsim(call, inputs)
        entries.append((call, inputs))
        pending.append(key)
    def arrived(index: int, sim: dict) -> None:
        key = pending[index]
        verdicts[key] = judge(entries[index][0], outcomes[key], sim)
        if report is not None:
            report(key, verdicts[key])

    with tempfile.TemporaryDirectory(prefix="a2a3sim_fixtures_") as scratch:
        run_on_a2a3sim(entries, Path(workdir or scratch), arrived)
    return verdicts


def main() -> None:
    """Print the measured A2A3SIM column of every (or each named) fixture file."""
    missing = toolchain_missing()
    if missing:
        sys.exit(f"{missing}; install {TOOLCHAIN_INSTALL}")
    wanted = sys.argv[1:]
    keys = sorted(k for k in calls() if not wanted or any(w in k for w in wanted))
    sim_column(keys, report=lambda key, verdict: print(f"{key}\t{verdict}", flush=True))


if __name__ == "__main__":
    main()
