"""Numeric truth of every claim in claims.toml, decided outside derive.

Each claim's formula is written again below as a Python function of the arrays its source works with
(transcribed by hand: that transcription is the independent reading). The true value of the quantity it
claims is the central finite difference of the forward pass its own source defines, in the source's own
layout: its gate order, [h, x] concatenation or separate input and recurrent weights, column vectors
(W @ x) or rows (x @ W), its bias shapes, its initial states. Eight forwards are written here (FAMILIES):

    rnn_row    a = x Wx + h Wh + b, h' = tanh(a)                      (CS231n, Deep Learning from Scratch 2)
    rnn_col    a = Waa a_prev + Wax x + ba, a' = tanh(a)              (DeepLearning.AI C5W1)
    rnn_out    a = b + W h + U x, h' = tanh(a), o = c + V h', softmax (Goodfellow et al. 10.8, min-char-rnn,
                                                                       nicklashansen)
    lstm_row   A = x Wx + h Wh + b split by a gate order ("ifog" CS231n, "fgio" Deep Learning from Scratch 2)
    lstm_cat   gates W [a_prev; x] + b, each gate its own W (n_a, n_a + n_x); optional softmax output
               (DeepLearning.AI C5W1, nicklashansen)
    lstm_sep   gates Wh h + Wx x + b per gate, columns (hanbt/learn_dl)
    lstm_r     gates h W + x U, no bias (the R package rnn's vignette)
    gru_row    z, r = sigmoid(x Wx_ + h Wh_), h~ = tanh(x Wx + (r h) Wh), h' = (1 - z) h + z h~ (Deep Learning
               from Scratch 2); gru_r: r, z = sigmoid(h W_ + x U_), g = tanh((h r) W_g + x U_g),
               h' = h (1 - z) + z g (the R package rnn's vignette)

A claim about one step (rnn_step_backward, lstm_cell_backward, ...) is judged locally: the step's outputs feed
l = sum(c h' + d h'^2 / 2) (+ the same in the new cell state c'), so the upstream gradients dnext_h = c + d h'
and dnext_c vary entry by entry, and the truth of every input, weight and internal node (a pre-activation, the
new cell state) is the finite difference of that step. A claim about a sequence is judged over T = 4 steps
with l = sum_t sum(c_t h_t + d_t h_t^2 / 2), or the source's own loss where the claim needs it (a softmax and
cross-entropy over an output layer, or the last state only), and the truth of a hidden state h_t is the
difference under a perturbation added to h_t where it is made. Sizes are unequal (N = 2, D = 4, H = 3, V = 5;
N = 1 for sources written for one example), every seed draws new weights, inputs and upstream weights.
A claim holds when it agrees with the differences on every draw (to 1e-6 relative); a transcription that
raises (a shape that does not fit) fails there.
Run: python tests/corpora/recurrent/truth.py. It prints a table and exits 1 when a verdict differs from the
manifest's `truth`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import tomllib

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1)
FD_STEP = 1e-5
TOL = 1e-6        # relative to 1 + max |truth|
SIZES = {"N": 2, "T": 4, "D": 4, "H": 3, "V": 5}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax_col(o):
    e = np.exp(o - o.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# ----------------------------------------------------------------------------- the forwards, one step each
# step(p, x, state, inj) -> (new state tuple, record of the step's values); inj adds a perturbation to a node.

def _rnn_row(p, x, state, inj):
    (h,) = state
    a = x @ p["Wx"] + h @ p["Wh"] + p["b"] + inj.get("a", 0.0)
    hn = np.tanh(a)
    return (hn,), {"a": a, "h": hn, "h_prev": h, "x": x}


def _rnn_col(p, x, state, inj):
    (h,) = state
    a = p["Waa"] @ h + p["Wax"] @ x + p["ba"] + inj.get("a", 0.0)
    hn = np.tanh(a)
    return (hn,), {"a": a, "h": hn, "h_prev": h, "x": x}


def _rnn_out(p, x, state, inj):
    (h,) = state
    a = p["b"] + p["W"] @ h + p["U"] @ x + inj.get("a", 0.0)
    hn = np.tanh(a)
    return (hn,), {"a": a, "h": hn, "h_prev": h, "x": x}


def _lstm_row(order):
    def step(p, x, state, inj):
        h, c = state
        A = x @ p["Wx"] + h @ p["Wh"] + p["b"]
        H = h.shape[-1]
        pre = {g: A[..., k * H:(k + 1) * H] + inj.get("a" + g, 0.0) for k, g in enumerate(order)}
        i, f, o, g = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"]), np.tanh(pre["g"])
        cn = f * c + i * g + inj.get("c", 0.0)
        hn = o * np.tanh(cn)
        return (hn, cn), {"i": i, "f": f, "o": o, "g": g, "c": cn, "h": hn, "h_prev": h, "c_prev": c, "x": x,
                          "A": A}
    return step


def _lstm_cat(p, x, state, inj):
    h, c = state
    z = np.concatenate((h, x), axis=0)
    f = sigmoid(p["Wf"] @ z + p["bf"] + inj.get("af", 0.0))
    i = sigmoid(p["Wi"] @ z + p["bi"] + inj.get("ai", 0.0))
    g = np.tanh(p["Wc"] @ z + p["bc"] + inj.get("ag", 0.0))
    cn = f * c + i * g + inj.get("c", 0.0)
    o = sigmoid(p["Wo"] @ z + p["bo"] + inj.get("ao", 0.0))
    hn = o * np.tanh(cn)
    return (hn, cn), {"f": f, "i": i, "g": g, "o": o, "c": cn, "h": hn, "h_prev": h, "c_prev": c, "x": x, "z": z}


def _lstm_sep(p, x, state, inj):
    h, c = state
    f = sigmoid(p["Wfh"] @ h + p["Wfx"] @ x + p["bf"])
    i = sigmoid(p["Wih"] @ h + p["Wix"] @ x + p["bi"])
    o = sigmoid(p["Woh"] @ h + p["Wox"] @ x + p["bo"])
    g = np.tanh(p["Wch"] @ h + p["Wcx"] @ x + p["bc"])
    cn = f * c + i * g
    hn = o * np.tanh(cn)
    return (hn, cn), {"f": f, "i": i, "o": o, "g": g, "c": cn, "h": hn, "h_prev": h, "c_prev": c, "x": x}


def _lstm_r(p, x, state, inj):
    h, c = state
    f = sigmoid(h @ p["W_f"] + x @ p["U_f"])
    i = sigmoid(h @ p["W_i"] + x @ p["U_i"])
    g = np.tanh(h @ p["W_g"] + x @ p["U_g"])
    o = sigmoid(h @ p["W_o"] + x @ p["U_o"])
    cn = c * f + i * g + inj.get("c", 0.0)
    hn = np.tanh(cn) * o
    return (hn, cn), {"f": f, "i": i, "g": g, "o": o, "c": cn, "h": hn, "h_prev": h, "c_prev": c, "x": x}


def _gru_row(p, x, state, inj):
    (h,) = state
    H = h.shape[-1]
    Wx, Wh = p["Wx"], p["Wh"]
    z = sigmoid(x @ Wx[:, :H] + h @ Wh[:, :H] + inj.get("az", 0.0))
    r = sigmoid(x @ Wx[:, H:2 * H] + h @ Wh[:, H:2 * H] + inj.get("ar", 0.0))
    hh = np.tanh(x @ Wx[:, 2 * H:] + (r * h) @ Wh[:, 2 * H:] + inj.get("ag", 0.0))
    hn = (1 - z) * h + z * hh
    return (hn,), {"z": z, "r": r, "hh": hh, "h": hn, "h_prev": h, "x": x}


def _gru_r(p, x, state, inj):
    (h,) = state
    r = sigmoid(h @ p["W_r"] + x @ p["U_r"] + inj.get("ar", 0.0))
    z = sigmoid(h @ p["W_z"] + x @ p["U_z"] + inj.get("az", 0.0))
    g = np.tanh((h * r) @ p["W_g"] + x @ p["U_g"] + inj.get("ag", 0.0))
    hn = h * (1 - z) + z * g
    return (hn,), {"r": r, "z": z, "g": g, "h": hn, "h_prev": h, "x": x}


@dataclass(frozen=True)
class Family:
    """A forward: its step, its layout ("row": x_t (N, D), states (N, H); "col": x_t (D, N), states (H, N)),
    whether it carries a cell state, its parameters' shapes, the names of its step inputs and internal nodes,
    and its output layer ("softmax" over o = V h + c, in the parameters' own names)."""
    step: object
    layout: str
    cell: bool
    params: dict
    inputs: tuple            # (x, h) or (x, h, c) names of a step's inputs; sequences: (x, h0)
    nodes: tuple = ()
    output: tuple = ()       # (V name, c name) of a softmax output layer


FAMILIES = {
    "rnn_row": Family(_rnn_row, "row", False, dict({"Wx": "DH", "Wh": "HH", "b": "H"}), ("x", "prev_h"), ("a",)),
    "rnn_col": Family(_rnn_col, "col", False, dict({"Wax": "HD", "Waa": "HH", "ba": "H1"}), ("xt", "a_prev"),
                      ("a",)),
    "rnn_out": Family(_rnn_out, "col", False, dict({"U": "HD", "W": "HH", "b": "H1", "V": "VH", "c": "V1"}),
                      ("x", "h_prev"), ("a",), ("V", "c")),
    "lstm_ifog": Family(_lstm_row("ifog"), "row", True, dict({"Wx": "D4", "Wh": "H4", "b": "4"}),
                        ("x", "prev_h", "prev_c"), ("ai", "af", "ao", "ag", "c")),
    "lstm_fgio": Family(_lstm_row("fgio"), "row", True, dict({"Wx": "D4", "Wh": "H4", "b": "4"}),
                        ("x", "h_prev", "c_prev"), ("ai", "af", "ao", "ag", "c")),
    "lstm_cat": Family(_lstm_cat, "col", True,
                       dict({"Wf": "HC", "bf": "H1", "Wi": "HC", "bi": "H1", "Wc": "HC", "bc": "H1",
                              "Wo": "HC", "bo": "H1"}),
                       ("xt", "a_prev", "c_prev"), ("af", "ai", "ag", "ao", "c")),
    "lstm_cat_out": Family(_lstm_cat, "col", True,
                           dict({"Wf": "HC", "bf": "H1", "Wi": "HC", "bi": "H1", "Wc": "HC", "bc": "H1",
                                  "Wo": "HC", "bo": "H1", "Wy": "VH", "by": "V1"}),
                           ("xt", "a_prev", "c_prev"), (), ("Wy", "by")),
    "lstm_sep": Family(_lstm_sep, "col", True,
                       dict({f"W{g}{s}": ("HH" if s == "h" else "HD") for g in "fioc" for s in "hx"}
                             | {f"b{g}": "H1" for g in "fioc"}),
                       ("x", "h_prev", "c_prev")),
    "lstm_r": Family(_lstm_r, "row", True, dict({f"{m}_{g}": ("HH" if m == "W" else "DH") for m in "WU"
                                                  for g in "figo"}), ("x_t", "h_prev", "c_prev"), ("c",)),
    "gru_row": Family(_gru_row, "row", False, dict({"Wx": "D3", "Wh": "H3"}), ("x", "h_prev"), ("az", "ar", "ag")),
    "gru_r": Family(_gru_r, "row", False, dict({f"{m}_{g}": ("HH" if m == "W" else "DH") for m in "WU"
                                                 for g in "rzg"}), ("x_t", "h_prev"), ("az", "ar", "ag")),
}


def _shape(code, N, D, H, V):
    dims = {"D": D, "H": H, "V": V, "1": 1, "4": 4 * H, "3": 3 * H, "C": H + D}
    return tuple(dims[ch] for ch in code)


# ----------------------------------------------------------------------------- draws and the truths

DEFAULTS = {"N": 2, "h0": "random", "c0": "zero", "loss": "quad"}


def _state_shape(fam, N, H):
    return (N, H) if fam.layout == "row" else (H, N)


def _x_shape(fam, N, D):
    return (N, D) if fam.layout == "row" else (D, N)


class Env(SimpleNamespace):
    """One draw: the arrays in the source's layout, the forward's records, the upstream gradients, and the
    truths (finite differences, computed on first use and kept)."""

    def truth(self, key):
        if key not in self._truths:
            self._truths[key] = self._truth_of(key)
        return self._truths[key]


def _fd(loss_of, a):
    """Central differences of the scalar loss_of(array) at the array a (entry by entry)."""
    g = np.zeros(a.shape)
    flat = g.reshape(-1)
    for k in range(a.size):
        e = np.zeros(a.size)
        e[k] = FD_STEP
        e = e.reshape(a.shape)
        flat[k] = (loss_of(a + e) - loss_of(a - e)) / (2 * FD_STEP)
    return g


def _draw_step(fam_name, spec, seed):
    fam = FAMILIES[fam_name]
    N, D, H, V = spec["N"], SIZES["D"], SIZES["H"], SIZES["V"]
    rng = np.random.default_rng([seed, 7, len(fam_name), sum(map(ord, fam_name))])
    p = {k: rng.uniform(-0.8, 0.8, _shape(code, N, D, H, V)) for k, code in fam.params.items()}
    x = rng.uniform(-1, 1, _x_shape(fam, N, D))
    state = [rng.uniform(-0.9, 0.9, _state_shape(fam, N, H))]
    if fam.cell:
        state.append(rng.uniform(-1.5, 1.5, _state_shape(fam, N, H)))
    shp = _state_shape(fam, N, H)
    ch, dh, cc, dc = (rng.uniform(-1, 1, shp), rng.uniform(0.2, 1, shp), rng.uniform(-1, 1, shp),
                      rng.uniform(0.2, 1, shp))

    def loss(p_, x_, state_, inj):
        out, _ = fam.step(p_, x_, tuple(state_), inj)
        total = np.sum(ch * out[0] + 0.5 * dh * out[0] ** 2)
        if fam.cell:
            total += np.sum(cc * out[1] + 0.5 * dc * out[1] ** 2)
        return total

    out, rec = fam.step(p, x, tuple(state), {})
    e = Env(fam=fam, p=p, rec=rec, N=N, D=D, H=H, _truths={})
    setattr(e, fam.inputs[0], x)
    setattr(e, fam.inputs[1], state[0])
    if fam.cell:
        setattr(e, fam.inputs[2], state[1])
    e.next_h = out[0]
    e.dnext_h = ch + dh * out[0]
    if fam.cell:
        e.next_c = out[1]
        e.dnext_c = cc + dc * out[1]

    def truth_of(key):
        if key in p:
            return _fd(lambda a: loss({**p, key: a}, x, state, {}), p[key])
        if key == fam.inputs[0]:
            return _fd(lambda a: loss(p, a, state, {}), x)
        for k, name in enumerate(fam.inputs[1:]):
            if key == name:
                return _fd(lambda a, k=k: loss(p, x, [a if j == k else s for j, s in enumerate(state)], {}), state[k])
        if key in fam.nodes:
            return _fd(lambda a: loss(p, x, state, {key: a}), np.zeros(shp))
        raise KeyError(key)

    e._truth_of = truth_of
    return e


def _draw_seq(fam_name, spec, seed):
    """A sequence of T steps; x in the source's layout: row (N, T, D), col (D, N, T)."""
    fam = FAMILIES[fam_name]
    N, T, D, H, V = spec["N"], SIZES["T"], SIZES["D"], SIZES["H"], SIZES["V"]
    rng = np.random.default_rng([seed, 11, len(fam_name), sum(map(ord, fam_name))])
    p = {k: rng.uniform(-0.8, 0.8, _shape(code, N, D, H, V)) for k, code in fam.params.items()}
    x = rng.uniform(-1, 1, (N, T, D) if fam.layout == "row" else (D, N, T))
    shp = _state_shape(fam, N, H)
    h0 = np.zeros(shp) if spec["h0"] == "zero" else rng.uniform(-0.9, 0.9, shp)
    c0 = np.zeros(shp) if spec["c0"] == "zero" else rng.uniform(-1.5, 1.5, shp)
    cq, dq = rng.uniform(-1, 1, (T,) + shp), rng.uniform(0.2, 1, (T,) + shp)
    y = rng.integers(0, V, T)

    def x_at(x_, t):
        return x_[:, t, :] if fam.layout == "row" else x_[:, :, t]

    def run(p_, x_, h0_, c0_, inj_h=None, inj_o=None):
        state = (h0_, c0_) if fam.cell else (h0_,)
        recs, probs, total = [], [], 0.0
        for t in range(T):
            state, rec = fam.step(p_, x_at(x_, t), state, {})
            if inj_h is not None:
                state = (state[0] + inj_h[t],) + state[1:]
                rec = dict(rec, h=state[0])
            recs.append(rec)
            h = state[0]
            if spec["loss"] == "quad":
                total += np.sum(cq[t] * h + 0.5 * dq[t] * h ** 2)
            elif spec["loss"] == "last":
                total += np.sum(cq[t] * h + 0.5 * dq[t] * h ** 2) if t == T - 1 else 0.0
            else:                                       # softmax and cross-entropy over the output layer
                Vn, cn = fam.output
                o = p_[Vn] @ h + p_[cn] + (0.0 if inj_o is None else inj_o[t])
                pr = softmax_col(o)
                probs.append(pr)
                total += -np.log(pr[y[t], 0])
        return total, recs, probs

    _, recs, probs = run(p, x, h0, c0)
    hs = [r["h"] for r in recs]
    e = Env(fam=fam, p=p, x=x, recs=recs, hs=hs, probs=probs, y=y, N=N, T=T, D=D, H=H, V=V, _truths={})
    e.h0 = h0
    e.c0 = c0
    up = np.array([cq[t] + dq[t] * hs[t] for t in range(T)])
    if spec["loss"] == "last":
        up[:-1] = 0.0
    # the upstream gradient of every state in the source's layout: row (N, T, H), col (H, N, T)
    e.dh = np.transpose(up, (1, 0, 2)) if fam.layout == "row" else np.transpose(up, (1, 2, 0))

    def truth_of(key):
        if key in p:
            return _fd(lambda a: run({**p, key: a}, x, h0, c0)[0], p[key])
        if key == "x":
            return _fd(lambda a: run(p, a, h0, c0)[0], x)
        if key in ("h0", "a0"):
            return _fd(lambda a: run(p, x, a, c0)[0], h0)
        if key == "h":                                  # dl/dh_t for every t, shape (T, *state)
            return _fd(lambda a: run(p, x, h0, c0, inj_h=a)[0], np.zeros((T,) + shp))
        if key == "o":
            return _fd(lambda a: run(p, x, h0, c0, inj_o=a)[0], np.zeros((T, V, 1)))
        raise KeyError(key)

    e._truth_of = truth_of
    return e


_CACHE: dict = {}


def _spec(claim):
    spec = dict(DEFAULTS)
    spec.update(claim.get("draw", {}))
    return spec


def _env(claim, seed):
    spec = _spec(claim)
    key = (claim["forward"], claim["form"], tuple(sorted(spec.items())), seed)
    if key not in _CACHE:
        draw = _draw_step if claim["form"] == "step" else _draw_seq
        _CACHE[key] = draw(claim["forward"], spec, seed)
    return _CACHE[key]


def _truth(e, quantity):
    """The truth of a quantity name, or of one step of it: "h[-1]"."""
    if quantity.endswith("]"):
        name, idx = quantity[:-1].split("[")
        return e.truth(name)[int(idx)]
    return e.truth(quantity)


# ----------------------------------------------------------------------------- the claims, transcribed
# Goodfellow et al. 10.2.2 (the translation's LaTeX): one example, columns; U input, W recurrent, V output
# weights, b and c biases, softmax output and negative log-likelihood; indices t = 1..tau are 0..T-1 here.

def _onehot(k, n):
    v = np.zeros((n, 1))
    v[k, 0] = 1.0
    return v


def _gf_go(e):
    """(10.18): (grad_o L)_i = yhat_i - 1_{i, y}."""
    return np.array([e.probs[t] - _onehot(e.y[t], e.V) for t in range(e.T)])


def _gf_recursion(e, o_step="tau"):
    """(10.19)-(10.21) as the translation writes them: grad_h(tau) = V^T grad_o(tau); for t < tau,
    grad_h(t) = W^T (grad_h(t+1)) diag(1 - h(t+1)^2) + V^T grad_o(tau)."""
    go, V, W = _gf_go(e), e.p["V"], e.p["W"]
    g = [None] * e.T
    g[-1] = V.T @ go[-1]
    for t in range(e.T - 2, -1, -1):
        s = e.T - 1 if o_step == "tau" else t
        g[t] = W.T @ (np.diag((1 - e.hs[t + 1] ** 2).ravel()) @ g[t + 1]) + V.T @ go[s]
    return np.array(g)


def _gf_params(e):
    """(10.22)-(10.28), each with the true grad_h(t) L and grad_o(t) L as given."""
    gh, go = e.truth("h"), e.truth("o")
    prev = [e.h0] + e.hs[:-1]
    xs = [e.x[:, :, t] for t in range(e.T)]
    D = [np.diag((1 - e.hs[t] ** 2).ravel()) for t in range(e.T)]
    return {
        "c": sum(go[t] for t in range(e.T)),
        "b": sum(D[t] @ gh[t] for t in range(e.T)),
        "V": sum(go[t] @ e.hs[t].T for t in range(e.T)),
        "W": sum(D[t] @ gh[t] @ prev[t].T for t in range(e.T)),
        "U": sum(D[t] @ gh[t] @ xs[t].T for t in range(e.T)),
    }


# Karpathy, min-char-rnn.py lossFun: Wxh = U, Whh = W, Why = V, bh = b, by = c; hs[-1] the initial state.

def _kp(e):
    Wxh, Whh, Why = e.p["U"], e.p["W"], e.p["V"]
    hs = {t: e.hs[t] for t in range(e.T)}
    hs[-1] = e.h0
    xs = {t: e.x[:, :, t] for t in range(e.T)}
    ps, targets, inputs = e.probs, e.y, range(e.T)
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(e.p["b"]), np.zeros_like(e.p["c"])
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    return {"U": dWxh, "W": dWhh, "V": dWhy, "b": dbh, "c": dby}


# nicklashansen/rnn_lstm_from_scratch: U input, V recurrent, W output weights; the hidden state starts at
# zeros and hidden_states holds h_1..h_T only; tanh(x, derivative=True) is 1 - tanh(x)^2 of its argument.

def _nl_tanh(x, derivative=False):
    x_safe = x + 1e-12
    f = (np.exp(x_safe) - np.exp(-x_safe)) / (np.exp(x_safe) + np.exp(-x_safe))
    if derivative:
        return 1 - f ** 2
    return f


def _nl_sigmoid(x, derivative=False):
    x_safe = x + 1e-12
    f = 1 / (1 + np.exp(-x_safe))
    if derivative:
        return f * (1 - f)
    return f


def _nl_rnn(e, fixed=()):
    U, V, W, b_hidden, b_out = e.p["U"], e.p["W"], e.p["V"], e.p["b"], e.p["c"]
    inputs = [e.x[:, :, t] for t in range(e.T)]
    outputs, hidden_states = e.probs, list(e.hs)
    targets = [_onehot(k, e.V) for k in e.y]
    d_U, d_V, d_W = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    d_b_hidden, d_b_out = np.zeros_like(b_hidden), np.zeros_like(b_out)
    d_h_next = np.zeros_like(hidden_states[0])
    for t in reversed(range(len(outputs))):
        d_o = outputs[t].copy()
        d_o[np.argmax(targets[t])] -= 1
        d_W += np.dot(d_o, hidden_states[t].T)
        d_b_out += d_o
        d_h = np.dot(W.T, d_o) + d_h_next
        if "tanh" in fixed:                                      # the derivative written with the output
            d_f = (1 - hidden_states[t] ** 2) * d_h
        else:
            d_f = _nl_tanh(hidden_states[t], derivative=True) * d_h
        d_b_hidden += d_f
        d_U += np.dot(d_f, inputs[t].T)
        prev = (np.zeros_like(hidden_states[0]) if t == 0 else hidden_states[t - 1]) if "h0" in fixed \
            else hidden_states[t - 1]
        d_V += np.dot(d_f, prev.T)
        d_h_next = np.dot(V.T, d_f)
    return {"U": d_U, "W": d_V, "V": d_W, "b": d_b_hidden, "c": d_b_out}


def _nl_lstm(e, fixed=False):
    """The notebook's backward(z, f, i, g, C, o, h, v, outputs, targets); C and h hold the initial state first.
    fixed: every mistake its note names repaired (the next step's paths carried, each derivative at the
    pre-activation's value, the cell and hidden lists indexed one step on)."""
    W_f, W_i, W_g, W_o, W_v = e.p["Wf"], e.p["Wi"], e.p["Wc"], e.p["Wo"], e.p["Wy"]
    hidden_size = e.H
    z = [r["z"] for r in e.recs]
    f = [r["f"] for r in e.recs]
    i = [r["i"] for r in e.recs]
    g = [r["g"] for r in e.recs]
    o = [r["o"] for r in e.recs]
    C = [e.c0] + [r["c"] for r in e.recs]
    h = [e.h0] + [r["h"] for r in e.recs]
    outputs = e.probs
    targets = [_onehot(k, e.V) for k in e.y]
    tanh, sigmoid_ = _nl_tanh, _nl_sigmoid
    W_f_d, W_i_d, W_g_d, W_o_d, W_v_d = (np.zeros_like(w) for w in (W_f, W_i, W_g, W_o, W_v))
    b_f_d, b_v_d = np.zeros_like(e.p["bf"]), np.zeros_like(e.p["by"])
    dh_next = np.zeros_like(h[0])
    dC_next = np.zeros_like(C[0])
    for t in reversed(range(len(outputs))):
        if fixed:
            Ct, C_prev, ht = C[t + 1], C[t], h[t + 1]
        else:
            Ct, C_prev, ht = C[t], C[t - 1], h[t]
        dv = np.copy(outputs[t])
        dv[np.argmax(targets[t])] -= 1
        W_v_d += np.dot(dv, ht.T)
        b_v_d += dv
        dh = np.dot(W_v.T, dv)
        dh += dh_next
        do = dh * tanh(Ct)
        do = (o[t] * (1 - o[t]) if fixed else sigmoid_(o[t], derivative=True)) * do
        W_o_d += np.dot(do, z[t].T)
        dC = np.copy(dC_next)
        dC += dh * o[t] * (tanh(Ct, derivative=True) if fixed else tanh(tanh(Ct), derivative=True))
        dg = dC * i[t]
        dg = ((1 - g[t] ** 2) if fixed else tanh(g[t], derivative=True)) * dg
        W_g_d += np.dot(dg, z[t].T)
        di = dC * g[t]
        di = (i[t] * (1 - i[t]) if fixed else sigmoid_(i[t], True)) * di
        W_i_d += np.dot(di, z[t].T)
        df = dC * C_prev
        df = (f[t] * (1 - f[t]) if fixed else sigmoid_(f[t])) * df
        W_f_d += np.dot(df, z[t].T)
        b_f_d += df
        dz = (np.dot(W_f.T, df) + np.dot(W_i.T, di) + np.dot(W_g.T, dg) + np.dot(W_o.T, do))
        dh_prev = dz[:hidden_size, :]
        dC_prev = f[t] * dC
        if fixed:
            dh_next, dC_next = dh_prev, dC_prev
    return {"Wf": W_f_d, "Wy": W_v_d, "bf": b_f_d}


# CS231n (cthorey/CS231): rows; the LSTM's gates stacked i, f, o, g.

def _cs_rnn_step(x, prev_h, Wx, Wh, b, dnext_h):
    forward = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    dforward = (1 - np.tanh(forward) ** 2) * dnext_h
    dx = np.dot(dforward, Wx.T)
    dWx = np.dot(x.T, dforward)
    dprev_h = np.dot(dforward, Wh.T)
    dWh = np.dot(prev_h.T, dforward)
    db = np.sum(dforward, axis=0)
    return dx, dprev_h, dWx, dWh, db


def _cs_rnn_backward(e):
    N, T, H = e.dh.shape
    D = e.D
    Wx, Wh, b = e.p["Wx"], e.p["Wh"], e.p["b"]
    cache = [(e.x[:, t, :], (e.h0 if t == 0 else e.hs[t - 1])) for t in range(T)]
    dx = np.zeros((T, N, D))
    dh0 = np.zeros((N, H))
    db = np.zeros(H)
    dWh = np.zeros((H, H))
    dWx = np.zeros((D, H))
    dh = e.dh.transpose(1, 0, 2)
    dh_prev = np.zeros((N, H))
    for t in reversed(range(T)):
        dh_current = dh[t] + dh_prev
        xt, prev_h = cache[t]
        dx_t, dh_prev, dWx_t, dWh_t, db_t = _cs_rnn_step(xt, prev_h, Wx, Wh, b, dh_current)
        dx[t] += dx_t
        dh0 = dh_prev
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return {"x": dx.transpose(1, 0, 2), "h0": dh0, "Wx": dWx, "Wh": dWh, "b": db}


def _cs_lstm_step(dnext_h, dnext_c, cache, proposal=False):
    """cthorey's lstm_step_backward; proposal: issue 1's '=' for the code's '+=' at the cell state."""
    i, f, o, g, ai, af, ao, ag, Wx, Wh, prev_h, prev_c, x, next_c = cache
    do = np.tanh(next_c) * dnext_h
    if proposal:
        dnext_c = o * (1 - np.tanh(next_c) ** 2) * dnext_h
    else:
        dnext_c = dnext_c + o * (1 - np.tanh(next_c) ** 2) * dnext_h    # the code's in-place +=
    df = prev_c * dnext_c
    dprev_c = f * dnext_c
    di = g * dnext_c
    dg = i * dnext_c
    dag = (1 - np.tanh(ag) ** 2) * dg
    dao = sigmoid(ao) * (1 - sigmoid(ao)) * do
    daf = sigmoid(af) * (1 - sigmoid(af)) * df
    dai = sigmoid(ai) * (1 - sigmoid(ai)) * di
    da = np.hstack((dai, daf, dao, dag))
    dx = np.dot(da, Wx.T)
    dWx = np.dot(x.T, da)
    dprev_h = np.dot(da, Wh.T)
    dWh = np.dot(prev_h.T, da)
    db = np.sum(da, axis=0)
    return {"x": dx, "prev_h": dprev_h, "prev_c": dprev_c, "Wx": dWx, "Wh": dWh, "b": db, "c": dnext_c}


def _cs_lstm_cache(p, rec, H):
    A = rec["A"]
    ai, af, ao, ag = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
    return (rec["i"], rec["f"], rec["o"], rec["g"], ai, af, ao, ag, p["Wx"], p["Wh"], rec["h_prev"],
            rec["c_prev"], rec["x"], rec["c"])


def _cs_lstm_step_claim(e, proposal=False):
    return _cs_lstm_step(e.dnext_h, e.dnext_c, _cs_lstm_cache(e.p, e.rec, e.H), proposal)


def _cs_lstm_backward(e):
    N, T, H = e.dh.shape
    dWh = np.zeros((H, 4 * H))
    dh = e.dh.transpose(1, 0, 2)
    dh_prev = np.zeros((N, H))
    dc_prev = np.zeros_like(dh_prev)
    for t in reversed(range(T)):
        dh_current = dh[t] + dh_prev
        dc_current = dc_prev
        g = _cs_lstm_step(dh_current, dc_current, _cs_lstm_cache(e.p, e.recs[t], H))
        dh_prev, dc_prev = g["prev_h"], g["prev_c"]
        dWh += g["Wh"]
    return dWh


# Halfish/cs231n.

def _hf_rnn_step(dnext_h, cache):
    next_h, Wx, Wh, x, prev_h = cache
    dtanh = dnext_h * (1 - next_h ** 2)
    dx = np.dot(dtanh, Wx.T)
    dprev_h = np.dot(dtanh, Wh.T)
    dWx = np.dot(x.T, dtanh)
    dWh = np.dot(prev_h.T, dtanh)
    db = dtanh.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def _hf_rnn_backward(e):
    dh = e.dh
    N, T, H = dh.shape
    cache = [(e.hs[t], e.p["Wx"], e.p["Wh"], e.x[:, t, :], e.h0 if t == 0 else e.hs[t - 1]) for t in range(T)]
    stepdprev_h = np.zeros((N, H))
    dx = []
    for t in range(T - 1, -1, -1):
        stepdx, stepdprev_h, stepdWx, stepdWh, stepdb = _hf_rnn_step(dh[:, t, :] + stepdprev_h, cache[t])
        dx.append(stepdx)
    return np.array(dx[::-1]).transpose(1, 0, 2)


# DeepLearning.AI C5W1: columns (n, m); parameters Wax, Waa, ba; Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf...

def _kb_rnn_cell(da_next, cache):
    (a_next, a_prev, xt, parameters) = cache
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]
    dtanh = (1 - a_next ** 2) * da_next
    dxt = np.dot(Wax.T, dtanh)
    dWax = np.dot(dtanh, xt.T)
    da_prev = np.dot(Waa.T, dtanh)
    dWaa = np.dot(dtanh, a_prev.T)
    dba = np.sum(dtanh, axis=1, keepdims=1)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def _kb_rnn_backward(e):
    da = e.dh
    caches = [(e.hs[t], e.h0 if t == 0 else e.hs[t - 1], e.x[:, :, t], e.p) for t in range(e.T)]
    n_a, m, T_x = da.shape
    n_x, m = e.x[:, :, 0].shape
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = _kb_rnn_cell(da[:, :, t] + da_prevt, caches[t])
        dxt, da_prevt, dWaxt, dWaat, dbat = (gradients["dxt"], gradients["da_prev"], gradients["dWax"],
                                             gradients["dWaa"], gradients["dba"])
        dx[:, :, t] = dxt
        dWax += dWaxt
        dWaa += dWaat
        dba += dbat
    return {"x": dx, "a0": da_prevt, "Wax": dWax, "Waa": dWaa, "ba": dba}


