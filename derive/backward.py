"""One generic reverse pass over a layer kind's graph, summing over fan-out; the equations keyed by quantity.

For every quantity v of the graph, from the output back to the input and the parameters,

    ∂ℓ/∂v = Σ over the nodes c that read v of  Σ over c's axes v lacks of  ∂ℓ/∂c · ∂c/∂v,

one ``Term`` per node c: the chain rule written once, for any kind (the partials are the kind's own,
``layers.graph.Local``). ``expanded`` substitutes the equations into each other down to ∂ℓ/∂y; a kind's known
closed form is shown equal to it symbolically, for every batch size at once, by the linearity of Σ and the
identities the forward definitions imply (``Closed``). ``evaluate`` gives any of these expressions numbers.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import mpmath
import sympy as sp

from .errors import DeriveError
from .layers.graph import (
    AXES,
    AXIS_OF,
    SOURCE,
    Compact,
    KindGraph,
    Largest,
    Letters,
    adjoint_name,
    indices,
    linear,
    total,
)
from .to_mpmath import COMPARISONS, MPMATH_FUNCTIONS


@dataclass(frozen=True)
class Term:
    """One path of the fan-out: the node ``via`` that reads the quantity, and ∂ℓ/∂via · ∂via/∂v summed."""

    via: str
    adjoint: sp.Expr   # ∂ℓ/∂via at via's indices
    partial: sp.Expr   # ∂via/∂v
    summed: str        # via's axes v lacks (or reads elsewhere: ``own``), summed over ("n", "k" or "")
    own: str = ""      # the axes whose source index the partial names SOURCE[axis] (``layers.graph.Local``)
    pick: bool = False  # the sums the partial's Kronecker deltas decide summed away

    @functools.cached_property
    def expr(self):  # the picking is symbolic work: once per term
        body = self.adjoint * self.partial
        for axis in self.summed:
            body = total(body, axis)
        body = body.xreplace({SOURCE[a]: AXES[a][0] for a in self.own})
        if self.pick:
            axes = {self.adjoint.base.label.name: self.summed_axes}
            pieces = []
            for b0, l0 in _pulled(body, expand=False):  # a delta inside a factor's sum ([t = 1] h0 + h): spread out
                direct = any(isinstance(f, sp.KroneckerDelta) for f in sp.Mul.make_args(b0))
                if b0.has(sp.KroneckerDelta) and not direct:
                    pieces += [(b1, l0 + l1) for b1, l1 in _pulled(sp.expand(b0), expand=False)]
                else:
                    pieces.append((b0, l0))
            picked = (_picked(b0, l0, axes)[0] for b0, l0 in pieces)
            body = sp.Add(*(sp.Sum(b, *lims) if lims else b for b, lims in picked))
        return body

    @property
    def summed_axes(self) -> str:
        """The axes of the adjoint ∂ℓ/∂via, in its indices' order (for the delta rule: its entries are 0 outside)."""
        return "".join(AXIS_OF[i] for i in self.adjoint.indices)


@dataclass(frozen=True)
class Equation:
    """∂ℓ/∂v as the sum of its paths (Ioffe & Szegedy's chain-rule equations are these, one per quantity)."""

    of: str
    lhs: sp.Expr
    terms: tuple[Term, ...]

    @property
    def rhs(self):
        return sp.Add(*(t.expr for t in self.terms))


@dataclass(frozen=True)
class Closed:
    """A kind's closed form of one adjoint, and whether it equals the chain rule's for every batch size."""

    form: Compact
    lhs: sp.Expr
    equal: bool


@dataclass(frozen=True)
class KindDerivation:
    """Every adjoint of one layer kind, and the letters it is written in (``api.layer``)."""

    kind: KindGraph
    equations: tuple[Equation, ...]    # in the order computed: from the output back
    expanded: dict                      # quantity -> ∂ℓ/∂v in ∂ℓ/∂y and forward quantities only
    closed: tuple[Closed, ...]
    letters: Letters
    unbiased: bool = False

    def __repr__(self) -> str:
        return (f"<KindDerivation {self.kind.name}{' (n-1 variance)' if self.unbiased else ''} in "
                f"{self.letters.source}'s letters: {', '.join('d' + e.of for e in self.equations)}>")

    def equation(self, of: str) -> Equation:
        return next(e for e in self.equations if e.of == of)


