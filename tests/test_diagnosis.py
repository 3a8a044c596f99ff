"""Diagnosis names the mistake (issue 9, section 4): each row is a wrong formula, the mistake it must be
diagnosed as, and a fragment of the corrected formula, which must hold when checked on its own."""

from __future__ import annotations

import pytest

import derive

P = "'"  # a prime, kept out of the raw strings' way

ROWS = [
    # (convention, loss, output, hidden, formula, mistake, fragment of the corrected formula)
    # the BCE + sigmoid cancellation, with sigma' written out with the output a^L (1 - a^L)
    ("nielsen", "bce", "sigmoid", "sigmoid", r"\delta^L = (a^L - y) \odot a^L \odot (1 - a^L)", "extra sigma'",
     r"\delta^{L} = a^{L} - y"),
    ("dls", "bce", "sigmoid", "relu", r"dZ^{[L]} = (A^{[L]} - Y) * A^{[L]} * (1 - A^{[L]})", "extra sigma'",
     r"dZ^{[L]} = A^{[L]} - Y"),
    # tanh' written with z instead of a
    ("nielsen", "mse", "sigmoid", "tanh", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot (1 - (z^l)^2)",
     "sigma' argument", r"a^{l}"),
    # a row-layout gradient written in column order
    ("cs231n", "cce", "softmax", "relu", r"dW^{(l)} = dZ^{(l)} (A^{(l-1)})^T", "product order",
     r"(A^{(l-1)})^{T} dZ^{(l)}"),
    # the outer product transposed
    ("nielsen", "mse", "sigmoid", "sigmoid", r"\frac{\partial C}{\partial w^l} = a^{l-1} (\delta^l)^T", "transpose",
     r"^{T}"),
    # the wrong sign
    ("nielsen", "bce", "sigmoid", "sigmoid", r"\delta^L = y - a^L", "sign", r"-"),
    # juxtaposition (or \times) meant as the elementwise product: corrected with the course's own *
    ("dls", "bce", "sigmoid", "tanh", r"dZ^{[l]} = dA^{[l]} \times g" + P + r"(Z^{[l]})", "elementwise product",
     r"dA^{[l]} * g"),
    ("nielsen", "mse", "sigmoid", "sigmoid", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \sigma" + P + "(z^l)",
     "elementwise product", r"\odot"),
    # the elementwise product where the matrix product belongs, and the gradient where the weight belongs
    ("dls", "bce", "sigmoid", "tanh", r"dW^{[l]} = \frac{1}{m} dZ^{[l]} * A^{[l-1]T}", "matrix product",
     r"dZ^{[l]} (A^{[l-1]})^{T}"),
    ("cs231n", "cce", "softmax", "relu", r"dZ^{(l)} = (dZ^{(l+1)} (dW^{(l+1)})^T) \odot \sigma" + P + "(Z^{(l)})",
     "gradient for weight", r"(W^{(l+1)})^{T}"),
    # da/dz, a Jacobian, joined entry by entry: its diagonal, sigma'(z), is what the notes mean
    ("nielsen", "mse", "sigmoid", "sigmoid",
     r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \frac{\partial a^l}{\partial z^l}", "Jacobian for sigma'",
     r"\sigma'\left(z^{l}\right)"),
    ("nielsen", "mse", "sigmoid", "sigmoid",
     r"\frac{\partial C}{\partial z^L} = \frac{\partial a^L}{\partial z^L} \odot \frac{\partial C}{\partial a^L}",
     "Jacobian for sigma'", r"\sigma'\left(z^{L}\right)"),
    # two edits: the weight's layer and sigma''s layer both shifted
    ("nielsen", "mse", "sigmoid", "sigmoid", r"\delta^l = ((w^{l+2})^T \delta^{l+1}) \odot \sigma" + P + "(z^{l+1})",
     "layer index + ", r"w^{l+1}"),
]


@pytest.mark.parametrize("conv,loss,out,hidden,formula,mistake,fragment", ROWS)
def test_the_mistake_is_named_and_the_correction_holds(conv, loss, out, hidden, formula, mistake, fragment):
    problem = dict(convention=conv, loss=loss, output=out, hidden=hidden)
    result = derive.check(formula, **problem)
    assert result.verdict == "fails" and result.diagnosis, result.text()
    assert result.diagnosis["mistake"].startswith(mistake), result.diagnosis
    corrected = result.diagnosis["corrected"]
    assert fragment in corrected, corrected
    assert derive.check(corrected, **problem).holds, corrected


@pytest.mark.parametrize("conv,formula", [
    ("cs231n", r"dZ^{(L)} = P - Y"),                     # CS231n's dZ carries the 1/N of the batch cost
    ("dls", r"dW^{[l]} = dZ^{[l]} (A^{[l-1]})^T"),      # deeplearning.ai's dW averages over the m columns
])
def test_a_per_example_formula_in_a_batch_convention_says_it_holds_for_one_example(conv, formula):
    result = derive.check(formula, convention=conv, loss="cce", output="softmax", hidden="relu")
    assert result.verdict == "fails"
    assert any(note.startswith("holds for one example") for note in result.notes), result.notes


def test_a_wrong_formula_gets_no_one_example_note():
    result = derive.check(r"dZ^{(L)} = P + Y", convention="cs231n", loss="cce", output="softmax", hidden="relu")
    assert result.verdict == "fails" and not any("one example" in note for note in result.notes)
