"""Issue 9, reading real notes: notation that lecture slides and blog posts use, each read by a general rule.

- {\\cal C} (the old font switch) is the cost as \\mathcal{C} is, and may carry its argument list, C(W^L): the
  derivative must then be by a parameter the list names; a parenthesised variable \\partial (a^L_j) is a^L_j;
- in notes that hat letters only whole and write the plain letters only by components, the hat is their mark of a
  vector or matrix (\\hat{z}^L is z^L, \\hat{W^L} is W^L);

Each reading is a table of formulas that must hold, and near misses that must fail or be refused with the reason:
no part of a formula is read by dropping it.
"""

from __future__ import annotations

import pytest

import derive
from derive.formula import ast
from derive.formula.parse import FormulaError, parse
from derive.lint import lint

MSE = dict(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
SETTINGS = {"mse": MSE}
dC = r"\frac{\partial{\cal C}(W^L)}"  # the slides' cost, with its argument list
dCa = r"\frac{\partial {\cal C}}{\partial (a_j^L)}"  # a parenthesised variable
dz = r"\frac{\partial {\cal C}}{\partial z_k^{l+1}}"

VERDICTS = [
    # (setting, formula, verdict, a part of the reason)
    # ---- {\cal C}: the cost, as \mathcal{C}; its argument list names the parameter the derivative is by
    ("mse", dC + r"{\partial w_{jk}^L} = \left(a_j^L - t_j\right)a_j^L(1-a_j^L)a_k^{L-1}", "holds", ""),
    ("mse", dC + r"{\partial w_{jk}^L} = \left(a_j^L - t_j\right)a_j^L(1-a_j^L)a_j^{L-1}", "fails", ""),
    ("mse", dC + r"{\partial w_{jk}^L} = \left(a_j^L + t_j\right)a_j^L(1-a_j^L)a_k^{L-1}", "fails", ""),
    ("mse", dC + r"{\partial w_{jk}^L} = \delta_j^La_k^{L-1}", "holds", ""),
    ("mse", dC + r"{\partial w_{jk}^L} = \delta_k^La_j^{L-1}", "fails", ""),
    ("mse", r"\frac{\partial{\cal C}(W^{L-1})}{\partial w_{jk}^L} = \delta_j^La_k^{L-1}", "invalid",
     "written as a function of W^{L-1} only"),
    ("mse", r"\frac{\partial{\cal C}(W^{L})}{\partial w_{jk}^{L-1}} = \delta_j^{L-1}a_k^{L-2}", "invalid",
     "written as a function of W^{L} only"),
    ("mse", dC + r"{\partial z_j^L} = \delta_j^L", "invalid", "written as a function of W^{L} only"),
    ("mse", r"\frac{\partial{\cal C}(b^L)}{\partial w_{jk}^L} = \delta_j^La_k^{L-1}", "invalid",
     "as a function of b^{L} only"),
    ("mse", r"\frac{\partial{\cal C}(W^L, b^L)}{\partial b_j^L} = \delta_j^L", "holds", ""),
    ("mse", r"\frac{\partial \mathcal{C}(W^L_{jk})}{\partial w_{jk}^L} = \delta_j^La_k^{L-1}", "invalid",
     "argument list"),
    ("mse", r"\frac{\partial \mathcal{E}}{\partial a^L} = a^L - y", "holds", ""),
    ("mse", r"\frac{\partial \mathcal{J}}{\partial a^L} = a^L + y", "fails", ""),
    ("mse", r"\frac{\partial \mathcal{D}}{\partial a^L} = a^L - y", "invalid", "not a gradient of the cost"),
    # ---- \partial (a^L_j): a parenthesised variable
    ("mse", r"\frac{\partial {\cal C}}{\partial (a_j^L)} = a_j^L - t_j", "holds", ""),
    ("mse", r"\frac{\partial {\cal C}}{\partial (a_j^L)} = a_j^L + t_j", "fails", ""),
    ("mse", r"\frac{\partial {\cal C}}{\partial (a_j^L + z_j^L)} = a_j^L - t_j", "invalid", "one symbol"),
    ("mse", r"\delta_j^L = a_j^L(1-a_j^L)\left(a_j^L - t_j\right) = f'(z_j^L)" + dCa,
     "holds", ""),
    ("mse", r"\delta_j^L = a_j^L(1-a_j^L)\left(a_j^L - t_j\right) = f(z_j^L)" + dCa,
     "fails", ""),
    ("mse", r"\delta^L = f'(z^L)\circ\frac{\partial {\cal C}}{\partial (a^L)}", "holds", ""),
    ("mse", r"\delta^L = f'(z^L) + \frac{\partial {\cal C}}{\partial (a^L)}", "fails", ""),
    ("mse", r"\delta^{L-1} = f'(z^L)\circ\frac{\partial {\cal C}}{\partial (a^L)}", "fails", ""),
    # ---- the chain rule over the next layer's units, with the slides' cost
    ("mse", r"\delta_j^l =\sum_k " + dz + r"\frac{\partial z_k^{l+1}}{\partial z_j^{l}}"
            r"=\sum_k \delta_k^{l+1}\frac{\partial z_k^{l+1}}{\partial z_j^{l}}", "holds", ""),
    ("mse", r"\delta_j^l =\sum_k " + dz + r"\frac{\partial z_j^{l+1}}{\partial z_k^{l}}",
     "fails", ""),
    # ---- without the notes' usage a hat is not a vector mark: \hat{z} is no quantity of the convention
    ("mse", r"\hat{\delta}^L = f'(\hat{z}^L)\circ\frac{\partial {\cal C}}{\partial (\hat{a}^L)}", "invalid",
     "unknown symbol"),
]


@pytest.mark.parametrize("setting,formula,verdict,reason", VERDICTS)
def test_verdicts(setting, formula, verdict, reason):
    result = derive.check(formula, **SETTINGS[setting], diagnose=False)
    assert result.verdict == verdict, result.text()
    assert reason in result.reason, result.text()


def test_a_hat_over_a_layer_is_the_symbols_layer():
    assert parse(r"\hat{W^{l+1}} = 1").lhs == ast.Sym("\\hat{W}", ast.Layer("l", 1))
    assert parse(r"\hat{W^{l+1}} = 1").lhs == parse(r"\hat{W}^{l+1} = 1").lhs
    with pytest.raises(FormulaError, match="other than a layer"):
        parse(r"\hat{W^T} = 1")


# ---------------------------------------------------------------- the hat as the notes' vector mark (lint)
SLIDES = r"""Our cost function is

$$ {\cal C}(\hat{W^L}) = \frac{1}{2}\sum_{i=1}^n\left(a_i^L - t_i\right)^2, $$

The derivative with respect to the weights is

$$ \frac{\partial{\cal C}(\hat{W^L})}{\partial w_{jk}^L} = \delta_j^La_k^{L-1}. $$

Defining

$$ \delta_j^L = f'(z_j^L)\frac{\partial {\cal C}}{\partial (a_j^L)}, $$

and using the Hadamard product of two vectors we can write this as

$$ \hat{\delta}^L = CLAIM. $$
"""
HOLDS = r"f'(\hat{z}^L)\circ\frac{\partial {\cal C}}{\partial (\hat{a}^L)}"


def _lint(tmp_path, text: str):
    path = tmp_path / "slides.md"
    path.write_text(text)
    return {f.line: f for f in lint(path, **MSE)}


@pytest.mark.parametrize("claim,verdict", [
    (HOLDS, "holds"),
    (r"f'(\hat{z}^L)\circ\frac{\partial {\cal C}}{\partial (\hat{z}^L)}", "fails"),
    (r"f(\hat{z}^L)\circ\frac{\partial {\cal C}}{\partial (\hat{a}^L)}", "fails"),
    (r"f'(\hat{z}^{L-1})\circ\frac{\partial {\cal C}}{\partial (\hat{a}^L)}", "fails"),
])
def test_hats_mark_vectors_where_the_notes_use_them_so(tmp_path, claim, verdict):
    found = _lint(tmp_path, SLIDES.replace("CLAIM", claim))
    assert found[7].verdict == "holds", found[7].text()  # \hat{W^L} is W^L, the cost's argument
    assert found[15].verdict == verdict, found[15].text()
    assert "mark of a vector or matrix" in found[15].reason or verdict == "holds"


@pytest.mark.parametrize("edit,why", [
    (r"$$ z^L = w^L a^{L-1} + b^L $$", "a plain letter written whole"),
    (r"$$ \hat{y} = a^L $$", "a hatted y: the output"),
    (r"$$ \hat{z}^L_j = z^L_j $$", "a hatted component"),
])
def test_hats_are_not_vector_marks_otherwise(tmp_path, edit, why):
    found = _lint(tmp_path, SLIDES.replace("CLAIM", HOLDS) + "\n" + edit + "\n")
    assert found[15].verdict == "skipped", (why, found[15].text())
    assert "unknown symbol \\hat" in found[15].reason, (why, found[15].text())