def _dl_cache(e, rec=None):
    r = e.rec if rec is None else rec
    return (r["h"], r["c"], r["h_prev"], r["c_prev"], r["f"], r["i"], r["g"], r["o"], r["x"], e.p)


def _kb_lstm_cell(da_next, dc_next, cache):
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters) = cache
    Wf, Wi, Wc, Wo = parameters["Wf"], parameters["Wi"], parameters["Wc"], parameters["Wo"]
    n_x, m = xt.shape
    n_a, m = a_next.shape
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dcct = (da_next * ot * (1 - np.tanh(c_next) ** 2) + dc_next) * it * (1 - cct ** 2)
    dit = (da_next * ot * (1 - np.tanh(c_next) ** 2) + dc_next) * cct * (1 - it) * it
    dft = (da_next * ot * (1 - np.tanh(c_next) ** 2) + dc_next) * c_prev * ft * (1 - ft)
    dWf = np.dot(dft, np.hstack([a_prev.T, xt.T]))
    dWi = np.dot(dit, np.hstack([a_prev.T, xt.T]))
    dWc = np.dot(dcct, np.hstack([a_prev.T, xt.T]))
    dWo = np.dot(dot, np.hstack([a_prev.T, xt.T]))
    da_prev = (np.dot(Wf[:, :n_a].T, dft) + np.dot(Wc[:, :n_a].T, dcct) + np.dot(Wi[:, :n_a].T, dit)
               + np.dot(Wo[:, :n_a].T, dot))
    dc_prev = (da_next * ot * (1 - np.tanh(c_next) ** 2) + dc_next) * ft
    return {"da_prev": da_prev, "dc_prev": dc_prev, "dWf": dWf, "dWi": dWi, "dWc": dWc, "dWo": dWo}


