"""Concrete inputs for one layer on its own: a batch, the layer's parameters, and a scalar loss of its output.

A layer kind (``derive/layers/``) is verified, and a user's backward formula for it judged, on numbers drawn
here: a batch x of m examples (rows) by D features (columns), the parameters γ, β (one per feature), the
normalisation's ε, a dropout mask with its keep probability p, and the loss the layer's output y feeds,

    ℓ = Σ_{n,k} (c_{nk} y_{nk} + ½ d_{nk} y_{nk}²),

so the upstream gradient ∂ℓ/∂y = c + d ⊙ y differs from entry to entry and depends on y (a formula that
assumes ∂ℓ/∂y = 1, or the same for every example, fails). The widths are unequal (m ≠ D), γ ≠ 1, β ≠ 0 and
ε is not negligible, so a formula that confuses the axes, drops γ or drops ε fails too. This is the model
that ground truth (``truth_kinds``) differentiates: it imports no engine module.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import DeriveError

if TYPE_CHECKING:  # mpmath is imported where numbers are drawn: the CLI reads KINDS for its --help
    import mpmath

KINDS = ("batchnorm", "layernorm", "dropout")  # the single-layer kinds with concrete inputs here
SIZES = ((4, 3), (3, 5), (5, 2))               # (m, D) of the default draws: never square


@dataclass(frozen=True)
class LayerInput:
    """One layer's concrete input, parameters and loss coefficients (all mpmath numbers)."""

    kind: str
    x: tuple[tuple, ...]       # m rows (examples) by D columns (features)
    gamma: tuple               # D scales
    beta: tuple                # D shifts
    eps: mpmath.mpf            # added to the variance
    mask: tuple[tuple, ...]    # dropout: 1 keeps the entry, 0 drops it (m by D)
    keep: mpmath.mpf           # dropout: the keep probability p (inverted dropout divides by it)
    c: tuple[tuple, ...]       # the loss's linear coefficients (m by D)
    d: tuple[tuple, ...]       # the loss's quadratic coefficients (m by D)
    unbiased: bool = False     # normalise by the n - 1 variance instead of Ioffe & Szegedy's and PyTorch's 1/n

    @property
    def m(self) -> int:
        return len(self.x)

    @property
    def D(self) -> int:
        return len(self.x[0])


def _grid(rng: random.Random, m: int, D: int, low: float, high: float) -> tuple[tuple, ...]:
    import mpmath
    return tuple(tuple(mpmath.mpf(rng.uniform(low, high)) for _ in range(D)) for _ in range(m))


def draw(kind: str, m: int = 4, D: int = 3, seed: int = 0, unbiased: bool = False) -> LayerInput:
    """A deterministic random input (``random.Random(seed)``) for ``kind`` with m examples of D features."""
    if kind not in KINDS:
        raise DeriveError(f"unknown layer kind {kind!r}; known: {', '.join(KINDS)}")
    if m < 2 or D < 2:
        raise DeriveError(f"a layer's batch needs m >= 2 examples of D >= 2 features, got m={m}, D={D}")
    import mpmath
    rng = random.Random(seed)
    x = _grid(rng, m, D, -2, 2)
    gamma = tuple(mpmath.mpf(rng.uniform(0.5, 2)) * rng.choice((-1, 1)) for _ in range(D))
    beta = tuple(mpmath.mpf(rng.uniform(-1, 1)) for _ in range(D))
    eps = mpmath.mpf(rng.uniform(0.05, 0.2))
    mask = tuple(tuple(int(rng.random() < 0.6) for _ in range(D)) for _ in range(m))
    keep = mpmath.mpf(rng.choice((0.5, 0.6, 0.75, 0.8)))
    c, d = _grid(rng, m, D, -1, 1), _grid(rng, m, D, 0.2, 1)
    return LayerInput(kind, x, gamma, beta, eps, mask, keep, c, d, unbiased)


def loss(inp: LayerInput, y):
    """ℓ(y) = Σ (c y + ½ d y²) over every entry of the layer's output y (m by D)."""
    terms = [inp.c[n][k] * y[n][k] + inp.d[n][k] * y[n][k] * y[n][k] / 2 for n in range(inp.m) for k in range(inp.D)]
    return sum(terms[1:], terms[0])  # plain + : the numbers may be a tape's variables (truth_kinds)
