"""What the checker reads so that derive's own documents can be checked (issue 9, section 5): claims about the
forward pass, Iverson brackets, a vector of ones, the bias unit, batch components, sums over the examples, and
the directives that name a regularised batch gradient. Each reading is tested both ways: the formula a document
prints holds, and a single wrong part makes it fail or be refused, never hold."""

from __future__ import annotations

import pytest

from derive import check
from derive.lint import NOT_AN_EQUATION, LintError, lint

HOLDS = [
    # the forward pass, its input and output
    ("nielsen", "bce", "sigmoid", r"z^{l} = w^{l} a^{l-1} + b^{l}"),
    ("nielsen", "bce", "sigmoid", r"a^{l} = \sigma\left(z^{l}\right)\quad\text{(hidden layers)}"),
    ("nielsen", "bce", "sigmoid", r"a^{1} = x"),
    ("nielsen", "cce", "softmax", r"a^{L} = \operatorname{softmax}\left(z^{L}\right)"),
    ("cs231n", "cce", "softmax", r"P = \operatorname{softmax}\left(Z^{(L)}\right)"),
    ("goodfellow", "mse", "identity", r"\hat{y} = \operatorname{id}\left(a^{(L)}\right)"),
    ("nielsen", "bce", "sigmoid", r"z^{l+1}_{k} = b^{l+1}_{k} + \sum_{i} w^{l+1}_{ki} a^{l}_{i}"),
    ("ng", "bce", "sigmoid", r"z^{(l)} = \Theta^{(l-1)} \begin{bmatrix} 1 \\ a^{(l-1)} \end{bmatrix}"),
    ("ng", "bce", "sigmoid", r"z^{(l+1)}_{k} = \sum_{i} \Theta^{(l)}_{ki} a^{(l)}_{i}"),  # i = 0 is the bias unit
    ("dls", "bce", "sigmoid", r"Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]} \mathbf{1}^{T}"),
    ("cs231n", "bce", "sigmoid", r"Z^{(l)} = A^{(l-1)} W^{(l)} + \mathbf{1} b^{(l)}"),
    # an activation's derivative written with its output; what the targets satisfy
    ("nielsen", "bce", "sigmoid", r"\sigma'\left(z^{l}\right) = a^{l} \odot \left(1 - a^{l}\right)"),
    ("bishop", "bce", "sigmoid", r"h'\left(a^{(L)}_{j}\right) = y_{j} \left(1 - y_{j}\right)"),
    ("nielsen", "cce", "softmax", r"\sum_{k} y_{k} = 1"),
    ("cs231n", "cce", "softmax", r"\sum_{k} Y_{tk} = 1"),
    # the cost: one example's loss, or the batch's reduced cost
    ("nielsen", "bce", "sigmoid", r"C = \sum_{k} \left(- \left(1 - y_{k}\right) \ln{\left(1 - a^{L}_{k} \right)} "
                                  r"- y_{k} \ln{\left(a^{L}_{k} \right)}\right)"),
    ("dls", "cce", "softmax", r"J = \frac{1}{m} \sum_{t} \sum_{k} -Y_{kt} \ln{\left(A^{[L]}_{kt} \right)}"),
    ("ng", "mse", "identity", r"J = \frac{1}{m} \sum_{t=1}^{m} \sum_{k} "
                              r"\frac{\left(a^{(L)}_{k} - y_{k}\right)^{2}}{2}"),
    # Iverson brackets in local derivatives
    ("nielsen", "bce", "sigmoid", r"\frac{\partial z^{l}_{p}}{\partial w^{l}_{jk}} = [j = p] a^{l-1}_{k}"),
    ("nielsen", "cce", "softmax", r"\frac{\partial a^{L}_{k}}{\partial z^{L}_{j}} = "
                                  r"a^{L}_{k} \left([j = k] - a^{L}_{j}\right)"),
    ("ng", "bce", "sigmoid", r"\frac{\partial z^{(l+1)}_{k}}{\partial z^{(l)}_{j}} = "
                             r"\sum_{i} [i = j] \Theta^{(l)}_{ki} g'\left(z^{(l)}_{i}\right)"),
    # batch components, a vector of ones, sums over the examples
    ("dls", "bce", "sigmoid", r"dZ^{[l]}_{jt} = \sum_{k} W^{[l+1]}_{kj} dZ^{[l+1]}_{kt} g'\left(Z^{[l]}_{jt}\right)"),
    ("cs231n", "bce", "sigmoid", r"dW^{(l)}_{jk} = \sum_{i} dZ^{(l)}_{ik} A^{(l-1)}_{ij}"),
    ("dls", "bce", "sigmoid", r"db^{[l]} = \frac{1}{m} dZ^{[l]} \mathbf{1}"),
    ("cs231n", "bce", "sigmoid", r"db^{(l)} = \mathbf{1}^{T} dZ^{(l)}"),
    ("ng", "bce", "sigmoid", r"D^{(l)} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)} "
                             r"(\begin{bmatrix} 1 \\ a^{(l)} \end{bmatrix})^{T}"),
    ("ng", "bce", "sigmoid", r"D^{(l)}_{jk} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)}_{j} a^{(l)}_{k}"),
    # a component of a named gradient; the cost's gradient times a transposed factor
    ("goodfellow", "bce", "sigmoid", r"\left(\nabla_{W^{(l)}} J\right)_{jk} = \left(\nabla_{a^{(l)}} J\right)_{j} "
                                     r"h^{(l-1)}_{k}"),
    ("goodfellow", "bce", "sigmoid", r"\nabla_{W^{(l)}} J = \nabla_{a^{(l)}} J (h^{(l-1)})^{T}"),
    # a function letter at layer l+1 is the hidden activation: judged where l+1 is hidden
    ("nielsen", "cce", "softmax", r"\frac{\partial C}{\partial a^{l}} = (w^{l+1})^{T} \left(\frac{\partial C}"
                                  r"{\partial a^{l+1}} \odot \sigma'\left(z^{l+1}\right)\right)"),
    ("bishop", "bce", "sigmoid", r"\frac{\partial E_n}{\partial a^{(L)}_{j}} = y_{j} - t_{j}"),  # y, t: the output's
    ("nielsen", "cce", "softmax", r"\delta^L = \operatorname{softmax}(z^L) - y"),
]

