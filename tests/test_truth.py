"""Ground truth (reverse mode and finite differences) against exact SymPy derivatives, hand-derived formulas
and PyTorch; tests/test_truth_reverse.py covers the reverse mode on every registered problem."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import mpmath
import pytest

from derive.conventions import PRESETS
from derive.errors import DeriveError
from derive.network import default_m, forward, random_network
from derive.problem import Problem
from derive.truth import ground_truth, scales

METHODS = ("reverse", "fd")  # the two that work at any depth

OUTPUT_FOR = {"mse": "identity", "bce": "sigmoid", "cce": "softmax", "poisson": "exp", "huber": "identity",
              "kl": "softmax", "focal": "sigmoid", "nll": "logsoftmax", "cce_smoothed": "softmax", "hinge": "identity"}


def make(conv, loss="mse", output=None, hidden="sigmoid", widths=(2, 4, 2), m=None, seed=0, l2=0.0):
    conv = dataclasses.replace(PRESETS[conv], l2=l2) if isinstance(conv, str) else conv
    return random_network(Problem.make(conv, loss, output or OUTPUT_FOR[loss], hidden), widths, m, seed)


def assert_agree(got, want, rtol, floor=1e-8):
    """Same keys and shapes; every entry within rtol of the larger of |want| and ``floor`` x its matrix's scale."""
    assert got.keys() == want.keys()
    with mpmath.workdps(40):
        for key in want:
            G, W = got[key], want[key]
            assert (G.rows, G.cols) == (W.rows, W.cols), key
            scale = max(abs(x) for x in W)
            for g, w in zip(G, W):
                assert abs(g - w) <= rtol * max(abs(w), scale * floor), (key, g, w)


# ---------------------------------------------------------------- (1) finite differences vs exact SymPy

# Every preset once (wikipedia: no bias; ufldl: b^(l) feeds layer l+1), each with another
# loss, output and hidden activation; small networks keep exact SymPy quick.
EXACT_CASES = [
    ("wikipedia", "mse", "sigmoid", "sigmoid", 0.0), ("ufldl", "mse", "sigmoid", "tanh", 0.1),
    ("cs231n", "cce", "softmax", "relu", 0.0),
    ("ng", "bce", "sigmoid", "leaky_relu", 0.7),
    ("dls", "poisson", "exp", "elu", 0.3),
    ("nielsen", "mse", "identity", "gelu", 0.0),
    ("bishop", "cce", "softmax", "softplus", 0.0),
    ("goodfellow", "bce", "sigmoid", "silu", 0.2),
    # the losses of issue 13: piecewise (huber's |yhat - y| <= 1, the hinge's max), a target map (smoothing), KL's
    # y ln(y / yhat), log-softmax's log-probabilities
    ("nielsen", "huber", "identity", "tanh", 0.0), ("cs231n", "hinge", "identity", "sigmoid", 0.0),
    ("ufldl", "cce_smoothed", "softmax", "tanh", 0.3), ("bishop", "kl", "softmax", "sigmoid", 0.0),
    ("wikipedia", "focal", "sigmoid", "sigmoid", 0.2), ("goodfellow", "nll", "logsoftmax", "tanh", 0.0),
]
# (The focal loss ran on ng, 7 s of exact SymPy for ng's batch of 3 and bias unit, which ng-bce-leaky_relu above
# already meets with L2 on; on wikipedia's one example, no bias and L2 it takes 1.4 s.)


@pytest.mark.parametrize("name,loss,output,hidden,l2", EXACT_CASES)
def test_fd_and_reverse_match_exact_sympy(name, loss, output, hidden, l2):
    # one example: width 3 is the least that leaves no square weight matrix; a batch of 3 needs width 4
    widths = (2, 3, 2) if default_m(PRESETS[name]) == 1 else (2, 4, 2)
    net = make(name, loss, output, hidden, widths=widths, l2=l2, seed=3)
    exact = ground_truth(net, method="sympy")
    assert_agree(ground_truth(net, method="fd"), exact, 1e-18)
    assert_agree(ground_truth(net, method="reverse"), exact, 1e-30)


def test_fd_and_reverse_match_exact_sympy_at_depth_three():
    net = make("goodfellow", "bce", "sigmoid", "tanh", widths=(2, 3, 4, 2), seed=4)
    exact = ground_truth(net, method="sympy")
    assert_agree(ground_truth(net, method="fd"), exact, 1e-18)
    assert_agree(ground_truth(net, method="reverse"), exact, 1e-30)


def test_sympy_refuses_deep_networks_and_unknown_methods():
    net = make("nielsen", widths=4)
    with pytest.raises(DeriveError, match="depth <= 3"):
        ground_truth(net, method="sympy")
    with pytest.raises(DeriveError, match="unknown ground-truth method"):
        ground_truth(net, method="adjoint")


# ---------------------------------------------------------------- (2) against formulas derived by hand