def _dl_eq(e, which, fixed=False):
    """The notebook's equations (7)-(10), (15), (16), as written there (fixed: parenthesised, as in the later
    notebook and every passing solution)."""
    a_next, c_next, a_prev, c_prev, G_f, G_u, ct, G_o, xt, p = _dl_cache(e)
    da_next, dc_next = e.dnext_h, e.dnext_c
    t2 = 1 - np.tanh(c_next) ** 2
    n_a = e.H
    if which == "7":
        return da_next * np.tanh(c_next) * G_o * (1 - G_o)
    if which == "8":
        if fixed:
            return (dc_next + G_o * t2 * da_next) * G_u * (1 - ct ** 2)
        return dc_next * G_u + G_o * t2 * G_u * da_next * ct * (1 - np.tanh(ct) ** 2)
    if which == "9":
        if fixed:
            return (dc_next * ct + G_o * t2 * ct * da_next) * G_u * (1 - G_u)
        return dc_next * ct + G_o * t2 * ct * da_next * G_u * (1 - G_u)
    if which == "10":
        if fixed:
            return (dc_next * c_prev + G_o * t2 * c_prev * da_next) * G_f * (1 - G_f)
        return dc_next * c_prev + G_o * t2 * c_prev * da_next * G_f * (1 - G_f)
    if which == "16":
        return dc_next * G_f + G_o * t2 * G_f * da_next
    if which == "15":
        dG = {k: _dl_eq(e, n, True) for k, n in (("f", "10"), ("u", "9"), ("c", "8"), ("o", "7"))}
        cut = (lambda W: W[:, :n_a]) if fixed else (lambda W: W[:n_a, :])
        return (cut(p["Wf"]).T @ dG["f"] + cut(p["Wi"]).T @ dG["u"] + cut(p["Wc"]).T @ dG["c"]
                + cut(p["Wo"]).T @ dG["o"])
    raise ValueError(which)


