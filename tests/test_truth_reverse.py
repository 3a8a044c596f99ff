"""Reverse-mode ground truth (truth.py, method "reverse") against central differences and exact SymPy.

Every loss x output pair the registries allow, every hidden activation, every preset convention (and the
reductions no preset uses), L2 on and off, depths 2-5, agree to 1e-30 with central differences run at 90
digits; small networks agree to 1e-30 with exact SymPy derivatives. The tape's primitives are checked one by
one against mpmath's own numerical differentiation, and deep networks against a run with 40 more digits.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import mpmath
import pytest

from derive import truth
from derive.activations import ACTIVATIONS, Activation
from derive.conventions import PRESETS
from derive.errors import DeriveError
from derive.losses import LOSSES, accepts
from derive.network import random_network
from derive.problem import Problem
from derive.truth import PRIMITIVES, Tape, Var, ground_truth, probes, record
from derive.verification import draw_network

CONVENTIONS = sorted(PRESETS)
HIDDEN = sorted(name for name, rec in ACTIVATIONS.items() if rec.elementwise)
PAIRS = [(loss, out) for loss in sorted(LOSSES) for out in sorted(ACTIVATIONS)
         if accepts(LOSSES[loss], ACTIVATIONS[out].range)]


def assert_agree(got, want, rtol, floor=1e-8):
    """Same keys and shapes; every entry within rtol of the larger of |want| and ``floor`` x its matrix's scale."""
    assert got.keys() == want.keys()
    with mpmath.workdps(80):
        for key in want:
            G, W = got[key], want[key]
            assert (G.rows, G.cols) == (W.rows, W.cols), key
            scale = max(abs(x) for x in W)
            for g, w in zip(G, W):
                assert abs(g - w) <= rtol * max(abs(w), scale * floor), (key, g, w)


def fine_fd(net, monkeypatch):
    """Central differences at 110 digits with a 1e-30 step: truncation ~1e-60 times the third derivative,
    rounding ~1e-80 times the cost (an exp output over exp hidden layers has a cost in the thousands: at 90
    digits its rounding error reached 1e-27)."""
    monkeypatch.setattr(truth, "DPS", 110)
    monkeypatch.setattr(truth, "H", mpmath.mpf("1e-30"))
    return ground_truth(net, method="fd")


def network(conv: str, loss: str, output: str, hidden: str, depth: int, l2: float, seed: int, m=None,
            reduction=None):
    # exp in deep hidden layers nests exponentials: by depth 5 e^(e^(e^...)) exceeds any precision
    depth = min(depth, 3) if hidden == "exp" else depth
    c = dataclasses.replace(PRESETS[conv], l2=l2, **({"reduction": reduction} if reduction else {}))
    return draw_network(Problem.make(c, loss, output, hidden), depth, seed, m=m)[0]


# Each case varies everything at once, so that every loss x output pair, every hidden activation and every
# preset is met, at depths 2-5, with L2 on and off, without running the whole product.
PAIR_CASES = [(CONVENTIONS[i % len(CONVENTIONS)], loss, out, HIDDEN[(3 * i) % len(HIDDEN)], 2 + i % 4,
               0.3 * (i % 2)) for i, (loss, out) in enumerate(PAIRS)]
HIDDEN_CASES = [(conv, "bce", "sigmoid", hidden, 2 + (i + j) % 4, 0.45 * ((i + j) % 2))
                for i, conv in enumerate(CONVENTIONS) for j, hidden in enumerate(HIDDEN)]


@pytest.mark.parametrize("conv,loss,output,hidden,depth,l2", PAIR_CASES)
def test_every_loss_and_output_matches_central_differences(monkeypatch, conv, loss, output, hidden, depth, l2):
    net = network(conv, loss, output, hidden, depth, l2, seed=depth)
    assert_agree(ground_truth(net), fine_fd(net, monkeypatch), 1e-30)


@pytest.mark.parametrize("conv,loss,output,hidden,depth,l2", HIDDEN_CASES)
def test_every_hidden_activation_and_convention_matches_central_differences(monkeypatch, conv, loss, output,
                                                                             hidden, depth, l2):
    net = network(conv, loss, output, hidden, depth, l2, seed=10 + depth)
    assert_agree(ground_truth(net), fine_fd(net, monkeypatch), 1e-30)


@pytest.mark.parametrize("reduction", ["sum", "elementwise_mean"])
@pytest.mark.parametrize("conv", ["cs231n", "dls", "ng"])
def test_reductions_no_preset_uses(monkeypatch, conv, reduction):
    net = network(conv, "cce", "softmax", "tanh", 3, 0.2, seed=4, reduction=reduction)
    assert_agree(ground_truth(net), fine_fd(net, monkeypatch), 1e-30)


