"""A layer kind's formulas in a source's letters: ``KindPrinter``, a subclass of SymPy's LatexPrinter.

The quantities are ``Indexed`` entries (x[n, k], mu[k], dx[n, k]); the printer writes each with the source's
symbol, its shown indices as subscripts (an implicit axis's index, bound by a sum, as a superscript (i)),
and an adjoint as ∂ℓ/∂v or, in CS231n's letters, as dv (dout for ∂ℓ/∂y). A summed index takes the free
index's letter when the free one does not appear in the equation (Ioffe & Szegedy's Σ_{i=1}^m x_i).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from .layers.graph import AXES, AXIS_OF, BOUND, Letters


class KindPrinter(LatexPrinter):
    printmethod = "_kind_latex"

    def __init__(self, letters: Letters, free: frozenset = frozenset()) -> None:
        super().__init__({"mul_symbol": None})
        self.letters, self.free = letters, free

    def index_letter(self, index) -> str:
        axis = AXIS_OF[index]
        bound = index == BOUND[axis]
        if bound and AXES[axis][0] not in self.free:
            bound = False  # the free index is absent: the sum may use its letter
        return self.letters.index[axis][1 if bound else 0]

    def _symbol(self, name: str) -> str:
        return self.letters.symbols.get(name, name)

    def _written(self, name: str, idx: tuple, symbol: str | None = None) -> str:
        """Quantity ``name``'s entry at ``idx`` (written ``symbol`` if given, else the source's symbol)."""
        shown = [self.index_letter(i) if i in AXIS_OF else self._print(i)  # a computed index, s(i - 1) + u - p
                 for i in idx if i not in AXIS_OF or AXIS_OF[i] in self.letters.shown]
        hidden = [self.index_letter(i) for i in idx if i in AXIS_OF and AXIS_OF[i] not in self.letters.shown
                  and i in BOUND.values()]
        out = self._symbol(name) if symbol is None else symbol
        if hidden:
            out = "{" + out + "}" if "^" in out else out
            out += "^{(" + ",".join(hidden) + ")}"
        if shown:
            joined = "".join(shown) if all(len(i) == 1 for i in shown) else ",".join(shown)
            out = ("{" + out + "}" if "_" in out else out) + "_{" + joined + "}"
        return out

    def adjoint(self, name: str, idx: tuple) -> str:
        """∂ℓ/∂v in the source's way."""
        fraction = r"\frac{\partial " + self._symbol("loss") + r"}{\partial " + self._symbol(name) + "}"
        if self.letters.adjoint == "d" and self.letters.names.get(name) != fraction:
            mark = self.letters.prefix if self.letters.prefix == "d" else self.letters.prefix + " "
            return self._written(name, idx, self.letters.names.get(name, mark + self._symbol(name)))
        # the fraction, its entry's indices on the quantity below (never hanging off the fraction): also a d-style
        # source's name for a gradient it writes as the fraction (deeplearning.ai's dGamma is the pre-activation's)
        return r"\frac{\partial " + self._symbol("loss") + r"}{\partial " + self._written(name, idx) + "}"

    def _print_Add(self, expr, order=None) -> str:
        """Terms as a source writes them: positive before negative, products before single letters, constants
        last (x_i - μ, γ x̂ + β, σ² + ε), where SymPy's canonical order gives -μ + x_i and ε + σ²."""
        def key(term):
            negative = term.could_extract_minus_sign()
            constant = not term.has(sp.Indexed)
            return (negative, constant, term.has(sp.KroneckerDelta), -len(sp.Mul.make_args(term)),
                    not term.has(sp.Sum))  # Σ x w + b, a term of one step ([t = 1] h0 Wh) after those of every step

        def index_key(term):  # a computed index: the indices first, then the constants, the number last
            return (not term.free_symbols & set(AXIS_OF), term.is_Number, term.could_extract_minus_sign(),
                    -len(sp.Mul.make_args(term)))
        terms = sorted(expr.args, key=key if expr.has(sp.Indexed) else index_key)
        out = self._print(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                out += " - " + self.parenthesize(-term, 10 if isinstance(-term, sp.Add) else 40)
            else:
                out += " + " + self._print(term)
        return out

    def _print_Sum(self, expr) -> str:
        """A sum over several indices as nested sums, the outermost first (SymPy's last limit), as a source writes
        Σ_c Σ_u, not one Σ under a stack of ranges."""
        if len(expr.limits) == 1:
            return super()._print_Sum(expr)
        return self._over(r"\sum", reversed(expr.limits), expr.function)

    def _over(self, operator: str, limits, body) -> str:
        """``operator`` (Σ, max) once per limit, each with its range, then ``body``."""
        return " ".join(rf"{operator}_{{{self._print(i)}={self._print(lo)}}}^{{{self._print(hi)}}}"
                        for i, lo, hi in limits) + " " + self.parenthesize(body, 45)

    def _print_Mul(self, expr) -> str:
        """A sum over a denominator as the factor in front, (1/N) Σ x, not Σ x over N: no Σ inside a fraction's
        numerator (how textbooks write a mean, and CS231n's dx = (1/N) γ (σ² + ε)^(-1/2) (N dout - ...))."""
        num, den = sp.fraction(expr)
        if den == 1 or not num.has(sp.Sum):
            return super()._print_Mul(expr)
        coef, rest = num.as_coeff_Mul()
        front = self._print(coef / den)
        body = self._print(rest)
        if isinstance(rest, sp.Add):
            body = r"\left(" + body + r"\right)"
        return (front + " " + body) if not front.startswith("-") else "- " + self._print(-coef / den) + " " + body

    def _print_Piecewise(self, expr) -> str:
        """A 0/1 step as an Iverson bracket, [out > 0] (CS231n's ``dout * (x > 0)``), and a value where a condition
        holds, 0 elsewhere, as the bracket times it ([x_t = y_i] dout_i: max pooling's routing); anything else as
        cases."""
        if _gated(expr):
            (value, condition), _ = expr.args
            bracket = r"\left[" + self._print(condition) + r"\right]"
            return bracket if value == 1 else bracket + " " + self.parenthesize(value, PRECEDENCE["Mul"])
        return super()._print_Piecewise(expr)

    def _print_Largest(self, expr) -> str:
        """A window's max, \\max_{u=1}^{U} x_{n,c,s(i - 1) + u}."""
        return self._over(r"\max", expr.limits, expr.function)

    def _print_KroneckerDelta(self, expr, exp=None) -> str:
        """δ(t, s(i - 1) + u - p) as an Iverson bracket, [t = s(i - 1) + u - p]: 1 where the two are equal."""
        left, right = expr.args if not expr.args[0].is_Number else reversed(expr.args)  # [t = 1], not [1 = t]
        return r"\left[" + self._print(left) + " = " + self._print(right) + r"\right]"

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        return not _step(expr) and super()._needs_mul_brackets(expr, first, last)

    def _print_exp(self, expr, exp=None) -> str:
        """exp(x) as \\exp(x), which reads back (the checker's grammar has no e^{x_{ij}})."""
        return r"\exp\left(" + self._print(expr.args[0]) + r"\right)"

    def _print_log(self, expr, exp=None) -> str:
        arg = expr.args[0]
        inner = self._print(arg)
        return r"\log " + inner if isinstance(arg, sp.Indexed | sp.Symbol) else r"\log\left(" + inner + r"\right)"

    def _print_NumberSymbol(self, expr) -> str:
        return LatexPrinter().doprint(expr)  # π, e: their own _latex, which this printer's printmethod skips

    def _print_Indexed(self, expr) -> str:
        name = expr.base.label.name
        if name.startswith("d") and name[1:] in self.letters.symbols:
            return self.adjoint(name[1:], expr.indices)
        return self._written(name, expr.indices)

    def _print_Symbol(self, expr, style="plain") -> str:
        if expr in AXIS_OF:
            return self.index_letter(expr)
        for axis, (_, size) in AXES.items():
            if expr == size:
                return self.letters.sizes[axis]
        if expr.name in self.letters.symbols:
            return self._symbol(expr.name)
        return super()._print_Symbol(expr)


def _gated(expr) -> bool:
    """A Piecewise that is a value where its one condition holds and 0 otherwise."""
    return (isinstance(expr, sp.Piecewise) and len(expr.args) == 2 and expr.args[1][0] == 0
            and expr.args[1][1] is sp.true)


def _step(expr) -> bool:
    """A Piecewise that is 1 where its condition holds and 0 otherwise (ReLU's derivative)."""
    return _gated(expr) and expr.args[0][0] == 1


def free_indices(*exprs) -> frozenset:
    """The example and feature indices free in an equation (a summed index is bound, not free)."""
    out: set = set()
    for e in exprs:
        out |= {s for s in e.free_symbols if s in {index for index, _ in AXES.values()}}
    return frozenset(out)


def latex(expr, letters: Letters, *context) -> str:
    """``expr`` in ``letters``; ``context`` holds the rest of its equation (for the summed indices' letters)."""
    return KindPrinter(letters, free_indices(expr, *context)).doprint(expr)


def adjoint_latex(name: str, axes: str, letters: Letters) -> str:
    from .layers.graph import indices
    return KindPrinter(letters, free_indices(*indices(axes))).adjoint(name, indices(axes))
