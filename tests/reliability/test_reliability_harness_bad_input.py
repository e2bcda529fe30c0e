"""Bad input through the harness (golden.runner, ConfigError/DataError) and the CLI (exit 2).

One test per row of issue 6's list, for both model cases: wrong shape, wrong dtype,
non-contiguous / read-only arrays, a scalar out of range, NaN in weights, a start position past
the cache, tokens per step above the maximum, an unknown preset. Messages must name the
argument, the value received and what is allowed; the CLI must exit 2 with one stderr line and
no traceback, and print nothing on stdout.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from reliability_support import REPO_ROOT

from golden import registry, save_checksums
from golden.case import CaseConfig, ConfigError
from golden.data import DataError
from golden.inputs import CaseDefinitionError, build_inputs
from golden.runner import replay_case, run_case
from golden.spec import ScalarSpec, TensorSpec

CASES = ["deepseek_v4.indexer", "deepseek_v4.indexer_compressor"]
COMPRESSOR = "deepseek_v4.indexer_compressor"
# A quick compressor configuration whose step closes a window (positions 6, 7).
SMALL = {"batch": 1, "seq": 2, "start_pos": 6, "max_seq_len": 64}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/run.py", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_usage_error(result: subprocess.CompletedProcess, *must_mention: str) -> None:
    """Exit 2, nothing on stdout, exactly one stderr line naming everything in must_mention."""
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr)
    assert result.stdout == "", result.stdout[:500]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in must_mention:
        assert text in lines[0], (text, lines[0])


# ------------------------------------------------------------------ configuration rows
# (CaseConfig fields, CLI flags, text the message must contain: argument, value, allowed)
CONFIG_ROWS = {
    "unknown_preset": ({"preset": "NANO"}, ["--preset", "NANO"], ["--preset", "NANO", "DEMO"]),
    "tokens_above_max": ({"seq": 5}, ["--seq", "5"], ["--seq", "5", "1..4"]),
    "tokens_zero": ({"seq": 0}, ["--seq", "0"], ["--seq", "0", "1..4"]),
    "start_past_cache": (
        {"start_pos": 4096},
        ["--start-pos", "4096"],
        ["--start-pos", "4096", "0..4095"],
    ),
    "start_past_cache_multi_token": (
        {"start_pos": 4095, "seq": 2},
        ["--start-pos", "4095", "--seq", "2"],
        ["--start-pos", "4095", "0..4094"],
    ),
    "negative_start": ({"start_pos": -2}, ["--start-pos", "-2"], ["--start-pos", "-2", "0..4095"]),
    "scalar_beyond_int32": (
        {"start_pos": 2**40},
        ["--start-pos", str(2**40)],
        ["--start-pos", str(2**40), "0..4095"],
    ),
    "batch_zero": ({"batch": 0}, ["--batch", "0"], ["--batch", "0", "1..128"]),
    "batch_too_big": ({"batch": 129}, ["--batch", "129"], ["--batch", "129", "1..128"]),
    "start_list_length": (
        {"start_pos": "3,7", "batch": 3},
        ["--start-pos", "3,7", "--batch", "3"],
        ["--start-pos", "2 positions", "batch 3"],
    ),
    "start_list_entry_past_cache": (
        {"start_pos": "3,4095", "batch": 2, "seq": 2},
        ["--start-pos", "3,4095", "--batch", "2", "--seq", "2"],
        ["--start-pos", "request 1", "4095"],
    ),
    "block_size_not_multiple_of_16": (
        {"block_size": 40},
        ["--block-size", "40"],
        ["--block-size", "40", "16..1024"],
    ),
    "mixed_with_positions": (
        {"mixed": True, "start_pos": 5},
        ["--mixed", "--start-pos", "5"],
        ["--start-pos", "mixed"],
    ),
    "max_seq_len_beyond_preset": (
        {"max_seq_len": 8192},
        ["--max-seq-len", "8192"],
        ["--max-seq-len", "8192", "4096"],
    ),
    "negative_seed": ({"seed": -3}, ["--seed", "-3"], ["--seed", "-3", ">= 0"]),
}


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("row", sorted(CONFIG_ROWS))
def test_bad_configuration_raises_config_error_from_the_harness(case_name, row):
    fields, _, must_mention = CONFIG_ROWS[row]
    with pytest.raises(ConfigError) as err:
        run_case(registry.get_case(case_name), CaseConfig(**fields))
    for text in must_mention:
        assert text in str(err.value), (text, str(err.value))


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize(
    "row",
    [
        "unknown_preset",
        "tokens_above_max",
        "start_past_cache",
        "scalar_beyond_int32",
        "start_list_length",
        "block_size_not_multiple_of_16",
        "mixed_with_positions",
    ],
)
def test_bad_configuration_exits_2_from_the_cli(case_name, row):
    _, flags, must_mention = CONFIG_ROWS[row]
    assert_usage_error(cli(case_name, *flags), *must_mention)


@pytest.mark.parametrize(
    "flags,must_mention",
    [
        (["deepseek_v4.nope"], ["case", "deepseek_v4.nope", "deepseek_v4.indexer"]),
        ([COMPRESSOR, "-p", "nosuch"], ["platform", "nosuch", "plsim"]),
        ([COMPRESSOR, "--seq", "two"], ["--seq", "two", "int"]),
        ([COMPRESSOR, "--batch", "1.5"], ["--batch", "1.5", "int"]),
        ([COMPRESSOR, "--cache-format", "c4"], ["--cache-format", "c4", "c16"]),
        ([], ["case", "--list"]),
        ([COMPRESSOR, "--save-data", "/tmp/a", "--replay", "/tmp/b"], ["--save-data", "--replay"]),
        ([COMPRESSOR, "--replay", "/nonexistent/replay"], ["--replay", "/nonexistent/replay"]),
        ([COMPRESSOR, "--trace", "/nonexistent/dir/t.json"], ["--trace", "/nonexistent"]),
    ],
    ids=[
        "unknown_case",
        "unknown_platform",
        "non_integer_seq",
        "non_integer_batch",
        "unknown_cache_format",
        "no_case",
        "save_and_replay",
        "missing_replay_dir",
        "unwritable_trace",
    ],
)
def test_cli_usage_errors(flags, must_mention):
    assert_usage_error(cli(*flags), *must_mention)


def test_cli_unwritable_save_dir_leaves_nothing_behind(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    target = blocker / "save"
    assert_usage_error(
        cli(COMPRESSOR, *_small_flags(), "--save-data", str(target)), "--save-data", "file"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def _small_flags() -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]


# ------------------------------------------------------------------ saved data (replay) rows
@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A compressor save directory (inputs, golden, config) of the SMALL configuration."""
    directory = tmp_path_factory.mktemp("replay") / "save"
    report = run_case(registry.get_case(COMPRESSOR), CaseConfig(**SMALL), save_dir=directory)
    assert report.passed
    return directory


