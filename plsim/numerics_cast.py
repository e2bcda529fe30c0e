"""``pl.cast`` at the bit level: rounding modes, saturation/wrap, a2a3 legalised chains.

docs/dsl.md §10 is the specification. Choices made where the sources leave room:

- **Native pairs** are the a2a3 ``pto.tcvt`` set below (``A2A3_NATIVE_CASTS``); any other pair
  is legalised like PyPTO's LegalizeTileCast pass: the shortest chain of native hops (BFS),
  never through an intermediate that loses values the destination can hold unless it holds
  every source value (so INT8 -> FP16 -> FP32 is allowed, as §10 says), ties between equally
  short chains broken towards "same-width int->float first, then float width changes", and
  the same rounding ``mode`` at every hop. Pairs with no chain raise ValueError. The native
  table is the a2a3 one only; a5 chains (e.g. BF16 -> FP16 native) are not modelled.
- ``none`` is the per-pair hardware default (§16.4, pto-isa reading): float->int truncates,
  every other inexact conversion rounds to nearest even. It is a value conversion.
- ``odd`` (§16.5) is von Neumann round-to-odd (truncate, then set the last bit if inexact), the
  pto-isa ``type.hpp`` definition, and is honoured only for FP32->FP16 as on the hardware;
  for every other pair it behaves as ``none``.
- float->int: round with the mode, NaN -> 0, then saturate to the destination range, except
  the wrapping pairs of §10 (FP16->INT8/UINT8/INT16, FP32->INT16) which saturate to INT32 and
  keep the low bits (PyTorch-compatible: 300.0 -> INT8 44, +inf -> -1, -inf -> 0).
- int->int narrowing wraps for INT64->INT32 and INT32->INT16 and saturates otherwise.
- float narrowing overflow follows IEEE 754 for the mode (§16.6: ``round``/``rint``/``ceil``
  of a large positive value -> +inf, ``trunc``/``floor`` -> largest finite); set
  ``SATURATE_FLOAT_NARROWING = True`` to clamp every overflow to the largest finite value.
- NaN stays NaN, ±inf stay ±inf, -0.0 stays -0.0, subnormals are kept (no flush to zero).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from plsim import dtypes as dt
from plsim.dtypes import DType
from plsim.numerics_arith import quiet

CAST_MODES = ("none", "rint", "round", "floor", "ceil", "trunc", "odd")

#: When True, float narrowing clamps overflow to the largest finite value instead of ±inf.
SATURATE_FLOAT_NARROWING = False

#: a2a3 single-instruction conversions (source -> destinations): the pairs docs/dsl.md §10
#: names as native plus the usual a2a3 vconv set (FP32/FP16/BF16 <-> integers). Not checked
#: against PyPTO's 910B adjacency table, which was not available; extend here if it differs.
A2A3_NATIVE_CASTS: dict[str, tuple[str, ...]] = {
    "FP32": ("FP16", "BF16", "INT32", "INT16", "INT64"),
    "FP16": ("FP32", "INT32", "INT16", "INT8", "UINT8"),
    "BF16": ("FP32", "INT32"),
    "INT32": ("FP32", "FP16", "INT16", "INT64"),
    "INT16": ("FP16", "FP32"),
    "INT64": ("FP32", "INT32"),
    "INT8": ("FP16",),
    "UINT8": ("FP16",),
}

#: Pairs whose out-of-range values wrap (low bits of a saturated INT32 / of the integer).
WRAPPING_PAIRS = frozenset(
    {
        ("FP16", "INT8"),
        ("FP16", "UINT8"),
        ("FP16", "INT16"),
        ("FP32", "INT16"),
        ("INT64", "INT32"),
        ("INT32", "INT16"),
    }
)

_BY_NAME: dict[str, DType] = {d.name: d for d in dt.ALL_DTYPES if d is not dt.INDEX}
_MODE_BY_NUMBER = dict(enumerate(CAST_MODES))
# Significand bits (with the implicit bit) and largest exponent of the float formats.
_FLOAT_FORMAT = {"FP32": (24, 127), "FP16": (11, 15), "BF16": (8, 127)}


# ----------------------------------------------------------------------------- chains
def _value_bits(d: DType) -> int:
    return d.bits - 1 if d.is_signed else d.bits


def _narrows(mid: DType, dst: DType) -> bool:
    """True when passing through ``mid`` provably drops values ``dst`` can represent."""
    if mid.is_int and dst.is_float:
        return True
    if mid.is_float and dst.is_float:
        m, d = _FLOAT_FORMAT[mid.name], _FLOAT_FORMAT[dst.name]
        return m[0] < d[0] or m[1] < d[1]
    if mid.is_float and dst.is_int:
        return _FLOAT_FORMAT[mid.name][0] < _value_bits(dst)
    if mid.is_int and dst.is_int:
        if not mid.is_signed and dst.is_signed:
            return True
        return _value_bits(mid) < _value_bits(dst)
    return False


def _holds(mid: DType, src: DType) -> bool:
    """True when ``mid`` represents every value of ``src`` exactly."""
    if src.is_int and mid.is_float:
        return _FLOAT_FORMAT[mid.name][0] >= _value_bits(src)
    if src.is_int and mid.is_int:
        return _value_bits(mid) >= _value_bits(src) and (mid.is_signed or not src.is_signed)
    if src.is_float and mid.is_float:
        m, s = _FLOAT_FORMAT[mid.name], _FLOAT_FORMAT[src.name]
        return m[0] >= s[0] and m[1] >= s[1]
    return False


def _edge_cost(a: DType, b: DType) -> int:
    if a.is_int and b.is_float and a.bits == b.bits:
        return 0
    if a.is_float and b.is_float:
        return 1
    return 2


def cast_chain(src: DType, dst: DType) -> list[DType]:
    """The hops (excluding ``src``) a2a3 uses to convert ``src`` to ``dst``.

    Raises ValueError for ``src == dst`` and for pairs with no native chain.
    """
    if src == dst:
        raise ValueError(f"cast: target dtype {dst!r} equals the input dtype; remove the cast")
    if dst.name in A2A3_NATIVE_CASTS.get(src.name, ()):
        return [dst]
    # BFS by hop count (as PyPTO's LegalizeTileCast); among equally short chains keep the
    # lowest preference cost.
    best: dict[str, tuple[int, int, list[str]]] = {src.name: (0, 0, [])}
    queue = deque([src.name])
    while queue:
        cur = queue.popleft()
        dist, cost, path = best[cur]
        for nxt in A2A3_NATIVE_CASTS.get(cur, ()):
            mid = _BY_NAME[nxt]
            # An intermediate may not lose values both ends share (INT8 -> FP16 -> FP32 is
            # fine: FP16 holds every INT8 although it is narrower than FP32).
            if nxt != dst.name and _narrows(mid, dst) and not _holds(mid, src):
                continue
            cand = (dist + 1, cost + _edge_cost(_BY_NAME[cur], _BY_NAME[nxt]), [*path, nxt])
            if nxt not in best:
                best[nxt] = cand
                queue.append(nxt)
            elif best[nxt][0] == cand[0] and cand[1] < best[nxt][1]:
                best[nxt] = cand
    if dst.name not in best:
        raise ValueError(
            f"cast: no a2a3 conversion path from {src!r} to {dst!r} "
            "(pto.tcvt does not support this conversion)"
        )
    return [_BY_NAME[n] for n in best[dst.name][2]]


# ----------------------------------------------------------------------------- helpers
def _bits_dtype(d: DType) -> np.dtype:
    return np.dtype(np.uint16) if d.bits == 16 else np.dtype(np.uint32)


def _next_up(bits: np.ndarray, d: DType) -> np.ndarray:
    """Bit pattern of the next representable value towards +inf (finite, non-NaN input)."""
    sign = np.asarray(1 << (d.bits - 1), bits.dtype)
    magnitude = bits & ~sign
    out = np.where(bits & sign, bits - 1, bits + 1)
    return np.where(magnitude == 0, np.ones_like(bits), out).astype(bits.dtype)


def _next_down(bits: np.ndarray, d: DType) -> np.ndarray:
    """Bit pattern of the next representable value towards -inf."""
    sign = np.asarray(1 << (d.bits - 1), bits.dtype)
    magnitude = bits & ~sign
    out = np.where(bits & sign, bits + 1, bits - 1)
    return np.where(magnitude == 0, sign | 1, out).astype(bits.dtype)


def _sign_against_float(x64: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Exact sign(x - v) for an exactly represented float64 ``x`` (0 for NaN / equal)."""

    def compare(v: np.ndarray) -> np.ndarray:
        return (x64 > v).astype(np.int8) - (x64 < v).astype(np.int8)

    return compare


