"""plsim's implementation of the ``pypto.language`` namespace (imported by kernels as ``pl``)."""

from __future__ import annotations

import contextlib
import types

from plsim import barriers as _barriers
from plsim import control
from plsim import dtypes as _dt
from plsim.context import dsl as _dsl
from plsim.functions import jit
from plsim.language_types import (
    TASK_ID,
    AtomicType,
    CrossCoreSlot,
    GatherMaskPattern,
    InOut,
    Level,
    MemorySpace,
    Out,
    PadValue,
    Scalar,
    SplitMode,
    TaskId,
    Tensor,
    Tile,
    cross_core_slot,
    dynamic,
    split,
)
from plsim.ops import arrays as _arrays
from plsim.ops import bitwise as _bits
from plsim.ops import cast as _cast
from plsim.ops import common as _ops_common
from plsim.ops import creation as _create
from plsim.ops import cube_forms as _cube
from plsim.ops import elementwise as _ew
from plsim.ops import gather_row as _gr
from plsim.ops import indexing as _index
from plsim.ops import matmul as _mm
from plsim.ops import paged_gather as _paged
from plsim.ops import partial as _partial
from plsim.ops import prefetch as _prefetch
from plsim.ops import reduce_expand as _re
from plsim.ops import remainder_trig as _rt
from plsim.ops import scalar_access as _scalar
from plsim.ops import scalar_and_index as _si
from plsim.ops import scatter_update as _scatter_update
from plsim.ops import select as _select
from plsim.ops import sort_gather as _sg
from plsim.ops import stores as _stores
from plsim.ops import three_operand as _three
from plsim.ops import tile_copies as _copies
from plsim.ops import unbuildable as _unbuildable
from plsim.ops import views as _views
from plsim.scalars import Scalar as _RuntimeScalar
from plsim.scalars import is_number as _is_number
from plsim.scalars import scalar_max, scalar_min

# --- dtypes --------------------------------------------------------------------------------
BOOL = _dt.BOOL
INT8 = _dt.INT8
UINT8 = _dt.UINT8
INT16 = _dt.INT16
UINT16 = _dt.UINT16
INT32 = _dt.INT32
UINT32 = _dt.UINT32
INT64 = _dt.INT64
UINT64 = _dt.UINT64
FP16 = _dt.FP16
BF16 = _dt.BF16
FP32 = _dt.FP32
INDEX = _dt.INDEX
DataType = _dt.DType
Mem = MemorySpace

# --- decorators, scopes, loops -------------------------------------------------------------
inline = jit.inline
incore = jit.incore
at = control.at
spmd = control.spmd
range = control.range_
parallel = control.parallel
unroll = control.unroll
pipeline = control.pipeline
yield_ = control.yield_
while_ = control.while_
cond = control.cond
split_aiv = control.split_aiv
aiv_shard = control.aiv_shard
aic_gather = control.aic_gather


@contextlib.contextmanager
def cluster(*, name_hint: str = ""):
    """pl.cluster(name_hint=...): co-scheduling hint, no functional effect."""
    del name_hint
    yield


@contextlib.contextmanager
def scope():
    """pl.scope(): a runtime scope bounding GM ring-buffer lifetimes; no functional effect."""
    yield


@contextlib.contextmanager
def manual_scope():
    """pl.manual_scope(): dependency hint, no functional effect."""
    yield


def static_assert(cond, msg: str = "") -> None:
    """pl.static_assert(cond, "message"): a parse-time assertion."""
    if not bool(cond):
        _dsl(f"pl.static_assert failed: {msg}")


def dump_tag(*args, **kwargs) -> None:
    """pl.dump_tag(t): marks tensor ``t`` for the runtime's selective argument dump.

    pypto records the name at parse time and emits no IR statement, so it has no functional
    effect. The parser requires exactly one positional argument that is a bare variable name, in
    statement position, and rejects it in kernel (non-orchestration) function bodies; plsim
    checks the syntax when the kernel is parsed and the operand here.
    """
    if kwargs or len(args) != 1:
        _dsl(f"pl.dump_tag takes exactly one positional argument, got {len(args)} positional "
             f"and keywords {sorted(kwargs)}")  # fmt: skip
    from plsim.memory import GMTensor
    from plsim.memory import Tile as _TileValue

    if not isinstance(args[0], (GMTensor, _TileValue)):
        _dsl(f"pl.dump_tag marks a tensor, got {type(args[0]).__name__} {args[0]!r}")


