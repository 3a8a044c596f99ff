"""Component (index) form of the derived formulas, and its numeric evaluation.

SymPy writes the entry (j, k) of a matrix product as a Sum over a summation index; our nodes give their
own entries (``_entry`` in ``algebra``), so ``component(expr)`` is SymPy's ``expr[j, k]`` with the summation
indices named i, p, q. ``evaluate_component`` computes an entry on a concrete network, so the index form is
verified against the forward pass like the vectorized one.

An entry is compiled once (``_compiled``) into Python closures over mpmath: a sum is a loop over its concrete
range, a component a lookup in the network's matrices, sigma(x) the activation's lambdified definition. Each
entry is then one call, with no SymPy arithmetic per entry; the result is the same sum of the same products
that SymPy would form, each operation rounded once at the working precision (50 digits in ``verify``) instead
of in SymPy Floats of the same precision. ``_concrete`` is the SymPy route (nodes with their numbers put in),
kept for the checker's judge and for any node the compiler does not know.
"""

from __future__ import annotations

import functools
import weakref

import mpmath
import sympy as sp

from .algebra import (
    ActEntry,
    BiasUnitEntry,
    Env,
    ExampleSumEntry,
    ExprDerivative,
    LayerEntry,
    LayerSymbol,
    LocalEntry,
    _lambdified,
    per_example,
    sym,
)
from .errors import DeriveError
from .symbols import j as J
from .symbols import k as K
from .to_mpmath import COMPARISONS, MPMATH_FUNCTIONS

SUM_NAMES = ("i", "p", "q", "r", "u")


@functools.lru_cache(maxsize=1024)
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
    return evaluate_at(entry, env, {J: j, K: k})


def evaluate_at(entry, env: Env, bound: dict) -> mpmath.mpf:
    """The value of a component form on the network in ``env``, its free indices given by ``bound``."""
    return mpmath.mpf(_compiled(entry)(env, bound))


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


# ---------------------------------------------------------------- compiled evaluation
# A compiled node is a function (env, bound) -> value: a Python int where the value is an index, a width or an
# integer constant (exact), an mpmath number otherwise, a bool for a condition. ``bound`` maps the free and
# summation indices to ints.

@functools.lru_cache(maxsize=1024)
def _compiled(expr):
    return _compile(expr)


@functools.singledispatch
def _compile(expr):
    """Any node without a rule of its own: put its numbers in with SymPy (``_concrete``), as before compiling."""
    return lambda env, bound: _number(_concrete(expr, env, bound))


def _number(value):
    """A SymPy number as the compiled nodes hold it: an int if it is an integer, else an mpmath number."""
    if isinstance(value, sp.Integer):
        return int(value)
    if isinstance(value, sp.logic.boolalg.BooleanAtom):
        return bool(value)
    return mpmath.mpmathify(sp.N(value, mpmath.mp.dps))


@_compile.register
def _(expr: sp.Integer):
    value = int(expr)
    return lambda env, bound: value


@_compile.register
def _(expr: sp.Rational):
    p, q = expr.p, expr.q
    return lambda env, bound: mpmath.mpf(p) / q  # rounded at the precision in force when it is evaluated


@_compile.register
def _(expr: sp.Float):
    return lambda env, bound: mpmath.mpf(expr)


@_compile.register
def _(expr: sp.logic.boolalg.BooleanAtom):
    value = bool(expr)
    return lambda env, bound: value


@_compile.register
def _(expr: sp.Symbol):  # a free or summation index, else a scalar of the network (m, lambda)
    def value(env, bound):
        if expr in bound:
            return bound[expr]
        return _scalar(env, expr)
    return value


@_compile.register
def _(expr: sp.Indexed):  # a width n_l
    return lambda env, bound: int(_scalar(env, expr))


@_compile.register
def _(expr: sp.Add):
    terms = [_compile(a) for a in expr.args]

    def add(env, bound):
        total = 0
        for term in terms:
            total += term(env, bound)
        return total
    return add


@_compile.register
def _(expr: sp.Mul):
    factors = [_compile(a) for a in expr.args]

    def mul(env, bound):
        product = 1
        for factor in factors:
            product *= factor(env, bound)
        return product
    return mul


@_compile.register
def _(expr: sp.Pow):
    base, exp = _compile(expr.base), _compile(expr.exp)

    def power(env, bound):
        b, e = base(env, bound), exp(env, bound)
        if isinstance(b, int) and not (isinstance(e, int) and e >= 0):  # 1/m: never Python's float division
            b = mpmath.mpf(b)
        return b ** e
    return power


@_compile.register
def _(expr: sp.Function):
    fn = MPMATH_FUNCTIONS.get(expr.func)
    if fn is None or len(expr.args) != 1:
        return _compile.dispatch(object)(expr)
    arg = _compile(expr.args[0])
    return lambda env, bound: fn(arg(env, bound))


@_compile.register
def _(expr: sp.Piecewise):  # only the branch whose condition holds is evaluated
    branches = [(_compile(e), _compile(c)) for e, c in expr.args]

    def piecewise(env, bound):
        for value, condition in branches:
            if condition(env, bound):
                return value(env, bound)
        raise DeriveError(f"no branch of {expr} applies here")
    return piecewise


@_compile.register
def _(expr: sp.core.relational.Relational):
    relation = COMPARISONS.get(type(expr))
    if relation is None:
        return _compile.dispatch(object)(expr)
    lhs, rhs = _compile(expr.lhs), _compile(expr.rhs)
    return lambda env, bound: relation(lhs(env, bound), rhs(env, bound))


@_compile.register
def _(expr: sp.KroneckerDelta):
    i, j = (_compile(a) for a in expr.args)
    return lambda env, bound: 1 if i(env, bound) == j(env, bound) else 0


