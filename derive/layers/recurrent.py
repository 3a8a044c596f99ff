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


def _cell(axes: str, before, gates: dict, names: tuple) -> Node:
    """An LSTM's cell state c = f c(t - 1) + u g (the forget gate, the update or input gate, the candidate, named
    ``names``; ``gates`` their entries), its partials beside it: c one step back read through ``Local.own``."""
    forget, update, candidate = names
    f, u, g = (gates[name] for name in names)
    t = AXES["t"][0]
    return Node("c", axes, f * before + u * g,
                (Local(forget, before), Local(update, g), Local(candidate, u),
                 Local("c", f * sp.KroneckerDelta(SOURCE["t"], t - 1), own="t", pick=True)), why="the cell state")


def _hidden(name: str, axes: str, c, gate: str, o) -> Node:
    """An LSTM's hidden state o tanh(c) (the output gate ``gate``, its entry ``o``), its partials beside it."""
    return Node(name, axes, o * sp.tanh(c), (Local(gate, sp.tanh(c)), Local("c", o * (1 - sp.tanh(c) ** 2))),
                why="the hidden states")


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
        _cell("ntj", before_c, gates, ("fg", "ig", "gg")),
        _hidden("h", "ntj", c, "og", gates["og"]),
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


# ---------------------------------------------------------------- deeplearning.ai's LSTM (course 5, week 1)
# Not a change of CS231n's letters: one weight matrix per gate over the concatenation [a_prev; x_t], the gates in
# their own order, every array with the examples as its columns, as the notebook's lstm_cell_forward writes them:
#
#     concat = [a_prev; x_t]                (n_a + n_x, m)       a_prev = a0 at t = 1
#     Γ_f = σ(W_f concat + b_f)    Γ_u = σ(W_u concat + b_u)    c̃ = tanh(W_c concat + b_c)    Γ_o = σ(W_o concat + b_o)
#     c_next = Γ_f ⊙ c_prev + Γ_u ⊙ c̃      (c_prev = 0 at t = 1, as lstm_forward's c_next = np.zeros)
#     a_next = Γ_o ⊙ tanh(c_next)          (y_t = softmax(W_y a_next + b_y) is not the cell's: every a is the output)
#
# The axes are in the notebook's order, rows first: x[k, n, t] is x (n_x, m, T_x), a[j, n, t] is a (n_a, m, T_x),
# W_f[j, p] is W_f (n_a, n_a + n_x). The pre-activations z (W_f concat + b_f ...) are derive's: the notebook names
# only their gradients, dΓ_f, dΓ_u, dc̃, dΓ_o (its eqs. 7-10 carry the gate's σ' or tanh'), and writes the document's
# ∂J/∂Γ_f (the gradient at the gate's value) nowhere.

DLS = Letters(
    "dls", "deeplearning.ai, Deep Learning Specialization, course 5 (Sequence Models), week 1, 'Building your "
    "Recurrent Neural Network - Step by Step': lstm_cell_forward, lstm_forward, lstm_cell_backward and lstm_backward "
    "(x, a0, W_f, W_u, W_c, W_o over concat = [a_prev; x_t], b_f, b_u, b_c, b_o, the gates Gamma_f, Gamma_u, "
    "Gamma_o and the candidate c tilde, c, a; dGamma_f, dGamma_u, dc tilde, dGamma_o the gradients at the gates' "
    "pre-activations z, which are derive's; "
    "da the upstream gradient of every state, da_next and dc_next the totals a step receives), the examples as "
    "columns, counted from 1; the cell state starts at 0, as lstm_forward's",
    {"x": "x", "a0": "a_{0}", "concat": r"\mathrm{concat}", "Wf": "W_{f}", "Wu": "W_{u}", "Wc": "W_{c}",
     "Wo": "W_{o}", "bf": "b_{f}", "bu": "b_{u}", "bc": "b_{c}", "bo": "b_{o}", "zf": "z_{f}", "zu": "z_{u}",
     "zc": "z_{c}", "zo": "z_{o}", "gf": r"\Gamma_{f}", "gu": r"\Gamma_{u}", "cc": r"\tilde{c}", "go": r"\Gamma_{o}",
     "c": "c", "a": "a", "y": "y", "loss": "J"},
    {"j": ("j", "j'"), "k": ("k", "k'"), "p": ("p", "p'"), "n": ("i", "i'"), "t": ("t", "t'")},
    {"j": "n_{a}", "k": "n_{x}", "p": "n_{a} + n_{x}", "n": "m", "t": "T_{x}"}, shown="jkpnt", adjoint="d",
    # every adjoint's name given, none read by a d before a letter (prefix ""): the notebook's dΓ_f is the gradient
    # at the gate's pre-activation, where d before the gate's letter would read the gradient at its value; a name
    # the checker reads (da the upstream, dc, dx) has a base of its own, the others (d a_next, dW_f ...) are written
    # with an upright d that reads as no quantity, so a formula naming them is refused, not misread
    names={"y": r"\mathrm{da}", "a": r"\mathrm{d}a_{\mathrm{next}}", "c": r"dc_{\mathrm{next}}", "x": "dx",
           "a0": r"\mathrm{d}a_{0}", "concat": r"\mathrm{dconcat}",
           **{f"{w}{g}": rf"\mathrm{{d}}{w.upper() if w == 'w' else w}_{{{g}}}" for w in "Wb" for g in "fuco"},
           "zf": r"d\Gamma_{f}", "zu": r"d\Gamma_{u}", "zc": r"d\tilde{c}", "zo": r"d\Gamma_{o}",
           "gf": r"\frac{\partial J}{\partial \Gamma_{f}}", "gu": r"\frac{\partial J}{\partial \Gamma_{u}}",
           "cc": r"\frac{\partial J}{\partial \tilde{c}}", "go": r"\frac{\partial J}{\partial \Gamma_{o}}"},
    prefix="")
