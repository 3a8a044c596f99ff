"""Ground truth of one layer on its own (truth_kinds.py) against central differences of the forward definition.

The forward pass is written again below in plain mpmath (statistics by grouping the columns or the rows, no
tape), every cut node can be overridden, and each adjoint kind_truth returns is compared to 1e-30 with a central
difference at 80 digits (step 1e-25: truncation ~1e-50, rounding ~1e-55) of the loss with that one entry moved:
x, gamma, beta for the total derivatives, and xhat, var (mu fixed), mu (var and xhat recomputed from it), y for
the intermediate ones. Then the facts every batch norm satisfies, the refusals, and PyTorch where installed.
The kinds added for networks (dense, softmax, logsoftmax, the elementwise activations) are checked likewise
against tests/kind_forward.py's forward (the one the network tests use): x, W, b, and the cut nodes e, s, y; and
attention with and without its mask (m queries, H = m + 1 keys, D features, all unequal): x, K, V and the cut
nodes S, e, s, P, y; and the embedding (m tokens, H = m - 1 words, so a token repeats): W and the cut node y,
with dW's accumulation over repeated tokens and the overwriting mistake told apart; and the convolutions and
poolings, 1-D and 2-D (x of m by D by T, or by T rows by T2 columns; a 2-D kind on fewer examples and channels,
layer_inputs.SIZES2D), whose facts are tests/test_truth_conv.py's.
"""

from __future__ import annotations

import dataclasses
import itertools

import mpmath
import pytest
from kind_forward import FORWARD, at, central, indices, worst

from derive import layer_inputs
from derive.errors import DeriveError
from derive.truth_kinds import kind_truth

TOL = mpmath.mpf("1e-30")  # central differences at kind_forward.FD_DPS = 80 digits, step 1e-25
SHAPES = ((4, 3), (3, 5), (2, 2))
SEEDS = (0, 7)
VARIANTS = (("batchnorm", False), ("batchnorm", True), ("layernorm", False), ("layernorm", True),
            ("dropout", False))
CASES = [(kind, unbiased, m, D, seed) for (kind, unbiased), (m, D), seed in itertools.product(VARIANTS, SHAPES, SEEDS)]
NORMS = [case for case in CASES if case[0] != "dropout"]


# ---------------------------------------------------------------- the forward definition, written again

def _groups(kind: str, M) -> list[list]:
    """The entries normalised together: the columns (batch norm, over the examples) or the rows (layer norm)."""
    return [list(col) for col in zip(*M)] if kind == "batchnorm" else [list(row) for row in M]


def _ungroup(kind: str, G) -> list[list]:
    return [list(row) for row in zip(*G)] if kind == "batchnorm" else G


def norm_loss(inp, x=None, gamma=None, beta=None, mu=None, var=None, xhat=None, y=None):
    """The loss of a normalisation layer; any of mu, var, xhat, y given is used as is (a cut node)."""
    x, gamma, beta = x or inp.x, gamma or inp.gamma, beta or inp.beta
    if y is None:
        if xhat is None:
            G = _groups(inp.kind, x)
            n = len(G[0])
            mu = mu or [mpmath.fsum(g) / n for g in G]
            var = var or [mpmath.fsum((v - c) ** 2 for v in g) / (n - 1 if inp.unbiased else n)
                          for g, c in zip(G, mu)]
            xhat = _ungroup(inp.kind, [[(v - c) / mpmath.sqrt(s + inp.eps) for v in g]
                                       for g, c, s in zip(G, mu, var)])
        y = [[gamma[k] * xhat[r][k] + beta[k] for k in range(inp.D)] for r in range(inp.m)]
    return layer_inputs.loss(inp, y)


def dropout_loss(inp, x=None, y=None):
    x = x or inp.x
    y = y or [[v * keep / inp.keep for v, keep in zip(row, mask)] for row, mask in zip(x, inp.mask)]
    return layer_inputs.loss(inp, y)


