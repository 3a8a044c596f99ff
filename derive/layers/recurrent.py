"""Recurrent layers unrolled over T time steps: a vanilla RNN (below) and an LSTM (``lstm``). The vanilla one, as
a graph of entries over the examples n, the time steps t, the input features k (D of them) and the hidden units j
(H; i is a second index over them, a recurrent weight's rows):

    a[n, t, j] = Σ_k x[n, t, k] Wx[k, j] + Σ_i h[n, t - 1, i] Wh[i, j] + [t = 1] Σ_i h0[n, i] Wh[i, j] + b[j]
    h[n, t, j] = tanh(a[n, t, j])                          y[n, t, j] = h[n, t, j]     (every state is an output)

h at step 0 is outside the array (0), so the initial state enters through its own term. The partials that read
one step back name the state's own indices (``Local.own``): ∂a[n, t, j]/∂h[n, t°, j°] = Wh[j°, j] [t° = t - 1].
The reverse pass then gives backpropagation through time, each adjoint the sum over its two paths:

    ∂ℓ/∂h[n, t, j] = ∂ℓ/∂y[n, t, j] + Σ_i ∂ℓ/∂a[n, t + 1, i] Wh[j, i]       (∂ℓ/∂a at step T + 1 is 0)
    ∂ℓ/∂a[n, t, j] = ∂ℓ/∂h[n, t, j] (1 - h[n, t, j]²)

and the weights' gradients summed over the examples and the steps. Goodfellow et al. (2016) §10.2.2 eqs. 10.21-10.28
(their Vᵀ ∇_o L is the upstream ∂ℓ/∂y here; W the recurrent weights, U the input's) and CS231n's rnn_step_backward
and rnn_backward (x, h0, Wx, Wh, b, h; dh the upstream gradient of every state).
"""

from __future__ import annotations

import sympy as sp

from ..activations import ACTIVATIONS
from .graph import AXES, SOURCE, KindGraph, Letters, Local, Node, entry, total

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 3: rnn_step_forward, rnn_forward, rnn_step_backward and rnn_backward "
    "(x, h0, Wx, Wh, b, h; dh the upstream gradient of every state, dh0, dx, dWx, dWh, db), counted from 1",
    {"x": "x", "Wx": r"W_{x}", "Wh": r"W_{h}", "b": "b", "h0": "h_{0}", "a": "a", "h": "h", "y": "y", "loss": "L"},
    {"n": ("n", "n'"), "t": ("t", "t'"), "k": ("k", "k'"), "j": ("j", "j'"), "i": ("i", "i'")},
    {"n": "N", "t": "T", "k": "D", "j": "H", "i": "H"}, shown="ntkji", adjoint="d", names={"y": r"\mathrm{dout}"})
GOODFELLOW = Letters(
    "goodfellow", "Goodfellow, Bengio & Courville (2016), Deep Learning, section 10.2.2, eqs. 10.8 and 10.21-10.28 "
    "(a, h, U the input's weights, W the recurrent ones, b; the upstream gradient of every state in place of "
    "their V transposed times the gradient of L by o; the example index r is derive's)",
    {"x": "x", "Wx": "U", "Wh": "W", "b": "b", "h0": r"h^{(0)}", "a": "a", "h": "h", "y": "y", "loss": "L"},
    {"n": ("r", "r"), "t": ("t", "t'"), "k": ("k", "k'"), "j": ("j", "j'"), "i": ("i", "i'")},
    {"n": "R", "t": "\\tau", "k": "D", "j": "H", "i": "H"}, shown="tkji")


def _recurrence(name: str, axis: str, bias: str, why: str, x_side: bool = True) -> Node:
    """The pre-activation ``name`` over (n, t, ``axis``): Σ_k x Wx (with ``x_side``) + Σ_i h(t - 1) Wh +
    [t = 1] Σ_i h0 Wh + ``bias``, its partials beside it. It reads the state one step back, at hidden unit i; when
    it shares the hidden axis j with the state (a plain RNN) the state's own unit is SOURCE[j] too."""
    n, t, i, j = (AXES[a][0] for a in "ntij")
    x, Wx, Wh, b, h0 = (entry("x", "ntk"), entry("Wx", "k" + axis), entry("Wh", "i" + axis), entry(bias, axis),
                        entry("h0", "ni"))
    before, first = sp.IndexedBase("h")[n, t - 1, i], sp.KroneckerDelta(t, 1)
    unit, own = (SOURCE["j"], "tj") if axis == "j" else (j, "t")
    forward = total(before * Wh, "i") + first * total(h0 * Wh, "i") + b
    reads = (Local("h", Wh.xreplace({i: unit}) * sp.KroneckerDelta(SOURCE["t"], t - 1), own=own, pick=True),
             Local("h0", first * Wh, pick=True), Local("Wh", before + first * h0, pick=True),
             Local(bias, sp.Integer(1)))
    if x_side:
        forward += total(x * Wx, "k")
        reads = (Local("x", Wx), Local("Wx", x)) + reads
    return Node(name, "nt" + axis, forward, reads, why=why)


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased  # no statistics
    a, h = entry("a", "ntj"), entry("h", "ntj")
    tanh = ACTIVATIONS["tanh"]
    nodes = (
        Node("x", "ntk", why="the inputs: examples by steps by features"),
        Node("h0", "ni", why="the initial state"),
        Node("Wx", "kj", why="the input-to-hidden weights"),
        Node("Wh", "ij", why="the hidden-to-hidden (recurrent) weights"),
        Node("b", "j", why="the biases"),
        _recurrence("a", "j", "b", "the pre-activations"),
        Node("h", "ntj", tanh.f(a), (Local("a", tanh.df_out(h)),), why="the hidden states"),
        Node("y", "ntj", h, (Local("h", sp.Integer(1)),), why="the output: every hidden state"),
    )
    return KindGraph("rnn", nodes, "y", ("x", "h0", "Wx", "Wh", "b"), (), (),
                     "a recurrent layer unrolled over time", (CS231N, GOODFELLOW))


