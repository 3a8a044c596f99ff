"""The physics package's \\pdv{f}{x} and \\dv{f}{x}, which notes use as plain LaTeX (issue 9 sec. 2): read as the
fractions they print, only with both arguments braced; the one-argument operator form and the n-th derivative
are refused with the reason, never guessed."""

from __future__ import annotations

import pytest

from derive.check import check
from derive.formula.parse import FormulaError, parse

SAME = [  # (written with the package, written as the fraction)
    (r"\pdv{C}{b^l_j} = \delta^l_j", r"\frac{\partial C}{\partial b^l_j} = \delta^l_j"),
    (r"\pdv{C}{w^l_{jk}} = a^{l-1}_k \delta^l_j", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j"),
    (r"\dv{C}{b^l_j} = \delta^l_j", r"\frac{dC}{db^l_j} = \delta^l_j"),
    (r"\pdv{C}{z^l_j} = \sum_k \pdv{C}{z^{l+1}_k} w^{l+1}_{kj} \sigma'(z^l_j)",
     r"\frac{\partial C}{\partial z^l_j} = \sum_k \frac{\partial C}{\partial z^{l+1}_k} w^{l+1}_{kj} \sigma'(z^l_j)"),
    (r"\pdv{\pdv{C}{a^L_j}}{z^L_j} = 0", r"\frac{\partial \frac{\partial C}{\partial a^L_j}}{\partial z^L_j} = 0"),
]


@pytest.mark.parametrize("written,fraction", SAME)
def test_pdv_reads_as_the_fraction_it_prints(written, fraction):
    try:
        expected = parse(fraction)
    except FormulaError as exc:  # the fraction itself is refused: then so is the package's form, for that reason
        with pytest.raises(FormulaError) as refused:
            parse(written)
        assert str(refused.value) == str(exc)
        return
    assert parse(written) == expected


@pytest.mark.parametrize("formula,verdict", [
    (r"\pdv{C}{w^l_{jk}} = a^{l-1}_k \delta^l_j", "holds"),
    (r"\pdv{C}{w^l_{jk}} = a^{l}_k \delta^l_j", "fails"),
])
def test_a_pdv_claim_is_judged(formula, verdict):
    assert check(formula, "nielsen").verdict == verdict


@pytest.mark.parametrize("formula", [
    r"\pdv{w} C = 1",            # the operator form d/dw: not guessed as d w / d C
    r"\pdv[2]{C}{w} = 0",        # an n-th derivative
    r"\pdv*{C}{b} = 1",          # the starred (inline) form
    r"\pdv{C} = \delta",
])
def test_other_forms_are_refused_with_the_reason(formula):
    with pytest.raises(FormulaError, match=r"two braced arguments"):
        parse(formula)
    assert check(formula, "nielsen").verdict == "invalid"