def _tampered_copy(saved: Path, tmp_path: Path, name: str, change) -> Path:
    """Copy of ``saved`` whose input ``name`` is rewritten by ``change(array, entry)``, with a
    consistent manifest (sha256, shape, dtype, field checksums), as a tool rewriting the data
    would produce: what the replay's own checks (not the checksums) must catch."""
    target = tmp_path / "tampered"
    target.mkdir()
    for item in saved.iterdir():
        (target / item.name).write_bytes(item.read_bytes())
    manifest = json.loads((target / "manifest.json").read_text())
    entry = manifest["inputs"][name]
    arrays = dict(np.load(target / "inputs.npz"))
    raw = change(arrays[entry["key"]].copy(), entry)
    arrays[entry["key"]] = raw
    np.savez(target / "inputs.npz", **arrays)
    entry["shape"] = list(raw.shape)
    entry["sha256"] = hashlib.sha256(np.ascontiguousarray(raw).tobytes()).hexdigest()
    config = json.loads((target / "config.json").read_text())
    manifest["checksums"] = save_checksums.checksums(manifest, config)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_replay_of_untouched_data_passes(saved):
    assert replay_case(registry.get_case(COMPRESSOR), saved).passed


def test_replay_rejects_a_wrong_shape(saved, tmp_path):
    data = _tampered_copy(saved, tmp_path, "wkv", lambda raw, entry: raw[:, :128].copy())
    with pytest.raises(DataError) as err:
        replay_case(registry.get_case(COMPRESSOR), data)
    message = str(err.value)
    assert "'wkv'" in message and "(4096, 128)" in message and "(4096, 256)" in message
    assert_usage_error(cli(COMPRESSOR, "--replay", str(data)), "'wkv'", "(4096, 128)")


def test_replay_rejects_a_wrong_dtype(saved, tmp_path):
    def as_float16(raw, entry):
        entry["dtype"] = "float16"  # same bytes, declared as FP16 instead of BF16
        return raw

    data = _tampered_copy(saved, tmp_path, "norm_weight", as_float16)
    with pytest.raises(DataError) as err:
        replay_case(registry.get_case(COMPRESSOR), data)
    message = str(err.value)
    assert "'norm_weight'" in message and "float16" in message and "bfloat16" in message
    assert_usage_error(cli(COMPRESSOR, "--replay", str(data)), "'norm_weight'", "float16")


