"""sort32 / mrgsort / gather on interleaved (value, index-bits) rows (docs/dsl.md §12)."""

from __future__ import annotations

import numpy as np
import pytest

from plsim import dtypes as D
from plsim.numerics import gather_index, gather_mask, mrgsort_lists, mrgsort_runs, sort32


def pairs_row(values, indices) -> np.ndarray:
    """Build a [1, 2n] FP32 pair row from values and raw UINT32 index bits."""
    out = np.empty(2 * len(values), np.uint32)
    out[0::2] = np.asarray(values, np.float32).view(np.uint32)
    out[1::2] = np.asarray(indices, np.uint32)
    return out.view(np.float32)[None, :]


def split(row: np.ndarray) -> tuple[list[float], list[int]]:
    flat = np.ascontiguousarray(row).reshape(-1)
    return flat[0::2].tolist(), flat.view(np.uint32)[1::2].tolist()


# ---------------------------------------------------------------- sort32
def test_sort32_descending_ties_smaller_index_first():
    values = np.array([1.0, 2.0, 2.0, 1.0] * 8, np.float32)[None]
    idx = np.arange(32, dtype=np.uint32)[None]
    out = sort32(values, idx)
    assert out.shape == (1, 64) and out.dtype == np.float32
    vals, ids = split(out)
    assert vals == [2.0] * 16 + [1.0] * 16
    assert ids == [i for i in range(32) if i % 4 in (1, 2)] + [
        i for i in range(32) if i % 4 in (0, 3)
    ]


def test_sort32_tie_order_follows_index_values_not_positions():
    values = np.zeros((1, 32), np.float32)
    idx = np.arange(31, -1, -1, dtype=np.uint32)[None]  # positions hold 31, 30, ..., 0
    _, ids = split(sort32(values, idx))
    assert ids == list(range(32))


def test_sort32_blocks_are_independent_and_rows_too():
    values = np.arange(128, dtype=np.float32).reshape(2, 64)
    idx = np.arange(128, dtype=np.uint32).reshape(2, 64)
    out = sort32(values, idx)
    assert out.shape == (2, 128)
    for r in range(2):
        vals, ids = split(out[r])
        base = 64 * r
        assert vals == [float(base + v) for v in [*range(31, -1, -1), *range(63, 31, -1)]]
        assert ids == [base + i for i in [*range(31, -1, -1), *range(63, 31, -1)]]


def test_sort32_keeps_index_bits_verbatim():
    # Index bit patterns that would be a NaN, a denormal and -0.0 as floats.
    specials = [0x7FC00001, 0x00000001, 0x80000000, 0xFFFFFFFF]
    values = np.array([4.0, 3.0, 2.0, 1.0] + [0.0] * 28, np.float32)[None]
    idx = np.array(specials + list(range(100, 128)), np.uint32)[None]
    _, ids = split(sort32(values, idx))
    assert ids[:4] == specials


def test_sort32_signed_zeros_tie_and_infinities_order():
    values = np.array([-0.0, 0.0, -np.inf, np.inf] + [1.0] * 28, np.float32)[None]
    idx = np.arange(32, dtype=np.uint32)[None]
    vals, ids = split(sort32(values, idx))
    assert ids[0] == 3 and vals[0] == np.inf
    assert ids[29:] == [0, 1, 2]  # -0.0 and 0.0 tie -> index order; -inf last


def test_sort32_errors():
    with pytest.raises(ValueError, match="multiple of 32"):
        sort32(np.zeros((1, 48), np.float32), np.zeros((1, 48), np.uint32))
    with pytest.raises(ValueError, match="UINT32"):
        sort32(np.zeros((1, 32), np.float32), np.zeros((1, 32), np.int32))
    with pytest.raises(ValueError, match="FP32"):
        sort32(np.zeros((1, 32), np.float16), np.zeros((1, 32), np.uint32))


# ---------------------------------------------------------------- mrgsort format 1
def test_mrgsort_runs_ties_take_the_earlier_run():
    # 4 runs of 64 columns (32 pairs): each run is 16 fives then 16 threes; run r's indices
    # are r*100 + position.
    values, indices = [], []
    for r in range(4):
        values += [5.0] * 16 + [3.0] * 16
        indices += [r * 100 + j for j in range(32)]
    out = mrgsort_runs(pairs_row(values, indices), 64)
    vals, ids = split(out)
    assert vals == [5.0] * 64 + [3.0] * 64
    assert ids == [r * 100 + j for r in range(4) for j in range(16)] + [
        r * 100 + j for r in range(4) for j in range(16, 32)
    ]


def test_mrgsort_runs_merges_groups_independently():
    # 8 runs of 64 columns = 2 groups; every run is a descending ramp with a run offset.
    values, indices = [], []
    for r in range(8):
        values += [float(r + 8 * (31 - j)) for j in range(32)]
        indices += [r * 32 + j for j in range(32)]
    vals, _ = split(mrgsort_runs(pairs_row(values, indices), 64))
    first = sorted(values[: 4 * 32], reverse=True)
    second = sorted(values[4 * 32 :], reverse=True)
    assert vals == first + second


