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
from verdicts import judged

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
    judged(formula, SETTINGS[setting], verdict, reason)


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
    assert "mark of a vector or matrix" in found[15].reason


@pytest.mark.parametrize("edit,why", [
    (r"$$ z^L = w^L a^{L-1} + b^L $$", "a plain letter written whole"),
    (r"$$ \hat{y} = a^L $$", "a hatted y: the output"),
    (r"$$ \hat{z}^L_j = z^L_j $$", "a hatted component"),
])
def test_hats_are_not_vector_marks_otherwise(tmp_path, edit, why):
    found = _lint(tmp_path, SLIDES.replace("CLAIM", HOLDS) + "\n" + edit + "\n")
    assert found[15].verdict == "skipped", (why, found[15].text())
    assert "unknown symbol \\hat" in found[15].reason, (why, found[15].text())


# ---------------------------------------------------------------- a display that starts with its relation
dCdw = r"\frac{\partial C}{\partial w^L_{jk}}"
CHAIN_RULE = dCdw + r" = \frac{\partial C}{\partial z^L_j} \frac{\partial z^L_j}{\partial w^L_{jk}}"


def _display_findings(tmp_path, text: str, name: str = "notes.md"):
    path = tmp_path / name
    path.write_text(text)
    return lint(path, **MSE)


@pytest.mark.parametrize("first,second,verdict", [
    (CHAIN_RULE, r"= \delta^L_j a^{L-1}_k", "holds"),
    (CHAIN_RULE, r"= \delta^L_k a^{L-1}_j", "fails"),
    (CHAIN_RULE, r"= (a^L_j - y_j) a^L_j (1 - a^L_j) a^{L-1}_k", "holds"),
    (CHAIN_RULE, r"= (a^L_j - y_j) a^L_j (1 - a^L_j) a^{L}_k", "fails"),
    (r"\delta^L = \frac{\partial C}{\partial z^L}", r"= (a^L - y) \odot \sigma'(z^L)", "holds"),
    (r"\delta^L = \frac{\partial C}{\partial z^L}", r"= (a^L - y) + \sigma'(z^L)", "fails"),
])
def test_a_display_that_starts_with_its_relation_continues_the_one_before(tmp_path, first, second, verdict):
    for text, name in ((f"$$ {first} $$\n\n$$ {second} $$\n", "notes.md"),
                       (f"\\[ {first} \\]\nwhich is\n\\begin{{equation}} {second} \\end{{equation}}\n", "notes.tex")):
        found = _display_findings(tmp_path, text, name)
        assert [f.verdict for f in found][1] == verdict, [f.text() for f in found]
        assert "restored from the display before it (line 1)" in found[1].reason
        assert found[1].formula.startswith(first.split(" = ")[0] + " =")


@pytest.mark.parametrize("text,why", [
    (f"$$ {CHAIN_RULE} = \\delta^L_j a^{{L-1}}_k $$\n$$ = \\delta^L_j a^{{L-1}}_k $$", "the display before is a chain"),
    (r"$$ a^L + z^L = \delta^L $$" + "\n" + r"$$ = \delta^L $$", "its left side is an expression"),
    (f"${CHAIN_RULE}$ and\n$$ = \\delta^L_j a^{{L-1}}_k $$", "the math before is inline"),
    (f"$$ {CHAIN_RULE} \\\\ \\delta^L = \\delta^L $$\n$$ = \\delta^L_j a^{{L-1}}_k $$", "the display before has two "
     "formulas"),
    (r"$$ \frac{\partial C}{\partial w^L_{jk}} = \ldots $$" + "\n" + r"$$ = \delta^L_j a^{L-1}_k $$",
     "derive cannot read the display before"),
    (r"$$ \frac{\partial C}{\partial w^L_{jk}} = \delta^L_j a^{L-1}_k$$ then $x$ and" + "\n" +
     r"$$ = \delta^L_j a^{L-1}_k $$", "other math comes between"),
])
def test_a_display_that_starts_with_its_relation_is_not_continued_otherwise(tmp_path, text, why):
    found = _display_findings(tmp_path, text + "\n")
    last = found[-1]
    assert last.verdict == "skipped" and "unexpected '='" in last.reason, (why, [f.text() for f in found])


