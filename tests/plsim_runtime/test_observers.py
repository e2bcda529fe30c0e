"""Events and observers (plsim.events, plsim.observers) and the functional-only run: a custom
observer sees what the stage counter counts, a functional-only run gives the same outputs and
still refuses what a normal run refuses, and it has no counts to ask for."""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from plsim_fixtures import fixture_helpers
from support import load

import plsim
from plsim import observers
from plsim.counting import StageCounter

K = load("semantics_kernels.py")
C = load("checks_kernels.py")
R, COLS = 16, 64


def _accounting_args():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((32, 64)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((64, 128)).astype(ml_dtypes.bfloat16)
    bias = rng.standard_normal((32, 128)).astype(np.float32)
    return a, b, bias, np.zeros((32, 128), np.float32)


class Tally(plsim.Observer):
    """A counter written against the event interface only."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.finished = 0
        self.read_bytes = 0
        self.vector = 0
        self.macs: dict[str, int] = {}

    def scope_entered(self, scope, launch, early_resolve) -> None:
        self.entered.append(scope.name)

    def scope_finished(self, scope) -> None:
        self.finished += 1

    def transfer(self, scope, direction, nbytes, region, owner, compulsory) -> None:
        if scope is not None and direction == "read":
            self.read_bytes += nbytes

    def vector_ops(self, scope, count) -> None:
        self.vector += count

    def cube_macs(self, scope, macs, dtype) -> None:
        self.macs[dtype] = self.macs.get(dtype, 0) + macs


def test_a_custom_observer_receives_the_events_the_counter_counts():
    tally = Tally()
    run = plsim.run(K.accounting, *_accounting_args(), observers=[tally])
    (stage,) = run.stages
    assert tally.entered == ["mm", "mm"] and tally.finished == 2
    assert tally.read_bytes == stage.gm_read_bytes
    assert tally.vector == stage.vector_ops
    assert tally.macs == stage.cube_macs_by_dtype
    assert run.observer(Tally) is tally
    assert isinstance(run.observer(StageCounter), StageCounter)


def test_an_observer_overriding_nothing_is_called_for_nothing():
    class Silent(plsim.Observer):
        pass

    events = plsim.events.Events([Silent()])
    assert all(getattr(events, name) == [] for name in plsim.events.EVENTS)


def test_a_new_counter_is_one_class_in_measurement(monkeypatch):
    class Launches(plsim.Observer):
        def __init__(self) -> None:
            self.count = 0

        def scope_entered(self, scope, launch, early_resolve) -> None:
            self.count += int(launch)

    monkeypatch.setattr(observers, "MEASUREMENT", (*observers.MEASUREMENT, Launches))
    run = plsim.run(K.accounting, *_accounting_args())
    assert run.observer(Launches).count == run.stages[0].launches == 2
    functional = plsim.run(K.accounting, *_accounting_args(), functional_only=True)
    assert functional.observer(Launches) is None


def test_functional_only_gives_the_same_outputs_and_no_counts():
    normal_args, functional_args = _accounting_args(), _accounting_args()
    normal = plsim.run(K.accounting, *normal_args)
    functional = plsim.run(K.accounting, *functional_args, functional_only=True)
    assert normal_args[-1].tobytes() == functional_args[-1].tobytes()
    assert normal.counted and not functional.counted
    assert functional.stages is None and functional.traffic is None
    assert functional.observer(StageCounter) is None
    for ask in (lambda: functional.modeled_us, lambda: functional.floor, functional.trace):
        with pytest.raises(plsim.NotCountedError, match="functional-only"):
            ask()
    assert "functional-only" in repr(functional)


def test_functional_only_progress_still_numbers_the_tasks():
    calls = []
    plsim.run(K.accounting, *_accounting_args(), functional_only=True,
              progress=lambda s, i: calls.append((s, i)))  # fmt: skip
    assert calls == [("mm", 0), ("mm", 1)]


def _rows(n: int, cols: int = COLS) -> np.ndarray:
    return (np.arange(n * cols, dtype=np.float32).reshape(n, cols) % 7) - 3.0


@pytest.mark.parametrize(
    ("error", "kernel", "args"),
    [
        (plsim.OutOfBoundsError, "load_oob", lambda: (_rows(12), np.zeros((12, COLS), np.float32))),
        (plsim.RaceError, "parallel_overlap",
         lambda: (_rows(R), np.zeros((R + 4, COLS), np.float32))),
        (plsim.CapacityError, "ub_over_limit",
         lambda: (_rows(129, 184), _rows(129, 184), np.zeros((129, 184), np.float32))),
    ],
)  # fmt: skip
def test_functional_only_keeps_the_checks(error, kernel, args):
    for functional_only in (False, True):
        with pytest.raises(error):
            plsim.run(getattr(C, kernel), *args(), functional_only=functional_only)


def test_functional_only_host_run_matches_the_normal_one():
    load_window, _ = fixture_helpers(Path(__file__).parents[1] / "plsim_distributed" / "kernels")
    kernels = load_window("window_kernels.py")
    xs = np.random.default_rng(0).standard_normal((2, 1, 64)).astype(np.float32)
    normal_out, functional_out = np.zeros((2, 1, 64), np.float32), np.zeros((2, 1, 64), np.float32)
    normal = plsim.run(kernels.gather_sum, xs, normal_out, world_size=2)
    functional = plsim.run(kernels.gather_sum, xs, functional_out, world_size=2,
                           functional_only=True)  # fmt: skip
    assert normal_out.tobytes() == functional_out.tobytes()
    assert normal.counted and functional.stages is None


@pytest.mark.parametrize(
    ("options", "fragment"),
    [({"functional_only": "yes"}, "functional_only"), ({"observers": [object()]}, "observers")],
)
def test_bad_observer_options_are_argument_errors(options, fragment):
    with pytest.raises(plsim.ArgumentError, match=fragment):
        plsim.run(K.accounting, *_accounting_args(), **options)
