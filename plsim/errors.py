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


class CapacityError(SimError):
    """The live on-chip tiles of a scope exceed a buffer's capacity."""


class DSLError(SimError):
    """A shape, dtype, syntax or usage rule of pypto.language is broken."""


class ArgumentError(SimError, ValueError):
    """A bad argument to plsim.run (wrong count, shape, dtype, layout or scalar value)."""


class DSLWarning(UserWarning):
    """Legal pypto whose meaning is unsettled in the sources; plsim states the reading it takes."""
