"""The dense (fully connected) layer as a graph of entries: y = x W + b over a batch of rows.

    y[n, j] = Σ_k x[n, k] W[k, j] + b[j]        ∂y/∂x[n, k] = W[k, j],  ∂y/∂W[k, j] = x[n, k],  ∂y/∂b[j] = 1

As CS231n's ``affine_forward`` (x of N rows by D features, w of D by M, out of N by M). The reverse pass sums
each partial over the axes the quantity lacks: dx over the outputs j, dW and db over the examples n. The
projection of a residual block's skip (He et al. 2016, eq. 2: y = F(x) + W_s x) is the same graph without b.
``dense.py`` is the same layer written as matrices in every convention, for the network engine of ``chain``.

Inside an architecture a dense layer also reads the tensors other layers give:

    dense1d         y[n, j] = Σ_k Σ_t x[n, k, t] W[k, t, j] + b[j]          (a signal's channels and positions)
    dense2d         y[n, j] = Σ_k Σ_t Σ_T x[n, k, t, T] W[k, t, T, j] + b[j] (an image's channels, rows, columns)
    temporal_dense  y[n, t, j] = Σ_k x[n, t, k] W[k, j] + b[j]              (at every time step, one W)

The first two are CS231n's ``affine_forward`` on an N × d_1 × … × d_k input ("reshape each input into a vector
of dimension D = d_1 ⋯ d_k"), with w's rows indexed by the input's axes instead of the flattened position: the
same numbers, and no index arithmetic (a flatten step would read x at ⌊(j − 1)/W⌋ + 1 and (j − 1) mod W + 1).
The last is CS231n's ``temporal_affine_forward`` (x of N × T × D, w of D × M, out of N × T × M), its dW and db
summed over the examples and the steps.
"""

from __future__ import annotations

import sympy as sp

from .graph import KindGraph, Letters, Local, Node, entry, totals

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: affine_forward and affine_backward",
    {"x": "x", "W": "w", "b": "b", "y": "y", "loss": "L"},
    {"n": ("i", "n"), "k": ("k", "l"), "j": ("j", "p")}, {"n": "N", "k": "D", "j": "M"},
    shown="nkj", adjoint="d", names={"y": r"\mathrm{dout}"})
_RESHAPED = ("CS231n (Stanford), assignment 2: affine_forward and affine_backward on an input of N by d_1 by ... by "
             "d_k (each example reshaped into a row), w's rows indexed by the input's own axes ({})")
SIGNAL = Letters(
    "cs231n", _RESHAPED.format("channels c, positions t"), CS231N.symbols,
    {"n": ("i", "n"), "k": ("c", "e"), "t": ("t", "v"), "j": ("j", "p")},
    {"n": "N", "k": "C", "t": "W", "j": "M"}, shown="nktj", adjoint="d", names=CS231N.names)
IMAGE = Letters(
    "cs231n", _RESHAPED.format("channels c, rows p, columns q"), CS231N.symbols,
    {"n": ("i", "n"), "k": ("c", "e"), "t": ("p", "p'"), "T": ("q", "q'"), "j": ("j", "l")},
    {"n": "N", "k": "C", "t": "H", "T": "W", "j": "M"}, shown="nktTj", adjoint="d", names=CS231N.names)
TEMPORAL = Letters(
    "cs231n", "CS231n (Stanford), assignment 3: temporal_affine_forward and temporal_affine_backward (x of N by T "
    "by D, w, b, out of N by T by M)",
    CS231N.symbols, {"n": ("n", "n'"), "t": ("t", "t'"), "k": ("k", "k'"), "j": ("j", "j'")},
    {"n": "N", "t": "T", "k": "D", "j": "M"}, shown="ntkj", adjoint="d", names=CS231N.names)

# the dense layer's graphs by the tensor it reads: (x's axes, W's, y's, the axes summed, letters, description)
OVER = {"dense": ("nk", "kj", "nj", "k", CS231N, "a dense layer"),
        "dense1d": ("nkt", "ktj", "nj", "kt", SIGNAL, "a dense layer over a 1-D signal's channels and positions"),
        "dense2d": ("nktT", "ktTj", "nj", "ktT", IMAGE,
                    "a dense layer over an image's channels, rows and columns"),
        "temporal_dense": ("ntk", "kj", "ntj", "k", TEMPORAL, "a dense layer at every time step")}


def _graph(name: str, bias: bool = True) -> KindGraph:
    x_axes, w_axes, y_axes, summed, letters, description = OVER[name]
    x, W, b = entry("x", x_axes), entry("W", w_axes), entry("b", "j")
    nodes = [Node("x", x_axes, why="the layer's input"), Node("W", w_axes, why="the weights")]
    reads = [Local("x", W), Local("W", x)]
    forward = totals(x * W, summed)
    if bias:
        nodes.append(Node("b", "j", why="the biases"))
        reads.append(Local("b", sp.Integer(1)))
        forward += b
    nodes.append(Node("y", y_axes, forward, tuple(reads), why="the output"))
    name, inputs = (name, ("x", "W", "b")) if bias else ("projection", ("x", "W"))
    return KindGraph(name, tuple(nodes), "y", inputs, (), (),
                     description if bias else "a learned projection (no bias)", (letters,))


def kind(unbiased: bool = False, bias: bool = True) -> KindGraph:
    del unbiased  # no statistics
    return _graph("dense", bias)


def projection(unbiased: bool = False) -> KindGraph:
    return kind(unbiased, bias=False)


def dense1d(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _graph("dense1d")


def dense2d(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _graph("dense2d")


def temporal(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _graph("temporal_dense")
