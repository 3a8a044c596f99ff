"""CS231n's multiclass SVM loss (``svm``): L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + 1), a loss of the whole score
vector. Its value and gradient against a hand-computed example (CS231n lecture 3's three images), the record's
gradient against SymPy's derivative of its value, the truth's tape, the forward pass and torch against the same
numbers, the output layer's verdict and the table's row, verification of the engine's formulas (and its failure on
the mistakes people make), the drawn networks' margins, the document's words and the checker's refusal of the
indicator it cannot read."""

from __future__ import annotations

import dataclasses
import random

import mpmath
import pytest
import sympy as sp

from derive.api import derive, verify
from derive.chain import derive as derive_problem
from derive.check import check
from derive.errors import DeriveError
from derive.losses import LOSSES, Components, Lists, loss
from derive.network import _example
from derive.output_layer import analyse
from derive.problem import Problem
from derive.table import render
from derive.to_mpmath import _step
from derive.truth import Tape, _tape_example
from derive.verification import draw_network, misses_a_margin

SVM = LOSSES["svm"]
R = sp.Rational

# CS231n (2017) lecture 3, "Loss Functions and Optimization": scores of a cat, a car and a frog image over the classes
# (cat, car, frog), Delta = 1; the losses 2.9, 0 and 12.9 (mean 5.27), and the gradients worked by hand from
# dL_i/ds_j = [s_j - s_{y_i} + 1 > 0] (j != y_i), dL_i/ds_{y_i} = -(the number of positive margins)
SLIDES = [  # (scores, correct class, L_i, dL_i/ds)
    ((R("3.2"), R("5.1"), R("-1.7")), 0, R("2.9"), (-1, 1, 0)),   # car's margin 2.9 > 0, frog's -3.9
    ((R("1.3"), R("4.9"), R("2.0")), 1, R(0), (0, 0, 0)),          # margins -2.6 and -1.9: no loss, no gradient
    ((R("2.2"), R("2.5"), R("-3.1")), 2, R("12.9"), (1, 1, -2)),  # margins 6.3 and 6.6
]


def onehot(c: int, k: int = 3) -> list[int]:
    return [int(i == c) for i in range(k)]


def test_the_names():
    assert loss("svm") is loss("multiclass_hinge") is loss("CS231n-SVM") is SVM
    assert loss("hinge") is not SVM and not SVM.elementwise and LOSSES["hinge"].elementwise


@pytest.mark.parametrize("scores,correct,value,gradient", SLIDES)
def test_the_slides_example_by_hand(scores, correct, value, gradient):
    y = onehot(correct)
    assert SVM.value(Lists(), list(scores), y) == value
    assert SVM.grad(Lists(), list(scores), y) == list(gradient)


def test_the_slides_mean_loss():
    assert sum(SVM.value(Lists(), list(s), onehot(c)) for s, c, _, _ in SLIDES) / 3 == R("15.8") / 3  # 5.27


@pytest.mark.parametrize("scores,correct,value,gradient", SLIDES)
def test_truth_tape_and_forward_pass_on_the_slides(scores, correct, value, gradient):
    # the truth compiles the record's value only (never its grad): one backward sweep gives the gradient
    y = [mpmath.mpf(v) for v in onehot(correct)]
    with mpmath.workdps(50):
        tape = Tape()
        s = [tape.var(mpmath.mpf(x.p) / x.q) for x in scores]
        E = _tape_example(SVM, 3)(*s, *y)
        assert abs(getattr(E, "v", E) - mpmath.mpf(value.p) / value.q) < 1e-45
        if any(gradient):
            adj = tape.backward(E)
            assert [adj[x.i] for x in s] == list(gradient)
        forward = _example(SVM, 3)(*[mpmath.mpf(x.p) / x.q for x in scores], *y)
        assert abs(forward - mpmath.mpf(value.p) / value.q) < 1e-45


