"""The output layer: which loss/activation pairs give dE/dz^L = yhat - y, decided exactly, with sources."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.output_layer import WIDTH, YHAT, Y, analyse, table, tidy

CANONICAL = [
    # Bishop PRML eq. 5.18: linear outputs with the sum-of-squares error give delta_k = y_k - t_k
    ("mse", "identity", None),
    # Nielsen NNDL ch. 3 eq. (66): the cross-entropy cost with sigmoid outputs gives delta^L = a^L - y
    ("bce", "sigmoid", None),
    # Bishop PRML eq. 4.109 / CS231n softmax classifier: softmax + cross-entropy, for targets summing to 1
    ("cce", "softmax", "sum_k y_k = 1"),
    # GLM canonical link: Poisson with the exponential mean function (Bishop PRML sec. 4.3.6)
    ("poisson", "exp", None),
    # KL(y || yhat) is the cross-entropy less the targets' entropy, a constant: the same gradient as cce
    ("kl", "softmax", "sum_k y_k = 1"),
]

NOT_CANONICAL = [
    # Nielsen NNDL ch. 3, eq. (55): with the quadratic cost, delta^L = (a^L - y) sigma'(z^L)
    ("mse", "sigmoid", (YHAT - Y) * YHAT * (1 - YHAT)),
    ("mse", "tanh", (YHAT - Y) * (1 - YHAT ** 2)),
    ("mse", "exp", (YHAT - Y) * YHAT),
    ("cce", "sigmoid", -Y * (1 - YHAT)),
    ("poisson", "sigmoid", (YHAT - Y) * (1 - YHAT)),
    # the squared error without the 1/2 (sum (yhat - y)^2): never yhat - y, not even with a linear output
    ("sse", "identity", 2 * (YHAT - Y)),
    ("sse", "sigmoid", 2 * (YHAT - Y) * YHAT * (1 - YHAT)),
    # the quadratic cost averaged over the outputs, C = 1/(2 n_L) sum_j (a_j - y_j)^2 (XanNotZan's notes):
    # (a - y)/n_L, not yhat - y even with a linear output
    ("mse_mean", "identity", (YHAT - Y) / WIDTH),
    ("mse_mean", "sigmoid", (YHAT - Y) * YHAT * (1 - YHAT) / WIDTH),
    # torch.nn.HuberLoss (delta = 1): the gradient is clip(yhat - y, -1, 1)
    ("huber", "identity", sp.Piecewise((YHAT - Y, sp.Abs(YHAT - Y) <= 1), (sp.sign(YHAT - Y), True))),
    # the binary hinge max(0, 1 - y yhat): -y where the margin is violated, else 0
    ("hinge", "identity", sp.Piecewise((-Y, Y * YHAT < 1), (0, True))),
    # Lin et al. 2017's focal loss with gamma = 2, sigmoid outputs: not yhat - y (the (1 - p_t)^2 weight stays)
    ("focal", "sigmoid", 2 * Y * YHAT * (1 - YHAT) ** 2 * sp.log(YHAT)
     - 2 * (1 - Y) * YHAT ** 2 * (1 - YHAT) * sp.log(1 - YHAT) + (1 - Y) * YHAT ** 3 - Y * (1 - YHAT) ** 3),
]


@pytest.mark.parametrize("loss,act,condition", CANONICAL)
def test_canonical_pairs_reduce_to_yhat_minus_y(loss, act, condition):
    row = analyse(loss, act)
    assert row.canonical
    assert row.condition == condition
    assert sp.expand(row.form - (YHAT - Y)) == 0


@pytest.mark.parametrize("loss,act,form", NOT_CANONICAL)
def test_non_canonical_pairs_keep_their_residual_factor(loss, act, form):
    row = analyse(loss, act)
    assert not row.canonical
    assert row.witness is not None and abs(row.witness[-1]) > 1e-6  # a point where it differs from yhat - y
    points = [{YHAT: yh, Y: y} for yh in (-2, sp.Rational(1, 3), 3) for y in (-1, 1)]  # every piece of a Piecewise
    assert sp.cancel(row.form - form) == 0 if not form.has(sp.Piecewise) else \
        all(sp.cancel((row.form - form).subs(p)) == 0 for p in points)


def test_every_valid_pair_is_decided():
    rows = table()
    # 11 activations with mse, mse_mean, sse and huber, 2 with bce and focal, 4 with cce and with poisson, softmax with
    # kl and cce_smoothed, logsoftmax with nll, the 8 of unbounded range with hinge, the 4 of real range with svm
    assert len(rows) == 71
    assert {(r.loss, r.activation) for r in rows if r.canonical} == {(lo, a) for lo, a, _ in CANONICAL}


@pytest.mark.parametrize("expr,expected", [
    (-YHAT * (YHAT - 1) * (YHAT - Y), YHAT * (1 - YHAT) * (YHAT - Y)),
    ((Y - YHAT) / (YHAT * (YHAT - 1)), (YHAT - Y) / (YHAT * (1 - YHAT))),
])
def test_tidy_writes_textbook_signs(expr, expected):
    out = tidy(expr)
    assert sp.cancel(out - expr) == 0
    assert out == expected


def test_tidy_keeps_a_number_outside_the_difference():
    out = tidy(2 * YHAT - 2 * Y)
    assert sp.cancel(out - 2 * (YHAT - Y)) == 0
    assert isinstance(out, sp.Mul) and (YHAT - Y) in out.args
