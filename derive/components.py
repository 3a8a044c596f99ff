"""Component (index) form of the derived formulas, and its numeric evaluation.

SymPy writes the entry (j, k) of a matrix product as a Sum over a summation index; our nodes give their
own entries (``_entry`` in ``algebra``), so ``component(expr)`` is SymPy's ``expr[j, k]`` with the summation
indices named i, p, q. ``evaluate_component`` computes an entry on a concrete network, so the index form is
verified against the forward pass like the vectorized one.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from .algebra import ActEntry, BiasUnitEntry, Env, ExampleSumEntry, LayerEntry, LocalEntry, _lambdified, per_example
from .errors import DeriveError

J, K = sp.symbols("j k", integer=True, nonnegative=True)
SUM_NAMES = ("i", "p", "q", "r", "u")


def component(expr) -> sp.Expr:
    """Entry (j) of a column, (k) of a row, (j, k) of a matrix, with readable summation indices."""
    rows, cols = expr.shape
    entry = expr[J, 0] if cols == 1 else (expr[0, K] if rows == 1 else expr[J, K])
    dummies = sorted(entry.atoms(sp.Dummy), key=lambda d: d.dummy_index)
    if len(dummies) > len(SUM_NAMES):
        raise DeriveError(f"too many summation indices in {expr}")
    return entry.xreplace({d: sp.Symbol(n, integer=True) for d, n in zip(dummies, SUM_NAMES)})


def evaluate_component(entry, env: Env, j: int, k: int) -> mpmath.mpf:
    """The value of a component form at (j, k) on the network in ``env``."""
    value = _concrete(entry, env, {J: j, K: k})
    return mpmath.mpf(sp.N(value, mpmath.mp.dps))


def evaluate_entries(value_at, rows: int, cols: int, env: Env, per_example: bool) -> mpmath.matrix:
    """A rows x cols matrix filled by ``value_at(row, col)``; where each column is one example (a per-example
    formula in column layout), ``env.example`` selects that example while its entries are evaluated."""
    out = mpmath.matrix(rows, cols)
    try:
        for row in range(rows):
            for col in range(cols):
                env.example = col if per_example else None
                out[row, col] = value_at(row, col)
    finally:
        env.example = None
    return out


def _concrete(expr, env: Env, bound: dict):
    """Replace every index, size and layer quantity by its number, expanding sums over concrete ranges."""
    if isinstance(expr, sp.Sum):  # SymPy merges nested sums into one with several limits, the last outermost
        return _sum(expr.function, expr.limits, env, bound)
    if isinstance(expr, LayerEntry):
        kind, layer, i, column = _place(expr, env, bound)
        if (kind, layer) not in env.tensors:
            raise DeriveError(f"no value for {kind} at layer {layer}")
        value = env.tensors[(kind, layer)]
        if not (0 <= i < value.rows and 0 <= column < value.cols):  # mpmath reads a missing entry as 0
            raise IndexError(f"component ({i}, {column}) of {kind} at layer {layer} ({value.rows} x {value.cols})")
        return sp.Float(value[i, column], mpmath.mp.dps)
    if isinstance(expr, LocalEntry):
        if env.local is None:
            raise DeriveError("a local derivative has no value here")
        return sp.Float(env.local(*(_place(e, env, bound) for e in (expr.of, expr.wrt))), mpmath.mp.dps)
    if isinstance(expr, BiasUnitEntry):
        arg, i, c = expr.args
        i = int(_concrete(i, env, bound))
        return sp.Integer(1) if i == 0 else _concrete(LayerEntry(arg, i - 1, c), env, bound)
    if isinstance(expr, ActEntry):
        x = mpmath.mpf(sp.N(_concrete(expr.arg, env, bound), mpmath.mp.dps))
        return sp.Float(_lambdified(expr.name, expr.order)(x), mpmath.mp.dps)
    if isinstance(expr, ExampleSumEntry):
        arg, count = expr.args
        total = []
        try:
            for t in range(int(_concrete(count, env, bound))):
                env.example = t
                total.append(_concrete(arg, env, bound))
        finally:
            env.example = None
        return sp.Add(*total)
    if isinstance(expr, sp.Symbol):
        if expr in bound:
            return sp.Integer(bound[expr])
        return sp.Float(env.scalar(expr), mpmath.mp.dps)
    if isinstance(expr, sp.Indexed):  # a width n_l
        return sp.Integer(int(env.scalar(expr)))
    if not expr.args:
        return expr
    return expr.func(*[_concrete(a, env, bound) for a in expr.args])


def _sum(body, limits: tuple, env: Env, bound: dict):
    """sum of ``body`` over ``limits`` ((index, first, last), ..., innermost first), expanded over concrete ranges."""
    if not limits:
        return _concrete(body, env, bound)
    index, lo, hi = limits[-1]
    lo, hi = (int(_concrete(x, env, bound)) for x in (lo, hi))
    return sp.Add(*[_sum(body, limits[:-1], env, bound | {index: v}) for v in range(lo, hi + 1)])


def _place(entry: LayerEntry, env: Env, bound: dict) -> tuple[str, int, int, int]:
    """(kind, layer, row, column) of one component on the concrete network; the column of a per-example
    quantity is the example being evaluated."""
    i, c = (int(_concrete(x, env, bound)) for x in entry.indices)
    t = entry.tensor
    column = env.example if env.example is not None and per_example(t) else c
    return t.kind, env.layer(t.layer), i, column
