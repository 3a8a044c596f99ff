"""Ground truth of a whole architecture (truth_kinds.network_truth) against central differences of its forward.

The network's forward is written again in tests/kind_forward.py (plain mpmath, no tape): each step computes its
output from what it reads, its parameters and any cut node given. Every adjoint network_truth returns is compared
to 1e-30 with a central difference at 80 digits of the loss with that one entry moved: a parameter; a step's own
input ("x", an add's "skip": only that step sees the move, its readers' other steps do not); a step's output
"y" (every reader sees it); an intermediate (mu, var, xhat, e, s: the step's later quantities recomputed from
it). Then the fan-out identity (a step's dy is the sum of its readers' shares, exactly), the cost, the n - 1
option, and PyTorch where installed.
"""

from __future__ import annotations

import functools

import mpmath
import pytest
from kind_forward import ACTIVATION, FORWARD, READS, _given, at, central, indices, worst

from derive import architectures
from derive.activations import ACTIVATIONS
from derive.errors import DeriveError
from derive.truth_kinds import KIND_TRUTH, network_dps, network_truth

TOL = mpmath.mpf("1e-30")
# (spec, inputs, m, unbiased): every kind, both skips (one from the network's input), a nested residual (three
# readers of one step), unequal widths and m different from each of them; a convolution (stride 2, padding 1), both
# poolings (windows overlapping and not) and the dense layer over a signal's entries; the same in 2-D; a recurrent
# layer, an activation over its states and the dense layer at every step. No max pool after a ReLU here: at a tie of
# its zeros the loss has no derivative, and a central difference gives the mean of the two one-sided ones
NETS = {
    "mixed": ("dense(3), relu, residual(dense(3), batchnorm, tanh), projected(dense(2), layernorm), dense(3), "
              "logsoftmax", 2, 4, False),
    "unbiased": ("residual(batchnorm, dropout), dense(4), softmax, residual(layernorm, sigmoid, dense(4)), gelu",
                 3, 5, True),
    "activations": ("dense(3), identity, leaky_relu, softplus, elu, silu, exp, residual(residual(tanh), relu), "
                    "dense(2)", 2, 4, False),
    "signal": ("signal(7), conv1d(3, 3, stride=2, pad=1), maxpool1d(2, 1), tanh, avgpool1d(2), flatten, dense(2), "
               "softmax", 2, 3, False),
    "image": ("image(3, 3), conv2d(2, 2, pad=1), avgpool2d(2, 1), elu, maxpool2d(2), flatten, dense(2)", 2, 2, False),
    "sequence": ("sequence(4), rnn(3), leaky_relu, dense(2)", 2, 3, False),
}
# PyTorch only (central differences of every gated cut entry through a network would cost minutes): an LSTM and a
# GRU stacked, and a max pool after a ReLU, whose ties the truth and PyTorch both break for the first entry
TORCH_NETS = {
    "gated": ("sequence(3), lstm(3), gru(2), sigmoid, dense(2)", 2, 3, False),
    "ties": ("signal(8), conv1d(4, 3, stride=2, pad=1), relu, maxpool1d(2), flatten, dense(3), softmax", 2, 4, False),
}
RECURRENT = ("rnn", "lstm", "gru")
CUTS = ("a", "h")  # the recurrent layer's cut nodes, moved where its forward computes them (kind_forward's "bump")


def _draw(name: str, seed: int = 0) -> architectures.NetworkInput:
    spec, inputs, m, unbiased = (NETS | TORCH_NETS)[name]
    return architectures.draw(architectures.parse(spec, inputs, unbiased), m, seed)


# ---------------------------------------------------------------- the network's own kinds, in plain mpmath

def _entrywise(f, values):
    return [_entrywise(f, v) if isinstance(v, list | tuple) else f(v) for v in values]


def _row_major(values) -> list:
    return [e for v in values for e in _row_major(v)] if isinstance(values, list | tuple) else [values]


