"""Runner and reports on the toy case, with kernel execution routed to a NumPy stand-in
(see conftest.numpy_platform) so these tests check the harness, not plsim."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from report_contract import STAGE_KEYS, TOP_KEYS

from golden import data, runner, save_checksums
from golden.case import CaseConfig, ConfigError
from golden.inputs import CaseDefinitionError
from golden.report import dumps, render_text, to_json
from golden.toy import case as toy


def test_pass_report_and_json(numpy_platform):
    report = runner.run_case(toy.SCALE_MATMUL, CaseConfig(batch=2), "plsim")
    assert report.passed, {n: v.message for n, v in report.outputs.items()}
    obj = json.loads(dumps(report))
    assert set(obj) == TOP_KEYS
    assert obj["config"] == dataclasses.asdict(CaseConfig(batch=2))
    assert set(obj["outputs"]) == {"out", "out_bf16"}
    for verdict in obj["outputs"].values():
        assert verdict["passed"] is True
        assert "error_distribution" in verdict  # every float output gets one
    assert [set(s) for s in obj["stages"]] == [STAGE_KEYS]
    assert set(obj["traffic"]) == {"gm_bytes", "compulsory_bytes", "ratio"}
    assert list(obj["wall_s"]) == ["inputs", "golden", "kernel", "compare", "total"]
    phases = [obj["wall_s"][k] for k in ("inputs", "golden", "kernel", "compare")]
    assert all(t is not None and t >= 0 for t in phases)
    assert sum(phases) <= obj["wall_s"]["total"] + 1e-6
    assert obj["quality"]["rel_l2_vs_float64"] < 1e-6
    text = render_text(report)
    for fragment in ("PASS  out", "fake_stage", "traffic: GM", "wall: inputs", "RESULT: PASS"):
        assert fragment in text


def test_kernel_and_golden_get_their_own_copies(numpy_platform):
    runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "plsim")
    kernel_args = numpy_platform["calls"][0]
    expected = toy.make_specs(toy.resolve_config(CaseConfig()))
    from golden.inputs import build_inputs

    fresh = build_inputs(expected, 0)
    assert kernel_args["x"].tobytes() == fresh["x"].tobytes()
    assert np.all(kernel_args["out"] == 0)  # the golden did not write into the kernel's array


def test_wrong_golden_fails(numpy_platform):
    report = runner.run_case(toy.SCALE_MATMUL_WRONG_GOLDEN, CaseConfig(), "plsim")
    assert not report.passed
    assert not report.outputs["out"].passed
    assert "RESULT: FAIL" in render_text(report)
    assert to_json(report)["passed"] is False


def test_kernel_error_gives_failed_report(numpy_platform):
    numpy_platform["fail_with"] = "OutOfBoundsError: toy_kernel.py:30 in scope 'matmul'"
    report = runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "plsim")
    assert not report.passed
    assert "OutOfBoundsError" in report.error
    assert to_json(report)["error"].startswith("OutOfBoundsError")


def test_same_seed_same_result(numpy_platform):
    a = runner.run_case(toy.SCALE_MATMUL, CaseConfig(seed=5), "plsim")
    b = runner.run_case(toy.SCALE_MATMUL, CaseConfig(seed=5), "plsim")
    assert to_json(a)["outputs"] == to_json(b)["outputs"]


@pytest.mark.parametrize(
    "config, fragment",
    [
        (CaseConfig(preset="FLASH"), "--preset"),
        (CaseConfig(batch=0), "--batch"),
        (CaseConfig(seq=9), "--seq"),
        (CaseConfig(start_pos=3), "--start-pos"),
        (CaseConfig(max_seq_len=64), "--max-seq-len"),
        (CaseConfig(seed=-1), "--seed"),
    ],
)
def test_bad_config(numpy_platform, config, fragment):
    with pytest.raises(ConfigError, match=fragment):
        runner.run_case(toy.SCALE_MATMUL, config, "plsim")


def test_unknown_platform():
    with pytest.raises(ConfigError, match="--platform"):
        runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "tpu")


def test_save_then_replay(numpy_platform, tmp_path):
    first = runner.run_case(toy.SCALE_MATMUL, CaseConfig(seed=2), "plsim", save_dir=tmp_path / "d")
    assert first.saved_to
    replayed = runner.replay_case(toy.SCALE_MATMUL, tmp_path / "d", "plsim")
    assert replayed.passed
    assert replayed.wall_s["golden"] is None
    assert replayed.config == first.config
    # The kernel saw exactly the saved inputs.
    assert numpy_platform["calls"][1]["x"].tobytes() == numpy_platform["calls"][0]["x"].tobytes()
    assert to_json(replayed)["outputs"] == to_json(first)["outputs"]


def test_replay_against_a_different_case_or_config_is_refused(numpy_platform, tmp_path):
    runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "plsim", save_dir=tmp_path / "d")
    with pytest.raises(data.DataError, match=r"toy\.scale_matmul"):
        runner.replay_case(toy.SCALE_MATMUL_WRONG_GOLDEN, tmp_path / "d", "plsim")
    with pytest.raises(data.DataError, match="--batch"):
        runner.replay_case(toy.SCALE_MATMUL, tmp_path / "d", "plsim", explicit={"batch": 2})


def test_replay_detects_tampered_golden(numpy_platform, tmp_path):
    runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "plsim", save_dir=tmp_path / "d")
    golden = dict(np.load(tmp_path / "d" / data.GOLDEN))
    golden["out"] = golden["out"].copy()
    golden["out"][0, 0] ^= 1
    np.savez(tmp_path / "d" / data.GOLDEN, **golden)
    with pytest.raises(data.DataError, match="sha256"):
        runner.replay_case(toy.SCALE_MATMUL, tmp_path / "d", "plsim")


def _toy_with_nan_weight():
    def specs_with_nan(config):
        specs = list(toy.SCALE_MATMUL.make_specs(config))
        for i, spec in enumerate(specs):
            if spec.name == "w":
                weights = np.array(spec.init(np.random.default_rng(0)), copy=True)
                weights[5, 3] = np.nan
                specs[i] = dataclasses.replace(spec, init=weights)
        return specs

    return dataclasses.replace(toy.SCALE_MATMUL, make_specs=specs_with_nan)


def test_run_case_refuses_nan_in_inputs_before_running(numpy_platform):
    with pytest.raises(CaseDefinitionError) as err:
        runner.run_case(_toy_with_nan_weight(), CaseConfig(), "plsim")
    message = str(err.value)
    assert "'w'" in message and "1 NaN value" in message and "[5, 3]" in message
    assert "±inf is allowed" in message
    assert numpy_platform["calls"] == []  # refused before the kernel ran


def test_run_case_allows_infinite_inputs(numpy_platform):
    def specs_with_inf(config):
        specs = list(toy.SCALE_MATMUL.make_specs(config))
        weights = np.array(specs[1].init(np.random.default_rng(0)), copy=True)
        weights[0, 0] = -np.inf
        specs[1] = dataclasses.replace(specs[1], init=weights)
        return specs

    case = dataclasses.replace(toy.SCALE_MATMUL, make_specs=specs_with_inf)
    runner.run_case(case, CaseConfig(), "plsim")  # no refusal; the verdict is not the point
    assert len(numpy_platform["calls"]) == 1


def test_replay_refuses_saved_inputs_holding_nan(numpy_platform, tmp_path):
    runner.run_case(toy.SCALE_MATMUL, CaseConfig(), "plsim", save_dir=tmp_path / "d")
    inputs = dict(np.load(tmp_path / "d" / data.INPUTS))
    manifest = json.loads((tmp_path / "d" / data.MANIFEST).read_text())
    entry = manifest["inputs"]["x"]
    raw = inputs[entry["key"]].copy()
    raw[0, 1:4] = 0x7FC0  # BF16 quiet NaN bits
    inputs[entry["key"]] = raw
    entry["sha256"] = hashlib.sha256(raw.tobytes()).hexdigest()
    np.savez(tmp_path / "d" / data.INPUTS, **inputs)
    # Re-signed, as a tool rewriting the data would: the NaN check, not the checksum, must see it.
    config = json.loads((tmp_path / "d" / data.CONFIG).read_text())
    manifest["checksums"] = save_checksums.checksums(manifest, config)
    (tmp_path / "d" / data.MANIFEST).write_text(json.dumps(manifest))
    calls_before = len(numpy_platform["calls"])
    with pytest.raises(data.DataError) as err:
        runner.replay_case(toy.SCALE_MATMUL, tmp_path / "d", "plsim")
    message = str(err.value)
    assert "--replay" in message and "'x'" in message and "3 NaN values" in message
    assert "[0, 1]" in message
    assert len(numpy_platform["calls"]) == calls_before
