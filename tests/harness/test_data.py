"""Save / load of case data: bit-identical round trip, atomic writes, clear errors."""

from __future__ import annotations

import json

import ml_dtypes
import numpy as np
import pytest

from golden import data
from golden.case import CaseConfig
from golden.spec import ScalarSpec, TensorSpec

SPECS = [
    TensorSpec("x", (3, 4), "bfloat16"),
    TensorSpec("mask", (2,), "bool"),
    TensorSpec("state", (2, 2), "float32", init=1.0, is_output=True),
    TensorSpec("idx", (2, 3), "int32", is_output=True),
    ScalarSpec("start_pos", "int32", 5),
    ScalarSpec("rotate", "bool", False),
]


def _payload():
    rng = np.random.default_rng(1)
    inputs = {
        "x": rng.standard_normal((3, 4)).astype(ml_dtypes.bfloat16),
        "mask": np.array([True, False]),
        "state": rng.standard_normal((2, 2)).astype(np.float32),
        "idx": np.zeros((2, 3), np.int32),
        "start_pos": 5,
        "rotate": False,
    }
    inputs["x"][0, 0] = np.nan  # NaN payload bits must survive too
    golden = {
        "state": np.array([[-0.0, np.inf], [1e-45, -2.5]], dtype=np.float32),
        "idx": np.array([[1, -1, 2], [0, 3, -1]], dtype=np.int32),
    }
    return inputs, golden


CONFIG = CaseConfig(preset="DEMO", batch=2, seq=1, start_pos=5, max_seq_len=None, seed=9)


def _save(path, force=False):
    inputs, golden = _payload()
    data.save(path, "some.case", CONFIG, SPECS, inputs, golden, force=force)
    return inputs, golden


def test_round_trip_is_bit_identical(tmp_path):
    inputs, golden = _save(tmp_path / "saved")
    saved = data.load(tmp_path / "saved")
    assert saved.case == "some.case"
    assert saved.config == CONFIG
    for name in ("x", "mask", "state", "idx"):
        assert saved.inputs[name].dtype == inputs[name].dtype
        assert saved.inputs[name].tobytes() == inputs[name].tobytes()
    for name, value in golden.items():
        assert saved.golden[name].dtype == value.dtype
        assert saved.golden[name].tobytes() == value.tobytes()
    assert saved.inputs["start_pos"] == 5 and saved.inputs["rotate"] is False
    data.check_matches(saved, SPECS)
    manifest = json.loads((tmp_path / "saved" / data.MANIFEST).read_text())
    assert manifest["inputs"]["x"]["dtype"] == "bfloat16"
    assert len(manifest["golden"]["idx"]["sha256"]) == 64


def test_overwrites_a_previous_save_only_with_force(tmp_path):
    _save(tmp_path / "saved")
    before = (tmp_path / "saved" / "manifest.json").read_bytes()
    with pytest.raises(data.DataError, match="already holds a save; add --force"):
        _save(tmp_path / "saved")
    assert (tmp_path / "saved" / "manifest.json").read_bytes() == before
    _save(tmp_path / "saved", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]  # no temporaries left


def test_creates_a_missing_parent_with_usual_permissions(tmp_path):
    import os
    import stat

    with pytest.raises(data.DataError, match="only the last missing directory"):
        _save(tmp_path / "two" / "levels" / "saved")
    assert not (tmp_path / "two").exists()
    _save(tmp_path / "out" / "saved")
    saved = tmp_path / "out" / "saved"
    assert data.load(saved).case == "some.case"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o777 & ~umask


@pytest.mark.parametrize(
    "content, fragment",
    [(b"not a zip", "not an .npz archive"), (None, "corrupt or truncated")],
)
def test_damaged_archive_is_one_data_error(tmp_path, content, fragment):
    _save(tmp_path / "saved")
    archive = tmp_path / "saved" / "inputs.npz"
    whole = archive.read_bytes()
    archive.write_bytes(content if content is not None else whole[: len(whole) // 2])
    with pytest.raises(data.DataError, match=fragment) as info:
        data.load(tmp_path / "saved")
    assert "\n" not in str(info.value) and "allow_pickle" not in str(info.value)


def test_object_array_in_archive_is_refused_without_mentioning_pickle(tmp_path):
    _save(tmp_path / "saved")
    archive = tmp_path / "saved" / "golden.npz"
    import json

    manifest = json.loads((tmp_path / "saved" / "manifest.json").read_text())
    keys = {entry["key"] for entry in manifest["golden"].values()}
    np.savez(archive, **{key: np.array([object()], dtype=object) for key in keys})
    with pytest.raises(data.DataError, match="not a saved numeric array") as info:
        data.load(tmp_path / "saved")
    assert "allow_pickle" not in str(info.value)


def test_refuses_unrelated_nonempty_directory(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(data.DataError, match="not a previous save"):
        _save(target)
    assert (target / "notes.txt").read_text() == "keep me"


def test_unwritable_location_raises_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(data.DataError, match="--save-data"):
        _save(blocker / "sub")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_failure_midway_leaves_nothing_partial(tmp_path, monkeypatch):
    # The second archive (the golden arrays) fails to write.
    calls = {"n": 0}
    real_write = data._write_npz

    def failing_write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(data, "_write_npz", failing_write)
    with pytest.raises(data.DataError, match="disk full"):
        _save(tmp_path / "saved")
    assert list(tmp_path.iterdir()) == []


def test_corrupted_array_is_detected(tmp_path):
    _save(tmp_path / "saved")
    npz = tmp_path / "saved" / data.GOLDEN
    blob = bytearray(npz.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    npz.write_bytes(bytes(blob))
    with pytest.raises(data.DataError, match="--replay"):
        data.load(tmp_path / "saved")


def test_tampered_values_fail_the_checksum(tmp_path):
    _save(tmp_path / "saved")
    golden = dict(np.load(tmp_path / "saved" / data.GOLDEN))
    golden["idx"] = golden["idx"].copy()
    golden["idx"][0, 0] += 1
    np.savez(tmp_path / "saved" / data.GOLDEN, **golden)
    with pytest.raises(data.DataError, match="sha256"):
        data.load(tmp_path / "saved")


@pytest.mark.parametrize("missing", [data.MANIFEST, data.CONFIG, data.INPUTS, data.GOLDEN])
def test_missing_file(tmp_path, missing):
    _save(tmp_path / "saved")
    (tmp_path / "saved" / missing).unlink()
    with pytest.raises(data.DataError, match="--replay"):
        data.load(tmp_path / "saved")


def test_not_a_directory_and_wrong_format(tmp_path):
    with pytest.raises(data.DataError, match=r"'.*nothing' does not exist"):
        data.load(tmp_path / "nothing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(data.DataError, match="is a file, not a save directory"):
        data.load(tmp_path / "file")
    _save(tmp_path / "saved")
    (tmp_path / "saved" / data.MANIFEST).write_text('{"format": "other"}')
    with pytest.raises(data.DataError, match="manifest"):
        data.load(tmp_path / "saved")


def test_mismatched_specs(tmp_path):
    _save(tmp_path / "saved")
    saved = data.load(tmp_path / "saved")
    bigger = [TensorSpec("x", (4, 4), "bfloat16"), *SPECS[1:]]
    with pytest.raises(data.DataError, match="'x'"):
        data.check_matches(saved, bigger)
    with pytest.raises(data.DataError, match="lacks"):
        data.check_matches(saved, SPECS[:-1])
