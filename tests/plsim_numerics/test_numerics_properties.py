"""Property tests of plsim numerics against independent references (hypothesis)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models.deepseek_v4.reference import quant
from plsim import dtypes as D
from plsim.numerics import CAST_MODES, binary, cast, mrgsort_runs, sort32

FAST = settings(max_examples=40, deadline=None)

finite_f32 = st.floats(
    min_value=-65504.0, max_value=65504.0, allow_nan=False, allow_infinity=False, width=32
)


@FAST
@given(hnp.arrays(np.uint16, 16), st.sampled_from(CAST_MODES))
def test_bf16_values_round_trip_through_fp32_in_every_mode(bits, mode):
    bits = bits[(bits & 0x7F80) != 0x7F80]  # drop NaN/inf patterns
    bf = bits.view(ml_dtypes.bfloat16)
    back = cast(cast(bf, D.BF16, D.FP32, mode), D.FP32, D.BF16, mode)
    assert np.array_equal(back.view(np.uint16), bits)


@FAST
@given(hnp.arrays(np.float32, 12, elements=finite_f32))
def test_fp32_to_fp16_directed_modes_bracket_the_value(x):
    x64 = x.astype(np.float64)
    lo = cast(x, D.FP32, D.FP16, "floor").astype(np.float64)
    hi = cast(x, D.FP32, D.FP16, "ceil").astype(np.float64)
    assert np.all(lo <= x64) and np.all(x64 <= hi)
    exact = lo == hi
    assert np.array_equal(exact, x64 == lo)
    # Inexact values: floor and ceil are neighbours (nothing representable between them).
    inexact_lo = lo[~exact].astype(np.float16)
    assert np.array_equal(
        np.nextafter(inexact_lo, np.float16(np.inf)), hi[~exact].astype(np.float16)
    )
    for mode in ("round", "rint"):
        r = cast(x, D.FP32, D.FP16, mode).astype(np.float64)
        assert np.all((r == lo) | (r == hi))
        assert np.all(np.abs(r - x64) <= np.minimum(x64 - lo, hi - x64))
    t = cast(x, D.FP32, D.FP16, "trunc").astype(np.float64)
    assert np.all(np.abs(t) <= np.abs(x64))


@FAST
@given(hnp.arrays(np.float32, 32, elements=st.floats(width=32, allow_nan=True)))
def test_fp32_to_int32_round_matches_golden_quant(x):
    assert np.array_equal(cast(x, D.FP32, D.INT32, "round"), quant.fp32_to_int32_round(x))


@FAST
@given(
    hnp.arrays(np.int32, 16, elements=st.integers(-(2**31), 2**31 - 1)),
    hnp.arrays(np.int32, 16, elements=st.integers(-1000, 1000).filter(lambda v: v != 0)),
)
def test_int32_division_truncates_like_c(a, b):
    out = binary("div", a, b, D.INT32)
    for q, n, d in zip(out.tolist(), a.tolist(), b.tolist()):
        c_quotient = abs(n) // abs(d) * (1 if (n < 0) == (d < 0) else -1)
        assert q == (c_quotient + 2**31) % 2**32 - 2**31


@FAST
@given(st.integers(1, 3), st.integers(0, 2**32 - 1), st.integers(2, 20))
def test_sort_pipeline_equals_stable_descending_argsort(stages, seed, distinct):
    n = 32 * 4**stages
    rng = np.random.default_rng(seed)
    values = rng.integers(0, distinct, n).astype(np.float32) - np.float32(distinct / 2)
    row = sort32(values[None], np.arange(n, dtype=np.uint32)[None])
    block_len = 64
    for _ in range(stages):
        row = mrgsort_runs(row, block_len)
        block_len *= 4
    order = row.view(np.uint32)[0, 1::2]
    assert order.tolist() == np.lexsort((np.arange(n), -values)).tolist()


def literal_merge(runs: list[list[tuple[float, int]]]) -> list[tuple[float, int]]:
    """A head-by-head descending merge: the largest head wins, ties the earliest run."""
    heads = [0] * len(runs)
    out = []
    while len(out) < sum(len(r) for r in runs):
        best = None
        for k, run in enumerate(runs):
            if heads[k] < len(run) and (
                best is None or run[heads[k]][0] > runs[best][heads[best]][0]
            ):
                best = k
        out.append(runs[best][heads[best]])
        heads[best] += 1
    return out


@FAST
@given(st.integers(0, 2**32 - 1))
def test_mrgsort_on_unsorted_runs_matches_a_literal_merge(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(-4, 5, 128).astype(np.float32)
    packed = np.empty(256, np.uint32)
    packed[0::2] = values.view(np.uint32)
    packed[1::2] = np.arange(128, dtype=np.uint32)
    out = mrgsort_runs(packed.view(np.float32)[None], 64)
    runs = [[(float(values[j]), j) for j in range(r * 32, r * 32 + 32)] for r in range(4)]
    got = list(zip(out[0, 0::2].tolist(), out.view(np.uint32)[0, 1::2].tolist()))
    assert got == literal_merge(runs)
