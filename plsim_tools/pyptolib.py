"""Run a public pypto-lib kernel file unchanged on plsim, or a whole folder of them.

    python -m plsim_tools.pyptolib [--platform P] FILE [the file's own options]
    python -m plsim_tools.pyptolib --corpus DIR [--timeout S] [--jobs N] [--json OUT]

The file's ``__main__`` block runs as written, with ``import pypto.language`` bound to plsim and
``from golden import run_jit`` bound to the upstream harness package found beside the file (the
nearest ancestor folder holding ``golden/validation.py``), whose ``run_jit`` is served by plsim:
the harness's own input generation from the specs, the kernel on plsim, the file's torch golden
and the harness's own comparison (``validate_golden`` with the file's tolerances and compare
functions). Our project's ``golden`` package is hidden while the upstream one is loaded and put
back afterwards. torch is needed (the upstream harness imports it); it is an optional extra.

``--corpus`` runs every ``.py`` file with a ``__main__`` block under DIR in a child process each
and prints one row per file: PASS (every run_jit call matched its golden), FAIL (a comparison
failed), ERROR (an exception, its last line shown) or TIMEOUT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Printed by a child run so the corpus driver can read the outcome without parsing logs.
RESULT_MARK = "PLSIM_PYPTOLIB_RESULT "


@dataclass
class CallRecord:
    """One run_jit call served by plsim."""

    fn: str
    passed: bool
    error: str = ""
    modeled_us: float = 0.0
    gm_bytes: int = 0
    stages: list[dict[str, Any]] = field(default_factory=list)


def find_harness_root(path: Path) -> Path:
    """The nearest ancestor of ``path`` holding the upstream ``golden/`` harness package."""
    for parent in path.resolve().parents:
        if (parent / "golden" / "validation.py").is_file() and (
            parent / "golden" / "runner.py"
        ).is_file():
            return parent
    raise FileNotFoundError(
        f"FILE: no upstream golden/ harness (golden/validation.py) in any folder above {path}"
    )


@contextlib.contextmanager
def upstream_golden(root: Path, run_jit) -> Iterator[Any]:
    """While active, ``import golden`` is the upstream harness under ``root`` with its
    ``run_jit`` replaced by ``run_jit``; our own ``golden`` package is restored afterwards."""
    saved = {k: v for k, v in sys.modules.items() if k == "golden" or k.startswith("golden.")}
    for key in saved:
        del sys.modules[key]
    saved_path = list(sys.path)
    sys.path.insert(0, str(root))
    # The harness sets torch's thread count from this variable (16 by default); the machines
    # plsim runs on are small and the golden is not what is measured.
    os.environ.setdefault("PYPTO_GOLDEN_NUM_THREADS", "1")
    try:
        import golden as upstream  # imported here: under the swapped sys.path

        if Path(upstream.__file__).absolute().parent.parent != root.absolute():
            raise ImportError(f"golden resolved to {upstream.__file__}, not under {root}")
        upstream.run_jit = run_jit
        upstream.runner.run_jit = run_jit
        yield upstream
    finally:
        for key in [k for k in sys.modules if k == "golden" or k.startswith("golden.")]:
            del sys.modules[key]
        sys.modules.update(saved)
        sys.path[:] = saved_path


def torch_to_numpy(tensor) -> np.ndarray:
    """A NumPy view sharing memory with a contiguous CPU torch tensor (BF16 via ml_dtypes)."""
    import ml_dtypes
    import torch

    tensor = tensor.contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def _scalar_value(spec) -> Any:
    """A ScalarSpec's value as a Python number (older harness versions lack to_python)."""
    if hasattr(spec, "to_python"):
        return spec.to_python()
    value = spec.value
    return value.item() if hasattr(value, "item") else value


def _platform(runtime_cfg: dict[str, Any] | None, default: str) -> str:
    name = (runtime_cfg or {}).get("platform") or default
    return name[: -len("sim")] if name.endswith("sim") else name


