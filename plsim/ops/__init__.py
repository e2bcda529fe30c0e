"""pl op families: memory (loads/stores/views), elementwise, reductions/expands, cast, matmul,
sort/gather. Each op checks its shape/dtype rule, valid regions and accounting, then calls
plsim.numerics for the values."""

# Python's operators on tiles and tensors (a + b, t[...]) are these ops: attached on the first
# import of any op module, before a kernel can make a tile.
from plsim.ops import operators as _operators  # noqa: F401
