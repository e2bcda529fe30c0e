"""Kernel function wrappers made by @pl.jit, @pl.jit.inline and @pl.jit.incore."""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable
from typing import Any

from plsim import errors
from plsim.context import STATE, as_dsl_error, dsl
from plsim.control import finish_scope, open_scope, pop_scope
from plsim.host import launch
from plsim.inline_calls import bind
from plsim.strictness import prepare

#: plsim.runner.run, handed down by plsim.runner when it is imported (the package's
#: __init__ imports it). Calling a @pl.jit function from Python runs it; the runner sits above
#: this module (it binds and executes kernel functions), so it registers itself here rather
#: than this module importing upward.
_runner: Callable[..., Any] | None = None


def set_runner(run: Callable[..., Any]) -> None:
    """Make ``run`` (plsim.runner.run) what calling a @pl.jit / @pl.jit.host function does."""
    global _runner
    _runner = run


def _run(kernel, *args, **kwargs):
    if _runner is None:  # only if plsim.functions were loaded without the plsim package
        raise RuntimeError("plsim.runner is not loaded; import plsim first")
    return _runner(kernel, *args, **kwargs)


def kernel_kind(obj: Any) -> str | None:
    """``obj``'s decorator kind (jit, inline, incore, host) if it is a kernel function, else
    None; plsim.strictness asks it about the names a kernel calls."""
    return obj.kind if isinstance(obj, KernelFunction) else None


class KernelFunction:
    """A decorated kernel function; its source is checked (and maybe rewritten) at first call."""

    kind = "jit"

    def __init__(self, fn) -> None:
        self.fn = fn
        # The compiler's decorated kernels expose the undecorated function as ``_func``; older
        # pypto-lib files pass it to pl.inline (``pl.inline(expert_routed._func)``).
        self._func = fn
        self._impl = None
        functools.update_wrapper(self, fn)

    @property
    def impl(self):
        """The checked function to execute."""
        if self._impl is None:
            self._impl = prepare(self.fn, self.kind, kernel_kind)
        return self._impl

    def _param_names(self) -> list[str]:
        """The parameter names in order, like pypto's JITFunction._param_names (pypto-lib's
        decode_fwd_mtp.py orders its specs with it)."""
        return [p for p in inspect.signature(self.fn).parameters if p != "self"]

    def __repr__(self) -> str:
        return f"<pl.jit{'' if self.kind == 'jit' else '.' + self.kind} {self.fn.__name__}>"


class JitFunction(KernelFunction):
    """@pl.jit: an orchestration entry. Calling it outside plsim.run runs it through plsim."""

    kind = "jit"

    def __call__(self, *args, **kwargs):
        if "device" in kwargs:  # a per-rank dispatch from a @pl.jit.host body
            device = kwargs.pop("device")
            return launch(self, device, args, kwargs)
        if STATE.recorder is not None:  # a jit function called from a kernel: inline it
            return self.impl(*args, **kwargs)
        returns = _run(self, *args, **kwargs).returns
        return returns[0] if len(returns) == 1 else returns


class HostFunction(KernelFunction):
    """@pl.jit.host: the HOST-level orchestrator of a distributed run (plsim.host)."""

    kind = "host"

    def __call__(self, *args, world_size: int | None = None, **kwargs):
        if STATE.recorder is not None:
            dsl(f"@pl.jit.host function {self.fn.__name__} called from a kernel; it is an entry")
        if world_size is None:
            raise errors.ArgumentError(
                f"{self.fn.__name__}: a @pl.jit.host function needs world_size=N (the rank "
                "count; pypto takes it from DistributedConfig.device_ids)"
            )
        _run(self, *args, world_size=world_size, **kwargs)


class InlineFunction(KernelFunction):
    """@pl.jit.inline: spliced into the caller; parameters alias the caller's tensors."""

    kind = "inline"
    #: Bind arguments by the compiler's inline-call rules (plsim.inline_calls); opaque
    #: functions, simulated like inline calls, are not spliced and keep Python's binding.
    compiler_binding = True

    def __call__(self, *args, **kwargs):
        # Keyword arguments compile (fixture strict_kernels.inline_kwargs): bind them by name,
        # as the compiler binds them (no defaults, tensors by name, typed scalar literals).
        if self.compiler_binding:
            args, kwargs = bind(self.fn, args, kwargs, sys._getframe(1))
        try:
            value = self.impl(*args, **kwargs)
        except TypeError as exc:
            if "positional argument" in str(exc):
                dsl(f"call to inline function {self.fn.__name__}: {exc}")
            raise
        # A body without `return` is legal when the call is a statement whose effect is its
        # writes through aliased parameters (pypto-lib's rmsnorm.py _rms_norm_full_tile does
        # this and compiles); the specializer splices the body and there is no value to bind.
        return value


