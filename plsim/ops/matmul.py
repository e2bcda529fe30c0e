"""pl.matmul / pl.matmul_acc (docs/dsl.md §11): same operand dtypes, exact INT8 -> INT32,
float -> FP32 accumulation, K % 16 == 0; the value is the accumulator whatever out_dtype says."""

from __future__ import annotations

import math

import numpy as np

from plsim import aiv_placement, events, numerics
from plsim import dtypes as dt
from plsim.context import STATE, dsl, fail, warn
from plsim.errors import HardwareError
from plsim.memory import Tile
from plsim.ops import view_rules
from plsim.ops.common import begin, is_tile_level, mixed_levels, operand, result, union

#: a2a3 TMATMUL (C, A, B) triples: operand dtype -> accumulator dtype.
ACCUMULATOR = {dt.INT8: dt.INT32, dt.FP16: dt.FP32, dt.BF16: dt.FP32, dt.FP32: dt.FP32}


def _lead(t: Tile) -> int:
    """Leading unit axes of a matmul operand: a [1, N, K] window of a 3-D weight is a [N, K]
    matrix whose result keeps the unit axis ([1, M, N]); tests/pyptolib/kernels/
    matmul_3d_operand.py compiles. Other batched shapes are not modelled."""
    lead = t.ndim - 2
    if lead < 0 or any(n != 1 for n in t.shape[:lead]):
        dsl(f"plsim supports 2-D matmul operands (or [1, ..., rows, cols]), got {list(t.shape)}")
    return lead


def _oriented(t: Tile, trans: bool):
    """(data as stored-orientation [rows, cols] view, valid) after an optional transpose."""
    lead = _lead(t)
    data, valid = t.data.reshape(t.shape[lead:]), tuple(t.valid[lead:])
    if trans:
        return data.T, (valid[1], valid[0])
    return data, valid


def _check_dtypes(name: str, a: Tile, b: Tile) -> None:
    if a.dtype is not b.dtype:
        dsl(
            f"pl.{name} of {a.dtype.name} x {b.dtype.name}: operand dtypes must be identical "
            "(supported: INT8xINT8, FP16xFP16, BF16xBF16, FP32xFP32)"
        )
    if a.dtype not in ACCUMULATOR:
        dsl(f"pl.{name} operand dtype {a.dtype.name} is not supported by the cube")


def _check_k(name: str, a: Tile, k: int) -> None:
    box = 32 // a.dtype.itemsize  # elements in the 32-byte inner box of an L0A/L0B fractal
    if k % box:
        fail(
            HardwareError,
            f"pl.{name} K = {k} is not a multiple of {box} ({a.dtype.name}): the compiler accepts "
            "it, but the L0A/L0B tiles it emits break pto-isa's 32-byte fractal box (see "
            f"plsim.HardwareError); zero-pad K to {-(-k // box) * box} in both operands",
        )


def operands(name: str, lhs, rhs, a_trans, b_trans, row_vector=False):
    """The product of two 2-D (or [1, ..., rows, cols]) operands, its accumulator dtype, valid
    region and undefined cells. ``row_vector``: the gemv form, whose lhs is one row."""
    a = operand(lhs, name, cube=True)
    b = operand(rhs, name, cube=True)
    _check_dtypes(name, a, b)
    am, (vm, vka) = _oriented(a, bool(a_trans))
    bm, (vkb, vn) = _oriented(b, bool(b_trans))
    if b_trans:
        view_rules.check_b_trans_operand(b, name)
    k = am.shape[1]
    if bm.shape[0] != k:
        dsl(
            f"pl.{name} K mismatch: lhs {list(am.shape)} (after a_trans={bool(a_trans)}) vs "
            f"rhs {list(bm.shape)} (after b_trans={bool(b_trans)})"
        )
    _check_k(name, a, k)
    # One lhs row (not transposed) is a row vector: pypto stores it unboxed ([1, K] row_major
    # in L1, a [1, N] accumulator) and ptoas builds it (fixture matmul_family_kernels.
    # row_vector_matmuls: a2a3sim equal to NumPy); 8 rows are refused (view_rule_kernels.m8).
    row_vector = row_vector or (am.shape[0] == 1 and not a_trans)
    view_rules.check_cube_shapes(
        name, a, b, a_trans, b_trans, am.shape[0], bm.shape[1], row_vector=row_vector
    )
    if vkb < vka:
        dsl(f"pl.{name}: rhs valid K {vkb} does not cover lhs valid K {vka}")
    product, acc_dtype = numerics.matmul(am[:, :vka], bm[:vka, :], a.dtype)
    lead = max(_lead(a), _lead(b))
    if lead:
        product = product.reshape((1,) * lead + product.shape)
    poison = _product_poison(a, b, a_trans, b_trans, vka, product.shape)
    macs = am.shape[0] * bm.shape[1] * k
    events.cube_macs(macs, a.dtype.name)
    return product, acc_dtype, (1,) * lead + (vm, vn), poison


