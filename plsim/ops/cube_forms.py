"""The tile-level cube ops beyond pl.matmul / pl.matmul_acc: ``pl.matmul_bias``,
``pl.batch_matmul`` and the row-vector family ``pl.gemv`` / ``gemv_acc`` / ``gemv_bias``.

Each takes tiles only (pypto: "The operator tile.matmul_bias requires first argument (lhs) to
be a TileType, but got TensorType"; "pl.batch_matmul: expected Tensor or Tile operands, got
(Tensor, Tensor)"). The rules and values, measured on the chain (fixtures
tests/plsim_conformance/kernels/matmul_family_kernels.py):

- ``matmul_bias(a, b, bias)`` = a @ b + bias: the bias is a [1, N] tile of the accumulator's
  dtype (pypto: "requires bias dtype fp32 to match the accumulator"), added to every row;
- ``batch_matmul(a, b)`` multiplies ``[..., M, K]`` by ``[..., K, N]`` with the batch axes
  broadcast (a2a3sim: [2, M, K] @ [2, K, N] and @ [1, K, N] equal NumPy's);
- ``gemv(a, b)`` is a @ b for a one-row ``a`` (pypto: "GEMV requires lhs physical row extent to
  be exactly 1"); ``gemv_acc(acc, a, b)`` adds it to ``acc``, ``gemv_bias`` adds a bias. pypto
  and ptoas build them, but this chain's a2a3sim cannot: pto-isa's CPU TMATMUL asserts that the
  one-row left tile and the 16-row accumulator have the same rows ("Inconsistent number of m,
  k, n"). plsim simulates the product and says so with a DSLWarning; its values are checked
  against NumPy only.
"""

from __future__ import annotations

import numpy as np

from plsim import aiv_placement, numerics
from plsim.context import dsl, warn
from plsim.memory import Tile
from plsim.ops import matmul as _mm
from plsim.ops.common import begin, is_tile_level, operand, result, union

#: pl.gemv acc_phase values (pypto tile_ops.gemv).
ACC_PHASES = ("unspecified", "partial", "final")


def _tiles_only(name: str, *values) -> None:
    for position, value in zip(("lhs", "rhs"), values):
        if not is_tile_level(value):
            dsl(f"pl.{name} of a tensor-level {position}: the compiler has only the tile form "
                f"(\"The operator tile.{name} requires first argument ({position}) to be a "
                "TileType, but got TensorType\"); load the operands (pl.load(..., "
                "target_memory=pl.MemorySpace.Mat))")  # fmt: skip


def _bias_added(name: str, product, acc_dtype, valid, bias) -> tuple[np.ndarray, np.ndarray]:
    """product + bias (a [1, N] tile of the accumulator dtype) and the bias's undefined cells."""
    b = operand(bias, name, cube=True)
    if b.dtype is not acc_dtype:
        dsl(f"pl.{name}: the bias is {b.dtype.name}; the compiler requires the accumulator's "
            f"dtype (\"requires bias dtype {acc_dtype.name.lower()} to match the accumulator, but "
            f"got {b.dtype.name.lower()}\")")  # fmt: skip
    n = product.shape[-1]
    if b.ndim != 2 or b.shape[0] != 1 or b.shape[1] != n:
        dsl(f"pl.{name}: the bias is {list(b.shape)}; it is a [1, {n}] row")
    if b.valid[1] < valid[-1]:
        dsl(f"pl.{name}: the bias's valid columns {b.valid[1]} do not cover the product's "
            f"{valid[-1]}")  # fmt: skip
    data = numerics.binary("add", product, b.data, acc_dtype)
    return data, (None if b.poison is None else np.broadcast_to(b.poison, product.shape))


def matmul_bias(lhs, rhs, bias) -> Tile:
    """pl.matmul_bias(a, b, bias): a @ b + bias, the bias a [1, N] row of the accumulator."""
    begin("matmul_bias")
    aiv_placement.check_cube_op("matmul_bias")
    _tiles_only("matmul_bias", lhs, rhs)
    product, acc_dtype, valid, poison = _mm.operands("matmul_bias", lhs, rhs, False, False)
    data, bias_poison = _bias_added("matmul_bias", product, acc_dtype, valid, bias)
    poison = union(data.shape, poison, bias_poison)
    return result(data, acc_dtype, valid, "cube", poison, lhs, rhs)


