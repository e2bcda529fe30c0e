"""Constructs the real parser/compiler rejects are DSLErrors naming file:line."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from support import load, marked_line

import plsim

FILE = "strict_kernels.py"
K = load(FILE)
R, C = 16, 64


def _args():
    return np.ones((R, C), np.float32), np.zeros((R, C), np.float32)


PARSE_TIME = [
    ("aug_assign", "aug", "augmented assignment"),
    ("plain_range", "range", "pl.range"),
    ("cond_expr", "ifexp", "conditional expression"),
    ("builtin_min", "builtin", "builtin min()"),
    ("comprehension", "comp", "comprehension"),
    ("lambda_use", "lambda", "lambda"),
    ("nested_def", "nested", "nested def"),
    ("try_block", "try", "try"),
    ("assert_stmt", "assert", "static_assert"),
    ("power_of_tile", "pow_tile", "Pow"),
    ("chained_compare", "chain", "chained"),
    ("break_in_parallel", "break", "pl.parallel"),
    ("calls_python_function", "pycall", "python_helper"),
]


@pytest.mark.parametrize(("name", "tag", "words"), PARSE_TIME)
def test_parser_rejections(name, tag, words):
    with pytest.raises(plsim.DSLError) as info:
        plsim.run(getattr(K, name), *_args())
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert words in message, message


def _bf16(shape):
    return np.ones(shape, ml_dtypes.bfloat16)


RUN_TIME = [
    ("compute_in_orchestration", "orch", "orchestration", _args),
    ("mixed_dtype_add", "mixed", "mixed",
     lambda: (np.ones((R, C), np.float32), _bf16((R, C)), np.zeros((R, C), np.float32))),
    ("mixed_matmul", "mixed_mm", "mixed_mm",
     lambda: (_bf16((R, 32)), np.ones((32, 32), np.float16), np.zeros((R, 32), np.float32))),
    ("matmul_k_not_16", "k16", "k40",
     lambda: (_bf16((R, 40)), _bf16((40, 32)), np.zeros((R, 32), np.float32))),
    ("same_dtype_cast", "samecast", "recast", _args),
    ("row_broadcast", "rowbcast", "row_bcast",
     lambda: (np.ones((R, C), np.float32), np.ones((1, C), np.float32),
              np.zeros((R, C), np.float32))),
]  # fmt: skip


@pytest.mark.parametrize(("name", "tag", "scope", "make"), RUN_TIME)
def test_run_time_rejections(name, tag, scope, make):
    with pytest.raises(plsim.DSLError) as info:
        plsim.run(getattr(K, name), *make())
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert f"'{scope}'" in message, message


@pytest.mark.parametrize("name", ["mixed_dtype_add", "matmul_k_not_16", "row_broadcast"])
def test_rules_stricter_than_the_compiler_are_hardware_errors(name):
    """The compiler accepts these; the PTO assembler's tile types would not (plsim.HardwareError
    cites why), so plsim reports them as their own class."""
    make = {n: m for n, _, _, m in RUN_TIME}[name]
    with pytest.raises(plsim.HardwareError, match="compiler accepts"):
        plsim.run(getattr(K, name), *make())


@pytest.mark.parametrize("name", ["inline_kwargs", "parallel_in_core"])
def test_accepted_as_the_compiler_does(name):
    """Keyword arguments to an inline helper and pl.parallel inside pl.at compile with the real
    pypto; plsim runs them."""
    x, out = _args()
    plsim.run(getattr(K, name), x, out)
    expected = {"inline_kwargs": np.exp(x), "parallel_in_core": x}
    np.testing.assert_allclose(out, expected[name], rtol=1e-6, atol=0)


def test_power_of_constants_is_accepted_but_a_run_without_a_task_is_refused():
    """R ** 2 of module constants passes plsim's checks (the compiler compiles power_op), but
    power_op submits no task, and the runtime never ends such a run (a2a3sim hangs)."""
    x, out = _args()
    with pytest.raises(plsim.HardwareError, match="runs no task") as info:
        plsim.run(K.power_op, x, out)
    assert "scheduler_cold_path.cpp" in str(info.value)


def test_explicit_col_expand_is_the_accepted_form():
    x = np.arange(R * C, dtype=np.float32).reshape(R, C)
    r = np.linspace(-1, 1, C, dtype=np.float32).reshape(1, C)
    out = np.zeros((R, C), np.float32)
    plsim.run(K.row_broadcast_explicit, x, r, out)
    assert np.array_equal(out, x * r)


def test_bf16_out_dtype_matmul_keeps_the_accumulator_and_rounds_on_the_bf16_store():
    """Tensor-level matmul accepts out_dtype=BF16 (docs/dsl.md §11.1); the value is the FP32
    accumulator, rounded to nearest-even only by the store into the BF16 tensor (FIXPIPE)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((R, 32)).astype(ml_dtypes.bfloat16)
    w = rng.standard_normal((32, 32)).astype(ml_dtypes.bfloat16)
    out = np.zeros((R, 32), ml_dtypes.bfloat16)
    with pytest.warns(plsim.DSLWarning, match=r"out_dtype=pl\.BF16") as record:
        plsim.run(K.matmul_wrong_out, x, w, out)
    assert marked_line(FILE, "mm_out") in str(record[0].message)
    fp32_sums = (x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(
        out.view(np.uint16), fp32_sums.astype(ml_dtypes.bfloat16).view(np.uint16)
    )
