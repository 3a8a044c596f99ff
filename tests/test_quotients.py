"""A fraction with a differential below and none above is a quotient, not a derivative (formula/quotients.py): the
formula fails as written, with the mistake named and the derivative it was meant to be; every real derivative,
operator form and ordinary fraction is left alone."""

from __future__ import annotations

import pytest

from derive.check import check
from derive.formula.quotients import meant, quotient_as_derivative

QUOTIENTS = [  # (formula, the fraction as written, as meant)
    (r"\frac{C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", r"\frac{C}{\partial w^l_{jk}}",
     r"\frac{\partial C}{\partial w^l_{jk}}"),
    (r"\frac{Co}{dw_L} = \frac{z_L}{dw_L} \frac{a_L}{dz_L} \frac{Co}{da_L}", r"\frac{Co}{dw_L}", r"\frac{dCo}{dw_L}"),
    (r"\dfrac{E}{\partial a_k} = \delta_k", r"\dfrac{E}{\partial a_k}", r"\dfrac{\partial E}{\partial a_k}"),
    (r"\delta^l_j = \frac{C}{\mathrm{d} z^l_j}", r"\frac{C}{\mathrm{d} z^l_j}",
     r"\frac{\mathrm{d}C}{\mathrm{d} z^l_j}"),
]
DERIVATIVES = [r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", r"\frac{dC}{dz^L} = a^L - y",
               r"\frac{\partial}{\partial W^{(l)}} J = 1", r"\frac{d}{dz} \sigma(z) = \sigma(z)(1 - \sigma(z))",
               r"\frac{1}{d_\ell} \sum_j x_j = y", r"\delta^L = \frac{1}{n} (a^L - y)", r"\frac{1}{\partial x} = y",
               r"\frac{\delta C}{\delta w} = x"]


@pytest.mark.parametrize("formula,written,derivative", QUOTIENTS)
def test_a_quotient_written_for_a_derivative_fails_named(formula, written, derivative):
    assert quotient_as_derivative(formula) == (written, derivative)
    result = check(formula)
    assert result.verdict == "fails" and written in result.reason
    assert result.diagnosis["mistake"] == "numerator without its differential"
    assert derivative in result.diagnosis["corrected"] and written not in result.diagnosis["corrected"]


@pytest.mark.parametrize("formula", DERIVATIVES)
def test_derivatives_and_fractions_are_left_alone(formula):
    assert quotient_as_derivative(formula) is None
    assert meant(formula) == formula


def test_the_corrected_formula_is_judged_on_its_own():
    """The correction restores every numerator; the formula it gives is an ordinary claim that check judges."""
    fixed = meant(QUOTIENTS[0][0])
    assert fixed == r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j" and check(fixed).holds


def test_a_text_longer_than_any_formula_is_not_scanned():
    from derive.formula.parse import MAX_CHARS
    long = r"\frac{C}{\partial w} = " + "x + " * (MAX_CHARS // 4)
    assert len(long) > MAX_CHARS and quotient_as_derivative(long) is None
    assert quotient_as_derivative(long[:MAX_CHARS]) is not None