def fd_adjoints(inp, truth) -> dict[str, dict]:
    """Every adjoint kind_truth returns, by central differences with its node (a leaf or a cut) moved."""
    if inp.kind == "dropout":
        leaves = {"dx": ("x", lambda v: dropout_loss(inp, x=v)), "dy": ("y", lambda v: dropout_loss(inp, y=v))}
    else:
        leaves = {
            "dx": ("x", lambda v: norm_loss(inp, x=v)),
            "dgamma": ("gamma", lambda v: norm_loss(inp, gamma=v)),
            "dbeta": ("beta", lambda v: norm_loss(inp, beta=v)),
            "dmu": ("mu", lambda v: norm_loss(inp, mu=v)),                       # var and xhat follow mu
            "dvar": ("var", lambda v: norm_loss(inp, mu=list(truth["mu"]), var=v)),  # mu held fixed
            "dxhat": ("xhat", lambda v: norm_loss(inp, xhat=v)),
            "dy": ("y", lambda v: norm_loss(inp, y=v)),
        }
    base = {"x": inp.x, "gamma": inp.gamma, "beta": inp.beta} | truth
    return {name: {i: central(f, base[node], i) for i in indices(base[node])} for name, (node, f) in leaves.items()}


def disagreement(truth, fd) -> mpmath.mpf:
    """The largest |truth - fd| over every adjoint, relative to max(1, |fd|)."""
    worst = mpmath.mpf(0)
    for name, entries in fd.items():
        for i, want in entries.items():
            worst = max(worst, abs(at(truth[name], i) - want) / max(1, abs(want)))
    return worst


def draw(kind, unbiased, m, D, seed):
    return layer_inputs.draw(kind, m, D, seed, unbiased)


# ---------------------------------------------------------------- every adjoint against central differences

@pytest.mark.parametrize("kind, unbiased, m, D, seed", CASES)
def test_every_adjoint_agrees_with_central_differences(kind, unbiased, m, D, seed):
    inp = draw(kind, unbiased, m, D, seed)
    truth = kind_truth(inp)
    fd = fd_adjoints(inp, truth)
    assert set(fd) == {k for k in truth if k.startswith("d")}  # every adjoint returned is checked
    assert disagreement(truth, fd) < TOL


@pytest.mark.parametrize("kind, unbiased, m, D, seed", NORMS[::3])
def test_the_check_tells_a_wrong_variant(kind, unbiased, m, D, seed):
    # the comparison can fail: the truth of the other variance (n vs n - 1) is far from this input's differences,
    # and so is the known mistake of treating mu and var as constants (dx = dxhat / sqrt(var + eps))
    inp = draw(kind, unbiased, m, D, seed)
    truth = kind_truth(inp)
    fd = fd_adjoints(inp, truth)
    other = kind_truth(dataclasses.replace(inp, unbiased=not unbiased))
    assert disagreement(other, fd) > 1e-6
    stat = (lambda r, k: k) if kind == "batchnorm" else (lambda r, k: r)
    constants = tuple(tuple(truth["dxhat"][r][k] / mpmath.sqrt(truth["var"][stat(r, k)] + inp.eps)
                            for k in range(D)) for r in range(m))
    assert disagreement(dict(truth, dx=constants), {"dx": fd["dx"]}) > 1e-6


def test_batchnorm_and_layernorm_differ_on_a_square_batch():
    # m = D: the shapes agree, so only the axis of the statistics tells the kinds apart
    bn = layer_inputs.draw("batchnorm", 3, 3, 1)
    ln = dataclasses.replace(bn, kind="layernorm")
    assert disagreement(kind_truth(ln), fd_adjoints(bn, kind_truth(bn))) > 1e-6


# ---------------------------------------------------------------- shapes and facts

@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
def test_shapes_follow_the_axis(kind):
    m, D = 3, 5
    t = kind_truth(layer_inputs.draw(kind, m, D, 2))
    stats = D if kind == "batchnorm" else m
    for name in ("x", "xhat", "y", "dy", "dxhat", "dx"):
        assert len(t[name]) == m and all(len(row) == D for row in t[name]), name
    for name, n in (("mu", stats), ("var", stats), ("dmu", stats), ("dvar", stats), ("dgamma", D), ("dbeta", D)):
        assert len(t[name]) == n and not isinstance(t[name][0], tuple), name
    assert t["x"] == layer_inputs.draw(kind, m, D, 2).x


