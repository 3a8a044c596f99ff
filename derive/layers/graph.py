"""A layer kind as a small graph of named quantities, each with its forward formula and local partials beside it.

Every quantity is an entry of an array over some of these axes: ``n`` (the example, 1..m), ``k`` (the
feature, 1..D), for a layer that changes the width ``j`` (the output feature, 1..H), and for a convolution
``t`` (the input's position, 1..T), ``o`` (the output's position, 1..O) and ``u`` (the kernel's tap, 1..U), which
are the rows in 2-D, where ``T``, ``O``, ``U`` are the columns; for a recurrent layer ``t`` is the time step, ``i``
a second index over the H hidden units (a recurrent weight's rows), ``q`` and ``g`` an LSTM's and a GRU's gates
stacked (4H and 3H), ``p`` the H + D rows of deeplearning.ai's concatenation [a_prev; x_t].
``x[n, k]`` is the layer's input, ``mu[k]`` a statistic per feature, ``gamma[k]`` a parameter, ``W[k, j]`` a dense
layer's weight.
A node's ``forward`` is its entry at its own indices; each ``Local`` names one quantity it reads and the
node's partial derivative with respect to that quantity's entry at the same shared indices (the indices the
source has and the node lacks are the source's own: ∂mu[k]/∂x[n, k] = 1/m). A node may read a source at
computed indices (a convolution reads x[n, k, s(o - 1) + u - p]); its partial then says where, with a
Kronecker delta of the source's own index. An entry outside its array's range (an index expression below 1 or
above the axis's size) is 0: zero padding, which the convolution's forward defines.

The reverse pass (``derive.backward``) sums over fan-out: the adjoint of a source collects, from each node
that reads it, that node's adjoint times the partial, summed over the node's axes the source lacks
(mu[k] feeds every x̂[n, k], so ∂ℓ/∂mu[k] sums over n). Nothing here asks which kind it serves.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits

from ..errors import DeriveError


def _int(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


N, K, J = _int("n"), _int("k"), _int("j")        # the example, the feature, the output feature (a width change)
M, D, H = _int("m"), _int("D"), _int("H")        # examples in the batch, features, output features
T, O, U = _int("t"), _int("o"), _int("u")        # a convolution's input position, output position, tap  # noqa: E741
# axis -> (its index, its size)
AXES = {"n": (N, M), "k": (K, D), "j": (J, H),
        "t": (T, _int("T")), "o": (O, _int("O")), "u": (U, _int("U")),
        # a 2-D convolution's columns (t, o, u its rows)
        "T": (_int("t2"), _int("T2")), "O": (_int("o2"), _int("O2")), "U": (_int("u2"), _int("U2")),
        # a second hidden axis of the same size H: a recurrent weight's rows (Wh[i, j] maps the state before on)
        "i": (_int("i"), H),
        # an LSTM's four gates stacked, 4H pre-activations (CS231n's a = x Wx + h Wh + b, N by 4H), and a GRU's
        # three, 3H (PyTorch's weight_ih and weight_hh: r, z, n)
        "q": (_int("q"), _int("H4")), "g": (_int("g"), _int("H3")),
        # deeplearning.ai's [a_prev; x_t]: the state before stacked over the step's input, H + D rows (its W_f is
        # H by H + D)
        "p": (_int("p"), _int("HD"))}
BOUND = {a: _int(index.name + "_") for a, (index, _) in AXES.items()}  # each axis's index a sum binds: n_, k_ ...
# the source's own index on an axis it shares with its reader, where a node reads it elsewhere on that axis (a
# recurrent pre-activation a[n, t, j] reads h[n, t - 1, i]): its partial names the source's entry h[n, t°, j°]
SOURCE = {a: _int(AXES[a][0].name + "°") for a in AXES}
AXIS_OF = {index: axis for axis, (index, _) in AXES.items()} | {index: axis for axis, index in BOUND.items()}
LOSS = "loss"                                      # the scalar every adjoint differentiates


def indices(axes: str) -> tuple:
    return tuple(AXES[a][0] for a in axes)


def entry(name: str, axes: str):
    """The entry of quantity ``name`` at its own indices (a plain symbol for a scalar)."""
    return sp.IndexedBase(name)[indices(axes)] if axes else sp.Symbol(name)


def adjoint_name(name: str) -> str:
    return "d" + name


def total(body, axis: str):
    """Σ over one axis of ``body``, by the axis's bound index (so a free index of the same axis stays free)."""
    index, size = AXES[axis]
    return sp.Sum(body.xreplace({index: BOUND[axis]}), (BOUND[axis], 1, size))


class Largest(ExprWithLimits):
    """max over the indices' ranges of ``function`` (a max pool's window: max_u x[n, k, s(o - 1) + u]); ``doit`` on
    concrete ranges gives SymPy's ``Max`` of the entries, which differentiates (to a Heaviside step per rival)."""

    def doit(self, **hints):
        body = self.function.doit(**hints) if hints.get("deep", True) else self.function
        if not all(low.is_Integer and high.is_Integer for _, low, high in self.limits):
            return self.func(body, *self.limits)
        ranges = [[(index, v) for v in range(int(low), int(high) + 1)] for index, low, high in self.limits]
        return sp.Max(*(body.xreplace(dict(combo)) for combo in itertools.product(*ranges)))


def totals(body, axes: str):
    """Σ over each of ``axes``, the first outermost (Σ_u Σ_U over a 2-D kernel's taps "uU")."""
    for axis in reversed(axes):
        body = total(body, axis)
    return body