def reverse_pass(kind: KindGraph) -> tuple[Equation, ...]:
    out = []
    for node in reversed(kind.nodes):
        if node.name == kind.output:
            continue
        terms = []
        for reader, local in reversed(kind.consumers(node.name)):  # the last reader first, as Ioffe & Szegedy
            summed = "".join(a for a in reader.axes if a not in node.axes or a in local.own)
            terms.append(Term(reader.name, reader.adjoint, local.partial, summed, local.own, local.pick))
        out.append(Equation(node.name, node.adjoint, tuple(terms)))  # no reader: the gradient is 0
    return tuple(out)


def _substitute(expr, name: str, axes: str, value):
    """Every entry of quantity ``name`` in ``expr`` replaced by ``value`` at that entry's indices."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base.label.name == name,
                        lambda e: value.xreplace(dict(zip(indices(axes), e.indices))))


def expand(kind: KindGraph, equations) -> dict:
    """Each adjoint with the adjoints it is made of substituted away, down to ∂ℓ/∂(output)."""
    out: dict = {}
    for eq in equations:
        rhs = eq.rhs
        for term in eq.terms:
            reader = kind.node(term.via)
            if reader.name in out:
                rhs = _substitute(rhs, adjoint_name(reader.name), reader.axes, out[reader.name])
        out[eq.of] = rhs
    return out


def _rewrite(expr, rewrite: dict):
    for pattern, value in rewrite.items():
        name = pattern.base.label.name
        expr = expr.replace(lambda e, n=name: isinstance(e, sp.Indexed) and e.base.label.name == n,
                            lambda e, p=pattern, v=value: v.xreplace(dict(zip(p.indices, e.indices))))
    return expr


def _pulled(expr, expand: bool = True) -> list[tuple]:
    """``expr`` as terms (body, limits): each term's sums moved outside its product (a bound index renamed where
    two sums of one product use the same letter), so Σ_o dy Σ_u W δ is one sum over o and u of dy W δ."""
    out: list[tuple] = []
    for term in sp.Add.make_args(sp.expand(expr) if expand else expr):
        if isinstance(term, sp.Sum):
            out += [(body, limits + list(term.limits)) for body, limits in _pulled(term.function, expand)]
            continue
        parts: list[tuple] = [(sp.Integer(1), [])]
        for factor in sp.Mul.make_args(term):
            options = _pulled(factor, expand) if isinstance(factor, sp.Sum) else [(factor, [])]
            combined = []
            for body, limits in parts:
                for fbody, flimits in options:
                    taken = {lim[0] for lim in limits} | body.free_symbols
                    swap = {lim[0]: sp.Dummy(lim[0].name, integer=True) for lim in flimits if lim[0] in taken}
                    combined.append((body * fbody.xreplace(swap),
                                     limits + [(swap.get(i, i), lo, hi) for i, lo, hi in flimits]))
            parts = combined
        out += parts
    return out


def _picked(body, limits: list, axes: dict) -> list[tuple]:
    """Every way of summing away the sums a Kronecker delta decides, as (body, limits): Σ_{i=1}^{N} f δ(i, e) = f at
    i = e when f has a factor that is 0 outside 1..N (an entry read at index i of an axis of size N: out of its
    range an entry is 0) and e moves with i one for one (an integer for every integer i). A delta may decide
    either of two sums (Σ_o Σ_u dy_o W_u δ(t, o + u - 1) is Σ_u dy_{t+1-u} W_u and Σ_o dy_o W_{t+1-o}): each is
    a way."""
    ways = []
    for delta in (f for f in sp.Mul.make_args(body) if isinstance(f, sp.KroneckerDelta)):
        for limit in limits:
            i, low, high = limit
            at = _solved(delta, i)
            if low != 1 or at is None:
                continue
            if not any(isinstance(f, sp.Indexed) and f.base.label.name in axes and
                       any(idx == i and AXES[axes[f.base.label.name][pos]][1] == high
                           for pos, idx in enumerate(f.indices))
                       for f in sp.Mul.make_args(body)):
                continue
            rest = [lim for lim in limits if lim is not limit]
            ways += _picked((body / delta).xreplace({i: at}), rest, axes)
    return ways or [(body, limits)]


def _deltas_summed(expr, axes: dict) -> list:
    """Every form of ``expr`` with its sums pulled out and the sums a delta decides summed away (``_picked``),
    each sum's limits in one canonical order."""
    forms = [sp.Integer(0)]
    for body, limits in _pulled(expr):
        terms = [sp.Sum(b, *sorted(lims, key=lambda lim: str(lim[0]))) if lims else b
                 for b, lims in _picked(body, limits, axes)]
        forms = [f + t for f in forms for t in terms][:64]
    return forms


