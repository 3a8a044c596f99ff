"""What the notes define, read as definitions: a letter their words name the activation's Jacobian, the layer they
number the input, the weights' naming their forward equation gives (with layers named by letters too); and the
activation's Jacobian, symmetric, read the same in either layout."""

from __future__ import annotations

import pytest

from derive.check import check
from derive.infer import _DEFINES
from derive.lint import lint

JACOBIAN_NOTES = r"""# General case

The forward pass is $z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$ and $a^{(l)} = \sigma(z^{(l)})$.

$$\delta^{(L)} = (J^{(L)})^T \nabla_{a^{(L)}} C$$

$$\delta^{(l)} = (J^{(l)})^T (W^{(l+1)})^T \delta^{(l+1)}$$

$$\delta^{(l)} = (J^{(l+1)})^T (W^{(l+1)})^T \delta^{(l+1)}$$

where $J^{(l)}$ is the Jacobian of the activation at layer $l$.
"""


def test_a_letter_the_notes_name_the_activations_jacobian(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(JACOBIAN_NOTES, encoding="utf-8")
    found = [f for f in lint(str(notes)) if f.formula.startswith("\\delta")]
    assert [f.verdict for f in found] == ["holds", "holds", "fails"], [(f.verdict, f.reason) for f in found]
    assert all("read as the activation's Jacobian" in f.reason for f in found)
    unnamed = tmp_path / "unnamed.md"
    unnamed.write_text(JACOBIAN_NOTES.replace("is the Jacobian of the activation", "is a matrix"), encoding="utf-8")
    assert all(f.verdict == "skipped" for f in lint(str(unnamed)) if f.formula.startswith("\\delta"))


@pytest.mark.parametrize("formula,convention,verdict", [
    ("a^{1} = x", "nielsen", "holds"), ("a^{0} = x", "nielsen", "invalid"),
    ("A^{[0]} = X", "dls", "holds"), ("A^{[1]} = X", "dls", "invalid"),
])
def test_numbering_the_input_is_notation(formula, convention, verdict):
    result = check(formula, convention)
    assert result.verdict == verdict, result.text()
    if verdict == "invalid":
        assert "numbers the input as layer" in result.reason


@pytest.mark.parametrize("formula,verdict", [
    (r"\delta^L = (\frac{\partial a^L}{\partial z^L})^T \nabla_a C", "holds"),
    (r"\delta^L = \frac{\partial a^L}{\partial z^L} \nabla_a C", "holds"),       # symmetric: either layout
    (r"\delta^l = \frac{\partial a^l}{\partial z^l} (w^{l+1})^T \delta^{l+1}", "holds"),
    (r"\delta^l = \frac{\partial a^l}{\partial z^l} w^{l+1} \delta^{l+1}", "fails"),  # the transpose dropped
    (r"\delta^l = \frac{\partial a^{l+1}}{\partial z^{l+1}} (w^{l+1})^T \delta^{l+1}", "fails"),  # another layer
])
def test_the_activations_jacobian_is_read_in_either_layout(formula, verdict):
    assert check(formula, diagnose=False).verdict == verdict


@pytest.mark.parametrize("text,offset", [
    (r"z^{(O)} = W^{(O)} a^{(H)} + b^{(O)}", 0), (r"z^{H} = W^{H} x + b^H", 0),
    (r"z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}", 0), (r"z^{(l+1)} = \Theta^{(l)} a^{(l)}", -1),
    (r"z^{(O)} = W^{(H)} a^{(H)}", None),  # named after another layer than it feeds: not read
])
def test_a_forward_equation_says_which_layer_a_weight_is_named_after(text, offset):
    m = _DEFINES.search(text)
    if offset is None:
        assert m is None
    else:
        assert m and (0 if m.group("same") is not None or m.group("named") else -1) == offset


def test_another_number_for_the_input_is_a_mistake_not_notation():
    assert check("a^{2} = x", "nielsen", diagnose=False).verdict == "fails"