def is_batched(x) -> bool:
    """A matmul operand with a batch axis: more than two axes, a leading one longer than 1."""
    shape = getattr(x, "shape", ())
    return len(shape) > 2 and any(n != 1 for n in shape[:-2])


def batched_operands(name: str, lhs, rhs, a_trans=False, b_trans=False):
    """``[..., M, K] @ [..., K, N]`` with the batch axes broadcast (NumPy's rule, which a2a3sim
    follows: [2, M, K] @ [1, K, N] and [2, M, K] @ [K, N] measured), one 2-D product each."""
    a = operand(lhs, name, cube=True)
    b = operand(rhs, name, cube=True)
    _check_dtypes(name, a, b)
    for side, t in (("lhs", a), ("rhs", b)):
        if tuple(t.valid[:-2]) != tuple(t.shape[:-2]):
            dsl(f"pl.{name}: the {side}'s batch axes {list(t.shape[:-2])} are not all valid "
                f"(valid {list(t.valid)}); plsim multiplies whole batches")  # fmt: skip
    try:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    except ValueError:
        dsl(f"pl.{name}: batch axes {list(a.shape[:-2])} and {list(b.shape[:-2])} do not "
            "broadcast")  # fmt: skip
    ad = np.swapaxes(a.data, -1, -2) if a_trans else a.data
    bd = np.swapaxes(b.data, -1, -2) if b_trans else b.data
    vm, vka = (a.valid[-1], a.valid[-2]) if a_trans else (a.valid[-2], a.valid[-1])
    vkb, vn = (b.valid[-1], b.valid[-2]) if b_trans else (b.valid[-2], b.valid[-1])
    k = ad.shape[-1]
    if bd.shape[-2] != k:
        dsl(f"pl.{name} K mismatch: lhs {list(ad.shape)} vs rhs {list(bd.shape)}")
    _check_k(name, a, k)
    m, n = ad.shape[-2], bd.shape[-1]
    view_rules.check_cube_shapes(name, a, b, a_trans, b_trans, m, n)
    if vkb < vka:
        dsl(f"pl.{name}: rhs valid K {vkb} does not cover lhs valid K {vka}")
    ad = np.broadcast_to(ad, batch + ad.shape[-2:])
    bd = np.broadcast_to(bd, batch + bd.shape[-2:])
    acc_dtype = ACCUMULATOR[a.dtype]
    product = np.empty((*batch, m, n), dtype=acc_dtype.numpy)
    for idx in np.ndindex(*batch):
        product[idx], _ = numerics.matmul(ad[idx][:, :vka], bd[idx][:vka, :], a.dtype)
    poison = _product_poison(a, b, a_trans, b_trans, vka, product.shape)
    events.cube_macs(math.prod(batch) * m * n * k, a.dtype.name)
    return product, acc_dtype, (*batch, vm, vn), poison


def _product_poison(a: Tile, b: Tile, a_trans, b_trans, k: int, shape):
    """Result cells (of the product's ``shape``, batch or unit leading axes included) that read
    an undefined operand cell: row i of lhs or column j of rhs, within the first ``k`` of K."""
    if a.poison is None and b.poison is None:
        return None
    rows = cols = None
    if a.poison is not None:
        pa = np.swapaxes(a.poison, -1, -2) if a_trans else a.poison
        rows = pa[..., :, :k].any(axis=-1)[..., :, None]
    if b.poison is not None:
        pb = np.swapaxes(b.poison, -1, -2) if b_trans else b.poison
        cols = pb[..., :k, :].any(axis=-2)[..., None, :]
    return union(shape, rows, cols)


def _check_out(name: str, out_dtype, acc_dtype, operand_dtype=None) -> None:
    """Tensor-level matmuls accept any out_dtype (docs/dsl.md §11.1): the type checker makes it
    the IR result type, the lowering ignores it and the value is the FP32/INT32 accumulator.
    plsim follows the §11.1 sim rule (keep the accumulator; round only on a narrower store or an
    explicit cast) and warns where the IR type and that value disagree."""
    if out_dtype is None and operand_dtype is acc_dtype:
        # FP32 x FP32: the default IR type Promote(lhs, rhs) is FP32, the accumulator dtype,
        # so nothing is ambiguous (docs/dsl.md §11.1; pypto-lib examples/intermediate/gemm.py).
        return
    if out_dtype is None:
        problem = (
            f"pl.{name} without out_dtype: the IR type is Promote(lhs, rhs) = {operand_dtype!r}"
        )
    elif out_dtype is not acc_dtype:
        problem = f"pl.{name} out_dtype={out_dtype!r}"
    else:
        return
    warn(
        f"{problem}, but the value is the {acc_dtype!r} accumulator; plsim keeps {acc_dtype!r} "
        "and rounds only on a narrower store or an explicit pl.cast (docs/dsl.md §11.1, "
        f"§16.3). Pass out_dtype={acc_dtype!r} to say so.",
        stacklevel=2,
    )