def equal_for_every_size(a, b, form: Compact, axes: dict | None = None) -> bool:
    """a = b for every batch size: rewritten in the closed form's variables (its constants fixed where it says, a
    convolution's stride 1), sums split by linearity, the sums a Kronecker delta decides summed away (``axes``:
    each quantity's and adjoint's axes, whose entries are 0 out of range), the identities applied, the difference
    simplifies to 0."""
    a, b = a.xreplace(form.when), b.xreplace(form.when)
    if (a - b).has(sp.KroneckerDelta):
        return any(_equal(x, y, form) for x in _deltas_summed(a, axes or {}) for y in _deltas_summed(b, axes or {}))
    return _equal(a, b, form)


def _equal(a, b, form: Compact) -> bool:
    diff = linear(_rewrite(a - b, form.rewrite))
    diff = linear(diff.xreplace({i.lhs: i.rhs for i in form.identities}))
    return sp.simplify(diff.xreplace({i.lhs: i.rhs for i in form.identities})) == 0


def derive_kind(kind: KindGraph, notation=None, unbiased: bool = False) -> KindDerivation:
    """The reverse pass of ``kind``, written in its notation ``notation`` (a name, a notation file or dict, Letters;
    default: the kind's first)."""
    from .layers.notation import notation_of
    letters = notation_of(kind, notation)
    if letters.base != 1:
        raise DeriveError("a derivation is written with indices counted from 1: index_base = 0 is read by check "
                          "--layer only")
    equations = reverse_pass(kind)
    expanded = expand(kind, equations)
    axes = {n.name: n.axes for n in kind.nodes} | {adjoint_name(n.name): n.axes for n in kind.nodes}
    closed = tuple(Closed(c, kind.node(c.of).adjoint, equal_for_every_size(expanded[c.of], c.rhs, c, axes))
                   for c in kind.compact)
    return KindDerivation(kind, equations, expanded, closed, letters, unbiased)


# ---------------------------------------------------------------- numbers

def evaluate(expr, values: dict, at: dict):
    """``expr`` in mpmath: ``values`` maps a quantity's name to its numbers (nested tuples, 0-based) or a scalar
    symbol to a number; ``at`` binds the free indices (1-based) and the sizes. An entry read outside its array is 0
    (zero padding, ``layers.graph``); a sum that a Kronecker delta factor decides is the one term it picks.

    The expression is compiled once into closures (``_compiled``, cached), which form the same sums of the same
    products in the same order as walking the tree would, each operation rounded once at the working precision."""
    return _compiled(expr)(values, dict(at))


_MISSING = object()


