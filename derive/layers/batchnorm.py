"""Batch normalisation in training mode: each feature normalised over the batch's m examples (axis n).

Ioffe & Szegedy (2015), Algorithm 1 and §3's chain rule; the variance is the biased 1/m one, as in the paper
and in PyTorch's training mode (``unbiased`` gives the n - 1 variant). The forward graph is ``normalise``'s.
"""

from __future__ import annotations

from .graph import KindGraph, Letters
from .normalise import normalisation

IOFFE = Letters(
    "ioffe", "Ioffe & Szegedy (2015), Batch Normalization, Algorithm 1 and Section 3",
    {"x": "x", "mu": r"\mu_{\mathcal{B}}", "var": r"\sigma^{2}_{\mathcal{B}}", "xhat": r"\widehat{x}",
     "y": "y", "gamma": r"\gamma", "beta": r"\beta", "epsilon": r"\epsilon", "loss": r"\ell"},
    {"n": ("i", "j"), "k": ("k", "l")}, {"n": "m", "k": "d"}, shown="n")
CS231N = Letters(
    "cs231n", "CS231n (Stanford), assignment 2: batchnorm_forward and batchnorm_backward",
    {"x": "x", "mu": r"\mu", "var": r"\sigma^{2}", "xhat": r"\hat{x}", "y": "y", "gamma": r"\gamma",
     "beta": r"\beta", "epsilon": r"\epsilon", "loss": "L"},
    {"n": ("i", "n"), "k": ("j", "k")}, {"n": "N", "k": "D"}, adjoint="d", names={"y": r"\mathrm{dout}"})


def kind(unbiased: bool = False) -> KindGraph:
    return normalisation("batchnorm", "n", unbiased, "batch normalisation (training mode)",
                         (IOFFE, CS231N))

