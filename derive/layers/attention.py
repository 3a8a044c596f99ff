"""Scaled dot-product attention, with and without a mask, as a graph of entries over three axes: the queries n
(m of them), the keys j (H) and the features k (D = d_k = d_v).

    S[n, j] = Σ_k Q[n, k] K[j, k] / √D           ∂S/∂Q[n, k] = K[j, k] / √D,  ∂S/∂K[j, k] = Q[n, k] / √D
    e[n, j] = exp(S[n, j])   (masked: M[n, j] exp(S[n, j]), M the 0/1 mask)      ∂e/∂S = e
    s[n]    = Σ_j e[n, j]                                                          ∂s/∂e = 1
    P[n, j] = e[n, j] / s[n]                     ∂P/∂e = 1/s,  ∂P/∂s = -e/s²
    O[n, k] = Σ_j P[n, j] V[j, k]                ∂O/∂P[n, j] = V[j, k],  ∂O/∂V[j, k] = P[n, j]

Vaswani et al. (2017), section 3.2.1: Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V. The softmax over the keys is the
per-query sum node s, so the reverse pass's fan-out gives its Jacobian; the closed form of the scores' gradient,
dS = P ⊙ (dP - rowsum(dP ⊙ P)) with dP = dO Vᵀ, is shown equal for every size. A mask multiplies the exponentials
(the -∞ added to a masked score, as implementations write it, is the factor 0 here); the queries are the layer's
input x, as a layer's input is in every kind.
"""

from __future__ import annotations

import sympy as sp

from .graph import AXES, Compact, KindGraph, Letters, Local, Node, entry, total

D = AXES["k"][1]  # d_k

VASWANI = Letters(
    "vaswani", "Vaswani et al. (2017), Attention Is All You Need, section 3.2.1 (S and P name the scores and the "
    "weights, which the paper leaves unnamed)",
    {"x": "Q", "K": "K", "V": "V", "S": "S", "e": "u", "s": "Z", "P": "P", "y": "O", "mask": r"\mathcal{M}",
     "loss": "L"},
    {"n": ("i", "r"), "j": ("j", "t"), "k": ("k", "l")}, {"n": "n", "j": "m", "k": "d_k"}, shown="njk")
DAO = Letters(
    "dao", "Dao et al. (2022), FlashAttention, section 2.2 (standard attention): S, P, O and dO, dP, dS, dQ, dK, dV "
    "(u and Z, the exponentials and their sum, are derive's)",
    {"x": "Q", "K": "K", "V": "V", "S": "S", "e": "u", "s": "Z", "P": "P", "y": "O",
     "mask": r"\mathcal{M}", "loss": "L"},
    {"n": ("i", "r"), "j": ("j", "t"), "k": ("k", "l")}, {"n": "N", "j": "M", "k": "d"}, shown="njk", adjoint="d")


def _kind(name: str, masked: bool) -> KindGraph:
    x, K, V = entry("x", "nk"), entry("K", "jk"), entry("V", "jk")
    S, e, s, P, mask = entry("S", "nj"), entry("e", "nj"), entry("s", "n"), entry("P", "nj"), entry("mask", "nj")
    root = sp.sqrt(D)
    nodes = (
        Node("x", "nk", why="the queries (the layer's input)"),
        Node("K", "jk", why="the keys"),
        Node("V", "jk", why="the values"),
        Node("S", "nj", total(x * K, "k") / root, (Local("x", K / root), Local("K", x / root)),
             why="the scaled scores"),
        Node("e", "nj", (mask if masked else 1) * sp.exp(S), (Local("S", e),),
             why="the exponentials of the scores" + (", times the mask (0 where a key is masked)" if masked else "")),
        Node("s", "n", total(e, "j"), (Local("e", sp.Integer(1)),), why="the sum of a query's exponentials"),
        Node("P", "nj", e / s, (Local("e", 1 / s), Local("s", -e / s ** 2)), why="the attention weights"),
        Node("y", "nk", total(P * V, "j"), (Local("P", V), Local("V", P)), why="the output"),
    )
    dP = total(entry("dy", "nk") * V, "k")           # dP = dO Vᵀ, the chain rule's own equation for P
    closed = Compact("S", P * (dP - total(P * dP, "j")), {e: P * s},
                     source="the softmax Jacobian applied to dP (dO times V transposed), as FlashAttention's backward "
                            "pass writes it")
    given = (Node("mask", "nj", why="the mask: 1 where a query may see a key, else 0 (given)"),) if masked else ()
    return KindGraph(name, nodes, "y", ("x", "K", "V"), (), (closed,),
                     "masked scaled dot-product attention" if masked else "scaled dot-product attention",
                     (VASWANI, DAO), given)


def attention(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind("attention", masked=False)


def masked_attention(unbiased: bool = False) -> KindGraph:
    del unbiased
    return _kind("masked_attention", masked=True)
