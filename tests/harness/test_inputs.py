"""Specs -> seeded inputs: determinism, initializer kinds, validation."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from golden.inputs import CaseDefinitionError, build_inputs, copy_values, describe_nan_input
from golden.spec import ScalarSpec, TensorSpec


def _specs():
    return [
        TensorSpec("a", (4, 8), "bfloat16", init=lambda rng: rng.standard_normal((4, 8))),
        TensorSpec("b", (3,), "int8", init=lambda rng: rng.integers(-128, 128, size=3)),
        TensorSpec("c", (2, 2), "float32", init=1.5),
        TensorSpec("d", (2,), "int32", init=np.array([7, -7])),
        TensorSpec("out", (2, 2), "float32", is_output=True),
        ScalarSpec("flag", "bool", True),
        ScalarSpec("pos", "int32", 17),
    ]


def test_same_seed_bit_identical_other_seed_differs():
    first = build_inputs(_specs(), seed=3)
    second = build_inputs(_specs(), seed=3)
    for name in ("a", "b", "c", "d", "out"):
        assert first[name].tobytes() == second[name].tobytes()
        assert first[name].dtype == second[name].dtype
    other = build_inputs(_specs(), seed=4)
    assert first["a"].tobytes() != other["a"].tobytes()


def test_initializer_kinds():
    values = build_inputs(_specs(), seed=0)
    assert values["a"].dtype == np.dtype(ml_dtypes.bfloat16)
    assert values["b"].dtype == np.int8
    assert np.all(values["c"] == 1.5)
    assert values["d"].tolist() == [7, -7]
    assert np.all(values["out"] == 0)
    assert values["flag"] is True
    assert values["pos"] == 17 and isinstance(values["pos"], int)


def test_copies_are_independent():
    values = build_inputs(_specs(), seed=0)
    copy = copy_values(values)
    copy["c"][0, 0] = 99
    assert values["c"][0, 0] == 1.5


@pytest.mark.parametrize(
    "spec, fragment",
    [
        (TensorSpec("a", (2, 2), "float32", init=lambda rng: np.zeros((3, 2))), "shape"),
        (TensorSpec("a", (2, 0), "float32"), "positive"),
        (TensorSpec("a", (2,), "float8"), "unknown dtype"),
        (ScalarSpec("s", "int8", 200), "outside int8"),
        (ScalarSpec("s", "int32", 1.5), "integer"),
        (ScalarSpec("s", "bool", 1), "bool"),
    ],
)
def test_bad_specs_are_named(spec, fragment):
    with pytest.raises(CaseDefinitionError, match=fragment):
        build_inputs([spec], seed=0)


def test_duplicate_names_rejected():
    with pytest.raises(CaseDefinitionError, match="twice"):
        build_inputs([TensorSpec("a", (1,), "int8"), ScalarSpec("a", "int8", 1)], seed=0)


def test_describe_nan_input_names_tensor_count_and_first_index():
    values = build_inputs(_specs(), seed=3)
    assert describe_nan_input(values) is None
    values["a"][1, 2] = np.nan
    values["a"][3, 0] = np.nan
    message = describe_nan_input(values)
    assert message is not None
    assert "'a'" in message and "2 NaN values" in message and "[1, 2]" in message
    assert "must not contain NaN" in message


def test_describe_nan_input_allows_infinities_and_ignores_integers():
    values = build_inputs(_specs(), seed=3)
    values["c"][0, 0] = -np.inf
    values["a"][0, 0] = np.inf
    assert describe_nan_input(values) is None
    values["c"][1, 1] = np.nan
    message = describe_nan_input(values)
    assert message is not None and "'c'" in message and "1 NaN value " in message
