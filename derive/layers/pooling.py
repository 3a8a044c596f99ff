"""Max and average pooling along one axis, windows of U taps every s positions (they overlap when s < U), per
channel, as graphs of entries over the examples n, the channels k, the input positions t, the output positions
o and the taps u (from 1; no padding):

    average  y[n, k, o] = (1/U) Σ_u x[n, k, s(o - 1) + u]     ∂y[n, k, o]/∂x[n, k, t] = (1/U) Σ_u [t = s(o - 1) + u]
    max      y[n, k, o] = max_u x[n, k, s(o - 1) + u]         ∂y[n, k, o]/∂x[n, k, t] = [x[n, k, t] = y[n, k, o]]
                                                                                         Σ_u [t = s(o - 1) + u]

The reverse pass sums over the output positions: a position in several windows gets the gradient of each
(accumulated, never overwritten), one in no window gets 0; max routes each window's gradient to its largest
entry, which the bracket [x_t = y_o] finds. At a tie the max is not differentiable: the bracket then passes the
gradient to every tied entry where PyTorch and CS231n's loops pick one; the drawn inputs have no ties.
CS231n's max_pool_forward_naive / max_pool_backward_naive (pool_width, stride), along one axis.
"""

from __future__ import annotations

import sympy as sp

from .conv import STRIDE
from .graph import AXES, KindGraph, Largest, Letters, Local, Node, entry, total
from .graph import O as OUT
from .graph import T as POS
from .graph import U as TAP

WIDTH = AXES["u"][1]


def _letters(name: str) -> Letters:
    return Letters(
        "cs231n", f"CS231n (Stanford), assignment 2: {name}_pool_forward_naive and {name}_pool_backward_naive (x, "
        "out, dout, dx, pool_width, stride), along one axis, counted from 1",
        {"x": "x", "y": r"\mathrm{out}", "loss": "L", "stride": r"\mathrm{stride}"},
        {"n": ("n", "r"), "k": ("c", "e"), "t": ("t", "v"), "o": ("i", "q"), "u": ("u", "h")},
        {"n": "N", "k": "C", "t": "W", "o": "W'", "u": r"\mathit{PW}"}, shown="nktou", adjoint="d",
        names={"y": r"\mathrm{dout}"})


def window(o, u):
    """The input position tap u of window o reads: s(o - 1) + u."""
    return STRIDE * (o - 1) + u


def _kind(name: str) -> KindGraph:
    x, y = entry("x", "nkt"), entry("y", "nko")
    read = sp.IndexedBase("x")[x.indices[0], x.indices[1], window(OUT, TAP)]
    covers = total(sp.KroneckerDelta(POS, window(OUT, TAP)), "u")
    if name == "avgpool1d":
        forward, partial = total(read, "u") / WIDTH, covers / WIDTH
        what = "the mean of each window"
    else:
        forward = Largest(read.xreplace({TAP: sp.Symbol("u_", integer=True, positive=True)}),
                          (sp.Symbol("u_", integer=True, positive=True), 1, WIDTH))
        partial = sp.Piecewise((1, sp.Eq(x, y)), (0, True)) * covers
        what = ("the largest entry of each window (at a tie the bracket below passes the gradient to every tied "
                "entry, where PyTorch and CS231n pick one; the drawn inputs have no ties)")
    nodes = (Node("x", "nkt", why="the layer's input: examples by channels by positions"),
             Node("y", "nko", forward, (Local("x", partial),), why=f"the output: {what}"))
    return KindGraph(name, nodes, "y", ("x",), (STRIDE,), (),
                     "1-D average pooling" if name == "avgpool1d" else "1-D max pooling",
                     (_letters("avg" if name == "avgpool1d" else "max"),),
                     meanings={"stride": "the stride: the step from one window to the next"})


def avgpool(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind("avgpool1d")


def maxpool(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind("maxpool1d")
