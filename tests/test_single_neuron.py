"""Issue 9: chain rules of numbers. Notes that say each layer is a single neuron are judged on networks whose every
width is 1, where every quantity and every derivative is a number (behnamasadi); everywhere else the networks keep
layers of several units, which a transpose or an index mistake cannot hide in. A chain-rule factor du/dv inside a
vector formula is a Jacobian: read in the one layout (numerator [du_i/dv_j], or denominator) whose shapes fit, and
a vector-by-matrix factor, which has three indices, is no matrix product.
"""

from __future__ import annotations

import pytest
from verdicts import judged

import derive
from derive.formula import verdict as trial_networks
from derive.lint import lint
from derive.problem import Problem

SSE = dict(convention="nielsen", loss="sse", output="sigmoid", hidden="sigmoid")
DIRECTIVE = "<!-- derive: convention=nielsen loss=sse output=sigmoid hidden=sigmoid -->\n"
NEURON = "# Backpropagation for a single neuron layer\n\n"      # what the notes say (behnamasadi's title)
WIDE = "# Backpropagation for a layer\n\n"                       # notes that do not say it

d = r"\frac{\partial C_0}"
dC_da, da_dz = d + r"{\partial a^{(L)}}", r"\frac{\partial a^{(L)}}{\partial z^{(L)}}"
sp_ = r"\sigma'(z^{(L)})"

# (formula, verdict in notes of single neurons, verdict in notes that do not say so, a part of the second reason)
CHAINS = [
    # the chain rule of numbers, factor by factor: each a derivative (a Jacobian of one entry)
    (d + r"{\partial w^{(L)}} = " + dC_da + da_dz + r"\frac{\partial z^{(L)}}{\partial w^{(L)}}", "holds", "fails",
     "three indices"),
    (d + r"{\partial b^{(L)}} = " + dC_da + da_dz + r"\frac{\partial z^{(L)}}{\partial b^{(L)}}", "holds", "holds",
     ""),  # wide too: dz/db is the identity
    (d + r"{\partial a^{(L-1)}} = " + dC_da + da_dz + r"\frac{\partial z^{(L)}}{\partial a^{(L-1)}}", "holds",
     "holds", ""),   # wide too: read in numerator layout, gradients as rows
    # numbers multiplied as the notes multiply them
    (d + r"{\partial w^{(L)}} = 2(a^{(L)} - y) " + sp_ + r" a^{(L-1)}", "holds", "fails", "shapes do not conform"),
    (d + r"{\partial b^{(L)}} = 2(a^{(L)} - y) " + sp_ + r" \times 1", "holds", "fails", "shapes do not conform"),
    (d + r"{\partial a^{(L-1)}} = 2(a^{(L)} - y) " + sp_ + r" w^{(L)}", "holds", "fails", "shapes do not conform"),
    (r"\frac{\partial z^{(L)}}{\partial w^{(L)}} = a^{(L-1)}", "holds", "skipped", "more than two indices"),
    # near misses: wrong as numbers too
    (d + r"{\partial b^{(L)}} = 2(a^{(L)} - y) " + sp_ + r" w^{(L)}", "fails", "fails", ""),  # bh-13's mislabel
    (d + r"{\partial w^{(L)}} = (a^{(L)} - y) " + sp_ + r" a^{(L-1)}", "fails", "fails", ""),  # the 2 dropped
    (d + r"{\partial w^{(L)}} = 2(a^{(L)} - y) " + sp_ + r" a^{(L)}", "fails", "fails", ""),   # the wrong layer
    (d + r"{\partial w^{(L)}} = 2(a^{(L)} - y) a^{(L-1)}", "fails", "fails", ""),              # sigma' dropped
    (d + r"{\partial w^{(L)}} = " + dC_da + r"\frac{\partial z^{(L)}}{\partial w^{(L)}}", "fails", "fails", ""),
    (d + r"{\partial w^{(L)}} = " + dC_da + da_dz + r"\frac{\partial z^{(L)}}{\partial b^{(L)}}", "fails", "fails",
     ""),
    (d + r"{\partial a^{(L-1)}} = " + dC_da + da_dz + r"\frac{\partial z^{(L)}}{\partial a^{(L)}}", "fails",
     "fails", ""),
    (d + r"{\partial a^{(L-1)}} = " + dC_da + r"\frac{\partial a^{(L)}}{\partial z^{(L-1)}}"
     + r"\frac{\partial z^{(L)}}{\partial a^{(L-1)}}", "fails", "fails", ""),
]


def _lint(tmp_path, heading: str, formula: str):
    path = tmp_path / "notes.md"
    path.write_text(DIRECTIVE + heading + f"${formula}$\n", encoding="utf-8")
    (finding,) = lint([path])
    return finding


@pytest.mark.parametrize("formula,single,wide,because", CHAINS)
def test_single_neurons_are_judged_as_numbers_only_where_the_notes_say_so(tmp_path, formula, single, wide,
                                                                           because):
    finding = _lint(tmp_path, NEURON, formula)
    assert finding.verdict == single, finding.text()
    assert "each layer is a single neuron, as line 2 says" in finding.reason, finding.reason
    if single == "holds":
        assert "single neuron" in finding.text()  # the verdict says on which networks it holds
    finding = _lint(tmp_path, WIDE, formula)
    assert finding.verdict == wide, finding.text()
    assert "single neuron" not in finding.reason and because in finding.reason, finding.reason


