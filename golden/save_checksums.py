"""Checksums over every field of a save that a replay uses, so an edited save is refused by name.

The arrays already carry their sha256 in the manifest; this covers the rest: the case name,
every configuration field (config.json), every array's entry (file, key, shape, dtype and that
sha256) and every scalar. Each field gets its own checksum, so a refusal names the field that
changed, not just "the save". A checksum is not a signature: it finds damage and hand edits,
not someone who recomputes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Manifest sections whose entries a replay reads, one field per entry.
SECTIONS: tuple[str, ...] = ("inputs", "golden", "scalars")


class DamagedSave(ValueError):  # noqa: N818 (reads as what the save is)
    """A field of a save does not match its checksum; the message names it."""


def covered_fields(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """``{field path: value}`` of everything a replay uses: ``case``, ``config.<name>``,
    ``inputs.<name>``, ``golden.<name>``, ``scalars.<name>``."""
    fields: dict[str, Any] = {"case": manifest.get("case")}
    fields.update({f"config.{k}": v for k, v in config.items()})
    for section in SECTIONS:
        entries = manifest.get(section)
        if isinstance(entries, Mapping):
            fields.update({f"{section}.{name}": entry for name, entry in entries.items()})
    return fields


def checksum(value: Any) -> str:
    """sha256 of the value's canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def checksums(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """The ``checksums`` object a save's manifest stores."""
    return {path: checksum(value) for path, value in covered_fields(manifest, config).items()}


def _where(path: str) -> str:
    return f"config.json field {path.split('.', 1)[1]!r}" if path.startswith("config.") else (
        f"manifest.json field {path!r}"
    )


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def verify(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """DamagedSave naming the first field that is missing, added or changed since the save."""
    stored = manifest.get("checksums")
    if not isinstance(stored, Mapping):
        raise DamagedSave("manifest.json field 'checksums' is missing or not an object")
    fields = covered_fields(manifest, config)
    for path in stored:
        if path not in fields:
            raise DamagedSave(f"{_where(path)} is missing (the save's checksums cover it)")
    for path, value in fields.items():
        if path not in stored:
            raise DamagedSave(f"{_where(path)} was added after the save (no checksum covers it)")
        if checksum(value) != stored[path]:
            shown = "" if path.split(".")[0] in ("inputs", "golden") else f" (now {_shown(value)})"
            raise DamagedSave(
                f"{_where(path)}{shown} does not match the save's checksum: edited or corrupt"
            )
