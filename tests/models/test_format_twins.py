"""One text per stage: c16/c8 kernel twins may not repeat each other (issue 18, item 1).

The kernels come in pairs by cache format (``X_c16`` / ``X_c8`` in one module of
models/deepseek_v4/kernels/). A fix made in one twin and forgotten in the other is a silent
format skew, so:

- every pair's bodies (from the line after the ``def`` header, docstring included) may share no
  block of MIN_BLOCK or more identical lines (compared stripped, in order, difflib), except on
  lines marked format-specific;
- a pair the compiler does not let us share (LOCKSTEP, with the reason) must be identical
  everywhere but on marked lines: the duplication is deliberate, and drift fails here.

A line is marked format-specific by a trailing ``# format`` comment (``# format: why`` also
works). Marked lines never match anything, so they split duplicated blocks, and LOCKSTEP twins
may differ on them. The ``def`` header is left out: an entry point's parameters must be written
literally for the compiler (docs/dsl.md §2), and tests/models/test_signatures.py checks them.
Run ``python tests/models/test_format_twins.py`` for the report (``--with-headers`` counts the
headers too, as the issue's measurement did).
"""

import ast
import difflib
import re
import sys
from pathlib import Path

KERNELS = Path(__file__).resolve().parents[2] / "models" / "deepseek_v4" / "kernels"
MIN_BLOCK = 6
MARKER = re.compile(r"#\s*format(:.*)?$")
SUFFIX = re.compile(r"_c(?:16|8)\b")

#: Pairs kept as twins on purpose, (module, stem) -> why they cannot share one text yet. Each
#: must be identical outside marked lines (and outside the c16/c8 suffix of names it calls).
_ENTRY = "@pl.jit entry points: parameter lists differ (index_cache_scale) and must be literal"
_TILES = (
    "the shared chains take computed tiles (the accumulator, the chunk, the lists), and pypto's "
    "JIT infers an inline helper's tensor parameters only from parameters, pl.create_tensor "
    "and slice/reshape locals: 'missing inferred tensor metadata' "
    "(tests/compile/test_tile_chains_compile.py)"
)
_CALLS = (
    "orchestration that calls the per-format stages: pypto's parser has no compile-time `if` "
    "(both branches are parsed), so the callee cannot be chosen by a parameter; not yet split "
    "into a shared helper plus per-format calls"
)
LOCKSTEP = {
    ("decode_indexer", "indexer"): _ENTRY,
    ("decode_indexer", "indexer_topk"): _ENTRY,
    ("decode_indexer", "decode_step"): _CALLS,
    ("decode_compressor", "indexer_compressor"): _ENTRY,
    ("decode_compressor", "compress_step"): _CALLS,
    ("decode_compressor", "compress_tokens"): _CALLS,
    ("prefill_compressor", "indexer_compressor_prefill"): _ENTRY,
    ("prefill_indexer", "indexer_prefill"): _ENTRY,
    ("prefill_indexer", "prefill_score"): _TILES,
    ("lightning_indexer", "lightning_indexer"): _ENTRY,
}


def _is_marked(line):
    return MARKER.search(line) is not None


def pairs_in(source):
    """(stem, c16 FunctionDef, c8 FunctionDef) for every twin pair defined at module level."""
    functions = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    found = []
    for name, node in functions.items():
        if name.endswith("_c16") and name[:-4] + "_c8" in functions:
            found.append((name[:-4], node, functions[name[:-4] + "_c8"]))
    return found


def body_lines(lines, node, with_header=False):
    """(line number, stripped text) of a function's body (or its whole text)."""
    first = node.lineno if with_header else node.body[0].lineno
    first = min([first] + [d.lineno for d in node.decorator_list]) if with_header else first
    return [(n, lines[n - 1].strip()) for n in range(first, node.end_lineno + 1)]


def duplicate_blocks(lines, a, b, with_header=False):
    """Blocks of MIN_BLOCK+ identical lines shared by twins a and b: (size, line in a, in b).
    A marked line is replaced by a token unique to its side, so it matches nothing."""
    side_a = [t if not _is_marked(t) else ("a", n) for n, t in body_lines(lines, a, with_header)]
    side_b = [t if not _is_marked(t) else ("b", n) for n, t in body_lines(lines, b, with_header)]
    first_a = body_lines(lines, a, with_header)[0][0]
    first_b = body_lines(lines, b, with_header)[0][0]
    matcher = difflib.SequenceMatcher(None, side_a, side_b, autojunk=False)
    return [(m.size, first_a + m.a, first_b + m.b)
            for m in matcher.get_matching_blocks() if m.size >= MIN_BLOCK]  # fmt: skip


