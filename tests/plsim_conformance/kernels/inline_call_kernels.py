"""How the compiler binds inline-helper calls, and what a pl.at level other than CORE_GROUP
opens (plsim/inline_calls.py, plsim/control.At); each bad line is tagged ``# @name``.

Each kernel takes (x [16, 64] FP32, out InOut [16, 64] FP32).
"""

import pypto.language as pl

R = 16
C = 64

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "default_omitted": "rejected: Function 'scaled' expects 3 argument(s), got 2",
    "default_given": "compiles",
    "subscript_argument": "rejected: missing inferred tensor metadata for parameter 't'",
    "call_argument": "rejected: missing inferred tensor metadata for parameter 't'",
    "local_argument": "compiles",
    "int32_literal_extent": "rejected: valid_rows must have dtype INT64, UINT64, or INDEX",
    "at_host_around_core": "compiles",
    "at_chip_compute": "rejected: Misplaced tensor op 'tensor.adds' in Orchestration function",
    "nested_in_expression": (
        "rejected: The operator tile.adds requires first argument to be a TileType, but got "
        "TensorType"
    ),
    "nested_in_a_helper": (
        "rejected: The operator tile.adds requires first argument to be a TileType, but got "
        "TensorType"
    ),
    "bound_then_used": "compiles",
    "untaken_division_by_zero": "rejected: Floor division by zero",
    "untaken_division_guarded": "compiles",
}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "default_omitted": "not run: ParserTypeError: Function 'scaled' expects 3 argument(s), got 2",
    "default_given": "pass",
    "subscript_argument": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'t'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "call_argument": (
        "not run: ValueError: @pl.jit: missing inferred tensor metadata for parameter "
        "'t'. This usually means the tensor's shape/dtype could not be statically "
        "determined. Pass the tensor directly as a function argument"
    ),
    "local_argument": "pass",
    "int32_literal_extent": (
        "not run: InvalidOperationError: pl operation 'set_validshape': "
        "tensor.set_validshape valid_rows must have dtype INT64, UINT64, or INDEX, but "
        "got int32"
    ),
    "at_host_around_core": "pass",
    "at_chip_compute": (
        "not run: Misplaced tensor op 'tensor.adds' in Orchestration function (should be "
        "inside InCore block)"
    ),
    "nested_in_expression": (
        "not run: ValueError: The operator tile.adds requires first argument to be a "
        "TileType, but got TensorType"
    ),
    "nested_in_a_helper": (
        "not run: ValueError: The operator tile.adds requires first argument to be a "
        "TileType, but got TensorType"
    ),
    "bound_then_used": "pass",
    "untaken_division_by_zero": "not run: ValueError: Floor division by zero",
    "untaken_division_guarded": "pass",
}


@pl.jit.inline
def scaled(t: pl.Tensor, k: pl.Scalar[pl.FP32], b: pl.Scalar[pl.FP32] = 1.0):
    return pl.add(pl.mul(t, k), b)


@pl.jit.inline
def twice(t: pl.Tensor):
    return pl.add(t, t)


@pl.jit.inline
def twice_plus_one(t: pl.Tensor):
    return pl.add(twice(t), 1.0)  # @nested_in_helper


@pl.jit.inline
def span_start(n: pl.Scalar[pl.INT32], span: pl.Scalar[pl.INT32]):
    if span > 0:  # noqa: SIM108 (a kernel has no conditional expressions)
        k = pl.cast(n // span * span, pl.INDEX)  # @folded_division
    else:
        k = pl.cast(n, pl.INDEX)
    return k


@pl.jit.inline
def span_start_guarded(n: pl.Scalar[pl.INT32], span: pl.Scalar[pl.INT32]):
    if span > 0:  # noqa: SIM108 (a kernel has no conditional expressions)
        k = pl.cast(n // pl.max(span, 1) * span, pl.INDEX)
    else:
        k = pl.cast(n, pl.INDEX)
    return k


@pl.jit.inline
def first_rows(t: pl.Tensor, rows: pl.Scalar[pl.INT32]):
    return pl.set_validshape(t, rows, C)  # @int32_extent


@pl.jit
def default_omitted(x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="default_omitted"):
        t = x[0:R, 0:C]
        r = scaled(t, 2.0)  # @default
        out[0:R, 0:C] = r
    return out


@pl.jit
def default_given(x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="default_given"):
        t = x[0:R, 0:C]
        r = scaled(t, 2.0, 1.0)
        out[0:R, 0:C] = r
    return out


@pl.jit
def subscript_argument(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="subscript_argument"):
        r = twice(x[:, :])  # @subscript_arg
        out[0:R, 0:C] = r
    return out


@pl.jit
def call_argument(x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="call_argument"):
        r = twice(pl.slice(x, [R, C], [0, 0]))  # @call_arg
        out[0:R, 0:C] = r
    return out


@pl.jit
def local_argument(x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="local_argument"):
        t = x[:, :]
        r = twice(t)
        out[0:R, 0:C] = r
    return out


@pl.jit
def int32_literal_extent(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="int32_literal_extent"):
        t = x[0:R, 0:C]
        f = first_rows(t, 4)
        out[0:R, 0:C] = pl.add(f, 0.0)
    return out


@pl.jit
def at_host_around_core(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.HOST, name_hint="host_group"):  # noqa: SIM117 (two levels)
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="inner"):
            out[0:R, 0:C] = pl.add(x[0:R, 0:C], 1.0)
    return out


@pl.jit
def at_chip_compute(x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CHIP, name_hint="chip_group"):
        out[0:R, 0:C] = pl.add(x[0:R, 0:C], 1.0)  # @chip_compute
    return out


@pl.jit
def nested_in_expression(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="nested_in_expression"):
        t = x[0:R, 0:C]
        r = pl.add(twice(t), 1.0)  # @nested_call
        out[0:R, 0:C] = r
    return out


@pl.jit
def nested_in_a_helper(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="nested_in_a_helper"):
        t = x[0:R, 0:C]
        r = twice_plus_one(t)
        out[0:R, 0:C] = r
    return out


@pl.jit
def bound_then_used(x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="bound_then_used"):
        t = x[0:R, 0:C]
        d = twice(t)
        r = pl.add(d, 1.0)
        out[0:R, 0:C] = r
    return out


@pl.jit
def untaken_division_by_zero(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="untaken_division_by_zero"):
        k = span_start(0, 0)
        out[0:R, 0:C] = pl.add(pl.slice(x, [R, C], [k, 0]), 1.0)
    return out


@pl.jit
def untaken_division_guarded(
    x: pl.Tensor[[R, C], pl.FP32], out: pl.InOut[pl.Tensor[[R, C], pl.FP32]]
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="untaken_division_guarded"):
        k = span_start_guarded(0, 0)
        out[0:R, 0:C] = pl.add(pl.slice(x, [R, C], [k, 0]), 1.0)
    return out
