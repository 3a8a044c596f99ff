"""Shaped matrix expressions for backprop formulas, a structural shape check, and a numeric evaluator.

Formulas are SymPy matrix expressions (MatMul, MatAdd, Transpose, HadamardProduct) over our own leaves:
``LayerSymbol`` (a layer quantity such as W^{l+1} or delta^l, with a symbolic shape), ``Elementwise`` (an
activation or its derivative applied entrywise), ``Componentwise`` (a scalar formula applied entrywise,
e.g. (yhat - y) yhat (1 - yhat)), and the bias-unit and batch operations. SymPy does not reject
n_l x n_{l+1} times n_l x 1 when the sizes are symbols, so ``check_shapes`` does that structurally.
``evaluate`` computes a formula at concrete layers in mpmath; it raises on anything it does not know.
"""

from __future__ import annotations

from functools import cache, singledispatch
from itertools import pairwise

import mpmath
import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions import HadamardProduct, MatAdd, MatMul, MatrixExpr, OneMatrix, Transpose, ZeroMatrix

from .activations import ACTIVATIONS, Activation
from .errors import DeriveError


def _str(x) -> Str:
    return x if isinstance(x, Str) else Str(x)


def sym(x):
    """``sympify`` for our own values only: a string here would be parsed as Python, so it is refused."""
    if isinstance(x, str):
        raise TypeError(f"internal error: the string {x!r} would be parsed by sympify")
    return sp.sympify(x)


class LayerSymbol(MatrixExpr):
    """A named layer quantity: kind (W, b, z, a, y, delta, grad_act, ...) at a symbolic layer index."""

    def __new__(cls, kind, layer, rows, cols):
        return super().__new__(cls, _str(kind), sym(layer), sym(rows), sym(cols))

    kind = property(lambda self: self.args[0].name)
    layer = property(lambda self: self.args[1])
    shape = property(lambda self: (self.args[2], self.args[3]))

    def _entry(self, i, j, **kwargs):
        return LayerEntry(self, i, j)


def per_example(tensor) -> bool:
    """A one-column quantity (a, z, delta in column layout) holds one column per example; W does not."""
    return tensor.shape[1] == 1


class LayerEntry(sp.Expr):
    is_commutative = True  # scalar components: SymPy may reorder them and form fractions
    """Component (i, j) of a LayerSymbol; a column vector's entries print with one index."""

    def __new__(cls, tensor, i, j):
        return super().__new__(cls, tensor, sym(i), sym(j))

    tensor = property(lambda self: self.args[0])
    indices = property(lambda self: self.args[1:])


class Elementwise(MatrixExpr):
    """An activation (order 0) or its derivative (order 1) applied entrywise: sigma(z), sigma'(z)."""

    def __new__(cls, name, arg, order=0):
        return super().__new__(cls, _str(name), arg, sp.Integer(order))

    name = property(lambda self: self.args[0].name)
    arg = property(lambda self: self.args[1])
    order = property(lambda self: int(self.args[2]))
    shape = property(lambda self: self.arg.shape)

    def _entry(self, i, j, **kwargs):
        return ActEntry(self.name, self.arg._entry(i, j), self.order)


class ActEntry(sp.Expr):
    is_commutative = True  # scalar components: SymPy may reorder them and form fractions
    """sigma(x) or sigma'(x) of one component, kept unexpanded so it prints as the book writes it."""

    def __new__(cls, name, arg, order=0):
        return super().__new__(cls, _str(name), sym(arg), sp.Integer(order))

    name = property(lambda self: self.args[0].name)
    arg = property(lambda self: self.args[1])
    order = property(lambda self: int(self.args[2]))


