"""A condition on a forward quantity's value (ReLU's derivative: 1 for a^l > 0, 0 otherwise), judged entry by
entry where it holds, for claims about the forward pass; what it cannot restrict is refused with the reason."""

from __future__ import annotations

import pytest

import derive

CASES = r"\sigma'(z^{l}) = \begin{cases} %s & \text{for}\: %s \\ %s & \text{otherwise} \end{cases}"

JUDGED = [  # (formula, hidden activation, verdict)
    (CASES % ("1", "a^{l} > 0", "0"), "relu", "holds"),         # as derive's own documents print it
    (CASES % ("1", "z^{l} > 0", "0"), "relu", "holds"),
    (CASES % ("1", "a^{l} > 0", "\\frac{1}{100}"), "leaky_relu", "holds"),
    (CASES % ("1", "a^{l} > 0", "a^{l} + 1"), "elu", "holds"),    # e^z = a + 1 where z < 0
    (CASES % ("1", "a^{l} > 0", "1"), "relu", "fails"),
    (CASES % ("0", "a^{l} > 0", "0"), "relu", "fails"),
    (CASES % ("1", "z^{l} < 0", "0"), "relu", "fails"),           # the condition's direction counts
    (CASES % ("1", "a^{l} > 0", "a^{l}"), "elu", "fails"),
    (r"\sigma'(z^l_j) = 1 \quad \text{if } z^l_j > 0", "relu", "holds"),
    (r"\sigma'(z^l_j) = 0 \quad \text{if } z^l_j < 0", "relu", "holds"),
    (r"\sigma'(z^l_j) = 1 \quad \text{if } z^l_j \geq 0", "relu", "holds"),  # no z is exactly 0 on random draws
    (r"\sigma'(z^l_j) = 1 \quad \text{if } z^l_j < 0", "relu", "fails"),
    (r"\sigma'(z^l) = 1", "relu", "fails"),                       # without its condition
]


@pytest.mark.parametrize("formula,hidden,verdict", JUDGED)
def test_a_value_condition_restricts_the_entries_judged(formula, hidden, verdict):
    result = derive.check(formula, hidden=hidden)
    assert result.verdict == verdict, result.text()


REFUSED = [  # (formula, part of the reason)
    (r"\delta^l_j = 0 \quad \text{if } a^l_j > 0", "not for a gradient's formula"),
    (r"\sigma'(z^{l}) = 1 \quad \text{for } a^{l+1} > 0", "not of the left side's shape"),
    (r"\sigma'(z^{l}) = 1 \quad \text{for } a^{l} > 100", "holds at no component"),
    (CASES % ("1", "a^{l} < 0", "0"), "holds at no component"),  # a ReLU's output is never negative
    (r"\sigma'(z^{l}) = 1 \quad \text{for } w^{l} > 0", "not a forward quantity"),
]


@pytest.mark.parametrize("formula,reason", REFUSED)
def test_what_a_value_condition_cannot_restrict_is_refused(formula, reason):
    result = derive.check(formula, hidden="relu")
    assert result.verdict == "invalid" and reason in result.reason, result.text()


def test_a_range_of_layers_stays_prose():
    result = derive.check(r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l) \quad\text{for } l = L-1, ..., 2")
    assert result.verdict == "holds" and result.condition is None, result.text()