CS231N_LSTM = Letters(
    "cs231n", "CS231n (Stanford), assignment 3: lstm_step_forward, lstm_forward, lstm_step_backward and lstm_backward "
    "(x, h0, Wx, Wh, b; a the N by 4H pre-activations, i, f, o, g the gates, c the cell state, h; dh the upstream "
    "gradient of every state), counted from 1; the cell state starts at 0, as lstm_forward's",
    {"x": "x", "Wx": r"W_{x}", "Wh": r"W_{h}", "b": "b", "h0": "h_{0}", "a": "a", "ig": "i", "fg": "f", "og": "o",
     "gg": "g", "c": "c", "h": "h", "y": "y", "loss": "L"},
    {"n": ("n", "n'"), "t": ("t", "t'"), "k": ("k", "k'"), "j": ("j", "j'"), "i": ("i", "i'"), "q": ("q", "q'")},
    {"n": "N", "t": "T", "k": "D", "j": "H", "i": "H", "q": "4H"}, shown="ntkjiq", adjoint="d",
    names={"y": r"\mathrm{dout}"})


def lstm(unbiased: bool = False) -> KindGraph:
    """An LSTM over T steps in CS231n's form: the gates' pre-activations stacked, a[n, t, q] for q in 1..4H,
    i = σ(a[.., j]), f = σ(a[.., H + j]), o = σ(a[.., 2H + j]), g = tanh(a[.., 3H + j]), c = f c(t - 1) + i g (c at
    step 0 is 0), h = o tanh(c). Each gate reads its slice of a at a computed index (its partial a delta of q),
    a and c read the step before (``Local.own``), so the reverse pass carries both dh and dc back through time."""
    del unbiased
    n, t, k, j, i, q = (AXES[a][0] for a in "ntkjiq")
    H = AXES["j"][1]
    c, h = entry("c", "ntj"), entry("h", "ntj")
    gates = {name: entry(name, "ntj") for name in ("ig", "fg", "og", "gg")}
    sigmoid, tanh = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
    gate_nodes = []
    for offset, (name, act, why) in enumerate((("ig", sigmoid, "the input gate"), ("fg", sigmoid, "the forget gate"),
                                               ("og", sigmoid, "the output gate"),
                                               ("gg", tanh, "the candidate cell state"))):
        slot = offset * H + j
        gate_nodes.append(Node(name, "ntj", act.f(sp.IndexedBase("a")[n, t, slot]),
                               (Local("a", act.df_out(gates[name]) * sp.KroneckerDelta(q, slot), pick=True),),
                               why=f"{why}: a's slice {offset + 1} of 4"))
    before_c = sp.IndexedBase("c")[n, t - 1, j]
    nodes = (
        Node("x", "ntk", why="the inputs: examples by steps by features"),
        Node("h0", "ni", why="the initial state (the cell state starts at 0)"),
        Node("Wx", "kq", why="the input-to-gates weights, the four gates side by side"),
        Node("Wh", "iq", why="the hidden-to-gates (recurrent) weights"),
        Node("b", "q", why="the gates' biases"),
        _recurrence("a", "q", "b", "the gates' pre-activations, stacked"),
        *gate_nodes,
        Node("c", "ntj", gates["fg"] * before_c + gates["ig"] * gates["gg"],
             (Local("fg", before_c), Local("ig", gates["gg"]), Local("gg", gates["ig"]),
              Local("c", gates["fg"] * sp.KroneckerDelta(SOURCE["t"], t - 1), own="t", pick=True)),
             why="the cell state"),
        Node("h", "ntj", gates["og"] * sp.tanh(c),
             (Local("og", sp.tanh(c)), Local("c", gates["og"] * (1 - sp.tanh(c) ** 2))), why="the hidden states"),
        Node("y", "ntj", h, (Local("h", sp.Integer(1)),), why="the output: every hidden state"),
    )
    return KindGraph("lstm", nodes, "y", ("x", "h0", "Wx", "Wh", "b"), (), (),
                     "an LSTM layer unrolled over time", (CS231N_LSTM,))


