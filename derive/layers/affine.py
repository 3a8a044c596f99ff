"""The dense (fully connected) layer as a graph of entries: y = x W + b over a batch of rows.

    y[n, j] = Σ_k x[n, k] W[k, j] + b[j]        ∂y/∂x[n, k] = W[k, j],  ∂y/∂W[k, j] = x[n, k],  ∂y/∂b[j] = 1

As CS231n's ``affine_forward`` (x of N rows by D features, w of D by M, out of N by M). The reverse pass sums
each partial over the axes the quantity lacks: dx over the outputs j, dW and db over the examples n. The
projection of a residual block's skip (He et al. 2016, eq. 2: y = F(x) + W_s x) is the same graph without b.
``dense.py`` is the same layer written as matrices in every convention, for the network engine of ``chain``.
"""

from __future__ import annotations

import sympy as sp

from .graph import KindGraph, Letters, Local, Node, entry, total

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: affine_forward and affine_backward",
    {"x": "x", "W": "w", "b": "b", "y": "y", "loss": "L"},
    {"n": ("i", "n"), "k": ("k", "l"), "j": ("j", "p")}, {"n": "N", "k": "D", "j": "M"},
    shown="nkj", adjoint="d", names={"y": r"\mathrm{dout}"})


def kind(unbiased: bool = False, bias: bool = True) -> KindGraph:
    del unbiased  # no statistics
    x, W, b = entry("x", "nk"), entry("W", "kj"), entry("b", "j")
    nodes = [Node("x", "nk", why="the layer's input"), Node("W", "kj", why="the weights")]
    reads = [Local("x", W), Local("W", x)]
    forward = total(x * W, "k")
    if bias:
        nodes.append(Node("b", "j", why="the biases"))
        reads.append(Local("b", sp.Integer(1)))
        forward += b
    nodes.append(Node("y", "nj", forward, tuple(reads), why="the output"))
    name, inputs = ("dense", ("x", "W", "b")) if bias else ("projection", ("x", "W"))
    return KindGraph(name, tuple(nodes), "y", inputs, (), (),
                     "a dense layer" if bias else "a learned projection (no bias)", (CS231N,))


def projection(unbiased: bool = False) -> KindGraph:
    return kind(unbiased, bias=False)