@pytest.mark.parametrize("kind, unbiased, m, D, seed", NORMS)
def test_known_facts_of_the_normalisations(kind, unbiased, m, D, seed):
    inp = draw(kind, unbiased, m, D, seed)
    t = kind_truth(inp)
    rows, cols = range(m), range(D)
    with mpmath.workdps(60):
        # shifting a whole statistic's group leaves xhat unchanged: dx sums to 0 over the batch (batch norm, per
        # feature) or over the features (layer norm, per example)
        by_column = kind == "batchnorm"
        groups = [[(r, k) for r in rows] for k in cols] if by_column else [[(r, k) for k in cols] for r in rows]
        for group in groups:
            assert abs(mpmath.fsum(t["dx"][r][k] for r, k in group)) < 1e-40
        for k in cols:
            assert abs(t["dbeta"][k] - mpmath.fsum(t["dy"][r][k] for r in rows)) < 1e-40
            assert abs(t["dgamma"][k] - mpmath.fsum(t["dy"][r][k] * t["xhat"][r][k] for r in rows)) < 1e-40
        for r, k in itertools.product(rows, cols):
            assert abs(t["dy"][r][k] - (inp.c[r][k] + inp.d[r][k] * t["y"][r][k])) < 1e-40  # dl/dy = c + d y
            assert abs(t["dxhat"][r][k] - inp.gamma[k] * t["dy"][r][k]) < 1e-40
        for g, group in enumerate(groups):  # the statistics are the group's mean and 1/n (or 1/(n-1)) variance
            n = len(group)
            assert abs(t["mu"][g] - mpmath.fsum(inp.x[r][k] for r, k in group) / n) < 1e-40
            squares = mpmath.fsum((inp.x[r][k] - t["mu"][g]) ** 2 for r, k in group)
            assert abs(t["var"][g] - squares / (n - 1 if unbiased else n)) < 1e-40


def test_dropout_passes_the_kept_entries_scaled():
    inp = layer_inputs.draw("dropout", 4, 3, 5)
    t = kind_truth(inp)
    assert any(0 in row for row in inp.mask) and any(1 in row for row in inp.mask)
    with mpmath.workdps(60):
        for r, k in itertools.product(range(4), range(3)):
            want = t["dy"][r][k] / inp.keep if inp.mask[r][k] else 0
            assert abs(t["dx"][r][k] - want) < 1e-40


def test_refusals():
    inp = layer_inputs.draw("batchnorm", 3, 2, 0)
    with pytest.raises(DeriveError, match="no ground truth for layer kind 'conv'"):
        kind_truth(dataclasses.replace(inp, kind="conv"))
    one = dataclasses.replace(inp, x=inp.x[:1], c=inp.c[:1], d=inp.d[:1], mask=inp.mask[:1], unbiased=True)
    with pytest.raises(DeriveError, match="n - 1 variance"):
        kind_truth(one)


# ---------------------------------------------------------------- PyTorch, the second opinion

@pytest.mark.parametrize("kind, unbiased, m, D, seed", CASES[::2])
def test_torch_agrees(kind, unbiased, m, D, seed):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp = draw(kind, unbiased, m, D, seed)
    got, want = kind_torch(inp), kind_truth(inp)
    assert set(got) == ({"dy", "dx"} if kind == "dropout" else {"dy", "dx", "dgamma", "dbeta"})
    worst = max(abs(at(got[name], i) - at(want[name], i)) / max(1, abs(at(want[name], i)))
                for name in got for i in indices(want[name]))
    assert worst < 1e-10


def test_torch_refuses_an_unknown_kind():
    from derive.torch_truth import kind_torch
    with pytest.raises(DeriveError, match="no PyTorch forward"):
        kind_torch(dataclasses.replace(layer_inputs.draw("dropout", 2, 3, 0), kind="conv"))


# ---------------------------------------------------------------- the kinds added for networks