def _world_size(compile_cfg: dict[str, Any] | None) -> int | None:
    """The rank count of a distributed run: len(distributed_config.device_ids), else None."""
    config = (compile_cfg or {}).get("distributed_config")
    if config is None:
        return None
    return len(config.device_ids)


class PlsimHarness:
    """The upstream ``run_jit`` contract served by plsim; keeps a record of every call."""

    def __init__(
        self, platform: str = "a2a3", show_stages: bool = True, out_keeps_data: bool = False
    ) -> None:
        self.platform = platform
        # Bind pl.Out parameters whose spec gives initial data (the harness's "inout" specs)
        # with that data, as the device runtime does, instead of as write-only buffers.
        self.out_keeps_data = out_keeps_data
        self.show_stages = show_stages
        self.calls: list[CallRecord] = []
        self.upstream = None  # the upstream golden package, set while a file runs

    def run_jit(
        self,
        fn: Any,
        specs: list,
        golden_fn=None,
        golden_data: str | None = None,
        compile_cfg: dict[str, Any] | None = None,
        runtime_cfg: dict[str, Any] | None = None,
        rtol: float = 1e-5,
        atol: float = 1e-5,
        compare_fn: dict[str, Any] | None = None,
        compile_only: bool = False,
        runtime_dir: str | None = None,
        save_data: bool = False,
    ):
        """Inputs from ``specs``, ``fn`` on plsim, ``golden_fn``, then the harness's comparison."""
        import torch

        import plsim

        up = self.upstream
        name = getattr(fn, "__name__", repr(fn))
        record = CallRecord(fn=name, passed=False)
        self.calls.append(record)
        start = time.time()

        def result(passed: bool, error: str = ""):
            record.passed, record.error = passed, error
            return up.RunResult(passed=passed, error=error or None,
                                execution_time=time.time() - start)  # fmt: skip

        if golden_data is not None or runtime_dir is not None:
            return result(False, "plsim harness: golden_data/runtime_dir replay is not supported")
        # Only the harness's public API (TensorSpec.create_tensor, validate_golden) is used:
        # its private helpers differ between the snapshots of the calibration set.
        tensors = {s.name: s.create_tensor() for s in specs if isinstance(s, up.TensorSpec)}
        scalars = {s.name: _scalar_value(s) for s in specs if not isinstance(s, up.TensorSpec)}
        golden_outputs = None
        if golden_fn is not None:
            scratch: dict[str, Any] = dict(scalars)
            for s in specs:
                if isinstance(s, up.TensorSpec):
                    fresh = s.is_output and getattr(s, "init_value", None) is None
                    scratch[s.name] = (
                        torch.zeros(s.shape, dtype=s.dtype) if fresh else tensors[s.name].clone()
                    )
            golden_fn(scratch)
            golden_outputs = {
                s.name: scratch[s.name]
                for s in specs
                if isinstance(s, up.TensorSpec) and s.is_output
            }
            # The golden's copies of the inputs are not needed any more; on the model files
            # (weights of every rank) they would double the memory the kernel run needs.
            del scratch
        if compile_only:
            return result(True)
        tensors = {n: t.contiguous() for n, t in tensors.items()}
        values = {s.name: tensors[s.name] if s.name in tensors else scalars[s.name] for s in specs}
        values = {n: torch_to_numpy(a) if isinstance(a, torch.Tensor) else a
                  for n, a in values.items()}  # fmt: skip
        platform = _platform(runtime_cfg, self.platform)
        world = _world_size(compile_cfg)
        ranks = f", {world} ranks" if world is not None else ""
        print(f"[RUN]   plsim: {name} on {platform}{ranks}", flush=True)
        keep = ()
        if self.out_keeps_data:
            keep = [s.name for s in specs if isinstance(s, up.TensorSpec) and s.is_output
                    and getattr(s, "init_value", None) is not None]  # fmt: skip
        if world is None:  # the harness passes a chip program its specs in spec order
            run = plsim.run(fn, *values.values(), platform=platform, out_keeps_data=keep)
        else:  # and an L3 program by parameter name (upstream golden/runner.py
            # _l3_ordered_args), so a spec list in another order still binds
            run = plsim.run(fn, platform=platform, world_size=world, **values)
        record.stages = [s.to_dict() for s in run.stages]
        record.modeled_us = run.modeled_us
        record.gm_bytes = run.traffic.gm_bytes
        if self.show_stages:
            print(stage_table(run.stages, run.modeled_us), flush=True)
        if golden_outputs is None:
            print("[RUN] PASS (validation skipped: no golden_fn)", flush=True)
            return result(True)
        outputs = {s.name: tensors[s.name] for s in specs if getattr(s, "is_output", False)}
        inputs = {n: t for n, t in tensors.items() if n not in outputs} | scalars
        try:
            up.validate_golden(
                outputs, golden_outputs, rtol=rtol, atol=atol, compare_fn=compare_fn or {},
                inputs=inputs,
            )  # fmt: skip
        except AssertionError as exc:
            print("[RUN] FAIL", flush=True)
            return result(False, str(exc))
        print("[RUN] PASS", flush=True)
        return result(True)


