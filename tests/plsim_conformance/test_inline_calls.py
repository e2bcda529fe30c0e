"""Inline-helper calls bind as the compiler binds them, and pl.at levels other than CORE_GROUP
open no InCore scope (kernels/inline_call_kernels.py; the compiler's verdicts are its VERDICTS).
"""

from __future__ import annotations

import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim

FILE = "inline_call_kernels.py"
K = load(FILE)


def _args():
    x = np.arange(16 * 64, dtype=np.float32).reshape(16, 64)
    return x, np.zeros((16, 64), np.float32)


@pytest.mark.parametrize(
    ("kernel", "tag", "fragment"),
    [
        ("default_omitted", "default", "expects 3 argument(s), got 2"),
        ("subscript_argument", "subscript_arg", "t = x[:, :], and pass t"),
        ("call_argument", "call_arg", "missing inferred tensor metadata for parameter 't'"),
        ("int32_literal_extent", "int32_extent", "INT32 scalar"),
        ("at_chip_compute", "chip_compute", "misplaced tensor op pl.add"),
        ("nested_in_expression", "nested_call", "inline function 'twice' called inside an"),
        ("nested_in_a_helper", "nested_in_helper", "bind it first: y = twice(...)"),
        ("untaken_division_by_zero", "folded_division", "Floor division by zero"),
    ],
)
def test_rejected_at_the_line_with_the_compiler_rule(kernel, tag, fragment):
    with pytest.raises(plsim.DSLError) as info:
        plsim.run(getattr(K, kernel), *_args())
    message = str(info.value)
    assert marked_line(FILE, tag) in message, message
    assert fragment in message, message


def test_every_argument_given_compiles_and_computes():
    x, out = _args()
    plsim.run(K.default_given, x, out)
    np.testing.assert_array_equal(out, x * 2 + 1)


def test_a_helper_result_bound_first_then_used_in_an_expression_computes():
    x, out = _args()
    plsim.run(K.bound_then_used, x, out)
    np.testing.assert_array_equal(out, x + x + 1)


def test_a_division_guarded_by_max_runs_the_branch_taken():
    x, out = _args()
    plsim.run(K.untaken_division_guarded, x, out)
    np.testing.assert_array_equal(out, x + 1)


def test_a_local_tensor_passed_by_name_compiles_and_computes():
    x, out = _args()
    plsim.run(K.local_argument, x, out)
    np.testing.assert_array_equal(out, x + x)


def test_a_core_group_scope_inside_a_host_level_at_runs_as_one_task():
    x, out = _args()
    run = plsim.run(K.at_host_around_core, x, out)
    np.testing.assert_array_equal(out, x + 1)
    assert [(s.name, s.tasks) for s in run.stages] == [("inner", 1)]