def _sg_lstm_cell(da_next, dc_next, cache):
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters) = cache
    n_x, m = xt.shape
    n_a, m = a_next.shape
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dcct = (dc_next * it + ot * (1 - np.square(np.tanh(c_next))) * it * da_next) * (1 - np.square(cct))
    dit = (dc_next * cct + ot * (1 - np.square(np.tanh(c_next))) * cct * da_next) * it * (1 - it)
    dft = (dc_next * c_prev + ot * (1 - np.square(np.tanh(c_next))) * c_prev * da_next) * ft * (1 - ft)
    concat = np.concatenate((a_prev, xt), axis=0)
    dWf = np.dot(dft, concat.T)
    da_prev = (np.dot(parameters['Wf'][:, :n_a].T, dft) + np.dot(parameters['Wi'][:, :n_a].T, dit)
               + np.dot(parameters['Wc'][:, :n_a].T, dcct) + np.dot(parameters['Wo'][:, :n_a].T, dot))
    dc_prev = dc_next * ft + ot * (1 - np.square(np.tanh(c_next))) * ft * da_next
    return {"dWf": dWf, "da_prev": da_prev, "dc_prev": dc_prev}


def _sg_lstm_backward(e, fixed=False):
    da = e.dh
    n_a, m, T_x = da.shape
    da_prevt = np.zeros((n_a, m))
    dc_prevt = np.zeros((n_a, m))
    dWf = np.zeros((n_a, n_a + e.D))
    for t in reversed(range(T_x)):
        if fixed:
            gradients = _sg_lstm_cell(da[:, :, t] + da_prevt, dc_prevt, _dl_cache(e, e.recs[t]))
            da_prevt, dc_prevt = gradients["da_prev"], gradients["dc_prev"]
        else:
            gradients = _sg_lstm_cell(da[:, :, t], dc_prevt, _dl_cache(e, e.recs[t]))
        dWf += gradients["dWf"]
    da0 = gradients["da_prev"]
    return {"Wf": dWf, "a0": da0}