class Componentwise(MatrixExpr):
    """A scalar formula in placeholder symbols, applied entrywise to equally shaped matrices.

    ``Componentwise(s*(1 - s), {s: A})`` is a^l (1 - a^l) written entrywise (a Hadamard product).
    """

    def __new__(cls, expr, bindings):
        if isinstance(bindings, dict):  # SymPy rebuilds nodes from args, so a Tuple of pairs is accepted too
            bindings = sp.Tuple(*[sp.Tuple(k, v) for k, v in sorted(bindings.items(), key=lambda kv: str(kv[0]))])
        pairs = bindings
        return super().__new__(cls, sym(expr), pairs)

    expr = property(lambda self: self.args[0])
    bindings = property(lambda self: {k: v for k, v in self.args[1]})
    shape = property(lambda self: next(iter(self.bindings.values())).shape)

    def _entry(self, i, j, **kwargs):
        return self.expr.xreplace({k: v._entry(i, j) for k, v in self.bindings.items()})

    @property
    def precedence(self):  # a difference needs parentheses inside a product: (1/N)(P - Y)
        from sympy.printing.precedence import PRECEDENCE
        return PRECEDENCE["Add"] if self.expr.is_Add else PRECEDENCE["Mul"]


class ClassOps:
    """A whole-vector loss's operations (``losses.Lists``' map and across) on a layer's matrices: an entrywise map is
    a ``Componentwise`` formula, the sum over the classes spread back over every class a product with the n x n
    matrix of ones on the class side (``axis`` 0: 1 A, examples are columns; 1: A 1, examples are rows)."""

    def __init__(self, axis: int, size) -> None:
        self.axis, self.size = axis, size

    @staticmethod
    def map(f, *vectors):
        names = sp.symbols(f"v0:{len(vectors)}")
        return Componentwise(f(*names), dict(zip(names, vectors, strict=True)))

    def across(self, vector):
        ones = OneMatrix(self.size, self.size)
        return MatMul(ones, vector) if self.axis == 0 else MatMul(vector, ones)

    @staticmethod
    def total(vector):
        raise DeriveError("a loss's value is one number per example, not a matrix of the layer")


class SoftmaxBack(MatrixExpr):
    """The softmax vector-Jacobian product s * (g - <s, g>) per example: (diag(s) - s s^T) g.

    ``axis`` is the class axis: 0 when examples are columns, 1 when they are rows.
    """

    def __new__(cls, s, g, axis=0):
        return super().__new__(cls, s, g, sp.Integer(axis))

    s, g = property(lambda self: self.args[0]), property(lambda self: self.args[1])
    axis = property(lambda self: int(self.args[2]))
    shape = property(lambda self: self.args[0].shape)

    def _entry(self, i, j, **kwargs):
        # s_i (g_i - sum_k s_k g_k), the sum running along the class axis
        k = sp.Dummy("k", integer=True)
        n = self.shape[self.axis]
        at = (lambda r: (r, j)) if self.axis == 0 else (lambda c: (i, c))
        own = i if self.axis == 0 else j
        dot = sp.Sum(self.s._entry(*at(k)) * self.g._entry(*at(k)), (k, 0, n - 1))
        return self.s._entry(*at(own)) * (self.g._entry(*at(own)) - dot)


