"""Bad input to ``plsim.load`` / ``plsim.run``: one clear ArgumentError per mistake.

Each message must name the argument, the value received and what is allowed. The last tests
pass bad arrays to the real compressor kernel (bare ``pl.Tensor`` parameters, so plsim cannot
check shapes at the call) and require a plsim error with the kernel's file:line, never a bare
NumPy exception.
"""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import plsim
from golden.case import CaseConfig
from models.deepseek_v4.cases import decode_compressor as compressor_case
from models.deepseek_v4.cases import decode_indexer as indexer_case

KERNELS = Path(__file__).parent / "kernels"
M, N = 8, 32


@pytest.fixture(scope="module")
def kernel():
    return plsim.load(KERNELS / "declared_kernels.py").scale_rows


def good_args() -> dict:
    return {
        "x": np.ones((M, N), np.float32),
        "weight": np.ones((1, N), ml_dtypes.bfloat16),
        "state": np.zeros((M, N), np.float32),
        "out": np.zeros((M, N), np.float32),
        "start_pos": 3,
        "rotate": True,
    }


def run_with(kernel, **changes):
    args = good_args()
    args.update(changes)
    return plsim.run(kernel, *args.values())


def test_good_arguments_run(kernel):
    args = good_args()
    plsim.run(kernel, *args.values())
    assert np.array_equal(args["out"], np.ones((M, N), np.float32))
    assert np.array_equal(args["state"], np.ones((M, N), np.float32))


@pytest.mark.parametrize(
    "name,value,must_mention",
    [
        ("x", np.ones((M, N - 1), np.float32), ["'x'", "[8, 31]", "[8, 32]"]),
        ("x", np.ones((M, N, 1), np.float32), ["'x'", "[8, 32, 1]", "[8, 32]"]),
        ("x", np.ones((M, N)), ["'x'", "float64", "FP32", "float32"]),
        ("weight", np.ones((1, N), np.float32), ["'weight'", "float32", "BF16"]),
        ("state", np.zeros((M, N), np.float16), ["'state'", "float16", "FP32"]),
    ],
    ids=["columns", "rank", "float64", "bf16_as_fp32", "fp16_state"],
)
def test_wrong_shape_or_dtype_names_argument_value_and_declaration(
    kernel, name, value, must_mention
):
    with pytest.raises(plsim.ArgumentError) as err:
        run_with(kernel, **{name: value})
    for text in must_mention:
        assert text in str(err.value), (text, str(err.value))


@pytest.mark.parametrize(
    "value",
    [np.ones((M, 2 * N), np.float32)[:, ::2], np.asfortranarray(np.ones((M, N), np.float32))],
    ids=["strided", "fortran"],
)
def test_non_contiguous_array_is_rejected(kernel, value):
    with pytest.raises(plsim.ArgumentError) as err:
        run_with(kernel, x=value)
    message = str(err.value)
    assert "'x'" in message and "C-contiguous" in message and "strides" in message


@pytest.mark.parametrize("name", ["state", "out"])
def test_read_only_out_or_inout_array_is_rejected(kernel, name):
    value = np.zeros((M, N), np.float32)
    value.setflags(write=False)
    with pytest.raises(plsim.ArgumentError) as err:
        run_with(kernel, **{name: value})
    message = str(err.value)
    assert f"'{name}'" in message and "read-only" in message and "writable" in message
    assert {"state": "pl.InOut", "out": "pl.Out"}[name] in message


def test_read_only_in_array_is_accepted_and_untouched(kernel):
    x = np.full((M, N), 2.0, np.float32)
    x.setflags(write=False)
    args = good_args()
    args["x"] = x
    plsim.run(kernel, *args.values())
    assert np.all(args["out"] == 2.0)


@pytest.mark.parametrize(
    "name,value,must_mention",
    [
        ("start_pos", 2**31, ["'start_pos'", "2147483648", "INT32", "2147483647"]),
        ("start_pos", -(2**31) - 1, ["'start_pos'", "-2147483649", "-2147483648"]),
        ("start_pos", 3.5, ["'start_pos'", "3.5", "int"]),
        ("start_pos", float("nan"), ["'start_pos'", "nan", "int"]),
        ("start_pos", np.array([3]), ["'start_pos'", "array", "int"]),
        ("rotate", 1, ["'rotate'", "1", "True or False"]),
    ],
    ids=["above_int32", "below_int32", "float", "nan", "array", "bool_as_int"],
)
def test_scalar_out_of_range_or_wrong_type(kernel, name, value, must_mention):
    with pytest.raises(plsim.ArgumentError) as err:
        run_with(kernel, **{name: value})
    for text in must_mention:
        assert text in str(err.value), (text, str(err.value))


def test_numpy_scalar_of_the_right_kind_is_accepted(kernel):
    run_with(kernel, start_pos=np.int32(7), rotate=np.bool_(False))


def test_list_instead_of_array(kernel):
    with pytest.raises(plsim.ArgumentError) as err:
        run_with(kernel, x=np.ones((M, N), np.float32).tolist())
    assert "'x'" in str(err.value) and "list" in str(err.value)