NEW = layer_inputs.KINDS[3:]
GEOMETRIC = tuple(kind for kind in NEW if layer_inputs.DRAWS.get(kind, layer_inputs.Draws()).geometric)
TWO_D = tuple(kind for kind in GEOMETRIC if len(layer_inputs.spatial_shape(kind)[0]) == 2)
# (m, D) and seed of each kind's two trials; a 2-D kind's dx reads many windows: layer_inputs.SIZES2D's fewer channels
TRIALS = (((4, 3), 0), ((3, 5), 7))
TRIALS_2D = tuple(zip(layer_inputs.SIZES2D[:2], (0, 7)))
# a gated recurrent kind's every cut entry (4H or 3H stacked pre-activations, the gates, c) is moved where the forward
# computes it and every later step recomputed: two examples, a few features, H = D + 1 (still H != D, T = 4 steps)
GATED, TRIALS_GATED = ("lstm", "gru"), (((2, 2), 0), ((2, 3), 7))
# deeplearning.ai's LSTM (lstm_concat) is checked in tests/test_layer_dlslstm.py: its truth equals the CS231n LSTM's
# (checked here by central differences) with the weights mapped, every adjoint of both, and torch's
NEW_CASES = [(kind, m, D, seed) for kind in NEW if kind != "lstm_concat" for (m, D), seed in
             (TRIALS_2D if kind in TWO_D else TRIALS_GATED if kind in GATED else TRIALS)]


def new_fd(inp, truth) -> dict[str, dict]:
    """Every adjoint kind_truth returns for a new kind, by central differences of kind_forward's forward."""
    base = {"x": inp.x, "W": inp.W, "b": inp.b, "K": inp.K, "V": inp.V, "mask": inp.mask, "tokens": inp.tokens,
            "stride": inp.stride, "pad": inp.pad, "window": inp.window, "window2": inp.window2, "Wx": inp.W,
            "Wh": inp.Wh, "h0": inp.h0, "bx": inp.b, "bh": inp.bh}
    values = base | truth

    def f(name):
        return lambda v: layer_inputs.loss(inp, FORWARD[inp.kind]({**base, name: v}, False))

    def bumped(name, index):  # a recursion's cut node: moved where it is computed, the later steps recomputed
        return lambda v: layer_inputs.loss(inp, FORWARD[inp.kind]({**base, "bump": (name, index, v[0])}, False))
    names = [n[1:] for n in truth if n.startswith("d")]
    return {"d" + n: {i: central(bumped(n, i), (mpmath.mpf(0),), 0) if inp.kind in RECURRENT and n in CUTS
                      else central(f(n), values[n], i) for i in indices(values[n])} for n in names}


RECURRENT = ("rnn", "lstm", "gru")
# a recursion's cut nodes, moved where the forward computes them
CUTS = ("a", "h", "ig", "fg", "og", "gg", "c", "ax", "ah", "rg", "zg", "ng")


def test_the_old_kinds_come_first():
    assert layer_inputs.KINDS[:3] == ("batchnorm", "layernorm", "dropout")
    assert {"dense", "softmax", "logsoftmax", "relu", "gelu"} <= set(NEW)
    # added last: their draws come after the others', the convolutions and poolings (1-D, then 2-D), then the
    # recurrent layer
    assert layer_inputs.KINDS[-5 - len(GEOMETRIC):] == ("embedding", *GEOMETRIC, "rnn", "lstm", "gru", "lstm_concat")
    assert GEOMETRIC == ("conv1d", "maxpool1d", "avgpool1d", "conv2d", "maxpool2d", "avgpool2d")
    assert TWO_D == GEOMETRIC[3:]


# a convolution's, pooling's or recurrent layer's x (m by D by the positions, m by T by D) and loss are its own
OWN_X = (*GEOMETRIC, "rnn", "lstm", "gru", "lstm_concat")


@pytest.mark.parametrize("m, D, seed", [(4, 3, 5), (3, 5, 0), (6, 2, 11)])
def test_every_kind_draws_the_shared_fields_alike(m, D, seed):
    # the shared fields come first in the stream, the same for every kind; a kind's own fields follow them
    bn = layer_inputs.draw("batchnorm", m, D, seed)
    for kind in layer_inputs.KINDS:
        inp = layer_inputs.draw(kind, m, D, seed)
        assert (inp.gamma, inp.beta, inp.eps, inp.keep) == (bn.gamma, bn.beta, bn.eps, bn.keep), kind
        if kind not in OWN_X:  # a convolution's or pooling's x (m by D by T, or T by T2) and loss are its own
            assert inp.x == bn.x, kind
        if kind not in ("dense", *OWN_X):  # dense's loss is of its H outputs
            assert (inp.c, inp.d) == (bn.c, bn.d), kind
        if kind != "masked_attention":  # its mask is its own, m by H
            assert inp.mask == bn.mask, kind
        assert (inp.tokens, inp.onehot) == ((), ()) or kind == "embedding", kind


