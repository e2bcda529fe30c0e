"""Python's operators on tiles and GM tensors, bound to the pl ops they stand for.

``a + b`` on tiles is ``pl.add(a, b)``, ``t[...]`` a subscript (a view, a load or a scalar read)
and ``t[...] = v`` a store or pl.write. plsim.memory defines the value types and the op
modules build on it; the operators are attached here, above both, so that plsim.memory needs
no import of the ops (plsim/ops/__init__.py imports this module, so every use of an op
installs them).
"""

from __future__ import annotations

from plsim.memory import GMTensor, Tile
from plsim.ops import elementwise
from plsim.ops.indexing import subscript, subscript_assign


def _add(self: Tile, other):
    return elementwise.add(self, other)


def _sub(self: Tile, other):
    return elementwise.sub(self, other)


def _mul(self: Tile, other):
    return elementwise.mul(self, other)


def _truediv(self: Tile, other):
    return elementwise.div(self, other)


def _neg(self: Tile):
    return elementwise.neg(self)


def install() -> None:
    """Attach the operators to Tile and GMTensor (idempotent)."""
    Tile.__add__ = _add
    Tile.__sub__ = _sub
    Tile.__mul__ = _mul
    Tile.__truediv__ = _truediv
    Tile.__neg__ = _neg
    for cls in (Tile, GMTensor):
        cls.__getitem__ = subscript
        cls.__setitem__ = subscript_assign


install()
