"""The syntax tree a pasted formula parses into: what was written, before any convention gives it meaning.

The parser (``parse.py``) produces these nodes; ``meaning.py`` maps them to shaped expressions under a
convention. Nodes are frozen dataclasses so that trees compare and hash by value (diagnosis rewrites them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layer:
    """A layer superscript as written: ``l``, ``l+1``, ``L-1``, ``3``; style is how it was bracketed."""

    symbol: str | None     # "l", "L", "k" ... or None for a concrete number
    offset: int            # l+1 -> ("l", 1); 3 -> (None, 3)
    style: str = "plain"   # plain ^l / ^{l}, paren ^{(l)}, bracket ^{[l]}, suffix (Octave: Theta2)


@dataclass(frozen=True)
class Sym:
    """A symbol: base letter (LaTeX as normalised: "W", "\\Theta", "\\delta", "dZ", "\\hat{y}" ...),
    optional layer, optional component indices (("j",), ("k", "j"), or ("j+1",) with offsets as text)."""

    base: str
    layer: Layer | None = None
    indices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Num:
    value: str             # "1", "2", "0.5": kept as text, made exact later


@dataclass(frozen=True)
class Call:
    """f(arg): an activation or its derivative. ``fn`` is the letter ("\\sigma", "g", "f", "h", "\\phi")
    or a name ("sigmoid", "tanh", "relu", "sigmoidGradient"); ``prime`` counts primes; ``layer`` is a
    superscript on the function itself, as in (f^l)' or g^{[l]\\prime}."""

    fn: str
    arg: object
    prime: int = 0
    layer: Layer | None = None


@dataclass(frozen=True)
class Bin:
    """A binary operation. op: "+", "-", "matmul" (juxtaposition or \\cdot), "hadamard" (\\odot, \\circ,
    .*), "star" (a bare *, whose meaning depends on the convention), "div" (\\frac or /)."""

    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Neg:
    arg: object


@dataclass(frozen=True)
class Transpose:
    arg: object


@dataclass(frozen=True)
class Pow:
    base: object
    exp: object


@dataclass(frozen=True)
class Sum:
    """\\sum_k body (limits, if written, are ignored: they are the layer's units)."""

    index: str
    body: object


@dataclass(frozen=True)
class Slice:
    """Octave's delta(2:end) or [v]_{2:end}: drop the first (bias) row. ``start`` is 1-based as written."""

    arg: object
    start: int


@dataclass(frozen=True)
class Partial:
    """\\frac{\\partial C}{\\partial w^l_{jk}}: the derivative of ``of`` (the cost) by ``wrt``."""

    of: Sym
    wrt: object


@dataclass(frozen=True)
class Nabla:
    """\\nabla_{W^l} C, or \\nabla_a C: the gradient of ``of`` with respect to ``wrt``."""

    wrt: object
    of: Sym | None


@dataclass(frozen=True)
class Claim:
    """lhs = rhs (also :=, \\leftarrow, <-, +=): the formula as a claim about a backprop quantity."""

    lhs: object
    rhs: object
    op: str = "="