class WithBiasUnit(MatrixExpr):
    """[1; a]: the activation column with the bias unit a_0 = 1 prepended."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    arg = property(lambda self: self.args[0])
    shape = property(lambda self: (self.arg.shape[0] + 1, self.arg.shape[1]))

    def _entry(self, i, j, **kwargs):
        return BiasUnitEntry(self.arg, i, j)


class BiasUnitEntry(sp.Expr):
    is_commutative = True  # scalar components: SymPy may reorder them and form fractions
    """Component i of [1; a]: 1 for i = 0, else a_{i-1}. Printed a_i with a_0 = 1, as Ng writes it."""

    def __new__(cls, arg, i, j):
        return super().__new__(cls, arg, sym(i), sym(j))


class LocalEntry(sp.Expr):
    """d(of)/d(wrt) for one component of each, both forward quantities (z, a) or parameters (W, b): a local
    derivative or chain-rule factor as notes write it, valued from the forward pass by whoever evaluates it."""

    is_commutative = True

    def __new__(cls, of, wrt):
        return super().__new__(cls, of, wrt)

    of = property(lambda self: self.args[0])
    wrt = property(lambda self: self.args[1])


class ExprDerivative(sp.Expr):
    """d(body)/d(wrt): a component expression of forward quantities (z, a, the targets, the parameters) differentiated
    by one component of z or a, valued from the forward pass moved at that component (``truth.LocalDerivatives``) by
    whoever evaluates it: \\frac{\\partial}{\\partial z_i} [\\frac{1}{2} (y_i - a_i)^2] as notes write it."""

    is_commutative = True

    def __new__(cls, body, wrt):
        return super().__new__(cls, body, wrt)

    body = property(lambda self: self.args[0])
    wrt = property(lambda self: self.args[1])


class LocalJacobian(MatrixExpr):
    """d(of)/d(wrt) of one example's forward quantities or parameters, as the matrix a chain-rule product multiplies.

    ``of`` and ``wrt`` are vectors or numbers (a, z, b, taken whichever way they stand), or ``wrt`` is a weight
    matrix and ``of`` a number. In numerator layout the entries are [d of_i / d wrt_j] (a number by a matrix: the
    matrix's transpose's shape), with ``denominator`` the transpose. Valued from the forward pass entry by entry. A
    derivative with more than two indices (a vector by a matrix) is no matrix, and is never built.
    """

    def __new__(cls, of, wrt, denominator: bool = False):
        if of.shape == (1, 1) and wrt.shape == (1, 1):
            denominator = False  # a number: both layouts are the same 1 x 1 matrix
        return super().__new__(cls, of, wrt, sp.true if denominator else sp.false)

    of = property(lambda self: self.args[0])
    wrt = property(lambda self: self.args[1])
    denominator = property(lambda self: bool(self.args[2]))

    @property
    def shape(self):
        if self.wrt.kind == "W":  # a number by a matrix: the matrix's shape in denominator layout
            rows, cols = self.wrt.shape
            return (rows, cols) if self.denominator else (cols, rows)
        sizes = (self.of.shape[0] * self.of.shape[1], self.wrt.shape[0] * self.wrt.shape[1])
        return sizes[::-1] if self.denominator else sizes

    def _entry(self, i, j, **kwargs):
        if self.denominator:
            i, j = j, i
        if self.wrt.kind == "W":  # numerator layout: entry (i, j) is by the matrix's entry (j, i)
            return LocalEntry(LayerEntry(self.of, 0, 0), LayerEntry(self.wrt, j, i))
        return LocalEntry(_vector_entry(self.of, i), _vector_entry(self.wrt, j))


def _vector_entry(t, k) -> LayerEntry:
    """Entry k of a vector (or number) t, whichever way it stands."""
    return LayerEntry(t, 0, k) if t.shape[0] == 1 and t.shape[1] != 1 else LayerEntry(t, k, 0)


class DropBiasRow(MatrixExpr):
    """Rows 1..end of a column: the bias unit's component removed (Octave's delta(2:end))."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    arg = property(lambda self: self.args[0])
    shape = property(lambda self: (self.arg.shape[0] - 1, self.arg.shape[1]))

    def _entry(self, i, j, **kwargs):
        return self.arg._entry(i + 1, j)  # row i of the result is row i + 1 (row 0 is the bias unit's)


