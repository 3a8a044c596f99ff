"""pytest plugin (entry point ``pytest11``): the ``backprop`` fixture and the ``backprop`` marker.

    @pytest.mark.backprop(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")
    def test_output_delta(backprop):
        backprop.holds(r"\\delta^{(L)} = a^{(L)} - y")

The marker's keyword arguments are the defaults of the fixture in that test (a marker on the function
overrides one on its class or module); keyword arguments of ``holds`` / ``fails`` override both.
"""

from __future__ import annotations

import pytest

KEYS = {"convention", "loss", "output", "activation", "hidden"}  # activation is the CLI's name for output
MARKER = ("backprop(convention=..., loss=..., output=..., hidden=...): the problem the backprop fixture "
          "checks formulas against in this test")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that --strict-markers accepts it."""
    config.addinivalue_line("markers", MARKER)


class Backprop:
    """Checks formulas against one problem; the ``backprop`` fixture's value."""

    def __init__(self, **problem) -> None:
        self.problem = problem

    def holds(self, formula: str, **problem):
        """Assert that the formula holds (see derive.testing.assert_holds); return the check result."""
        __tracebackhide__ = True
        from .testing import assert_holds
        return assert_holds(formula, **{**self.problem, **problem})

    def fails(self, formula: str, mistake: str | None = None, **problem):
        """Assert that the formula fails, naming ``mistake`` if given (see derive.testing.assert_fails)."""
        __tracebackhide__ = True
        from .testing import assert_fails
        return assert_fails(formula, mistake, **{**self.problem, **problem})

    def __repr__(self) -> str:
        return f"Backprop({', '.join(f'{k}={v!r}' for k, v in self.problem.items())})"


@pytest.fixture
def backprop(request: pytest.FixtureRequest) -> Backprop:
    """Assert that backprop formulas hold or fail; defaults from the test's ``backprop`` marker."""
    problem: dict = {}
    # iter_markers yields the closest marker first (function, then class, then module): apply the farthest
    # first so that the closest wins.
    for marker in reversed(list(request.node.iter_markers("backprop"))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.backprop takes keyword arguments only, got {marker.args!r} "
                                    f"(write convention=..., loss=..., output=..., hidden=...)")
        unknown = sorted(set(marker.kwargs) - KEYS)
        if unknown:
            raise pytest.UsageError(f"@pytest.mark.backprop: unknown key(s) {', '.join(unknown)} "
                                    f"(known: {', '.join(sorted(KEYS))})")
        problem.update(marker.kwargs)
    return Backprop(**problem)