def test_missing_and_unexpected_arguments(kernel):
    args = list(good_args().values())
    with pytest.raises(plsim.ArgumentError) as err:
        plsim.run(kernel, *args[:-1])
    assert "'rotate'" in str(err.value) and "takes 6" in str(err.value)
    with pytest.raises(plsim.ArgumentError) as err:
        plsim.run(kernel, *args, bogus=1)
    assert "'bogus'" in str(err.value)


def test_bad_run_options(kernel):
    args = list(good_args().values())
    with pytest.raises(plsim.ArgumentError) as err:
        plsim.run(kernel, *args, platform="a9")
    assert "platform" in str(err.value) and "'a9'" in str(err.value)
    assert "a2a3" in str(err.value)
    with pytest.raises(plsim.ArgumentError) as err:
        plsim.run(kernel, *args, progress=5)
    assert "progress" in str(err.value) and "callable" in str(err.value)
    with pytest.raises(plsim.ArgumentError) as err:
        plsim.run(lambda: None)
    assert "kernel" in str(err.value) and "@pl.jit" in str(err.value)


def test_argument_error_is_also_a_value_error(kernel):
    with pytest.raises(ValueError):
        run_with(kernel, start_pos=2**40)


def test_load_of_a_missing_file(tmp_path):
    with pytest.raises(plsim.ArgumentError) as err:
        plsim.load(tmp_path / "nowhere.py")
    assert "nowhere.py" in str(err.value)


# ---------------------------------------------------------------- the real compressor kernel
@pytest.fixture(scope="module")
def compressor():
    kernel = plsim.load(compressor_case.KERNEL_FILE).indexer_compressor_c16
    config = compressor_case.resolve_config(CaseConfig(batch=2, seq=2, start_pos=6, max_seq_len=64))
    return kernel, compressor_case.make_inputs(config)


def _run_compressor(compressor, **changes):
    kernel, inputs = compressor
    values = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    values.update(changes)
    return plsim.run(kernel, *values.values())


@pytest.mark.parametrize(
    "name,value",
    [
        ("kv_state", np.zeros((1, 8, 256), np.float32)),  # pool without the requests' slots
        ("kv_state", np.zeros((4, 8, 128), np.float32)),  # half-width state
        ("x", np.zeros((2, 2, 4096), np.float32)),  # FP32 where BF16 is required
        ("wkv", np.zeros((4096, 255), ml_dtypes.bfloat16)),  # projection one column short
        ("index_cache", np.zeros((1, 1, 128), ml_dtypes.bfloat16)),  # pool without the slot
        ("hadamard", np.zeros((64, 64), ml_dtypes.bfloat16)),  # wrong Hadamard size
        ("x", np.zeros((2, 2, 4000), ml_dtypes.bfloat16)),  # D not a multiple of 128
        ("position_ids", np.array([[-5, -4], [-5, -4]], np.int32)),  # before the sequence
    ],
    ids=[
        "state_pool_short",
        "state_width",
        "x_dtype",
        "wkv_columns",
        "cache_pool_short",
        "hadamard_size",
        "hidden_size",
        "negative_positions",
    ],
)
def test_bad_arrays_to_the_real_compressor_raise_a_located_plsim_error(compressor, name, value):
    with pytest.raises(plsim.SimError) as err:
        _run_compressor(compressor, **{name: value})
    message = str(err.value)
    assert "decode_compressor.py:" in message and "[scope '" in message, message


def test_nan_in_weights_is_a_value_plsim_propagates_not_rejects(compressor):
    """Decision (reject NaN in a case's input tensors in the harness, not in plsim): plsim runs
    NaN like the hardware would (it propagates into the state); rejecting NaN input data is
    the harness's job, tested in test_reliability_harness_bad_input.py."""
    kernel, inputs = compressor
    values = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    values["wkv"][0, :4] = np.nan
    plsim.run(kernel, **values)
    assert np.isnan(values["kv_state"]).any()
    assert not np.isnan(values["score_state"]).any()  # wgate is clean


@pytest.mark.parametrize("which", ["compressor", "indexer"])
def test_more_tokens_per_step_than_supported_is_rejected_by_the_kernel(compressor, which):
    bf16 = ml_dtypes.bfloat16
    if which == "compressor":
        kernel, inputs = compressor
        values = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
        values["x"] = np.zeros((2, 5, 4096), bf16)
    else:
        config = indexer_case.resolve_config(
            CaseConfig(batch=1, seq=4, start_pos=1203, max_seq_len=2048, seed=1)
        )
        values = indexer_case.make_inputs(config)
        kernel = plsim.load(indexer_case.KERNEL_FILE).indexer_c16
        values["x"] = np.zeros((1, 5, 4096), bf16)
        values["qr"] = np.zeros((1, 5, 1024), bf16)
        values["score"] = np.zeros((1, 5, 512), np.float32)
        values["topk_idxs"] = np.zeros((1, 5, 512), np.int32)
        values["position_ids"] = np.arange(1203, 1208, dtype=np.int32)[None]
        values["slot_mapping"] = np.full((1, 5), -1, np.int32)
    with pytest.raises(plsim.DSLError) as err:
        plsim.run(kernel, **values)
    assert "1..4" in str(err.value)
