"""Issue 9, section 2: the readings that judge the real notes of rugessnome (a loss written l(f(x), y), layers named
H and O, \\mathds{1}_{i=j}), behnamasadi (one example's cost C_0, a chain of single neurons) and markusthill (the
batch target Y^*). Each reading is a table of formulas that must hold, and wrong variants that must fail or be
refused with the reason; nothing here is read by dropping a part of it.
"""

from __future__ import annotations

import pytest
from verdicts import judged

from derive.lint import lint, scan

CCE = dict(convention="nielsen", loss="cce", output="softmax", hidden="tanh")
SSE = dict(convention="nielsen", loss="sse", output="sigmoid", hidden="sigmoid")
MSE = dict(convention="nielsen", loss="mse", output="sigmoid", hidden="sigmoid")
DLS = dict(convention="dls", loss="bce", output="sigmoid", hidden="relu")
DLS_MSE = dict(convention="dls", loss="mse", output="sigmoid", hidden="sigmoid")
SETTINGS = {"cce": CCE, "sse": SSE, "mse": MSE, "dls": DLS, "dls-mse": DLS_MSE}
dl = r"\frac{\partial l(f(x), y)}"  # rugessnome's loss, with its argument list

VERDICTS = [
    # (setting, formula, verdict, a part of the reason)
    # ---- l(f(x), y): the loss l of the network's output f(x) and the target y (layers 3 = L and 2 in nielsen)
    ("cce", dl + r"{\partial b^{(3)}_i} = " + dl + r"{\partial z^{(3)}_i}", "holds", ""),
    ("cce", dl + r"{\partial b^{(3)}_i} = " + dl + r"{\partial a^{(3)}_i}", "fails", ""),
    ("cce", dl + r"{\partial W^{(3)}_{ij}} = " + dl + r"{\partial z^{(3)}_i} a^{(2)}_{j}", "holds", ""),
    ("cce", dl + r"{\partial W^{(3)}_{ij}} = " + dl + r"{\partial z^{(3)}_j} a^{(2)}_{i}", "fails", ""),
    ("cce", dl + r"{\partial W^{(2)}_{ij}} = " + dl + r"{\partial z^{(2)}_i} x_{j}", "holds", ""),
    ("cce", dl + r"{\partial W^{(2)}_{ij}} = " + dl + r"{\partial z^{(2)}_i} a^{(2)}_{j}", "fails", ""),
    ("cce", dl + r"{\partial a^{(2)}_{i}} = \sum_{j=1}^{K} " + dl + r"{\partial z^{(3)}_j} W^{(3)}_{ji}", "holds", ""),
    ("cce", dl + r"{\partial a^{(2)}_{i}} = \sum_{j=1}^{K} " + dl + r"{\partial z^{(3)}_j} W^{(3)}_{ij}", "fails",
     "two different layers"),  # a wrong formula: it fails (and is diagnosed: swapped indices), never holds
    (r"cce", r"\nabla_{a^{(2)}} l(f(x), y) = \left(W^{(3)}\right)' \nabla_{z^{(3)}} l(f(x), y)", "holds", ""),
    (r"cce", r"\nabla_{a^{(2)}} l(f(x), y) = W^{(3)} \nabla_{z^{(3)}} l(f(x), y)", "fails", "shapes"),
    # a lowercase l is the loss only with its argument list, and that list is read
    ("cce", r"\frac{\partial l}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "not a gradient of the cost"),
    ("cce", r"\frac{\partial l(f(z^{(2)}), y)}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "argument list"),
    ("cce", r"\frac{\partial l(f(y), y)}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "not of the input"),
    ("cce", r"\frac{\partial l(f'(x), y)}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "argument list"),
    ("cce", r"\frac{\partial l(f(x) + 1, y)}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "argument list"),
    ("cce", r"\frac{\partial l_j(f(x), y)}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "only the cost"),
    ("cce", r"\frac{\partial l(f(x), z)}{\partial b^{(3)}_i} = \delta^{(3)}_i", "invalid", "is neither"),
    # ---- \mathds{1}_{i=j}: the indicator, the Iverson bracket [i = j]
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = \mathds{1}_{i=j}", "holds", ""),
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = \mathbb{1}_{i = j}", "holds", ""),
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = 1 - \mathds{1}_{i=j}", "fails", ""),
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = \mathds{1}_{j=j}", "fails", ""),
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = \mathds{1}_{i=k}", "invalid", "not on the left"),
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = \mathds{1}_{i \neq j}", "invalid", "\\neq"),
    ("cce", r"\frac{\partial z^{(3)}_i}{\partial b^{(3)}_j} = \mathds{1}", "invalid", "\\mathds"),
    # ---- C_0: the cost of the example the formulas are written for, where they are of one example
    ("sse", r"\frac{\partial C_0}{\partial a^{(L)}} = 2(a^{(L)} - y)", "holds", ""),
    ("sse", r"\frac{\partial C_0}{\partial a^{(L)}} = a^{(L)} - y", "fails", ""),
    ("sse", r"\frac{\partial C_0}{\partial a^{(L)}} = \frac{\partial C_x}{\partial a^{(L)}}", "invalid",
     "several examples (C_0, C_x)"),
    ("sse", r"\frac{\partial C_0}{\partial w^{(L)}} = \frac{\partial C_1}{\partial w^{(L)}}", "invalid",
     "several examples"),
    ("sse", r"\frac{\partial C_1}{\partial a^{(L)}} = 2(a^{(L)} - y)", "invalid", "subscript 1 on the cost"),
    ("sse", r"\frac{\partial C_{00}}{\partial a^{(L)}} = 2(a^{(L)} - y)", "invalid", "subscript 0,0 on the cost"),
    ("sse", r"\frac{\partial C_0^{L}}{\partial a^{(L)}} = 2(a^{(L)} - y)", "invalid", "superscript"),
    # in a batch convention C_0 would be one column of many: refused, not read as the batch's losses
    ("dls", r"\frac{\partial L_0}{\partial Z^{[L]}} = A^{[L]} - Y", "invalid", "subscript 0 on the cost"),
    # ---- Y^*: the batch target, as y^* is one example's
    ("dls", r"dZ^{[L]} = A^{[L]} - Y^*", "holds", ""),
    ("dls", r"dZ^{[L]} = A^{[L]} + Y^*", "fails", ""),
    ("dls", r"dZ^{[L]} = Y^* - A^{[L]}", "fails", ""),
    # ---- two different letters for the generic layer are never read as the same layer
    ("mse", r"\frac{\partial C}{\partial b^{k}} = \delta^{l}", "invalid", "two layer letters, k and l"),
    ("mse", r"\frac{\partial C}{\partial b^{(O)}} = \delta^{(H)}", "invalid", "two layer letters, H and O"),
    ("mse", r"\frac{\partial C}{\partial b^{k}} = \delta^{k}", "holds", ""),
    ("mse", r"\frac{\partial C}{\partial b^{\ell}} = \delta^{l}", "holds", ""),  # \ell is the letter l
]


@pytest.mark.parametrize("setting,formula,verdict,reason", VERDICTS)
def test_verdicts(setting, formula, verdict, reason):
    result = judged(formula, SETTINGS[setting], verdict, reason)
    for internal in ("parse_expr", "MeaningError", "Call(", "Sym("):
        assert internal not in result.reason


# ---------------------------------------------------------------- layers named H and O (lint reads the notes)
DEFINED = (r"\[ z^{(O)} = W^{(O)} a^{(H)} + b^{(O)} \]" "\n"
           r"\[ a^{(H)} = g(W^{(H)}x + b^{(H)}) \]" "\n")
NAMED = [
    # (a formula in the notes, the verdict, as derive reads it)
    (dl + r"{\partial b^{(O)}_i} = " + dl + r"{\partial z^{(O)}_i}", "holds",
     dl + r"{\partial b^{(3)}_i} = " + dl + r"{\partial z^{(3)}_i}"),
    (dl + r"{\partial W^{(H)}_{ij}} = " + dl + r"{\partial z^{H}_i} x_{j}", "holds",
     dl + r"{\partial W^{(2)}_{ij}} = " + dl + r"{\partial z^{(2)}_i} x_{j}"),
    (dl + r"{\partial W^{(H)}_{ij}} = " + dl + r"{\partial z^{(H)}_i} a^{(H)}_{j}", "fails", None),
    (dl + r"{\partial W^{(O)}_{ij}} = " + dl + r"{\partial z^{(O)}_i} a^{(O)}_{j}", "fails", None),
    (r"\nabla_{a^{(H)}} l(f(x), y) = \left(W^{(O)}\right)' \nabla_{z^{(O)}} l(f(x), y)", "holds", None),
    (r"\nabla_{a^{(H)}} l(f(x), y) = \left(W^{(H)}\right)' \nabla_{z^{(O)}} l(f(x), y)", "fails", None),
    # a sum's limit H is not a layer: left as written, and refused (H is the hidden layer's width there)
    (dl + r"{\partial z^{H}_i} = \sum_{j=1}^{H} " + dl + r"{\partial a^{(H)}_j} \frac{\partial a^{(H)}_j}"
     r"{\partial z^{H}_i}", "skipped", None),
]


def _notes(tmp_path, body: str, defined: str = DEFINED):
    path = tmp_path / "notes.tex"
    path.write_text("% derive: convention=nielsen loss=cce output=softmax hidden=tanh\n" + defined + body + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("formula,verdict,read", NAMED)
def test_layers_named_by_the_notes_forward_equations(tmp_path, formula, verdict, read):
    path = _notes(tmp_path, rf"\[ {formula} \]")
    finding = lint([path])[-1]
    assert finding.verdict == verdict, finding.text()
    assert "the layers H and O read as layers 2 and 3 = L of a network with one hidden layer, as lines 3 and 2 " \
           "define them" in finding.reason
    if read is not None:
        assert finding.formula == read


UNDEFINED = [
    # forward equations that do not say what H and O are: the names are not read (the claim is refused)
    ("", "two layer letters"),
    (r"\[ z^{(O)} = W^{(O)} a^{(H)} + b^{(O)} \]" "\n", "two layer letters"),               # H not fed by the input
    (r"\[ z^{(O)} = W^{(H)} a^{(H)} + b^{(O)} \]" "\n" r"\[ a^{(H)} = g(W^{(H)}x + b^{(H)}) \]" "\n",
     "two layer letters"),                                                                  # a weight named after H
    (DEFINED + r"\[ z^{(P)} = W^{(P)} a^{(O)} + b^{(P)} \]" "\n", "two layer letters"),     # more than one hidden
    (DEFINED + r"\[ z^{(O)} = W^{(O)} x + b^{(O)} \]" "\n", "two layer letters"),           # two definitions of O
]


@pytest.mark.parametrize("defined,reason", UNDEFINED)
def test_names_the_notes_do_not_define_are_not_read(tmp_path, defined, reason):
    path = _notes(tmp_path, r"\[ " + dl + r"{\partial b^{(O)}_i} = \delta^{(H)}_i \]", defined)
    finding = lint([path])[-1]
    assert finding.verdict == "skipped" and reason in finding.reason, finding.text()
    assert "read as layers" not in finding.reason


def test_the_names_follow_the_convention_s_numbering(tmp_path):
    # wikipedia's input is layer 0: H is layer 1, O layer 2
    path = tmp_path / "notes.md"
    path.write_text("<!-- derive: convention=wikipedia loss=mse output=sigmoid hidden=sigmoid -->\n"
                    "$$z^{(O)} = W^{(O)} a^{(H)}$$\n$$a^{(H)} = f(W^{(H)} x)$$\n"
                    "$$\\frac{\\partial C}{\\partial a^{(H)}} = (W^{(O)})^T \\delta^{(O)}$$\n", encoding="utf-8")
    (claim,) = [f for f in scan(path) if "partial" in f.text]
    assert "a^{(H)}" in claim.text and not claim.readings  # no bias: not the forward equations the reading needs
    path.write_text(path.read_text().replace("W^{(O)} a^{(H)}", "W^{(O)} a^{(H)} + b^{(O)}")
                    .replace("W^{(H)} x", "W^{(H)} x + b^{(H)}"), encoding="utf-8")
    (claim,) = [f for f in scan(path) if "partial" in f.text]
    assert claim.text == "\\frac{\\partial C}{\\partial a^{(1)}} = (W^{(2)})^T \\delta^{(2)}"


# ---------------------------------------------------------------- a chain of single neurons
NEURON = "A single neuron layer network: every quantity is a number.\n\n"
SCALAR = [
    # (a formula, its verdict with the sentence above, without it)
    (r"\frac{\partial C_0}{\partial w^{(L)}} = 2(a^{(L)} - y) \sigma'(z^{(L)}) a^{(L-1)}", "holds", "fails"),
    (r"\frac{\partial C_0}{\partial a^{(L)}} = 2(a^{(L)} - y)", "holds", "holds"),
    (r"\frac{\partial C_0}{\partial a^{(L)}} = (a^{(L)} - y)", "fails", "fails"),  # fails as numbers too
]


@pytest.mark.parametrize("formula,with_sentence,without", SCALAR)
def test_a_chain_of_single_neurons_is_judged_as_numbers(tmp_path, formula, with_sentence, without):
    path = tmp_path / "notes.md"
    for text, verdict in ((NEURON, with_sentence), ("A neuron network.\n\n", without)):
        path.write_text("<!-- derive: convention=nielsen loss=sse output=sigmoid hidden=sigmoid -->\n" + text
                        + f"${formula}$\n", encoding="utf-8")
        (finding,) = lint([path])
        assert finding.verdict == verdict, finding.text()
        assert ("each layer is a single neuron, as line 2 says" in finding.reason) == (text == NEURON)


@pytest.mark.parametrize("text", [
    "The figure highlights a single neuron $i$ in layer $\\ell$.\n",   # one unit of a wide layer
    "<!-- a single neuron layer -->\n",                                # a comment is not the notes' words
])
def test_single_neurons_only_where_the_notes_say_each_layer_is_one(tmp_path, text):
    path = tmp_path / "notes.md"
    path.write_text("<!-- derive: convention=nielsen loss=sse output=sigmoid hidden=sigmoid -->\n" + text
                    + "$\\frac{\\partial C_0}{\\partial w^{(L)}} = 2(a^{(L)} - y) \\sigma'(z^{(L)}) a^{(L-1)}$\n",
                    encoding="utf-8")
    assert lint([path])[-1].verdict == "fails"
