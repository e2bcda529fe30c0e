"""Sibling module that itself imports pl (an inline helper)."""

import pypto.language as pl
from config import COLS, ROWS


@pl.jit.inline
def double_rows(
    src: pl.Tensor[[ROWS, COLS], pl.FP32],
    dst: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
    rows: pl.Scalar[pl.INDEX],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="double"):
        dst[0:rows, :] = pl.add(src[0:rows, :], src[0:rows, :])
    return dst
