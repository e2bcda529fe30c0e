"""The stand-in for ``pypto.ir.distributed_compiled_program`` while a kernel file is loaded.

pypto-lib files import ``DistributedConfig`` from there to pass ``device_ids`` to ``run_jit``;
under plsim the rank count of a ``@pl.jit.host`` run is ``len(device_ids)``. The other fields
configure the device runtime (worker processes, AICPU threads) and have no effect in plsim.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DistributedConfig:
    """device_ids: one distinct non-negative id per rank; the remaining fields are accepted."""

    device_ids: list[int] = field(default_factory=lambda: [0])
    num_sub_workers: int = 0
    runtime: str = "tensormap_and_ringbuffer"
    aicpu_thread_num: int = 0

    def __post_init__(self) -> None:
        ids = list(self.device_ids)
        if not ids:
            raise ValueError("DistributedConfig.device_ids: expected at least one device id")
        if any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in ids):
            raise ValueError(
                f"DistributedConfig.device_ids: expected non-negative ints, got {self.device_ids}"
            )
        if len(set(ids)) != len(ids):
            raise ValueError(
                f"DistributedConfig.device_ids: expected distinct ids, got {self.device_ids}"
            )
        if self.num_sub_workers < 0:
            raise ValueError(
                f"DistributedConfig.num_sub_workers: expected >= 0, got {self.num_sub_workers}"
            )

    @property
    def world_size(self) -> int:
        """The rank count of the run."""
        return len(self.device_ids)