# hanbt/learn_dl lstm.py: columns, one example, lists indexed from 1 (index 0 the zero initial state); the
# loss reaches only the last output (delta_h given there).

def _hb(e, fixed=()):
    p, T = e.p, e.T
    i_list = [None] + [r["i"] for r in e.recs]
    o_list = [None] + [r["o"] for r in e.recs]
    f_list = [None] + [r["f"] for r in e.recs]
    ct_list = [None] + [r["g"] for r in e.recs]
    c_list = [e.c0] + [r["c"] for r in e.recs]
    h_list = [e.h0] + [r["h"] for r in e.recs]
    zeros = [np.zeros((e.H, 1)) for _ in range(T + 1)]
    delta_h_list, delta_o_list, delta_i_list, delta_f_list, delta_ct_list = (list(zeros) for _ in range(5))
    delta_h_list[-1] = e.dh[:, :, -1]
    delta_c_next = np.zeros((e.H, 1))
    for k in range(T, 0, -1):
        ig, og, fg, ct, c, c_prev = i_list[k], o_list[k], f_list[k], ct_list[k], c_list[k], c_list[k - 1]
        tanh_c = np.tanh(c)
        delta_k = delta_h_list[k]
        if "cell" in fixed:                     # the cell state's gradient carried from step k + 1
            delta_c = delta_k * og * (1 - tanh_c * tanh_c) + delta_c_next
            delta_c_next = delta_c * fg
        else:
            delta_c = delta_k * og * (1 - tanh_c * tanh_c)
        delta_o = delta_k * tanh_c * og * (1 - og)
        delta_f = delta_c * c_prev * fg * (1 - fg)
        delta_i = delta_c * ct * ig * (1 - ig)
        delta_ct = delta_c * ig * (1 - ct * ct)
        delta_h_prev = (np.dot(delta_o.transpose(), p["Woh"]) + np.dot(delta_i.transpose(), p["Wih"])
                        + np.dot(delta_f.transpose(), p["Wfh"]) + np.dot(delta_ct.transpose(), p["Wch"])).transpose()
        delta_h_list[k - 1] = delta_h_prev
        delta_f_list[k], delta_i_list[k], delta_o_list[k], delta_ct_list[k] = delta_f, delta_i, delta_o, delta_ct
    g = {"Wfh": 0, "bf": 0, "Wih": 0, "bi": 0, "Woh": 0, "bo": 0}
    for t in range(T, 0, -1):
        h_prev = h_list[t - 1].transpose()
        g["Wfh"] = g["Wfh"] + np.dot(delta_f_list[t], h_prev)
        g["bi"] = g["bi"] + (delta_i_list[t] if "gate" in fixed else delta_f_list[t])
    xs = [None] + [e.x[:, :, t] for t in range(T)]
    if "time" in fixed:
        g["Wix"] = sum(np.dot(delta_i_list[t], xs[t].transpose()) for t in range(1, T + 1))
    else:
        g["Wix"] = np.dot(delta_i_list[-1], xs[-1].transpose())
    return g