# ---------------------------------------------------------------- width 1 never leaks into ordinary judging
TRANSPOSE = [
    # (a formula that holds, the same with its transpose dropped): the second fails in ordinary notes
    (r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
     r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)"),
    (r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T", r"\frac{\partial C}{\partial w^l} = \delta^l a^{l-1}"),
]


@pytest.mark.parametrize("right,missing", TRANSPOSE)
def test_a_missing_transpose_still_fails_where_the_notes_do_not_say_single_neurons(tmp_path, right, missing):
    assert derive.check(right, **SSE).verdict == "holds"
    assert derive.check(missing, **SSE).verdict == "fails"
    assert _lint(tmp_path, WIDE, right).verdict == "holds"
    assert _lint(tmp_path, WIDE, missing).verdict == "fails"
    # as numbers, a transpose changes nothing: that is why width 1 is used only where the notes say so
    assert derive.check(missing, **SSE, single_neurons=True).verdict == "holds"
    assert _lint(tmp_path, NEURON, missing).verdict == "holds"


def test_ordinary_networks_have_layers_of_several_units():
    trial_networks._networks.clear()
    ordinary = Problem.make("nielsen", "sse", "sigmoid", "sigmoid")
    single = Problem.make("nielsen", "sse", "sigmoid", "sigmoid", single_neurons=True)
    assert not ordinary.single_neurons and ordinary != single
    for seed in range(trial_networks.TRIALS):
        assert min(trial_networks._network(ordinary, trial_networks.DEPTH, seed)[0].widths) >= 2
        assert set(trial_networks._network(single, trial_networks.DEPTH, seed)[0].widths) == {1}


def test_the_single_neuron_sentence_is_one_of_the_notes_words(tmp_path):
    # "a single neuron i in layer l" is one unit of a wide layer: its notes are judged on wide networks
    formula = d + r"{\partial w^{(L)}} = 2(a^{(L)} - y) " + sp_ + r" a^{(L-1)}"
    assert _lint(tmp_path, "The figure shows a single neuron $i$ in layer $l$.\n\n", formula).verdict == "fails"


def test_single_neurons_need_an_elementwise_output():
    with pytest.raises(derive.DeriveError, match="single neuron"):
        Problem.make("nielsen", "cce", "softmax", "sigmoid", single_neurons=True)


# ---------------------------------------------------------------- Jacobians in products, layers of several units
dC = r"\frac{\partial C}"
J = r"\frac{\partial %s}{\partial %s}"
JACOBIANS = [
    # (formula, verdict, a part of the reason or of a note)
    # numerator layout: du_i/dv_j, the cost's gradient a row, the factors in the order of the chain
    (dC + "{\\partial a^{L-1}} = " + dC + "{\\partial a^L}" + J % ("a^L", "z^L") + J % ("z^L", "a^{L-1}"), "holds",
     "numerator layout"),
    # denominator layout: the transposes, the factors in the reverse order, the gradient a column
    (dC + "{\\partial a^{L-1}} = " + J % ("z^L", "a^{L-1}") + J % ("a^L", "z^L") + dC + "{\\partial a^L}", "holds",
     "denominator layout"),
    (dC + "{\\partial z^L} = " + J % ("a^L", "z^L") + dC + "{\\partial a^L}", "holds", "denominator layout"),
    (dC + "{\\partial z^{L-1}} = " + dC + "{\\partial z^L}" + J % ("z^L", "a^{L-1}") + J % ("a^{L-1}", "z^{L-1}"),
     "holds", "numerator layout"),
    # the Jacobian of a layer's own z and a is diagonal: as a matrix, never an entrywise factor
    (dC + "{\\partial z^L} = " + J % ("a^L", "z^L") + " \\odot " + dC + "{\\partial a^L}", "fails",
     "shapes do not conform"),
    # mixed layouts fit no reading
    (dC + "{\\partial a^{L-1}} = " + dC + "{\\partial a^L}" + J % ("a^L", "z^L") + J % ("a^{L-1}", "z^L"), "fails",
     "shapes do not conform"),
    (dC + "{\\partial a^{L-1}} = " + J % ("z^L", "a^{L-1}") + J % ("a^L", "z^L") + "(" + dC + "{\\partial a^L})^T",
     "fails", "shapes do not conform"),
    # a factor of the wrong layer: the shapes fit, the numbers do not
    (dC + "{\\partial a^{L-1}} = " + dC + "{\\partial a^L}" + J % ("a^L", "z^L") + J % ("z^L", "a^L"), "fails",
     "shapes do not conform"),
    (dC + "{\\partial z^{L-1}} = " + dC + "{\\partial z^L}" + J % ("z^L", "a^{L-1}") + J % ("a^{L-1}", "a^{L-1}"),
     "fails", "differs from the forward pass"),
    # a vector by a matrix has three indices: no matrix product, in either layout
    (dC + "{\\partial w^L} = " + dC + "{\\partial z^L}" + J % ("z^L", "w^L"), "fails", "three indices"),
    (dC + "{\\partial w^L} = " + J % ("z^L", "w^L") + dC + "{\\partial z^L}", "fails", "three indices"),
]


@pytest.mark.parametrize("formula,verdict,said", JACOBIANS)
def test_a_jacobian_in_a_product_is_read_in_the_layout_its_shapes_fix(formula, verdict, said):
    judged(formula, SSE, verdict, said, notes=True)


REFUSED = [
    # (setting, formula, a part of the reason): a batch's Jacobian has four indices; no part is dropped
    (dict(convention="dls", loss="bce", output="sigmoid", hidden="relu"),
     r"dZ^{[l]} = dA^{[l]} \frac{\partial A^{[l]}}{\partial Z^{[l]}}", "of a batch has four indices"),
    (SSE, dC + "{\\partial z^L} = " + J % ("a^L_j", "z^L") + dC + "{\\partial a^L}", "subscripts"),
    (SSE, dC + "{\\partial z^L} = " + J % ("a^L", "y") + dC + "{\\partial a^L}", "with respect to"),
    # a square Jacobian between vectors the convention shapes: both layouts fit, and which one is meant is not said
    (SSE, r"\delta^L = " + J % ("a^L", "z^L") + " (a^L - y)", "layout of the Jacobians in this product is not fixed"),
    # the forward pass is written with its parameters: a Jacobian there is not guessed into one layout
    (SSE, r"a^L = \sigma(" + J % ("z^L", "a^{L-1}") + r" a^{L-1} + b^L)", "formula of a gradient only"),
]


@pytest.mark.parametrize("setting,formula,because", REFUSED)
def test_a_jacobian_derive_cannot_read_is_refused_with_the_reason(setting, formula, because):
    result = derive.check(formula, **setting, diagnose=False)
    assert result.verdict == "invalid" and because in result.reason, result.text()


def test_the_command_line_judges_single_neurons_when_asked(capsys):
    from derive.cli import main
    formula = d + r"{\partial w^{(L)}} = 2(a^{(L)} - y) " + sp_ + r" a^{(L-1)}"
    assert main(["check", "--loss", "sse", "--no-diagnosis", formula]) == 1
    capsys.readouterr()
    assert main(["check", "--loss", "sse", "--single-neurons", formula]) == 0
    assert "one neuron per layer" in capsys.readouterr().out


# ---------------------------------------------------------------- every part of the new readings counts
EDITED = [
    # (formula that holds, single neurons): no single edit of it is read as the same formula (test_check_edits)
    (CHAINS[0][0], True),
    (CHAINS[2][0], True),
    (CHAINS[3][0], True),
    (CHAINS[6][0], True),
    (JACOBIANS[0][0], False),
    (JACOBIANS[1][0], False),
    (JACOBIANS[3][0], False),
]


@pytest.mark.parametrize("formula,single", EDITED)
def test_no_single_edit_of_a_chain_of_factors_is_ignored(formula, single):
    from test_check_edits import edits, meaning_of

    from derive.formula.parse import parse
    from derive.formula.unparse import latex
    problem = Problem.make("nielsen", "sse", "sigmoid", "sigmoid", single_neurons=single)
    claim = parse(formula)
    original = meaning_of(claim, problem)
    assert original is not None and derive.check(formula, **SSE, single_neurons=single).verdict == "holds"
    ctx = {"component": bool(original[4]), "per_example": True, "wrt": False, "cost": False}
    tried = [edited for edited in edits(claim, ctx) if edited != claim]
    ignored = [latex(e) for e in tried if meaning_of(e, problem) == original]
    assert len(tried) >= 5 and not ignored, ignored


def test_a_formula_with_a_jacobian_is_not_translated():
    from derive.translate import translate
    formula = dC + "{\\partial z^L} = " + J % ("a^L", "z^L") + dC + "{\\partial a^L}"
    assert derive.check(formula, **SSE).verdict == "holds"
    for target in ("cs231n", "ng"):
        with pytest.raises(derive.DeriveError, match="Jacobian of one example's vectors"):
            translate(formula, "nielsen", target, "sse")


def test_in_a_batch_convention_single_neurons_are_not_numbers(tmp_path):
    # a batch holds several examples, so a single neuron's quantity is a row of them: a product of the notes'
    # numbers is not judged (skipped, saying why), and nothing is judged on networks of width 1
    path = tmp_path / "notes.md"
    path.write_text("<!-- derive: convention=dls loss=mse output=sigmoid hidden=sigmoid -->\n" + NEURON
                    + "$dZ^{[L]} = 2(A^{[L]} - Y) g'(Z^{[L]})$\n\n$dZ^{[L]} = (A^{[L]} - Y) * g'(Z^{[L]})$\n",
                    encoding="utf-8")
    product, hadamard = lint([path])
    assert product.verdict == "skipped" and "line 2 says each layer is a single neuron" in product.reason
    assert hadamard.verdict == "holds" and "single neuron" not in hadamard.text() + hadamard.reason
