"""Convolution (cross-correlation, as deep-learning libraries compute it) along one or two spatial axes, with stride
s and zero padding p, D input and H output channels, as a graph of entries over the examples n, the input channels
k, the output channels j, and per spatial axis the input positions t, the output positions o and the kernel's taps
u (all from 1; in 2-D t, o, u are the rows and T, O, U the columns). In 1-D:

    y[n, j, o] = Σ_k Σ_u W[j, k, u] x[n, k, s(o - 1) + u - p] + b[j]         (x is 0 outside 1..T: the padding)

    ∂y[n, j, o]/∂x[n, k, t] = Σ_u W[j, k, u] [t = s(o - 1) + u - p]
    ∂y[n, j, o]/∂W[j, k, u] = x[n, k, s(o - 1) + u - p]                       ∂y[n, j, o]/∂b[j] = 1

and in 2-D the same with a second position read s(O - 1) + U - p and a second bracket (Goodfellow et al. eq. 9.8
with a bias and padding). The reverse pass sums each over the axes the quantity lacks: dx is the scatter-sum over
every output position whose window covers the input position (windows overlap when s < U, so a position gets
several contributions; with s > 1 some position may be in none), dW the correlation of the input with the
upstream gradient, db its sum over the examples and positions. With stride 1 the scatter-sum is a full
convolution of dy with the kernel flipped, dx[n, k, t] = Σ_j Σ_u dy[n, j, t + p + 1 - u] W[j, k, u] (dy taken as 0
outside its range), which is shown equal for every size: each bracket picks the one output position of a tap.
"""

from __future__ import annotations

import sympy as sp

from .graph import AXES, BOUND, Compact, Identity, KindGraph, Letters, Local, Node, entry, total, totals

STRIDE = sp.Symbol("stride", integer=True, positive=True)
PAD = sp.Symbol("pad", integer=True, nonnegative=True)
SPATIAL = {1: ("t", "o", "u"), 2: ("tT", "oO", "uU")}  # per number of spatial axes: the positions, outputs, taps
MEANINGS = {"stride": "the stride: the step from one window to the next",
            "pad": "the padding: zeros added at each end of every input channel"}

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: conv_forward_naive and conv_backward_naive (x, w, b, out, dout, "
    "stride, pad), here along one spatial axis, counted from 1",
    {"x": "x", "W": "w", "b": "b", "y": r"\mathrm{out}", "loss": "L", "stride": r"\mathrm{stride}",
     "pad": r"\mathrm{pad}"},
    {"n": ("n", "r"), "k": ("c", "e"), "j": ("f", "g"), "t": ("t", "v"), "o": ("i", "q"), "u": ("u", "h")},
    {"n": "N", "k": "C", "j": "F", "t": "W", "o": "W'", "u": r"\mathit{WW}"}, shown="nkjtou", adjoint="d",
    names={"y": r"\mathrm{dout}"})
GOODFELLOW = Letters(
    "goodfellow", "Goodfellow, Bengio & Courville (2016), Deep Learning, section 9.5, eq. 9.8 and the gradients g "
    "and h after it (V the input, K the kernel, Z the output, s the stride, G the gradient of J by Z), along one "
    "spatial axis; the bias b, the padding p, the example index r and the sizes' letters are derive's",
    {"x": "V", "W": "K", "b": "b", "y": "Z", "loss": "J", "stride": "s", "pad": "p"},
    {"n": ("r", "r"), "k": ("l", "l'"), "j": ("i", "i'"), "t": ("u", "u'"), "o": ("k", "k'"), "u": ("m", "m'")},
    {"n": "R", "k": "L", "j": "I", "t": "U", "o": "K", "u": "M"}, shown="kjtou")