def test_replay_rejects_a_scalar_out_of_range(saved, tmp_path):
    data = tmp_path / "scalar"
    data.mkdir()
    for item in saved.iterdir():
        (data / item.name).write_bytes(item.read_bytes())
    config = json.loads((data / "config.json").read_text())
    config["start_pos"] = 2**40
    (data / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError) as err:
        replay_case(registry.get_case(COMPRESSOR), data)
    assert "start_pos" in str(err.value) and str(2**40) in str(err.value)
    assert_usage_error(cli(COMPRESSOR, "--replay", str(data)), "start_pos", str(2**40))


def _copy(saved: Path, target: Path) -> Path:
    target.mkdir()
    for item in saved.iterdir():
        (target / item.name).write_bytes(item.read_bytes())
    return target


def _edit_json(path: Path, edit) -> None:
    value = json.loads(path.read_text())
    edit(value)
    path.write_text(json.dumps(value))


def _set(mapping_path, value):
    def edit(obj):
        for key in mapping_path[:-1]:
            obj = obj[key]
        obj[mapping_path[-1]] = value

    return edit


INDEXER, TOY = "deepseek_v4.indexer", "toy.scale_matmul"

# A hand-edited save (no checksum recomputed): one class of failure, refused by name. The
# scalar rows edit the toy case's save (row_tiles); the indexers take no scalar.
DAMAGE = {
    "scalar_value": (TOY, "manifest.json", _set(["scalars", "row_tiles", "value"], 3),
                     "manifest.json field 'scalars.row_tiles' (now"),
    "array_entry": (INDEXER, "manifest.json", _set(["inputs", "wkv", "sha256"], "0" * 64),
                    "manifest.json field 'inputs.wkv' does not match"),
    "config_field": (INDEXER, "config.json", _set(["cache_format"], "c8"),
                     "config.json field 'cache_format' (now \"c8\")"),
    "case_name": (INDEXER, "manifest.json", _set(["case"], "deepseek_v4.indexer_compressor"),
                  "manifest.json field 'case'"),
    "section_type": (INDEXER, "manifest.json", _set(["scalars"], []),
                     "manifest.json field 'scalars' is a list, not an object"),
    "removed_scalar": (TOY, "manifest.json", _set(["scalars"], {}),
                       "manifest.json field 'scalars.row_tiles' is missing"),
}  # fmt: skip


@pytest.fixture(scope="module")
def saves(tmp_path_factory) -> dict[str, Path]:
    """A save of a small indexer step and one of the toy case (it has a scalar, row_tiles)."""
    found = {}
    for name, config in ((INDEXER, CaseConfig(batch=1, start_pos=64, max_seq_len=2048)),
                         (TOY, CaseConfig())):  # fmt: skip
        directory = tmp_path_factory.mktemp("replay") / "save"
        assert run_case(registry.get_case(name), config, save_dir=directory).passed
        found[name] = directory
    return found


@pytest.mark.parametrize("row", sorted(DAMAGE))
def test_a_hand_edited_save_is_refused_as_damaged_naming_the_field(saves, tmp_path, row):
    case, file, edit, fragment = DAMAGE[row]
    data = _copy(saves[case], tmp_path / "edited")
    _edit_json(data / file, edit)
    with pytest.raises(DataError) as err:
        replay_case(registry.get_case(case), data)
    assert "--replay: damaged save" in str(err.value) and fragment in str(err.value)
    if row == "scalar_value":  # and through the command line: exit 2, one line
        assert_usage_error(cli(case, "--replay", str(data)), "damaged save", fragment)


def _as_scalar_offset_save(directory: Path, value: int) -> None:
    """Rewrite an indexer save as one made while the top-k offset was the scalar ``offset``
    (no topk_offset array; ``scalars.offset``), its checksums recomputed as that harness
    wrote them."""
    manifest = json.loads((directory / "manifest.json").read_text())
    config = json.loads((directory / "config.json").read_text())
    del manifest["inputs"]["topk_offset"]
    manifest["scalars"]["offset"] = {"dtype": "int32", "value": value}
    manifest["checksums"] = save_checksums.checksums(manifest, config)
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_a_save_from_before_the_offset_was_data_replays(saves, tmp_path):
    """Its one offset is given to every top-k row; the saved golden was computed with it."""
    data = _copy(saves[INDEXER], tmp_path / "old")
    _as_scalar_offset_save(data, 128)
    assert replay_case(registry.get_case(INDEXER), data).passed
    result = cli(INDEXER, "--replay", str(data))
    assert result.returncode == 0, result.stderr