@pytest.mark.parametrize("kind, m, D, seed", NEW_CASES)
def test_every_adjoint_of_a_new_kind_agrees_with_central_differences(kind, m, D, seed):
    inp = layer_inputs.draw(kind, m, D, seed)
    truth = kind_truth(inp)
    attention = {"dx", "dK", "dV", "dS", "de", "ds", "dP", "dy"}
    want = {"dense": {"dx", "dy", "dW", "db"}, "softmax": {"dx", "dy", "de", "ds"},
            "logsoftmax": {"dx", "dy", "de", "ds"}, "attention": attention,
            "masked_attention": attention, "embedding": {"dW", "dy"},
            "conv1d": {"dx", "dy", "dW", "db"}, "conv2d": {"dx", "dy", "dW", "db"},
            "rnn": {"dx", "dy", "dh", "da", "dWx", "dWh", "db", "dh0"},
            "lstm": {"dx", "dy", "dh", "da", "dWx", "dWh", "db", "dh0", "dig", "dfg", "dog", "dgg", "dc"},
            "gru": {"dx", "dy", "dh", "dax", "dah", "drg", "dzg", "dng", "dWx", "dWh", "dbx", "dbh", "dh0"}}.get(
                kind, {"dx", "dy"})
    assert {n for n in truth if n.startswith("d")} == want
    assert worst(truth, new_fd(inp, truth)) < TOL


def test_the_check_tells_a_wrong_new_kind():
    # softmax's truth is not log-softmax's, nor relu's leaky relu's, at the same input
    for kind, other in (("softmax", "logsoftmax"), ("relu", "leaky_relu"), ("sigmoid", "silu")):
        inp = layer_inputs.draw(kind, 4, 3, 3)
        fd = new_fd(inp, kind_truth(inp))
        assert worst(kind_truth(dataclasses.replace(inp, kind=other)), {"dx": fd["dx"]}) > 1e-6


def test_dense_draws_its_weights_after_the_old_fields():
    m, D = 3, 4
    dense, bn = layer_inputs.draw("dense", m, D, 5), layer_inputs.draw("batchnorm", m, D, 5)
    assert dense.x == bn.x and dense.gamma == bn.gamma and dense.mask == bn.mask  # the old stream, unchanged
    assert bn.W == () and bn.b == () and bn.H == D
    assert len(dense.W) == D and {len(row) for row in dense.W} == {D + 2} and len(dense.b) == D + 2 == dense.H
    assert len(dense.c) == m and {len(row) for row in dense.c + dense.d} == {D + 2}
    t = kind_truth(dense)
    assert len(t["y"]) == m and {len(row) for row in t["y"] + t["dy"]} == {D + 2}
    assert len(t["dW"]) == D and {len(row) for row in t["dW"]} == {D + 2} and len(t["db"]) == D + 2
    three = layer_inputs.draw("dense", m, D, 5, H=1)
    assert three.H == 1 and {len(row) for row in kind_truth(three)["y"]} == {1}
    with pytest.raises(DeriveError, match="H >= 1"):
        layer_inputs.draw("dense", m, D, 5, H=0)


@pytest.mark.parametrize("kind", ["softmax", "logsoftmax"])
def test_known_facts_of_the_softmaxes(kind):
    t = kind_truth(layer_inputs.draw(kind, 4, 3, 1))
    with mpmath.workdps(60):
        for n in range(4):
            # adding a constant to an example's features changes neither output: dx sums to 0 over each row
            assert abs(mpmath.fsum(t["dx"][n])) < 1e-40
            total = mpmath.fsum(t["y"][n]) if kind == "softmax" else mpmath.fsum(mpmath.exp(v) for v in t["y"][n])
            assert abs(total - 1) < 1e-40


def test_known_facts_of_dense():
    inp = layer_inputs.draw("dense", 4, 3, 1)
    t = kind_truth(inp)
    with mpmath.workdps(60):
        for j in range(inp.H):  # db is dy summed over the examples, dW = x^T dy
            assert abs(t["db"][j] - mpmath.fsum(t["dy"][n][j] for n in range(4))) < 1e-40
            for k in range(3):
                assert abs(t["dW"][k][j] - mpmath.fsum(inp.x[n][k] * t["dy"][n][j] for n in range(4))) < 1e-40


