"""Softmax and log-softmax over each example's features, as interior layers: the Jacobian, not a shortcut.

    u[n, k] = exp(x[n, k])        ∂u/∂x = u
    S[n]    = Σ_k u[n, k]         ∂S/∂u = 1
    softmax      y = u / S        ∂y/∂u = 1/S,   ∂y/∂S = -u/S²
    log-softmax  y = x - log S    ∂y/∂x = 1,     ∂y/∂S = -1/S

Every output reads S, which reads every u of its example: the reverse pass's fan-out over k gives the full
Jacobian, ∂ℓ/∂x_k = y_k (∂ℓ/∂y_k - Σ_j y_j ∂ℓ/∂y_j) (Bishop 2006, eq. 4.106: ∂y_k/∂a_j = y_k (I_kj - y_j)),
and for log-softmax ∂ℓ/∂x_k = ∂ℓ/∂y_k - softmax(x)_k Σ_j ∂ℓ/∂y_j; both closed forms are shown equal to the chain
rule's for every width. Letters: Goodfellow et al. (2016) §6.2.2.3 (softmax(z)_i = exp(z_i) / Σ_j exp(z_j),
eq. 6.29, and log softmax(z)_i = z_i - log Σ_j exp(z_j), eq. 6.30) and Bishop (2006) §4.3.4.
"""

from __future__ import annotations

import sympy as sp

from .graph import Compact, KindGraph, Letters, Local, Node, entry, total


def _letters(output: str) -> tuple[Letters, ...]:
    index = {"n": ("t", "s"), "k": ("i", "j")}  # the example's index only where a sum binds it (never here)
    return (
        Letters("goodfellow", "Goodfellow, Bengio & Courville (2016), Deep Learning, section 6.2.2.3",
                {"x": "z", "y": output, "e": "u", "s": "S", "loss": "L"}, index, {"n": "m", "k": "K"}, shown="k"),
        Letters("bishop", "Bishop (2006), Pattern Recognition and Machine Learning, section 4.3.4 (eq. 4.104)",
                {"x": "a", "y": "y", "e": "u", "s": "S", "loss": "E"},
                {"n": ("n", "m"), "k": ("k", "j")}, {"n": "N", "k": "K"}, shown="k"),
        CS231N,
    )


# CS231n's layer names for an architecture's documents (its assignments use softmax in the loss only)
CS231N = Letters(
    "cs231n", "CS231n-style layer names (dout, dx); CS231n itself has softmax only inside its loss",
    {"x": "x", "y": "y", "e": "u", "s": "S", "loss": "L"},
    {"n": ("i", "n"), "k": ("j", "k")}, {"n": "N", "k": "D"}, adjoint="d", names={"y": r"\mathrm{dout}"})


def _exponentials(x) -> tuple[Node, Node]:
    e = entry("e", "nk")
    return (Node("e", "nk", sp.exp(x), (Local("x", e),), why="the exponential of each input"),
            Node("s", "n", total(e, "k"), (Local("e", sp.Integer(1)),), why="the sum of an example's exponentials"))


def softmax(unbiased: bool = False) -> KindGraph:
    del unbiased
    x, e, s, y, dy = entry("x", "nk"), entry("e", "nk"), entry("s", "n"), entry("y", "nk"), entry("dy", "nk")
    nodes = (Node("x", "nk", why="the layer's input (the logits)"), *_exponentials(x),
             Node("y", "nk", e / s, (Local("e", 1 / s), Local("s", -e / s ** 2)),
                  why="the output, the softmax of the input"))
    closed = Compact("x", y * (dy - total(y * dy, "k")), {e: y * s},
                     source="the softmax Jacobian (its diagonal minus the outer product of the output with itself) "
                            "applied to the upstream gradient")
    return KindGraph("softmax", nodes, "y", ("x",), (), (closed,), "softmax over the features, as a layer",
                     _letters(r"\hat{y}"))


def logsoftmax(unbiased: bool = False) -> KindGraph:
    del unbiased
    x, e, s, y, dy = entry("x", "nk"), entry("e", "nk"), entry("s", "n"), entry("y", "nk"), entry("dy", "nk")
    nodes = (Node("x", "nk", why="the layer's input (the logits)"), *_exponentials(x),
             Node("y", "nk", x - sp.log(s), (Local("x", sp.Integer(1)), Local("s", -1 / s)),
                  why="the output, the log-softmax of the input"))
    closed = Compact("x", dy - sp.exp(y) * total(dy, "k"), {e: s * sp.exp(y)},
                     source="the log-softmax Jacobian (the identity minus a column of ones times the softmax) "
                            "applied to the upstream gradient")
    return KindGraph("logsoftmax", nodes, "y", ("x",), (), (closed,), "log-softmax over the features, as a layer",
                     _letters("y"))  # y = log softmax(z), as the set-up table says