FAILS = [
    ("nielsen", "bce", "sigmoid", r"z^{l} = w^{l} a^{l} + b^{l}"),
    ("nielsen", "bce", "sigmoid", r"z^{l+1}_{k} = \sum_{i} w^{l+1}_{ki} a^{l}_{i}"),  # the bias is missing
    ("nielsen", "bce", "sigmoid", r"a^{2} = x"),
    ("nielsen", "cce", "softmax", r"a^{L} = \operatorname{sigmoid}\left(z^{L}\right)"),  # a letter would be softmax
    ("nielsen", "bce", "sigmoid", r"\sigma'\left(z^{l}\right) = a^{l}"),
    ("nielsen", "bce", "sigmoid", r"C = \sum_{k} - y_{k} \ln{\left(1 - a^{L}_{k} \right)}"),
    ("dls", "cce", "softmax", r"J = \sum_{t} \sum_{k} -Y_{kt} \ln{\left(A^{[L]}_{kt} \right)}"),  # the 1/m
    ("nielsen", "bce", "sigmoid", r"\frac{\partial z^{l}_{p}}{\partial w^{l}_{jk}} = [k = p] a^{l-1}_{k}"),
    ("dls", "bce", "sigmoid", r"db^{[l]} = dZ^{[l]} \mathbf{1}"),
    ("ng", "bce", "sigmoid", r"D^{(l)} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)} (a^{(l+1)})^{T}"),
    ("cs231n", "bce", "sigmoid", r"dW^{(l)}_{jk} = \sum_{i} dZ^{(l)}_{ij} A^{(l-1)}_{ik}"),
]

