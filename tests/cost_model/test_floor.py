"""The kernel's floor on the chip, by hand from the constants the issue states for Atlas A2:
HBM 1.6 TB/s; 24 cube cores x 8192 INT8 MAC/cycle x 1.8 GHz."""

from __future__ import annotations

import dataclasses

import pytest

from plsim.accounting import StageStats, Traffic, kernel_floor
from plsim.hardware import A2A3

INT8_PEAK_MACS = 24 * 8192 * 1.8e9  # 353.9e12 MAC/s = 707.8 TOPS


def test_a_gm_bound_floor():
    macs = 10**9
    stages = [StageStats("s", tasks=1, cube_macs=macs, cube_macs_by_dtype={"INT8": macs})]
    floor = kernel_floor(stages, Traffic(gm_bytes=90_000_000, compulsory_bytes=48_000_000), A2A3)
    assert floor["gm_floor_us"] == pytest.approx(30.0)  # 48 MB / 1.6 TB/s
    assert floor["cube_floor_us"] == pytest.approx(macs / INT8_PEAK_MACS * 1e6)
    assert floor["floor_us"] == pytest.approx(30.0) and floor["bound"] == "GM"


def test_a_cube_bound_floor_counts_each_dtype_at_its_rate():
    int8, bf16 = 10**12, 10**11
    stages = [
        StageStats("a", cube_macs=int8, cube_macs_by_dtype={"INT8": int8}),
        StageStats("b", cube_macs=bf16, cube_macs_by_dtype={"BF16": bf16}),
    ]
    floor = kernel_floor(stages, Traffic(gm_bytes=16, compulsory_bytes=16), A2A3)
    expected = (int8 / INT8_PEAK_MACS + bf16 / (INT8_PEAK_MACS / 2)) * 1e6
    assert floor["cube_floor_us"] == pytest.approx(expected) and floor["bound"] == "cube"


def test_the_floor_uses_no_fitted_constant():
    stages = [StageStats("s", tasks=3, cube_macs=7, cube_macs_by_dtype={"INT8": 7})]
    traffic = Traffic(gm_bytes=1000, compulsory_bytes=800)
    other = dataclasses.replace(A2A3, core_dma_bytes_per_s=1e9, task_dispatch_us=0.0,
                                stage_dispatch_us=9.0, vector_elems_per_cycle=8)  # fmt: skip
    assert kernel_floor(stages, traffic, A2A3) == kernel_floor(stages, traffic, other)
