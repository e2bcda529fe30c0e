"""GM buffers and views (with per-element written-masks), on-chip tiles, and their bookkeeping.

A ``GMTensor`` is a strided window (offset/shape/strides in elements) over a ``GMBuffer``'s flat
C-contiguous storage, so the same window can be applied to the data, the written-mask and the
race tracker's owner map without copies. A ``Tile`` is an on-chip value: physical data, a
top-left-anchored valid region and an optional poison mask (cells inside the valid region that
hold undefined data, e.g. loaded from never-written GM).
"""

from __future__ import annotations

import numpy as np

from plsim import dtypes as dt
from plsim.context import STATE, kernel_location
from plsim.language_types import DynamicDim


def poison_value(dtype: dt.DType):
    """The fill of undefined memory: NaN for floats, a recognisable pattern for integers."""
    if dtype.is_float:
        return np.nan
    if dtype is dt.BOOL:
        return True
    info = np.iinfo(dtype.numpy)
    return (
        np.array(0x7EADBEEF, dtype=np.int64).astype(dtype.numpy).item()
        if info.bits > 8
        else (info.max)
    )


# Kernel lines where undefined data arose, numbered from 1, so that one int32 per GM element can
# say where the undefined value stored there came from (0: the element was never written).
_ORIGIN_SITES: list[tuple] = [("<never written>", 0)]
_ORIGIN_IDS: dict[tuple, int] = {}


def describe_origin(site: tuple) -> str:
    """'file:line' of an undefined-data origin, plus what happened there when it is known.

    A site is (file, line) or (file, line, what), e.g. what = "a read of never-written elements
    of 'q_dequant (pl.create_tensor at indexer.py:167)'".
    """
    text = f"{site[0]}:{site[1]}"
    return f"{text} ({site[2]})" if len(site) > 2 and site[2] else text


def _origin_id(site: tuple) -> int:
    found = _ORIGIN_IDS.get(site)
    if found is None:
        found = _ORIGIN_IDS[site] = len(_ORIGIN_SITES)
        _ORIGIN_SITES.append(site)
    return found


class GMBuffer:
    """One GM allocation: a kernel parameter or an orchestration ``pl.create_tensor``.

    ``kind`` is 'in', 'out', 'inout' (parameters) or 'scratch'. ``written`` is None when every
    element holds defined data, else a bool mask. ``read_mask`` and ``stored_mask`` mark the
    elements of a parameter the run read and stored, for the compulsory-traffic figure; the
    stage counter (plsim.counting) allocates them on first use, so they stay None in a
    functional-only run. ``undefined_from`` (allocated only once
    undefined cells are stored) numbers, per element, the kernel line the undefined value stored
    there came from, so a reload reports the real origin instead of the reload line.
    """

    __slots__ = (
        "data", "dtype", "flat", "kind", "name", "read_mask", "stored_mask", "undefined_from",
        "window", "written",
    )  # fmt: skip

    def __init__(self, data: np.ndarray, dtype: dt.DType, name: str, kind: str, written=None):
        self.data = data
        self.flat = data.reshape(-1)
        self.dtype = dtype
        self.name = name
        self.kind = kind
        self.written = written
        self.undefined_from = None
        self.window = None  # a plsim.distributed.WindowBinding for window-bound buffers
        self.read_mask = None
        self.stored_mask = None

    @property
    def is_param(self) -> bool:
        """True for kernel parameters (they count towards compulsory traffic)."""
        return self.kind != "scratch"

    def record_undefined(self, region: GMTensor, undefined: np.ndarray, site: tuple | None) -> None:
        """Remember that ``region``'s cells in ``undefined`` now hold undefined data from ``site``.

        ``site`` None means "never written" (the cells keep no origin). Defined cells of the
        region are left alone: their origin is never consulted while ``written`` says defined.
        """
        if self.undefined_from is None:
            if site is None:
                return
            self.undefined_from = np.zeros(self.data.shape, dtype=np.int32)
        ids = region.of(self.undefined_from)
        ids[undefined] = 0 if site is None else _origin_id(site)

    def copy_undefined_origins(self, region: GMTensor, source: GMTensor) -> None:
        """``region`` receives ``source``'s elements: it takes their recorded origins too."""
        if source.buf.undefined_from is None:
            if self.undefined_from is not None:
                region.of(self.undefined_from)[...] = 0
            return
        if self.undefined_from is None:
            self.undefined_from = np.zeros(self.data.shape, dtype=np.int32)
        region.of(self.undefined_from)[...] = source.of(source.buf.undefined_from)

    def undefined_origin(self, region: GMTensor, unwritten: np.ndarray) -> tuple | None:
        """Origin of the first (C order) undefined cell of ``region``; None if never written."""
        if self.undefined_from is None:
            return None
        first = int(region.of(self.undefined_from)[unwritten][0])
        return _ORIGIN_SITES[first] if first else None


#: C strides by buffer shape (GMTensor._slices asks once per window).
_C_STRIDES: dict[tuple[int, ...], tuple[int, ...]] = {}


