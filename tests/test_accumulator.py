"""Ng's accumulator Delta^(l) (lecture 9, ex4 sec. 2.3): Delta := Delta + delta^(l+1) (a^(l))^T over the examples is
read as its total, the sum over the examples of what each adds, and judged against the forward pass: the examples'
summed weight gradients without the L2 penalty (``truth.summed_losses_gradient``). D^(l) = Delta^(l)/m (+ the
penalty for j != 0) is then a claim about the cost's gradient like any other."""

from __future__ import annotations

import mpmath
import pytest

import derive
from derive.conventions import from_dict
from derive.formula.verdict import _network
from derive.problem import Problem

NG = {"convention": "ng", "loss": "bce", "output": "sigmoid", "hidden": "sigmoid"}
NG_L2 = {**NG, "convention": from_dict({"base": "ng", "name": "ng-l2", "l2": 0.1})}

CASES = [  # (formula, settings, verdict, the diagnosis's mistake or None)
    (r"\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)} (a^{(l)})^T", NG, "holds", None),
    (r"\Delta^{(l)}_{ij} := \Delta^{(l)}_{ij} + a^{(l)}_j \delta^{(l+1)}_i", NG, "holds", None),
    (r"\Delta^{(l)} \leftarrow \delta^{(l+1)} (a^{(l)})^T + \Delta^{(l)}", NG, "holds", None),
    (r"\Delta^{(l)} \mathrel{+}= \delta^{(l+1)} (a^{(l)})^T", NG, "holds", None),
    (r"\Delta^{(l)}_{ij} += a^{(l)}_j \delta^{(l+1)}_i", NG, "holds", None),
    ("Delta1 = Delta1 + delta2 * a1';", NG, "holds", None),
    (r"D^{(l)} = \frac{1}{m}\Delta^{(l)}", NG, "holds", None),
    (r"\frac{\partial}{\partial \Theta^{(l)}_{ij}} J(\Theta) = D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij}", NG,
     "holds", None),
    # what each example adds, edited: the delta's layer, the activation untransposed, the indices swapped
    (r"\Delta^{(l)} := \Delta^{(l)} + \delta^{(l)} (a^{(l)})^T", NG, "fails", "layer index"),
    (r"\Delta^{(l)} := \Delta^{(l)} + \delta^{(l+1)} a^{(l)}", NG, "fails", "transpose"),
    (r"\Delta^{(l)} := \Delta^{(l)} + a^{(l)} (\delta^{(l+1)})^T", NG, "fails", "transpose"),
    (r"\Delta^{(l)}_{ij} := \Delta^{(l)}_{ij} + a^{(l)}_i \delta^{(l+1)}_j", NG, "fails", None),
    (r"\Delta^{(l)} := \Delta^{(l)} + 2 \delta^{(l+1)} (a^{(l)})^T", NG, "fails", None),
    (r"D^{(l)} = \Delta^{(l)}", NG, "fails", "1/m"),
    # the regularised gradient (ex4 sec. 2.5): the penalty (lambda/m) Theta on every column but the bias's
    (r"D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij} + \frac{\lambda}{m} \Theta^{(l)}_{ij} \quad \text{if } j \neq 0",
     NG_L2, "holds", None),
    (r"D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij} \quad \text{if } j = 0", NG_L2, "holds", None),
    (r"D^{(l)}_{ij} = \frac{1}{m}\Delta^{(l)}_{ij} \quad \text{if } j \neq 0", NG_L2, "fails", None),
    # the lecture slide's lambda Theta, without the 1/m its own cost's lambda/(2m) gives
    (r"D^{(l)}_{ij} := \frac{1}{m}\Delta^{(l)}_{ij} + \lambda \Theta^{(l)}_{ij} \quad \text{if } j \neq 0", NG_L2,
     "fails", "L2 penalty 1/m"),
]


@pytest.mark.parametrize("formula,settings,verdict,mistake", CASES)
def test_the_accumulation_is_judged_as_its_total(formula, settings, verdict, mistake):
    result = derive.check(formula, **settings)
    assert result.verdict == verdict, result.text()
    if mistake is not None:
        assert result.diagnosis and result.diagnosis["mistake"] == mistake, result.text()


def test_the_corrected_formula_keeps_its_condition():
    result = derive.check(r"D^{(l)}_{ij} := \frac{1}{m}\Delta^{(l)}_{ij} + \lambda \Theta^{(l)}_{ij} \quad "
                          r"\text{if } j \neq 0", **NG_L2)
    assert result.diagnosis["corrected"] == (r"D^{(l)}_{ij} := \frac{1}{m} \Delta^{(l)}_{ij} + \frac{\lambda}{m} "
                                             r"\Theta^{(l)}_{ij} \quad \text{if } j \neq 0")


REFUSED = [  # (formula, settings, part of the reason)
    (r"\Delta^{(l)}_{ij} := 0", NG, "sets"),
    (r"\Delta^{(l)} = 0", NG, "where the sum over the examples starts"),
    (r"\Delta^{(l)} := \Delta^{(l)} - \delta^{(l+1)} (a^{(l)})^T", NG, "update"),
    (r"D^{(l)} := D^{(l)} + \delta^{(l+1)} (a^{(l)})^T", NG, "update"),  # only the accumulator accumulates
    (r"\Delta^l = \delta^{l+1} (a^l)^T", {**NG, "convention": "nielsen"}, "unknown symbol"),  # Nielsen has none
    (r"\Delta^{l} := \Delta^{l} + \delta^{l} (a^{l-1})^T",  # one example per network: no sum to accumulate
     {**NG, "convention": from_dict({"base": "nielsen", "name": "n", "notation": {"accumulator": r"\Delta^@"}})},
     "for one example"),
]


@pytest.mark.parametrize("formula,settings,reason", REFUSED)
def test_what_is_not_an_accumulation_is_refused_with_the_reason(formula, settings, reason):
    result = derive.check(formula, **settings)
    assert result.verdict == "invalid" and reason in result.reason, result.text()


@pytest.mark.parametrize("settings", [NG, NG_L2], ids=["no penalty", "l2"])
def test_the_accumulators_truth_is_the_summed_losses_gradient(settings):
    """Delta's truth is m times the cost's gradient without the penalty (the mean's 1/m undone): taken from the
    network drawn without the penalty, whose weights are the same draws."""
    problem = Problem.make(settings["convention"], "bce", "sigmoid", "sigmoid")
    plain = Problem.make("ng", "bce", "sigmoid", "sigmoid")
    net, _, truth, _ = _network(problem, 4, 0, accumulated=True)
    other, _, unpenalised, _ = _network(plain, 4, 0)
    assert net.widths == other.widths and net.weights == other.weights
    with mpmath.workdps(50):
        for (kind, layer), value in truth.items():
            if kind == "accumulated":
                want = unpenalised[("grad_weight", layer)] * net.m
                assert mpmath.mnorm(value - want, 1) <= mpmath.mpf(10) ** -40 * mpmath.mnorm(want, 1)
    assert sum(kind == "accumulated" for kind, _ in truth) == net.depth
