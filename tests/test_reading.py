"""What real notes write (issue 9, section 2), read soundly: every form below is either read as the plain formula it
stands for, or refused with the reason. Nothing is read by dropping a part of it.

Tables first: a form and the plain formula it must parse to (the same tree); then formulas and the verdict they must
get under a convention; then the limits of sums, one-line chains, conditions after a formula and the notes' macros.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from verdicts import judged

import derive
from derive.formula import ast
from derive.formula.parse import (
    MAX_MACRO_OUTPUT,
    FormulaError,
    chain_links,
    expand_macros,
    parse,
    parse_chain,
    read_macros,
)
from derive.formula.read import compile_claim
from derive.formula.unparse import latex
from derive.problem import Problem

NIELSEN = dict(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
NIELSEN_BCE = dict(convention="nielsen", loss="bce", output="sigmoid", hidden="sigmoid")
DLS = dict(convention="dls", loss="bce", output="sigmoid", hidden="relu")
NG = dict(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")
BISHOP = dict(convention="bishop", loss="mse", output="identity", hidden="tanh")
WIKIPEDIA = dict(convention="wikipedia", loss="mse", output="sigmoid", hidden="sigmoid")
SETTINGS = {"nielsen": NIELSEN, "nielsen-bce": NIELSEN_BCE, "dls": DLS, "ng": NG, "bishop": BISHOP,
            "wikipedia": WIKIPEDIA}

# ---------------------------------------------------------------- forms read as a plain formula (the same tree)
SAME_TREE = [
    # left sides: Leibniz's d, \dfrac, \tfrac, a braced operand, the operator form, \nabla without a cost
    (r"\frac{dL}{dz^{[l]}} = dA^{[l]}", r"\frac{\partial L}{\partial z^{[l]}} = dA^{[l]}"),
    (r"\frac{dC}{da^L_j} = a^L_j - y_j", r"\frac{\partial C}{\partial a^L_j} = a^L_j - y_j"),
    (r"\frac{d C}{d b^l} = \delta^l", r"\frac{\partial C}{\partial b^l} = \delta^l"),
    (r"\frac{\mathrm{d}C}{\mathrm{d}z^L} = 1", r"\frac{\partial C}{\partial z^L} = 1"),
    (r"dC/dz^L_j = 1", r"\partial C / \partial z^L_j = 1"),
    (r"\dfrac{\partial C}{\partial z^L} = 1", r"\frac{\partial C}{\partial z^L} = 1"),
    (r"\tfrac{\partial C}{\partial b^l} = \delta^l", r"\frac{\partial C}{\partial b^l} = \delta^l"),
    (r"\frac{\partial {J}}{\partial {W^{[l]}}} = 1", r"\frac{\partial J}{\partial W^{[l]}} = 1"),
    (r"\frac{\partial}{\partial W^{(l)}_{ij}} J(W,b;x,y) = 1",
     r"\frac{\partial J(W, b, x, y)}{\partial W^{(l)}_{ij}} = 1"),
    (r"\frac{\partial}{\partial w^l_{jk}} C = 1", r"\frac{\partial C}{\partial w^l_{jk}} = 1"),
    (r"\nabla W^l = 1", r"\nabla_{W^l} = 1"),
    # presentation that carries no math
    (r"\textcolor{red}{\delta^L} = a^L - y", r"\delta^L = a^L - y"),
    (r"\textcolor[rgb]{1,0,0}{\delta^L = a^L - y}", r"\delta^L = a^L - y"),
    (r"\delta^L = {\color{green} a^L - y}", r"\delta^L = a^L - y"),
    (r"{\color{green} \delta^L = a^L - y}", r"\delta^L = a^L - y"),
    (r"\boxed{\delta^L = a^L - y}", r"\delta^L = a^L - y"),
    (r"\colorbox{yellow}{$\delta^L$} = a^L - y", r"\delta^L = a^L - y"),
    (r"\mathbf{\delta}^L = (\boldsymbol{a}^L - \bm{y}) \odot \sigma'(\vec{z}^L)",
     r"\delta^L = (a^L - y) \odot \sigma'(z^L)"),
    (r"\delta^L = (\mathrm{a}^L - y)", r"\delta^L = (a^L - y)"),
    (r"\large \delta^L = \Large a^L - y", r"\delta^L = a^L - y"),
    (r"\displaystyle \delta^L = a^L - y", r"\delta^L = a^L - y"),
    (r"\delta^{l} = (w^{l+1})^{\rm T} \delta^{l+1}", r"\delta^{l} = (w^{l+1})^T \delta^{l+1}"),
    (r"\delta^{l} = (w^{l+1})^{\mathrm{T}} \delta^{l+1}", r"\delta^{l} = (w^{l+1})^T \delta^{l+1}"),
    (r"\delta^{l} = (w^{l+1})^{\text{T}} \delta^{l+1}", r"\delta^{l} = (w^{l+1})^T \delta^{l+1}"),
    (r"\delta^L = \left(a^L - y\right) \odot \sigma'\left(z^L\right)", r"\delta^L = (a^L - y) \odot \sigma'(z^L)"),
    (r"\delta^L = \big(a^L - y\big) \, \odot \; \sigma'\!(z^L)", r"\delta^L = (a^L - y) \odot \sigma'(z^L)"),
    (r"\delta^L = a^L - y \quad \text{(the output error)}", r"\delta^L = a^L - y"),
    (r"\frac{{\rm d}C}{{\rm d}z^L} = 1", r"\frac{\partial C}{\partial z^L} = 1"),
    # transposes, primes, Unicode
    (r"dA^{[l-1]} = W^{[l]^T} dZ^{[l]}", r"dA^{[l-1]} = W^{[l]T} dZ^{[l]}"),
    (r"dA^{[l-1]} = W^{[l]^{T}} dZ^{[l]}", r"dA^{[l-1]} = W^{[l]T} dZ^{[l]}"),
    (r"\delta^{l} = w^{l+1^T} \delta^{l+1}", r"\delta^{l} = (w^{l+1})^T \delta^{l+1}"),
    ("delta2 = a2 − y", "delta2 = a2 - y"),
    ("delta_2 = Theta2' * delta_3", "delta2 = Theta2' * delta3"),
    (r"\delta^{(l)} = \Theta^{(l)^\top} \delta^{(l+1)}", r"\delta^{(l)} = \Theta^{(l)T} \delta^{(l+1)}"),
    (r"\delta^l = (w^{l+1})^⊤ \delta^{l+1}", r"\delta^l = (w^{l+1})^T \delta^{l+1}"),
    (r"dZ = dA * g\prime(Z)", r"dZ = dA * g'(Z)"),
    (r"\delta^L = a^L - y \odot \sigma\prime(z^L)", r"\delta^L = a^L - y \odot \sigma'(z^L)"),
    ("δ^L = (a^L − y) ⊙ σ′(z^L)", r"\delta^L = (a^L - y) \odot \sigma'(z^L)"),
    ("dZ = dA × g'(Z)", r"dZ = dA \times g'(Z)"),
    ("dW = dZ · A^T", r"dW = dZ \cdot A^T"),
    ("dZ = dA ∗ g'(Z)", r"dZ = dA * g'(Z)"),
    # a calligraphic loss written with the old \cal
    (r"\frac{\partial {\cal L}}{\partial z^L} = 1", r"\frac{\partial \mathcal{L}}{\partial z^L} = 1"),
    # real notes (tests/real_notes): \equiv claims the equality; y_i^* is component i of the target y^*;
    # \mathord (a math class, from a notes macro) and \enskip (a space) carry no math
    (r"\delta_j \equiv \frac{\partial E_n}{\partial a_j}", r"\delta_j = \frac{\partial E_n}{\partial a_j}"),
    ("δ_j ≡ h'(a_j)", r"\delta_j = h'(a_j)"),
    (r"\delta_i^{(L)} = a_i^{(L)} - y_i^*", r"\delta_i^{(L)} = a_i^{(L)} - y^*_i"),
    (r"dW = \frac{1}{\mathord{m}} dZ A^T", r"dW = \frac{1}{m} dZ A^T"),
    (r"\delta^{(L)} = (a^{(L)} - y) \enskip \odot \sigma'(z^{(L)})",
     r"\delta^{(L)} = (a^{(L)} - y) \odot \sigma'(z^{(L)})"),
]


@pytest.mark.parametrize("form,plain", SAME_TREE)
def test_a_form_reads_as_its_plain_formula(form, plain):
    assert parse(form) == parse(plain)


def test_the_cost_s_argument_list_is_kept():
    claim = parse(r"\frac{\partial J(\Theta)}{\partial \Theta^{(l)}} = 1")
    assert claim.lhs == ast.Partial(ast.Sym("J"), ast.Sym("\\Theta", ast.Layer("l", 0, "paren")), (ast.Sym("\\Theta"),))
    assert parse(r"\nabla_{\Theta} J(\Theta) = 1").lhs.given == (ast.Sym("\\Theta"),)
    # and written back as it was read
    for text in (r"\frac{\partial}{\partial W^{(l)}_{ij}} J(W,b;x,y) = 1", r"\nabla_{\Theta} J(\Theta) = 1"):
        assert parse(latex(parse(text))) == parse(text)


def test_a_starred_target_is_a_symbol_of_its_own():
    # y^* is never read as y (in Bishop y is the output): it is its own name, which a convention may know
    assert parse(r"\delta_k = y_k - y^*_k").rhs.right == ast.Sym("y^*", None, ("k",))
    assert parse(r"\delta_k = y_k - y^{*}_k") == parse(r"\delta_k = y_k - y^*_k")


REFUSED_TO_PARSE = [
    # (text, part of the one-line error)
    (r"\delta^L = \frac{d}{dz^L} \sigma(z^L)", "as an operator"),
    (r"\frac{\partial z(W)}{\partial W} = 1", "only the cost takes one"),
    (r"\frac{\partial}{\partial W} z(W) = 1", "only the cost takes one"),
    (r"\frac{\partial J(a + b)}{\partial W} = 1", "names symbols only"),
    (r"\frac{\partial J}{\partial W(x)} = 1", "only the cost takes one"),
    (r"a^{*(l)} = 1", "superscript *"),
    (r"\delta = a - y^{(L)*}", "superscript *"),
    (r"\delta = a - (y_i)^*", "superscript *"),
    (r"\delta^L = \sigma^{*}(z)", "superscript *"),
    (r"\delta = \sum_{k \leftarrow 1} a_k", "first value with '='"),
    # a second claim after prose is not cut off unchecked
    (r"\delta^L = a^L - y \quad\text{and}\quad \delta^l = w^{l+1} \delta^{l+1}", "a second formula"),
    (r"\delta^L = a^L - y, \quad \frac{\partial C}{\partial b^l} = \delta^l", "a second formula"),
    (r"\delta^L_j = a^L_j - y_j \quad\text{where } z^L_j = w a", "a second formula"),
]


@pytest.mark.parametrize("text,reason", REFUSED_TO_PARSE)
def test_a_form_without_a_meaning_is_refused(text, reason):
    with pytest.raises(FormulaError, match=None) as info:
        parse(text)
    assert reason in str(info.value) and "\n" not in str(info.value)


# ---------------------------------------------------------------- verdicts
VERDICTS = [
    # (setting, formula, verdict, part of the reason)
    ("dls", r"\frac{dL}{dz^{[l]}} = \frac{dL}{da^{[l]}} * g'(z^{[l]})", "holds", ""),
    ("nielsen", r"\frac{dC}{da^L_j} = a^L_j - y_j", "holds", ""),
    ("nielsen", r"\frac{dC}{dz^L_j} = a^L_j - y_j", "fails", ""),
    ("nielsen", r"\dfrac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)", "holds", ""),
    ("nielsen", r"\frac{\partial {C}}{\partial {b^l}} = \delta^l", "holds", ""),
    ("nielsen", r"\frac{\partial}{\partial w^{l}_{jk}} C = a^{l-1}_k \delta^l_j", "holds", ""),
    ("nielsen", r"\frac{\partial}{\partial W^{(l)}_{ij}} J(W,b;x,y) = a^{(l-1)}_j \delta^{(l)}_i", "holds", ""),
    ("nielsen", r"\frac{\partial}{\partial W^{(l)}_{ij}} J(W,b;x,y) = a^{(l-1)}_i \delta^{(l)}_j", "fails", ""),
    ("ng", r"\frac{\partial J(\Theta)}{\partial \Theta^{(l)}} = \frac{1}{m} \delta^{(l+1)} (a^{(l)})^T", "holds", ""),
    ("ng", r"\frac{\partial J(\Theta)}{\partial \Theta} = \frac{1}{m} \delta^{(l+1)} (a^{(l)})^T", "invalid",
     "needs the weight's layer"),
    ("nielsen", r"\frac{\partial C(a^L)}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)", "holds", ""),
    # the argument list is notation for the cost, read only as that
    ("nielsen", r"\frac{\partial J(z)}{\partial b^{l}} = \delta^l", "invalid", "z is neither"),
    ("nielsen", r"\frac{\partial J(W)}{\partial b^{l}} = \delta^l", "invalid", "function of W only"),
    ("nielsen", r"\frac{\partial J(W_1)}{\partial W^{l}} = \delta^l (a^{l-1})^T", "invalid", "is neither"),
    ("nielsen", r"\frac{\partial Q(W)}{\partial W^{l}} = \delta^l (a^{l-1})^T", "invalid", "only the cost"),
    # \nabla with no cost written is the cost's gradient
    ("wikipedia", r"\nabla W^l = \delta^l (a^{l-1})^T", "holds", ""),
    ("wikipedia", r"\nabla_{W^l} = \delta^l (a^{l-1})^T", "holds", ""),
    ("wikipedia", r"\nabla_{W^l} = (a^{l-1})^T \delta^l", "fails", "shapes"),
    ("wikipedia", r"\nabla W^l = \delta^{l+1} (a^{l-1})^T", "fails", ""),
    # presentation and notation
    ("nielsen", r"\textcolor{red}{\delta^L} = (a^L - y) \odot {\color{blue}\sigma'(z^L)}", "holds", ""),
    ("nielsen", r"\Large \delta^L = \nabla_a C \odot \sigma'(z^L) \quad \text{(BP1)}", "holds", ""),
    ("nielsen", r"\delta^L = (a^L - y) \odot \sigma\prime(z^L)", "holds", ""),
    ("nielsen", "δ^L = (a^L − y) ⊙ σ′(z^L)", "holds", ""),
    ("nielsen", r"\delta^L = (a^L - t) \odot \sigma'(z^L)", "holds", ""),
    ("dls", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]^T}", "holds", ""),
    ("dls", r"dA^{[l-1]} = W^{[l]^T} dZ^{[l]}", "holds", ""),
    ("dls", r"dA^{[l-1]} = W^{[l]} dZ^{[l]}", "fails", ""),
    # a condition after the formula is read: judged where it holds (tests/test_conditions.py), refused where derive
    # cannot restrict the check to it (a number in a convention that does not fix where units are counted from, a
    # letter that is not a component index of the left side)
    ("nielsen", r"\frac{\partial z^l_k}{\partial w^l_{ij}} = 0 \mbox{ if } i \neq k", "holds", "judged where i ≠ k"),
    ("nielsen", r"\delta^L_j = a^L_j - y_j, \quad j \neq 0", "invalid", "claimed only j \\neq 0"),
    ("nielsen", r"\delta^L = a^L - y \quad \text{if } y = 1", "invalid", "claimed only if y = 1"),
    # ... while prose after it claims nothing and is not a condition
    ("nielsen", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j \quad\text{for } l = L-1, ..., 2",
     "holds", ""),
    ("nielsen", r"\delta^L = (a^L - y) \odot \sigma'(z^L) \tag{BP1}", "holds", ""),
    # \equiv (Bishop 5.51, 5.55): a definition is the equality it states, and judged as one
    ("bishop", r"\delta_j \equiv \frac{\partial E_n}{\partial a_j} = \sum_k \frac{\partial E_n}{\partial a_k} "
               r"\frac{\partial a_k}{\partial a_j}", "holds", ""),
    ("bishop", r"\delta_j \equiv -\frac{\partial E_n}{\partial a_j}", "fails", ""),
    ("bishop", r"\delta_j \equiv \frac{\partial E_n}{\partial z_j}", "fails", ""),
    # y_i^* (markusthill): the target's component i, as y^*_i
    ("nielsen", r"\delta_i^{(L)} = -\big(y_i^* - \sigma(z_i^{(L)})\big)\, \sigma'\!\left(z_i^{(L)}\right)", "holds",
     ""),
    ("nielsen", r"\delta_i^{(L)} = \big(y_i^* - \sigma(z_i^{(L)})\big)\, \sigma'\!\left(z_i^{(L)}\right)", "fails", ""),
    ("nielsen", r"\delta_i^{(L)} = a_i^{(L)} - y_i^*", "fails", ""),
    ("nielsen-bce", r"\delta_i^{(L)} = a_i^{(L)} - y_i^*", "holds", ""),
    ("nielsen-bce", r"\delta_i^{(L)} = a_i^{(L)} - y_j^*", "fails", ""),
    # a product written with x is a matrix product here: it is not silently taken as elementwise
    ("dls", r"dZ^{[l]} = dA^{[l]} \times g'(Z^{[l]})", "fails", ""),
]


@pytest.mark.parametrize("setting,formula,verdict,reason", VERDICTS)
def test_verdicts(setting, formula, verdict, reason):
    result = judged(formula, SETTINGS[setting], verdict, reason)
    assert "\n" not in result.reason
    for internal in ("parse_expr", "parse_chain", "quantity_of", "MeaningError"):
        assert internal not in result.reason


def test_an_annotation_between_two_sides_keeps_the_chain():
    links = chain_links(r"\delta^L = \frac{\partial C}{\partial z^L} \quad\text{(by definition)} = (a^L - y) \odot "
                        r"\sigma'(z^L)")
    assert [claim for _, claim in links] == parse_chain(r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot "
                                                        r"\sigma'(z^L)")
    assert links[0][1].annotation == r"\quad\text{(by definition)}"


def test_a_condition_is_recorded_on_the_claim():
    claim = parse(r"D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij} \mbox{ if } j \neq 0")
    assert claim.condition == "if j \\neq 0" and claim.annotation is None
    prose = parse(r"\delta^l = w \quad\text{for } l = L-1, ..., 2")
    assert prose.condition is None and prose.annotation == r"\quad\text{for } l = L-1, ..., 2"


def test_the_elementwise_product_written_as_times_is_diagnosed():
    result = derive.check(r"dZ^{[l]} = dA^{[l]} \times g'(Z^{[l]})", **DLS)
    assert result.verdict == "fails" and result.diagnosis
    assert result.diagnosis["mistake"] == "elementwise product", result.text()


HOLDING = [(s, f) for s, f, v, _ in VERDICTS if v == "holds"]


@pytest.mark.parametrize("setting,formula", HOLDING)
def test_no_single_edit_of_what_was_read_is_ignored(setting, formula):
    # the property of tests/test_check_edits.py, on the forms read here (each link of a chain on its own)
    from test_check_edits import edits, meaning_of
    problem = Problem.make(**SETTINGS[setting])
    conv = problem.convention
    for claim in parse_chain(formula):
        original = meaning_of(claim, problem)
        assert original is not None, formula
        ctx = {"component": bool(original[4]), "per_example": conv.delta_of == conv.grad_of == "example",
               "wrt": False, "cost": False}
        ignored = [latex(e) for e in edits(claim, ctx) if e != claim and meaning_of(e, problem) == original]
        assert not ignored, f"{formula}: these edits were ignored: {ignored}"


# ---------------------------------------------------------------- the limits of a sum (a soundness gap, closed)
def test_limits_are_kept_in_the_tree_and_written_back():
    node = parse(r"\delta_j = \sum_{k=1}^{n_{l+1}} w_{kj}").rhs
    assert node.lower == ast.Num("1") and node.upper == ast.Sym("n", None, ("l+1",))
    upper_first = parse(r"\delta_j = \sum^{K}_{k=1} w_{kj}").rhs
    assert (upper_first.lower, upper_first.upper) == (ast.Num("1"), ast.Sym("K"))
    assert parse(r"\delta_j = \sum_k w_{kj}").rhs.lower is None
    for text in (r"\delta_j = \sum_{k=1}^{n_{l+1}} w_{kj}", r"\delta_j = \sum_{k=0}^{n^{[l]}-1} w_{kj}",
                 r"\delta_j = \sum_{k} w_{kj}", r"\delta_j = \sum_{k=1} w_{kj}"):
        again = parse(latex(parse(text))).rhs
        assert (again.index, again.lower, again.upper) == (parse(text).rhs.index, parse(text).rhs.lower,
                                                           parse(text).rhs.upper)


BP2 = r"w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)"
LIMITS = [
    # (setting, formula, verdict, part of the reason)
    ("nielsen", rf"\delta^l_j = \sum_{{k=1}}^{{n_{{l+1}}}} {BP2}", "holds", ""),        # counted from 1
    ("nielsen", rf"\delta^l_j = \sum_{{k=0}}^{{n_{{l+1}}-1}} {BP2}", "holds", ""),      # counted from 0
    ("nielsen", rf"\delta^l_j = \sum_{{k=1}} {BP2}", "holds", ""),
    ("nielsen", rf"\delta^l_j = \sum^{{n_{{l+1}}}}_{{k=1}} {BP2}", "holds", ""),
    ("nielsen", rf"\delta^l_j = \sum_{{k=1}}^{{3}} {BP2}", "invalid",
     "the sum's limits 1..3 are not the layer's units"),
    ("nielsen", rf"\delta^l_j = \sum_{{k=1}}^{{n_l}} {BP2}", "invalid", "limits 1..n_{l} are not"),
    ("nielsen", rf"\delta^l_j = \sum_{{k=0}}^{{n_{{l+1}}}} {BP2}", "invalid", "limits 0..n_{l+1}"),
    ("nielsen", rf"\delta^l_j = \sum_{{k=2}}^{{n_{{l+1}}}} {BP2}", "invalid", "limits 2..n_{l+1}"),
    ("nielsen", rf"\delta^l_j = \sum_{{k=1}}^{{n}} {BP2}", "invalid", "\\sum_{k=1}^{n_{l+1}}"),
    ("nielsen", rf"\delta^l_j = \sum_{{k=1}}^{{m}} {BP2}", "invalid", "not the layer's units"),
    # counted from 1 is the same sum only when the index is used as it is
    ("nielsen", r"\delta^l_j = \sum_{k=1}^{n_{l+1}} w^{l+1}_{k-1,j} \delta^{l+1}_{k-1} \sigma'(z^l_j)", "invalid",
     "not the layer's units"),
    ("nielsen", r"\delta^l_j = \sum_{k=0}^{n_{l+1}-1} w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)", "holds", ""),
    # Ng counts units from 1 (a_0 is the bias unit): 0..s_{l+1}-1 is not all units there
    ("ng", r"\delta^{(l)}_j = \sum_{k=1}^{s_{l+1}} \Theta^{(l)}_{kj} \delta^{(l+1)}_k g'(z^{(l)}_j)", "holds", ""),
    ("ng", r"\delta^{(l)}_j = \sum_{k=0}^{s_{l+1}-1} \Theta^{(l)}_{kj} \delta^{(l+1)}_k g'(z^{(l)}_j)", "invalid",
     "not the layer's units"),
    # Bishop (5.66): K is the number of outputs
    ("bishop", r"\delta_j = (1 - z_j^2) \sum_{k=1}^{K} w_{kj} \delta_k", "holds", ""),
    ("bishop", r"\delta_j = (1 - z_j^2) \sum_{k=1}^{K-1} w_{kj} \delta_k", "invalid", "not the layer's units"),
    # a sum over the examples: 1..m
    ("dls", r"db^{[l]} = \frac{1}{m} \sum_{i = 1}^{m} dZ^{[l](i)}", "holds", ""),
    ("dls", r"db^{[l]} = \frac{1}{m} \sum_{i = 0}^{m - 1} dZ^{[l](i)}", "holds", ""),
    ("dls", r"db^{[l]} = \frac{1}{m} \sum_{i = 1}^{3} dZ^{[l](i)}", "invalid",
     "the sum's limits 1..3 are not the examples"),
    ("dls", r"db^{[l]} = \frac{1}{m} \sum_{i = 2}^{m} dZ^{[l](i)}", "invalid", "limits 2..m"),
    ("dls", r"db^{[l]} = \frac{1}{m} \sum_{i = 1}^{n^{[l]}} dZ^{[l](i)}", "invalid", "not the examples"),
]


@pytest.mark.parametrize("setting,formula,verdict,reason", LIMITS)
def test_a_sum_s_limits_must_be_every_unit(setting, formula, verdict, reason):
    judged(formula, SETTINGS[setting], verdict, reason)


def _limit_edits(node):
    """Single edits of a written limit: a number changed, a layer shifted or dropped, l <-> L, an index added."""
    r = dataclasses.replace
    if isinstance(node, ast.Num):
        yield r(node, value=str(int(node.value) + 1))
    elif isinstance(node, ast.Sym):
        yield r(node, indices=(*(node.indices or ()), "1"))
        yield ast.Transpose(node)
        if node.layer is not None:
            yield r(node, layer=None)
            yield r(node, layer=r(node.layer, offset=node.layer.offset + 1))
            yield r(node, layer=r(node.layer, symbol={"l": "L", "L": "l"}.get(node.layer.symbol, "l")))
        if node.indices:
            yield r(node, indices=None)
            yield r(node, indices=(node.indices[0] + "+1",))
    elif isinstance(node, ast.Bin):
        yield node.left
        for edit in _limit_edits(node.right):
            yield r(node, right=edit)
        for edit in _limit_edits(node.left):
            yield r(node, left=edit)


def _sums(tree, path=()):
    if isinstance(tree, ast.Sum):
        yield path, tree
    if dataclasses.is_dataclass(tree):
        for f in dataclasses.fields(tree):
            yield from _sums(getattr(tree, f.name), path + (f.name,))


def _put(tree, path, new):
    if not path:
        return new
    return dataclasses.replace(tree, **{path[0]: _put(getattr(tree, path[0]), path[1:], new)})


@pytest.mark.parametrize("setting,formula", [(s, f) for s, f, v, _ in LIMITS if v == "holds"])
def test_no_edit_of_a_limit_is_ignored(setting, formula):
    # the sum's limits are left out of tree equality, so test_check_edits cannot see them: every edit here is refused
    problem = Problem.make(**{k: v for k, v in SETTINGS[setting].items()})
    claim = parse(formula)
    compile_claim(claim, problem)
    tried = 0
    for path, node in _sums(claim):
        for field in ("lower", "upper"):
            if getattr(node, field) is None:
                continue
            for edit in _limit_edits(getattr(node, field)):
                tried += 1
                edited = _put(claim, path, dataclasses.replace(node, **{field: edit}))
                with pytest.raises(derive.DeriveError):
                    compile_claim(edited, problem)
    assert tried >= 2 or "sum_{k=1} " in formula


# ---------------------------------------------------------------- one-line chains
def test_a_chain_is_one_claim_per_relation():
    chain = parse_chain(r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)")
    assert chain == [parse(r"\delta^L = \frac{\partial C}{\partial z^L}"),
                     parse(r"\frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)")]
    texts = [text for text, _ in chain_links(r"$$\delta^L = \frac{\partial C}{\partial z^L} := a^L - y.$$")]
    assert texts == [r"\delta^L = \frac{\partial C}{\partial z^L}", r"\frac{\partial C}{\partial z^L} := a^L - y"]
    assert [c.op for c in parse_chain(r"a = b := c")] == ["=", ":="]
    assert parse_chain(r"\delta^L = a^L - y") == [parse(r"\delta^L = a^L - y")]
    with pytest.raises(FormulaError, match="more than one relation"):
        parse("a = b = c")


CHAINS = [
    # (setting, chain, verdict, verdicts of the links, part of the reason)
    ("nielsen", r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)", "holds",
     ["holds", "holds"], "all 2 links hold"),
    ("nielsen-bce", r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)", "fails",
     ["holds", "fails"], "link 2 of 2 fails: differs"),
    ("nielsen", r"\delta^L = \frac{\partial C}{\partial a^L} = (a^L - y) \odot \sigma'(z^L)", "fails",
     ["fails", "fails"], "link 1 of 2 fails"),
    # a side that is an expression is judged against the quantity it was shown equal to
    ("nielsen", r"\delta^L = (a^L - y) \odot \sigma'(z^L) = \nabla_a C \odot \sigma'(z^L)", "holds",
     ["holds", "holds"], "all 2 links hold"),
    ("nielsen", r"\delta^L = (a^L - y) \odot \sigma'(z^L) = (a^L - y)", "fails", ["holds", "fails"],
     "link 2 of 2 fails"),
    ("nielsen", r"\delta^L = a^L - y = \nabla_a C \odot \sigma'(z^L)", "fails", ["fails", "invalid"],
     "link 1 of 2 fails"),
    ("nielsen", r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L) = \nabla_a C \odot "
     r"\sigma'(z^L)", "holds", ["holds", "holds", "holds"], "all 3 links hold"),
    # a link derive cannot read makes the chain unchecked, not holding
    ("nielsen", r"\delta^L = \frac{\partial Q}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)", "invalid",
     ["invalid", "invalid"], "link 1 of 2 cannot be checked: the derivative of Q"),
    ("nielsen", r"\delta^L = \frac{\partial C}{\partial z^L} = \sum_{k=1}^{3} a_k", "invalid", ["holds", "invalid"],
     "link 2 of 2 cannot be checked"),
]


@pytest.mark.parametrize("setting,formula", [(s, f) for s, f, v, _, _ in CHAINS if v == "holds"])
def test_no_single_edit_of_a_link_is_ignored(setting, formula):
    from test_check_edits import edits, meaning_of
    problem = Problem.make(**SETTINGS[setting])
    conv = problem.convention
    for claim in parse_chain(formula):
        if not isinstance(claim.lhs, ast.Sym | ast.Partial | ast.Nabla):
            continue  # an expression on the left: judged against the quantity before it, which is edited there
        original = meaning_of(claim, problem)
        ctx = {"component": bool(original[4]), "per_example": conv.delta_of == conv.grad_of == "example",
               "wrt": False, "cost": False}
        assert not [latex(e) for e in edits(claim, ctx) if e != claim and meaning_of(e, problem) == original]


@pytest.mark.parametrize("setting,formula,verdict,links,reason", CHAINS)
def test_every_link_of_a_chain_is_judged(setting, formula, verdict, links, reason):
    result = judged(formula, SETTINGS[setting], verdict, reason)
    assert [link["verdict"] for link in result.links] == links, result.text()


def test_a_failing_link_is_diagnosed_and_reported():
    result = derive.check(r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)", **NIELSEN_BCE)
    assert result.diagnosis["mistake"] == "extra sigma'"
    assert derive.check(result.diagnosis["corrected"], **NIELSEN_BCE).holds
    assert result.counterexample is not None
    text = result.text()
    assert r"link 1 of 2 holds: \delta^L = \frac{\partial C}{\partial z^L}" in text
    assert "link 2 of 2 fails" in text
    data = json.loads(result.to_json())
    assert [set(link) for link in data["links"]] == [{"formula", "verdict", "reason"}] * 2
    # one claim has no links, and its report is as before
    single = derive.check(r"\delta^L = a^L - y", **NIELSEN_BCE)
    assert single.links == [] and "link" not in single.text()


# ---------------------------------------------------------------- the notes' own macros
MACROS = r"""
\newcommand{\bx}{\mathbf{x}}
\newcommand{\pd}[2]{\frac{\partial #1}{\partial #2}}
\renewcommand\vec[1]{\mathbf{#1}}
\newcommand*{\had}{\odot}
\def\sig{\sigma}
\def\dsig#1{\sig'(#1)}
\DeclareMathOperator{\relu}{ReLU}
\DeclareMathOperator*{\argmax}{arg\,max}
\newcommand{\opt}[2][x]{#1 + #2}
"""


def test_macros_are_read_from_a_document():
    macros = read_macros(MACROS)
    assert macros["bx"] == (0, r"\mathbf{x}")
    assert macros["pd"] == (2, r"\frac{\partial #1}{\partial #2}")
    assert macros["vec"] == (1, r"\mathbf{#1}")
    assert macros["had"] == (0, r"\odot")
    assert macros["sig"] == (0, r"\sigma") and macros["dsig"] == (1, r"\sig'(#1)")
    assert macros["relu"] == (0, r"\operatorname{ReLU}")
    assert "opt" not in macros  # an optional argument is not expanded: such a formula stays unread, and says so


EXPANSIONS = [
    (r"\delta^L = \pd{C}{z^L}", r"\delta^L = \frac{\partial C}{\partial z^L}"),
    (r"\pd C {z^L} = (a^L - y) \had \dsig{z^L}", r"\frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L)"),
    (r"\vec{a}^L", r"\mathbf{a}^L"),
    (r"\relu(z)", r"\operatorname{ReLU}(z)"),
    (r"\sigma \sig \sigmax", r"\sigma \sigma \sigmax"),   # a longer name is another command
    (r"a \# b", r"a \# b"),
]


@pytest.mark.parametrize("text,expanded", EXPANSIONS)
def test_macros_expand_by_substitution(text, expanded):
    assert expand_macros(text, read_macros(MACROS)) == expanded


def test_expanded_macros_are_checked_like_any_formula():
    text = expand_macros(r"\pd{C}{z^L} = (a^L - y) \had \dsig{z^L}", read_macros(MACROS))
    assert derive.check(text, **NIELSEN).holds
    # front matter macros (KaTeX/MathJax style): a name and a body, the arity from the highest #n
    assert expand_macros(r"\D{C}{b^l} = \delta^l", {"\\D": r"\frac{\partial #1}{\partial #2}"}) == \
        r"\frac{\partial C}{\partial b^l} = \delta^l"


BAD_MACROS = [
    ({"x": r"\x"}, r"\x", "deeper than"),                          # recursive
    ({"x": r"\x\x"}, r"\x", "longer than"),                         # exponential
    ({"f": "#1#1#1#1"}, r"\f{" + "a" * 6000 + "}", "longer than"),
    ({"f": "#1 + #2"}, r"\f{a}", "needs 2 arguments"),
    ({"f": "#1"}, r"\f{a", "needs 1 argument"),
    ({"1x": "a"}, "a", "not a command name"),
    ({"x": 3}, "a", "must be text"),
]


@pytest.mark.parametrize("macros,text,reason", BAD_MACROS)
def test_macro_expansion_is_bounded(macros, text, reason):
    with pytest.raises(FormulaError) as info:
        expand_macros(text, macros)
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_macro_expansion_output_is_bounded():
    macros = {"a": "aaaaaaaaaa", "b": r"\a\a\a\a\a\a\a\a\a\a", "c": r"\b\b\b\b\b\b\b\b\b\b"}
    assert len(expand_macros(r"\c", macros)) == 1000
    with pytest.raises(FormulaError, match="longer than"):
        expand_macros(r"\c\c\c\c\c\c\c\c\c\c\c\c\c\c\c\c\c\c\c\c", {**macros, "a": "a" * (MAX_MACRO_OUTPUT // 100)})


def test_reading_macros_is_linear_and_bounded():
    import time
    hostile = r"\newcommand{\x}{" * 20000 + r"\def\y{" * 20000
    start = time.perf_counter()
    assert read_macros(hostile) == {}
    assert time.perf_counter() - start < 2
