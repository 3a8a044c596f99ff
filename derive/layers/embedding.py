"""An embedding (a lookup table) as a graph: token n reads row x_n of the table W, written as the product of the
tokens' one-hot matrix X with W, so that the reverse pass sums over the tokens like any other product:

    y[n, k] = Σ_j X[n, j] W[j, k]        X[n, j] = 1 if token n is word j, else 0     ∂y/∂W[j, k] = X[n, j]

and ∂ℓ/∂W[j, k] = Σ_n X[n, j] ∂ℓ/∂y[n, k]: the row of a word is the sum of the upstream gradients of every token
that is that word. A word used twice gets both (the mistake is to overwrite, dW[x_n] = dout_n in a loop); a word
never used gets 0. The token ids are given, not differentiated. CS231n's word_embedding_forward/backward (x the
ids, W the table, out; dW by np.add.at).
"""

from __future__ import annotations

from .graph import KindGraph, Letters, Local, Node, entry, total

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 3: word_embedding_forward and word_embedding_backward (the tokens' "
    "one-hot matrix X is derive's: X_ij = 1 if token i is word j)",
    {"W": "W", "onehot": "X", "y": "y", "loss": "L"},
    {"n": ("i", "n"), "j": ("j", "v"), "k": ("k", "l")}, {"n": "N", "j": "V", "k": "D"}, shown="njk",
    adjoint="d", names={"y": r"\mathrm{dout}"})


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased
    X, W = entry("onehot", "nj"), entry("W", "jk")
    nodes = (Node("W", "jk", why="the embedding table, one row per word"),
             Node("y", "nk", total(X * W, "j"), (Local("W", X),), why="the output: each token's row of the table"))
    given = (Node("onehot", "nj", why="the tokens, one-hot: 1 if token i is word j, else 0 (given)"),)
    return KindGraph("embedding", nodes, "y", ("W",), (), (), "a word embedding (a lookup table)", (CS231N,), given)
