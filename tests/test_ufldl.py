"""UFLDL's convention: W^(l) and b^(l) both feed layer l+1 (z^(l+1) = W^(l) a^(l) + b^(l)), so its bias gradient
is grad_{b^(l)} J = delta^(l+1). Before the bias_offset field, a bias was always named after the layer it feeds,
and UFLDL's correct formulas failed (or applied to no layer). Formulas as the tutorial and the CS294A notes
write them, with the mistakes a reader makes when carrying Nielsen's naming over."""

from __future__ import annotations

import pytest

import derive
from derive.conventions import PRESETS

UFLDL = dict(convention="ufldl", loss="mse", output="sigmoid", hidden="sigmoid")

CASES = [
    # (formula, verdict)
    (r"z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}", "holds"),
    (r"z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l+1)}", "fails"),              # the bias named after its layer
    (r"\delta^{(L)} = -(y - a^{(L)}) \bullet f'(z^{(L)})", "holds"),
    (r"\delta^{(l)} = ((W^{(l)})^T \delta^{(l+1)}) \bullet f'(z^{(l)})", "holds"),
    (r"\delta^{(l)} = ((W^{(l+1)})^T \delta^{(l+1)}) \bullet f'(z^{(l)})", "fails"),  # Nielsen's index
    (r"\nabla_{W^{(l)}} J(W,b;x,y) = \delta^{(l+1)} (a^{(l)})^T", "holds"),
    (r"\nabla_{b^{(l)}} J(W,b;x,y) = \delta^{(l+1)}", "holds"),
    (r"\nabla_{b^{(l)}} J(W,b;x,y) = \delta^{(l)}", "fails"),
    (r"\frac{\partial J}{\partial b_i^{(l)}} = \delta_i^{(l+1)}", "holds"),
    (r"\frac{\partial J}{\partial b_i^{(l)}} = \delta_i^{(l)}", "fails"),
    (r"\frac{\partial z_i^{(l+1)}}{\partial b_i^{(l)}} = 1", "holds"),
    (r"\frac{\partial z_i^{(l+1)}}{\partial b_j^{(l)}} = 1", "fails"),
    (r"\frac{\partial J}{\partial W_{ij}^{(l)}} = a_j^{(l)} \delta_i^{(l+1)}", "holds"),
]


@pytest.mark.parametrize("formula,verdict", CASES)
def test_ufldl_formulas(formula, verdict):
    result = derive.check(formula, **UFLDL, diagnose=False)
    assert result.verdict == verdict, result.text()


def test_the_bias_is_printed_with_its_own_offset():
    from derive.layers import Layer
    from derive.printing import NotationPrinter
    from derive.symbols import l
    ufldl, nielsen = PRESETS["ufldl"], PRESETS["nielsen"]
    assert NotationPrinter(ufldl).doprint(Layer(ufldl).b(l + 1)) == "b^{(l)}"  # the bias that feeds layer l+1
    assert NotationPrinter(nielsen).doprint(Layer(nielsen).b(l + 1)) == "b^{l+1}"


def test_a_bias_offset_in_a_file_is_checked():
    from derive.errors import DeriveError
    with pytest.raises(DeriveError, match="bias_offset"):
        derive.conventions.Convention("x", "y", bias_offset="-1")
