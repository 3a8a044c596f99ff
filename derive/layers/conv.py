"""A 1-D convolution (cross-correlation, as deep-learning libraries compute it) with stride s and zero padding p,
D input channels and H output channels, as a graph of entries over the examples n, the input channels k, the
output channels j, the input positions t, the output positions o and the kernel's taps u (all from 1):

    y[n, j, o] = Σ_k Σ_u W[j, k, u] x[n, k, s(o - 1) + u - p] + b[j]         (x is 0 outside 1..T: the padding)

    ∂y[n, j, o]/∂x[n, k, t] = Σ_u W[j, k, u] [t = s(o - 1) + u - p]
    ∂y[n, j, o]/∂W[j, k, u] = x[n, k, s(o - 1) + u - p]                       ∂y[n, j, o]/∂b[j] = 1

The reverse pass sums each over the axes the quantity lacks: dx[n, k, t] is the scatter-sum over every output
position whose window covers t (windows overlap when s < U, so a position gets several contributions; with s > 1
some position may be in none), dW the correlation of the input with the upstream gradient, db its sum over the
examples and positions. With stride 1 the scatter-sum is a full convolution of dy with the kernel flipped,
dx[n, k, t] = Σ_j Σ_u dy[n, j, t + p + 1 - u] W[j, k, u] (dy taken as 0 outside 1..O), which is shown equal for
every size: the bracket picks the one output position o = t + p + 1 - u of each tap.
"""

from __future__ import annotations

import sympy as sp

from .graph import AXES, Compact, Identity, KindGraph, Letters, Local, Node, entry, total
from .graph import O as OUT
from .graph import T as POS
from .graph import U as TAP

OUT_SIZE = AXES["o"][1]
STRIDE = sp.Symbol("stride", integer=True, positive=True)
PAD = sp.Symbol("pad", integer=True, nonnegative=True)

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
    "spatial axis; the bias b, the padding p and the example index r are derive's",
    {"x": "V", "W": "K", "b": "b", "y": "Z", "loss": "J", "stride": "s", "pad": "p"},
    {"n": ("r", "r"), "k": ("l", "a"), "j": ("i", "g"), "t": ("j", "c"), "o": ("k", "q"), "u": ("m", "e")},
    {"n": "M", "k": "L", "j": "I", "t": "T", "o": "Q", "u": "E"}, shown="kjtou")


def window(o, u):
    """The input position tap u of output position o reads: s(o - 1) + u - p."""
    return STRIDE * (o - 1) + u - PAD


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased  # no statistics
    x, W, b = entry("x", "nkt"), entry("W", "jku"), entry("b", "j")
    read = sp.IndexedBase("x")[x.indices[0], x.indices[1], window(OUT, TAP)]
    partial_x = total(W * sp.KroneckerDelta(POS, window(OUT, TAP)), "u")
    nodes = (Node("x", "nkt", why="the layer's input: examples by channels by positions"),
             Node("W", "jku", why="the kernels: output channels by input channels by taps"),
             Node("b", "j", why="the biases, one per output channel"),
             Node("y", "njo", total(total(W * read, "u"), "k") + b,
                  (Local("x", partial_x), Local("W", read), Local("b", sp.Integer(1))),
                  why="the output: examples by output channels by output positions"))
    dy = sp.IndexedBase("dy")[x.indices[0], entry("W", "jku").indices[0], POS + PAD + 1 - TAP]
    o = sp.Symbol("o_", integer=True, positive=True)  # the output position a sum binds (graph.BOUND["o"])
    pick = Identity(sp.Sum(sp.IndexedBase("dy")[x.indices[0], entry("W", "jku").indices[0], o]
                           * sp.KroneckerDelta(POS, window(o, TAP).xreplace({STRIDE: 1})), (o, 1, OUT_SIZE)),
                    dy, "the bracket picks the one output position of each tap; an entry outside the range is 0")
    flipped = Compact("x", total(total(dy * W, "u"), "j"), identities=(pick,), when={STRIDE: sp.Integer(1)},
                      source="the upstream gradient, padded, convolved with the kernel flipped (a full convolution), "
                             "for stride 1")
    return KindGraph("conv1d", nodes, "y", ("x", "W", "b"), (STRIDE, PAD), (flipped,),
                     "a 1-D convolution", (CS231N, GOODFELLOW),
                     meanings={"stride": "the stride: the step from one window to the next",
                               "pad": "the padding: zeros added at each end of every input channel"})
