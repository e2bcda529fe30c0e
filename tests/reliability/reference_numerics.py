"""Independent NumPy/Python references for plsim's casts and arithmetic (docs/dsl.md §8-§10).

Written from the specification, not from plsim's code: 16-bit float rounding looks the value up
in a sorted table of every finite value of the target format; integer -> FP32 rounding uses
exact Python integers; float -> integer rounding uses float64 (which holds every FP32 value
exactly). Chains follow the a2a3 hops listed in docs/dsl.md §10 with the same mode per hop.
"""

from __future__ import annotations

import functools
import math

import ml_dtypes
import numpy as np

NUMPY = {
    "FP32": np.dtype(np.float32),
    "FP16": np.dtype(np.float16),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "INT32": np.dtype(np.int32),
    "INT16": np.dtype(np.int16),
    "INT8": np.dtype(np.int8),
    "UINT8": np.dtype(np.uint8),
}
FLOATS = ("FP32", "FP16", "BF16")

#: float -> integer pairs that wrap (saturate to INT32, keep the low bits) instead of saturating.
WRAPPING = {("FP16", "INT8"), ("FP16", "UINT8"), ("FP16", "INT16"), ("FP32", "INT16")}

#: Pairs under test and their a2a3 hops (docs/dsl.md §10 "Native pairs vs legalised chains").
CAST_CHAINS: dict[tuple[str, str], tuple[str, ...]] = {
    ("FP32", "FP16"): ("FP16",),
    ("FP32", "BF16"): ("BF16",),
    ("FP16", "FP32"): ("FP32",),
    ("BF16", "FP32"): ("FP32",),
    ("FP32", "INT32"): ("INT32",),
    ("FP32", "INT16"): ("INT16",),
    ("FP16", "INT32"): ("INT32",),
    ("BF16", "INT32"): ("INT32",),
    ("FP16", "INT8"): ("INT8",),
    ("FP16", "UINT8"): ("UINT8",),
    ("INT32", "FP32"): ("FP32",),
    ("INT32", "FP16"): ("FP16",),
    ("INT16", "FP16"): ("FP16",),
    ("INT8", "FP16"): ("FP16",),
    ("FP32", "INT8"): ("FP16", "INT8"),
    ("BF16", "INT8"): ("FP32", "FP16", "INT8"),
    ("INT32", "BF16"): ("FP32", "BF16"),
    ("FP16", "BF16"): ("FP32", "BF16"),
    ("BF16", "FP16"): ("FP32", "FP16"),
    ("INT8", "FP32"): ("FP16", "FP32"),
}
MODES = ("none", "rint", "round", "floor", "ceil", "trunc", "odd")