@pytest.mark.parametrize("kind, m, D, seed", NEW_CASES[::2])
def test_torch_agrees_on_the_new_kinds(kind, m, D, seed):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp = layer_inputs.draw(kind, m, D, seed)
    got, want = kind_torch(inp), kind_truth(inp)
    learned = {"dense": {"dW", "db"}, "attention": {"dK", "dV"}, "masked_attention": {"dK", "dV"},
               "embedding": {"dW"}, "conv1d": {"dW", "db"}, "conv2d": {"dW", "db"},
               "rnn": {"dWx", "dWh", "db", "dh0"}, "lstm": {"dWx", "dWh", "db", "dh0"},
               "gru": {"dWx", "dWh", "dbx", "dbh", "dh0"}}.get(kind, set())
    assert set(got) == ({"dy"} if kind == "embedding" else {"dy", "dx"}) | learned  # the embedding reads no x
    assert worst(got, {n: {i: at(want[n], i) for i in indices(want[n])} for n in got}) < 1e-10


# ---------------------------------------------------------------- attention, with and without its mask

ATTENTION = layer_inputs.ATTENTION
ATTENTION_DRAWS = ((4, 3, 1), (3, 5, 4), (2, 4, 9))  # (m, D, seed): H = m + 1 keys, never m nor D


def test_attention_draws_its_keys_and_values_after_the_old_fields():
    m, D = 3, 4
    bn = layer_inputs.draw("batchnorm", m, D, 5)
    assert bn.K == () and bn.V == () and bn.H == D
    for kind in ATTENTION:
        a = layer_inputs.draw(kind, m, D, 5)
        same = ("x", "gamma", "beta", "eps", "keep", "c", "d", "W", "b")  # the old stream, unchanged
        assert all(getattr(a, name) == getattr(bn, name) for name in same)
        assert a.H == m + 1 and len(a.K) == len(a.V) == m + 1 and {len(r) for r in a.K + a.V} == {D}
        assert len(a.c) == m and {len(row) for row in a.c + a.d} == {D}  # the loss is of the output, m by D
        assert a.K != a.V
    plain, masked = (layer_inputs.draw(kind, m, D, 5) for kind in ATTENTION)
    assert plain.K == masked.K and plain.V == masked.V
    assert plain.mask == bn.mask  # plain attention keeps the old stream's mask (and never reads it)
    assert masked.mask == ((1, 1, 0, 0), (1, 1, 1, 0), (1, 1, 1, 1))  # query n sees the first n + 2 keys
    two = layer_inputs.draw("masked_attention", m, D, 5, H=2)
    assert two.H == 2 and {len(row) for row in two.mask} == {2}
    assert {len(row) for row in kind_truth(two)["P"]} == {2}
    with pytest.raises(DeriveError, match="H >= 1 keys"):
        layer_inputs.draw("attention", m, D, 5, H=0)


@pytest.mark.parametrize("kind", ATTENTION)
@pytest.mark.parametrize("m, D, seed", ATTENTION_DRAWS)
def test_every_adjoint_of_attention_agrees_with_central_differences(kind, m, D, seed):
    inp = layer_inputs.draw(kind, m, D, seed)
    assert len({inp.m, inp.H, inp.D}) == 3
    truth = kind_truth(inp)
    fd = new_fd(inp, truth)
    assert set(fd) == {"dx", "dK", "dV", "dS", "de", "ds", "dP", "dy"}
    assert worst(truth, fd) < TOL