@functools.lru_cache(maxsize=8192)
def _compiled(expr):
    """``expr`` as a function of (values, at), ``at`` a dict the sums bind their indices in (and restore)."""
    if isinstance(expr, sp.Indexed):
        name, places = expr.base.label.name, [_integer(i) for i in expr.indices]

        def entry(values, at):
            v = values[name]
            for place in places:
                position = place(values, at)
                if not 1 <= position <= len(v):
                    return mpmath.mpf(0)  # outside the array: zero padding (layers.graph)
                v = v[position - 1]
            return v
        return entry
    if isinstance(expr, Largest):
        body = _compiled(expr.function)
        bounds = [(index, _integer(low), _integer(high)) for index, low, high in expr.limits]

        def largest(values, at):
            ranges = [[(index, j) for j in range(low(values, at), high(values, at) + 1)]
                      for index, low, high in bounds]
            return max(_bound(body, values, at, dict(combo)) for combo in itertools.product(*ranges))
        return largest
    if isinstance(expr, sp.KroneckerDelta):
        left, right = _integer(expr.args[0]), _integer(expr.args[1])
        return lambda values, at: mpmath.mpf(int(left(values, at) == right(values, at)))
    if isinstance(expr, sp.Sum):  # Sum(f, inner, ..., outer): the last limit is the outermost sum
        index, low_expr, high_expr = expr.limits[-1]
        inner_expr = sp.Sum(expr.function, *expr.limits[:-1]) if len(expr.limits) > 1 else expr.function
        inner, low, high = _compiled(inner_expr), _integer(low_expr), _integer(high_expr)
        solution = _delta_rule(inner_expr, index)
        pick = _integer(solution) if solution is not None else None

        def total_(values, at):
            lo, hi = low(values, at), high(values, at)
            if pick is not None:  # a factor δ(i, e(index)) is 1 at one index only: the sum is that term, or 0
                picked = pick(values, at)
                return _bound(inner, values, at, {index: picked}) if lo <= picked <= hi else mpmath.mpf(0)
            saved = at.get(index, _MISSING)
            try:
                terms = []
                for j in range(lo, hi + 1):
                    at[index] = j
                    terms.append(inner(values, at))
            finally:
                _restore(at, index, saved)
            return mpmath.fsum(terms)
        return total_
    if isinstance(expr, sp.Symbol):
        look = _lookup(expr)
        return lambda values, at: mpmath.mpf(at[expr]) if expr in at else look(values, at)
    if isinstance(expr, sp.Piecewise):
        branches = [(_compiled(value), None if condition is sp.true else _condition(condition))
                    for value, condition in expr.args]

        def piecewise(values, at):
            for value, holds in branches:
                if holds is None or holds(values, at):
                    return value(values, at)
            raise DeriveError(f"no branch of {expr} holds")
        return piecewise
    if isinstance(expr, sp.Function) and expr.func in MPMATH_FUNCTIONS and len(expr.args) == 1:
        function, argument = MPMATH_FUNCTIONS[expr.func], _compiled(expr.args[0])
        return lambda values, at: function(argument(values, at))
    if expr.is_Rational:
        p, q = expr.p, expr.q
        return lambda values, at: mpmath.mpf(p) / q
    if expr in CONSTANTS:
        constant = CONSTANTS[expr]
        return lambda values, at: constant()
    if expr.is_Number:
        number = float(expr)
        return lambda values, at: mpmath.mpf(number)
    args = [_compiled(a) for a in expr.args]
    if isinstance(expr, sp.Add):
        return lambda values, at: mpmath.fsum([a(values, at) for a in args])
    if isinstance(expr, sp.Mul):
        return lambda values, at: mpmath.fprod([a(values, at) for a in args])
    if isinstance(expr, sp.Pow):
        base, exponent = args
        return lambda values, at: base(values, at) ** exponent(values, at)
    raise DeriveError(f"cannot evaluate {type(expr).__name__}")


@functools.lru_cache(maxsize=8192)
def _integer(expr):
    """An index, a sum's limit or a delta's side as a function of (values, at) in Python integers: an index symbol
    or size from ``at``, a constant (stride, pad) from ``values``, + and × of them and integers; anything else
    through ``_compiled``, refused unless it comes out a whole number."""
    if expr.is_Integer:
        number = int(expr)
        return lambda values, at: number
    if isinstance(expr, sp.Symbol):
        look = _lookup(expr)
        return lambda values, at: int(look(values, at))
    if isinstance(expr, sp.Add | sp.Mul) and expr.is_integer:
        args = [_integer(a) for a in expr.args]
        if isinstance(expr, sp.Add):
            return lambda values, at: sum(a(values, at) for a in args)
        return lambda values, at: math.prod(a(values, at) for a in args)
    general = _compiled(expr)

    def other(values, at):
        value = general(values, at)
        if value != int(value):
            raise DeriveError(f"the index {expr} is not an integer here ({value})")
        return int(value)
    return other


def _lookup(expr):
    """A symbol's value: an index or size bound in ``at``, else a constant or scalar by name in ``values``."""
    name = expr.name

    def look(values, at):
        if expr in at:
            return at[expr]
        if name in values:
            return values[name]
        raise DeriveError(f"no value for {expr}")
    return look


