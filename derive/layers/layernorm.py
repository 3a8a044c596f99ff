"""Layer normalisation: each example normalised over its D features (axis k), γ and β one per feature.

Ba, Kiros & Hinton (2016), Layer Normalization, §3, with ε under the root as PyTorch's ``LayerNorm`` and
CS231n's ``layernorm_forward`` add it. The forward graph is ``normalise``'s over the other axis.
"""

from __future__ import annotations

from .batchnorm import CS231N
from .graph import KindGraph, Letters
from .normalise import normalisation

BA = Letters(
    "ba", "Ba, Kiros & Hinton (2016), Layer Normalization, Section 3 (with epsilon, as in PyTorch's LayerNorm)",
    {"x": "a", "mu": r"\mu", "var": r"\sigma^{2}", "xhat": r"\widehat{a}", "y": "h", "gamma": "g", "beta": "b",
     "epsilon": r"\epsilon", "loss": r"\ell"},
    {"n": ("t", "u"), "k": ("i", "j")}, {"n": "m", "k": "H"}, shown="k")
CS231N_LAYERNORM = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: layernorm_forward and layernorm_backward",
    CS231N.symbols, CS231N.index, CS231N.sizes, adjoint="d", names=CS231N.names)


def kind(unbiased: bool = False) -> KindGraph:
    return normalisation("layernorm", "k", unbiased, "layer normalisation", (BA, CS231N_LAYERNORM))