CS231N_2D = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: conv_forward_naive and conv_backward_naive (x, w, b, out, dout, "
    "stride, pad; N, C, H, W, F, HH, WW), counted from 1",
    CS231N.symbols,
    {"n": ("n", "n'"), "k": ("c", "c'"), "j": ("f", "f'"), "t": ("h", "h'"), "T": ("w", "w'"), "o": ("i", "i'"),
     "O": ("j", "j'"), "u": ("k", "k'"), "U": ("l", "l'")},
    {"n": "N", "k": "C", "j": "F", "t": "H", "T": "W", "o": "H'", "O": "W'", "u": r"\mathit{HH}",
     "U": r"\mathit{WW}"}, shown="nkjtTouOU", adjoint="d", names={"y": r"\mathrm{dout}"})
GOODFELLOW_2D = Letters(
    "goodfellow", "Goodfellow, Bengio & Courville (2016), Deep Learning, section 9.5, eq. 9.8 (Z, a sum over l, m, "
    "n of V times K) and the gradients g and h after it (G the gradient of J by Z); the bias b, the padding p, the "
    "example index r, the input's indices u, v and the sizes' letters are derive's",
    GOODFELLOW.symbols,
    {"n": ("r", "r"), "k": ("l", "l'"), "j": ("i", "i'"), "t": ("u", "u'"), "T": ("v", "v'"), "o": ("j", "j'"),
     "O": ("k", "k'"), "u": ("m", "m'"), "U": ("n", "n'")},
    {"n": "R", "k": "L", "j": "I", "t": "U", "T": "V", "o": "J", "O": "K", "u": "M", "U": "N"}, shown="kjtTouOU")


def window(o, u):
    """The input position tap u of output position o reads: s(o - 1) + u - p."""
    return STRIDE * (o - 1) + u - PAD


def _kind(dims: int) -> KindGraph:
    positions, outputs, taps = SPATIAL[dims]
    index = {a: AXES[a][0] for a in "nkj" + positions + outputs + taps}
    W, b = entry("W", "jk" + taps), entry("b", "j")
    reads = [window(index[o], index[u]) for o, u in zip(outputs, taps)]
    read = sp.IndexedBase("x")[(index["n"], index["k"], *reads)]
    brackets = sp.Mul(*(sp.KroneckerDelta(index[t], r) for t, r in zip(positions, reads)))
    partial_x, forward = totals(W * brackets, taps), totals(W * read, taps)
    nodes = (Node("x", "nk" + positions, why="the layer's input: examples by channels by positions"),
             Node("W", "jk" + taps, why="the kernels: output channels by input channels by taps"),
             Node("b", "j", why="the biases, one per output channel"),
             Node("y", "nj" + outputs, total(forward, "k") + b,
                  (Local("x", partial_x), Local("W", read), Local("b", sp.Integer(1))),
                  why="the output: examples by output channels by output positions"))
    flipped_at = [index[t] + PAD + 1 - index[u] for t, u in zip(positions, taps)]
    dy = sp.IndexedBase("dy")[(index["n"], index["j"], *flipped_at)]
    form = totals(dy * W, taps)
    o, t, u = BOUND[outputs[0]], index[positions[0]], index[taps[0]]
    rest = tuple(index[a] for a in outputs[1:])
    pick = Identity(sp.Sum(sp.IndexedBase("dy")[(index["n"], index["j"], o, *rest)]
                           * sp.KroneckerDelta(t, window(o, u).xreplace({STRIDE: 1})), (o, 1, AXES[outputs[0]][1])),
                    sp.IndexedBase("dy")[(index["n"], index["j"], t + PAD + 1 - u, *rest)],
                    "each bracket picks the one output position of a tap; an entry outside the range is 0")
    flipped = Compact("x", total(form, "j"), identities=(pick,), when={STRIDE: sp.Integer(1)},
                      source="the upstream gradient, padded, convolved with the kernel flipped (a full convolution), "
                             "for stride 1")
    letters = (CS231N, GOODFELLOW) if dims == 1 else (CS231N_2D, GOODFELLOW_2D)
    return KindGraph(f"conv{dims}d", nodes, "y", ("x", "W", "b"), (STRIDE, PAD), (flipped,),
                     f"a {dims}-D convolution", letters, meanings=MEANINGS)


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased  # no statistics
    return _kind(1)


def kind2d(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind(2)