# Deep Learning from Scratch 2 (oreilly-japan): rows; LSTM gates stacked f, g, i, o; GRU gates z, r, h~.

def _ds_rnn(dh_next, cache, Wx, Wh):
    x, h_prev, h_next = cache
    dt = dh_next * (1 - h_next ** 2)
    db = np.sum(dt, axis=0)
    dWh = np.dot(h_prev.T, dt)
    dh_prev = np.dot(dt, Wh.T)
    dWx = np.dot(x.T, dt)
    dx = np.dot(dt, Wx.T)
    return dx, dh_prev, [dWx, dWh, db]


def _ds_time_rnn(e):
    Wx, Wh = e.p["Wx"], e.p["Wh"]
    N, T, H = e.dh.shape
    dh, grads = 0, [0, 0, 0]
    for t in reversed(range(T)):
        cache = (e.x[:, t, :], e.h0 if t == 0 else e.hs[t - 1], e.hs[t])
        dx, dh, layer_grads = _ds_rnn(e.dh[:, t, :] + dh, cache, Wx, Wh)
        for i, grad in enumerate(layer_grads):
            grads[i] += grad
    return grads[0]


def _ds_lstm(dh_next, dc_next, r, Wx, Wh):
    x, h_prev, c_prev, i, f, g, o, c_next = r["x"], r["h_prev"], r["c_prev"], r["i"], r["f"], r["g"], r["o"], r["c"]
    tanh_c_next = np.tanh(c_next)
    ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)
    dc_prev = ds * f
    di = ds * g
    df = ds * c_prev
    do = dh_next * tanh_c_next
    dg = ds * i
    di *= i * (1 - i)
    df *= f * (1 - f)
    do *= o * (1 - o)
    dg *= (1 - g ** 2)
    dA = np.hstack((df, dg, di, do))
    dWh = np.dot(h_prev.T, dA)
    dWx = np.dot(x.T, dA)
    dh_prev = np.dot(dA, Wh.T)
    return dh_prev, dc_prev, dWx, dWh


def _ds_time_lstm(e):
    N, T, H = e.dh.shape
    dh, dc, dWx = 0, 0, 0
    for t in reversed(range(T)):
        dh, dc, gx, _ = _ds_lstm(e.dh[:, t, :] + dh, dc, e.recs[t], e.p["Wx"], e.p["Wh"])
        dWx = dWx + gx
    return dWx


def _ds_gru(dh_next, r_, Wx_all, Wh_all):
    H = Wh_all.shape[0]
    Wxz, Wxr, Wx = Wx_all[:, :H], Wx_all[:, H:2 * H], Wx_all[:, 2 * H:]
    Whz, Whr, Wh = Wh_all[:, :H], Wh_all[:, H:2 * H], Wh_all[:, 2 * H:]
    x, h_prev, z, r, h_hat = r_["x"], r_["h_prev"], r_["z"], r_["r"], r_["hh"]
    dh_hat = dh_next * z
    dh_prev = dh_next * (1 - z)
    dt = dh_hat * (1 - h_hat ** 2)
    dWh = np.dot((r * h_prev).T, dt)
    dhr = np.dot(dt, Wh.T)
    dWx = np.dot(x.T, dt)
    dx = np.dot(dt, Wx.T)
    dh_prev += r * dhr
    dz = dh_next * h_hat - dh_next * h_prev
    dt = dz * z * (1 - z)
    dWhz = np.dot(h_prev.T, dt)
    dh_prev += np.dot(dt, Whz.T)
    dWxz = np.dot(x.T, dt)
    dx += np.dot(dt, Wxz.T)
    dr = dhr * h_prev
    dt = dr * r * (1 - r)
    dWhr = np.dot(h_prev.T, dt)
    dh_prev += np.dot(dt, Whr.T)
    dWxr = np.dot(x.T, dt)
    dx += np.dot(dt, Wxr.T)
    return dx, dh_prev, np.hstack((dWxz, dWxr, dWx)), np.hstack((dWhz, dWhr, dWh))


