"""Project-wide pytest options.

``--fuzz-examples N`` (or the environment variable ``PLSIM_FUZZ_EXAMPLES=N``) raises the number
of examples the hypothesis fuzz tests in tests/reliability draw, for a long run. Without it the
fuzz tests use their small, derandomized CI budgets.

Opt-in markers: tests marked ``a2a3sim`` (kernels executed on pypto's simulator, 20-100 s
each) or ``slow`` (long sweeps) are left out unless the ``-m`` expression names one of their
opt-in markers, so the default run stays short: ``python -m pytest -m a2a3sim`` runs the
simulator tests (.ci/run does, after the default suite), ``-m slow`` the long sweeps, and
``-m "a2a3sim and not slow"`` the quick simulator tests only.
"""

from __future__ import annotations

import os

FUZZ_EXAMPLES_ENV = "PLSIM_FUZZ_EXAMPLES"


def pytest_addoption(parser) -> None:
    """Register --fuzz-examples."""
    parser.addoption(
        "--fuzz-examples",
        type=int,
        default=None,
        metavar="N",
        help=f"examples per hypothesis fuzz test (long run; same as {FUZZ_EXAMPLES_ENV}=N)",
    )


def pytest_configure(config) -> None:
    """Export --fuzz-examples as the environment variable the fuzz modules read at import."""
    examples = config.getoption("--fuzz-examples")
    if examples is not None:
        if examples < 1:
            raise ValueError(f"--fuzz-examples: got {examples}; allowed an integer >= 1")
        os.environ[FUZZ_EXAMPLES_ENV] = str(examples)


#: Markers whose tests run only when the ``-m`` expression names them.
OPT_IN_MARKERS = ("a2a3sim", "slow")


def _opted_out(item, named: set[str]) -> bool:
    """True if ``item`` carries opt-in markers and the -m expression names none of them."""
    carried = {m for m in OPT_IN_MARKERS if item.get_closest_marker(m) is not None}
    return bool(carried) and not carried & named


def pytest_collection_modifyitems(config, items) -> None:
    """Deselect opt-in tests the ``-m`` expression does not ask for (module docstring)."""
    expression = config.getoption("markexpr") or ""
    named = {marker for marker in OPT_IN_MARKERS if marker in expression}
    left_out = [item for item in items if _opted_out(item, named)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _opted_out(item, named)]