def _sign_against_int64(x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Exact sign(x - v) for int64 ``x`` and integer-valued float64 ``v``."""
    x = x.astype(np.int64)

    def compare(v: np.ndarray) -> np.ndarray:
        above = v >= 2.0**63
        below = v < -(2.0**63)
        vi = np.where(above | below | ~np.isfinite(v), 0.0, v).astype(np.int64)
        s = (x > vi).astype(np.int8) - (x < vi).astype(np.int8)
        return np.where(above, np.int8(-1), np.where(below, np.int8(1), s))

    return compare


def _round_to_float(
    nearest: np.ndarray,
    positive: np.ndarray,
    compare: Callable[[np.ndarray], np.ndarray],
    dst: DType,
    mode: str,
) -> np.ndarray:
    """Apply ``mode`` given ``nearest`` = RNE(x) in ``dst`` and an exact comparator with x."""
    if mode in ("none", "rint"):
        out = nearest
    else:
        bits = nearest.view(_bits_dtype(dst))
        with quiet(invalid="ignore", over="ignore"):
            near64 = nearest.astype(np.float64)
            side = np.where(np.isnan(near64), np.int8(0), compare(near64))
        if not side.any():
            out = nearest
        else:
            with quiet(invalid="ignore", over="ignore"):
                out = _directed(nearest, bits, side, positive, compare, dst, mode)
    return np.asarray(out, dtype=dst.numpy)


def _directed(
    nearest: np.ndarray,
    bits: np.ndarray,
    side: np.ndarray,
    positive: np.ndarray,
    compare: Callable[[np.ndarray], np.ndarray],
    dst: DType,
    mode: str,
) -> np.ndarray:
    """Pick between the two neighbours of x in ``dst`` (``side`` = sign(x - nearest))."""
    lower_bits = np.where(side > 0, bits, _next_down(bits, dst))
    upper_bits = np.where(side > 0, _next_up(bits, dst), bits)
    lower = lower_bits.view(dst.numpy)
    upper = upper_bits.view(dst.numpy)
    if mode == "floor":
        out = lower
    elif mode == "ceil":
        out = upper
    elif mode == "trunc":
        out = np.where(positive, lower, upper)
    elif mode == "odd":
        # von Neumann: of the two neighbours, the one whose last significand bit is 1.
        out = np.where(lower_bits & 1, lower, upper)
    else:  # round: nearest, ties away from zero
        # Beyond the largest finite value the "next" value is 2^(emax+1) for the tie test.
        edge = 2.0 ** (_FLOAT_FORMAT[dst.name][1] + 1)
        lo64 = np.clip(lower.astype(np.float64), -edge, edge)
        hi64 = np.clip(upper.astype(np.float64), -edge, edge)
        tie = compare((lo64 + hi64) * 0.5) == 0
        out = np.where(tie, np.where(positive, upper, lower), nearest)
    return np.where(side == 0, nearest, out).astype(dst.numpy)


def _max_finite(d: DType) -> float:
    mant, emax = _FLOAT_FORMAT[d.name]
    return (2.0 - 2.0 ** (1 - mant)) * 2.0**emax


def _round_to_integer_values(x64: np.ndarray, mode: str) -> np.ndarray:
    """Round float64 values to integral float64 values with ``mode`` (float->int rule).

    ``x64`` holds FP32/FP16/BF16 values (at most 24 significant bits); the caller converts the
    result to an integer type, so the sign of a zero does not matter.
    """
    if mode == "rint":
        return np.rint(x64)
    if mode == "floor":
        return np.floor(x64)
    if mode == "ceil":
        return np.ceil(x64)
    if mode == "round":  # nearest, ties away from zero
        # x + 0.5 (away from zero) is exact in float64 for |x| < 2^52 (x has <= 24 significant
        # bits); above, x is an even integer and the sum rounds back to x. ±inf and NaN pass.
        return np.trunc(x64 + np.copysign(0.5, x64))
    return np.trunc(x64)  # trunc, none (hardware default for float->int), odd (-> none)


def _saturate_to_int(r: np.ndarray, dst_np: np.dtype) -> np.ndarray:
    """Clamp integral float64 values (NaN -> 0) to ``dst_np``'s range and convert exactly."""
    info = np.iinfo(dst_np)
    if r.size and float(info.min) < r.min() and r.max() < float(info.max):
        # Every value in range (NaN fails both tests): the clamps below change nothing.
        return r.astype(dst_np)
    r = np.where(np.isnan(r), 0.0, r)
    high = r >= float(info.max)  # float(max) may round up (2^63): compare before converting
    low = r <= float(info.min)
    safe = np.where(high | low, 0.0, r)
    wide = np.uint64 if info.min == 0 and info.bits == 64 else np.int64
    out = safe.astype(wide)
    out = np.where(high, wide(info.max), np.where(low, wide(info.min), out))
    return out.astype(dst_np)


# ----------------------------------------------------------------------------- one hop
def _convert(x: np.ndarray, src: DType, dst: DType, mode: str) -> np.ndarray:
    """One native conversion ``src`` -> ``dst`` with ``mode``."""
    wraps = (src.name, dst.name) in WRAPPING_PAIRS
    if src.is_float and dst.is_float:
        if _FLOAT_FORMAT[dst.name][0] >= _FLOAT_FORMAT[src.name][0] and (
            _FLOAT_FORMAT[dst.name][1] >= _FLOAT_FORMAT[src.name][1]
        ):
            return x.astype(dst.numpy)  # widening is exact
        x64 = x.astype(np.float64)
        if mode == "odd" and not (src.name == "FP32" and dst.name == "FP16"):
            mode = "none"
        nearest = x.astype(dst.numpy)  # numpy / ml_dtypes: correctly rounded, ties to even
        return _narrow_float(nearest, x64 > 0, _sign_against_float(x64), dst, mode, x64)
    if src.is_float and dst.is_int:
        rounded = _round_to_integer_values(x.astype(np.float64), mode)
        if wraps:
            return _saturate_to_int(rounded, np.dtype(np.int32)).astype(dst.numpy)
        return _saturate_to_int(rounded, dst.numpy)
    if src.is_int and dst.is_float:
        mode = "none" if mode == "odd" else mode
        if src.bits <= 32:
            x64 = x.astype(np.float64)  # exact
            nearest = x64.astype(dst.numpy)  # correctly rounded from the exact value
            if not SATURATE_FLOAT_NARROWING and (mode in ("none", "rint") or _exact_in(x, dst)):
                # Round-to-nearest-even is the answer, or every value converts exactly (then
                # every mode agrees): what _narrow_float returns, without its comparisons.
                return nearest
            return _narrow_float(nearest, x64 > 0, _sign_against_float(x64), dst, mode, x64)
        nearest = x.astype(dst.numpy)  # int64 -> float: the C conversion rounds to nearest even
        return _narrow_float(nearest, x > 0, _sign_against_int64(x), dst, mode, None)
    # int -> int
    if wraps or (dst.bits >= src.bits and (dst.is_signed or not src.is_signed)):
        return x.astype(dst.numpy)  # widening is exact; wrapping keeps the low bits
    info = np.iinfo(dst.numpy)
    clipped = np.clip(x.astype(np.int64), max(info.min, -(2**63)), min(info.max, 2**63 - 1))
    return clipped.astype(dst.numpy)


def _exact_in(x: np.ndarray, dst: DType) -> bool:
    """True if every integer in ``x`` is exactly representable in float ``dst`` (|v| <= 2^p)."""
    limit = 2 ** _FLOAT_FORMAT[dst.name][0]
    return x.size == 0 or (int(x.min()) >= -limit and int(x.max()) <= limit)


def _narrow_float(
    nearest: np.ndarray,
    positive: np.ndarray,
    compare: Callable[[np.ndarray], np.ndarray],
    dst: DType,
    mode: str,
    x64: np.ndarray | None,
) -> np.ndarray:
    out = _round_to_float(nearest, positive, compare, dst, mode)
    if SATURATE_FLOAT_NARROWING:
        big = _max_finite(dst)
        finite_source = np.ones(out.shape, bool) if x64 is None else np.isfinite(x64)
        out64 = out.astype(np.float64)
        overflow = np.isinf(out64) & finite_source
        out = np.where(overflow, np.copysign(big, out64), out64).astype(dst.numpy)
    return out


# ----------------------------------------------------------------------------- public
def normalize_mode(mode: str | int) -> str:
    """The mode name for ``mode`` (a name or its number 0..6); ValueError otherwise."""
    if isinstance(mode, (int, np.integer)) and not isinstance(mode, bool):
        if int(mode) in _MODE_BY_NUMBER:
            return _MODE_BY_NUMBER[int(mode)]
    elif isinstance(mode, str) and mode in CAST_MODES:
        return mode
    raise ValueError(f"cast: mode={mode!r} is not a rounding mode; expected one of {CAST_MODES}")


_CHAINS: dict[tuple[DType, DType], tuple[DType, ...]] = {}


def known_chain(src: DType, dst: DType) -> tuple[DType, ...]:
    """``cast_chain(src, dst)``, found once per dtype pair (casts are a per-op hot path)."""
    chain = _CHAINS.get((src, dst))
    if chain is None:
        chain = _CHAINS[(src, dst)] = tuple(cast_chain(src, dst))
    return chain


def cast(x: np.ndarray, src: DType, dst: DType, mode: str | int = "round") -> np.ndarray:
    """Convert ``x`` (stored as ``src``) to ``dst`` per docs/dsl.md §10 (see module doc)."""
    mode = normalize_mode(mode)
    chain = known_chain(src, dst)
    x = np.asarray(x)
    if x.dtype != src.numpy:
        raise ValueError(f"cast: input array dtype {x.dtype} does not store {src!r}")
    cur, cur_dtype = x, src
    for hop in chain:
        with quiet(over="ignore", invalid="ignore"):  # overflow to ±inf is intended
            cur = _convert(cur, cur_dtype, hop, mode)
        cur_dtype = hop
    return np.asarray(cur, dtype=dst.numpy)