REFUSED = [
    # a part whose value would be 0 or 1 on every network the convention is judged on: it could not count
    ("nielsen", r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T + \lambda w^l", "L2 regularisation"),
    ("nielsen", r"\frac{\partial C}{\partial w^l} = \frac{1}{m}\delta^l (a^{l-1})^T", "for one example"),
    ("nielsen", r"\frac{\partial C}{\partial w^l} = \sum_{t=1}^{m} \delta^l (a^{l-1})^T", "for one example"),
    ("nielsen", r"\frac{\partial C}{\partial b^l} = \delta^l \mathbf{1}", "for one example"),
    ("nielsen", r"\delta^{l} = [i = j] a^{l}", "component formula"),
    ("nielsen", r"\frac{\partial a^{L}_{k}}{\partial z^{L}_{j}} = a^{L}_{k} \left([j = p] - a^{L}_{j}\right)",
     "not on the left"),
    ("nielsen", r"C = \sum_{k} - y_{k} \ln{\left(a^{L}_{j} \right)}", "free index"),
    ("nielsen", r"[i = k + w]", ""),
]


@pytest.mark.parametrize("conv,loss,act,formula", HOLDS)
def test_what_derive_prints_holds(conv, loss, act, formula):
    result = check(formula, conv, loss, act, "sigmoid", diagnose=False)
    assert result.verdict == "holds", result.text()


@pytest.mark.parametrize("conv,loss,act,formula", FAILS)
def test_one_wrong_part_fails(conv, loss, act, formula):
    result = check(formula, conv, loss, act, "sigmoid", diagnose=False)
    assert result.verdict == "fails", result.text()


@pytest.mark.parametrize("conv,formula,why", REFUSED)
def test_what_cannot_count_is_refused(conv, formula, why):
    result = check(formula, conv, "bce", "sigmoid", "sigmoid", diagnose=False)
    assert result.verdict == "invalid" and why in result.reason, result.text()


def test_the_hidden_layers_a_function_letter_means_are_said():
    result = check(HOLDS[-3][3], "nielsen", "cce", "softmax", diagnose=False)
    assert any("judged where l+1 is hidden" in note for note in result.notes)


def _notes(tmp_path, text: str, name: str = "notes.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_directive_names_the_regularised_batch_gradient_and_a_convention_restores_it(tmp_path):
    batch = (r"\frac{\partial C}{\partial w^{l}} = \frac{\lambda}{m} w^{l} + "
             r"\frac{1}{m} \sum_{t=1}^{m} \delta^{l} (a^{l-1})^{T}")
    notes = _notes(tmp_path, "<!-- derive: convention=nielsen loss=bce output=sigmoid -->\n"
                             f"<!-- derive: grad_of=cost l2=0.37 -->${batch}$<!-- derive: convention=nielsen -->\n\n"
                             f"${batch}$\n")
    first, second = lint(notes, diagnose=False)
    assert first.verdict == "holds" and "grad_of=cost, l2=0.37" in first.convention, first.text()
    assert second.verdict == "skipped" and "L2 regularisation" in second.reason, second.text()


def test_a_directive_regularised_cost_counts_its_penalty(tmp_path):
    wrong = r"\frac{\partial C}{\partial w^{l}} = \frac{1}{m} \sum_{t=1}^{m} \delta^{l} (a^{l-1})^{T}"  # no lambda term
    notes = _notes(tmp_path, f"<!-- derive: convention=nielsen loss=bce grad_of=cost l2=0.37 -->\n${wrong}$\n")
    (finding,) = lint(notes, diagnose=False)
    assert finding.verdict == "fails", finding.text()


@pytest.mark.parametrize("directive", ["l2=-1", "l2=1e9", "l2=abc", "grad_of=batch"])
def test_a_bad_variant_directive_is_refused(tmp_path, directive):
    notes = _notes(tmp_path, f"<!-- derive: convention=nielsen {directive} -->\n$\\delta^L = a^L - y$\n")
    with pytest.raises(LintError, match="notes.md:1"):
        lint(notes)


def test_an_expression_with_a_relation_inside_claims_nothing(tmp_path):
    notes = _notes(tmp_path, "<!-- derive: convention=nielsen -->\n"
                             "the bracket $[i = j]$ and the sum $\\frac{1}{m} \\sum_{t=1}^{m} \\delta^l$\n")
    assert lint(notes) == []
    assert [f.reason for f in lint(notes, verbose=True)] == [NOT_AN_EQUATION] * 2


def test_markdown_and_latex_share_checks_not_advice(tmp_path):
    text = "$\\delta^l = q^l$\n"
    md, tex = _notes(tmp_path, "<!-- derive: convention=nielsen -->\n" + text), \
        _notes(tmp_path, "% derive: convention=nielsen\n" + text, "notes.tex")
    a, b = lint([md, tex])
    assert a.verdict == b.verdict == "skipped"
    assert "<!-- derive" in a.reason and "% derive" in b.reason
