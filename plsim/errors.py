"""Exceptions plsim raises. Every kernel-time message names the kernel file:line and scope."""

from __future__ import annotations


class SimError(Exception):
    """Base class of every error plsim raises about a kernel or its arguments."""


class OutOfBoundsError(SimError):
    """A load, store, view or scalar access reaches outside its tensor."""


class UninitializedReadError(SimError):
    """A GM element (or tile cell) that was never written is read inside a valid region."""


class RaceError(SimError):
    """Different pl.parallel iterations / pl.spmd blocks write, or write and read, one element."""


class DivisionByZeroError(SimError):
    """An integer division or remainder by zero in a valid cell: undefined on the device, and
    a2a3sim's process dies of it (SIGFPE, measured: dtype_extension_kernels.partial_fmod_int
    with one zero divisor)."""


class CapacityError(SimError):
    """The live on-chip tiles of a scope exceed a buffer's capacity."""


class DeadlockError(SimError):
    """Every live rank of a distributed run waits on a signal no running rank can still set."""


class DSLError(SimError):
    """A shape, dtype, syntax or usage rule of pypto.language is broken."""


class HardwareError(DSLError):
    """The compiler accepts this kernel, but the PTO assembler or the chip would not take it.

    plsim keeps these rules stricter than the compiler (hw-native-sys/pypto e2d0f78a, which
    stops after code generation here) because the generated PTO does not fit the pto-isa tile
    and instruction types that ``ptoas`` instantiates (cannmirror/pto-isa):

    - UB tile rows of ``cols x element bytes`` not a multiple of 32 bytes, and ``[M, 1]``
      column tiles of ``M x element bytes`` not a multiple of 32: ``pto::Tile`` in
      include/pto/common/pto_tile.hpp static_asserts ``Cols * sizeof(T) % 32 == 0`` for a
      row-major and ``Rows * sizeof(T) % 32 == 0`` for a column-major tile
      (``TileConfig::alignedSize = 32``); the compiler emits such tiles unpadded.
    - matmul K not a multiple of 16 (BF16/FP16): the compiler emits the L0A tile as
      ``rows=M, cols=K`` and the L0B tile as ``rows=K`` in 512-byte fractals, whose inner box
      is 32 bytes = 16 elements; pto_tile.hpp asserts "Layout cols must be divisible by inner
      box cols" / "Layout rows must be divisible by inner box rows".
    - an elementwise op on tiles of different dtypes (FP32 + BF16) or shapes ([M, N] x
      [1, N]): the compiler emits one ``tadd``/``tmul`` over the two tiles, but the
      intrinsics take one tile type for dst, src0 and src1 (docs/isa/TADD.md,
      ``TADD(TileData& dst, TileData& src0, TileData& src1)``; on A2A3 BF16 is not among
      TADD's types either). Use pl.cast / pl.col_expand_* first.

    Subclass of DSLError so existing ``except DSLError`` code still sees it; catch it first to
    tell "the chip objects" from "the compiler objects".
    """


class MiscompileError(HardwareError):
    """The compiler and ptoas accept this kernel, but what they build computes something else.

    Measured on a2a3sim with the same inputs (each case has a fixture whose a2a3sim verdict is
    "fail"); plsim refuses the form and names one that runs as written. A subclass of
    HardwareError: the compiler comparison counts it as a "hardware" verdict.
    """


class ArgumentError(SimError, ValueError):
    """A bad argument to plsim.run (wrong count, shape, dtype, layout or scalar value)."""


class DSLWarning(UserWarning):
    """Legal pypto whose meaning is unsettled in the sources; plsim states the reading it takes."""