def test_continued_displays_keep_the_first_left_side(tmp_path):
    text = f"$$ {CHAIN_RULE} $$\n$$ = \\frac{{\\partial C}}{{\\partial z^L_j}} a^{{L-1}}_k $$\n" \
           "$$ = \\delta^L_j a^{L-1}_k $$\n"
    found = _display_findings(tmp_path, text)
    assert [f.verdict for f in found] == ["holds"] * 3, [f.text() for f in found]
    assert found[2].formula.startswith(dCdw + " = \\delta")


# ---------------------------------------------------------------- formulas side by side on one line
dw = r"\frac{\partial C}{\partial w_{i,j}^{(l)}} = \delta_i^{(l)}\, a_j^{(l-1)}"
db = r"\frac{\partial C}{\partial b_i^{(l)}} = \delta_i^{(l)}"
dw_wrong = r"\frac{\partial C}{\partial w_{i,j}^{(l)}} = \delta_j^{(l)}\, a_i^{(l-1)}"
db_wrong = r"\frac{\partial C}{\partial b_i^{(l)}} = \delta_i^{(l+1)}"

BESIDE = [
    # (formula, verdict, each formula's verdict, a part of the reason)
    (dw + r",\qquad " + db, "holds", ["holds", "holds"], "all 2 formulas on the line hold"),
    (dw + r" \quad " + db + ",", "holds", ["holds", "holds"], ""),
    (dw + r"\qquad \quad " + db, "holds", ["holds", "holds"], ""),
    (dw + r";\quad " + db, "holds", ["holds", "holds"], ""),
    (dw_wrong + r",\qquad " + db, "fails", ["fails", "holds"], "formula 1 of 2 on the line fails"),
    (dw + r",\qquad " + db_wrong, "fails", ["holds", "fails"], "formula 2 of 2 on the line fails"),
    (dw + r",\qquad " + db + r",\qquad \delta^{(l)} = ((w^{(l+1)})^T \delta^{(l+1)}) \odot \sigma'(z^{(l)})", "holds",
     ["holds"] * 3, "all 3 formulas"),
    (dw + r",\qquad " + db + r",\qquad \delta^{(l)} = (w^{(l+1)})^T \delta^{(l+1)}", "fails",
     ["holds", "holds", "fails"], "formula 3 of 3"),
    # a chain beside a claim: the chain is judged link by link, as alone
    (r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L) \qquad " + db, "holds",
     ["holds", "holds"], ""),
    (r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \qquad " + db, "fails", ["fails", "holds"],
     "formula 1 of 2 on the line fails: link 2 of 2 fails"),
    # a condition after the second formula restricts it: refused, as it would be alone
    (dw + r",\qquad " + db + r" \quad i \neq 0", "invalid", ["holds", "invalid"], "claimed only i \\neq 0"),
    (dw + r",\qquad \frac{\partial C}{\partial b_i^{(l)}} = \ldots", "invalid", [], "\\ldots"),
]


@pytest.mark.parametrize("formula,verdict,each,reason", BESIDE)
def test_formulas_side_by_side_are_each_judged(formula, verdict, each, reason):
    result = judged(formula, MSE, verdict, reason)
    assert [row["verdict"] for row in result.links] == each, result.text()
    if each:
        assert "formula 1 of" in result.text()


@pytest.mark.parametrize("formula", [
    dw + r" \quad\text{and}\quad " + db,   # prose between: not two formulas side by side
    dw + r" \quad\text{where } " + db,
])
def test_a_formula_after_prose_is_still_refused(formula):
    result = derive.check(formula, **MSE, diagnose=False)
    assert result.verdict == "invalid" and "a second formula after the text" in result.reason, result.text()