def test_the_default_method_is_reverse(monkeypatch):
    net = network("dls", "bce", "sigmoid", "tanh", 2, 0.0, seed=1)
    monkeypatch.setattr(truth, "_fd_entries", None)  # the default must not fall back to differences
    monkeypatch.setattr(truth, "_sympy_entries", None)
    assert_agree(ground_truth(net), ground_truth(net, method="reverse"), 0)


# ---------------------------------------------------------------- against exact SymPy

# small and batch-sized (m = 2) so that SymPy stays quick; conventions, activations and pairs that
# tests/test_truth.py's exact cases (which also compare "reverse") do not cover
# (sse, mse_mean, exp as the hidden activation and tanh and softplus as the output are met nowhere else in exact
# SymPy). Every piece of these cases is an exact case of its own, here or there: a pair of them is a composition
# of two checked pieces, and every loss x output pair the registries allow is compared with central differences
# above; bishop + bce + softmax + elu (24 s of SymPy for a softmax of piecewise exponentials under a logarithm)
# and nielsen + poisson + sigmoid + silu (3-10 s) were such pairs and are no longer run.
SYMPY_CASES = [
    ("cs231n", "sse", "tanh", "identity", 0.0), ("dls", "cce", "sigmoid", "tanh", 0.4),
    ("ng", "poisson", "softmax", "exp", 0.5), ("wikipedia", "mse", "softmax", "relu", 0.0),
    ("goodfellow", "cce", "softplus", "leaky_relu", 0.3), ("cs231n", "mse_mean", "identity", "relu", 0.0),
]


@pytest.mark.parametrize("conv,loss,output,hidden,l2", SYMPY_CASES)
def test_matches_exact_sympy(conv, loss, output, hidden, l2):
    if loss not in LOSSES:
        pytest.skip(f"loss {loss} is not registered")
    c = dataclasses.replace(PRESETS[conv], l2=l2)
    net = random_network(Problem.make(c, loss, output, hidden), (2, 3, 2), m=2, seed=7)
    assert_agree(ground_truth(net), ground_truth(net, method="sympy"), 1e-30)


# ---------------------------------------------------------------- deep networks, rounding, linear cost

@pytest.mark.parametrize("conv,loss,output,hidden", [("dls", "bce", "sigmoid", "sigmoid"),
                                                     ("cs231n", "cce", "softmax", "tanh"),
                                                     ("ng", "poisson", "exp", "gelu")])
def test_deep_networks_round_off_below_1e_40(monkeypatch, conv, loss, output, hidden):
    # depth 24: the first layers' gradients are orders of magnitude below the last's; 40 more digits move
    # no entry by more than 1e-40 of itself
    net = network(conv, loss, output, hidden, 24, 0.1, seed=3)
    base = ground_truth(net)
    monkeypatch.setattr(truth, "DPS", truth.DPS + 40)
    assert_agree(base, ground_truth(net), 1e-40, floor=0)


def test_cost_is_linear_in_depth():
    # the tape holds one forward pass: its length grows by the same amount per layer
    def nodes(depth):
        net = random_network(Problem.make("dls", "bce", "sigmoid", "sigmoid"), (4,) * (depth + 1), m=3)
        return len(record(net).tape.parents)
    n6, n12, n24 = nodes(6), nodes(12), nodes(24)
    assert n24 - n12 == 2 * (n12 - n6)
    assert n24 / n6 <= 4.5


def test_dead_units_and_exact_zeros():
    # a ReLU unit with z < 0 in every example: its weights get exactly 0 (without L2), as with fd
    net = random_network(Problem.make("dls", "mse", "identity", "relu"), (2, 4, 2), seed=2)
    W, b = net.weight(1), net.bias(1)
    for j in range(W.cols):
        W[0, j] = 0
    b[0] = -1
    got = ground_truth(net)
    assert all(got[("grad_weight", 1)][0, j] == 0 for j in range(W.cols)) and got[("grad_bias", 1)][0] == 0
    assert all(got[("delta", 1)][0, t] == 0 for t in range(net.m))
    assert any(got[("grad_act", 1)][0, t] != 0 for t in range(net.m))  # dO/da of the dead unit is not 0


def test_every_probe_is_answered_once():
    net = random_network(Problem.make("ng", "bce", "sigmoid", "tanh"), 3, seed=5)
    got = ground_truth(net)
    assert sum(M.rows * M.cols for M in got.values()) == len(probes(net))


# ---------------------------------------------------------------- the tape's primitives, one by one

POINTS = [mpmath.mpf("0.37"), mpmath.mpf("-1.3"), mpmath.mpf("2.1")]
DOMAIN = {"log": lambda x: abs(x), "sqrt": lambda x: abs(x)}


