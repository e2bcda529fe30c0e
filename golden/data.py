"""Save a case's inputs, golden outputs and configuration; load them back for a replay.

Directory layout (written atomically: a temporary sibling directory renamed into place):

- ``manifest.json``: format tag and version, case name, and per array its file, key, shape,
  dtype name and sha256 of the raw bytes; scalars with dtype and value; and (version 2) a
  checksum of every field a replay uses, config.json's included (golden/save_checksums.py), so
  an edited field is refused by name as a damaged save. Version 1 saves (before checksums)
  still replay: their arrays are checked by sha256 and their scalars against the case.
- ``config.json``: the resolved CaseConfig.
- ``inputs.npz``: every tensor parameter's initial value (in/out state included).
- ``golden.npz``: the golden value of every output.

Arrays are stored as raw bits (BF16 viewed as uint16) with the dtype name in the manifest,
because ``np.save`` cannot describe ml_dtypes types portably.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from golden import interrupts, save_checksums
from golden.case import CaseConfig
from golden.output_paths import OutputPathError, same_or_inside, writable_parent
from golden.spec import ScalarSpec, TensorSpec, numpy_dtype

FORMAT = "golden-case-data"
VERSION = 2
#: Versions a replay reads: 1 (no field checksums) and 2.
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
CONFIG = "config.json"
INPUTS = "inputs.npz"
GOLDEN = "golden.npz"


class DataError(ValueError):
    """A save directory cannot be written, or a replay directory is missing/corrupt/mismatched."""


@dataclass
class SavedData:
    """What a replay needs: the case name, its configuration, inputs and golden outputs."""

    case: str
    config: CaseConfig
    inputs: dict[str, Any]
    golden: dict[str, np.ndarray]
    #: False for a version-1 save: its configuration and scalars carry no checksum.
    checksummed: bool = True


def _dtype_name(dtype: np.dtype) -> str:
    from golden.spec import DTYPES

    for name, candidate in DTYPES.items():
        if candidate == dtype:
            return name
    raise DataError(f"cannot save arrays of dtype {dtype}; supported: {sorted(DTYPES)}")


def _raw(array: np.ndarray) -> np.ndarray:
    """The array's bytes as unsigned integers of the same width (portable through npz)."""
    array = np.ascontiguousarray(array)
    if array.dtype == np.bool_:
        return array.view(np.uint8)
    return array.view(np.dtype(f"u{array.dtype.itemsize}"))


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _describe(key: str, array: np.ndarray, file: str) -> dict[str, Any]:
    return {
        "file": file,
        "key": key,
        "shape": list(array.shape),
        "dtype": _dtype_name(array.dtype),
        "sha256": _sha256(array),
    }


def check_writable(directory: str | os.PathLike, *, force: bool = False) -> Path:
    """Raise DataError unless ``directory`` can be created, or replaced by a save.

    A missing parent directory is fine if its own parent exists (the save creates it); the
    place it goes is tried for writing. An existing non-empty directory is replaced only if it
    is a previous save (has a manifest) and ``force`` is set, so neither a mistyped path nor a
    repeated command loses data silently. The current directory and its ancestors are never a
    target: a save replaces its directory by renaming, which they cannot be.
    """
    target = Path(directory)
    if target.name in ("", ".", "..") or same_or_inside(Path.cwd(), target):
        raise DataError(
            f"--save-data: {str(target)!r} is the current directory or one of its parents, "
            "which a save cannot replace; name a new directory (e.g. out/idx)"
        )
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise DataError(f"--save-data: {str(target)!r} exists and is not a directory")
        if any(target.iterdir()):
            if not (target / MANIFEST).is_file():
                raise DataError(
                    f"--save-data: {str(target)!r} is a non-empty directory that is not a "
                    "previous save; choose a new or empty directory"
                )
            if not force:
                raise DataError(
                    f"--save-data: {str(target)!r} already holds a save; add --force to "
                    "replace it or choose a new directory"
                )
    try:
        writable_parent("--save-data", target)
    except OutputPathError as exc:
        raise DataError(str(exc)) from None
    return target


