"""Inverted dropout with a given mask: y = r ⊙ x / p, r the 0/1 mask, p the keep probability.

As CS231n's ``dropout_forward`` in training mode (the mask divided by p, so nothing changes at test time).
"""

from __future__ import annotations

import sympy as sp

from .graph import KindGraph, Letters, Local, Node, entry

KEEP = sp.Symbol("p", positive=True)

CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: dropout_forward and dropout_backward (inverted dropout)",
    {"x": "x", "y": "y", "mask": "r", "p": "p", "loss": "L"},
    {"n": ("i", "n"), "k": ("j", "k")}, {"n": "N", "k": "D"}, adjoint="d", names={"y": r"\mathrm{dout}"})


def kind(unbiased: bool = False) -> KindGraph:
    del unbiased  # dropout has no variance
    x, mask = entry("x", "nk"), entry("mask", "nk")
    nodes = (
        Node("x", "nk", why="the layer's input"),
        Node("y", "nk", mask * x / KEEP, (Local("x", mask / KEEP),), why="the output"),
    )
    given = (Node("mask", "nk", why="the mask: 1 keeps an entry, 0 drops it"),)
    return KindGraph("dropout", nodes, "y", ("x",), (KEEP,), (), "inverted dropout", (CS231N,), given)