@pytest.mark.parametrize("method", METHODS)
def test_one_layer_mse_identity(method):
    # C = 1/2 ||W x + b - y||^2 for one example: dC/dz = dC/da = r = W x + b - y, dC/dW = r x^T, dC/db = r
    net = make("nielsen", "mse", "identity", widths=(3, 2), seed=5)
    W, b, x, y = net.weight(2), net.bias(2), net.X, net.Y
    r = W * x + b - y
    assert_agree(ground_truth(net, method), {("delta", 2): r, ("grad_act", 2): r, ("grad_weight", 2): r * x.T,
                                     ("grad_bias", 2): r}, 1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_one_layer_softmax_cross_entropy_row_batch(method):
    # L = -(1/N) sum_i ln P_{i, y_i}, P = softmax rows of X W + 1 b: dZ = (P - Y)/N, dW = X^T dZ,
    # db = 1^T dZ, dA = dL/dP = -(Y / P)/N elementwise
    net = make("cs231n", "cce", widths=(3, 2), seed=6)
    N, P, Y = net.m, forward(net).output, net.Y
    dZ = (P - Y) / N
    dA = mpmath.matrix([[-Y[i, j] / P[i, j] / N for j in range(Y.cols)] for i in range(Y.rows)])
    ones = mpmath.matrix([[1] * N])
    want = {("delta", 1): dZ, ("grad_act", 1): dA, ("grad_weight", 1): net.X.T * dZ, ("grad_bias", 1): ones * dZ}
    assert_agree(ground_truth(net, method), want, 1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_one_layer_logistic_with_bias_unit_and_l2(method):
    # Ng: a = sigmoid(Theta [1; x]) per example, J = (1/m) sum bce + (lambda/2m) sum_{j>=1} Theta_ij^2;
    # delta = a - y per example, D = (1/m) delta [1; X]^T + (lambda/m) Theta with column 0 zeroed
    lam = 0.6
    net = make("ng", "bce", widths=(3, 2), seed=7, l2=lam)
    m, Theta, X, Y = net.m, net.weight(2), net.X, net.Y
    a = forward(net).output
    ones_x = mpmath.matrix([[1] * m] + [[X[i, t] for t in range(m)] for i in range(X.rows)])
    reg = Theta.copy()
    for i in range(reg.rows):
        reg[i, 0] = 0
    dA = mpmath.matrix([[(a[i, t] - Y[i, t]) / (a[i, t] * (1 - a[i, t])) for t in range(m)] for i in range(a.rows)])
    want = {("delta", 2): a - Y, ("grad_act", 2): dA, ("grad_weight", 2): (a - Y) * ones_x.T / m + reg * (lam / m)}
    assert_agree(ground_truth(net, method), want, 1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_two_layers_without_bias_by_hand(method):
    # Wikipedia, no biases, mse + identity output, tanh hidden, one example:
    # delta^2 = W2 a1 - y, delta^1 = (W2^T delta^2) * (1 - a1^2) -- derived by hand here, not by the engine
    net = make("wikipedia", "mse", "identity", "tanh", widths=(3, 4, 2), seed=8)
    W2, x, y = net.weight(2), net.X, net.Y
    a1 = forward(net).A[1]
    d2 = W2 * a1 - y
    g1 = W2.T * d2
    d1 = mpmath.matrix([g1[i] * (1 - a1[i] ** 2) for i in range(4)])
    want = {("delta", 2): d2, ("grad_act", 2): d2, ("grad_weight", 2): d2 * a1.T,
            ("delta", 1): d1, ("grad_act", 1): g1, ("grad_weight", 1): d1 * x.T}
    assert_agree(ground_truth(net, method), want, 1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_one_layer_poisson_exp_with_a_tiny_output(method):
    # E = sum_k yhat_k - y_k ln yhat_k, yhat = exp(z): dE/dyhat = 1 - y/yhat, dE/dz = yhat - y. With yhat ~ 1e-13
    # the step must be relative: an absolute 1e-15 would be 1% of yhat and ln would curve across it
    net = make("bishop", "poisson", widths=(2, 3), seed=10)
    W, b, x, y = net.weight(1), net.bias(1), net.X, net.Y
    for i in range(3):
        y[i] = 2
        b[i] -= 30
    z = W * x + b
    yhat = z.apply(mpmath.exp)
    assert max(yhat) < 1e-11
    grad_act = mpmath.matrix([1 - y[i] / yhat[i] for i in range(3)])
    want = {("delta", 1): yhat - y, ("grad_act", 1): grad_act, ("grad_weight", 1): (yhat - y) * x.T,
            ("grad_bias", 1): yhat - y}
    assert_agree(ground_truth(net, method), want, 1e-13, floor=0)


@pytest.mark.parametrize("name,c_delta,c_g", [("nielsen", 1, 1), ("ng", 1, "1/3"), ("dls", 1, "1/3"),
                                              ("cs231n", "1/3", "1/3")])
def test_scales(name, c_delta, c_g):
    got = scales(make(name))
    assert [mpmath.mpf(c) if isinstance(c, int) else mpmath.mpf(1) / 3 for c in (c_delta, c_g)] == list(got)


# ---------------------------------------------------------------- (3) against PyTorch

TORCH_CASES = [
    ("nielsen", "mse", "identity", "relu"), ("wikipedia", "mse", "tanh", "leaky_relu"),
    ("ng", "bce", "sigmoid", "sigmoid"), ("goodfellow", "cce", "softmax", "elu"),
    ("bishop", "poisson", "exp", "softplus"), ("cs231n", "cce", "softmax", "gelu"),
    ("dls", "bce", "sigmoid", "silu"), ("dls", "poisson", "softmax", "tanh"),
    ("cs231n", "mse", "sigmoid", "identity"), ("nielsen", "cce", "sigmoid", "exp"),
    # torch's own losses: huber_loss, kl_div, the focal loss in torchvision's form, nll_loss on log_softmax,
    # cross_entropy(label_smoothing=0.1), multi_margin_loss for the binary hinge
    ("nielsen", "huber", "identity", "tanh"), ("cs231n", "huber", "sigmoid", "relu"),
    ("bishop", "kl", "softmax", "tanh"), ("dls", "focal", "sigmoid", "sigmoid"),
    ("cs231n", "nll", "logsoftmax", "gelu"), ("goodfellow", "nll", "logsoftmax", "tanh"),
    ("cs231n", "cce_smoothed", "softmax", "tanh"), ("ng", "cce_smoothed", "softmax", "sigmoid"),
    ("wikipedia", "hinge", "identity", "tanh"), ("dls", "hinge", "softplus", "elu"),
]


@pytest.mark.parametrize("name,loss,output,hidden", TORCH_CASES)
def test_torch_matches_reverse_and_fd(name, loss, output, hidden):
    pytest.importorskip("torch")
    from derive.torch_truth import torch_gradients
    net = make(name, loss, output, hidden, widths=(3, 5, 4, 2), seed=9, l2=0.25 if name in ("ng", "dls") else 0.0)
    for method in METHODS:
        assert_agree(torch_gradients(net), ground_truth(net, method), 1e-10)


def test_torch_missing(monkeypatch):
    from derive import torch_truth
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(DeriveError, match="PyTorch is not installed"):
        torch_truth.torch_gradients(make("nielsen"))


# ---------------------------------------------------------------- (4) deep networks, precision, independence

@pytest.mark.parametrize("method", METHODS)
def test_depth_24_completes_with_every_quantity(method):
    # narrow widths, none square or equal to m: depth is the point (fd took 2 x as long at random widths up
    # to 6); the first layer's gradients are about 1e-18 here, smaller than with the wider layers
    net = make("dls", "bce", "sigmoid", "sigmoid", widths=(2, 4) * 12 + (2,), m=3, seed=0)
    assert len(net.layer_labels) == 24
    truth = ground_truth(net, method)
    kinds = {"delta", "grad_act", "grad_weight", "grad_bias"}
    assert set(truth) == {(q, label) for q in kinds for label in net.layer_labels}
    first = truth[("grad_weight", net.layer_labels[0])]
    assert all(mpmath.isfinite(x) for x in first) and any(x != 0 for x in first)  # small, not lost


@pytest.mark.parametrize("name,loss,hidden", [("dls", "bce", "sigmoid"), ("cs231n", "cce", "tanh")])
def test_small_deep_gradients_keep_their_relative_accuracy(monkeypatch, name, loss, hidden):
    # sigmoid' <= 1/4 shrinks first-layer gradients by orders of magnitude; check them entry by entry
    # against central differences with 120 digits and a 1e-40 step
    from derive import truth
    net = make(name, loss, hidden=hidden, widths=(2, 4) * 6 + (2,), m=3, seed=1)
    fd, reverse = ground_truth(net, method="fd"), ground_truth(net, method="reverse")
    monkeypatch.setattr(truth, "DPS", 120)
    monkeypatch.setattr(truth, "H", mpmath.mpf("1e-40"))
    fine = ground_truth(net, method="fd")
    assert_agree(fd, fine, 1e-18, floor=0)
    assert_agree(reverse, fine, 1e-30, floor=0)


@pytest.mark.parametrize("method", METHODS)
def test_dead_relu_gives_exact_zeros(method):
    # a ReLU unit with z < 0 in every example passes no gradient to the weights that feed it
    net = make("dls", "mse", "identity", "relu", widths=(2, 4, 2), seed=2)
    W, b = net.weight(1), net.bias(1)
    for j in range(W.cols):
        W[0, j] = 0
    b[0] = -1  # z_0 = -1 for every example
    truth = ground_truth(net, method)
    assert all(truth[("grad_weight", 1)][0, j] == 0 for j in range(W.cols))
    assert truth[("grad_bias", 1)][0] == 0 and all(truth[("delta", 1)][0, t] == 0 for t in range(net.m))


@pytest.mark.parametrize("method", METHODS)
def test_caller_precision_untouched(method):
    before = mpmath.mp.dps
    ground_truth(make("nielsen"), method)
    assert mpmath.mp.dps == before


def test_truth_never_imports_the_engine():
    code = ("import sys, derive.truth, derive.torch_truth; "
            "print(sorted(m for m in sys.modules if m.startswith('derive.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for engine in ("derive.chain", "derive.algebra", "derive.layers", "derive.output_layer", "derive.verification"):
        assert f"'{engine}'" not in loaded
