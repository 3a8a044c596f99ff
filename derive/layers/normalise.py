"""Normalisation over one axis: the forward graph batch normalisation and layer normalisation share.

    mu    = (1/n) Σ x                      over the normalised axis
    var   = (1/(n - u)) Σ (x - mu)²        u = 0 (Ioffe & Szegedy 2015, PyTorch in training) or 1
    x̂     = (x - mu) / √(var + ε)
    y     = γ x̂ + β                        γ, β one per feature

Batch normalisation normalises each feature over the m examples (axis n); layer normalisation normalises
each example over its D features (axis k). Each line carries its partial derivatives beside it.
"""

from __future__ import annotations

import sympy as sp

from .graph import AXES, Compact, Identity, KindGraph, Letters, Local, Node, entry, linear, total

EPS = sp.Symbol("epsilon", positive=True)
S = sp.IndexedBase("s", positive=True)  # √(var + ε), only in the rewriting that shows the closed form equal


def normalisation(name: str, axis: str, unbiased: bool, description: str, letters: tuple[Letters, ...]) -> KindGraph:
    """The graph of ``name``, normalising over ``axis`` ("n" or "k"); ``unbiased`` divides the variance by n-1."""
    stat = "k" if axis == "n" else "n"                 # the statistics' own axis
    size = AXES[axis][1]
    count = size - 1 if unbiased else size             # the variance's divisor
    x, mu, var, xhat = entry("x", "nk"), entry("mu", stat), entry("var", stat), entry("xhat", "nk")
    gamma, beta = entry("gamma", "k"), entry("beta", "k")
    root = sp.sqrt(var + EPS)
    nodes = (
        Node("x", "nk", why="the layer's input"),
        Node("gamma", "k", why="the learned scale"),
        Node("beta", "k", why="the learned shift"),
        Node("mu", stat, total(x, axis) / size,
             (Local("x", 1 / size),), why="the mean"),
        Node("var", stat, total((x - mu) ** 2, axis) / count,
             (Local("x", 2 * (x - mu) / count),
              Local("mu", total(-2 * (x - mu), axis) / count)), why="the variance"),
        Node("xhat", "nk", (x - mu) / root,
             (Local("x", 1 / root),
              Local("mu", -1 / root),
              Local("var", -(x - mu) * (var + EPS) ** sp.Rational(-3, 2) / 2)), why="the normalised input"),
        Node("y", "nk", gamma * xhat + beta,
             (Local("xhat", gamma), Local("gamma", xhat), Local("beta", sp.Integer(1))), why="the output"),
    )
    s, g = S[mu.indices], gamma * entry("dy", "nk")   # g = ∂ℓ/∂x̂ = γ ∂ℓ/∂y
    inner = sp.factor_terms(linear(size * g - total(g, axis) - size * xhat * total(g * xhat, axis) / count))
    zero_mean = Identity(total(xhat, axis), sp.Integer(0), "the normalised input has mean zero")
    # shown equal with x - mu = s x̂ and var + eps = s², s = √(var + ε) > 0
    compact = Compact("x", inner / (size * root), {x: mu + s * xhat, var: s ** 2 - EPS}, (zero_mean,),
                      "the one-line form (CS231n's batchnorm_backward_alt)")
    return KindGraph(name, nodes, "y", ("x", "gamma", "beta"), (EPS,), (compact,), description, letters)