def test_mrgsort_runs_errors():
    row = pairs_row([0.0] * 128, range(128))
    with pytest.raises(ValueError, match="multiple of 64"):
        mrgsort_runs(row, 32)
    with pytest.raises(ValueError, match="4\\*block_len=512"):
        mrgsort_runs(row, 128)
    with pytest.raises(ValueError, match="one row"):
        mrgsort_runs(np.zeros((2, 256), np.float32), 64)


# ---------------------------------------------------------------- mrgsort format 2
def test_mrgsort_lists_ties_take_the_earlier_list_and_lengths_add():
    a = pairs_row([9.0, 7.0, 7.0], [1, 2, 3])
    b = pairs_row([8.0, 7.0], [10, 11])
    c = pairs_row([7.0, 1.0, 0.5, 0.25], [20, 21, 22, 23])
    out = mrgsort_lists(a, b, c)
    assert out.shape == (1, 18)
    vals, ids = split(out)
    assert vals == [9.0, 8.0, 7.0, 7.0, 7.0, 7.0, 1.0, 0.5, 0.25]
    assert ids == [1, 10, 2, 3, 11, 20, 21, 22, 23]


def test_mrgsort_lists_errors():
    a = pairs_row([1.0], [0])
    with pytest.raises(ValueError, match="2 to 4"):
        mrgsort_lists(a)
    with pytest.raises(ValueError, match="FP32"):
        mrgsort_lists(a, a.astype(np.float64))


# ---------------------------------------------------------------- full top-k pipeline
def test_sort_pipeline_equals_stable_descending_sort_with_ties():
    rng = np.random.default_rng(7)
    n = 8192
    scores = rng.integers(-40, 40, n).astype(np.float32) / 4  # many exact ties
    s = sort32(scores[None], np.arange(n, dtype=np.uint32)[None])
    for block_len in (64, 256, 1024):
        s = mrgsort_runs(s, block_len)
    quarter = n // 2  # columns per sorted run of n/4 values
    merged = mrgsort_lists(*(s[:, k * quarter : (k + 1) * quarter] for k in range(4)))
    expected = sorted(range(n), key=lambda i: (-scores[i], i))
    assert gather_mask(merged, 2, D.INT32).reshape(-1).tolist() == expected
    assert gather_mask(merged, 1, None).reshape(-1).tolist() == scores[expected].tolist()


# ---------------------------------------------------------------- gather
@pytest.mark.parametrize(
    ("pattern", "cols"),
    [
        (1, [0, 2, 4, 6]),
        (2, [1, 3, 5, 7]),
        (3, [0, 4]),
        (4, [1, 5]),
        (5, [2, 6]),
        (6, [3, 7]),
        (7, [0, 1, 2, 3, 4, 5, 6, 7]),
    ],
)
def test_gather_mask_patterns(pattern, cols):
    x = np.arange(16, dtype=np.int32).reshape(2, 8)
    out = gather_mask(x, pattern, None)
    assert out.tolist() == [cols, [8 + c for c in cols]]
    assert out.dtype == np.int32


def test_gather_mask_reinterprets_index_bits():
    row = pairs_row([3.5, -1.0, 2.0], [7, 0x80000001, 4096])
    assert gather_mask(row, 2, D.UINT32).tolist() == [[7, 0x80000001, 4096]]
    assert gather_mask(row, 2, D.INT32).tolist() == [[7, -(2**31) + 1, 4096]]
    assert gather_mask(row, 1, None).tolist() == [[3.5, -1.0, 2.0]]


def test_gather_mask_errors():
    x = np.zeros((2, 6), np.float32)
    with pytest.raises(ValueError, match="multiple of 4"):
        gather_mask(x, 3, None)
    with pytest.raises(ValueError, match=r"1\.\.7"):
        gather_mask(x, 0, None)
    with pytest.raises(ValueError, match="bit width"):
        gather_mask(x, 1, D.INT16)
    with pytest.raises(ValueError, match="FP16/FP32/INT16/INT32"):
        gather_mask(np.zeros((2, 4), np.float64), 1, None)


def test_gather_index_per_row():
    x = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0], [70.0, 80.0, 90.0]], np.float32)
    idx = np.array([[2, 0, 2], [1, 1, 0]], np.int32)  # fewer rows than x
    assert gather_index(x, idx).tolist() == [[30.0, 10.0, 30.0], [50.0, 50.0, 40.0]]


def test_gather_index_out_of_range_is_an_error():
    with pytest.raises(ValueError, match=r"index value 3 at \(0, 1\)"):
        gather_index(np.zeros((1, 3), np.float32), np.array([[0, 3]], np.int32))
