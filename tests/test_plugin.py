"""The pytest plugin as a user meets it: a test file using the ``backprop`` fixture and marker, run by pytester.

Most tests replace ``derive.check`` with a stand-in inside the inner run (its conftest), so that they test
the plugin's mechanics (marker defaults, overrides, messages, counts) independently of the checker; the last
one runs the real checker end to end.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

import derive

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


def _plugin_args() -> list[str]:
    """Load the plugin in the inner run: by its entry point once installed, else by module name.

    (Both at once would register the same module twice, which pluggy refuses.)
    """
    installed = any(ep.name == "derive" for ep in importlib.metadata.entry_points(group="pytest11"))
    return ["-p", "derive"] if installed else ["-p", "derive.pytest_plugin"]


# A stand-in for derive.check: the verdict is read from the formula's text, the problem is echoed back.
FAKE_CONFTEST = r'''
from types import SimpleNamespace

import pytest

import derive


def fake_check(formula, **problem):
    base = dict(quantity="delta", convention=problem.get("convention", "nielsen"), problem=problem,
                counterexample=None, diagnosis=None, condition=None, notes=[])
    if "WRONG" in formula:
        return SimpleNamespace(**{**base, "verdict": "fails",
            "reason": "differs from the forward pass at layer 2",
            "counterexample": {"layer": 2, "widths": (4, 2, 5), "seed": 0, "component": (1, 0),
                               "expected": 0.125, "got": -0.5},
            "diagnosis": {"mistake": "missing transpose",
                          "message": "holds if w^{l+1} is replaced by (w^{l+1})^T",
                          "corrected": "CORRECTED-LATEX"}})
    if "GARBAGE" in formula:
        return SimpleNamespace(**{**base, "verdict": "invalid", "quantity": None,
                                  "reason": "unexpected character '@' at column 3"})
    return SimpleNamespace(**{**base, "verdict": "holds", "reason": "matches the forward pass",
                              "notes": ["the bias component is dropped"]})


@pytest.fixture(autouse=True)
def _fake_check(monkeypatch):
    monkeypatch.setattr(derive, "check", fake_check, raising=False)
'''


@pytest.fixture(scope="module")
def checker():
    """Load the checker's lazily imported modules (SymPy, mpmath, lark) before pytester snapshots sys.modules.

    An in-process pytester run drops, when it ends, the modules first imported after its snapshot; a later
    run would then import a second SymPy whose classes are not those of derive's cached SymPy objects.
    Module scope makes this run before the function-scoped pytester fixture takes its snapshot.
    """
    derive.check(r"\delta^L = a^L - y", convention="nielsen", loss="bce", output="sigmoid")


@pytest.fixture
def fake(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(FAKE_CONFTEST)
    return pytester


def test_holds_and_fails_count_and_explain(fake: pytest.Pytester):
    fake.makepyfile(test_user=r'''
        import pytest

        @pytest.mark.backprop(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
        def test_right_formula_holds(backprop):
            backprop.holds(r"\delta^l = RIGHT")

        def test_wrong_formula_is_caught(backprop):
            backprop.fails(r"\delta^l = WRONG", mistake="transpose")

        def test_wrong_formula_claimed_to_hold(backprop):
            backprop.holds(r"\delta^l = WRONG", convention="nielsen")

        def test_wrong_mistake_named(backprop):
            backprop.fails(r"\delta^l = WRONG", mistake="1/m")

        def test_invalid_is_not_a_failing_formula(backprop):
            backprop.fails(r"\delta^l = GARBAGE")
    ''')
    result = fake.runpytest(*_plugin_args(), "--strict-markers")
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines([
        "*expected the formula to hold, but derive.check says: fails*",
        r"*formula:*\delta^l = WRONG*",
        "*problem:*convention=nielsen*",
        "*reason:*differs from the forward pass at layer 2*",
        "*counterexample: layer 2, widths (4, 2, 5), seed 0, component (1, 0): expected 0.125, got -0.5*",
        "*diagnosis:*holds if w^{l+1} is replaced by (w^{l+1})^T*missing transpose*",
        "*corrected:*CORRECTED-LATEX*",
    ])
    result.stdout.fnmatch_lines(["*expected the formula to fail with the mistake '1/m' diagnosed*"])
    result.stdout.fnmatch_lines(["*expected the formula to fail, but derive.check says: invalid*",
                                 "*reason:*unexpected character '@' at column 3*"])
    # The traceback points at the user's line, not into derive.testing.
    assert "derive/testing.py" not in result.stdout.str()


def test_marker_kwargs_are_defaults_closest_wins_call_overrides(fake: pytest.Pytester):
    fake.makepyfile(test_user=r'''
        import pytest

        pytestmark = pytest.mark.backprop(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")

        def test_module_marker(backprop):
            assert backprop.holds("x").problem == dict(convention="ng", loss="bce", output="sigmoid",
                                                       hidden="sigmoid")

        @pytest.mark.backprop(convention="dls", hidden="relu")
        def test_function_marker_overrides_module(backprop):
            assert backprop.holds("x").problem == dict(convention="dls", loss="bce", output="sigmoid",
                                                       hidden="relu")

        @pytest.mark.backprop(convention="dls")
        class TestClass:
            @pytest.mark.backprop(hidden="tanh")
            def test_function_over_class_over_module(self, backprop):
                assert backprop.holds("x", loss="mse").problem == dict(
                    convention="dls", loss="mse", output="sigmoid", hidden="tanh")
    ''')
    fake.runpytest(*_plugin_args(), "--strict-markers").assert_outcomes(passed=3)


def test_without_marker_the_checker_defaults_apply(fake: pytest.Pytester):
    fake.makepyfile(test_user='''
        def test_plain(backprop):
            assert backprop.holds("x").problem == {}
            assert backprop.fails("WRONG", mistake="TRANSPOSE", convention="ng").problem == {"convention": "ng"}
    ''')
    fake.runpytest(*_plugin_args()).assert_outcomes(passed=1)


def test_marker_with_positional_arguments_is_a_usage_error(fake: pytest.Pytester):
    fake.makepyfile(test_user='''
        import pytest

        @pytest.mark.backprop("ng")
        def test_positional(backprop):
            pass
    ''')
    result = fake.runpytest(*_plugin_args())
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*takes keyword arguments only*"])


def test_marker_with_an_unknown_key_is_a_usage_error_naming_it(fake: pytest.Pytester):
    fake.makepyfile(test_user='''
        import pytest

        @pytest.mark.backprop(convention="ng", los="bce")
        def test_typo(backprop):
            pass
    ''')
    result = fake.runpytest(*_plugin_args())
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown key(s) los (known: activation, convention, hidden, loss, output)*"])
    assert "TypeError" not in result.stdout.str()


def test_marker_is_registered_for_strict_markers(fake: pytest.Pytester):
    result = fake.runpytest(*_plugin_args(), "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.backprop(convention=*"])


def test_pyproject_registers_the_plugin_entry_point():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["entry-points"]["pytest11"] == {"derive": "derive.pytest_plugin"}


@pytest.mark.skipif(not hasattr(derive, "check"), reason="derive.check does not exist yet")
def test_end_to_end_with_the_real_checker(pytester: pytest.Pytester, checker):
    pytester.makepyfile(test_user=r'''
        import pytest

        pytestmark = pytest.mark.backprop(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")

        def test_ng_output_delta(backprop):
            backprop.holds(r"\delta^{(L)} = a^{(L)} - y")

        def test_extra_derivative_is_caught(backprop):
            backprop.fails(r"\delta^{(L)} = (a^{(L)} - y) .* g'(z^{(L)})")

        def test_claiming_the_wrong_one_fails_readably(backprop):
            backprop.holds(r"\delta^{(L)} = (a^{(L)} - y) .* g'(z^{(L)})")
    ''')
    result = pytester.runpytest(*_plugin_args(), "--strict-markers")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*expected the formula to hold, but derive.check says: fails*",
                                 "*counterexample:*expected*got*"])


@pytest.mark.skipif(not hasattr(derive, "check"), reason="derive.check does not exist yet")
def test_the_example_in_the_docs_passes(pytester: pytest.Pytester, checker):
    """docs/checking.md's complete test file runs green as pasted."""
    text = (ROOT / "docs" / "checking.md").read_text(encoding="utf-8")
    example = text.split("A complete test file", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    pytester.makepyfile(test_my_notes=example)
    result = pytester.runpytest(*_plugin_args(), "--strict-markers")
    result.assert_outcomes(passed=example.count("\ndef test_"))


def test_readme_example_is_the_tested_one():
    # the README shows the same example file that the docs hold and the test above runs
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    blocks = lambda text: [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "pytest.mark.backprop" in b]  # noqa: E731
    assert blocks((root / "README.md").read_text()) == blocks((root / "docs" / "checking.md").read_text())