def test_formulas_reads_each_formula_and_parse_still_reads_one():
    from derive.formula.parse import formulas
    parts = formulas(dw + r",\qquad " + db + ",")
    assert [text for text, _ in parts] == [dw, db]
    assert [links[0][1] for _, links in parts] == [parse(dw), parse(db)]
    assert all(links[0][1].annotation is None for _, links in parts)
    with pytest.raises(FormulaError, match="a second formula"):
        parse(dw + r",\qquad " + db)
    # spacing before prose that claims nothing is an annotation, as before
    assert [text for text, _ in formulas(db + r" \quad\text{for } l = L-1, \ldots, 2")] == [db]


def test_lint_judges_formulas_side_by_side(tmp_path):
    text = f"$$\n{dw},\n\\qquad\n{db},\n$$\n\n$$ {dw} \\qquad {db_wrong} $$\n"
    found = _display_findings(tmp_path, text)
    assert [f.verdict for f in found] == ["holds", "fails"], [f.text() for f in found]
    assert "formula 2 of 2 on the line fails" in found[1].reason


# ---------------------------------------------------------------- an entry of an expression, [M]_{i,j}
DLS_BCE = dict(convention="dls", loss="bce", output="sigmoid", hidden="relu")
NG = dict(convention="ng", loss="bce", output="sigmoid", hidden="sigmoid")
ENTRY_SETTINGS = {"mse": MSE, "dls": DLS_BCE, "ng": NG}
WTd = r"\big[(W^{(l+1)})^\top \delta^{(l+1)}\big]_i"
outer = r"\left[\delta^{(l)} \, (a^{(l-1)})^\top\right]"

ENTRIES = [
    # (setting, formula, verdict, a part of the reason)
    ("mse", WTd + r" = \sum_{k=1}^{n_{l+1}} w^{(l+1)}_{k,i}\,\delta^{(l+1)}_{k}", "holds", ""),
    ("mse", WTd + r" = \sum_{k=1}^{n_{l+1}} w^{(l+1)}_{i,k}\,\delta^{(l+1)}_{k}", "fails", ""),
    ("mse", WTd + r" = \sum_{k=1}^{n_{l+1}} w^{(l)}_{k,i}\,\delta^{(l+1)}_{k}", "fails", ""),
    ("mse", WTd + r" = \sum_{k=1}^{n_{l+1}} w^{(l+1)}_{k,i}\,\delta^{(l)}_{k}", "fails", ""),
    ("mse", r"\big[W^{(l+1)} \delta^{(l+1)}\big]_i = \sum_{k} w^{(l+1)}_{k,i}\,\delta^{(l+1)}_{k}", "fails", "shapes"),
    ("mse", outer + r"_{i,j} = \delta_i^{(l)}\, a_j^{(l-1)}", "holds", ""),
    ("mse", outer + r"_{i,j} = \delta_j^{(l)}\, a_i^{(l-1)}", "fails", ""),
    ("mse", outer + r"_{j,i} = \delta_i^{(l)}\, a_j^{(l-1)}", "fails", ""),
    ("mse", outer + r"_{i,j} = \delta_i^{(l)}\, a_j^{(l)}", "fails", ""),
    ("mse", outer + r"_{i,i} = \delta_i^{(l)}\, a_i^{(l-1)}", "fails", "do not reach every entry"),
    ("mse", r"[\delta^l \odot \sigma'(z^l)]_j = \delta^l_j \sigma'(z^l_j)", "holds", ""),
    ("mse", r"[\delta^l \odot \sigma'(z^l)]_j = \delta^l_j \sigma(z^l_j)", "fails", ""),
    ("mse", r"(a^L - y)_j = a^L_j - y_j", "holds", ""),
    ("mse", r"(a^L - y)_j = a^L_j + y_j", "fails", ""),
    ("mse", r"[W^{l+1}]_{jk} = w^{l+1}_{jk}", "holds", ""),
    ("mse", r"[W^{l+1}]_{jk} = w^{l+1}_{kj}", "fails", ""),
    # an entry of an expression inside a component formula
    ("mse", r"\delta^l_j = [(w^{l+1})^T \delta^{l+1}]_j \sigma'(z^l_j)", "holds", ""),
    ("mse", r"\delta^l_j = [(w^{l+1})^T \delta^{l+1}]_j \sigma(z^l_j)", "fails", ""),
    ("mse", r"\delta^l_j = [(w^{l+2})^T \delta^{l+1}]_j \sigma'(z^l_j)", "fails", ""),
    # a batch layout: a matrix's entry is (unit, example)
    ("dls", r"\left[W^{[l]} A^{[l-1]}\right]_{jt} = \sum_k W^{[l]}_{jk} A^{[l-1]}_{kt}", "holds", ""),
    ("dls", r"\left[W^{[l]} A^{[l-1]}\right]_{jt} = \sum_k W^{[l]}_{kj} A^{[l-1]}_{kt}", "fails", ""),
    # what an entry cannot be read as is refused with the reason
    ("mse", r"[W^{l+1}]_{j} = w^{l+1}_{j1}", "invalid", "a matrix: two indices"),
    ("mse", r"[(w^{l+1})^T \delta^{l+1}]_{jk} = w^{l+1}_{kj}", "invalid", "a vector: one index"),
    ("mse", r"[(a^l)^T \delta^l]_1 = 1", "invalid", "a number"),
    ("mse", r"[\mathrm{softmax}(z^L)]_j = a^L_j", "invalid", "softmax"),
    ("mse", r"[(w^{l+1})^T \delta^{l+1}]_{j} = \delta^{l+1}_k", "invalid", "the index k on the right"),
    ("mse", r"[(w^{l+1})^T \delta^{l+1}]_{(i)} = 1", "invalid", "an example's index on an expression"),
    ("mse", r"\delta^l = [(w^{l+1})^T \delta^{l+1}]_j", "invalid", "a component of an expression on the right of a "
     "vector formula"),
    ("ng", r"[(\Theta^{(l)})^T \delta^{(l+1)}]_j = \sum_k \Theta^{(l)}_{kj} \delta^{(l+1)}_k", "invalid",
     "counted from 1 beside the bias unit"),
]