class ZeroBiasColumn(MatrixExpr):
    """The weight matrix with its bias column set to 0 (regularisation excludes the bias)."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    arg = property(lambda self: self.args[0])
    shape = property(lambda self: self.arg.shape)

    def _entry(self, i, j, **kwargs):
        return sp.Piecewise((0, sp.Eq(j, 0)), (self.arg._entry(i, j), True))


class ExampleSum(MatrixExpr):
    """sum over the examples t = 1..m of a per-example expression (column layout, gradient of a cost)."""

    def __new__(cls, arg, count):
        return super().__new__(cls, arg, sym(count))

    arg = property(lambda self: self.args[0])
    count = property(lambda self: self.args[1])
    shape = property(lambda self: self.arg.shape)

    def _entry(self, i, j, **kwargs):
        return ExampleSumEntry(self.arg._entry(i, j), self.count)


class ExampleSumEntry(sp.Expr):
    is_commutative = True  # scalar components: SymPy may reorder them and form fractions
    """sum over examples t = 1..m of one component."""

    def __new__(cls, arg, count):
        return super().__new__(cls, arg, sym(count))


# ---------------------------------------------------------------- shape check
class ShapeMismatch(DeriveError):
    """Two factors that do not conform; the message names them (``describe`` in a convention's notation)."""

    def __init__(self, message, operands: tuple = (), product: bool = True):
        super().__init__(message)  # a string, or a function that writes it when read: a diagnosis discards most
        self.operands, self.product = operands, product

    def __str__(self) -> str:
        message = self.args[0] if self.args else ""
        return message() if callable(message) else str(message)

    def describe(self, name) -> str:
        """The message with each operand written by ``name`` (e.g. a NotationPrinter's doprint)."""
        if len(self.operands) != 2:
            return str(self)
        (a, sa), (b, sb) = self.operands
        if self.product:
            return (f"{name(a)} is {shape_text(sa, name)} but {name(b)} has {dimension_text(sb[0], name)} rows, "
                    f"so {name(a)} {name(b)} is not defined")
        return (f"{name(a)} is {shape_text(sa, name)} but {name(b)} is {shape_text(sb, name)}, "
                "so they cannot be combined entry by entry")


def dimension_text(d, name=str) -> str:
    """A dimension as messages write it, a sum in parentheses where a product of two follows (1 + s_{l})."""
    return f"({name(d)})" if isinstance(d, sp.Add) else name(d)


def shape_text(shape, name=str) -> str:
    """rows x columns: s_{l+1} x (1 + s_{l}), Ng's weight with its bias column."""
    return " x ".join(dimension_text(d, name) for d in shape)


def same_size(a, b) -> bool:
    """Whether two symbolic dimensions are the same (n_{l+1} is n_{l+1}, never n_{l+2}), as ``simplify(a - b) == 0``
    decides, without its cost where the answer is plain.

    Sizes are polynomials in widths (``n[l + 1]``), batch sizes and layer symbols. Expanded throughout (the
    indices too), a polynomial is in its canonical form, with distinct atoms as distinct unknowns: it is 0
    exactly when the sizes are the same, and anything else is a different size, which ``simplify`` cannot turn
    into 0 either (it took 30-200 ms to fail to, for each size compared while a diagnosis tried its edits).
    Any other expression is left to ``simplify``.
    """
    difference = sp.expand(sym(a) - sym(b), deep=True)
    if difference == 0:
        return True
    if _polynomial(difference):
        return False
    return sp.simplify(difference) == 0


def _polynomial(expr) -> bool:
    """A polynomial with whole-number powers in symbols and in indexed widths whose indices are such polynomials."""
    if expr.is_Number or expr.is_Symbol:
        return True
    if isinstance(expr, sp.Indexed):
        return expr.base.label.is_Symbol and all(_polynomial(i) for i in expr.indices)
    if expr.is_Add or expr.is_Mul:
        return all(_polynomial(a) for a in expr.args)
    if expr.is_Pow:
        return expr.exp.is_Integer and expr.exp >= 0 and _polynomial(expr.base)
    return False


def check_shapes(expr) -> tuple:
    """Return expr's shape, checking every product and sum structurally (n_l is not n_{l+1})."""
    if isinstance(expr, MatMul):
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)]
        shapes = [check_shapes(a) for a in mats]
        for (a, sa), (b, sb) in pairwise(zip(mats, shapes, strict=True)):
            if not same_size(sa[1], sb[0]):
                raise ShapeMismatch(lambda a=a, b=b, sa=sa, sb=sb: f"cannot multiply {a} ({shape_text(sa)}) by {b} "
                                    f"({shape_text(sb)})", ((a, sa), (b, sb)))
        return shapes[0][0], shapes[-1][1]
    if isinstance(expr, (MatAdd, HadamardProduct)):
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)]
        shapes = [check_shapes(a) for a in mats]
        for m, s in zip(mats[1:], shapes[1:], strict=True):
            if not all(same_size(x, y) for x, y in zip(s, shapes[0], strict=True)):
                raise ShapeMismatch(lambda s0=shapes[0], s=s: f"cannot combine {shape_text(s0)} with {shape_text(s)} "
                                    f"entrywise in {expr}", ((mats[0], shapes[0]), (m, s)), product=False)
        return shapes[0]
    if isinstance(expr, Transpose):
        r, c = check_shapes(expr.arg)
        return c, r
    if isinstance(expr, Componentwise):
        mats = list(expr.bindings.values())
        shapes = [check_shapes(v) for v in mats]
        for m, s in zip(mats[1:], shapes[1:], strict=True):
            if not all(same_size(x, y) for x, y in zip(s, shapes[0], strict=True)):
                raise ShapeMismatch(lambda s0=shapes[0], s=s: f"cannot combine {shape_text(s0)} with {shape_text(s)} "
                                    "entrywise", ((mats[0], shapes[0]), (m, s)), product=False)
        return shapes[0]
    if isinstance(expr, SoftmaxBack):
        if check_shapes(expr.s) != check_shapes(expr.g):
            raise ShapeMismatch("softmax Jacobian product over differently shaped matrices")
        return expr.shape
    for arg in expr.args:
        if getattr(arg, "is_Matrix", False):
            check_shapes(arg)
    return expr.shape


