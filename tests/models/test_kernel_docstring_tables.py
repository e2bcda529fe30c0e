"""Each kernel module's docstring documents its parameters in a table (name, shape, dtype,
meaning); the table must name exactly the parameters of the module's fullest ``@pl.jit`` entry
point (c8: the scale pool too; scores kept), in order. The signature tables of cases/ are
checked against the same functions (test_signatures.py), so the three cannot drift apart."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

KERNELS = Path(__file__).resolve().parents[2] / "models" / "deepseek_v4" / "kernels"

#: module -> its entry point whose parameters are a superset of its siblings'.
FULLEST = {
    "decode_indexer": "indexer_c8",
    "decode_compressor": "indexer_compressor_c8",
    "prefill_indexer": "indexer_prefill_c8",
    "prefill_compressor": "indexer_compressor_prefill_c8",
    "lightning_indexer": "lightning_indexer_c8",
}
#: A table row: 4-space indent, one name or several joined by ", ", then a shape "[...]".
_ROW = re.compile(r"^    (\w+(?:, \w+)*)\s+\[")


def _module(name: str) -> ast.Module:
    return ast.parse((KERNELS / f"{name}.py").read_text())


def documented(name: str) -> list[str]:
    """The parameter names of the module docstring's table, in order."""
    names: list[str] = []
    for line in (ast.get_docstring(_module(name)) or "").splitlines():
        match = _ROW.match(line)
        if match:
            names += match.group(1).split(", ")
    return names


def parameters(name: str, function: str) -> list[str]:
    """The parameter names of ``function`` in the module's source."""
    for node in _module(name).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [a.arg for a in node.args.args]
    raise AssertionError(f"{name}.py has no function {function}")


@pytest.mark.parametrize(("name", "entry"), sorted(FULLEST.items()))
def test_the_docstring_table_names_the_entry_points_parameters(name, entry):
    assert documented(name) == parameters(name, entry)


def test_the_row_reader_sees_joined_names_and_long_ones():
    text = "    wkv, wgate    [D, 256]  BF16\n    index_cache_scale [NB, BS]  FP32\n  prose [x]"
    rows = [m.group(1) for line in text.splitlines() if (m := _ROW.match(line))]
    assert rows == ["wkv, wgate", "index_cache_scale"]