def _dense_over_entries(q: dict, unbiased: bool):
    """y_nj = b_j + sum over every (channel, position ...) index e of W[e][j] x_n[e]: x_n and W's leading axes both
    read in row-major order."""
    def y():
        W, b = q["W"], q["b"]
        rows = _row_major([list(_row_major(W))])
        H = len(b)
        weights = [rows[i:i + H] for i in range(0, len(rows), H)]  # W's entries, H per leading index
        return [[b[j] + mpmath.fsum(w[j] * v for w, v in zip(weights, _row_major(example))) for j in range(H)]
                for example in q["x"]]
    return _given(q, "y", y)


def _temporal_dense(q: dict, unbiased: bool):
    """y_ntj = b_j + sum_k x_ntk W_kj at every step t."""
    W, b = q["W"], q["b"]
    return _given(q, "y", lambda: [[[b[j] + mpmath.fsum(xk * W[k][j] for k, xk in enumerate(step))
                                     for j in range(len(b))] for step in example] for example in q["x"]])


def _activation_over(f):
    return lambda q, unbiased: _given(q, "y", lambda: _entrywise(f, q["x"]))


NET_FORWARD = FORWARD | {"dense1d": _dense_over_entries, "dense2d": _dense_over_entries,
                         "temporal_dense": _temporal_dense} | {
    f"{prefix}{name}{suffix}": _activation_over(f) for name, f in ACTIVATION.items()
    for prefix, suffix in (("", "1d"), ("", "2d"), ("temporal_", ""))}


def nested_loss(c, d, y):
    """Σ (c y + ½ d y²) over every entry of y, whatever its shape."""
    return mpmath.fsum(cv * v + dv * v ** 2 / 2 for cv, dv, v in zip(_row_major(c), _row_major(d), _row_major(y)))


def net_loss(inp: architectures.NetworkInput, cut: tuple | None = None):
    """The loss with ``cut`` = (step position, quantity, value) given to that step in place of its own (a recurrent
    layer's a or h: (position, "bump", (name, index, step)), that entry moved where its forward computes it)."""
    arch, outputs = inp.architecture, [inp.x]
    for pos, step in enumerate(arch.steps):
        q = {**inp.params[pos], **{name: outputs[r] for name, r in zip(READS.get(step.kind, ("x",)), step.reads)}}
        if cut is not None and cut[0] == pos:
            q[cut[1]] = cut[2]
        outputs.append(NET_FORWARD[step.kind](q, arch.unbiased))
    return nested_loss(inp.c, inp.d, outputs[-1])


def fd_adjoints(inp, truth) -> list[dict]:
    """Every adjoint network_truth returns, per step, by central differences with its node moved."""
    out = []
    for pos, (step, quantities) in enumerate(zip(inp.architecture.steps, truth)):
        fd = {}
        for name in (n[1:] for n in quantities if n.startswith("d") and n[1:] in quantities):
            def f(value, pos=pos, name=name):
                return net_loss(inp, (pos, name, value))

            def bumped(value, pos=pos, name=name, where=None):
                return net_loss(inp, (pos, "bump", (name, where, value[0])))
            if step.kind in RECURRENT and name in CUTS:
                fd["d" + name] = {i: central(functools.partial(bumped, where=i), (mpmath.mpf(0),), 0)
                                  for i in indices(quantities[name])}
            else:
                fd["d" + name] = {i: central(f, quantities[name], i) for i in indices(quantities[name])}
        out.append(fd)
    return out


@pytest.fixture(scope="module")
def checked():
    """Each net's truth and its central differences, computed once for the tests below."""
    out = {}
    for name in NETS:
        inp = _draw(name)
        truth = network_truth(inp)
        out[name] = inp, truth, fd_adjoints(inp, truth)
    return out


# ---------------------------------------------------------------- every adjoint against central differences

