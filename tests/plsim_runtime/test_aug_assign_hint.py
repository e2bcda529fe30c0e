"""The augmented-assignment hint names the operator the kernel used (issue: `*=` got `+`)."""

from __future__ import annotations

import numpy as np
import pytest

import plsim

KERNEL = """
import pypto.language as pl


@pl.jit
def k(x: pl.Tensor, out: pl.Out[pl.Tensor]):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="s"):
        t = x[0:16, 0:16]
        t {op}= 2.0
        out[0:16, 0:16] = t
    return out
"""


@pytest.mark.parametrize(
    "op, fix",
    [("*", "x = x * ... or x = pl.mul(x, ...)"), ("-", "x = x - ... or x = pl.sub(x, ...)"),
     ("/", "x = x / ... or x = pl.div(x, ...)")],
)  # fmt: skip
def test_hint_names_the_operator(tmp_path, op, fix):
    path = tmp_path / f"aug_{ord(op)}.py"
    path.write_text(KERNEL.format(op=op))
    module = plsim.load(str(path))
    x = np.ones((16, 16), np.float32)
    with pytest.raises(plsim.DSLError, match="augmented assignment") as info:
        plsim.run(module.k, x, np.zeros_like(x))
    assert f"(x {op}= ...)" in str(info.value) and fix in str(info.value)
    assert "pl.add" not in str(info.value)