def test_torch_multi_margin_loss_is_the_mean_over_the_classes():
    torch = pytest.importorskip("torch")
    from derive.torch_truth import _loss_terms
    S = torch.tensor([[float(x) for x in s] for s, _, _, _ in SLIDES], dtype=torch.float64, requires_grad=True)
    Y = torch.tensor([onehot(c) for _, c, _, _ in SLIDES], dtype=torch.float64)
    plain = torch.nn.functional.multi_margin_loss(S, Y.argmax(dim=1), p=1, margin=1.0, reduction="none")
    assert torch.allclose(plain * 3, torch.tensor([float(v) for _, _, v, _ in SLIDES], dtype=torch.float64))
    ours = _loss_terms(torch, "svm", S, Y, 3, dim=1)  # examples as rows: K times torch's mean over the classes
    ours.sum().backward()
    assert torch.allclose(ours, plain * 3)
    assert S.grad.tolist() == [list(map(float, g)) for _, _, _, g in SLIDES]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_the_gradient_is_the_derivative_of_the_value(k, rng: random.Random):
    s, y = sp.symbols(f"s0:{k}", real=True), onehot(rng.randrange(k), k)
    value, grad = SVM.value(Lists(), list(s), y), SVM.grad(Lists(), list(s), y)
    for _ in range(4):
        point = {x: R(rng.randint(-30, 30), 10) + R(u + 1, 97) for u, x in enumerate(s)}  # no margin is 0 here
        assert all(m != 0 for m in SVM.margins([point[x] for x in s], y))
        for j in range(k):
            assert sp.diff(value, s[j]).xreplace(point) == grad[j].xreplace(point)


def test_no_derivative_on_a_tie():
    assert _step(mpmath.mpf("0.5")) == 1 and _step(mpmath.mpf(-2)) == 0
    with pytest.raises(DeriveError, match="exactly 0"):
        _step(mpmath.mpf(0))


def test_the_index_form_of_the_gradient():
    # component j written with sums over the n classes (the documents' form) gives the list form's numbers
    s, y = sp.IndexedBase("s"), sp.IndexedBase("y")
    j, n = sp.Symbol("j", integer=True, nonnegative=True), sp.Symbol("n", integer=True, positive=True)
    form = SVM.grad(Components(n, ("k", "i")), lambda u: s[u], lambda u: y[u])(j)
    scores, correct, _, gradient = SLIDES[2]  # the frog
    values = {s[u]: scores[u] for u in range(3)} | {y[u]: onehot(correct)[u] for u in range(3)}
    assert [form.xreplace({n: 3, j: u}).doit().xreplace(values) for u in range(3)] == list(gradient)


# ---------------------------------------------------------------- the output layer and the table

@pytest.mark.parametrize("output", ["identity", "leaky_relu", "silu", "gelu"])
def test_never_canonical_with_a_witness(output):
    od = analyse("svm", output)
    assert od.whole and not od.canonical and od.form is None and od.condition is None
    zs, ys, value = od.witness
    assert ys == (1, 0, 0) and abs(value) > 1e-12


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "softmax", "relu", "logsoftmax"])
def test_outputs_that_are_not_real_scores_are_refused(output):
    with pytest.raises(DeriveError, match=f"loss svm is not defined for {output}"):
        Problem.make("cs231n", "svm", output, "tanh")


def test_the_table_rows():
    cs231n = Problem.make("cs231n", "svm", "identity", "tanh").convention
    text = render(cs231n, "text", loss="svm").splitlines()
    assert [r.split()[:3] for r in text[2:]] == [["svm", o, "no"] for o in ("identity", "leaky_relu", "silu", "gelu")]
    svm = render(cs231n, "md", loss="svm").splitlines()[2]
    # CS231n's dZ: the bracket of each positive margin, less the correct class's count of them, over N
    assert svm.startswith("| svm | identity |") and svm.endswith("| no |  |")
    assert r"\frac{1}{N}" in svm and r"\left[1 + P - (P \odot Y) \mathbf{1} > 0\right]" in svm


# ---------------------------------------------------------------- the engine against the truth, and its mistakes

@pytest.mark.parametrize("conv,output", [("cs231n", "identity"), ("nielsen", "identity"), ("dls", "leaky_relu")])
def test_verified_against_truth_and_torch(conv, output):
    torch = pytest.importorskip("torch") is not None
    report = verify(derive(conv, "svm", output, "tanh"), layers=3, trials=1, torch=torch)
    assert report.ok and max(report.errors.values()) < 1e-12, report.text()


def _without_bracket(o, s, y):  # every margin counted as positive: (1 - y) - (K - 1) y
    hit = o.map(lambda yj: 1 - yj, y)
    return o.map(lambda h, yj, n: h - yj * n, hit, y, o.across(hit))