def batch_matmul(lhs, rhs) -> Tile:
    """pl.batch_matmul(a, b): [..., M, K] @ [..., K, N], the batch axes broadcast."""
    begin("batch_matmul")
    aiv_placement.check_cube_op("batch_matmul")
    if not all(is_tile_level(v) for v in (lhs, rhs)):
        dsl("pl.batch_matmul of tensor-level values: the compiler refuses them (\"pl.batch_matmul: "
            "expected Tensor or Tile operands, got (Tensor, Tensor)\"); load the operands, or "
            "write pl.matmul, which multiplies batched tensors")  # fmt: skip
    form = _mm.batched_operands if _mm.is_batched(lhs) or _mm.is_batched(rhs) else _mm.operands
    product, acc_dtype, valid, poison = form("batch_matmul", lhs, rhs, False, False)
    return result(product, acc_dtype, valid, "cube", poison, lhs, rhs)


def _gemv_product(name: str, lhs, rhs, acc_phase):
    begin(name)
    aiv_placement.check_cube_op(name)
    _tiles_only(name, lhs, rhs)
    if acc_phase not in ACC_PHASES:
        dsl(f"pl.{name} acc_phase={acc_phase!r}: expected one of {', '.join(ACC_PHASES)}")
    if lhs.ndim != 2 or lhs.shape[0] != 1:
        dsl(f"pl.{name}: the compiler requires a one-row lhs (\"GEMV requires lhs physical row "
            f"extent to be exactly 1, but got shape {list(lhs.shape)}\"); use pl.matmul for "
            "more rows")  # fmt: skip
    warn(
        f"pl.{name} builds for the device, but this toolchain's a2a3sim cannot build it "
        "(pto-isa's CPU TMATMUL asserts a one-row left tile against the 16-row accumulator: "
        "\"Inconsistent number of m, k, n\"); plsim's values are a @ b, checked against NumPy "
        "only",
        stacklevel=3,
    )
    return _mm.operands(name, lhs, rhs, False, False, row_vector=True)


def gemv(lhs, rhs, acc_phase: str = "unspecified") -> Tile:
    """pl.gemv(a, b): a @ b for a one-row a ([1, K] @ [K, N] -> [1, N])."""
    product, acc_dtype, valid, poison = _gemv_product("gemv", lhs, rhs, acc_phase)
    return result(product, acc_dtype, valid, "cube", poison, lhs, rhs)


def gemv_bias(lhs, rhs, bias, acc_phase: str = "unspecified") -> Tile:
    """pl.gemv_bias(a, b, bias): a @ b + bias for a one-row a."""
    product, acc_dtype, valid, poison = _gemv_product("gemv_bias", lhs, rhs, acc_phase)
    data, bias_poison = _bias_added("gemv_bias", product, acc_dtype, valid, bias)
    poison = union(data.shape, poison, bias_poison)
    return result(data, acc_dtype, valid, "cube", poison, lhs, rhs)


def gemv_acc(acc, lhs, rhs, acc_phase: str = "unspecified") -> Tile:
    """pl.gemv_acc(acc, a, b): acc + a @ b in the accumulator (aliases acc)."""
    if not isinstance(acc, Tile):
        dsl("pl.gemv_acc needs an accumulator tile (the result of pl.gemv)")
    product, acc_dtype, _, poison = _gemv_product("gemv_acc", lhs, rhs, acc_phase)
    acc = operand(acc, "gemv_acc", cube=True)
    if acc.dtype is not acc_dtype or acc.shape != product.shape:
        dsl(f"pl.gemv_acc: the accumulator is {acc.dtype.name} {list(acc.shape)}; the product is "
            f"{acc_dtype.name} {list(product.shape)}")  # fmt: skip
    acc.base.accumulated = True
    acc.data[...] = numerics.binary("add", acc.data, product, acc_dtype)
    new_poison = union(acc.shape, acc.poison, poison)
    return Tile(acc.data, acc.dtype, acc.valid, new_poison, base=acc.base,
                poison_from=acc.poison_from)  # fmt: skip


__all__ = ["batch_matmul", "gemv", "gemv_acc", "gemv_bias", "matmul_bias"]
