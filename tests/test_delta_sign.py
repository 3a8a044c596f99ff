"""A delta of the opposite sign (``delta_sign = -1``: delta is -dE/dz, as Haykin's local gradient, Mitchell's
backpropagation and the delta rule define it): the checker judges such notes against the forward pass, and every
formula with the usual sign fails; derivations, which write delta = dE/dz, refuse the setting with the reason."""

from __future__ import annotations

import pytest

import derive
from derive.conventions import from_dict
from derive.errors import DeriveError

MITCHELL = from_dict({"base": "nielsen", "name": "mitchell", "delta_sign": -1})
HAYKIN = from_dict({"base": "bishop", "name": "haykin", "delta_sign": -1})

CASES = [  # (formula, convention, output, hidden, verdict): each holding one, with the sign flipped, fails
    (r"\delta^L = (y - a^L) \odot \sigma'(z^L)", MITCHELL, "sigmoid", "sigmoid", "holds"),
    (r"\delta^L = (a^L - y) \odot \sigma'(z^L)", MITCHELL, "sigmoid", "sigmoid", "fails"),
    (r"\delta^L = (a^L - y) \odot \sigma'(z^L)", "nielsen", "sigmoid", "sigmoid", "holds"),
    # the recursion is linear in delta: the same with either sign
    (r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)", MITCHELL, "sigmoid", "sigmoid", "holds"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = -a^{l-1}_k \delta^l_j", MITCHELL, "sigmoid", "sigmoid", "holds"),
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", MITCHELL, "sigmoid", "sigmoid", "fails"),
    (r"\delta_k = t_k - y_k", HAYKIN, "identity", "tanh", "holds"),
    (r"\delta_k = y_k - t_k", HAYKIN, "identity", "tanh", "fails"),
    (r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", HAYKIN, "identity", "tanh", "holds"),
]


@pytest.mark.parametrize("formula,convention,output,hidden,verdict", CASES)
def test_a_delta_of_the_opposite_sign_is_judged_with_it(formula, convention, output, hidden, verdict):
    result = derive.check(formula, convention=convention, loss="mse", output=output, hidden=hidden)
    assert result.verdict == verdict, result.text()


def test_a_derivation_refuses_the_opposite_sign_with_the_reason():
    with pytest.raises(DeriveError, match="delta_sign = -1"):
        derive.derive(MITCHELL, "mse", "sigmoid", "sigmoid")


@pytest.mark.parametrize("data,reason", [({"delta_sign": 0}, "not 0"), ({"delta_sign": 2}, "delta_sign"),
                                         ({"delta_sign": "-1"}, "delta_sign"),
                                         ({"delta_sign": -1, "delta_wrt": "a"}, "delta_wrt")])
def test_the_sign_is_checked(data, reason):
    with pytest.raises(DeriveError, match=reason):
        from_dict({"base": "nielsen", "name": "x", **data})
