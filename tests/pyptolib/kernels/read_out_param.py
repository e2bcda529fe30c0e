"""A kernel that reads a parameter declared pl.Out before writing it (an older pypto-lib decode
indexer does this with its KV cache); the compiler accepts it (test_constructs)."""

import pypto.language as pl


@pl.jit
def read_out(
    x: pl.Tensor[[16, 64], pl.FP32],
    cache: pl.Out[pl.Tensor[[16, 64], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="accumulate"):
        t = pl.add(x[0:16, 0:64], cache[0:16, 0:64])
        cache[0:16, 0:64] = t
    return cache