@pytest.mark.parametrize("name", sorted(set(PRIMITIVES) - {"mpf", "pi", "e"}))
def test_each_primitive_derivative_against_mpmath_diff(name):
    f = PRIMITIVES[name]
    with mpmath.workdps(50):
        for x0 in POINTS:
            x0 = DOMAIN.get(name, lambda x: x)(x0)
            rest = (mpmath.mpf("0.2"),) if name in ("max", "min") else ()
            tape = Tape()
            x = tape.var(x0)
            y = f(x, *rest)
            assert mpmath.almosteq(y.v if isinstance(y, Var) else y, f(x0, *rest), 1e-45)
            got = tape.backward(y)[x.i] if isinstance(y, Var) else 0
            want = mpmath.diff(lambda t, rest=rest: f(t, *rest), x0)
            assert abs(got - want) <= 1e-30 * max(1, abs(want)), (name, x0, got, want)


OPERATORS = [
    ("x + y", lambda x, y: x + y), ("x - y", lambda x, y: x - y), ("x * y", lambda x, y: x * y),
    ("x / y", lambda x, y: x / y), ("x ** y", lambda x, y: x ** y), ("-x * y", lambda x, y: -x * y),
    ("2 - x / (1 + y)", lambda x, y: 2 - x / (1 + y)), ("x ** 3 + 2 ** y", lambda x, y: x ** 3 + 2 ** y),
    ("abs(x - y)", lambda x, y: abs(x - y)), ("x if x > y else y * y", lambda x, y: x if x > y else y * y),
]


@pytest.mark.parametrize("text,f", OPERATORS)
def test_operators_by_both_operands(text, f):
    with mpmath.workdps(50):
        x0, y0 = mpmath.mpf("1.7"), mpmath.mpf("0.6")
        tape = Tape()
        x, y = tape.var(x0), tape.var(y0)
        out = f(x, y)
        adj = tape.backward(out)
        assert abs(adj[x.i] - mpmath.diff(lambda t: f(t, y0), x0)) < 1e-30, text
        assert abs(adj[y.i] - mpmath.diff(lambda t: f(x0, t), y0)) < 1e-30, text
        # a constant operand on either side gives the same value and derivative
        tape = Tape()
        x = tape.var(x0)
        out = f(x, y0)
        assert mpmath.almosteq(out.v, f(x0, y0), 1e-45)
        assert abs(tape.backward(out)[x.i] - mpmath.diff(lambda t: f(t, y0), x0)) < 1e-30, text


def test_unknown_functions_are_refused():
    from derive._lazy import sp
    atan = Activation("atan_test", lambda z: sp.atan(z), lambda z: 1 / (1 + z ** 2), None, r"\arctan", "real", "")
    partial = Activation("partial_test", lambda z: sp.Piecewise((z, z > 0)), lambda z: 1, None, "p", "real", "")
    base = Problem.make("nielsen", "mse", "identity", "sigmoid")
    with pytest.raises(DeriveError, match="no derivative rule for atan"):
        ground_truth(random_network(dataclasses.replace(base, hidden=atan), 2))
    problem = dataclasses.replace(base, hidden=partial)
    with pytest.raises(DeriveError, match="Piecewise"):
        for seed in range(20):  # some z <= 0 falls outside the only branch
            ground_truth(random_network(problem, (2, 3, 2), seed=seed))


def test_the_registries_derivatives_are_never_read():
    # the derivative fields are what verification checks: truth must work with them broken
    def broken(*args, **kwargs):
        raise AssertionError("truth read a registry derivative")
    good = Problem.make("ng", "bce", "sigmoid", "gelu")
    bad = dataclasses.replace(good, hidden=dataclasses.replace(good.hidden, df=broken, df_out=broken),
                              output=dataclasses.replace(good.output, df=broken, df_out=broken),
                              loss=dataclasses.replace(good.loss, dterm=broken))
    assert_agree(ground_truth(random_network(bad, 3, seed=2)), ground_truth(random_network(good, 3, seed=2)), 0)


def test_reverse_truth_never_loads_the_engine():
    code = ("import sys\nfrom derive.problem import Problem\nfrom derive.network import random_network\n"
            "from derive.truth import ground_truth\n"
            "ground_truth(random_network(Problem.make('cs231n', 'cce', 'softmax', 'gelu'), 3))\n"
            "print(sorted(m for m in sys.modules if m.startswith('derive.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for engine in ("derive.chain", "derive.algebra", "derive.layers", "derive.output_layer", "derive.verification",
                   "derive.components", "derive.index_diff", "derive.steps", "derive.formula"):
        assert f"'{engine}'" not in loaded and f"'{engine}." not in loaded
