"""The join of a residual block: y = x + skip, the block's output F(x) plus its input (He et al. 2016, eq. 1)
or the input's projection (eq. 2). Both inputs get the upstream gradient unchanged: the identity's Jacobian.
In a network the skip makes the block's input fan out (it feeds F and the join), and the architecture's
reverse pass sums its two gradients."""

from __future__ import annotations

import sympy as sp

from .graph import KindGraph, Letters, Local, Node, entry

HE = Letters(
    "he", "He, Zhang, Ren & Sun (2016), Deep Residual Learning for Image Recognition, eqs. 1 and 2",
    {"x": r"\mathcal{F}", "skip": "x", "y": "y", "loss": r"\mathcal{E}"},
    {"n": ("n", "m"), "k": ("k", "l")}, {"n": "N", "k": "D"}, shown="k")
CS231N = Letters(
    "cs231n", "CS231n-style names (dout in; df, dx out; y = f + x as in He et al.); CS231n's assignments have no "
    "residual join",
    {"x": "f", "skip": "x", "y": "y", "loss": "L"},
    {"n": ("i", "n"), "k": ("j", "k")}, {"n": "N", "k": "D"}, adjoint="d", names={"y": r"\mathrm{dout}"})


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased
    x, skip = entry("x", "nk"), entry("skip", "nk")
    nodes = (Node("x", "nk", why="the block's output F(x)"), Node("skip", "nk", why="the skip: x or W_s x"),
             Node("y", "nk", x + skip, (Local("x", sp.Integer(1)), Local("skip", sp.Integer(1))),
                  why="the block's output plus its skip"))
    return KindGraph("add", nodes, "y", ("x", "skip"), (), (), "the join of a residual block", (HE, CS231N))