@functools.cache
def _table16(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted finite values as float64, their raw bits) of a 16-bit float format; one zero."""
    bits = np.arange(1 << 16, dtype=np.uint16)
    with np.errstate(invalid="ignore"):  # every bit pattern, NaNs included (dropped below)
        values = bits.view(NUMPY[name]).astype(np.float64)
    keep = np.isfinite(values) & (bits != 0x8000)  # drop -0.0: zero's sign is set separately
    values, bits = values[keep], bits[keep]
    order = np.argsort(values, kind="stable")
    return values[order], bits[order]


def _overflow_threshold(name: str) -> float:
    """2^(emax+1): the 'next value' after the largest finite one, for rounding decisions."""
    return {"FP16": 2.0**16, "BF16": 2.0**128, "FP32": 2.0**128}[name]


def _pick(x: float, lower: float, upper: float, lower_even: bool, mode: str) -> float:
    """Choose between the neighbours lower < x < upper with ``mode`` (not for exact x)."""
    if mode == "floor":
        return lower
    if mode == "ceil":
        return upper
    if mode == "trunc":
        return lower if x > 0 else upper
    below, above = x - lower, upper - x
    if below != above:
        return lower if below < above else upper
    if mode == "round":  # ties away from zero
        return upper if x > 0 else lower
    return lower if lower_even else upper  # rint / none: ties to even


def _round_to_16(x: float, name: str, mode: str, odd_allowed: bool) -> float:
    """x (exact float64) rounded to the 16-bit format ``name`` with ``mode``, IEEE overflow."""
    if math.isnan(x) or math.isinf(x):
        return x
    if mode == "odd" and not odd_allowed:
        mode = "none"
    values, bits = _table16(name)
    i = int(np.searchsorted(values, x))
    if i < len(values) and values[i] == x:
        return math.copysign(0.0, x) if x == 0 else x
    big = _overflow_threshold(name)
    lower = float(values[i - 1]) if i > 0 else -big
    upper = float(values[i]) if i < len(values) else big
    lower_bits = int(bits[i - 1]) if i > 0 else 0
    if mode == "odd":
        # von Neumann round-to-odd: the neighbour whose last significand bit is 1.
        result = lower if lower_bits & 1 else upper
    else:
        # Below the most negative finite value the 'lower' neighbour is -2^(emax+1): even.
        result = _pick(x, lower, upper, i == 0 or lower_bits & 1 == 0, mode)
    if abs(result) == big:
        result = math.copysign(math.inf, result)
    return math.copysign(0.0, x) if result == 0 else result


def _round_int_to_fp32(value: int, mode: str) -> float:
    """Exact integer -> FP32 with ``mode`` (only |value| > 2^24 can be inexact)."""
    if value == 0:
        return 0.0
    magnitude = abs(value)
    exponent = magnitude.bit_length() - 1
    step = 1 << max(0, exponent - 23)  # spacing of FP32 values at this magnitude
    low_mag = magnitude // step * step
    if low_mag == magnitude:
        return float(value)
    high_mag = low_mag + step
    if value > 0:
        lower, upper = low_mag, high_mag
        lower_even = (low_mag // step) % 2 == 0
    else:
        lower, upper = -high_mag, -low_mag
        lower_even = (high_mag // step) % 2 == 0
    mode = "none" if mode == "odd" else mode
    return float(_pick_int(value, lower, upper, lower_even, mode))


def _pick_int(x: int, lower: int, upper: int, lower_even: bool, mode: str) -> int:
    if mode == "floor":
        return lower
    if mode == "ceil":
        return upper
    if mode == "trunc":
        return lower if x > 0 else upper
    below, above = x - lower, upper - x
    if below != above:
        return lower if below < above else upper
    if mode == "round":
        return upper if x > 0 else lower
    return lower if lower_even else upper


def _float_to_int(x: float, mode: str, src: str, dst: str) -> int:
    """Float -> integer: round with ``mode`` (none/odd truncate), NaN -> 0, saturate or wrap."""
    if math.isnan(x):
        rounded = 0
    elif math.isinf(x):
        rounded = 2**40 if x > 0 else -(2**40)
    else:
        if mode == "rint":
            r = round(x)  # Python round() is ties-to-even and exact for floats
        elif mode == "round":  # ties away from zero; x - floor(x) is exact in float64
            if x >= 0:
                r = math.floor(x) + (1 if x - math.floor(x) >= 0.5 else 0)
            else:
                r = math.ceil(x) - (1 if math.ceil(x) - x >= 0.5 else 0)
        elif mode == "floor":
            r = math.floor(x)
        elif mode == "ceil":
            r = math.ceil(x)
        else:  # trunc, none (float->int hardware default), odd (-> none)
            r = math.trunc(x)
        rounded = int(r)
    info = np.iinfo(NUMPY[dst])
    if (src, dst) in WRAPPING:
        i32 = np.iinfo(np.int32)
        wide = min(max(rounded, int(i32.min)), int(i32.max))
        return int(np.array(wide, np.int64).astype(NUMPY[dst]))
    return min(max(rounded, int(info.min)), int(info.max))


def _hop(values: list, src: str, dst: str, mode: str) -> list:
    """One native conversion of a list of Python numbers."""
    if src in FLOATS and dst in FLOATS:
        if dst == "FP32":  # widening from a 16-bit format is exact
            return list(values)
        return [
            _round_to_16(v, dst, mode, odd_allowed=(src, dst) == ("FP32", "FP16")) for v in values
        ]
    if src in FLOATS:
        return [_float_to_int(v, mode, src, dst) for v in values]
    if dst == "FP32":
        return [_round_int_to_fp32(int(v), mode) for v in values]
    if dst in ("FP16", "BF16"):
        return [
            _round_to_16(float(int(v)), dst, "none" if mode == "odd" else mode, False)
            for v in values
        ]
    raise AssertionError(f"no reference for {src}->{dst}")


def reference_cast(x: np.ndarray, src: str, dst: str, mode: str) -> np.ndarray:
    """``pl.cast(x, dst, mode)`` of an array stored as ``src``, per docs/dsl.md §10."""
    values = [
        float(v) if src in FLOATS else int(v)
        for v in x.astype(np.float64 if src in FLOATS else np.int64).ravel()
    ]
    current = src
    for hop in CAST_CHAINS[(src, dst)]:
        values = _hop(values, current, hop, mode)
        current = hop
    if dst in FLOATS:
        out = np.array(values, dtype=np.float64)
        # over: ±inf results are intended; invalid: the fuzz feeds NaNs (signalling ones too),
        # which NumPy flags when it narrows them.
        with np.errstate(over="ignore", invalid="ignore"):
            return out.astype(NUMPY[dst]).reshape(x.shape)  # exact: every value is representable
    return np.array(values, dtype=np.int64).astype(NUMPY[dst]).reshape(x.shape)


def same_values(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Elementwise: bit-identical, or both NaN (NaN payloads are not specified)."""
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.dtype == e.dtype and a.shape == e.shape, (a.dtype, a.shape, e.dtype, e.shape)
    width = np.dtype(f"u{a.dtype.itemsize}")
    same = a.view(width) == e.view(width)
    if a.dtype.kind == "f" or a.dtype == NUMPY["BF16"]:
        with np.errstate(invalid="ignore"):  # NaN inputs of the fuzz, widened on purpose
            af, ef = a.astype(np.float64), e.astype(np.float64)
        same |= np.isnan(af) & np.isnan(ef)
    return same


def round_fp32_to(values: np.ndarray, name: str) -> np.ndarray:
    """FP32 results rounded to ``name`` (round to nearest even), for 16-bit float arithmetic."""
    if name == "FP32":
        return values.astype(np.float32)
    flat = [_round_to_16(float(v), name, "rint", False) for v in values.astype(np.float64).ravel()]
    with np.errstate(over="ignore"):
        return np.array(flat, np.float64).astype(NUMPY[name]).reshape(values.shape)