# ---------------------------------------------------------------- numeric evaluation
class Env:
    """Concrete values: tensors by (kind, integer layer), scalars by symbol, and the example index."""

    def __init__(self, tensors: dict, scalars: dict | None = None, layer_symbols: dict | None = None):
        self.tensors, self.scalars = tensors, dict(scalars or {})
        self.layer_symbols = dict(layer_symbols or {})  # l -> 3, L -> 5
        self.example: int | None = None                 # set inside ExampleSum: one column at a time
        self.local = None  # (of, wrt) -> d of / d wrt, each (kind, layer, row, column): a LocalEntry's value

    def layer(self, expr) -> int:
        value = sym(sym(expr).xreplace(self.layer_symbols))
        if not value.is_Integer:
            raise DeriveError(f"layer index {expr} is not concrete here")
        return int(value)

    def scalar(self, expr):
        value = sym(sym(expr).xreplace(self.layer_symbols)).xreplace(self.scalars)
        value = sym(value)
        if value.free_symbols:
            raise DeriveError(f"no value for {value.free_symbols} in {expr}")
        return mpmath.mpf(sp.Float(value, 40))


def evaluate(expr, env: Env) -> mpmath.matrix:
    """Evaluate a shaped expression to an mpmath matrix."""
    return _eval(expr, env)


@singledispatch
def _eval(expr, env):
    raise DeriveError(f"cannot evaluate {type(expr).__name__}: {expr}")


@_eval.register
def _(expr: LayerSymbol, env):
    key = (expr.kind, env.layer(expr.layer))
    if key not in env.tensors:
        raise DeriveError(f"no value for {expr.kind} at layer {key[1]}")
    value = env.tensors[key]
    return value[:, env.example] if env.example is not None and per_example(expr) else value


@_eval.register
def _(expr: MatMul, env):
    coeff, mats = expr.as_coeff_matrices()
    result = _eval(mats[0], env)
    for m in mats[1:]:
        result = result * _eval(m, env)
    return result * env.scalar(coeff)


@_eval.register
def _(expr: MatAdd, env):
    parts = [_eval(a, env) for a in expr.args]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


@_eval.register
def _(expr: Transpose, env):
    return _eval(expr.arg, env).T


@_eval.register
def _(expr: HadamardProduct, env):
    parts = [_eval(a, env) for a in expr.args]
    return _entrywise(lambda *xs: mpmath.fprod(xs), parts)


@_eval.register
def _(expr: OneMatrix, env):
    return mpmath.ones(_dim(expr.shape[0], env), _dim(expr.shape[1], env))


@_eval.register
def _(expr: ZeroMatrix, env):
    return mpmath.zeros(_dim(expr.shape[0], env), _dim(expr.shape[1], env))


@_eval.register
def _(expr: Elementwise, env):
    fn = _lambdified(expr.name, expr.order)
    return _entrywise(fn, [_eval(expr.arg, env)])


@_eval.register
def _(expr: Componentwise, env):
    names = list(expr.bindings)
    # sizes and constants in the formula (1/m, 1/n_L, lambda) take their values from the environment; a width
    # n_L first, as a whole (its free symbols n and L are not values)
    formula = expr.expr.xreplace({x: sp.Float(env.scalar(x), 50) for x in expr.expr.atoms(sp.Indexed)})
    constants = {x: sp.Float(env.scalar(x), 50) for x in formula.free_symbols - set(names)}
    fn = _lambdified_expr(formula.xreplace(constants), tuple(names))
    return _entrywise(fn, [_eval(expr.bindings[n], env) for n in names])


