"""``pl.part_*`` and ``pl.fmod`` / ``pl.fmods`` beyond FP32 (plsim/ops/partial.py,
remainder_trig.py): FP16, INT32 and INT16 tiles, and an FP16 ``fmods`` with a float literal,
which ptoas refuses.
"""

import pypto.language as pl

R = 16
C = 64
NR = 8
NC = 32

#: What the real pypto compiler does with each kernel (kinds: tests/plsim_fixtures.py);
#: checked by tests/plsim_conformance/test_compiler_agreement.py.
VERDICTS = {
    "partial_fmod_half": "compiles",
    "partial_fmod_int": "compiles",
    "half_fmods_literal": "hardware: ptoas refuses an FP32 scalar with an FP16 tfmods",
}

#: What a2a3sim does with each kernel (kinds: tests/plsim_conformance/sim_agreement.py).
A2A3SIM = {
    "partial_fmod_half": "pass",
    "partial_fmod_int": "pass",
    "half_fmods_literal": (
        "not run: 'pto.tfmods' op expects scalar type to match the tile element type"
    ),
}


@pl.jit
def partial_fmod_half(
    x: pl.Tensor[[R, C], pl.FP16],
    y: pl.Tensor[[R, C], pl.FP16],
    padd: pl.Out[pl.Tensor[[R, C], pl.FP16]],
    pmax: pl.Out[pl.Tensor[[R, C], pl.FP16]],
    pmin: pl.Out[pl.Tensor[[R, C], pl.FP16]],
    pmul: pl.Out[pl.Tensor[[R, C], pl.FP16]],
    fm: pl.Out[pl.Tensor[[R, C], pl.FP16]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="partial_fmod_half"):
        a = pl.load(x, [0, 0], [R, C])
        b = pl.tile.set_validshape(pl.load(y, [0, 0], [R, C]), NR, NC)
        pl.store(pl.part_add(a, b), [0, 0], padd)
        pl.store(pl.part_max(a, b), [0, 0], pmax)
        pl.store(pl.part_min(a, b), [0, 0], pmin)
        pl.store(pl.part_mul(a, b), [0, 0], pmul)
        c = pl.load(y, [0, 0], [R, C])
        pl.store(pl.fmod(a, c), [0, 0], fm)
    return padd, pmax, pmin, pmul, fm


@pl.jit
def partial_fmod_int(
    x: pl.Tensor[[R, C], pl.INT32],
    y: pl.Tensor[[R, C], pl.INT32],
    u: pl.Tensor[[R, C], pl.INT16],
    w: pl.Tensor[[R, C], pl.INT16],
    padd: pl.Out[pl.Tensor[[R, C], pl.INT32]],
    pmax: pl.Out[pl.Tensor[[R, C], pl.INT32]],
    pmul: pl.Out[pl.Tensor[[R, C], pl.INT16]],
    pmin: pl.Out[pl.Tensor[[R, C], pl.INT16]],
    fm: pl.Out[pl.Tensor[[R, C], pl.INT32]],
    fm16: pl.Out[pl.Tensor[[R, C], pl.INT16]],
    fms: pl.Out[pl.Tensor[[R, C], pl.INT32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="partial_fmod_int"):
        a = pl.load(x, [0, 0], [R, C])
        b = pl.tile.set_validshape(pl.load(y, [0, 0], [R, C]), NR, NC)
        p = pl.load(u, [0, 0], [R, C])
        q = pl.tile.set_validshape(pl.load(w, [0, 0], [R, C]), NR, NC)
        pl.store(pl.part_add(a, b), [0, 0], padd)
        pl.store(pl.part_max(a, b), [0, 0], pmax)
        pl.store(pl.part_mul(p, q), [0, 0], pmul)
        pl.store(pl.part_min(p, q), [0, 0], pmin)
        c = pl.load(y, [0, 0], [R, C])
        pl.store(pl.fmod(a, c), [0, 0], fm)
        e = pl.load(w, [0, 0], [R, C])
        pl.store(pl.fmod(p, e), [0, 0], fm16)
        pl.store(pl.fmods(a, 7), [0, 0], fms)
    return padd, pmax, pmul, pmin, fm, fm16, fms


@pl.jit
def half_fmods_literal(x: pl.Tensor[[R, C], pl.FP16], out: pl.Out[pl.Tensor[[R, C], pl.FP16]]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="half_fmods_literal"):
        a = pl.load(x, [0, 0], [R, C])
        pl.store(pl.fmods(a, 3.0), [0, 0], out)  # @fmods_literal
    return out