@_compile.register
def _(expr: sp.Sum):  # SymPy merges nested sums into one with several limits, the last outermost
    body = _compile(expr.function)
    for index, lo, hi in expr.limits:  # innermost first: each wraps the one inside it
        body = _summed(body, index, _compile(lo), _compile(hi))
    return body


def _summed(body, index, lo, hi):
    def total(env, bound):
        out = 0
        for v in range(int(lo(env, bound)), int(hi(env, bound)) + 1):
            out += body(env, bound | {index: v})
        return out
    return total


@_compile.register
def _(expr: LayerEntry):
    place = _placer(expr)

    def value(env, bound):
        kind, layer, i, column = place(env, bound)
        return _component(env, kind, layer, i, column)
    return value


@_compile.register
def _(expr: LocalEntry):
    of, wrt = _placer(expr.of), _placer(expr.wrt)

    def value(env, bound):
        if env.local is None:
            raise DeriveError("a local derivative has no value here")
        return env.local(of(env, bound), wrt(env, bound))
    return value


@_compile.register
def _(expr: BiasUnitEntry):  # [1; a]_i: 1 for i = 0, else a_{i-1}
    arg, i, c = expr.args
    if not isinstance(arg, LayerSymbol):
        return _compile.dispatch(object)(expr)
    row, rest = _compile(i), _placer(LayerEntry(arg, i - 1, c))

    def value(env, bound):
        if int(row(env, bound)) == 0:
            return 1
        kind, layer, i, column = rest(env, bound)
        return _component(env, kind, layer, i, column)
    return value


@_compile.register
def _(expr: ActEntry):
    fn, arg = _lambdified(expr.name, expr.order), _compile(expr.arg)
    return lambda env, bound: fn(mpmath.mpf(arg(env, bound)))


@_compile.register
def _(expr: ExampleSumEntry):
    arg, count = (_compile(a) for a in expr.args)

    def total(env, bound):
        out = 0
        try:
            for t in range(int(count(env, bound))):
                env.example = t
                out += arg(env, bound)
        finally:
            env.example = None
        return out
    return total


def _placer(entry: LayerEntry):
    """The compiled ``_place``: (kind, layer, row, column) of one component on the concrete network."""
    tensor = entry.tensor
    if not isinstance(tensor, LayerSymbol):
        return lambda env, bound: _place(entry, env, bound)
    kind, each, layer = tensor.kind, per_example(tensor), _layer(tensor.layer)
    row, col = (_compile(x) for x in entry.indices)

    def place(env, bound):
        i, c = int(row(env, bound)), int(col(env, bound))
        column = env.example if env.example is not None and each else c
        return kind, layer(env), i, column
    return place


def _component(env: Env, kind: str, layer: int, i: int, column: int):
    value = env.tensors.get((kind, layer))
    if value is None:
        raise DeriveError(f"no value for {kind} at layer {layer}")
    if not (0 <= i < value.rows and 0 <= column < value.cols):  # mpmath reads a missing entry as 0
        raise IndexError(f"component ({i}, {column}) of {kind} at layer {layer} ({value.rows} x {value.cols})")
    return value[i, column]


def _layer(expr):
    """``env.layer(expr)`` as a function of env: l + 1 is ``layer_symbols[l] + 1``, in ints."""
    expr = sym(expr)
    if expr.is_Integer:
        value = int(expr)
        return lambda env: value
    terms = sp.Add.make_args(expr)
    if all(t.is_Integer or isinstance(t, sp.Symbol) for t in terms):  # l, L, l + 1, l - 1 (the layers derive writes)
        offset = sum(int(t) for t in terms if t.is_Integer)
        names = [t for t in terms if isinstance(t, sp.Symbol)]

        def layer(env):
            values = [env.layer_symbols.get(n) for n in names]
            if all(type(v) is int for v in values):
                return sum(values) + offset
            return env.layer(expr)  # not concrete here (or not an int): Env says so
        return layer
    return lambda env: env.layer(expr)


_scalars: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Env -> {(symbol, layers): value}


def _scalar(env: Env, expr):
    """``env.scalar(expr)``, remembered per Env and layer assignment (an Env's scalars never change)."""
    memo = _scalars.get(env)
    if memo is None:
        memo = _scalars[env] = {}
    key = (expr, tuple(env.layer_symbols.items()), mpmath.mp.prec)
    if key not in memo:
        memo[key] = env.scalar(expr)
    return memo[key]


# ---------------------------------------------------------------- with SymPy, node by node
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
    if isinstance(expr, ExprDerivative):
        return sp.Float(_moved_difference(expr, env, bound), mpmath.mp.dps)
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


def _moved_difference(expr: ExprDerivative, env: Env, bound: dict):
    """d body / d wrt by central difference: ``body`` evaluated on the forward passes with the ``wrt`` component moved
    up and down (the local derivatives' own passes, ``env.local``), every other value (targets, parameters) as is."""
    passes = getattr(getattr(env.local, "__wrapped__", env.local), "passes", None)
    if passes is None:
        raise DeriveError("a derivative of an expression has no value here")
    up, down, h = passes(_place(expr.wrt, env, bound))
    values = []
    with mpmath.workdps(mpmath.mp.dps + 20):  # the difference of the two loses the step's 25 digits
        for f in (up, down):
            moved = Env(env.tensors | {("z", k): v for k, v in f.Z.items()} | {("a", k): v for k, v in f.A.items()},
                        env.scalars, env.layer_symbols)
            moved.example = env.example
            values.append(mpmath.mpf(sp.N(_concrete(expr.body, moved, bound), mpmath.mp.dps)))
        return (values[0] - values[1]) / (2 * h)


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
