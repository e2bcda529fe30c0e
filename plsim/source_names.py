"""Names from the kernel's own source for messages: the variable a buffer was assigned to.

plsim parses kernel source in two places with two jobs: plsim.strictness checks it against the
parser's rules; this module only reads which variable each ``name = <call>`` line assigns, so a
message can say ``scores (pl.create_tensor at kernel.py:40)`` instead of naming the op.
"""

from __future__ import annotations

import ast
import linecache

_ASSIGNED_NAMES: dict[str, tuple[list[str], dict[int, str]]] = {}


def assigned_names(file: str) -> dict[int, str]:
    """Line -> variable for each ``name = <call>`` statement of ``file`` (every line of the call).

    Read from the kernel's source (cached while the file is unchanged) so messages can name a
    buffer by the variable the kernel author wrote rather than by the op that made it.
    """
    linecache.checkcache(file)
    lines = linecache.getlines(file)
    cached = _ASSIGNED_NAMES.get(file)
    if cached is not None and cached[0] == lines:
        return cached[1]
    names: dict[int, str] = {}
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(node.value, ast.Call):
            for number in range(node.value.lineno, (node.value.end_lineno or 0) + 1):
                names[number] = target.id
    _ASSIGNED_NAMES[file] = (lines, names)
    return names