TORCH_GRU = Letters(
    "pytorch", "PyTorch's torch.nn.GRU (r, z, n the reset gate, the update gate and the new gate, h; weight_ih and "
    "weight_hh as W_x and W_h, the gates stacked r, z, n over 3H, biases b_ih and b_hh as b_x and b_h), counted from "
    "1; a_x and a_h, the stacked pre-activations, are derive's",
    {"x": "x", "Wx": r"W_{x}", "Wh": r"W_{h}", "bx": r"b_{x}", "bh": r"b_{h}", "h0": "h_{0}", "ax": r"a_{x}",
     "ah": r"a_{h}", "rg": "r", "zg": "z", "ng": "n", "h": "h", "y": "y", "loss": "L"},
    {"n": ("s", "s'"), "t": ("t", "t'"), "k": ("k", "k'"), "j": ("j", "j'"), "i": ("i", "i'"), "g": ("q", "q'")},
    {"n": "N", "t": "T", "k": "D", "j": "H", "i": "H", "g": "3H"}, shown="ntkjig", adjoint="partial")


def gru(unbiased: bool = False) -> KindGraph:
    """A GRU over T steps in PyTorch's form (torch.nn.GRU): a_x = x W_x + b_x and a_h = h(t - 1) W_h + b_h, each
    3H stacked (r, z, n), r = σ(a_x[j] + a_h[j]), z = σ(a_x[H + j] + a_h[H + j]), n = tanh(a_x[2H + j] + r a_h[2H + j]),
    h = (1 - z) n + z h(t - 1), from h0 (at step 1 the state before is h0)."""
    del unbiased
    n_, t, j, i, g = (AXES[a][0] for a in "ntjig")
    H = AXES["j"][1]
    x, Wx, bx = entry("x", "ntk"), entry("Wx", "kg"), entry("bx", "g")
    first = sp.KroneckerDelta(t, 1)
    r, z, new, h = (entry(name, "ntj") for name in ("rg", "zg", "ng", "h"))
    ax, ah = sp.IndexedBase("ax"), sp.IndexedBase("ah")
    sigmoid, tanh = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
    prev = sp.IndexedBase("h")[n_, t - 1, j] + first * sp.IndexedBase("h0")[n_, j]  # the state before, h0 at step 1
    nodes = (
        Node("x", "ntk", why="the inputs: examples by steps by features"),
        Node("h0", "ni", why="the initial state"),
        Node("Wx", "kg", why="the input-to-gates weights, r, z, n side by side"),
        Node("Wh", "ig", why="the hidden-to-gates (recurrent) weights"),
        Node("bx", "g", why="the input side's biases"),
        Node("bh", "g", why="the hidden side's biases"),
        Node("ax", "ntg", total(x * Wx, "k") + bx, (Local("x", Wx), Local("Wx", x), Local("bx", sp.Integer(1))),
             why="the input side's pre-activations, stacked"),
        _recurrence("ah", "g", "bh", "the hidden side's pre-activations, stacked", x_side=False),
        Node("rg", "ntj", sigmoid.f(ax[n_, t, j] + ah[n_, t, j]),
             (Local("ax", sigmoid.df_out(r) * sp.KroneckerDelta(g, j), pick=True),
              Local("ah", sigmoid.df_out(r) * sp.KroneckerDelta(g, j), pick=True)), why="the reset gate"),
        Node("zg", "ntj", sigmoid.f(ax[n_, t, H + j] + ah[n_, t, H + j]),
             (Local("ax", sigmoid.df_out(z) * sp.KroneckerDelta(g, H + j), pick=True),
              Local("ah", sigmoid.df_out(z) * sp.KroneckerDelta(g, H + j), pick=True)), why="the update gate"),
        Node("ng", "ntj", tanh.f(ax[n_, t, 2 * H + j] + r * ah[n_, t, 2 * H + j]),
             (Local("ax", tanh.df_out(new) * sp.KroneckerDelta(g, 2 * H + j), pick=True),
              Local("ah", tanh.df_out(new) * r * sp.KroneckerDelta(g, 2 * H + j), pick=True),
              Local("rg", tanh.df_out(new) * ah[n_, t, 2 * H + j])), why="the new gate"),
        Node("h", "ntj", (1 - z) * new + z * prev,
             (Local("zg", prev - new), Local("ng", 1 - z),
              Local("h", z * sp.KroneckerDelta(SOURCE["t"], t - 1), own="t", pick=True),
              Local("h0", z.xreplace({j: i}) * first * sp.KroneckerDelta(i, j), pick=True)),
             why="the hidden states"),
        Node("y", "ntj", h, (Local("h", sp.Integer(1)),), why="the output: every hidden state"),
    )
    return KindGraph("gru", nodes, "y", ("x", "h0", "Wx", "Wh", "bx", "bh"), (), (),
                     "a GRU layer unrolled over time", (TORCH_GRU,))