def _bound(body, values: dict, at: dict, binding: dict):
    """``body`` with the indices of ``binding`` bound, ``at`` restored after."""
    saved = {index: at.get(index, _MISSING) for index in binding}
    at.update(binding)
    try:
        return body(values, at)
    finally:
        for index, old in saved.items():
            _restore(at, index, old)


def _restore(at: dict, index, old) -> None:
    if old is _MISSING:
        at.pop(index, None)
    else:
        at[index] = old


def _condition(condition):
    rule = COMPARISONS.get(type(condition))
    if rule is None:
        raise DeriveError(f"cannot evaluate the condition {condition}")
    left, right = _compiled(condition.lhs), _compiled(condition.rhs)
    return lambda values, at: bool(rule(left(values, at), right(values, at)))


@functools.lru_cache(maxsize=4096)
def _delta_rule(body, index):
    """The one value of ``index`` where ``body``'s first Kronecker delta that moves one for one with it is 1 (an
    expression of the other indices), or None: worked out once per (body, index), not at every entry."""
    for factor in sp.Mul.make_args(body):
        if isinstance(factor, sp.KroneckerDelta):
            at = _solved(factor, index)
            if at is not None:
                return at
    return None


def _solved(delta, index):
    """The value of ``index`` where ``delta`` is 1, when its two sides differ by ±index plus terms free of it (a
    convolution's [t = s(o - 1) + u - p] solved for u: t - s(o - 1) + p); None otherwise."""
    diff = delta.args[0] - delta.args[1]
    slope = diff.coeff(index)
    rest = diff - slope * index
    return -rest * slope if slope in (1, -1) and not rest.has(index) else None


CONSTANTS = {sp.pi: lambda: +mpmath.pi, sp.E: lambda: +mpmath.e}  # at the working precision when asked


def entries(axes: str, sizes: dict):
    """Every index binding of an array over ``axes`` (1-based), with the sizes bound too."""
    ranges = [range(1, sizes[AXES[a][1]] + 1) for a in axes]
    for combo in itertools.product(*ranges):
        yield {**sizes, **dict(zip(indices(axes), combo))}


def array(expr, axes: str, values: dict, sizes: dict):
    """``expr`` evaluated at every entry of an array over ``axes``, as nested tuples (a number for no axes)."""
    numbers = [evaluate(expr, values, at) for at in entries(axes, sizes)]
    shape = [sizes[AXES[a][1]] for a in axes]
    for size in reversed(shape[1:]):
        numbers = [tuple(numbers[i:i + size]) for i in range(0, len(numbers), size)]
    return tuple(numbers) if axes else numbers[0]


class Lazy:
    """The entries of ``expr`` over ``axes``, each evaluated the first time it is read (nested indexing from 0, as
    ``evaluate`` reads an array): an adjoint whose equation reads another adjoint at the next time step, which reads
    this one in turn, is computed in the order the entries need, not equation by equation."""

    def __init__(self, expr, axes: str, values: dict, sizes: dict, prefix: tuple = (), memo: dict | None = None):
        self.expr, self.axes, self.values, self.sizes, self.prefix = expr, axes, values, sizes, prefix
        self.memo = {} if memo is None else memo

    def __len__(self) -> int:
        return int(self.sizes[AXES[self.axes[len(self.prefix)]][1]])

    def __getitem__(self, position: int):
        if not 0 <= position < len(self):
            raise IndexError(position)
        where = self.prefix + (position,)
        if len(where) < len(self.axes):
            return Lazy(self.expr, self.axes, self.values, self.sizes, where, self.memo)
        if where not in self.memo:
            at = {**self.sizes, **{index: p + 1 for index, p in zip(indices(self.axes), where)}}
            self.memo[where] = evaluate(self.expr, self.values, at)
        return self.memo[where]

    def array(self) -> tuple:
        """Every entry, as nested tuples (``array``'s shape)."""
        return tuple(self[p].array() if len(self.prefix) + 1 < len(self.axes) else self[p] for p in range(len(self)))


def flat(values) -> list:
    """The numbers of nested tuples, in order."""
    if isinstance(values, tuple):
        return list(itertools.chain.from_iterable(flat(v) for v in values))
    return [values]