@pytest.mark.parametrize("m, D, seed", ATTENTION_DRAWS)
def test_known_facts_of_attention(m, D, seed):
    for kind in ATTENTION:
        inp = layer_inputs.draw(kind, m, D, seed)
        t = kind_truth(inp)
        H = inp.H
        seen = inp.mask if kind == "masked_attention" else [[1] * H for _ in range(m)]
        with mpmath.workdps(60):
            for n in range(m):
                assert abs(mpmath.fsum(t["P"][n]) - 1) < 1e-40                   # each query's weights sum to 1
                assert abs(mpmath.fsum(t["dS"][n])) < 1e-40  # a constant added to a row of scores changes nothing
                for j in range(H):
                    if seen[n][j]:
                        assert t["P"][n][j] > 0 and t["dS"][n][j] != 0
                    else:  # a masked key: exactly no weight and exactly no gradient to its score
                        assert t["e"][n][j] == 0 and t["P"][n][j] == 0 and t["dS"][n][j] == 0
                for k in range(D):
                    assert abs(t["dy"][n][k] - (inp.c[n][k] + inp.d[n][k] * t["y"][n][k])) < 1e-40
                    # the scores are linear in the queries, the output linear in the values
                    dx = mpmath.fsum(t["dS"][n][j] * inp.K[j][k] for j in range(H)) / mpmath.sqrt(D)
                    assert abs(t["dx"][n][k] - dx) < 1e-40
            for j, k in itertools.product(range(H), range(D)):
                assert abs(t["dV"][j][k] - mpmath.fsum(t["P"][n][j] * t["dy"][n][k] for n in range(m))) < 1e-40


def test_the_check_tells_masked_from_plain_attention():
    inp = layer_inputs.draw("masked_attention", 4, 3, 2)
    fd = new_fd(inp, kind_truth(inp))
    plain = kind_truth(dataclasses.replace(inp, kind="attention"))  # the same queries, keys and values, no mask
    for name in ("dx", "dK", "dV"):
        assert worst(plain, {name: fd[name]}) > 1e-6
    # and plain attention reads no mask: another one changes nothing
    other = layer_inputs.draw("attention", 4, 3, 2)
    zeros = tuple(tuple(0 for _ in row) for row in other.mask)
    assert kind_truth(dataclasses.replace(other, mask=zeros)) == kind_truth(other)


def test_attention_refuses_mismatched_shapes():
    inp = layer_inputs.draw("masked_attention", 3, 2, 0)
    with pytest.raises(DeriveError, match="m by H"):
        kind_truth(dataclasses.replace(inp, mask=inp.mask[:2]))
    with pytest.raises(DeriveError, match="K and V"):
        kind_truth(dataclasses.replace(inp, V=inp.V[:2]))


@pytest.mark.parametrize("kind", ATTENTION)
@pytest.mark.parametrize("m, D, seed", ATTENTION_DRAWS)
def test_torch_agrees_on_attention(kind, m, D, seed):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp = layer_inputs.draw(kind, m, D, seed)
    got, want = kind_torch(inp), kind_truth(inp)
    assert set(got) == {"dy", "dx", "dK", "dV"}
    assert worst(got, {n: {i: at(want[n], i) for i in indices(want[n])} for n in got}) < 1e-10


# ---------------------------------------------------------------- the embedding: a lookup whose dW accumulates

EMBEDDING_DRAWS = ((4, 3, 0), (5, 2, 4), (3, 4, 9), (6, 3, 2), (2, 3, 1))  # (m, D, seed): H = m - 1 words


def test_the_embedding_draws_its_table_then_its_tokens_after_the_old_fields():
    m, D = 5, 3
    inp = layer_inputs.draw("embedding", m, D, 5)
    assert inp.H == m - 1 and len(inp.W) == m - 1 and {len(row) for row in inp.W} == {D}
    assert len(inp.tokens) == m and all(type(t) is int and 0 <= t < inp.H for t in inp.tokens)
    assert len(inp.c) == m and {len(row) for row in inp.c + inp.d} == {D}  # the loss is of the output, m by D
    assert all(-1 <= v <= 1 for row in inp.W for v in row)
    assert inp.onehot == tuple(tuple(int(t == j) for j in range(inp.H)) for t in inp.tokens)
    assert all(sum(row) == 1 for row in inp.onehot) and {len(row) for row in inp.onehot} == {inp.H}
    # W is drawn first, row by row, then the tokens: a smaller table is the larger one's first rows
    small = layer_inputs.draw("embedding", m, D, 5, H=2)
    assert small.W == inp.W[:2] and all(0 <= t < 2 for t in small.tokens)
    with pytest.raises(DeriveError, match="H >= 1 words"):
        layer_inputs.draw("embedding", m, D, 5, H=0)


