"""Project-wide pytest options.

``--fuzz-examples N`` (or the environment variable ``PLSIM_FUZZ_EXAMPLES=N``) raises the number
of examples the hypothesis fuzz tests in tests/reliability draw, for a long run. Without it the
fuzz tests use their small, derandomized CI budgets.

Tests marked ``a2a3sim`` (kernels executed on pypto's simulator, 20-100 s each) are left out
unless the ``-m`` expression names the marker: ``python -m pytest -m a2a3sim`` runs them, and
.ci/run does as a second step after the default suite.
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


def pytest_collection_modifyitems(config, items) -> None:
    """Deselect ``a2a3sim`` tests unless ``-m`` names that marker (see the module docstring)."""
    if "a2a3sim" in (config.getoption("markexpr") or ""):
        return
    left_out = [item for item in items if item.get_closest_marker("a2a3sim") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker("a2a3sim") is None]
