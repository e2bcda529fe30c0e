"""The CLI contract, in process: exit codes, one-line errors, JSON on stdout only.

Kernel execution goes to the NumPy stand-in platform (tests/harness/conftest.py) so these
check the CLI and harness; tests/cli/test_cli_end_to_end.py runs the real plsim path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_contract import STAGE_KEYS

from golden import platforms
from golden.cli import main


@pytest.fixture
def without_pypto(monkeypatch):
    """A machine without the real pypto, whatever this venv holds (detection reads files)."""
    real = platforms._package_dir
    monkeypatch.setattr(
        platforms, "_package_dir", lambda name: None if name == "pypto" else real(name)
    )


def _one_line_error(capsys, status, *fragments):
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert captured.out == ""
    return lines[0]


def test_json_pass_exit_0(numpy_platform, capsys):
    status = main(["toy.scale_matmul", "--json", "--batch", "2"])
    captured = capsys.readouterr()
    assert status == 0
    obj = json.loads(captured.out)  # exactly one JSON object and nothing else
    assert captured.out.count("\n") == 1
    assert obj["case"] == "toy.scale_matmul" and obj["platform"] == "plsim"
    assert obj["passed"] is True
    assert obj["config"]["batch"] == 2
    assert all(set(s) == STAGE_KEYS for s in obj["stages"])
    assert captured.err == ""  # no progress chatter with --json


def test_mismatch_exit_1(numpy_platform, capsys):
    status = main(["toy.scale_matmul_wrong_golden"])
    captured = capsys.readouterr()
    assert status == 1
    assert "FAIL  out" in captured.out and "RESULT: FAIL" in captured.out


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["no.such.case"], ["unknown case 'no.such.case'", "toy.scale_matmul"]),
        (["toy.scale_matmul", "-p", "gpu"], ["--platform", "'gpu'", "a2a3sim"]),
        (["toy.scale_matmul", "--preset", "HUGE"], ["--preset", "'HUGE'", "DEMO"]),
        (["toy.scale_matmul", "--batch", "99"], ["--batch", "99"]),
        (["toy.scale_matmul", "--start-pos", "4"], ["--start-pos"]),
        (["toy.scale_matmul", "--cache-format", "c8"], ["--cache-format"]),
        (["toy.scale_matmul", "--mixed"], ["--mixed"]),
        (["toy.scale_matmul", "--topk-only"], ["--topk-only"]),
        (["deepseek_v4.indexer_compressor", "--topk-only"], ["--topk-only:", "indexer only"]),
        (["deepseek_v4.indexer_prefill", "--topk-only"], ["--topk-only: a decode option"]),
        (["toy.scale_matmul", "--cache-format", "c4"], ["--cache-format", "c4"]),
        (["toy.scale_matmul", "--start-pos", "1,x"], ["--start-pos", "1,x"]),
        (["toy.scale_matmul", "--seed", "-3"], ["--seed", "-3"]),
        (["toy.scale_matmul", "--batch", "two"], ["--batch", "'two'"]),
        ([], ["case"]),
        (["toy.scale_matmul", "--save-data", "a", "--replay", "b"], ["cannot be combined"]),
    ],
)
def test_bad_usage_exit_2(numpy_platform, capsys, argv, fragments):
    _one_line_error(capsys, main(argv), *fragments)


def test_unwritable_save_dir_exit_2(numpy_platform, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--save-data", str(blocker / "d")]), "--save-data"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["file"]  # nothing partial left


def test_save_and_replay(numpy_platform, capsys, tmp_path):
    target = tmp_path / "saved"
    assert main(["toy.scale_matmul", "--seed", "7", "--save-data", str(target), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["saved_to"] == str(target)
    assert main(["toy.scale_matmul", "--replay", str(target), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["replayed_from"] == str(target)
    assert second["config"] == first["config"]
    assert second["outputs"] == first["outputs"]
    assert second["wall_s"]["golden"] is None


def test_replay_errors_exit_2(numpy_platform, capsys, tmp_path):
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--replay", str(tmp_path / "none")]), "--replay"
    )
    target = tmp_path / "saved"
    assert main(["toy.scale_matmul", "--save-data", str(target), "--json"]) == 0
    capsys.readouterr()
    (target / "inputs.npz").write_bytes(b"not a zip")
    _one_line_error(capsys, main(["toy.scale_matmul", "--replay", str(target)]), "corrupt")


def test_replay_with_conflicting_config_exit_2(numpy_platform, capsys, tmp_path):
    target = tmp_path / "saved"
    assert main(["toy.scale_matmul", "--save-data", str(target), "--json"]) == 0
    capsys.readouterr()
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--replay", str(target), "--seed", "1"]), "--seed"
    )


@pytest.mark.usefixtures("without_pypto")
def test_missing_toolchain_exit_2(capsys):
    line = _one_line_error(capsys, main(["toy.scale_matmul", "-p", "a2a3sim"]), "a2a3sim")
    assert "hw-native-sys/pypto" in line and "PTOAS" in line


@pytest.mark.usefixtures("without_pypto")
def test_device_platform_names_device_stack(capsys):
    line = _one_line_error(capsys, main(["toy.scale_matmul", "-p", "a5"]), "'a5'")
    assert "hw-native-sys/pypto" in line  # pypto is checked first; it is missing here


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--trace", "TRACE"], "--trace"),
        (["-p", "a2a3sim"], "'a2a3sim'"),
        (["--compile-only"], "--compile-only"),
    ],
)
def test_functional_only_refuses_what_needs_counts(numpy_platform, capsys, tmp_path, extra,
                                                   fragment):  # fmt: skip
    trace = tmp_path / "t.json"
    argv = ["toy.scale_matmul", "--functional-only", *[str(trace) if a == "TRACE" else a
                                                       for a in extra]]  # fmt: skip
    line = _one_line_error(capsys, main(argv), "--functional-only", fragment)
    assert numpy_platform["calls"] == [], line  # refused before any work
    assert not trace.exists()


def test_trace_requires_plsim(capsys, tmp_path):
    _one_line_error(
        capsys,
        main(["toy.scale_matmul", "-p", "a2a3sim", "--trace", str(tmp_path / "t.json")]),
        "--trace",
    )


def test_list(capsys, monkeypatch):
    from golden import registry

    monkeypatch.setattr(registry, "CASE_MODULES", ["golden.toy.case", "golden.missing.cases"])
    registry.reload()
    try:
        assert main(["--list"]) == 0
        captured = capsys.readouterr()
        assert "toy.scale_matmul " in captured.out
        assert "golden.missing.cases" in captured.err
        assert main(["--list", "--json"]) == 0
        listing = json.loads(capsys.readouterr().out)
        assert [c["name"] for c in listing["cases"]] == [
            "toy.scale_matmul",
            "toy.scale_matmul_wrong_golden",
        ]
        assert "golden.missing.cases" in listing["unavailable_modules"]
    finally:
        registry.reload()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_quiet_for_short_runs():
    import io

    from golden.run_progress import StderrProgress

    stream, clock = io.StringIO(), FakeClock()
    progress = StderrProgress(stream, grace_s=3, interval_s=1, clock=clock)
    for phase in ("inputs", "golden", "kernel"):
        clock.now += 0.5
        progress.phase(phase)
    progress("stage_a", 0)
    clock.now += 1.0
    progress.phase("compare")
    assert stream.getvalue() == ""  # 2.5 s in all: nothing printed


def test_progress_covers_every_phase_after_the_grace_period():
    import io

    from golden.run_progress import StderrProgress

    stream, clock = io.StringIO(), FakeClock()
    progress = StderrProgress(stream, grace_s=3, interval_s=2, clock=clock)
    progress.phase("inputs")
    clock.now = 4.0
    progress.phase("golden")
    clock.now = 10.0
    progress.phase("kernel")
    clock.now = 10.5
    progress("stage_a", 0)  # within the interval after the phase line: not printed
    clock.now = 13.0
    progress("stage_b", 7)
    progress("stage_b", 8)  # same instant: throttled
    clock.now = 14.0
    progress.phase("compare")
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[   4.0s] inputs done in 4.0 s; golden",
        "[  10.0s] golden done in 6.0 s; kernel",
        "[  13.0s] kernel: 3.0 s in this phase, stage stage_b task 7 (2 tasks run so far)",
        "[  14.0s] kernel done in 4.0 s; compare",
    ]


def test_progress_estimates_what_an_spmd_launch_has_left():
    """Inside a pl.spmd launch the line names the block and, from the blocks finished so far,
    the time the launch has left; a new launch (or a plain task) starts over."""
    import io

    from golden.run_progress import StderrProgress

    stream, clock = io.StringIO(), FakeClock()
    progress = StderrProgress(stream, grace_s=0, interval_s=1, clock=clock)
    progress.phase("kernel")
    clock.now = 20.0
    for i in range(5):  # five blocks of 100, one second each
        progress("score", i, block=(i, 100))
        clock.now += 1.0
    progress("score", 5, block=(5, 100))  # 5 finished in 5 s: 95 left, 95 s
    assert stream.getvalue().splitlines()[-1].endswith(
        "stage score task 5 (6 tasks run so far), block 6 of 100 (about 1m35s left in this launch)"
    )
    clock.now += 20.0
    progress("merge", 0, block=(0, 8))  # a new launch: no pace yet
    assert stream.getvalue().splitlines()[-1].endswith("block 1 of 8")
    clock.now += 20.0
    progress("epilogue", 0)  # not an SPMD block: no block part
    assert stream.getvalue().splitlines()[-1].endswith("stage epilogue task 0 (8 tasks run so far)")


def test_plsim_hands_the_block_to_a_callback_that_takes_it():
    """plsim.run calls a progress callback with a ``block`` parameter with (index, count) of
    each pl.spmd block (the two-argument form is unchanged)."""
    import numpy as np

    import plsim

    module = plsim.load(Path(__file__).parent / "fixtures" / "spmd_blocks.py")
    x = np.arange(4 * 16, dtype=np.float32).reshape(4, 16)
    for kernel in (module.copy_rows, module.add_rows):
        seen: list = []
        plain: list = []

        def with_block(stage, task, block=None, seen=seen):
            seen.append(block)

        def two_arguments(stage, task, plain=plain):
            plain.append(task)

        plsim.run(kernel, x, np.zeros_like(x), progress=with_block)
        plsim.run(kernel, x, np.zeros_like(x), progress=two_arguments)
        assert sorted(seen) == [(i, 4) for i in range(4)] and len(plain) == 4


def test_progress_heartbeat_thread_reports_silent_phases():
    import io
    import time

    from golden.run_progress import StderrProgress

    stream = io.StringIO()
    with StderrProgress(stream, grace_s=0, interval_s=0.05) as progress:
        progress.phase("golden")
        time.sleep(0.3)  # the golden reports nothing itself
    assert "golden: " in stream.getvalue() and "s in this phase" in stream.getvalue()


def test_trace_never_overwrites_without_force(numpy_platform, capsys, tmp_path):
    precious = tmp_path / "README.md"
    precious.write_text("keep me")
    _one_line_error(
        capsys, main(["toy.scale_matmul", "--trace", str(precious)]), "--trace", "--force"
    )
    assert precious.read_text() == "keep me"


def test_trace_into_an_unwritable_place_is_refused_before_running(numpy_platform, capsys):
    import os

    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc")
    _one_line_error(capsys, main(["toy.scale_matmul", "--trace", "/proc/t.json"]), "--trace")


def test_save_creates_a_missing_parent_and_needs_force_to_replace(numpy_platform, capsys, tmp_path):
    save = tmp_path / "out" / "idx"
    assert main(["toy.scale_matmul", "--save-data", str(save)]) == 0
    capsys.readouterr()
    assert (save / "manifest.json").is_file()
    assert main(["toy.scale_matmul", "--save-data", str(save)]) == 2  # never silently replaced
    assert "--force" in capsys.readouterr().err
    assert main(["toy.scale_matmul", "--save-data", str(save), "--force"]) == 0


def test_run_too_big_for_memory_is_refused_before_any_data(monkeypatch, capsys):
    from golden import memory, registry

    case = registry.get_case("deepseek_v4.indexer")

    def never(config):
        raise AssertionError("make_specs must not run")

    monkeypatch.setattr(case, "make_specs", never)
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * 2**30)
    line = _one_line_error(
        capsys,
        main(["deepseek_v4.indexer", "--preset", "PRO", "--batch", "64", "--max-seq-len",
              "1048576"]),
        "needs about", "GiB", "2.00 GiB this machine has available", "--max-seq-len",
    )  # fmt: skip
    assert "4.34 GiB of parameters" in line  # + block table (2 MiB), spare blocks and slots


def test_prefill_too_big_for_memory_is_refused_before_any_data(monkeypatch, capsys):
    """The prefill cases size memory from their shapes too, and name their own options."""
    from golden import memory, registry

    case = registry.get_case("deepseek_v4.indexer_prefill")

    def never(config):
        raise AssertionError("make_specs must not run")

    monkeypatch.setattr(case, "make_specs", never)
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * 2**30)
    line = _one_line_error(
        capsys,
        main(["deepseek_v4.indexer_prefill", "--preset", "PRO", "--prompt-lens", "8192",
              "--prefix-lens", "1000000", "--max-seq-len", "1009664"]),
        "needs about", "2.00 GiB this machine has available",
        "choose a smaller --prompt-lens or --max-seq-len",
    )  # fmt: skip
    assert "--batch" not in line


@pytest.mark.parametrize(
    "argv",
    [
        ["--batch", "2", "--start-pos", "-1,4000"],  # a list led by the padded value
        ["--start-pos", "-1"],  # every request padded
        ["--batch", "3", "--start-pos", "0,-1,4000"],  # README's form
    ],
)
def test_padded_start_positions_work_as_documented(capsys, argv):
    assert main(["deepseek_v4.indexer_compressor", "--json", *argv]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert str(config["start_pos"]).split(",")[0] == argv[-1].split(",")[0]


def test_topk_only_run_saves_and_replays_without_a_score_output(capsys, tmp_path):
    """--topk-only runs the serving entry point on plsim: no score output is compared or
    reported, the golden's scores are kept (for the tie-aware top-k check) and replayed."""
    save = tmp_path / "step"
    argv = ["deepseek_v4.indexer", "--topk-only", "--batch", "2", "--mixed", "--json"]
    assert main([*argv, "--save-data", str(save)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["config"]["topk_only"] is True
    assert "score" not in first["outputs"] and first["outputs"]["topk_idxs"]["passed"]
    assert first["quality"]["score_rel_l2_vs_float"] is None
    assert main(["deepseek_v4.indexer", "--replay", str(save), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert set(replayed["outputs"]) == set(first["outputs"])