class OpaqueFunction(InlineFunction):
    """@pl.jit.opaque: orchestration with its own scopes, simulated like an inline call."""

    compiler_binding = False


class IncoreFunction(KernelFunction):
    """@pl.jit.incore: a device kernel; each call is one task named after the function."""

    kind = "incore"

    def __call__(self, *args, **kwargs):
        if STATE.scopes:
            dsl(f"@pl.jit.incore function {self.fn.__name__} called inside an InCore scope")
        scope = open_scope(self.fn.__name__)
        try:
            value = self.impl(*args, **kwargs)
        except Exception as exc:
            converted = as_dsl_error(exc, scope.name)
            if converted is not None:
                raise converted from exc
            raise
        finally:
            pop_scope(scope)
        finish_scope(scope)
        return value


#: Keyword arguments of the @pl.jit family decorators that plsim knows. ``auto_scope``
#: (pypto: automatic runtime scopes around function and loop bodies, vs explicit pl.scope)
#: only affects GM ring-buffer lifetimes on the device, so it has no functional effect;
#: ``level`` (``@pl.jit.incore(level=...)``) picks the hierarchy level, of which plsim runs
#: CORE_GROUP only (docs/dsl.md §4.1).
DECORATOR_OPTIONS = {"auto_scope": bool, "level": object}


def _check_options(decorator: str, options: dict[str, Any]) -> None:
    """DSLError for an ill-typed keyword argument of a jit decorator; a DSLWarning for one plsim
    does not know (the real decorator may take it, so plsim does not reject the kernel)."""
    for name, value in options.items():
        expected = DECORATOR_OPTIONS.get(name)
        if expected is None:
            warnings.warn(
                errors.DSLWarning(
                    f"{decorator}(...) got keyword argument {name}={value!r} that plsim does not "
                    f"know (it knows {sorted(DECORATOR_OPTIONS)}); ignored"
                ),
                stacklevel=4,
            )
            continue
        if name == "level" and getattr(value, "name", None) != "CORE_GROUP":
            raise errors.DSLError(
                f"{decorator}(level={value!r}): plsim runs InCore functions at "
                "pl.Level.CORE_GROUP only (other levels build distributed hierarchy scopes)"
            )
        if not isinstance(value, expected):
            raise errors.DSLError(
                f"{decorator}({name}={value!r}): {name} must be a {expected.__name__}"
            )


def _decorate(decorator: str, cls, fn, options: dict[str, Any]):
    """``@decorator`` or ``@decorator(**options)`` applied to ``fn``."""
    _check_options(decorator, options)
    if fn is None:
        return lambda f: _wrap(decorator, cls, f, options)
    return _wrap(decorator, cls, fn, options)


def _wrap(decorator: str, cls, fn, options: dict[str, Any]):
    if not callable(fn):
        raise errors.DSLError(f"{decorator} decorates a function, got {fn!r}")
    # strictness reads it: a hand-placed `with pl.scope()` needs auto_scope=False
    fn.__plsim_auto_scope__ = options.get("auto_scope", True)
    return cls(fn)


class Jit:
    """The ``pl.jit`` decorator object (with ``.inline`` / ``.incore`` / ``.opaque``)."""

    def __call__(self, fn=None, **options: Any):
        return _decorate("@pl.jit", JitFunction, fn, options)

    @staticmethod
    def inline(fn=None, **options: Any):
        """@pl.jit.inline."""
        return _decorate("@pl.jit.inline", InlineFunction, fn, options)

    @staticmethod
    def incore(fn=None, **options: Any):
        """@pl.jit.incore."""
        return _decorate("@pl.jit.incore", IncoreFunction, fn, options)

    @staticmethod
    def host(fn=None, **options: Any):
        """@pl.jit.host: the HOST orchestrator dispatching chip kernels with device=rank."""
        return _decorate("@pl.jit.host", HostFunction, fn, options)

    @staticmethod
    def opaque(fn=None, **options: Any):
        """@pl.jit.opaque: orchestration with its own scopes; simulated like an inline call."""
        return _decorate("@pl.jit.opaque", OpaqueFunction, fn, options)


jit = Jit()
