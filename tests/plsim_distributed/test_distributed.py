"""The distributed layer: window buffers shared by simulated ranks, notify/wait, remote
transfers, deadlock and out-of-bounds reports (plsim/distributed.py, plsim/ranks.py,
plsim/host.py). Expected values are computed here with NumPy from the inputs."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from plsim_fixtures import fixture_helpers

import plsim
from plsim.distributed_config import DistributedConfig

load, marked_line = fixture_helpers(Path(__file__).with_name("kernels"))
N = 64


@pytest.fixture(scope="module")
def kernels():
    return load("window_kernels.py")


def _inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    xs = np.random.default_rng(seed).standard_normal((2, 1, N)).astype(np.float32)
    return xs, np.zeros((2, 1, N), np.float32)


def test_every_rank_sums_the_rows_its_peers_put(kernels):
    xs, ys = _inputs()
    run = plsim.run(kernels.gather_sum, xs, ys, world_size=2)
    expected = xs[0, 0] + xs[1, 0]  # FP32 addition in the kernel's order (row 0 + row 1)
    assert np.array_equal(ys[0, 0], expected) and np.array_equal(ys[1, 0], expected)
    by_name = {s.name: s for s in run.stages}
    assert sorted(by_name) == ["r0.gather_sum_step", "r1.gather_sum_step"]
    for stage in by_name.values():
        # one [1, 64] FP32 put to the other rank; the put to itself is local
        assert stage.remote_write_bytes == N * 4 and stage.remote_read_bytes == 0
        assert stage.gm_write_bytes >= N * 4 * 2 + N * 4  # two puts and the output row


def test_remote_store_and_set_notify_reach_the_next_rank(kernels):
    xs, ys = _inputs(1)
    plsim.run(kernels.ring_store, xs, ys, world_size=2)
    assert np.array_equal(ys[1, 0], 2 * xs[0, 0]) and np.array_equal(ys[0, 0], 2 * xs[1, 0])


def test_a_wait_no_rank_can_release_is_a_deadlock_naming_each_rank(kernels):
    xs, ys = _inputs()
    before = threading.active_count()
    with pytest.raises(plsim.DeadlockError) as info:
        plsim.run(kernels.never_notified, xs, ys, world_size=2)
    text = str(info.value)
    line = marked_line("window_kernels.py", "never")
    for rank in (0, 1):
        assert f"rank {rank}: " in text
        assert f"offsets [{rank}, 0] for Ge 1, the cell holds 0" in text
    assert line in text and "'flags_buf'" in text
    assert threading.active_count() == before  # no rank thread left behind


def test_remote_load_past_the_window_names_the_peer_and_line(kernels):
    _, ys = _inputs()
    with pytest.raises(plsim.OutOfBoundsError) as info:
        plsim.run(kernels.remote_load_past_end, ys, world_size=2)
    text = str(info.value)
    assert marked_line("window_kernels.py", "past") in text
    assert "rank 1's window 'rows_buf' [2, 64]" in text and "offset 2 + extent 1" in text


def test_run_time_row_past_the_window_is_caught_and_a_valid_row_reads_zeros(kernels):
    _, ys = _inputs()
    with pytest.raises(plsim.OutOfBoundsError, match="outside dimension 0 of size 2"):
        plsim.run(kernels.remote_load_row_past_end, ys, np.full((2, 1), 2, np.int32),
                  world_size=2)  # fmt: skip
    ys[:] = 5.0
    plsim.run(kernels.remote_load_row_past_end, ys, np.ones((2, 1), np.int32), world_size=2)
    assert not ys.any()  # window buffers start zero-filled and no rank wrote row 1


def test_a_weight_every_rank_reads_does_not_order_the_ranks(kernels):
    # If shared inputs ordered launches, rank 1 would wait for rank 0, which waits for rank 1.
    xs, ys = _inputs(3)
    w = np.random.default_rng(4).standard_normal((1, N)).astype(np.float32)
    plsim.run(kernels.gather_scaled, xs, w, ys, world_size=2)
    expected = (xs[0, 0] + xs[1, 0]) * w[0]
    assert np.array_equal(ys[0, 0], expected) and np.array_equal(ys[1, 0], expected)


def test_a_launch_waits_for_the_other_rank_that_writes_its_input(kernels):
    xs, ys = _inputs(5)
    mids = np.zeros_like(xs)
    plsim.run(kernels.two_phase, xs, mids, ys, world_size=2)
    np.testing.assert_array_equal(mids, xs * 2)
    np.testing.assert_array_equal(ys[0], xs[1] * 2 + 1)  # rank 0 read rank 1's phase-1 row
    np.testing.assert_array_equal(ys[1], xs[0] * 2 + 1)


def test_notify_outside_a_scope_is_rejected_like_the_compiler(kernels):
    xs, ys = _inputs()
    with pytest.raises(plsim.DSLError, match="references undefined function") as info:
        plsim.run(kernels.notify_in_orchestration, xs, ys, world_size=2)
    assert marked_line("window_kernels.py", "orch") in str(info.value)


def test_host_function_needs_a_rank_count(kernels):
    xs, ys = _inputs()
    with pytest.raises(plsim.ArgumentError, match="world_size"):
        plsim.run(kernels.gather_sum, xs, ys)
    with pytest.raises(plsim.ArgumentError, match="world_size"):
        plsim.run(kernels.gather_sum, xs, ys, world_size=0)


def test_window_parameter_without_a_host_is_refused(kernels):
    x = np.zeros((1, N), np.float32)
    with pytest.raises(plsim.ArgumentError, match=r"pld\.DistributedTensor parameter"):
        plsim.run(kernels.gather_sum_chip, x, x.copy(), np.zeros((2, N), np.float32),
                  np.zeros((2, 1), np.int32), 0)  # fmt: skip


def test_distributed_config_stand_in_checks_device_ids():
    assert DistributedConfig(device_ids=[0, 1], num_sub_workers=0).world_size == 2
    for bad in ([], [0, 0], [-1]):
        with pytest.raises(ValueError, match="device_ids"):
            DistributedConfig(device_ids=bad)


def test_kernels_list_their_parameter_names_like_pypto(kernels):
    assert kernels.gather_sum._param_names() == ["xs", "ys"]
    assert kernels.gather_sum_chip._param_names() == ["x", "y", "rows", "flags", "me"]