def linear(expr):
    """``expr`` with every sum split over its terms and each term's factors free of the summed index taken out
    (Σ_j γ dy_j x̂_j = γ Σ_j dy_j x̂_j): the linearity of Σ, the one rule the closed forms need."""
    def split(s):
        index = s.limits[0][0]
        return sp.Add(*(c * sp.Sum(f, *s.limits) for c, f in
                        (t.as_independent(index, as_Add=False) for t in sp.Add.make_args(sp.expand(s.function)))))
    return sp.expand(expr).replace(lambda e: isinstance(e, sp.Sum), split)


@dataclass(frozen=True)
class Local:
    """One quantity a node reads, and the node's partial derivative with respect to it.

    ``own``: the axes, among those the source shares with the node, on which the node reads the source at other
    indices (a recurrence reads the state one step back: ∂a[n, t, j]/∂h[n, t°, j°] = Wh[j°, j] [t° = t - 1]); the
    partial names the source's index on them ``SOURCE[axis]``, and the reverse pass sums the node's index away.
    ``pick``: the equation is written with the sums its Kronecker deltas decide summed away (Σ_t' da[t'] [t = t' - 1]
    as da[t + 1]), as a source writes a recursion."""

    source: str
    partial: sp.Expr
    own: str = ""
    pick: bool = False


@dataclass(frozen=True)
class Node:
    """A quantity of the forward pass: its axes, its forward formula, its local partials."""

    name: str
    axes: str
    forward: sp.Expr | None = None     # None for the layer's input and its parameters
    reads: tuple[Local, ...] = ()
    why: str = ""                      # the definition in words, for documents

    @property
    def entry(self):
        return entry(self.name, self.axes)

    @property
    def adjoint(self):
        return entry(adjoint_name(self.name), self.axes)


@dataclass(frozen=True)
class Identity:
    """A fact the forward definitions imply, used to show two backward forms equal (Σ_n x̂[n, k] = 0)."""

    lhs: sp.Expr
    rhs: sp.Expr
    why: str


@dataclass(frozen=True)
class Compact:
    """A known closed form of one adjoint, and how to show it equal to the chain rule's: ``rewrite`` puts the
    forward quantities in the variables the identity speaks of (x - mu = s x̂, var + eps = s²)."""

    of: str
    rhs: sp.Expr
    rewrite: dict = field(default_factory=dict)
    identities: tuple[Identity, ...] = ()
    source: str = ""
    when: dict = field(default_factory=dict)  # the constants' values where the form holds (a convolution's stride 1)


@dataclass(frozen=True)
class Letters:
    """How one source writes a kind: a LaTeX symbol per quantity, a letter per axis, the sizes' letters.

    An axis not in ``shown`` is implicit, as Ioffe & Szegedy omit the feature ("we focus on a particular
    activation x^(k) and omit k"): its index is printed only where a sum binds it, as a superscript (n).
    ``adjoint`` writes ∂ℓ/∂x̂_i as a fraction ("partial") or with CS231n's d prefix ("d": dx_{ij}, dout for ∂ℓ/∂y).
    """

    source: str
    cite: str
    symbols: dict[str, str]
    index: dict[str, tuple[str, str]]  # axis -> (its free index's letter, a summed index's letter)
    sizes: dict[str, str]
    shown: str = "nk"
    adjoint: str = "partial"
    names: dict[str, str] = field(default_factory=dict)  # a d-name other than d + symbol (dout for dy)
    prefix: str = "d"        # with adjoint "d": the mark before a quantity's letter (d x; a user's notes: \delta x)
    base: int = 1            # the first index: 1 in every notation derive ships; a user's notes may count from 0
    fixed: tuple = ()        # (constant, value) a user's notes hold fixed (no padding: pad = 0)


@dataclass(frozen=True)
class KindGraph:
    """A layer kind: its nodes in forward order (inputs and parameters first), its output, its closed forms."""

    name: str
    nodes: tuple[Node, ...]
    output: str
    inputs: tuple[str, ...]            # the layer's input and parameters: the adjoints a user wants
    constants: tuple[sp.Symbol, ...] = ()
    compact: tuple[Compact, ...] = ()
    description: str = ""
    letters: tuple[Letters, ...] = ()
    given: tuple[Node, ...] = ()       # arrays the layer is given and never differentiates (a mask, the tokens)
    meanings: dict = field(default_factory=dict)  # a constant's meaning in words, by name (default "a constant")

    def notation(self, source: str) -> Letters:
        for letters in self.letters:
            if letters.source == source:
                return letters
        known = ", ".join(f.source for f in self.letters)
        raise DeriveError(f"{self.name} is not written in convention {source!r}; its notations: {known}")

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    @property
    def names(self) -> frozenset[str]:
        """The names of the kind's quantities (its nodes)."""
        return frozenset(n.name for n in self.nodes)

    def ancestors(self, name: str) -> set[str]:
        """Every quantity ``name`` is computed from, directly or not (itself included)."""
        out, todo, names = set(), [name], self.names
        while todo:
            n = todo.pop()
            if n not in out:
                out.add(n)
                todo += [r.source for r in self.node(n).reads] if n in names else []
        return out

    def consumers(self, name: str) -> list[tuple[Node, Local]]:
        """Every node that reads ``name``, with its partial: the fan-out the reverse pass sums over."""
        return [(n, r) for n in self.nodes for r in n.reads if r.source == name]
