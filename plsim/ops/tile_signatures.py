"""The parameters of pypto's ``pl.tile.<op>`` functions, read from the wheel this chain uses
(``inspect.signature(pl.tile.<op>)``; tests/plsim_conformance/test_tile_signatures.py checks the
table against the installed wheel when there is one).

plsim's ``pl.tile.<op>`` shares its function with ``pl.<op>``, whose keywords are wider (a tile
``pl.tile.matmul`` has no ``out_dtype`` or transpose flags; pypto: "pl.tile operation 'matmul':
matmul() got an unexpected keyword argument 'out_dtype'"), and names some parameters otherwise
(pypto's ``tile=`` is plsim's ``x``). ``bind_keywords`` refuses a keyword pypto's op does not
have and renames pypto's to plsim's by position.
"""

from __future__ import annotations

import functools
import inspect

#: op -> pypto's parameter names, in order (none takes ``*args`` or ``**kwargs``).
PYPTO_TILE_PARAMS: dict[str, tuple[str, ...]] = {
    "abs": ("tile",),
    "add": ("lhs", "rhs"),
    "addc": ("lhs", "rhs", "rhs2"),
    "adds": ("lhs", "rhs"),
    "addsc": ("lhs", "rhs", "rhs2"),
    "and_": ("lhs", "rhs"),
    "ands": ("lhs", "rhs"),
    "assemble": ("target", "source", "offset"),
    "batch_matmul": ("lhs", "rhs"),
    "cast": ("tile", "target_type", "mode"),
    "cmp": ("lhs", "rhs", "cmp_type"),
    "cmps": ("lhs", "rhs", "cmp_type"),
    "col_argmax": ("tile", "tmp_tile"),
    "col_argmin": ("tile", "tmp_tile"),
    "col_expand": ("target", "col_vec"),
    "col_expand_add": ("tile", "col_vec"),
    "col_expand_div": ("tile", "col_vec"),
    "col_expand_expdif": ("tile", "col_vec"),
    "col_expand_max": ("tile", "col_vec"),
    "col_expand_min": ("tile", "col_vec"),
    "col_expand_mul": ("tile", "col_vec"),
    "col_expand_sub": ("tile", "col_vec"),
    "col_max": ("tile",),
    "col_min": ("tile",),
    "col_prod": ("tile",),
    "col_sum": ("tile", "tmp_tile"),
    "concat": ("src0", "src1"),
    "cos": ("tile",),
    "div": ("lhs", "rhs", "high_precision"),
    "divs": ("lhs", "rhs"),
    "exp": ("tile",),
    "expands": ("target", "scalar"),
    "extract": ("src", "index_row", "index_col", "shape", "target_memory"),
    "fillpad": ("tile", "pad_value"),
    "fillpad_expand": ("tile", "shape", "pad_value"),
    "fillpad_inplace": ("tile", "pad_value"),
    "fmod": ("lhs", "rhs"),
    "fmods": ("lhs", "rhs"),
    "gather": ("src", "indices", "tmp"),
    "gather_mask": ("src", "mask_pattern", "output_dtype"),
    "gemv": ("lhs", "rhs", "acc_phase"),
    "gemv_acc": ("acc", "lhs", "rhs", "acc_phase"),
    "gemv_bias": ("lhs", "rhs", "bias", "acc_phase"),
    "log": ("tile", "high_precision"),
    "lrelu": ("tile", "slope"),
    "matmul": ("lhs", "rhs"),
    "matmul_acc": ("acc", "lhs", "rhs", "init_cond"),
    "matmul_bias": ("lhs", "rhs", "bias"),
    "maximum": ("lhs", "rhs"),
    "maximums": ("lhs", "rhs"),
    "minimum": ("lhs", "rhs"),
    "minimums": ("lhs", "rhs"),
    "move": ("tile", "target_memory", "blayout", "slayout"),
    "mrgsort": ("src0", "src1", "src2", "src3", "tmp", "exhausted", "block_len"),
    "mscatter": ("src", "idx", "output_tensor"),
    "mul": ("lhs", "rhs"),
    "muls": ("lhs", "rhs"),
    "neg": ("tile",),
    "not_": ("tile",),
    "or_": ("lhs", "rhs"),
    "ors": ("lhs", "rhs"),
    "part_add": ("src0", "src1"),
    "part_max": ("src0", "src1"),
    "part_min": ("src0", "src1"),
    "part_mul": ("src0", "src1"),
    "read": ("tile", "indices"),
    "recip": ("tile", "high_precision"),
    "reinterpret_view": ("data", "dtype", "shape"),
    "relu": ("tile",),
    "rem": ("lhs", "rhs", "tmp"),
    "rems": ("lhs", "rhs", "tmp"),
    "reshape": ("tile", "shape"),
    "row_argmax": ("tile", "tmp_tile"),
    "row_argmin": ("tile", "tmp_tile"),
    "row_expand": ("target", "row_vec"),
    "row_expand_add": ("tile", "row_vec", "tmp"),
    "row_expand_div": ("tile", "row_vec"),
    "row_expand_expdif": ("tile", "row_vec"),
    "row_expand_max": ("tile", "row_vec"),
    "row_expand_min": ("tile", "row_vec"),
    "row_expand_mul": ("tile", "row_vec"),
    "row_expand_sub": ("tile", "row_vec"),
    "row_max": ("tile", "tmp_tile"),
    "row_min": ("tile", "tmp_tile"),
    "row_prod": ("tile", "tmp_tile"),
    "row_sum": ("tile", "tmp_tile"),
    "rsqrt": ("tile", "tmp"),
    "scatter": ("dst", "src", "indexes"),
    "scatter_mask": ("dst", "src", "mask_pattern"),
    "sel": ("mask", "lhs", "rhs", "tmp"),
    "sels": ("mask", "src", "tmp", "scalar"),
    "set_validshape": ("tile", "valid_rows", "valid_cols"),
    "shl": ("lhs", "rhs"),
    "shls": ("lhs", "rhs"),
    "shr": ("lhs", "rhs"),
    "shrs": ("lhs", "rhs"),
    "sin": ("tile",),
    "slice": ("tile", "shape", "offset", "valid_shape", "drop_dims", "pad_value"),
    "sort32": ("src", "idx"),
    "sqrt": ("tile",),
    "store": ("tile", "offsets", "output_tensor", "shapes", "atomic"),
    "sub": ("lhs", "rhs"),
    "subc": ("lhs", "rhs", "rhs2"),
    "subs": ("lhs", "rhs"),
    "subsc": ("lhs", "rhs", "rhs2"),
    "transpose": ("tile", "axis1", "axis2", "tmp_tile"),
    "transpose_view": ("tile",),
    "write": ("tile", "indices", "value"),
    "xor": ("lhs", "rhs", "tmp"),
    "xors": ("lhs", "rhs", "tmp"),
}


def bind_keywords(fn, op: str, kwargs: dict, refuse) -> dict:
    """``kwargs`` of a ``pl.tile.<op>`` call as plsim's ``fn`` names them; ``refuse(message)``
    for a keyword pypto's op does not take."""
    params = PYPTO_TILE_PARAMS.get(op)
    if params is None or not kwargs:
        return kwargs
    mine = _parameters(fn)
    named = {}
    for key, value in kwargs.items():
        if key not in params:
            signature = ", ".join(params)
            refuse(
                f"pl.tile.{op}() got the keyword {key}=, which pypto's pl.tile.{op}({signature}) "
                f"does not take (the compiler: \"pl.tile operation '{op}': {op}() got an "
                f"unexpected keyword argument '{key}'\")"
            )
        index = params.index(key)
        if key not in mine and index < len(mine) and mine[index] not in params:
            key = mine[index]  # pypto's name for plsim's parameter in the same place
        named[key] = value
    return named


@functools.cache
def _parameters(fn) -> tuple[str, ...]:
    """plsim's parameter names of ``fn`` (asked once per function: calls are a hot path)."""
    return tuple(
        n for n, p in inspect.signature(fn).parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )  # fmt: skip