def _umask_mode(mode: int) -> int:
    """``mode`` as the process umask would leave it (mkdtemp/mkstemp use owner-only modes)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def save(
    directory: str | os.PathLike,
    case_name: str,
    config: CaseConfig,
    specs: Sequence[TensorSpec | ScalarSpec],
    inputs: Mapping[str, Any],
    golden: Mapping[str, np.ndarray],
    *,
    force: bool = False,
) -> Path:
    """Write inputs, golden outputs and configuration to ``directory`` atomically.

    Creates a missing parent directory (one level). Raises DataError when the directory cannot be
    written, or holds a save and ``force`` is not set; nothing partial is left behind.
    """
    target = check_writable(directory, force=force)
    try:
        target.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise DataError(f"--save-data: cannot create {str(target.parent)!r}: {exc}") from None
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "case": case_name,
        "inputs": {},
        "golden": {},
        "scalars": {},
    }
    input_arrays: dict[str, np.ndarray] = {}
    for spec in specs:
        value = inputs[spec.name]
        if isinstance(spec, ScalarSpec):
            manifest["scalars"][spec.name] = {"dtype": spec.dtype, "value": value}
        else:
            manifest["inputs"][spec.name] = _describe(spec.name, value, INPUTS)
            input_arrays[spec.name] = _raw(value)
    golden_arrays: dict[str, np.ndarray] = {}
    for name, value in golden.items():
        manifest["golden"][name] = _describe(name, value, GOLDEN)
        golden_arrays[name] = _raw(value)
    config_fields = dataclasses.asdict(config)
    manifest["checksums"] = save_checksums.checksums(manifest, config_fields)

    # The staging folder is made with signals held and inside the try: a signal that came
    # while it was made is delivered as the `with` ends, where the cleanup below removes it.
    staging: Path | None = None
    try:
        with interrupts.deferred():
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        _write_npz(staging / INPUTS, input_arrays)
        _write_npz(staging / GOLDEN, golden_arrays)
        (staging / CONFIG).write_text(json.dumps(config_fields, indent=2) + "\n")
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        os.chmod(staging, _umask_mode(0o777))  # readable like any other file the user makes
        with interrupts.deferred():  # the old save and the new one: one of them, always whole
            _move_into_place(staging, target)
    except OSError as exc:
        if staging is None:
            raise DataError(
                f"--save-data: cannot write into {str(target.parent)!r}: {exc}"
            ) from None
        with interrupts.deferred():
            shutil.rmtree(staging, ignore_errors=True)
        raise DataError(f"--save-data: cannot write {str(target)!r}: {exc}") from None
    except BaseException:  # Ctrl-C, SIGTERM (golden.interrupts): no half-written folder left
        if staging is not None:
            with interrupts.deferred():
                shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an uncompressed .npz archive (what np.savez writes, read back by
    np.load), closing the archive however the write ends. np.savez leaves its ZipFile open when
    Ctrl-C or SIGTERM interrupts it mid-member, and that object's __del__ then prints "Exception
    ignored in: ZipFile.__del__" at exit, after the one-line interrupt message."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an existing save is moved aside first and removed
    after, so a failure never leaves a half-replaced directory."""
    if not target.exists():
        os.rename(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    try:
        os.rename(target, retired / "data")
        os.rename(staging, target)
    except OSError:
        if not target.exists() and (retired / "data").exists():
            os.rename(retired / "data", target)  # put the old save back
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"--replay: {str(path.parent)!r} has no {what} ({path.name})") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"--replay: {path} is not readable JSON: {exc}") from None


