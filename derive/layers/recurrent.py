"""A vanilla recurrent layer unrolled over T time steps, as a graph of entries over the examples n, the time steps
t, the input features k (D of them) and the hidden units j (H; i is a second index over them, a recurrent weight's
rows):

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


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased  # no statistics
    n, t, k, j, i = (AXES[a][0] for a in "ntkji")
    x, Wx, Wh, b, h0 = entry("x", "ntk"), entry("Wx", "kj"), entry("Wh", "ij"), entry("b", "j"), entry("h0", "ni")
    a, h = entry("a", "ntj"), entry("h", "ntj")
    before = sp.IndexedBase("h")[n, t - 1, i]                 # the state one step back, read at hidden unit i
    first = sp.KroneckerDelta(t, 1)                           # the initial state enters at step 1 only
    forward = (total(x * Wx, "k") + total(before * Wh, "i") + first * total(h0 * Wh, "i") + b)
    tanh = ACTIVATIONS["tanh"]
    nodes = (
        Node("x", "ntk", why="the inputs: examples by steps by features"),
        Node("h0", "ni", why="the initial state"),
        Node("Wx", "kj", why="the input-to-hidden weights"),
        Node("Wh", "ij", why="the hidden-to-hidden (recurrent) weights"),
        Node("b", "j", why="the biases"),
        Node("a", "ntj", forward,
             (Local("x", Wx), Local("Wx", x), Local("b", sp.Integer(1)),
              Local("h", Wh.xreplace({i: SOURCE["j"]}) * sp.KroneckerDelta(SOURCE["t"], t - 1), own="tj", pick=True),
              Local("h0", first * Wh, pick=True),
              Local("Wh", sp.IndexedBase("h")[n, t - 1, i] + first * h0, pick=True)),
             why="the pre-activations"),
        Node("h", "ntj", tanh.f(a), (Local("a", tanh.df_out(h)),), why="the hidden states"),
        Node("y", "ntj", h, (Local("h", sp.Integer(1)),), why="the output: every hidden state"),
    )
    return KindGraph("rnn", nodes, "y", ("x", "h0", "Wx", "Wh", "b"), (), (),
                     "a recurrent layer unrolled over time", (CS231N, GOODFELLOW))
