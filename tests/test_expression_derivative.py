"""The derivative operator applied to a written expression (issue 9): \\frac{\\partial}{\\partial z_i}
\\left[ \\frac{1}{2} (y_i - a_i)^2 \\right] (markusthill_backprop.md). The expression, of forward quantities,
targets and parameters, is valued on the forward pass moved at z_i (the local derivatives' own passes), so the
derivative is the forward pass's; what it cannot value is refused. Each part counts: an edit of the expression or of
the variable changes the verdict.
"""

from __future__ import annotations

import pytest
from verdicts import judged

import derive
from derive.formula import ast
from derive.formula.parse import parse
from derive.formula.unparse import latex
from derive.problem import Problem

NIELSEN = dict(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
D = r"\delta_i^{(L)} = \frac{\partial}{\partial z_i^{(L)}} "

HOLDS = [
    D + r"\left[ \frac{1}{2} \big(y_i^* - a_i^{(L)}\big)^2 \right]",          # markusthill mt-52
    D + r"\left[ \frac{1}{2} \big(y_i^* - \sigma(z_i^{(L)})\big)^2 \right]",  # mt-53
    D + r"\left[ \frac{1}{2} \sum_k \big(y_k - a_k^{(L)}\big)^2 \right]",      # the whole cost: the other terms are 0
    D + r"\left( \frac{1}{2} (a_i^{(L)} - y_i)^2 \right)",
    r"\frac{\partial C}{\partial a^{(L)}_j} = \frac{\partial}{\partial a^{(L)}_j} "
    r"\left[ \frac{1}{2} (a_j^{(L)} - y_j)^2 \right]",
]

FAILS = [
    D + r"\left[ \big(y_i^* - a_i^{(L)}\big)^2 \right]",                      # without the 1/2
    D + r"\left[ \frac{1}{2} \big(y_i^* + a_i^{(L)}\big)^2 \right]",
    D + r"\left[ \frac{1}{2} \big(y_i^* - a_i^{(L)}\big)^3 \right]",
    r"\delta_i^{(L)} = \frac{\partial}{\partial a_i^{(L)}} \left[ \frac{1}{2} \big(y_i^* - a_i^{(L)}\big)^2 \right]",
    r"\delta_i^{(L)} = -\frac{\partial}{\partial z_i^{(L)}} \left[ \frac{1}{2} \big(y_i^* - a_i^{(L)}\big)^2 \right]",
]

REFUSED = [
    (r"\delta^{(L)} = \frac{\partial}{\partial z^{(L)}} \left[ \frac{1}{2} (y - a^{(L)})^2 \right]",
     "in a component formula"),
    (r"\frac{\partial C}{\partial w^L_{jk}} = \frac{\partial}{\partial w^L_{jk}} \left[ z^L_j \right]",
     "a component of z or a"),
    (D + r"\left[ \delta^{(L-1)}_i a^{(L)}_i \right]", "not a gradient or a derivative"),
    (D + r"\left[ y_i \right]", "does not depend on the forward pass"),
]


@pytest.mark.parametrize("formula", HOLDS)
def test_the_derivative_of_an_expression_is_the_forward_pass_s(formula):
    result = derive.check(formula, **NIELSEN, diagnose=False)
    assert result.verdict == "holds", result.text()


@pytest.mark.parametrize("formula", FAILS)
def test_an_edit_of_the_expression_or_its_variable_fails(formula):
    result = derive.check(formula, **NIELSEN, diagnose=False)
    assert result.verdict == "fails", result.text()


@pytest.mark.parametrize("formula,words", REFUSED)
def test_what_the_forward_pass_cannot_value_is_refused(formula, words):
    result = derive.check(formula, **NIELSEN, diagnose=False)
    assert result.verdict == "invalid", result.text()
    assert words in result.reason, result.text()


def test_the_operator_parses_to_its_expression_and_variable_and_back():
    claim = parse(HOLDS[0])
    assert isinstance(claim.rhs, ast.Derivative) and claim.rhs.wrt == ast.Sym("z", ast.Layer("L", 0, "paren"), ("i",))
    assert parse(latex(claim)) == claim


@pytest.mark.parametrize("formula", HOLDS[:2])
def test_no_single_edit_of_what_was_read_is_ignored(formula):
    # the property of tests/test_check_edits.py on this form
    from test_check_edits import edits, meaning_of
    problem = Problem.make(**NIELSEN)
    claim = parse(formula)
    original = meaning_of(claim, problem)
    assert original is not None
    ctx = {"component": True, "per_example": False, "wrt": False, "cost": False}
    ignored = [latex(e) for e in edits(claim, ctx) if e != claim and meaning_of(e, problem) == original]
    assert not ignored, ignored


# ---------------------------------------------------------------- typography under a hat (markusthill's \hat{\vec y})
@pytest.mark.parametrize("text", [r"\hat{\vec y}", r"\hat{\boldsymbol{\mathbf{y}}}", r"\hat{\mathbf y}"])
def test_a_font_under_a_hat_is_read_as_outside_it(text):
    from derive.formula.parse import parse_expr
    assert parse_expr(text) == parse_expr(r"\hat{y}")
    assert parse_expr(text + "_i") == parse_expr(r"\hat{y}_i")



# ---------------------------------------------------------------- a sum written out, T(1) + T(2) + \cdots
def _term(n, layer="l+1"):
    z = rf"z_{n}^{{({layer})}}"
    return rf"\frac{{\partial C}}{{\partial {z}}} \frac{{\partial {z}}}{{\partial z_i^{{(l)}}}}"


SUM_LHS = r"\frac{\partial C}{\partial z_i^{(l)}} = "


@pytest.mark.parametrize("formula,verdict,words", [
    (SUM_LHS + _term(1) + " + " + _term(2) + r" + \cdots", "holds", ""),       # markusthill mt-19
    (SUM_LHS + _term(0) + " + " + _term(1) + r" + \ldots", "holds", ""),       # counted from 0
    (SUM_LHS + _term(1) + " + " + _term(2, "l+2") + r" + \cdots", "invalid", "not one term"),  # two layers
    (SUM_LHS + _term(1) + " + " + _term(3) + r" + \cdots", "invalid", "not one term"),         # not 1, 2
    (SUM_LHS + _term(1) + r" + \cdots", "invalid", "not one term"),                            # one term: no pattern
    (SUM_LHS + _term(1) + " + " + _term(2) + r" \cdots", "invalid", "only after the terms of a sum"),
    (SUM_LHS + _term(1) + " + " + _term(2).replace("z_i^{(l)}", "z_1^{(l)}") + r" + \cdots", "invalid", "not one term"),
    (SUM_LHS + r"\frac{\partial C}{\partial z_1^{(l+1)}} \frac{\partial z_1^{(l+1)}}{\partial z_i^{(l+1)}} + "
     r"\frac{\partial C}{\partial z_2^{(l+1)}} \frac{\partial z_2^{(l+1)}}{\partial z_i^{(l+1)}} + \cdots", "fails",
     ""),
])
def test_a_sum_written_out_is_the_sum_over_every_unit(formula, verdict, words):
    judged(formula, NIELSEN, verdict, words)


def test_a_sum_written_out_parses_to_the_sum():
    written = parse(SUM_LHS + _term(1) + " + " + _term(2) + r" + \cdots")
    assert written == parse(SUM_LHS + r"\sum_k " + _term("k"))