@_eval.register
def _(expr: SoftmaxBack, env):
    s, g = _eval(expr.s, env), _eval(expr.g, env)
    if expr.axis == 1:  # examples are rows: work on the transpose
        s, g = s.T, g.T
    out = mpmath.matrix(s.rows, s.cols)
    for t in range(s.cols):
        dot = mpmath.fsum(s[k, t] * g[k, t] for k in range(s.rows))
        for k in range(s.rows):
            out[k, t] = s[k, t] * (g[k, t] - dot)  # (diag(s) - s s^T) g
    return out.T if expr.axis == 1 else out


@_eval.register
def _(expr: LocalJacobian, env):
    if env.local is None:
        raise DeriveError("a local derivative has no value here")

    def entries(t):  # (kind, layer, row, column) of each entry, in order (a vector's, or a matrix's by rows)
        label, rows, cols = env.layer(t.layer), _dim(t.shape[0], env), _dim(t.shape[1], env)
        return [(t.kind, label, i, j) for i in range(rows) for j in range(cols)]
    of, wrt = entries(expr.of), entries(expr.wrt)
    if expr.wrt.kind == "W":  # a number by a matrix: one entry per entry of the matrix, in its shape
        rows, cols = _dim(expr.wrt.shape[0], env), _dim(expr.wrt.shape[1], env)
        out = mpmath.matrix(rows, cols)
        for i, j in ((i, j) for i in range(rows) for j in range(cols)):
            out[i, j] = env.local(of[0], wrt[i * cols + j])
        return out if expr.denominator else out.T
    out = mpmath.matrix(len(of), len(wrt))
    for i, u in enumerate(of):
        for j, v in enumerate(wrt):
            out[i, j] = env.local(u, v)
    return out.T if expr.denominator else out


@_eval.register
def _(expr: WithBiasUnit, env):
    a = _eval(expr.arg, env)
    out = mpmath.matrix(a.rows + 1, a.cols)
    for j in range(a.cols):
        out[0, j] = 1
        for i in range(a.rows):
            out[i + 1, j] = a[i, j]
    return out


@_eval.register
def _(expr: DropBiasRow, env):
    a = _eval(expr.arg, env)
    return a[1:, :]


@_eval.register
def _(expr: ZeroBiasColumn, env):
    a = _eval(expr.arg, env).copy()
    for i in range(a.rows):
        a[i, 0] = 0
    return a


@_eval.register
def _(expr: ExampleSum, env):
    if env.example is not None:
        raise DeriveError("nested sums over examples")
    total = None
    try:
        for t in range(_dim(expr.count, env)):
            env.example = t
            term = _eval(expr.arg, env)
            total = term if total is None else total + term
    finally:
        env.example = None
    return total


def _dim(expr, env) -> int:
    value = sym(sym(sym(expr).xreplace(env.layer_symbols)).xreplace(env.scalars))
    if not value.is_Integer:
        raise DeriveError(f"size {expr} is not concrete here")
    return int(value)


def _entrywise(fn, mats):
    first = mats[0]
    for m in mats[1:]:
        if (m.rows, m.cols) != (first.rows, first.cols):
            raise DeriveError(f"entrywise over {first.rows}x{first.cols} and {m.rows}x{m.cols}")
    out = mpmath.matrix(first.rows, first.cols)
    for i in range(first.rows):
        for j in range(first.cols):
            out[i, j] = fn(*(m[i, j] for m in mats))
    return out


_x = sp.Symbol("x")


@cache
def _lambdified(name: str, order: int):
    rec = ACTIVATIONS[name]
    assert isinstance(rec, Activation), "only an elementwise activation is lambdified entry by entry"
    return sp.lambdify(_x, rec.df(_x) if order else rec.f(_x), "mpmath")


@cache
def _lambdified_expr(expr, names: tuple):
    return sp.lambdify(names, expr, "mpmath")