def check_levels(name: str, *values, **flags) -> bool:
    """pypto's dispatch of a matmul: all operands tensor-level (True: the flags apply) or all
    tile-level, where the transpose and layout flags are refused (a tile is transposed by
    pl.tile.transpose_view). Measured: fixtures matmul_family_kernels.tile_flag,
    mixed_levels."""
    levels = {is_tile_level(v) for v in values}
    if len(levels) > 1:
        mixed_levels()
    if levels == {True}:
        for flag, given in flags.items():
            if given:
                dsl(f"pl.{name}(..., {flag}=True) of tiles: the compiler refuses it (\"'{flag}' is "
                    "not supported for Tile operands\"); at tile level a transposed operand is "
                    "a view, pl.tile.transpose_view(tile)")  # fmt: skip
        return False
    return True


def _check_tile_out(out_dtype, acc_dtype) -> None:
    """The tile form takes out_dtype only when it names the accumulator's dtype."""
    if out_dtype is not None and out_dtype is not acc_dtype:
        dsl(f"pl.matmul of tiles with out_dtype={out_dtype!r}: the compiler refuses it (\"not "
            "supported for Tile operands — the Cube accumulator fixes the result dtype\", here "
            f"{acc_dtype!r}); cast the result (pl.cast) or let pl.store narrow it")  # fmt: skip


def matmul(lhs, rhs, out_dtype=None, a_trans=False, b_trans=False, c_matrix_nz=False):
    """pl.matmul(lhs, rhs, out_dtype=, a_trans=False, b_trans=False)."""
    begin("matmul")
    aiv_placement.check_cube_op("matmul")
    tensors = check_levels(
        "matmul", lhs, rhs, a_trans=a_trans, b_trans=b_trans, c_matrix_nz=c_matrix_nz
    )
    form = batched_operands if is_batched(lhs) or is_batched(rhs) else operands
    product, acc_dtype, valid, poison = form("matmul", lhs, rhs, a_trans, b_trans)
    if tensors:
        _check_out("matmul", out_dtype, acc_dtype, _operand_dtype(lhs))
    else:
        _check_tile_out(out_dtype, acc_dtype)
    return result(product, acc_dtype, valid, "cube", poison, *_tiles(lhs, rhs))


def _operand_dtype(x):
    """The element dtype of a matmul operand (tile or GM tensor)."""
    return getattr(x, "dtype", None)


def _tiles(*values):
    return [v for v in values if isinstance(v, Tile)]


def matmul_acc(acc, lhs, rhs, a_trans=False, b_trans=False, init_cond=None):
    """pl.matmul_acc(acc, lhs, rhs): acc + lhs @ rhs in the accumulator (aliases acc)."""
    begin("matmul_acc")
    aiv_placement.check_cube_op("matmul_acc")
    check_levels("matmul_acc", acc, lhs, rhs, a_trans=a_trans, b_trans=b_trans)
    overwrite = bool(init_cond) if init_cond is not None else False
    if not isinstance(acc, Tile):
        dsl("pl.matmul_acc needs an accumulator tile (the result of pl.matmul)")
    if overwrite:
        acc.base.last_use = STATE.seq
        acc.base.used_cube = True
    else:
        acc = operand(acc, "matmul_acc", cube=True)
    acc.base.accumulated = True
    product, acc_dtype, valid, poison = operands("matmul_acc", lhs, rhs, a_trans, b_trans)
    if valid[-2] > acc.valid[-2]:
        # pypto: "tile.matmul_acc requires acc valid M to cover lhs valid M" (fixture
        # operand_rule_kernels.matmul_acc_rows)
        dsl(
            f"pl.matmul_acc: the lhs has {valid[-2]} valid rows, the accumulator "
            f"{acc.valid[-2]}; the compiler requires the accumulator's valid M to cover the "
            "lhs's (\"requires acc valid M to cover lhs valid M\"); give the first matmul's "
            "lhs the same valid rows"
        )
    if acc.dtype is not acc_dtype:
        dsl(f"pl.matmul_acc accumulator is {acc.dtype.name}, operands need {acc_dtype.name}")
    if acc.shape != product.shape:
        dsl(f"pl.matmul_acc accumulator {list(acc.shape)} vs product {list(product.shape)}")
    if overwrite:
        acc.data[...] = product
        new_poison = poison
    else:
        acc.data[...] = numerics.binary("add", acc.data, product, acc_dtype)
        new_poison = union(acc.shape, acc.poison, poison)
    origin = acc.poison_from
    if origin is None and new_poison is not None:
        origin = next((t.poison_from for t in _tiles(lhs, rhs) if t.poison is not None), None)
    return Tile(acc.data, acc.dtype, acc.valid, new_poison, base=acc.base, poison_from=origin)


__all__ = ["ACCUMULATOR", "batched_operands", "is_batched", "matmul", "matmul_acc", "np"]
