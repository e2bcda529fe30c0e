"""Project-wide pytest options.

``--fuzz-examples N`` (or the environment variable ``PLSIM_FUZZ_EXAMPLES=N``) raises the number
of examples the hypothesis fuzz tests in tests/reliability draw, for a long run. Without it the
fuzz tests use their small, derandomized CI budgets.
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
