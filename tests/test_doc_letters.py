"""How documents write functions and losses (issue 12). One letter per function: with a tanh hidden layer
and a sigmoid output, sigma must not write both sigma'(z^l) = 1 - (a^l)^2 and sigma'(z^L) = a^L (1 - a^L).
Losses as sources write them: -sum_k [y ln yhat + (1 - y) ln(1 - yhat)]."""

from __future__ import annotations

import re

import pytest

from derive.cli import main

CASES = [
    # (convention, output, hidden, the hidden's derivative as printed, the output's as printed)
    ("nielsen", "sigmoid", "tanh", r"\sigma'", r"\operatorname{sigmoid}'"),
    ("nielsen", "identity", "sigmoid", r"\sigma'", r"\operatorname{id}'"),
    ("ng", "sigmoid", "relu", r"g'", r"\sigma'"),
    ("ng", "sigmoid", "sigmoid", r"g'", r"g'"),  # one function: the convention's letter throughout
]


@pytest.mark.parametrize("conv,output,hidden,hidden_d,output_d", CASES)
def test_each_activation_has_its_own_letter(capsys, conv, output, hidden, hidden_d, output_d):
    loss = "bce" if output == "sigmoid" else "mse"
    assert main(["doc", "--convention", conv, "--loss", loss, "--activation", output, "--hidden", hidden]) == 0
    text = capsys.readouterr().out.split("in other conventions")[0]  # the other conventions use their letters
    at = lambda layer: {m.group(1) for m in re.finditer(r"(\\[A-Za-z]+(?:\{[a-z]+\})?'|\b[gfh]')(?:\\left)?\(z\^\{?\(?"
                                                         + layer + r"\)?\}?", text)}  # noqa: E731
    assert at("L") == {output_d}, at("L")
    assert at("l") == {hidden_d}, at("l")
    if hidden_d != output_d:
        assert f"(hidden layers: {hidden})" in text or hidden == "sigmoid"


def test_a_loss_written_with_its_minus_in_front_is_the_same_loss():
    import sympy as sp

    from derive.losses import LOSSES
    yh, y = sp.symbols("yhat y", positive=True)
    written = [loss for loss in LOSSES.values() if loss.negated]
    assert {loss.name for loss in written} == {"bce", "cce", "focal", "nll", "cce_smoothed"}
    for loss in written:
        assert sp.simplify(loss.term(yh, y) + loss.negated(yh, y)) == 0, loss.name
