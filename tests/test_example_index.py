"""Sums over the examples whose terms name their example (issue 12): documents print
\\sum_{t=1}^{m} \\delta^{(l+1)(t)} (a^{(l)(t)})^T, the example after the layer in the convention's layer style, as
deeplearning.ai writes dZ^{[l](i)}; the checker reads it back, and every part of it counts."""

from __future__ import annotations

import pytest
from verdicts import judged

from derive.formula.parse import parse
from derive.formula.unparse import latex

NG = dict(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")
# Nielsen's batch gradient (of the cost, with L2) is a variant a document names with grad_of=cost l2=...
NIELSEN = dict(convention="nielsen", loss="bce", output="sigmoid", hidden="sigmoid")
D_VEC = r"D^{(l)} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)(t)} (\begin{bmatrix} 1 \\ a^{(l)(t)} \end{bmatrix})^{T}"
D_JK = r"D^{(l)}_{jk} = \frac{1}{m} \sum_{t=1}^{m} \delta^{(l+1)(t)}_{j} a^{(l)(t)}_{k}"

CASES = [
    (NG, D_VEC, "holds", ""),
    (NG, D_JK, "holds", ""),
    (NG, r"D^{(l)}_{jk} = \frac{1}{m} \sum_{t=1}^{m} \delta_j^{(l+1)(t)} a_k^{(l)(t)}", "holds", ""),  # scripts swapped
    (NG, r"D^{(l)}_{jk} = \frac{1}{m} \sum_{t} \delta^{(l+1)(t)}_{j} a^{(l)(t)}_{k}", "holds", ""),  # no limits: all
    (NG, r"D^{(l)}_{jk} = \frac{1}{m} \sum_{t=0}^{m-1} \delta^{(l+1)(t)}_{j} a^{(l)(t)}_{k}", "holds", ""),
    # near misses: each part counts
    (NG, D_JK.replace(r"\delta^{(l+1)(t)}_{j} a^{(l)(t)}_{k}", r"\delta^{(l+1)(t)}_{k} a^{(l)(t)}_{j}"), "fails", ""),
    (NG, D_JK.replace("(l+1)(t)", "(l)(t)"), "fails", ""),
    (NG, D_JK.replace(r"\frac{1}{m} ", ""), "fails", ""),
    (NG, D_JK.replace("^{m}", "^{5}"), "invalid", "limits are not the examples"),
    (NG, D_JK.replace("a^{(l)(t)}", "a^{(l)(i)}"), "invalid", ""),  # another example than the sum's
    (NG, D_VEC.replace("a^{(l)(t)}", "a^{(l)(i)}"), "invalid", "(i)"),
    (NG, D_JK.replace(r"\sum_{t=1}^{m}", r"\sum_{k=1}^{m}").replace("(t)", "(k)"), "invalid",
     "names the examples of the sum and also a unit"),
    (NG, r"D^{(l)} = \frac{1}{m} \delta^{(l+1)(t)} (\begin{bmatrix} 1 \\ a^{(l)(t)} \end{bmatrix})^{T}", "invalid",
     "(t)"),  # an example with no sum over the examples
]


@pytest.mark.parametrize("setting,formula,verdict,reason", CASES)
def test_sums_whose_terms_name_their_example(setting, formula, verdict, reason):
    judged(formula, setting, verdict, reason)


BATCH = ("<!-- derive: convention=nielsen loss=bce output=sigmoid hidden=sigmoid grad_of=cost l2=0.37 -->\n"
         "$\\frac{{\\partial C}}{{\\partial w^{{l}}}} = \\frac{{\\lambda}}{{m}} w^{{l}} + \\frac{{1}}{{m}} "
         "\\sum_{{t=1}}^{{m}} {term}$\n")


@pytest.mark.parametrize("term,verdict", [
    (r"\delta^{l(t)} (a^{l-1(t)})^{T}", "holds"),  # a plain layer style: the example after the layer
    (r"\delta^{l(t)} (a^{l(t)})^{T}", "fails"),
    (r"\delta^{l(t)} (a^{l-1(x)})^{T}", "invalid"),
])
def test_a_plain_layer_style_names_the_example_after_the_layer(tmp_path, term, verdict):
    from derive.lint import lint
    notes = tmp_path / "notes.md"
    notes.write_text(BATCH.format(term=term))
    [finding] = [f for f in lint([str(notes)], diagnose=False) if f.verdict != "skipped" or verdict == "invalid"]
    assert finding.verdict == (verdict if verdict != "invalid" else "skipped"), finding


@pytest.mark.parametrize("formula", [D_VEC, D_JK, r"x = \delta_j^{l(t)}"])
def test_an_example_index_is_written_back_as_read(formula):
    tree = parse(formula)
    assert parse(latex(tree)) == tree