def static_print(*args) -> None:
    """pl.static_print(...): pypto prints IR objects at compile time; no effect in plsim."""
    del args


def no_dep(tensor):
    """pl.no_dep(t): a kernel-call argument's no-dependency marker; the tensor itself (pypto:
    "at runtime it returns the wrapped tensor unchanged")."""
    return tensor


def const(value, dtype):
    """pl.const(value, dtype): a scalar pinned to ``dtype``."""
    return _RuntimeScalar(value, dtype)


def min(a, b):
    """pl.min(a, b): scalar minimum."""
    return scalar_min(a, b)


def max(a, b):
    """pl.max(a, b): scalar maximum."""
    return scalar_max(a, b)


# --- memory --------------------------------------------------------------------------------
create_tensor = _create.create_tensor
full = _create.full
arange = _create.arange
slice = _index.pl_slice
assemble = _stores.assemble
reshape = _views.reshape
read = _scalar.read
write = _scalar.write
fillpad = _copies.fillpad
fillpad_expand = _copies.fillpad_expand
reinterpret_view = _copies.reinterpret_view
move = _copies.move
set_validshape = _views.set_validshape
concat = _copies.concat
load = _index.tile_load
store = _stores.tile_store
create_tile = _create.create_tile
tri = _create.tri
create_l1 = _gr.create_l1
gather_row = _gr.gather_row
paged_gather = _paged.paged_gather
mgather = _unbuildable.mgather
mscatter = _unbuildable.mscatter
random = _unbuildable.random

# --- compute -------------------------------------------------------------------------------
cast = _cast.cast
add = _ew.add
sub = _ew.sub
mul = _ew.mul
div = _ew.div
maximum = _ew.maximum
minimum = _ew.minimum
cmp = _select.cmp
cmps = _select.cmps
sel = _select.sel
sels = _select.sels
neg = _ew.neg
abs = _ew.abs_
exp = _ew.exp
sqrt = _ew.sqrt
rsqrt = _ew.rsqrt
recip = _ew.recip
log = _ew.log
relu = _ew.relu
maximums = _si.maximums
minimums = _si.minimums
lrelu = _si.lrelu
row_argmax = _si.row_argmax
row_argmin = _si.row_argmin
col_argmax = _si.col_argmax
col_argmin = _si.col_argmin
rem = _rt.rem
rems = _rt.rems
fmod = _rt.fmod
fmods = _rt.fmods
sin = _rt.sin
cos = _rt.cos
and_ = _bits.and_
or_ = _bits.or_
xor = _bits.xor
not_ = _bits.not_
shl = _bits.shl
shr = _bits.shr
ands = _bits.ands
ors = _bits.ors
xors = _bits.xors
shls = _bits.shls
shrs = _bits.shrs
part_add = _partial.part_add
part_mul = _partial.part_mul
part_max = _partial.part_max
part_min = _partial.part_min
addc = _three.addc
subc = _three.subc
addsc = _three.addsc
subsc = _three.subsc
matmul = _mm.matmul
matmul_acc = _mm.matmul_acc
matmul_bias = _cube.matmul_bias
batch_matmul = _cube.batch_matmul
gemv = _cube.gemv
gemv_acc = _cube.gemv_acc
gemv_bias = _cube.gemv_bias
sort32 = _sg.sort32
mrgsort = _sg.mrgsort
gather = _sg.gather
scatter = _sg.scatter
scatter_update = _scatter_update.scatter_update