@pytest.mark.parametrize("name", NETS)
def test_every_adjoint_agrees_with_central_differences(checked, name):
    inp, truth, fd = checked[name]
    assert len(truth) == len(inp.architecture.steps)
    for step, quantities, want in zip(inp.architecture.steps, truth, fd):
        adjoints = {n for n in quantities if n.startswith("d") and n[1:] in quantities}
        assert set(want) == adjoints and {"dx", "dy"} <= adjoints  # every adjoint returned is checked
        assert set(quantities) == adjoints | {n[1:] for n in adjoints}, step  # and nothing else is returned
        assert worst(quantities, want) < TOL, step


def test_the_nets_cover_every_kind():
    kinds = {s.kind for name in NETS | TORCH_NETS for s in _draw(name).architecture.steps}
    single = {"attention", "masked_attention", "embedding", "lstm_concat"}  # single layers only: no spec names them
    assert single.isdisjoint(architectures.NAMES)
    formed = {n for n in KIND_TRUTH if n.endswith(("1d", "2d")) and n[:-2] in ACTIVATIONS
              or n.startswith("temporal_") and n[9:] in ACTIVATIONS}
    assert len(formed) == 3 * len(ACTIVATION)  # every activation over a signal, an image and a sequence
    assert kinds >= set(KIND_TRUTH) - single - formed
    assert {k[-2:] for k in kinds & formed if not k.startswith("temporal_")} == {"1d", "2d"}
    assert any(k.startswith("temporal_") for k in kinds & formed)
    assert set(ACTIVATION) == {n for n, a in ACTIVATIONS.items() if a.elementwise}
    assert any(_draw(name).architecture.unbiased for name in NETS)


def test_the_check_tells_a_wrong_truth(checked):
    # the comparison can fail: the total adjoint of a step read twice is not that step's reader's share, and the
    # other variance (n vs n - 1) gives other numbers
    inp, truth, fd = checked["mixed"]
    arch = inp.architecture
    forked = next(s for s in arch.steps if len(arch.readers(s.index)) > 1)
    reader, position = arch.readers(forked.index)[0]
    share = "dx" if position == 0 else "dskip"
    total = truth[forked.index - 1]["dy"]
    assert worst({share: total}, {share: fd[reader.index - 1][share]}) > 1e-6
    spec, inputs, m, unbiased = NETS["unbiased"]
    other = network_truth(architectures.draw(architectures.parse(spec, inputs, not unbiased), m, 0))
    _, _, fd_unbiased = checked["unbiased"]
    assert max(worst(o, w) for o, w in zip(other, fd_unbiased)) > 1e-6


# ---------------------------------------------------------------- fan-out, values, shapes

@pytest.mark.parametrize("name", NETS)
def test_a_steps_total_adjoint_is_the_sum_of_its_readers_shares(checked, name):
    inp, truth, _ = checked[name]
    arch = inp.architecture
    forks = 0
    with mpmath.workdps(network_dps(len(arch.steps))):
        for step in arch.steps[:-1]:
            readers = arch.readers(step.index)
            forks += len(readers) > 1
            dy = truth[step.index - 1]["dy"]
            for i in indices(dy):
                # the backward sweep adds the readers' shares from the last reader to the first, each addition
                # rounded once at the working precision: the same additions in the same order give the same bits
                shares = [truth[r.index - 1]["dx" if p == 0 else "dskip"] for r, p in reversed(readers)]
                total = at(shares[0], i)
                for s in shares[1:]:
                    total = total + at(s, i)
                assert at(dy, i) == total, (step, i)
    assert forks >= 1 or all(s.form != "features" or s.kind.startswith("dense") for s in arch.steps[:-1])
    if name == "activations":  # the nested residual's input feeds the tanh and both adds
        assert max(len(arch.readers(s.index)) for s in arch.steps) == 3


