"""Differentiation by one component, for index-form derivations: d z^{l+1}_k / d z^l_p.

SymPy's ``diff`` returns 0 when the expression does not contain the variable literally (it holds z_i, not
z_p), so this small differentiator does it structurally: the product rule, sums differentiated term by
term, dx_{ij}/dx_{pq} = delta_ip delta_jq, and the chain rule through an activation. SymPy then collapses
the Kronecker deltas (``collapse``), which is the step a careful derivation writes as "only i = p survives".
"""

from __future__ import annotations

import sympy as sp

from .algebra import ActEntry, BiasUnitEntry, LayerEntry
from .errors import DeriveError


def index_diff(expr, wrt: LayerEntry, links: dict | None = None):
    """d expr / d wrt, where wrt is one component of a layer quantity.

    ``links`` maps a quantity to how it is computed entrywise, {a^l: ("tanh", z^l)}: the chain rule
    then goes through it, d a_ij = f'(z_ij) d z_ij.
    """
    links = links or {}
    if isinstance(expr, LayerEntry):
        if expr.tensor in links:
            name, source = links[expr.tensor]
            inner = index_diff(LayerEntry(source, *expr.indices), wrt, links)
            return sp.Integer(0) if inner == 0 else ActEntry(name, LayerEntry(source, *expr.indices), 1) * inner
        if expr.tensor != wrt.tensor:
            return sp.Integer(0)
        (i, j), (p, q) = expr.indices, wrt.indices
        return sp.KroneckerDelta(i, p) * sp.KroneckerDelta(j, q)
    if isinstance(expr, ActEntry):
        if expr.order:
            raise DeriveError("second derivatives of activations are not needed here")
        inner = index_diff(expr.arg, wrt, links)  # chain rule: d sigma(x) = sigma'(x) dx
        return sp.Integer(0) if inner == 0 else ActEntry(expr.name, expr.arg, 1) * inner
    if isinstance(expr, BiasUnitEntry):  # [1; a]_i: the constant 1 for i = 0, a_{i-1} otherwise
        arg, i, j = expr.args
        return index_diff(LayerEntry(arg, i - 1, j), wrt, links)
    if isinstance(expr, sp.Add):
        return sp.Add(*[index_diff(a, wrt, links) for a in expr.args])
    if isinstance(expr, sp.Mul):
        return sp.Add(*[sp.Mul(*expr.args[:n], index_diff(a, wrt, links), *expr.args[n + 1:])
                        for n, a in enumerate(expr.args)])
    if isinstance(expr, sp.Sum):
        return sp.Sum(index_diff(expr.function, wrt, links), *expr.limits)
    if expr.is_number or isinstance(expr, (sp.Symbol, sp.Indexed)):
        return sp.Integer(0)
    raise DeriveError(f"cannot differentiate {type(expr).__name__} by a component")


def collapse(expr):
    """Evaluate sums over Kronecker deltas; the index range condition holds (p is a valid unit)."""
    done = expr.doit()
    return done.replace(lambda e: isinstance(e, sp.Piecewise) and len(e.args) == 2 and e.args[1][0] == 0,
                        lambda e: e.args[0][0])
