"""Sibling module that itself imports pl (an inline helper)."""

import pypto.language as pl


@pl.jit.inline
def double_rows(src, dst, rows):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="double"):
        dst[0:rows, :] = pl.add(src[0:rows, :], src[0:rows, :])
    return dst