def lockstep_differences(lines, a, b):
    """Unified-diff lines between twins a and b, ignoring marked lines, docstrings, blank
    lines and the c16/c8 suffix of names (an empty list: the twins agree)."""

    def code(node):
        skip = set()
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip = set(range(first.lineno, first.end_lineno + 1))
        return [SUFFIX.sub("_cX", t) for n, t in body_lines(lines, node, with_header=True)
                if n not in skip and t and not _is_marked(t)]  # fmt: skip

    return [d for d in difflib.unified_diff(code(a), code(b), lineterm="", n=0)
            if d[:1] in "+-" and d[:3] not in ("+++", "---")]  # fmt: skip


def survey(with_header=False):
    """{(module, stem): [blocks]} over every kernel module."""
    found = {}
    for path in sorted(KERNELS.glob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        for stem, a, b in pairs_in(source):
            found[(path.stem, stem)] = duplicate_blocks(lines, a, b, with_header)
    return found


def test_no_duplicated_block_between_shared_twins():
    leftover = {k: v for k, v in survey().items() if v and k not in LOCKSTEP}
    assert not leftover, "\n".join(
        f"{m}.{s}_c16/_c8: {size} identical lines at lines {la} / {lb} (share them, or mark "
        "format-specific lines '# format')"
        for (m, s), blocks in leftover.items() for size, la, lb in blocks
    )


def test_lockstep_twins_differ_only_on_marked_lines():
    for path in sorted(KERNELS.glob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        for stem, a, b in pairs_in(source):
            if (path.stem, stem) in LOCKSTEP:
                diff = lockstep_differences(lines, a, b)
                assert not diff, f"{path.stem}.{stem}_c16/_c8 drifted:\n" + "\n".join(diff)


def test_every_lockstep_entry_names_an_existing_pair():
    assert set(LOCKSTEP) <= set(survey())


SAMPLE = '''
def stage_c16(x):
    """doc"""
    a = 1
    b = 2
    c = 3
    d = 4
    e = 5
    f = 6
    g = x  # format
    return g


def stage_c8(x):
    """doc"""
    a = 1
    b = 2
    c = 3
    d = 4
    e = 5
    f = 6
    g = x + 1  # format
    return g
'''


def test_checker_finds_a_shared_block_and_marked_lines_split_it():
    lines = SAMPLE.splitlines()
    (_, a, b), = pairs_in(SAMPLE)
    assert duplicate_blocks(lines, a, b) == [(7, 3, 15)]  # the docstring line and a .. f
    marked = SAMPLE.replace("    c = 3\n", "    c = 3  # format\n")
    lines = marked.splitlines()
    (_, a, b), = pairs_in(marked)
    assert duplicate_blocks(lines, a, b) == []


def test_lockstep_check_sees_an_unmarked_difference_only():
    lines = SAMPLE.splitlines()
    (_, a, b), = pairs_in(SAMPLE)
    assert lockstep_differences(lines, a, b) == []
    drifted = SAMPLE.replace("    f = 6\n    g = x + 1", "    f = 7\n    g = x + 1")
    (_, a, b), = pairs_in(drifted)
    assert lockstep_differences(drifted.splitlines(), a, b) == ["-f = 6", "+f = 7"]


def main(argv):
    """Print every duplicated block and the totals (the issue's measurement with
    --with-headers)."""
    with_header = "--with-headers" in argv
    found = survey(with_header)
    total = lines = 0
    for (module, stem), blocks in found.items():
        tag = " (lockstep)" if (module, stem) in LOCKSTEP else ""
        for size, la, lb in blocks:
            print(f"{module}.{stem}{tag}: {size} lines at {la} / {lb}")
            total, lines = total + 1, lines + size
    shared = sum(len(v) for k, v in found.items() if k not in LOCKSTEP)
    print(f"pairs {len(found)}, blocks {total} ({lines} lines), outside lockstep twins {shared}")


if __name__ == "__main__":
    main(sys.argv[1:])
