"""pypto ops this toolchain cannot build for a2a3: each stops with a HardwareError naming the
measured reason (fixtures tests/plsim_conformance/kernels/paged_gather_kernels.py,
unbuildable_kernels.py), rather than a "not simulated" DSLError, so a kernel author learns that
the chain, not plsim, is the limit.
"""

from __future__ import annotations

from plsim import errors
from plsim.context import dsl, fail, platform_name
from plsim.ops.common import begin


def _a2a3_only_limit(op: str, reason: str) -> None:
    """HardwareError on a2a3; on another platform the op is not simulated."""
    begin(op)
    platform = platform_name()
    if platform != "a2a3":
        dsl(f"pl.{op} is not simulated by plsim on {platform}")
    fail(errors.HardwareError, f"pl.{op}: {reason}")


def mgather(mem, idx, coalesce="row", **ignored):
    """pl.mgather: pypto emits an attribute this chain's ptoas does not know."""
    del mem, idx, coalesce, ignored
    _a2a3_only_limit(
        "mgather",
        "pypto emits pto.mgather with a 'coalesce' attribute this chain's ptoas does not know "
        "(\"unknown attribute `coalesce` in dialect `pto`\", measured in row and element mode); "
        "gather rows with pl.load / pl.paged_gather",
    )


def mscatter(src, idx, output_tensor):
    """pl.mscatter: an A5 instruction."""
    del src, idx, output_tensor
    _a2a3_only_limit(
        "mscatter",
        "ptoas builds it for A5 only (\"pto.mscatter is only supported on A5 targets\", "
        "measured); write the rows with pl.store / pl.assemble on a2a3",
    )


def random(*args, **kwargs):
    """pl.random: an A5 instruction."""
    del args, kwargs
    _a2a3_only_limit(
        "random",
        "ptoas builds pto.trandom for A5 only (\"trandom is only supported for A5 targets\", "
        "measured); make the values on the host",
    )


def scatter_mask(dst, src, mask_pattern):
    """pl.tile.scatter_mask: pypto's emission does not parse in this chain's ptoas."""
    del dst, src, mask_pattern
    _a2a3_only_limit(
        "scatter_mask",
        "pypto emits a pto.tscatter mask form this chain's ptoas does not parse (\"expected "
        "')'\", measured with pl.tile.MaskPattern.P0101 / P1010 / P0100); write the columns with "
        "a strided pl.assemble or build the pairs with pl.sort32",
    )
