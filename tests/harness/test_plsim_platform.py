"""The plsim platform path with real plsim: a kernel error becomes a failed report, never a
crash or a fabricated pass; arguments plsim rejects become a configuration error."""

from __future__ import annotations

import dataclasses

import pytest

from golden import runner
from golden.case import CaseConfig, ConfigError
from golden.report import render_text, to_json
from golden.spec import ScalarSpec
from golden.toy import case as toy

# The toy kernel with the row tile read 8 rows past its window: the last tile overruns x.
OVERRUN_KERNEL = toy.KERNEL_FILE.read_text().replace(
    "x_tile = x[r0 : r0 + ROW_TILE, 0:K_DIM]", "x_tile = x[r0 + 8 : r0 + 8 + ROW_TILE, 0:K_DIM]"
)


def test_kernel_error_is_a_failed_report_naming_the_line(tmp_path):
    assert "r0 + 8" in OVERRUN_KERNEL
    kernel = tmp_path / "overrun_kernel.py"
    kernel.write_text(OVERRUN_KERNEL)
    case = dataclasses.replace(toy.SCALE_MATMUL, name="toy.overrun", kernel_file=kernel)
    report = runner.run_case(case, CaseConfig(), "plsim")
    assert not report.passed
    assert report.error and "OutOfBoundsError" in report.error
    assert "overrun_kernel.py" in report.error
    assert report.outputs == {}
    assert "KERNEL ERROR" in render_text(report)
    assert to_json(report)["passed"] is False


def test_arguments_plsim_rejects_are_a_config_error():
    def bad_specs(config):
        specs = toy.make_specs(config)
        return [s for s in specs if not isinstance(s, ScalarSpec)]  # drop row_tiles

    case = dataclasses.replace(toy.SCALE_MATMUL, name="toy.missing_arg", make_specs=bad_specs)
    with pytest.raises(ConfigError, match="plsim"):
        runner.run_case(case, CaseConfig(), "plsim")


def test_same_seed_bit_identical_outputs_on_plsim():
    first = runner.run_case(toy.SCALE_MATMUL, CaseConfig(seed=11, batch=3), "plsim")
    second = runner.run_case(toy.SCALE_MATMUL, CaseConfig(seed=11, batch=3), "plsim")
    other = runner.run_case(toy.SCALE_MATMUL, CaseConfig(seed=12, batch=3), "plsim")
    for name in ("out", "out_bf16"):
        assert first.actual_outputs[name].tobytes() == second.actual_outputs[name].tobytes()
        assert first.expected_outputs[name].tobytes() == second.expected_outputs[name].tobytes()
        assert first.actual_outputs[name].tobytes() != other.actual_outputs[name].tobytes()
    assert to_json(first)["stages"] == to_json(second)["stages"]


def test_functional_only_same_outputs_as_a_normal_run():
    config = CaseConfig(batch=2)
    normal = runner.run_case(toy.SCALE_MATMUL, config)
    functional = runner.run_case(toy.SCALE_MATMUL, config, functional_only=True)
    assert normal.passed and functional.passed
    for name, array in normal.actual_outputs.items():
        assert functional.actual_outputs[name].tobytes() == array.tobytes()
    assert functional.stages is None and functional.trace is None
    assert to_json(functional)["counted"] is False and to_json(normal)["counted"] is True
    assert "counts: not collected" in render_text(functional)


def test_functional_only_is_plsim_only():
    with pytest.raises(ConfigError, match="--functional-only"):
        runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "a2a3sim", functional_only=True)