def _open_archive(path: Path, directory: Path, file: str) -> Any:
    """The opened .npz archive; DataError if it is missing, not a zip archive, or damaged."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise DataError(f"--replay: {str(directory)!r} is missing {file}") from None
    except OSError as exc:
        raise DataError(f"--replay: {path} cannot be read: {exc}") from None
    if magic != b"PK\x03\x04":  # never let np.load fall back to pickle files
        raise DataError(f"--replay: {path} is corrupt: not an .npz archive")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # zipfile raises its own errors on a damaged archive
        raise DataError(f"--replay: {path} is corrupt or truncated ({exc})") from None


def _load_arrays(directory: Path, entries: Mapping[str, Any], file: str) -> dict[str, np.ndarray]:
    path = directory / file
    archive = _open_archive(path, directory, file)
    arrays: dict[str, np.ndarray] = {}
    with archive:
        for name, entry in entries.items():
            try:
                dtype = numpy_dtype(entry["dtype"])
                shape = tuple(int(d) for d in entry["shape"])
                raw = archive[entry["key"]]
            except (KeyError, TypeError) as exc:
                raise DataError(f"--replay: {path}: entry {name!r} is unreadable: {exc}") from None
            except ValueError:  # object arrays (pickles) and bad headers: never loaded
                raise DataError(
                    f"--replay: {path}: entry {name!r} is not a saved numeric array"
                ) from None
            except Exception as exc:  # zipfile raises its own errors on a damaged archive
                raise DataError(
                    f"--replay: {path}: entry {name!r} is corrupt or truncated: {exc}"
                ) from None
            if raw.shape != shape or raw.dtype.itemsize != dtype.itemsize:
                raise DataError(
                    f"--replay: {path}: {name!r} has shape {raw.shape} / {raw.dtype}, manifest "
                    f"says {shape} / {entry['dtype']}"
                )
            array = np.ascontiguousarray(raw).view(dtype).copy()
            if _sha256(array) != entry.get("sha256"):
                raise DataError(f"--replay: {path}: {name!r} does not match its sha256")
            arrays[name] = array
    return arrays


def _damaged(root: Path, reason: str) -> DataError:
    return DataError(f"--replay: damaged save {str(root)!r}: {reason}; make a new save")


def _check_structure(root: Path, manifest: dict, raw_config: Any) -> None:
    """DataError naming the field of a manifest or config.json that has the wrong shape."""
    if not isinstance(raw_config, dict):
        raise _damaged(root, f"config.json is a {type(raw_config).__name__}, not an object")
    if not isinstance(manifest.get("case"), str):
        raise _damaged(root, "manifest.json field 'case' is missing or not a string")
    for section in save_checksums.SECTIONS:
        entries = manifest.get(section)
        if not isinstance(entries, dict):
            kind = "missing" if entries is None else f"a {type(entries).__name__}"
            raise _damaged(root, f"manifest.json field {section!r} is {kind}, not an object")
        for name, entry in entries.items():
            needs = ("value",) if section == "scalars" else ("key", "shape", "dtype", "sha256")
            if not isinstance(entry, dict) or any(k not in entry for k in needs):
                raise _damaged(
                    root, f"manifest.json field '{section}.{name}' lacks one of {list(needs)}"
                )


def load(directory: str | os.PathLike) -> SavedData:
    """Read a directory written by :func:`save`; DataError says what is missing or corrupt,
    and names the field of a damaged save (one whose field does not match its checksum)."""
    root = Path(directory)
    if not root.exists():
        raise DataError(f"--replay: {str(root)!r} does not exist")
    if not root.is_dir():
        raise DataError(f"--replay: {str(root)!r} is a file, not a save directory")
    manifest = _read_json(root / MANIFEST, "manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"--replay: {root / MANIFEST} is not a {FORMAT} manifest")
    version = manifest.get("version")
    if version not in READABLE_VERSIONS:
        raise DataError(
            f"--replay: {root} has format version {version!r}, this harness reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}"
        )
    raw_config = _read_json(root / CONFIG, "configuration")
    _check_structure(root, manifest, raw_config)
    if version >= 2:
        try:
            save_checksums.verify(manifest, raw_config)
        except save_checksums.DamagedSave as exc:
            raise _damaged(root, str(exc)) from None
    try:
        config = CaseConfig(**raw_config)
    except TypeError as exc:
        raise DataError(f"--replay: {root / CONFIG} is not a case configuration: {exc}") from None
    inputs: dict[str, Any] = _load_arrays(root, manifest["inputs"], INPUTS)
    golden = _load_arrays(root, manifest["golden"], GOLDEN)
    for name, entry in manifest["scalars"].items():
        inputs[name] = entry["value"]
    return SavedData(
        case=manifest["case"], config=config, inputs=inputs, golden=golden,
        checksummed=version >= 2,
    )  # fmt: skip


def check_matches(
    saved: SavedData,
    specs: Sequence[TensorSpec | ScalarSpec],
) -> None:
    """Raise DataError unless the saved data has exactly the parameters ``specs`` describe."""
    for spec in specs:
        if spec.name not in saved.inputs:
            raise DataError(f"--replay: saved data has no parameter {spec.name!r}")
        value = saved.inputs[spec.name]
        if isinstance(spec, TensorSpec):
            if not isinstance(value, np.ndarray):
                raise DataError(f"--replay: saved {spec.name!r} is a scalar, the case has a tensor")
            expected = (tuple(spec.shape), numpy_dtype(spec.dtype))
            if (value.shape, value.dtype) != expected:
                raise DataError(
                    f"--replay: saved {spec.name!r} is {value.shape} {value.dtype}, the case "
                    f"expects {expected[0]} {expected[1]}"
                )
            if spec.is_output and spec.name not in saved.golden:
                raise DataError(f"--replay: saved data has no golden for output {spec.name!r}")
        elif isinstance(value, np.ndarray):
            raise DataError(f"--replay: saved {spec.name!r} is a tensor, the case has a scalar")
        elif value != spec.value:
            # The kernel would run with the saved value against a golden of the case's: a
            # damaged (version 1 saves have no checksum) or outdated save.
            raise DataError(
                f"--replay: saved scalar {spec.name!r} is {value!r}, the case gives "
                f"{spec.value!r} for the saved configuration (a damaged or outdated save); "
                "make a new save"
            )
    extra = set(saved.inputs) - {s.name for s in specs}
    if extra:
        raise DataError(f"--replay: saved data has parameters the case lacks: {sorted(extra)}")