GATES = (("f", "sigmoid", "the forget gate"), ("u", "sigmoid", "the update gate"),
         ("c", "tanh", "the candidate cell state"), ("o", "sigmoid", "the output gate"))
VALUE = {"f": "gf", "u": "gu", "c": "cc", "o": "go"}  # each gate's value node by its letter


def lstm_concat(unbiased: bool = False) -> KindGraph:
    """An LSTM over T steps as deeplearning.ai's course 5 writes it: each gate its own W (H by H + D) over
    concat[p, n, t] = [a(t - 1); x(t)] (a0 at step 1), the examples as columns, c at step 0 zero; the reverse pass
    carries da and dc back through time, as lstm_backward hands da_prevt and dc_prevt to the step before."""
    del unbiased
    j, k, p, n, t = (AXES[a][0] for a in "jkpnt")
    H = AXES["j"][1]
    first = sp.KroneckerDelta(t, 1)
    concat, c = entry("concat", "pnt"), entry("c", "jnt")
    values = {letter: entry(name, "jnt") for letter, name in VALUE.items()}
    gate_nodes: list[Node] = []
    for letter, act_name, why in GATES:
        W, b, z = entry("W" + letter, "jp"), entry("b" + letter, "j"), "z" + letter
        act = ACTIVATIONS[act_name]
        gate_nodes += [
            Node(z, "jnt", total(W * concat, "p") + b,
                 (Local("W" + letter, concat), Local("concat", W), Local("b" + letter, sp.Integer(1))),
                 why=f"{why}'s pre-activation"),
            Node(VALUE[letter], "jnt", act.f(entry(z, "jnt")), (Local(z, act.df_out(values[letter])),), why=why)]
    before_c = sp.IndexedBase("c")[j, n, t - 1]
    weights = tuple(Node("W" + letter, "jp", why=f"{why}'s weights over [a_prev; x_t]") for letter, _, why in GATES)
    biases = tuple(Node("b" + letter, "j", why=f"{why}'s biases") for letter, _, why in GATES)
    nodes = (
        Node("x", "knt", why="the inputs: features by examples by steps"),
        Node("a0", "jn", why="the initial state (the cell state starts at 0)"),
        *weights, *biases,
        # rows 1..H read the state before (a0 at step 1), rows H + 1..H + D the step's input: an entry outside its
        # array is 0, so each term is the stacking's one part
        Node("concat", "pnt", sp.IndexedBase("a")[p, n, t - 1] + first * sp.IndexedBase("a0")[p, n]
             + sp.IndexedBase("x")[p - H, n, t],
             (Local("a", sp.KroneckerDelta(SOURCE["t"], t - 1) * sp.KroneckerDelta(j, p), own="t", pick=True),
              Local("a0", first * sp.KroneckerDelta(j, p), pick=True),
              Local("x", sp.KroneckerDelta(p, H + k), pick=True)),
             why="the state before stacked over the step's input, [a_prev; x_t] (rows 1 to n_a the state, a0 at "
                 "step 1, the rest the input: an entry outside its array is 0)"),
        *gate_nodes[:6],
        _cell("jnt", before_c, {VALUE[g]: values[g] for g in "fuc"}, ("gf", "gu", "cc")),
        *gate_nodes[6:],
        _hidden("a", "jnt", c, "go", values["o"]),
        Node("y", "jnt", entry("a", "jnt"), (Local("a", sp.Integer(1)),), why="the output: every hidden state"),
    )
    return KindGraph("lstm_concat", nodes, "y", ("x", "a0", *(w.name for w in weights), *(b.name for b in biases)),
                     (), (), "an LSTM layer unrolled over time, each gate's weights over [a_prev; x_t]", (DLS,))
