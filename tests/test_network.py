"""Concrete networks: shapes and keys per preset, layouts, the bias unit, targets, seeds, the forward pass."""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy as sp

from derive.conventions import PRESETS
from derive.errors import DeriveError
from derive.losses import LOSSES
from derive.network import default_m, default_widths, forward, l2_penalty, random_network
from derive.problem import Problem

WIDTHS = (2, 5, 4, 6)
OUTPUT_FOR = {"mse": "identity", "mse_mean": "identity", "sse": "identity", "bce": "sigmoid", "cce": "softmax",
              "poisson": "exp", "huber": "identity", "kl": "softmax", "focal": "sigmoid", "nll": "logsoftmax",
              "cce_smoothed": "softmax", "hinge": "identity", "svm": "identity"}


def make(conv="nielsen", loss="cce", hidden="tanh", widths=WIDTHS, m=None, seed=1):
    problem = Problem.make(PRESETS[conv] if isinstance(conv, str) else conv, loss, OUTPUT_FOR[loss], hidden)
    return random_network(problem, widths, m, seed)


def shape(M):
    return M.rows, M.cols


def close(A, B, tol=1e-25):
    return shape(A) == shape(B) and all(abs(a - b) <= tol for a, b in zip(A, B))


# (preset, stored W shape for n_in -> n_out, stored b shape or None, layer matrix shape for n units)
SHAPES = {
    "column": (lambda i, o: (o, i), lambda o: (o, 1), lambda n, m: (n, m)),
    "column_batch": (lambda i, o: (o, i), lambda o: (o, 1), lambda n, m: (n, m)),
    "row_batch": (lambda i, o: (i, o), lambda o: (1, o), lambda n, m: (m, n)),
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_shapes_and_keys(name):
    net = make(name)
    conv = PRESETS[name]
    w_shape, b_shape, layer_shape = SHAPES[conv.layout]
    assert net.m == default_m(conv) and net.depth == 3 and net.widths == WIDTHS
    assert net.layer_labels == [conv.input_layer + p for p in (1, 2, 3)]
    assert sorted(net.weights) == [conv.weight_index(label) for label in net.layer_labels]
    fw = forward(net)
    for p, label in enumerate(net.layer_labels, start=1):
        n_in, n_out = WIDTHS[p - 1], WIDTHS[p]
        expected = (n_out, n_in + 1) if conv.bias == "unit" else w_shape(n_in, n_out)
        assert shape(net.weights[conv.weight_index(label)]) == expected
        assert shape(net.biases[label]) == b_shape(n_out) if conv.bias == "vector" else label not in net.biases
        assert shape(fw.Z[label]) == shape(fw.A[label]) == layer_shape(n_out, net.m)
    assert shape(net.X) == shape(fw.A[net.input_label]) == layer_shape(WIDTHS[0], net.m)
    assert close(fw.A[net.input_label], net.X, 0)
    assert shape(net.Y) == layer_shape(WIDTHS[-1], net.m)
    assert net.input_label not in fw.Z


@pytest.mark.parametrize("name,m", [("nielsen", 1), ("wikipedia", 1), ("goodfellow", 1), ("bishop", 1),
                                    ("ng", 3), ("cs231n", 3), ("dls", 3)])
def test_default_m(name, m):
    # per-example column formulas get one example; sources that sum or average over a batch get three
    assert default_m(PRESETS[name]) == m


def test_bias_unit_column_zero_multiplies_one():
    net = make("ng")
    label = net.layer_labels[0]
    before = forward(net).Z[label]
    net.weight(label)[1, 0] += mpmath.mpf("0.25")  # Theta_{1,0} multiplies a_0 = 1 in every example
    after = forward(net).Z[label]
    for t in range(net.m):
        assert abs(after[1, t] - before[1, t] - mpmath.mpf("0.25")) < 1e-14
        assert after[0, t] == before[0, t]


def _act(rec, Z, axis_rows):
    """f applied to a layer matrix with SymPy's own evaluation (softmax along the class axis)."""
    out = mpmath.matrix(Z.rows, Z.cols)
    if rec.elementwise:
        z = sp.Symbol("z")
        for i in range(Z.rows):
            for j in range(Z.cols):
                out[i, j] = mpmath.mpf(sp.N(rec.f(z).subs(z, sp.Float(Z[i, j], 30)), 30))
        return out
    vectors = range(Z.rows) if axis_rows else range(Z.cols)
    for v in vectors:
        idx = [(v, k) for k in range(Z.cols)] if axis_rows else [(k, v) for k in range(Z.rows)]
        s = rec.f([sp.Float(Z[i], 30) for i in idx])
        for i, x in zip(idx, s):
            out[i] = mpmath.mpf(sp.N(x, 30))
    return out


@pytest.mark.parametrize("name,hidden", [("nielsen", "relu"), ("ng", "elu"), ("cs231n", "gelu"),
                                         ("dls", "leaky_relu"), ("wikipedia", "softplus")])
def test_forward_is_the_matrix_definition(name, hidden):
    net = make(name, hidden=hidden)
    conv, fw = net.conv, forward(net)
    A = net.X
    for label in net.layer_labels:
        W, b = net.weight(label), net.bias(label)
        if conv.bias == "unit":  # z = Theta [1; a]
            ones = mpmath.matrix([[1] * net.m])
            Z = W * mpmath.matrix([[ones[0, t] if i == 0 else A[i - 1, t] for t in range(net.m)]
                                   for i in range(A.rows + 1)])
        elif conv.layout == "row_batch":  # Z = A W + 1 b
            Z = A * W + mpmath.matrix([[1]] * net.m) * b
        else:  # Z = W A + b 1^T
            Z = W * A + (b * mpmath.matrix([[1] * net.m]) if b is not None else 0)
        rec = net.problem.output if label == net.output_label else net.problem.hidden
        assert close(fw.Z[label], Z, 1e-13)
        A = _act(rec, Z, conv.layout == "row_batch")
        assert close(fw.A[label], A, 1e-13)


def test_row_batch_is_the_transpose_of_column_batch():
    row = make("cs231n")
    col_problem = dataclasses.replace(row.problem, convention=dataclasses.replace(PRESETS["dls"]))
    col = dataclasses.replace(row, problem=col_problem, weights={k: W.T for k, W in row.weights.items()},
                              biases={k: b.T for k, b in row.biases.items()}, X=row.X.T, Y=row.Y.T)
    fr, fc = forward(row), forward(col)
    for label in row.layer_labels:
        assert close(fr.Z[label], fc.Z[label].T, 1e-14) and close(fr.A[label], fc.A[label].T, 1e-14)
    assert all(abs(a - b) < 1e-14 for a, b in zip(fr.per_example_losses, fc.per_example_losses))


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("name", ["dls", "cs231n"])
def test_targets_are_valid_for_the_loss(loss, name):
    net = make(name, loss, m=4, seed=7)
    ys = [list(net.Y[t, :]) if net.conv.layout == "row_batch" else list(net.Y[:, t]) for t in range(4)]
    kind = LOSSES[loss].target
    for y in ys:
        if kind == "real":
            assert all(-1 <= v <= 1 for v in y)
        elif kind == "unit":
            assert all(0.05 <= v <= 0.95 for v in y)
        elif kind == "onehot":
            assert sorted(y) == [0] * (len(y) - 1) + [1]
        elif kind == "count":
            assert all(v in (0, 1, 2, 3) for v in y)
        elif kind == "distribution":  # exactly 1 (multiples of 1/64), no entry 0 (y ln y needs none)
            assert sum(y) == 1 and all(v > 0 for v in y)
        elif kind == "binary":
            assert all(v in (0, 1) for v in y)
        elif kind == "sign":
            assert all(v in (-1, 1) for v in y)
        elif kind == "outlier":  # small ones, and outliers on both sides
            assert all(0 <= v <= 0.5 or 2.5 <= abs(v) <= 3.5 for v in y)
        else:
            pytest.fail(f"test knows no target kind {kind!r}")


def test_same_seed_same_network_other_seed_other_network():
    a, b, c = make(seed=5), make(seed=5), make(seed=6)
    assert all(close(a.weights[k], b.weights[k], 0) for k in a.weights) and close(a.X, b.X, 0)
    assert not close(a.weights[2], c.weights[2], 0)


@pytest.mark.parametrize("depth,seed,m", [(1, 0, 3), (6, 1, 3), (24, 2, 3), (48, 3, 1)])
def test_default_widths_are_unequal(depth, seed, m):
    widths = default_widths(depth, seed, m)
    assert len(widths) == depth + 1 and widths == default_widths(depth, seed, m)
    assert all(2 <= w <= 6 and w != m for w in widths)
    assert all(a != b for a, b in zip(widths, widths[1:]))


def test_random_network_takes_a_depth():
    net = make(widths=5, seed=3)
    assert net.depth == 5 and net.widths == default_widths(5, 3, 1)


def test_override_recomputes_from_that_layer():
    net = make("dls", hidden="sigmoid")
    fw = forward(net)
    label = net.layer_labels[1]
    same = forward(net, override=("Z", label, fw.Z[label]), base=fw)
    assert same.per_example_losses == fw.per_example_losses
    Z = fw.Z[label] * 2
    changed = forward(net, override=("Z", label, Z), base=fw)
    assert changed.Z[net.layer_labels[0]] is not None and close(changed.Z[label], Z, 0)
    assert close(changed.A[label], _act(net.problem.hidden, Z, False), 1e-14)
    assert close(forward(net, override=("Z", label, Z)).output, changed.output, 0)  # without a base
    X = net.X * 0.5
    moved = forward(net, override=("A", net.input_label, X))
    assert close(moved.output, forward(dataclasses.replace(net, X=X)).output, 1e-25)


@pytest.mark.parametrize("override", [("W", 1, None), ("Z", 0, None), ("A", 9, None),
                                      ("Z", 1, mpmath.matrix(3, 3))])  # Z^1 is 5 x 3
def test_bad_override(override):
    net = make("dls")
    with pytest.raises(DeriveError):
        forward(net, override=override)


def test_cost_and_penalty():
    conv = dataclasses.replace(PRESETS["ng"], l2=0.5)
    net = make(conv, "bce")
    fw = forward(net)
    assert abs(fw.cost() - sum(fw.per_example_losses) / 3) < 1e-14
    # (lambda/2) sum of squares of Theta without its bias column 0
    squares = sum(W[i, j] ** 2 for W in net.weights.values() for i in range(W.rows) for j in range(1, W.cols))
    assert abs(l2_penalty(net, c=1) - squares / 4) < 1e-14


@pytest.mark.parametrize("name", ["nielsen", "cs231n", "ng", "dls"])
def test_one_entry_moved_recomputes_that_example_as_the_whole_pass_would(name):
    # the examples are independent: with one example's entry moved, only it is recomputed; every quantity of the
    # pass must be what recomputing every example from that layer gives (and the other examples unchanged)
    net = make(name, hidden="tanh", m=4)
    fw = forward(net)
    label = net.layer_labels[1]
    for kind in ("Z", "A"):
        M = (fw.Z if kind == "Z" else fw.A)[label].copy()
        M[1, 2] += mpmath.mpf("0.25")  # an entry of example 2 (column layout) or of unit 3 of example 2 (rows)
        quick = forward(net, override=(kind, label, M), base=fw)
        full = forward(net, override=(kind, label, M))          # no base: every example recomputed
        assert quick.per_example_losses == full.per_example_losses
        assert quick.per_example_losses != fw.per_example_losses
        for lab in net.layer_labels:
            assert close(quick.A[lab], full.A[lab], 0) and close(quick.Z[lab], full.Z[lab], 0)