def test_the_embedding_draws_always_repeat_a_token():
    for m, seed in itertools.product(range(2, 9), range(40)):
        tokens = layer_inputs.draw("embedding", m, 2, seed).tokens
        assert len(set(tokens)) < len(tokens) == m


@pytest.mark.parametrize("m, D, seed", EMBEDDING_DRAWS)
def test_every_adjoint_of_the_embedding_agrees_with_central_differences(m, D, seed):
    inp = layer_inputs.draw("embedding", m, D, seed)
    truth = kind_truth(inp)
    assert set(truth) == {"W", "y", "dW", "dy"}
    fd = new_fd(inp, truth)
    assert set(fd) == {"dW", "dy"}
    assert worst(truth, fd) < TOL


@pytest.mark.parametrize("m, D, seed", EMBEDDING_DRAWS)
def test_known_facts_of_the_embedding(m, D, seed):
    inp = layer_inputs.draw("embedding", m, D, seed)
    t = kind_truth(inp)
    assert t["W"] == inp.W
    with mpmath.workdps(60):
        for n, k in itertools.product(range(m), range(D)):
            assert t["y"][n][k] == inp.W[inp.tokens[n]][k]                                  # a lookup, exactly
            assert abs(t["dy"][n][k] - (inp.c[n][k] + inp.d[n][k] * t["y"][n][k])) < 1e-40  # dl/dy = c + d y
        for j in range(inp.H):  # dW's row j is the sum of dy over the tokens equal to j; an unused word's is 0
            readers = [n for n in range(m) if inp.tokens[n] == j]
            for k in range(D):
                assert abs(t["dW"][j][k] - mpmath.fsum(t["dy"][n][k] for n in readers)) < 1e-40
                if not readers:
                    assert t["dW"][j][k] == 0


def test_the_embedding_draws_show_a_repeat_and_an_unused_word():
    # the facts above are tested where they bite: some word read twice or more, some word never read
    counts = [[layer_inputs.draw("embedding", m, D, seed).tokens.count(j) for j in range(m - 1)]
              for m, D, seed in EMBEDDING_DRAWS]
    assert all(max(c) >= 2 for c in counts) and any(0 in c for c in counts)


@pytest.mark.parametrize("m, D, seed", EMBEDDING_DRAWS[:3])
def test_the_check_tells_overwriting_from_accumulating(m, D, seed):
    # the classic mistake: dW[tokens_n] = dy_n in a loop, the last occurrence of a repeated token winning
    inp = layer_inputs.draw("embedding", m, D, seed)
    truth = kind_truth(inp)
    fd = new_fd(inp, truth)
    overwritten = [[mpmath.mpf(0)] * D for _ in range(inp.H)]
    for n, token in enumerate(inp.tokens):
        overwritten[token] = list(truth["dy"][n])
    assert worst(dict(truth, dW=tuple(map(tuple, overwritten))), {"dW": fd["dW"]}) > 1e-6
    # and a table read at other tokens is another truth
    other = tuple((t + 1) % inp.H for t in inp.tokens)
    assert worst(kind_truth(dataclasses.replace(inp, tokens=other)), {"dW": fd["dW"]}) > 1e-6


def test_the_embedding_refuses_a_token_outside_the_table():
    inp = layer_inputs.draw("embedding", 4, 3, 0)  # H = 3 words
    for bad in (3, -1, True, 1.0):
        tokens = (0, bad, 1, 2)
        with pytest.raises(DeriveError, match=r"embedding token .* \(position 1\) is not a word id in 0 \.\. 2"):
            kind_truth(dataclasses.replace(inp, tokens=tokens))
    with pytest.raises(DeriveError, match="m >= 1 tokens"):
        kind_truth(dataclasses.replace(inp, tokens=()))


@pytest.mark.parametrize("m, D, seed", EMBEDDING_DRAWS)
def test_torch_agrees_on_the_embedding(m, D, seed):
    pytest.importorskip("torch")
    from derive.torch_truth import kind_torch
    inp = layer_inputs.draw("embedding", m, D, seed)
    got, want = kind_torch(inp), kind_truth(inp)
    assert set(got) == {"dy", "dW"}
    assert worst(got, {n: {i: at(want[n], i) for i in indices(want[n])} for n in got}) < 1e-10