def _ds_time_gru(e):
    dh, dWx = 0, 0
    for t in reversed(range(e.T)):
        dx, dh, gx, _ = _ds_gru(e.dh[:, t, :] + dh, e.recs[t], e.p["Wx"], e.p["Wh"])
        dWx = dWx + gx
    return dWx


# The R package rnn's vignettes: rows; delta 1 the error from above, delta 2 the future hidden state's,
# delta 4 the future cell's. tanh' and sigmoid' of a unit's output are read both ways (as the derivative
# function at that value, and as the derivative written with the output), and both readings are checked.

def _tanh_d(y, reading):
    return 1 - np.tanh(y) ** 2 if reading == "at_value" else 1 - y ** 2


def _sig_d(y, reading):
    return sigmoid(y) * (1 - sigmoid(y)) if reading == "at_value" else y * (1 - y)


def _rv_lstm(e, fixed=False):
    r = e.rec
    d3 = e.dnext_h                      # delta 1 + delta 2
    d4 = e.dnext_c
    out = {}
    for reading in ("at_value", "of_output"):
        d5 = d3 * r["o"]
        d7 = d5 * _tanh_d(np.tanh(r["c"]), reading)
        out[reading] = d7 + d4 if fixed else d7 * d4
    return out


def _rv_gru(e, fixed=False):
    r = e.rec
    d3 = e.dnext_h
    out = {}
    for reading in ("at_value", "of_output"):
        d5 = d3 * r["h_prev"]
        d7 = d3 * r["g"]
        d8 = d3 * r["z"]
        d9 = d7 - d5 if fixed else d7 + d8
        out[reading] = d9 * _sig_d(r["z"], reading)
    return out


CLAIMS = {
    "gf-01": _gf_go,
    "gf-02": lambda e: e.p["V"].T @ _gf_go(e)[-1],
    "gf-03": _gf_recursion,
    "gf-04": lambda e: _gf_params(e)["c"],
    "gf-05": lambda e: _gf_params(e)["b"],
    "gf-06": lambda e: _gf_params(e)["V"],
    "gf-07": lambda e: _gf_params(e)["W"],
    "gf-08": lambda e: _gf_params(e)["U"],
    "kp-01": lambda e: _kp(e)["W"],
    "kp-02": lambda e: _kp(e)["b"],
    "nl-01": lambda e: _nl_rnn(e)["V"],
    "nl-02": lambda e: _nl_rnn(e)["U"],
    "nl-03": lambda e: _nl_rnn(e)["W"],
    "nl-04": lambda e: _nl_lstm(e)["Wy"],
    "nl-05": lambda e: _nl_lstm(e)["Wf"],
    "cs-01": lambda e: _cs_rnn_step(e.x, e.prev_h, e.p["Wx"], e.p["Wh"], e.p["b"], e.dnext_h)[3],
    "cs-02": lambda e: _cs_rnn_step(e.x, e.prev_h, e.p["Wx"], e.p["Wh"], e.p["b"], e.dnext_h)[1],
    "cs-03": lambda e: _cs_rnn_backward(e)["Wh"],
    "cs-04": lambda e: _cs_rnn_backward(e)["h0"],
    "cs-05": lambda e: _cs_lstm_step_claim(e)["prev_c"],
    "cs-06": lambda e: _cs_lstm_step_claim(e)["Wx"],
    "cs-07": _cs_lstm_backward,
    "cs-08": lambda e: _cs_lstm_step_claim(e, proposal=True)["c"],
    "cs-09": lambda e: _cs_lstm_step_claim(e)["c"],
    "hf-01": lambda e: _hf_rnn_step(e.dnext_h, (e.next_h, e.p["Wx"], e.p["Wh"], e.x, e.prev_h))[2],
    "hf-02": _hf_rnn_backward,
    "dl-01": lambda e: _dl_eq(e, "7"),
    "dl-02": lambda e: _dl_eq(e, "8"),
    "dl-03": lambda e: _dl_eq(e, "9"),
    "dl-04": lambda e: _dl_eq(e, "10"),
    "dl-05": lambda e: _dl_eq(e, "16"),
    "dl-06": lambda e: _dl_eq(e, "15"),
    "kb-01": lambda e: _kb_lstm_cell(e.dnext_h, e.dnext_c, _dl_cache(e))["dWi"],
    "kb-02": lambda e: _kb_rnn_cell(e.dnext_h, (e.next_h, e.a_prev, e.xt, e.p))["dWaa"],
    "kb-03": lambda e: _kb_rnn_backward(e)["Wax"],
    "sg-01": lambda e: _sg_lstm_backward(e)["Wf"],
    "sg-02": lambda e: _sg_lstm_backward(e)["a0"],
    "hb-01": lambda e: _hb(e)["Wfh"],
    "hb-02": lambda e: _hb(e)["bi"],
    "hb-03": lambda e: _hb(e)["Wix"],
    "ds-01": lambda e: _ds_rnn(e.dnext_h, (e.x, e.prev_h, e.next_h), e.p["Wx"], e.p["Wh"])[2][1],
    "ds-02": _ds_time_rnn,
    "ds-03": lambda e: _ds_lstm(e.dnext_h, e.dnext_c, e.rec, e.p["Wx"], e.p["Wh"])[3],
    "ds-04": _ds_time_lstm,
    "ds-05": lambda e: _ds_gru(e.dnext_h, e.rec, e.p["Wx"], e.p["Wh"])[1],
    "ds-06": lambda e: _ds_gru(e.dnext_h, e.rec, e.p["Wx"], e.p["Wh"])[3],
    "ds-07": _ds_time_gru,
    "ds-08": lambda e: 1 / (1 - e.next_h ** 2),
    "rv-01": _rv_lstm,
    "rv-02": _rv_gru,
}


# ----------------------------------------------------------------------------- judging

def _agrees(value, truth):
    value = np.asarray(value, dtype=float)
    if value.shape != truth.shape:
        if np.squeeze(value).shape != np.squeeze(truth).shape:
            return False, f"shape {value.shape}, truth {truth.shape}"
        value = value.reshape(truth.shape)
    err = float(np.max(np.abs(value - truth))) if truth.size else 0.0
    return err <= TOL * (1 + float(np.max(np.abs(truth)))), f"max error {err:.2g}"


def verdict(claim, fn=None):
    """(holds | fails | ambiguous, why) for one manifest claim over every seed; a reading that raises fails."""
    fn = CLAIMS[claim["id"]] if fn is None else fn
    per_reading: dict[str, bool] = {}
    why = ""
    for seed in SEEDS:
        e = _env(claim, seed)
        truth = _truth(e, claim["quantity"])
        try:
            got = fn(e)
        except Exception as exc:  # noqa: BLE001 (a transcription that cannot run on a draw fails there)
            got = {"": exc}
        readings = got if isinstance(got, dict) else {"": got}
        for name, value in readings.items():
            if isinstance(value, Exception):
                ok, reason = False, f"raises {type(value).__name__}"
            else:
                ok, reason = _agrees(value, truth)
            if not ok and not why:
                why = reason
            per_reading[name] = per_reading.get(name, True) and ok
    if all(per_reading.values()):
        return "holds", ""
    if not any(per_reading.values()):
        return "fails", why
    return "ambiguous", why