def _without_correct_class(o, s, y):  # dL/ds_{y_i} left at 0
    hit = SVM.grad(o, s, y)
    return o.map(lambda g, yj, h: g + yj * h, hit, y, o.across(o.map(lambda g, yj: (1 - yj) * g, hit, y)))


def _correct_class_added(o, s, y):  # + the count at the correct class instead of -
    hit = o.map(lambda g, yj: (1 - yj) * g, SVM.grad(o, s, y), y)
    return o.map(lambda h, yj, n: h + yj * n, hit, y, o.across(hit))


@pytest.mark.parametrize("mistake", [_without_bracket, _without_correct_class, _correct_class_added])
def test_a_wrong_gradient_fails_verification(mistake):
    wrong = dataclasses.replace(SVM, grad=mistake)
    right = Problem.make("cs231n", "svm", "identity", "tanh")
    report = verify(derive_problem(dataclasses.replace(right, loss=wrong)), layers=2, trials=2, components=False)
    assert not report.ok


@pytest.mark.parametrize("conv", ["nielsen", "cs231n", "bishop"])
def test_drawn_networks_meet_both_signs_away_from_zero(conv):
    problem = Problem.make(conv, "svm", "leaky_relu", "relu")
    for seed in range(3):
        net, fwd = draw_network(problem, 3, seed)
        assert not misses_a_margin(net, fwd.A[net.output_label], net.Y)


def test_a_tie_is_told():
    net, fwd = draw_network(Problem.make("cs231n", "svm", "identity", "tanh"), 2, 0)
    A = fwd.A[net.output_label].copy()
    correct = [max(range(A.cols), key=lambda c: net.Y[0, c])][0]
    other = (correct + 1) % A.cols
    A[0, other] = A[0, correct] - 1  # s_j - s_{y_i} + 1 = 0: the loss bends there
    assert misses_a_margin(net, A, net.Y)


# ---------------------------------------------------------------- the document and the checker

def test_the_cs231n_document_steps():
    from derive.doc import _cost
    from derive.printing import NotationPrinter
    from derive.steps import output_steps
    d = derive("cs231n", "svm", "identity", "sigmoid")
    tex = NotationPrinter(d.problem.convention).doprint
    (_, cost), = _cost(d, tex)
    assert r"\frac{1}{N} \sum_{t} \sum_{j} (1 - Y_{tj}) \max\left(0, 1 + P_{tj} - \sum_{k} P_{tk} Y_{tk}\right)" in cost
    lines = output_steps(d, tex)
    grad = next(line for line in lines if line.why.startswith("differentiate the cost"))
    assert grad.rhs == (r"\frac{(1 - Y_{tj}) \left[1 + P_{tj} - \sum_{k} P_{tk} Y_{tk} > 0\right] - \left(\sum_{i} "
                        r"(1 - Y_{ti}) \left[1 + P_{ti} - \sum_{k} P_{tk} Y_{tk} > 0\right]\right) Y_{tj}}{N}")
    assert lines[-1].rhs == grad.rhs  # an identity output: the loss's own derivative


@pytest.mark.parametrize("formula,verdict", [
    (r"dZ^{(L)} = \frac{1}{N} (P - Y)", "fails"),  # the canonical pair's form is not the SVM's gradient
    (r"dZ^{(L)} = \frac{1}{N} (1 - Y)", "fails"),  # the indicator dropped, the correct class's count too
])
def test_the_checker_fails_what_is_not_the_gradient(formula, verdict):
    assert check(formula, "cs231n", "svm", "identity", diagnose=False).verdict == verdict


@pytest.mark.parametrize("formula,reason", [
    (r"dZ^{(L)}_{tj} = \frac{1}{N} (1 - Y_{tj}) \left[1 + P_{tj} - \sum_{k} P_{tk} Y_{tk} > 0\right]",
     "Iverson bracket"),
    (r"dZ^{(L)}_{tj} = \frac{1}{N} (1 - Y_{tj}) \mathbb{1}(P_{tj} - \sum_{k} P_{tk} Y_{tk} + 1 > 0)", r"\mathbb"),
])
def test_the_checker_refuses_the_indicator_it_cannot_read(formula, reason):
    # a network's formula reads no bracket of values: the indicator is refused with the reason, never guessed at
    result = check(formula, "cs231n", "svm", "identity")
    assert result.verdict == "invalid" and reason in result.reason