def test_a_scalar_offset_save_with_another_value_fails_its_top_k(saves, tmp_path):
    """The upgrade uses the saved value (64), not today's default: the golden (made with 128)
    then disagrees with every index, so the replay runs and fails on topk_idxs."""
    data = _copy(saves[INDEXER], tmp_path / "old64")
    _as_scalar_offset_save(data, 64)
    report = replay_case(registry.get_case(INDEXER), data)
    assert not report.passed
    assert [name for name, verdict in report.outputs.items() if not verdict.passed] == ["topk_idxs"]


FIXTURES = Path(__file__).resolve().parents[1] / "harness" / "fixtures"


def test_a_save_from_before_the_checksums_still_replays_and_its_scalars_are_checked(tmp_path):
    """save_v1_toy was written by the harness before field checksums (format version 1)."""
    result = cli("toy.scale_matmul", "--replay", str(FIXTURES / "save_v1_toy"))
    assert result.returncode == 0, result.stderr
    assert "note: a version-1 save" in result.stdout
    data = _copy(FIXTURES / "save_v1_toy", tmp_path / "old")
    _edit_json(data / "manifest.json", _set(["scalars", "row_tiles", "value"], 3))
    assert_usage_error(
        cli("toy.scale_matmul", "--replay", str(data)), "saved scalar 'row_tiles' is 3",
        "the case gives 2",
    )  # fmt: skip


def _with_nan(raw, entry):
    raw.view(np.uint16)[0, :5] = 0x7FC0  # BF16 quiet NaN bits
    return raw


def test_replay_rejects_nan_in_weights(saved, tmp_path):
    data = _tampered_copy(saved, tmp_path, "wkv", _with_nan)
    assert_usage_error(cli(COMPRESSOR, "--replay", str(data)), "'wkv'", "NaN")
    with pytest.raises(DataError) as err:
        replay_case(registry.get_case(COMPRESSOR), data)
    assert "'wkv'" in str(err.value) and "NaN" in str(err.value)


def test_run_case_rejects_nan_in_spec_inputs():
    case = registry.get_case(COMPRESSOR)
    make_specs = case.make_specs

    def specs_with_nan(config):
        specs = list(make_specs(config))
        for i, spec in enumerate(specs):
            if spec.name == "wgate":
                weights = np.array(spec.init, copy=True)
                weights[3, 7] = np.nan
                specs[i] = TensorSpec(spec.name, spec.shape, spec.dtype, init=weights)
        return specs

    bad_case = type(case)(**{**case.__dict__, "make_specs": specs_with_nan})
    with pytest.raises((CaseDefinitionError, ConfigError)) as err:
        run_case(bad_case, CaseConfig(**SMALL))
    assert "'wgate'" in str(err.value) and "NaN" in str(err.value)


# ------------------------------------------------------------------ arrays given to the harness
def test_non_contiguous_and_read_only_initial_arrays_are_copied_to_fresh_c_arrays():
    """The harness owns the arrays it hands to a kernel: a strided or read-only initializer is
    copied into a writable C-contiguous array (so plsim's layout checks never see it)."""
    base = np.arange(64, dtype=np.float32).reshape(8, 8)
    strided = base[:, ::2]
    read_only = np.ones((4, 4), ml_dtypes.bfloat16)
    read_only.setflags(write=False)
    values = build_inputs(
        [
            TensorSpec("strided", (8, 4), "float32", init=strided),
            TensorSpec("frozen", (4, 4), "bfloat16", init=read_only, is_output=True),
        ],
        seed=0,
    )
    for name in ("strided", "frozen"):
        assert values[name].flags.c_contiguous and values[name].flags.writeable
    assert np.array_equal(values["strided"], strided)
    assert not np.shares_memory(values["frozen"], read_only)


def test_scalar_spec_out_of_range_is_a_case_definition_error():
    with pytest.raises(CaseDefinitionError) as err:
        build_inputs([ScalarSpec("start_pos", "int32", 2**31)], seed=0)
    message = str(err.value)
    assert "'start_pos'" in message and "2147483648" in message and "2147483647" in message


def test_initializer_of_the_wrong_shape_is_a_case_definition_error():
    with pytest.raises(CaseDefinitionError) as err:
        build_inputs([TensorSpec("x", (4, 8), "float32", init=np.zeros((4, 7)))], seed=0)
    assert "'x'" in str(err.value) and "(4, 7)" in str(err.value) and "(4, 8)" in str(err.value)