def _self_check() -> None:
    """The finite differences against a backpropagation through time written here from the definitions, and
    the judge against the classic mistakes: the next step's path forgotten in dh, Wh untransposed, the cell
    state's gradient not carried across steps, tanh' taken at the input instead of the output."""

    def rnn_bptt(e, carry=True, transpose=True):
        Wx, Wh = e.p["Wx"], e.p["Wh"]
        g = {k: np.zeros_like(v) for k, v in e.p.items()}
        dx = np.zeros_like(e.x)
        dnext = np.zeros_like(e.h0)
        for t in reversed(range(e.T)):
            prev = e.h0 if t == 0 else e.hs[t - 1]
            da = (e.dh[:, t, :] + (dnext if carry else 0.0)) * (1 - e.hs[t] ** 2)
            g["Wx"] += e.x[:, t, :].T @ da
            g["Wh"] += prev.T @ da
            g["b"] += da.sum(axis=0)
            dx[:, t, :] = da @ Wx.T
            dnext = da @ (Wh.T if transpose else Wh)
        return g, dx, dnext

    def lstm_bptt(e, carry_c=True):
        H = e.H
        dWh = np.zeros_like(e.p["Wh"])
        dnh, dnc = np.zeros_like(e.h0), np.zeros_like(e.h0)
        for t in reversed(range(e.T)):
            r = e.recs[t]
            dh = e.dh[:, t, :] + dnh
            dc = dh * r["o"] * (1 - np.tanh(r["c"]) ** 2) + (dnc if carry_c else 0.0)
            parts = {"i": dc * r["g"] * r["i"] * (1 - r["i"]), "f": dc * r["c_prev"] * r["f"] * (1 - r["f"]),
                     "o": dh * np.tanh(r["c"]) * r["o"] * (1 - r["o"]), "g": dc * r["i"] * (1 - r["g"] ** 2)}
            dA = np.hstack([parts[k] for k in "ifog"])
            dWh += r["h_prev"].T @ dA
            dnh, dnc = dA @ e.p["Wh"].T, dc * r["f"]
        del H
        return dWh

    seq = {"forward": "rnn_row", "form": "sequence", "draw": {}}
    for seed in SEEDS:
        e = _env(seq, seed)
        g, dx, dh0 = rnn_bptt(e)
        for k in ("Wx", "Wh", "b"):
            assert _agrees(g[k], e.truth(k))[0], ("BPTT", k)
        assert _agrees(dx, e.truth("x"))[0] and _agrees(dh0, e.truth("h0"))[0]
        # the perturbation of a state where it is made: at the last step it is the upstream itself
        assert _agrees(e.truth("h")[-1], e.dh[:, -1, :])[0]
        assert not _agrees(rnn_bptt(e, carry=False)[0]["Wh"], e.truth("Wh"))[0], "forgotten path accepted"
        assert not _agrees(rnn_bptt(e, transpose=False)[0]["Wh"], e.truth("Wh"))[0], "untransposed Wh accepted"
        assert not _agrees(rnn_bptt(e, transpose=False)[2], e.truth("h0"))[0], "untransposed Wh accepted in dh0"
        lstm = {"forward": "lstm_ifog", "form": "sequence", "draw": {}}
        e = _env(lstm, seed)
        assert _agrees(lstm_bptt(e), e.truth("Wh"))[0], "LSTM BPTT"
        assert not _agrees(lstm_bptt(e, carry_c=False), e.truth("Wh"))[0], "dc not carried accepted"
        step = {"forward": "rnn_row", "form": "step", "draw": {}}
        e = _env(step, seed)
        assert _agrees(e.dnext_h * (1 - e.next_h ** 2), e.truth("a"))[0]
        assert not _agrees(e.dnext_h * (1 - np.tanh(e.next_h) ** 2), e.truth("a"))[0], "tanh' at the output"


# Each failing claim, repaired at exactly the mistake its note names, must hold on the same draws: the verdict
# is then the named mistake's and not some other slip of the transcription.
REPAIRS = {
    "gf-03": lambda e: _gf_recursion(e, o_step="t"),
    "nl-02": lambda e: _nl_rnn(e, fixed=("tanh",))["U"],
    "nl-03": lambda e: _nl_rnn(e, fixed=("tanh", "h0"))["W"],
    "nl-04": lambda e: _nl_lstm(e, fixed=True)["Wy"],
    "nl-05": lambda e: _nl_lstm(e, fixed=True)["Wf"],
    "cs-08": lambda e: _cs_lstm_step_claim(e)["c"],
    "dl-02": lambda e: _dl_eq(e, "8", fixed=True),
    "dl-03": lambda e: _dl_eq(e, "9", fixed=True),
    "dl-04": lambda e: _dl_eq(e, "10", fixed=True),
    "dl-06": lambda e: _dl_eq(e, "15", fixed=True),
    "sg-01": lambda e: _sg_lstm_backward(e, fixed=True)["Wf"],
    "sg-02": lambda e: _sg_lstm_backward(e, fixed=True)["a0"],
    "hb-01": lambda e: _hb(e, fixed=("cell",))["Wfh"],
    "hb-02": lambda e: _hb(e, fixed=("cell", "gate"))["bi"],
    "hb-03": lambda e: _hb(e, fixed=("cell", "time"))["Wix"],
    "ds-08": lambda e: e.dnext_h * (1 - e.next_h ** 2),
    "rv-01": lambda e: _rv_lstm(e, fixed=True)["of_output"],
    "rv-02": lambda e: _rv_gru(e, fixed=True)["of_output"],
}


def _check_repairs(claims) -> list[str]:
    """Every repair holds; returns the failing claims of the manifest that have none (each one a disagreement)."""
    by_id = {c["id"]: c for c in claims}
    for cid, fn in REPAIRS.items():
        v, why = verdict(by_id[cid], fn)
        assert v == "holds", f"{cid} repaired still fails: {why}"
    return [c["id"] for c in claims if c["truth"] == "fails" and c["id"] not in REPAIRS]


def _stats(claims):
    return {
        "claims": len(claims),
        "hold": sum(c["truth"] == "holds" for c in claims),
        "fail": sum(c["truth"] == "fails" for c in claims),
        "rnn": sum(c["kind"] == "rnn" for c in claims),
        "lstm": sum(c["kind"] == "lstm" for c in claims),
        "gru": sum(c["kind"] == "gru" for c in claims),
        "step": sum(c["form"] == "step" for c in claims),
        "sequence": sum(c["form"] == "sequence" for c in claims),
        "latex": sum("latex" in c for c in claims),
        "code": sum("code" in c for c in claims),
        "sources": len({c["source"] for c in claims}),
        "urls": len({c["url"] for c in claims}),
    }


def main() -> int:
    claims = tomllib.loads((HERE / "claims.toml").read_text(encoding="utf-8"))["claim"]
    ids = [c["id"] for c in claims]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    assert set(ids) == set(CLAIMS), f"manifest and transcriptions differ: {set(ids) ^ set(CLAIMS)}"
    for c in claims:
        assert ("latex" in c) != ("code" in c), f"{c['id']}: exactly one of latex, code"
        assert c["truth"] in ("holds", "fails"), c["id"]
        assert c["kind"] in ("rnn", "lstm", "gru") and c["form"] in ("step", "sequence"), c["id"]
        assert c["forward"] in FAMILIES, c["id"]
    _self_check()
    unrepaired = _check_repairs(claims)
    bad = []
    print(f"{'id':7} {'kind':5} {'form':9} {'quantity':9} {'manifest':9} {'numeric':9} why")
    for c in claims:
        v, why = verdict(c)
        mark = "" if v == c["truth"] else "   <-- DISAGREES"
        if mark:
            bad.append(c["id"])
        print(f"{c['id']:7} {c['kind']:5} {c['form']:9} {c['quantity']:9} {c['truth']:9} {v:9} {why}{mark}")
    s = _stats(claims)
    print(f"\n{s['claims']} claims ({s['rnn']} RNN, {s['lstm']} LSTM, {s['gru']} GRU; {s['step']} one step, "
          f"{s['sequence']} through time; {s['latex']} LaTeX, {s['code']} code): {s['hold']} hold, {s['fail']} fail; "
          f"{s['sources']} sources, {s['urls']} URLs")
    if unrepaired:
        print("failing claims with no repair in REPAIRS:", ", ".join(unrepaired))
    if bad or unrepaired:
        print("disagreements:", ", ".join(dict.fromkeys(bad + unrepaired)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
