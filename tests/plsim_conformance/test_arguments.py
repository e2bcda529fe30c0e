"""plsim.run rejects bad arguments with an ArgumentError naming the parameter, the value
received and what is allowed; NaN in data is data and passes."""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load

import plsim

K = load("argument_kernels.py")


def _args(**override):
    args = {
        "x": np.ones((8, 32), np.float32),
        "y": np.full((8, 32), 2.0, np.float32),
        "state": np.zeros((8, 32), np.float32),
        "out": np.zeros((8, 32), np.float32),
        "count": 3,
        "gain": 0.5,
        "flag": True,
    }
    args.update(override)
    return args


def _run(**override):
    return plsim.run(K.every_kind, *_args(**override).values())


def test_good_arguments_run():
    args = _args()
    plsim.run(K.every_kind, *args.values())
    assert np.all(args["out"] == 5.5) and np.all(args["state"] == 2.5)


def test_nan_in_data_is_allowed():
    x = np.ones((8, 32), np.float32)
    x[0, 0] = np.nan
    args = _args(x=x)
    plsim.run(K.every_kind, *args.values())
    assert np.isnan(args["out"][0, 0]) and np.all(args["out"].flat[1:] == 5.5)


def test_wrong_number_of_arguments():
    with pytest.raises(plsim.ArgumentError, match=r"takes 7: \(x, y, state, out, count"):
        plsim.run(K.every_kind, *list(_args().values())[:-1])
    with pytest.raises(plsim.ArgumentError, match="got 8 positional"):
        plsim.run(K.every_kind, *_args().values(), 1)


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ({"x": np.ones((8, 16), np.float32)}, ["'x'", "[8, 16]", "['N', 32]"]),
        ({"state": np.zeros((4, 32), np.float32)}, ["'state'", "[4, 32]", "[8, 32]"]),
        ({"x": np.ones((8, 32), np.float64)}, ["'x'", "float64", "FP32"]),
        ({"x": np.ones((8, 32), np.int32)}, ["'x'", "int32", "FP32"]),
        ({"x": [[1.0] * 32] * 8}, ["'x'", "list", "NumPy array"]),
        ({"y": np.ones((32, 8), np.float32).T}, ["'y'", "non-C-contiguous", "strides"]),
        ({"y": np.ones((9, 32), np.float32)}, ["'y'", "dynamic dim N = 9", "'x'", "8"]),
        ({"count": 2.0}, ["'count'", "float 2.0", "Python int"]),
        ({"count": 2**31}, ["'count'", "2147483648", "INT32 range"]),
        ({"count": -(2**31) - 1}, ["'count'", "INT32 range"]),
        ({"count": True}, ["'count'", "bool True"]),
        ({"count": np.float32(1.0)}, ["'count'", "float 1.0"]),
        ({"gain": "0.5"}, ["'gain'", "str '0.5'", "float or int"]),
        ({"gain": 1e39}, ["'gain'", "1e+39", "finite FP32 range"]),
        ({"flag": 1}, ["'flag'", "int 1", "True or False"]),
    ],
)
def test_bad_argument_names_parameter_value_and_allowed(override, fragments):
    with pytest.raises(plsim.ArgumentError) as info:
        _run(**override)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("name", ["state", "out"])
def test_read_only_arrays_for_written_parameters(name):
    array = np.zeros((8, 32), np.float32)
    array.flags.writeable = False
    with pytest.raises(plsim.ArgumentError, match=f"'{name}': got a read-only array"):
        _run(**{name: array})


def test_read_only_input_is_fine():
    x = np.ones((8, 32), np.float32)
    x.flags.writeable = False
    _run(x=x)


def test_output_aliasing_an_input_is_rejected():
    shared = np.zeros((8, 32), np.float32)
    with pytest.raises(plsim.ArgumentError, match=r"'out'.*shares memory with argument 'y'"):
        _run(y=shared, out=shared)


def test_numpy_integer_scalar_is_accepted():
    args = _args(count=np.int64(4))
    plsim.run(K.every_kind, *args.values())
    assert np.all(args["out"] == 6.5)


@pytest.mark.parametrize(
    ("name", "spelling"), [("x", "pl.Tensor"), ("state", "pl.InOut"), ("out", "pl.Out")]
)
def test_messages_spell_the_parameter_direction_as_the_dsl_does(name, spelling):
    with pytest.raises(plsim.ArgumentError) as info:
        _run(**{name: [[0.0] * 32] * 8})
    assert f"this {spelling} parameter" in str(info.value), str(info.value)
    assert "Inout" not in str(info.value)
