"""derive check: verdicts, counterexamples, diagnoses and the command line, on formulas as people write them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from derive import check
from derive.activations import ACTIVATIONS
from derive.formula.meaning import FUNCTION_LETTERS

HOLDS = [
    # Nielsen NNDL eq. (BP2)
    ("nielsen", "bce", "sigmoid", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)"),
    # Nielsen NNDL ch. 3, eq. (66): cross-entropy with sigmoid outputs
    ("nielsen", "bce", "sigmoid", r"\delta^L = a^L - y"),
    # Nielsen NNDL eq. (BP4) in components
    ("nielsen", "bce", "sigmoid", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j"),
    # Nielsen NNDL eq. (BP2) in components
    ("nielsen", "bce", "sigmoid", r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)"),
    # Ng ML lecture 9: the recursion (the bias component is dropped, as the course does)
    ("ng", "bce", "sigmoid", r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(z^{(l)})"),
    # deeplearning.ai C1W4
    ("dls", "bce", "sigmoid", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}"),
    ("dls", "bce", "sigmoid", r"dZ^{[l]} = dA^{[l]} * g'(Z^{[l]})"),
    # CS231n: softmax classifier with the mean loss over N examples
    ("cs231n", "cce", "softmax", r"dZ^{(L)} = \frac{1}{N}(P - Y)"),
]


@pytest.mark.parametrize("conv,loss,out,formula", HOLDS)
def test_correct_formulas_hold(conv, loss, out, formula):
    result = check(formula, conv, loss, out, "tanh")
    assert result.verdict == "holds", result.text()


FAILS = [
    # (convention, loss, output, formula, the mistake the diagnosis must name)
    ("nielsen", "bce", "sigmoid", r"\delta^l = ((w^{l})^T \delta^{l+1}) \odot \sigma'(z^l)", "layer index"),
    ("nielsen", "bce", "sigmoid", r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)", "transpose"),
    ("nielsen", "bce", "sigmoid", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(a^l)", "argument"),
    ("nielsen", "bce", "sigmoid", r"\delta^L = (a^L - y) \odot \sigma'(z^L)", "extra sigma'"),
    ("nielsen", "mse", "sigmoid", r"\delta^L = a^L - y", "sigma'"),
    ("dls", "bce", "sigmoid", r"dW^{[l]} = dZ^{[l]} A^{[l-1]T}", "1/m"),
    ("nielsen", "bce", "sigmoid", r"\delta^l_j = \sum_k w^{l+1}_{jk} \delta^{l+1}_k \sigma'(z^l_j)", "indices"),
]


@pytest.mark.parametrize("conv,loss,out,formula,mistake", FAILS)
def test_wrong_formulas_fail_with_a_diagnosis(conv, loss, out, formula, mistake):
    result = check(formula, conv, loss, out, "tanh")
    assert result.verdict == "fails", result.text()
    assert result.diagnosis and mistake in result.diagnosis["mistake"], result.text()
    fixed = check(result.diagnosis["corrected"], conv, loss, out, "tanh")
    assert fixed.verdict == "holds", f"the corrected formula must hold: {fixed.text()}"


def test_shape_error_names_the_product():
    result = check(r"\delta^l = (w^{l})^T \delta^{l+1} \odot \sigma'(z^l)", "nielsen", "bce", "sigmoid")
    assert result.verdict == "fails"
    assert "n_{l-1} x n_{l}" in result.reason and "n_{l+1} rows" in result.reason


def test_condition_and_bias_note():
    cce = check(r"\delta^{(L)} = a^{(L)} - y", "ng", "cce", "softmax", "relu")
    assert cce.verdict == "holds" and cce.condition == r"\sum_k y_k = 1"
    ng = check(r"\delta^{(l)} = (\Theta^{(l)})^T \delta^{(l+1)} .* g'(z^{(l)})", "ng", "bce", "sigmoid")
    assert any("bias" in n for n in ng.notes)


@pytest.mark.parametrize("text", ["", "   ", r"\delta^l = (w^{l+1}", r"\foo = 1", "x" * 100_000,
                                  "\x00\xff", r"\delta^l", "(" * 1000 + ")" * 1000])
def test_bad_input_is_invalid_not_an_exception(text):
    result = check(text, "nielsen")
    assert result.verdict == "invalid"
    assert "\n" not in result.reason


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "derive.cli", "check", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_cli_exit_codes_and_json():
    holds = run("--convention", "nielsen", "--loss", "bce", "--activation", "sigmoid", r"\delta^L = a^L - y")
    assert holds.returncode == 0 and holds.stdout.startswith("holds")
    fails = run("--convention", "nielsen", "--loss", "mse", "--activation", "sigmoid", "--json",
                r"\delta^L = a^L - y")
    assert fails.returncode == 1
    data = json.loads(fails.stdout)
    assert data["verdict"] == "fails" and data["quantity"] == "delta_out"
    assert {"layer", "widths", "seed", "expected", "got", "component"} <= set(data["counterexample"])
    bad = run("--convention", "nielsen", r"\delta^l = (")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    piped = run("--convention", "ng", "--loss", "bce", "--activation", "sigmoid", "-",
                stdin=r"\delta^{(L)} = a^{(L)} - y")
    assert piped.returncode == 0


@pytest.mark.parametrize("text", [
    r"\delta^l := ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
    r"\delta^{(l)} \leftarrow a \cdot (-b)",
    r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}",
    r"\delta^L = \nabla_a C \odot \sigma'(z^L)",
    r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)",
])
def test_unparse_round_trips(text):
    # the corrected formula a diagnosis prints must read back as the same tree
    from derive.formula.parse import parse
    from derive.formula.unparse import latex
    tree = parse(text)
    assert parse(latex(tree)) == tree


@pytest.mark.parametrize("hidden", [n for n, a in ACTIVATIONS.items() if a.elementwise and n != "identity"])
def test_every_activation_is_read_by_the_name_the_registry_prints(hidden):
    # the checker's function names come from the registry: \operatorname{softplus}, \operatorname{GELU}, \tanh ...
    latex = ACTIVATIONS[hidden].latex
    if latex in FUNCTION_LETTERS:  # σ is the convention's activation, whichever it is: name the function
        latex = rf"\operatorname{{{hidden}}}"
    formula = rf"\delta^l = ((w^{{l+1}})^T \delta^{{l+1}}) \odot {latex}'(z^l)"
    assert check(formula, "nielsen", "mse", "identity", hidden).verdict == "holds"
    # named, it is that function: with another hidden activation the same formula fails
    other = "tanh" if hidden != "tanh" else "sigmoid"
    assert check(formula, "nielsen", "mse", "identity", other, diagnose=False).verdict == "fails"


def test_a_shape_with_a_bias_column_is_written_with_parentheses():
    """Ng's Θ^(l) is s_{l+1} x (1 + s_l): the sum in parentheses, not s_{l+1} x 1 + s_l."""
    r = check(r"\delta^{(l)} = \Theta^{(l)} \delta^{(l+1)}", "ng")
    assert r.verdict == "fails" and "s_{l+1} x (1 + s_{l})" in r.reason, r.reason