@pytest.mark.parametrize("name", NETS)
def test_values_follow_the_dag(checked, name):
    inp, truth, _ = checked[name]
    arch = inp.architecture
    with mpmath.workdps(network_dps(len(arch.steps))):
        for step, q in zip(arch.steps, truth):
            for what, r in zip(READS.get(step.kind, ("x",)), step.reads):
                assert q[what] == (inp.x if r == 0 else truth[r - 1]["y"])
            assert len(q["y"]) == inp.m and {_shape(example) for example in q["y"]} == {step.dims}
            for param in KIND_TRUTH[step.kind].learned:
                assert q[param] == inp.params[step.index - 1][param]
        last = truth[-1]
        for i in indices(last["y"]):  # dl/dy = c + d y at the output
            assert abs(at(last["dy"], i) - (at(inp.c, i) + at(inp.d, i) * at(last["y"], i))) < 1e-60


def _shape(values) -> tuple:
    return (len(values), *_shape(values[0])) if isinstance(values, tuple) else ()


def test_the_cost_is_linear_in_the_steps(monkeypatch):
    # one tape for the whole network, swept once: each block adds the same number of nodes to it
    import derive.truth_kinds as tk
    lengths, sweeps = [], []

    class Counted(tk.Tape):
        def backward(self, root):
            lengths.append(len(self.parents))
            sweeps.append(root.i)
            return super().backward(root)

    monkeypatch.setattr(tk, "Tape", Counted)
    for blocks in (2, 4, 6):
        spec = "dense(3), " + ", ".join(["residual(dense(3), batchnorm, relu)"] * blocks)
        network_truth(architectures.draw(architectures.parse(spec, 2), 3, 0))
    assert len(lengths) == 3 and sweeps == [n - 1 for n in lengths]  # one sweep each, from the loss, the last node
    assert lengths[2] - lengths[1] == lengths[1] - lengths[0] > 0


def test_refusals():
    arch = architectures.parse("dense(2), layernorm", 2, unbiased=True)
    one = architectures.parse("dense(1), layernorm", 2, unbiased=True)
    network_truth(architectures.draw(arch, 3, 0))
    with pytest.raises(DeriveError, match="n - 1 variance of layernorm needs n >= 2"):
        network_truth(architectures.draw(one, 3, 0))


# ---------------------------------------------------------------- PyTorch, the second opinion

def _torch_check(inp, truth):
    from derive.torch_truth import network_torch
    got = network_torch(inp)
    for step, g, want in zip(inp.architecture.steps, got, truth):
        learned = {"d" + p for p in KIND_TRUTH[step.kind].learned}
        assert set(g) == {"dy"} | {"d" + r for r in READS.get(step.kind, ("x",))} | learned
        assert worst(g, {n: {i: at(want[n], i) for i in indices(want[n])} for n in g}) < 1e-10, step


@pytest.mark.parametrize("name", NETS)
def test_torch_agrees(checked, name):
    pytest.importorskip("torch")
    inp, truth, _ = checked[name]
    _torch_check(inp, truth)


@pytest.mark.parametrize("name", TORCH_NETS)
def test_torch_agrees_on_gated_layers_and_at_a_max_pools_ties(name):
    pytest.importorskip("torch")
    inp = _draw(name)
    truth = network_truth(inp)
    if name == "ties":  # the drawn batch has windows of a ReLU's zeros, each passing its gradient to its first entry
        pool = next(s for s in inp.architecture.steps if s.kind == "maxpool1d")
        x, dx = truth[pool.index - 1]["x"], truth[pool.index - 1]["dx"]
        tied = [(n, c, o) for n in range(inp.m) for c in range(len(x[0])) for o in range(len(x[0][0]) // 2)
                if x[n][c][2 * o] == x[n][c][2 * o + 1] and dx[n][c][2 * o] != 0]
        assert tied and all(dx[n][c][2 * o + 1] == 0 for n, c, o in tied)
    _torch_check(inp, truth)
