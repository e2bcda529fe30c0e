"""Fixtures for harness tests that must not depend on plsim being finished."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from golden import runner
from golden.platforms import KernelError, KernelRun


def numpy_toy_kernel(values, *, fail_with=None):
    """An independent NumPy implementation of toy_kernel.scale_matmul (FP32 sequential sums).

    It stands in for a platform in runner/report tests so they exercise the harness logic,
    not plsim. It writes the outputs into the arrays it is given, as a kernel would.
    """
    if fail_with:
        raise KernelError(fail_with)
    x = values["x"].astype(np.float32)
    w = values["w"].astype(np.float32)
    acc = np.zeros((x.shape[0], w.shape[1]), np.float32)
    for k in range(x.shape[1]):
        acc = (acc + x[:, k : k + 1] * w[k : k + 1, :]).astype(np.float32)
    amax = np.maximum(np.abs(x).max(axis=1, keepdims=True), np.float32(1e-4))
    values["out"][...] = acc / amax
    values["out_bf16"][...] = values["out"].astype(ml_dtypes.bfloat16)
    return {"out": values["out"], "out_bf16": values["out_bf16"]}


@pytest.fixture
def numpy_platform(monkeypatch):
    """Route runner's kernel execution to numpy_toy_kernel; returns a dict to configure it."""
    settings = {"fail_with": None, "calls": []}

    def fake_run_kernel(platform, case, specs, values, progress=None, functional_only=False):
        settings["calls"].append(
            {k: (v.copy() if hasattr(v, "copy") else v) for k, v in values.items()}
        )
        if progress:
            progress("fake_stage", 0)
        outputs = numpy_toy_kernel(values, fail_with=settings["fail_with"])
        stages = [
            {
                "name": "fake_stage",
                "tasks": 1,
                "launches": 1,
                "gm_read_bytes": 10,
                "gm_write_bytes": 20,
                "gm_transfers": 2,
                "gm_segments": 2,
                "scalar_reads": 0,
                "scalar_read_lines": 0,
                "cube_macs": 30,
                "vector_ops": 40,
                "cube_to_vector_bytes": 0,
                "vector_to_cube_bytes": 0,
                "modeled_us": 1.5,
                "bound": "task floor",
                "bound_share": 1.0,
            }
        ]
        traffic = {"gm_bytes": 30, "compulsory_bytes": 15, "ratio": 2.0}
        return KernelRun(outputs=outputs, wall_s=0.01, stages=stages, traffic=traffic)

    monkeypatch.setattr(runner, "run_kernel", fake_run_kernel)
    monkeypatch.setattr(runner, "ensure_available", lambda platform: None)
    return settings