def _c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = []
    acc = 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))


class GMTensor:
    """A view of a GM buffer: element offset, shape and element strides."""

    __slots__ = ("_box", "buf", "offset", "shape", "strides")

    def __init__(
        self, buf: GMBuffer, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]
    ):
        self.buf = buf
        self.offset = offset
        self.shape = shape
        self.strides = strides
        self._box = None  # see _slices

    @classmethod
    def whole(cls, buf: GMBuffer) -> GMTensor:
        """The view covering the whole buffer."""
        shape = tuple(buf.data.shape)
        return cls(buf, 0, shape, _c_strides(shape))

    @property
    def dtype(self) -> dt.DType:
        """Element dtype."""
        return self.buf.dtype

    @property
    def ndim(self) -> int:
        """Rank."""
        return len(self.shape)

    def of(self, base: np.ndarray) -> np.ndarray:
        """This window applied to ``base`` (an array shaped like the buffer)."""
        box = self._box
        if box is None:
            box = self._box = self._slices()
        if box and base.shape == self.buf.data.shape:
            return base[box]  # basic slicing: the same view, a tenth of the cost (hot path)
        flat = base.reshape(-1)
        if not self.shape:
            return flat[self.offset : self.offset + 1].reshape(())
        item = flat.itemsize
        return np.ndarray(
            self.shape,
            dtype=flat.dtype,
            buffer=flat,
            offset=self.offset * item,
            strides=tuple(s * item for s in self.strides),
        )

    def _slices(self) -> tuple[slice, ...] | bool:
        """The window as one slice per buffer axis when it is a plain box of the buffer (same
        rank, the buffer's C strides, inside its bounds); False otherwise."""
        buf_shape = self.buf.data.shape
        if not self.shape or len(self.shape) != len(buf_shape):
            return False
        c_strides = _C_STRIDES.get(buf_shape)
        if c_strides is None:
            c_strides = _C_STRIDES[buf_shape] = _c_strides(buf_shape)
        if self.strides != c_strides:
            return False
        box = []
        rest = self.offset
        for n, stride, size in zip(self.shape, self.strides, buf_shape):
            start, rest = divmod(rest, stride)
            if start + n > size:
                return False
            box.append(slice(start, start + n))
        return tuple(box)

    def data(self) -> np.ndarray:
        """The data of this view (a NumPy view, never a copy)."""
        return self.of(self.buf.data)

    def window(self, offsets, shape, drop=()) -> GMTensor:
        """Sub-window at ``offsets`` of extent ``shape``; axes in ``drop`` are removed."""
        off = self.offset
        for o, s in zip(offsets, self.strides):
            off += o * s
        if not drop:  # the common case (a per-op hot path)
            return GMTensor(self.buf, off, tuple(shape), self.strides)
        new_shape = tuple(n for i, n in enumerate(shape) if i not in drop)
        new_strides = tuple(s for i, s in enumerate(self.strides) if i not in drop)
        return GMTensor(self.buf, off, new_shape, new_strides)

    def reshaped(self, shape: tuple[int, ...]) -> GMTensor | None:
        """A reshaped view, or None if the window is not describable in the new shape."""
        if _is_c_contiguous(self.shape, self.strides):
            return GMTensor(self.buf, self.offset, shape, _c_strides(shape))
        probe = np.lib.stride_tricks.as_strided(
            np.zeros(1, np.int8), shape=self.shape, strides=self.strides
        )
        try:
            view = np.reshape(probe, shape, copy=False)
        except ValueError:
            return None
        return GMTensor(self.buf, self.offset, shape, tuple(view.strides))

    def bind_dynamic(self, axis, dim) -> None:
        """``t.bind_dynamic(axis, pl.dynamic(...))``: mark axis ``axis`` as the dynamic dim.

        A compile-time marker for the JIT's specialization (the size is whatever the caller
        passes); it has no effect on values, so plsim only checks its arguments.
        """
        # The compiler does not check the axis against the rank (an axis past it compiles:
        # fixture tile_level_kernels.bad_bind_dynamic), so plsim only checks that it is an int.
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"bind_dynamic axis: got {axis!r}; allowed an int")
        if not isinstance(dim, DynamicDim):
            raise TypeError(f"bind_dynamic dim: got {dim!r}; allowed a pl.dynamic(name) marker")

    def __repr__(self) -> str:
        return f"GMTensor({self.buf.name}, shape={list(self.shape)}, {self.dtype!r})"


def _is_c_contiguous(shape, strides) -> bool:
    expected = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


