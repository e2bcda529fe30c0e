"""The report JSON contract the CLI tests check, written out here (not imported from golden)
so that a key dropped or renamed in the harness fails the tests."""

from __future__ import annotations

TOP_KEYS = {
    "case",
    "platform",
    "config",
    "passed",
    "outputs",
    "stages",
    "modeled_us",
    "floor",
    "traffic",
    "counted",
    "wall_s",
    "quality",
    "error",
    "replayed_from",
    "saved_to",
}
STAGE_KEYS = {
    "name",
    "tasks",
    "launches",
    "gm_read_bytes",
    "gm_write_bytes",
    "gm_transfers",
    "gm_segments",
    "scalar_reads",
    "scalar_read_lines",
    "cube_macs",
    "vector_ops",
    "cube_to_vector_bytes",
    "vector_to_cube_bytes",
    "modeled_us",
    "bound",
    "bound_share",
}
FLOOR_KEYS = {"floor_us", "gm_floor_us", "cube_floor_us", "bound", "modeled_over_floor"}
