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
    assert sp.cancel(row.form - form) == 0


def test_every_valid_pair_is_decided():
    rows = table()
    assert len(rows) == 43  # 11 activations with mse, mse_mean and sse, 2 with bce, 4 with cce and with poisson
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
