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

import mpmath
import pytest
from kind_forward import ACTIVATION, FORWARD, READS, at, central, indices, loss, worst

from derive import architectures
from derive.activations import ACTIVATIONS
from derive.errors import DeriveError
from derive.truth_kinds import KIND_TRUTH, network_dps, network_truth

TOL = mpmath.mpf("1e-30")
# (spec, inputs, m, unbiased): every kind, both skips (one from the network's input), a nested residual (three
# readers of one step), unequal widths and m different from each of them
NETS = {
    "mixed": ("dense(3), relu, residual(dense(3), batchnorm, tanh), projected(dense(2), layernorm), dense(3), "
              "logsoftmax", 2, 4, False),
    "unbiased": ("residual(batchnorm, dropout), dense(4), softmax, residual(layernorm, sigmoid, dense(4)), gelu",
                 3, 5, True),
    "activations": ("dense(3), identity, leaky_relu, softplus, elu, silu, exp, residual(residual(tanh), relu), "
                    "dense(2)", 2, 4, False),
}


def _draw(name: str, seed: int = 0) -> architectures.NetworkInput:
    spec, inputs, m, unbiased = NETS[name]
    return architectures.draw(architectures.parse(spec, inputs, unbiased), m, seed)


def net_loss(inp: architectures.NetworkInput, cut: tuple | None = None):
    """The loss with ``cut`` = (step position, quantity, value) given to that step in place of its own."""
    arch, outputs = inp.architecture, [inp.x]
    for pos, step in enumerate(arch.steps):
        q = {**inp.params[pos], **{name: outputs[r] for name, r in zip(READS.get(step.kind, ("x",)), step.reads)}}
        if cut is not None and cut[0] == pos:
            q[cut[1]] = cut[2]
        outputs.append(FORWARD[step.kind](q, arch.unbiased))
    return loss(inp.c, inp.d, outputs[-1])


def fd_adjoints(inp, truth) -> list[dict]:
    """Every adjoint network_truth returns, per step, by central differences with its node moved."""
    out = []
    for pos, quantities in enumerate(truth):
        fd = {}
        for name in (n[1:] for n in quantities if n.startswith("d") and n[1:] in quantities):
            def f(value, pos=pos, name=name):
                return net_loss(inp, (pos, name, value))
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
    kinds = {s.kind for name in NETS for s in _draw(name).architecture.steps}
    # single layers only: no spec names them yet
    single = {"attention", "masked_attention", "embedding", "conv1d", "maxpool1d", "avgpool1d", "conv2d",
              "maxpool2d", "avgpool2d", "rnn", "lstm", "gru"}
    # (issue 13)
    assert single.isdisjoint(architectures.NAMES)
    assert kinds == set(KIND_TRUTH) - single and set(ACTIVATION) == {n for n, a in ACTIVATIONS.items() if a.elementwise}
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
                total = shares[0][i[0]][i[1]]
                for s in shares[1:]:
                    total = total + s[i[0]][i[1]]
                assert dy[i[0]][i[1]] == total, (step, i)
    assert forks >= 1
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
            assert len(q["y"]) == inp.m and {len(row) for row in q["y"]} == {step.width}
            for param in KIND_TRUTH[step.kind].learned:
                assert q[param] == inp.params[step.index - 1][param]
        last = truth[-1]
        for n, k in indices(last["y"]):  # dl/dy = c + d y at the output
            assert abs(last["dy"][n][k] - (inp.c[n][k] + inp.d[n][k] * last["y"][n][k])) < 1e-60


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

@pytest.mark.parametrize("name", NETS)
def test_torch_agrees(checked, name):
    pytest.importorskip("torch")
    from derive.torch_truth import network_torch
    inp, truth, _ = checked[name]
    got = network_torch(inp)
    for step, g, want in zip(inp.architecture.steps, got, truth):
        learned = {"d" + p for p in KIND_TRUTH[step.kind].learned}
        assert set(g) == {"dy"} | {"d" + r for r in READS.get(step.kind, ("x",))} | learned
        assert worst(g, {n: {i: at(want[n], i) for i in indices(want[n])} for n in g}) < 1e-10, step