def stage_table(stages, total_us: float | None = None) -> str:
    """plsim's per-stage accounting as a fixed-width text table; the last row is ``total_us``
    (the kernel's modeled time, where stages overlap) or else the sum of the stages."""
    rows = [("stage", "tasks", "GM read B", "GM write B", "cube MACs", "vector ops", "model us")]
    for s in stages:
        rows.append((s.name, str(s.tasks), str(s.gm_read_bytes), str(s.gm_write_bytes),
                     str(s.cube_macs), str(s.vector_ops), f"{s.modeled_us:.2f}"))  # fmt: skip
    total = sum(s.modeled_us for s in stages) if total_us is None else total_us
    rows.append(("kernel" if total_us is not None else "total", "", "", "", "", "", f"{total:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in rows
    )


def run_file(
    path: Path,
    argv: list[str],
    platform: str = "a2a3",
    show_stages: bool = True,
    out_keeps_data: bool = False,
):
    """Run one pypto-lib file's ``__main__`` on plsim; returns (calls, exit code, error text)."""
    from plsim.loader import run_main

    harness = PlsimHarness(platform, show_stages, out_keeps_data)
    root = find_harness_root(path)
    code, error = 0, ""
    with upstream_golden(root, harness.run_jit) as upstream:
        harness.upstream = upstream
        try:
            run_main(path, argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:  # reported as the file's verdict, with the traceback
            traceback.print_exc()
            code, error = 1, f"{type(exc).__name__}: {exc}".splitlines()[0]
    return harness.calls, code, error


def verdict(calls: list[CallRecord], code: int, error: str) -> tuple[str, str]:
    """(PASS|FAIL|ERROR, reason) of one file's run."""
    if error:
        return "ERROR", error
    if not calls:
        return "ERROR", f"exit {code} without a run_jit call"
    failed = [c for c in calls if not c.passed]
    if failed:
        first = (failed[0].error or "").strip().splitlines()
        return "FAIL", f"{failed[0].fn}: {first[0] if first else 'comparison failed'}"
    if code:
        return "ERROR", f"exit {code} after all run_jit calls passed"
    return "PASS", ""


def has_main(path: Path) -> bool:
    """True if the file has an ``if __name__ == "__main__"`` block."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return '__name__ == "__main__"' in text or "__name__ == '__main__'" in text


def corpus_files(root: Path) -> list[Path]:
    """Files with a ``__main__`` block under ``root`` (the upstream golden/ package excluded)."""
    return sorted(
        p
        for p in root.rglob("*.py")
        if "golden" not in p.relative_to(root).parts[:1] and has_main(p)
    )


def _run_child(path: Path, platform: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "plsim_tools.pyptolib", "--platform", platform, "--quiet",
           str(path)]  # fmt: skip
    start = time.time()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"file": str(path), "verdict": "TIMEOUT", "reason": f"over {timeout:.0f} s",
                "seconds": time.time() - start}  # fmt: skip
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            row = json.loads(line[len(RESULT_MARK) :])
            row["seconds"] = time.time() - start
            return row
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    reason = f"child exit {proc.returncode}: {tail}"
    return {"file": str(path), "verdict": "ERROR", "reason": reason, "seconds": time.time() - start}


def run_corpus(root: Path, platform: str, timeout: float, jobs: int) -> list[dict[str, Any]]:
    """Run every file with a ``__main__`` under ``root`` in a child process; one row per file."""
    files = corpus_files(root)

    def run_one(path: Path) -> dict[str, Any]:
        row = _run_child(path, platform, timeout)
        # Named by the path launched: a child may report the file's resolved path (a symlink).
        row["file"] = str(path.relative_to(root))
        # One line per file as it ends (stderr), so a long corpus run shows where it is and a
        # crash of this process loses no finished row.
        print(f"[corpus] {row['verdict']:7s} {row['seconds']:6.1f} s  {row['file']}",
              file=sys.stderr, flush=True)  # fmt: skip
        return row

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_one, files))


def corpus_table(rows: list[dict[str, Any]]) -> str:
    """The corpus rows as text, with the pass count."""
    width = max((len(r["file"]) for r in rows), default=4)
    lines = [f"{'file'.ljust(width)}  verdict  seconds  reason"]
    for r in rows:
        lines.append(
            f"{r['file'].ljust(width)}  {r['verdict']:<7}  {r['seconds']:7.1f}  {r['reason']}"
        )
    passed = sum(r["verdict"] == "PASS" for r in rows)
    lines.append(f"{passed}/{len(rows)} files PASS")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m plsim_tools.pyptolib", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--platform",
        default="a2a3",
        choices=["a2a3", "a5"],
        help="platform when the file's runtime_cfg names none (a2a3sim means a2a3)",
    )
    p.add_argument("--quiet", action="store_true", help="no stage table")
    p.add_argument(
        "--out-keeps-data",
        action="store_true",
        help="a pl.Out parameter whose spec has an init_value holds that data at entry, as on "
        "the device (default: pl.Out is write-only and reading it unwritten is an error)",
    )
    p.add_argument("--corpus", type=Path, help="run every file with a __main__ under this folder")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per file (--corpus)")
    p.add_argument("--jobs", type=int, default=1, help="files run at once (--corpus)")
    p.add_argument("--json", type=Path, help="also write the corpus rows as JSON here")
    p.add_argument("file", nargs="?", type=Path, help="a pypto-lib kernel file")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the file's own options")
    return p


def main(argv: list[str] | None = None) -> int:
    """CLI entry; returns the exit code."""
    parser = _parser()
    ns = parser.parse_args(argv)
    if ns.corpus is not None:
        if ns.file is not None:
            parser.error("give either --corpus DIR or FILE, not both")
        if not ns.corpus.is_dir():
            parser.error(f"--corpus: {ns.corpus} is not a folder")
        if ns.jobs < 1 or ns.timeout <= 0:
            parser.error("--jobs must be >= 1 and --timeout > 0")
        rows = run_corpus(ns.corpus.resolve(), ns.platform, ns.timeout, ns.jobs)
        print(corpus_table(rows))
        if ns.json is not None:
            ns.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        return 0 if all(r["verdict"] == "PASS" for r in rows) else 1
    if ns.file is None:
        parser.error("FILE or --corpus DIR is required")
    if not ns.file.is_file():
        parser.error(f"FILE: no file at {ns.file}")
    try:
        root = find_harness_root(ns.file)
    except FileNotFoundError as exc:
        parser.error(str(exc))
    del root
    calls, code, error = run_file(ns.file, ns.args, ns.platform, not ns.quiet, ns.out_keeps_data)
    status, reason = verdict(calls, code, error)
    print(f"[plsim_tools.pyptolib] {ns.file}: {status}{' - ' + reason if reason else ''}")
    row = {"file": str(ns.file.resolve()), "verdict": status, "reason": reason,
           "calls": [c.__dict__ for c in calls]}  # fmt: skip
    print(RESULT_MARK + json.dumps(row, default=str), flush=True)
    return 0 if status == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
