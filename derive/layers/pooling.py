"""Max and average pooling along one or two axes, windows of U taps (U by U2 in 2-D) every s positions (they
overlap when s < U), per channel, as graphs of entries over the examples n, the channels k, the input positions
t, the output positions o and the taps u (from 1; no padding; in 2-D t, o, u the rows and T, O, U the columns):

    average  y[n, k, o] = (1/U) Σ_u x[n, k, s(o - 1) + u]     ∂y[n, k, o]/∂x[n, k, t] = (1/U) Σ_u [t = s(o - 1) + u]
    max      y[n, k, o] = max_u x[n, k, s(o - 1) + u]         ∂y[n, k, o]/∂x[n, k, t] = [x[n, k, t] = y[n, k, o]]
                                                                                         Σ_u [t = s(o - 1) + u]

The reverse pass sums over the output positions: a position in several windows gets the gradient of each
(accumulated, never overwritten), one in no window gets 0; max routes each window's gradient to its largest
entry, which the bracket [x_t = y_o] finds. At a tie the max is not differentiable: the bracket then passes the
gradient to every tied entry where PyTorch and CS231n's loops pick one; the drawn inputs have no ties.
CS231n's max_pool_forward_naive / max_pool_backward_naive (pool_height, pool_width, stride).
"""

from __future__ import annotations

import sympy as sp

from .conv import SPATIAL, STRIDE
from .graph import AXES, BOUND, KindGraph, Largest, Letters, Local, Node, entry, totals


def _letters(name: str, dims: int) -> Letters:
    if dims == 1:
        return Letters(
            "cs231n", f"CS231n (Stanford), assignment 2: {name}_pool_forward_naive and {name}_pool_backward_naive (x, "
            "out, dout, dx, pool_width, stride), along one axis, counted from 1",
            {"x": "x", "y": r"\mathrm{out}", "loss": "L", "stride": r"\mathrm{stride}"},
            {"n": ("n", "r"), "k": ("c", "e"), "t": ("t", "v"), "o": ("i", "q"), "u": ("u", "h")},
            {"n": "N", "k": "C", "t": "W", "o": "W'", "u": r"\mathit{PW}"}, shown="nktou", adjoint="d",
            names={"y": r"\mathrm{dout}"})
    return Letters(
        "cs231n", f"CS231n (Stanford), assignment 2: {name}_pool_forward_naive and {name}_pool_backward_naive (x, out, "
        "dout, dx, pool_height, pool_width, stride), counted from 1",
        {"x": "x", "y": r"\mathrm{out}", "loss": "L", "stride": r"\mathrm{stride}"},
        {"n": ("n", "n'"), "k": ("c", "c'"), "t": ("h", "h'"), "T": ("w", "w'"), "o": ("i", "i'"), "O": ("j", "j'"),
         "u": ("k", "k'"), "U": ("l", "l'")},
        {"n": "N", "k": "C", "t": "H", "T": "W", "o": "H'", "O": "W'", "u": r"\mathit{PH}", "U": r"\mathit{PW}"},
        shown="nktTouOU", adjoint="d", names={"y": r"\mathrm{dout}"})


def window(o, u):
    """The input position tap u of window o reads: s(o - 1) + u."""
    return STRIDE * (o - 1) + u


def _kind(largest: bool, dims: int) -> KindGraph:
    positions, outputs, taps = SPATIAL[dims]
    index = {a: AXES[a][0] for a in "nk" + positions + outputs + taps}
    x, y = entry("x", "nk" + positions), entry("y", "nk" + outputs)
    read = sp.IndexedBase("x")[(index["n"], index["k"], *(window(index[o], index[u]) for o, u in zip(outputs, taps)))]
    covers = sp.Mul(*(sp.KroneckerDelta(index[t], window(index[o], index[u]))
                      for t, o, u in zip(positions, outputs, taps)))
    size = sp.Mul(*(AXES[u][1] for u in taps))
    covers = totals(covers, taps)
    if largest:
        forward = Largest(read.xreplace({index[u]: BOUND[u] for u in taps}), *((BOUND[u], 1, AXES[u][1]) for u in taps))
        partial = sp.Piecewise((1, sp.Eq(x, y)), (0, True)) * covers
        what = ("the largest entry of each window (at a tie the bracket below passes the gradient to every tied "
                "entry, where PyTorch and CS231n pick one; the drawn inputs have no ties)")
    else:
        forward, partial = totals(read, taps) / size, covers / size
        what = "the mean of each window"
    nodes = (Node("x", "nk" + positions, why="the layer's input: examples by channels by positions"),
             Node("y", "nk" + outputs, forward, (Local("x", partial),), why=f"the output: {what}"))
    name = f"{'max' if largest else 'avg'}pool{dims}d"
    return KindGraph(name, nodes, "y", ("x",), (STRIDE,), (),
                     f"{dims}-D {'max' if largest else 'average'} pooling",
                     (_letters("max" if largest else "avg", dims),),
                     meanings={"stride": "the stride: the step from one window to the next"})


def maxpool(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind(True, 1)


def avgpool(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind(False, 1)


def maxpool2d(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind(True, 2)


def avgpool2d(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind(False, 2)