class Tile:
    """An on-chip value. Views (subviews, reshapes, set_validshape) share ``base``'s storage.

    Base tiles carry liveness (``created``/``last_use`` op sequence numbers), the way they were
    produced (``origin``: load / vector / cube / create) and how they are used, so the scope can
    place them in a memory space (Vec/UB, Mat/L1, Acc/L0C) when it closes.
    """

    __slots__ = (
        "accumulated", "base", "created", "data", "dtype", "lane", "last_use", "level",
        "location", "origin", "outlined_to", "phys_cols", "poison", "poison_from", "read_from",
        "region", "runtime_offset", "runtime_valid", "scope", "sliced", "stores", "used_cube",
        "used_vector", "valid", "vector_view_bytes",
    )  # fmt: skip

    def __init__(
        self,
        data,
        dtype,
        valid,
        poison=None,
        base=None,
        origin="vector",
        poison_from=None,
        location=None,
    ):
        self.data = data
        self.dtype = dtype
        self.valid = valid
        self.poison = poison
        # Per axis: the valid extent is a runtime value (a Scalar: loop variable, pl.read,
        # pl.min of them), not a constant; pypto then types it dynamic ('?') and ptoas checks
        # views of it differently (plsim.ops.view_rules). None: every extent is a constant.
        self.runtime_valid = None
        # A view at a runtime offset (set by tile subviews; plsim.ops.view_rules).
        self.runtime_offset = False
        # The result of pl.slice of a tile, which pypto types with its valid extent
        # (plsim.ops.views.set_validshape).
        self.sliced = False
        # Elements per physical row of the buffer this value lies in: a column window of a
        # row-major tile keeps its parent's row length (ptoas types a subview with the
        # parent's shape), a reshape has its own.
        self.phys_cols = data.shape[-1] if getattr(data, "ndim", 0) else 1
        # Where the undefined cells in ``poison`` first came from, for messages: (file, line) or
        # (file, line, what happened there); see describe_origin.
        self.poison_from = poison_from
        if poison is not None and poison_from is None:
            self.poison_from = kernel_location()
        if base is None:
            self.base = self
            self.origin = origin
            self.created = STATE.seq
            self.last_use = STATE.seq
            self.used_cube = False
            self.used_vector = False
            self.stores = 0  # stores to GM that read this tile
            # Scopes that read this tile after its own scope closed (see ops.common.operand).
            self.outlined_to = None
            # Largest view of this tile a vector op read (a cube result crosses to the AIV
            # one consumed view at a time; checks.cross_core_rings sizes the ring slot by it).
            self.vector_view_bytes = 0
            self.accumulated = False  # target of a pl.matmul_acc
            # The AIV lane whose pl.split_aiv region made this value (None outside regions):
            # each lane holds its own copy on chip, which plsim's one frame does not
            # (ops.common.operand refuses a read by the other lane).
            self.lane = STATE.aiv_regions[-1][1] if STATE.aiv_regions else None
            # The pl.split_aiv region that made it (plsim.aiv_regions.AivRegion), if any.
            self.region = STATE.aiv_region_records[-1] if STATE.aiv_regions else None
            # "tile" for values made by tile-level ops (pl.load, pl.create_tile, pl.move) and
            # everything computed from them; "tensor" for tensor-level slices (x[a:b, :]) and
            # their results. The compiler keeps the two apart (see ops/indexing.subscript_assign).
            self.level = "tensor"
            # The GM read this value's data comes from (a ReadSite), for messages about a tile
            # too long for where it is stored: set by loads, inherited by op results.
            self.read_from = None
            # ``location``: the caller's kernel_location() when it already has it (one frame
            # walk per op instead of two).
            self.location = kernel_location() if location is None else location
            scope = STATE.scopes[-1] if STATE.scopes else None
            self.scope = scope
            if scope is not None:
                scope.tiles.append(self)
        else:
            self.base = base

    @property
    def shape(self) -> tuple[int, ...]:
        """Physical shape."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Rank."""
        return self.data.ndim

    def nbytes(self) -> int:
        """Physical bytes of the base allocation."""
        return self.base.data.size * self.dtype.itemsize

    def __repr__(self) -> str:
        return f"Tile(shape={list(self.shape)}, valid={list(self.valid)}, {self.dtype!r})"


class ReadSite:
    """Where a tile's data was read from GM: the kernel line, its scope and the window (kept as
    numbers; the text is built only for an error message)."""

    __slots__ = ("location", "name", "scope", "shape", "source_shape", "starts", "valid")

    def __init__(self, location, scope, name, source_shape, starts, shape, valid) -> None:
        self.location = location
        self.scope = scope
        self.name = name
        self.source_shape = source_shape
        self.starts = starts
        self.shape = shape
        self.valid = valid

    def describe(self) -> str:
        """'x[0:24, 0:64] (x is [32, 64])', with the valid shape when it differs."""
        window = ", ".join(f"{s}:{s + n}" for s, n in zip(self.starts, self.shape))
        text = f"{self.name}[{window}]"
        if list(self.valid) != list(self.shape):
            text += f" with valid shape {list(self.valid)}"
        return f"{text} ({self.name} is {list(self.source_shape)})"

    def made(self, tile) -> bool:
        """True if ``tile`` has the shape or valid shape this read gave (not a cut or reshape)."""
        return list(tile.shape) == list(self.shape) or list(tile.valid) == list(self.valid)


def valid_box(valid: tuple[int, ...]) -> tuple[slice, ...]:
    """Index tuple selecting the valid rectangle."""
    return tuple(slice(0, v) for v in valid)
