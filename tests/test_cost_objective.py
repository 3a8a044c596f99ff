"""A derivative's numerator counts: in a batch convention the cost and the examples' summed losses differ by the
reduction's 1/m, and a formula is judged for the one it writes (issue 9, section 1).

In dls the course's dZ and dA are of the summed losses (no 1/m) and dW, db of the cost J = (1/m) sum of the
losses. Before, every cost letter was read as the convention's quantity, so dJ/dZ^[L] = A^[L] - Y "held"
though it is off by 1/m, and derive's own dls documents printed that line.
"""

from __future__ import annotations

import pytest

import derive

DLS = dict(convention="dls", loss="bce", output="sigmoid", hidden="tanh")
CS231N = dict(convention="cs231n", loss="cce", output="softmax", hidden="tanh")
NIELSEN = dict(convention="nielsen", loss="bce", output="sigmoid", hidden="tanh")
SUM = r"\sum_{t} \sum_{k} \left(- (1 - Y_{kt}) \ln(1 - A^{[L]}_{kt}) - Y_{kt} \ln(A^{[L]}_{kt})\right)"

CASES = [
    # (problem, formula, verdict, mistake the diagnosis names or None)
    (DLS, r"\frac{\partial J}{\partial Z^{[L]}} = A^{[L]} - Y", "fails", "1/m"),
    (DLS, r"\frac{\partial J}{\partial Z^{[L]}} = \frac{1}{m} (A^{[L]} - Y)", "holds", None),
    (DLS, r"\frac{\partial J}{\partial Z^{[L]}_{jt}} = A^{[L]}_{jt} - Y_{jt}", "fails", "1/m"),
    (DLS, r"\frac{\partial J}{\partial Z^{[L]}_{jt}} = \frac{1}{m} (A^{[L]}_{jt} - Y_{jt})", "holds", None),
    (DLS, r"\frac{\partial \mathcal{L}}{\partial Z^{[L]}} = A^{[L]} - Y", "holds", None),
    (DLS, r"\frac{\partial \mathcal{L}}{\partial Z^{[L]}} = \frac{1}{m} (A^{[L]} - Y)", "fails", None),
    (DLS, r"dZ^{[L]} = A^{[L]} - Y", "holds", None),
    (DLS, r"\frac{dL}{dZ^{[L]}} = A^{[L]} - Y", "holds", None),  # L for the loss, as dls notes write it
    (DLS, r"\frac{dL}{dZ^{[L]}} = \frac{1}{m} (A^{[L]} - Y)", "fails", None),
    # on the right: dJ/dZ carries the 1/m that dW needs, dL/dZ does not
    (DLS, r"dW^{[l]} = \frac{\partial J}{\partial Z^{[l]}} A^{[l-1]T}", "holds", None),
    (DLS, r"dW^{[l]} = \frac{1}{m} \frac{\partial J}{\partial Z^{[l]}} A^{[l-1]T}", "fails", None),
    (DLS, r"dW^{[l]} = \frac{1}{m} \frac{\partial \mathcal{L}}{\partial Z^{[l]}} A^{[l-1]T}", "holds", None),
    (DLS, r"\frac{\partial J}{\partial W^{[l]}_{jk}} = \sum_t \frac{\partial J}{\partial Z^{[l]}_{jt}} A^{[l-1]}_{kt}",
     "holds", None),
    (DLS, r"\frac{\partial J}{\partial W^{[l]}} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}", "holds", None),
    # the forward pass: J has the 1/m, the summed losses do not
    (DLS, r"J = \frac{1}{m} " + SUM, "holds", None),
    (DLS, r"\mathcal{L} = " + SUM, "holds", None),
    (DLS, r"\mathcal{L} = \frac{1}{m} " + SUM, "fails", None),
    # CS231n's dZ is of the cost L (with the 1/N): unchanged
    (CS231N, r"\frac{\partial L}{\partial Z^{(L)}} = \frac{1}{N} (P - Y)", "holds", None),
    (CS231N, r"\frac{\partial L}{\partial Z^{(L)}} = P - Y", "fails", "1/m"),
    # one example per column: Nielsen's C is that example's cost
    (NIELSEN, r"\frac{\partial C}{\partial z^L} = a^L - y", "holds", None),
]


@pytest.mark.parametrize("problem,formula,verdict,mistake", CASES)
def test_the_numerator_decides_the_scale(problem, formula, verdict, mistake):
    result = derive.check(formula, **problem)
    assert result.verdict == verdict, result.text()
    if mistake is not None:
        assert result.diagnosis and result.diagnosis["mistake"] == mistake, result.text()


REFUSED = [
    # a cost letter that is neither dls's J nor its summed losses: which one is meant is not guessed
    (DLS, r"\frac{\partial C}{\partial Z^{[L]}} = A^{[L]} - Y", "C is neither: write J or \\mathcal{L}"),
    (DLS, r"\frac{\partial E}{\partial Z^{[L]}} = \frac{1}{m} (A^{[L]} - Y)", "E is neither"),
    # dls's dW is of the cost: the summed losses' gradient is m times it, and is not what the course writes
    (DLS, r"\frac{\partial \mathcal{L}}{\partial W^{[l]}} = dZ^{[l]} A^{[l-1]T}", "the sum of the examples' losses"),
]


@pytest.mark.parametrize("problem,formula,reason", REFUSED)
def test_a_cost_letter_the_convention_does_not_define_is_refused(problem, formula, reason):
    result = derive.check(formula, **problem)
    assert result.verdict == "invalid" and reason in result.reason, result.text()


def test_the_factor_is_stated_and_the_counterexample_is_in_the_written_quantity():
    result = derive.check(r"\frac{\partial J}{\partial Z^{[L]}} = A^{[L]} - Y", **DLS)
    assert any("1/m times the sum of the examples' losses" in note for note in result.notes), result.text()
    example = result.counterexample
    # the expected value is dJ/dZ itself: the written right side is m = 3 times it
    assert abs(float(example["got"]) / float(example["expected"]) - 3) < 1e-9, example