@pytest.mark.parametrize("setting,formula,verdict,reason", ENTRIES)
def test_an_entry_of_an_expression_is_judged_entry_by_entry(setting, formula, verdict, reason):
    judged(formula, ENTRY_SETTINGS[setting], verdict, reason)


def test_an_entry_is_written_back_as_read():
    from derive.formula.unparse import latex
    claim = parse(outer + r"_{i,j} = \delta_i^{(l)}\, a_j^{(l-1)}")
    assert claim.lhs == ast.Entry(parse(r"x = \delta^{(l)} (a^{(l-1)})^\top").rhs, ("i", "j"))
    assert parse(latex(claim)) == claim


# ---------------------------------------------------------------- a shape stated after the formula
DLS_MSE = dict(convention="dls", loss="mse", output="sigmoid", hidden="sigmoid")
SHAPE_SETTINGS = {"mse": MSE, "dls": DLS_MSE}
db_vec = r"\frac{\partial C}{\partial b^{l}} = \delta^{l}"
dw_vec = r"\frac{\partial C}{\partial w^{l}} = \delta^{l} (a^{l-1})^T"

SHAPES = [
    # (setting, formula, verdict, a part of the reason)
    ("mse", db_vec + r" \in \mathbb{R}^{n_l \times 1}", "holds", ""),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l \times 1}.", "holds", ""),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l}", "holds", ""),
    ("mse", db_vec + r" \in \R^{n_{l}}", "holds", ""),
    ("mse", db_vec + r" \in \mathbb{R}^{n_{l-1} \times 1}", "fails", "R^{n_{l-1} \\times 1}, is not the left side's"),
    ("mse", db_vec + r" \in \mathbb{R}^{1 \times n_l}", "fails", "is not the left side's: it is n_{l} x 1"),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l \times n_l}", "fails", "is not the left side's"),
    ("mse", db_vec + r" \in \mathbb{R}", "fails", "R (a number), is not the left side's"),
    ("mse", dw_vec + r" \in \mathbb{R}^{n_l \times n_{l-1}}", "holds", ""),
    ("mse", dw_vec + r" \in \mathbb{R}^{n_{l-1} \times n_l}", "fails", "is not the left side's"),
    ("mse", dw_vec + r" \in \mathbb{R}^{n_l \times n_{l+1}}", "fails", "is not the left side's"),
    ("mse", r"\frac{\partial C}{\partial b^{l}_j} = \delta^{l}_j \in \mathbb{R}", "holds", ""),
    ("mse", r"\frac{\partial C}{\partial b^{l}_j} = \delta^{l}_j \in \mathbb{R}^{n_l}", "fails",
     "is not the left side's"),
    ("mse", r"z^l = w^l a^{l-1} + b^l \in \mathbb{R}^{n_l}", "holds", ""),
    ("mse", r"z^l = w^l a^{l-1} + b^l \in \mathbb{R}^{n_{l-1}}", "fails", "is not the left side's"),
    ("mse", r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L) \in \mathbb{R}^{n_L}", "holds",
     ""),
    ("mse", r"\delta^L = \frac{\partial C}{\partial z^L} = (a^L - y) \odot \sigma'(z^L) \in \mathbb{R}^{n_l}", "fails",
     "is not the left side's"),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l} \qquad " + dw_vec + r" \in \mathbb{R}^{n_l \times n_{l-1}}", "holds", ""),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l} \qquad " + dw_vec + r" \in \mathbb{R}^{n_l \times n_{l}}", "fails",
     "formula 2 of 2"),
    ("dls", r"dZ^{[l]} = dA^{[l]} * g'(Z^{[l]}) \in \mathbb{R}^{n^{[l]} \times m}", "holds", ""),
    ("dls", r"dZ^{[l]} = dA^{[l]} * g'(Z^{[l]}) \in \mathbb{R}^{n^{[l]}}", "fails", "is not the left side's"),
    ("dls", r"dZ^{[l]} = dA^{[l]} * g'(Z^{[l]}) \in \mathbb{R}^{m \times n^{[l]}}", "fails", "is not the left side's"),
    # a shape derive cannot size, or where it cannot be read, is refused with the reason
    ("mse", db_vec + r" \in \mathbb{R}^{H}", "invalid", "the dimension H of the stated shape"),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l \times m}", "invalid", "the number of examples m in the stated shape"),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l \times 1 \times 1}", "invalid", "3 dimensions"),
    ("mse", r"\frac{\partial z^l_j}{\partial b^{l}_j} = 1 \in \mathbb{R}", "invalid", "not read"),
    ("mse", db_vec + r" \in \mathbb{R}^{n_l}\;\cdot\;\mathbb{R}^{1}", "invalid", "\\in"),
    ("mse", r"\delta^l \in \mathbb{R}^{n_l}", "invalid", "unknown command \\in"),  # a shape alone claims nothing
]


@pytest.mark.parametrize("setting,formula,verdict,reason", SHAPES)
def test_a_stated_shape_is_checked(setting, formula, verdict, reason):
    judged(formula, SHAPE_SETTINGS[setting], verdict, reason)


def test_a_stated_shape_is_part_of_the_claim():
    from derive.formula.unparse import latex
    claim = parse(db_vec + r" \in \mathbb{R}^{n_l \times 1}")
    assert claim.shape == (ast.Sym("n", None, ("l",)), ast.Num("1"))
    assert claim != parse(db_vec) and claim != parse(db_vec + r" \in \mathbb{R}^{n_l}")
    assert parse(latex(claim)) == claim
    assert parse(db_vec + r" \in \mathbb{R}").shape == () and parse(db_vec).shape is None
    assert parse(r"x_\ell = 1") == parse(r"x_{\ell} = 1")