def _reduction(op: str, axis: int, name: str, doc: str, scratch: str):
    """The ``pl.<name>(x, tmp_tile=None)`` reduction: ``op`` over the valid cells along ``axis``.

    ``scratch`` is pypto's rule for the tile form's caller-owned scratch tile (unified_ops: same
    dtype and rank, every dimension at least the input's; no effect on the result):
    "required" (row reductions), "optional" (col_sum) or "none" (col_max / col_min / col_prod,
    which take no such argument). A tensor-level input never takes one (_re.check_scratch_rule).
    """

    def fn(x, tmp_tile=None):
        _re.check_scratch_rule(x, tmp_tile, name, scratch)
        if tmp_tile is not None:
            _re.check_scratch(x, tmp_tile, name)
        return _re.reduce(op, x, axis, name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


row_max = _reduction(
    "max", -1, "row_max", "pl.row_max(x): [.., M, N] -> [.., M, 1] over the valid columns.",
    "required",
)  # fmt: skip
row_min = _reduction("min", -1, "row_min", "pl.row_min(x).", "required")
row_sum = _reduction("sum", -1, "row_sum", "pl.row_sum(x).", "required")
row_prod = _reduction("prod", -1, "row_prod", "pl.row_prod(x).", "required")
col_max = _reduction(
    "max", -2, "col_max", "pl.col_max(x): [.., M, N] -> [.., 1, N] over the valid rows.", "none"
)
col_min = _reduction("min", -2, "col_min", "pl.col_min(x).", "none")
col_sum = _reduction("sum", -2, "col_sum", "pl.col_sum(x).", "optional")
col_prod = _reduction("prod", -2, "col_prod", "pl.col_prod(x).", "none")


row_expand_add = _re.row_expand_op("add")
row_expand_sub = _re.row_expand_op("sub")
row_expand_mul = _re.row_expand_op("mul")
row_expand_div = _re.row_expand_op("div")
row_expand_max = _re.row_expand_op("max")
row_expand_min = _re.row_expand_op("min")
row_expand_expdif = _re.row_expand_op("expdif")
col_expand_add = _re.col_expand_op("add")
col_expand_sub = _re.col_expand_op("sub")
col_expand_mul = _re.col_expand_op("mul")
col_expand_div = _re.col_expand_op("div")
col_expand_max = _re.col_expand_op("max")
col_expand_min = _re.col_expand_op("min")
col_expand_expdif = _re.col_expand_op("expdif")
row_expand = _re.row_expand
transpose = _copies.transpose
col_expand = _re.col_expand
expands = _re.expands


# --- sub-namespaces ------------------------------------------------------------------------
def _task_dummy(deps=None, **ignored) -> TaskId:
    """pl.system.task_dummy(deps=[...]): a dependency barrier; no functional effect."""
    return TaskId()


def gather_mask(x, mask_pattern, output_dtype=None):
    """pl.tile.gather_mask: the mask form of pl.gather, on tiles (pypto has no
    pl.tensor.gather_mask; a tensor-level value takes pl.gather(x, mask_pattern=...))."""
    return gather(x, mask_pattern=mask_pattern, output_dtype=output_dtype)


# pypto spells every op also as pl.tensor.<op> / pl.tile.<op>; both resolve to the same code.
_OPS = {
    name: value
    for name, value in dict(globals()).items()
    if callable(value)
    and getattr(value, "__module__", "").startswith("plsim.")
    and not name.startswith("_")
    and not isinstance(value, type)
    and name not in ("jit", "inline", "incore", "at", "spmd", "range", "parallel", "unroll",
                     "pipeline", "yield_", "while_", "cond", "cluster", "manual_scope", "split",
                     "scope", "prefetch_context", "async_prefetch",
                     "cross_core_slot", "dynamic", "static_assert", "const", "min", "max",
                     "scalar_min", "scalar_max", "dump_tag", "split_aiv", "static_print",
                     "no_dep")
}  # fmt: skip
tile = types.SimpleNamespace(
    **_OPS,
    get_block_idx=control.get_block_idx,
    get_block_num=control.get_block_num,
    get_subblock_idx=control.get_subblock_idx,
    MaskPattern=GatherMaskPattern,
    dim=_views.tensor_dim,
    create=create_tile,
)
# pl.full and pl.arange are pypto's tensor-level ops; pl.tile.full / ci / arange make tiles.
tile.full = _create.tile_level(full)
tile.ci = tile.arange = _create.tile_level(arange)
tensor = types.SimpleNamespace(
    **_OPS,
    dim=_views.tensor_dim,
    ci=arange,
    create=create_tensor,
    get_block_idx=control.get_block_idx,
    get_block_num=control.get_block_num,
    get_subblock_idx=control.get_subblock_idx,
    MaskPattern=GatherMaskPattern,
)
del tensor.gather_mask  # pypto spells the mask form pl.tile.gather_mask only
# The scalar forms pypto spells in pl.tile / pl.tensor only, and the scalar max / min.
for _ns in (tile, tensor):
    for _op in ("add", "sub", "mul", "div"):
        setattr(_ns, f"{_op}s", _ew.scalar_form(_op))
tile.max, tile.min = max, min
# pypto spells it pl.tile.fillpad_inplace only ("Unknown operation 'pl.fillpad_inplace'",
# fixture operand_rule_kernels.fillpad_inplace_top_level).
tile.fillpad_inplace = _copies.fillpad_inplace
# pypto spells these pl.tile.* only.
tile.transpose_view = _views.transpose_view
tile.extract = _copies.extract
tile.scatter_mask = _unbuildable.scatter_mask
# pl.tile.gather / scatter are the flat index forms on tiles (the mask forms are
# pl.tile.gather_mask / scatter_mask).
tile.gather = _sg.tile_gather
tile.scatter = _sg.tile_scatter
# pypto's tile ops whose first parameter is a Tile: spelled pl.tile.<op>, a tensor-level first
# argument is refused as the compiler refuses it. (gather_row is left out: plsim's
# pl.create_l1 buffer is not marked tile-level.)
_TILE_FIRST = (
    "abs", "add", "addc", "adds", "addsc", "and_", "ands", "assemble", "batch_matmul", "cast",
    "cmp", "cmps", "col_argmax", "col_argmin", "col_expand", "col_expand_add", "col_expand_div",
    "col_expand_expdif", "col_expand_max", "col_expand_min", "col_expand_mul", "col_expand_sub",
    "col_max", "col_min", "col_prod", "col_sum", "concat", "cos", "div", "divs", "exp",
    "expands", "extract", "fillpad", "fillpad_expand", "fillpad_inplace", "fmod", "fmods",
    "gather", "gather_mask", "gemv", "gemv_acc", "gemv_bias", "log", "lrelu", "matmul",
    "matmul_acc", "matmul_bias", "maximum", "maximums", "minimum", "minimums", "move", "mrgsort",
    "mscatter", "mul", "muls", "neg", "not_", "or_", "ors", "part_add", "part_max", "part_min",
    "part_mul", "read", "recip", "reinterpret_view", "relu", "rem", "rems", "reshape",
    "row_argmax", "row_argmin", "row_expand", "row_expand_add", "row_expand_div",
    "row_expand_expdif", "row_expand_max", "row_expand_min", "row_expand_mul", "row_expand_sub",
    "row_max", "row_min", "row_prod", "row_sum", "rsqrt", "scatter", "scatter_mask",
    "scatter_update", "sel", "sels", "set_validshape", "shl", "shls", "shr", "shrs", "sin",
    "slice", "sort32", "sqrt", "store", "sub", "subc", "subs", "subsc", "transpose",
    "transpose_view", "write", "xor", "xors",
)
for _name in _TILE_FIRST:
    if hasattr(tile, _name):
        setattr(tile, _name, _ops_common.first_operand_a_tile(getattr(tile, _name),
                                                             f"pl.tile.{_name}"))  # fmt: skip


def fillpad_inplace(*args, **kwargs):
    """pl.fillpad_inplace: not an op of the pl namespace (pl.tile.fillpad_inplace is)."""
    _dsl(
        "pl.fillpad_inplace is not an operation of the pl namespace (the compiler: \"Unknown "
        "operation 'pl.fillpad_inplace'\"); write pl.tile.fillpad_inplace(tile, pad_value=...)"
    )


def _no_effect(*args, **ignored) -> None:
    """pl.system.fence / pl.system.cacheinvalid: GM is coherent in plsim; no effect."""
    del args, ignored


# pypto spells these also at the top level (pl.get_block_idx, ...: its tensor-scope aliases).
get_block_idx = control.get_block_idx
get_block_num = control.get_block_num
get_subblock_idx = control.get_subblock_idx
dim = _views.tensor_dim

# pl.system.syncall runs as phases of its launch (plsim.barriers); the source checker rewrites
# each syncall statement of a `with pl.spmd` body, so a call that reaches this is elsewhere.
system = types.SimpleNamespace(
    task_dummy=_task_dummy,
    syncall=_barriers.syncall_outside_body,
    fence=_no_effect,
    cacheinvalid=_no_effect,
)
array = types.SimpleNamespace(create=_arrays.create)
prefetch = types.SimpleNamespace(
    make_context=_prefetch.prefetch_context, async_prefetch=_prefetch.async_prefetch
)
Array = _arrays.Array

__all__ = [
    "TASK_ID", "AtomicType", "CrossCoreSlot", "GatherMaskPattern", "InOut", "Level", "Out",
    "PadValue", "Scalar", "SplitMode", "TaskId", "Tensor", "Tile", "_is_number",
    "cross_core_slot", "dynamic", "jit", "split",
]  # fmt: skip
