"""Printing formulas in a convention's notation: a LatexPrinter subclass and a plain-text printer.

Each of our expression classes has a ``_print_<Class>`` method here; SymPy's dispatch finds them. The
notation (symbols, layer superscript style, Hadamard and transpose signs) comes from the convention record.
Inside a ``Componentwise`` formula a product is a Hadamard product, so ``_print_Mul`` joins factors with the
convention's sign there. No regular expressions touch SymPy's output.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .algebra import sym
from .conventions import Convention
from .output_layer import YHAT, Y, Z

HADAMARD_TEX = {".*": r"\mathbin{.*}", "*": r"\mathbin{*}"}


class Raw(sp.Dummy):
    """A placeholder that prints as the given LaTeX (a bound matrix inside an entrywise formula).

    A Dummy, not a Symbol: SymPy caches Symbols by name, and the LaTeX must not leak between uses.
    """

    def __new__(cls, name, tex):
        obj = super().__new__(cls, name)
        obj._tex = tex
        return obj

    def _latex(self, printer):
        return self._tex


ENTRIES = ("LayerEntry", "ActEntry", "BiasUnitEntry", "ExampleSumEntry", "Partial")
_KIND_RANK = {"W": 3, "delta": 4, "grad_act": 4, "a": 5, "y": 5, "z": 5, "b": 5}


def _reading_rank(f) -> int:
    """Kronecker bracket, sums, error terms, weights, deltas, activations, other factors, sigma' last."""
    name = type(f).__name__
    if isinstance(f, sp.KroneckerDelta):
        return 0
    if isinstance(f, sp.Sum):
        return 1
    if name == "Partial" or (f.is_Add and any(getattr(getattr(e, "tensor", None), "kind", "") == "y"
                                                for e in f.atoms(sp.Expr))):
        return 2
    if name == "LayerEntry":
        return _KIND_RANK.get(f.tensor.kind, 5)
    if name == "BiasUnitEntry":
        return 5
    return 7 if name == "ActEntry" else 6


def _positive_first(terms):
    # a - b rather than -b + a: textbook order for yhat - y and 1 - yhat
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


class _PositiveFirst:
    """Sums written as textbooks write them: a - b, 1 - yhat, never -b + a."""

    def _print_Add(self, expr, order=None):
        terms = _positive_first(list(expr.args))
        out = self._print(terms[0])
        for t in terms[1:]:
            out += (" - " + self.parenthesize(-t, 40)) if t.could_extract_minus_sign() else " + " + self._print(t)
        return out


class NotationPrinter(_PositiveFirst, LatexPrinter):
    """LaTeX in one convention's notation."""

    def __init__(self, conv: Convention, settings=None):
        super().__init__({"ln_notation": True} | (settings or {}))
        self.conv, self.nt = conv, conv.notation
        self._hadamard_depth = 0

    # -- leaves
    def sup(self, layer) -> str:
        return self.conv.sup(layer_text(layer))

    def _named(self, template: str, layer) -> str:
        return template.replace("@", self.sup(layer))

    def _print_LayerSymbol(self, expr):
        nt, k = self.nt, expr.kind
        if k == "y":
            return nt.target
        if k == "a" and nt.output and expr.layer == sp.Symbol("L", integer=True):
            return nt.output
        if k == "delta":
            return self._named(nt.delta if self.conv.delta_wrt == "z" else r"\frac{\partial C}{\partial z^@}",
                               expr.layer)
        if k == "grad_act":
            return self._named(nt.grad_act if self.conv.delta_wrt == "z" else nt.delta, expr.layer)
        if k in ("grad_weight", "grad_bias"):
            return self._named(nt.grad_weight if k == "grad_weight" else nt.grad_bias, expr.layer)
        if k == "x":
            return nt.input
        letter = {"W": nt.weight, "b": nt.bias, "z": nt.pre, "a": nt.act}[k]
        return f"{letter}^{self.sup(expr.layer)}"

    def _print_LayerEntry(self, expr):
        i, j = expr.indices
        rows, cols = expr.tensor.shape
        parts = [i] if cols == 1 else ([j] if rows == 1 else [i, j])
        return self._subscript(self._print(expr.tensor), parts)

    def _subscript(self, base: str, indices) -> str:
        texts = [layer_text(x) if x.is_Add else self._print(x) for x in indices]
        idx = ",".join(texts) if any(not x.is_Atom for x in indices) else "".join(texts)
        if r"\frac" in base or r"\nabla" in base:  # a named gradient: take its component as a whole
            return rf"\left({base}\right)_{{{idx}}}"
        return f"{base}_{{{idx}}}"

    def _print_LocalEntry(self, expr):
        return rf"\frac{{\partial {self._print(expr.of)}}}{{\partial {self._print(expr.wrt)}}}"

    def _print_ActEntry(self, expr):
        mark = self.nt.prime if expr.order else ""
        return rf"{self.nt.sigma}{mark}\left({self._print(expr.arg)}\right)"

    def _print_BiasUnitEntry(self, expr):
        arg, i, _ = expr.args  # Ng's a_j^(l) with the bias unit a_0 = 1 in front
        return self._subscript(self._print(arg), [i])

    def _print_ExampleSumEntry(self, expr):
        arg, count = expr.args
        coeff, rest = arg.as_independent(*[a for a in arg.atoms(sp.Expr) if type(a).__name__ in ENTRIES])
        front = "" if coeff == 1 else self._print(coeff) + " "
        return rf"{front}\sum_{{t=1}}^{{{self._print(count)}}} {self.parenthesize(rest, 40)}"

    def _print_Pow(self, expr):
        # a component already carries scripts: (a^{L}_{j})^{2}, never a^{L}_{j}^{2}
        if type(expr.base).__name__ in ENTRIES and expr.exp.is_positive:
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Partial(self, expr):
        num, den = expr.args
        top = self.nt.cost if num == sp.Symbol("E") else self._print(num)
        return rf"\frac{{\partial {top}}}{{\partial {self._print(den)}}}"

    def _print_KroneckerDelta(self, expr, exp=None):
        # an Iverson bracket: delta is taken by the error terms in these documents
        i, j = expr.args
        return rf"[{self._print(i)} = {self._print(j)}]"

    def _print_Sum(self, expr):
        # sums over units as books write them, without 0-based limits: \sum_i
        index = expr.limits[0][0]
        return rf"\sum_{{{self._print(index)}}} {self.parenthesize(expr.function, 45)}"

    def _print_Elementwise(self, expr):
        mark = self.nt.prime if expr.order else ""
        return rf"{self.nt.sigma}{mark}\left({self._print(expr.arg)}\right)"

    def _print_Indexed(self, expr):
        # a width n_{l+1}: the layer index written as sources write it
        return f"{self._print(expr.base.label)}_{{{layer_text(expr.indices[0])}}}"

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}" if expr.shape[0] != 1 else rf"\mathbf{{1}}^{{{self.nt.transpose}}}"

    # -- operators in the convention's signs
    def _print_Transpose(self, expr):
        arg = expr.arg
        inner = self._print(arg)
        if not (arg.is_Symbol or type(arg).__name__ in ("LayerSymbol", "WithBiasUnit")):
            inner = rf"\left({inner}\right)"
        elif "^" in inner:
            inner = f"({inner})"
        return f"{inner}^{{{self.nt.transpose}}}"

    def _print_HadamardProduct(self, expr):
        sign = HADAMARD_TEX.get(self.nt.hadamard, self.nt.hadamard)
        # the activation factor last, as textbooks write it; products in parentheses for the reader
        args = sorted(expr.args, key=lambda a: type(a).__name__ == "Elementwise")
        parts = [rf"\left({self._print(a)}\right)" if isinstance(a, (sp.MatAdd, sp.MatMul)) else self._print(a)
                 for a in args]
        return f" {sign} ".join(parts)

    def _print_Componentwise(self, expr):
        subs = {k: Raw(str(k), self._print(v)) for k, v in expr.bindings.items()}
        self._hadamard_depth += 1
        try:
            return self._print(expr.expr.xreplace(subs))
        finally:
            self._hadamard_depth -= 1

    def _print_Mul(self, expr):
        if not self._hadamard_depth:
            if any(type(f).__name__ in ENTRIES or isinstance(f, sp.Sum) for f in expr.args) \
                    and sp.denom(expr) == 1:
                return self._print_reading_order(expr)
            return super()._print_Mul(expr)
        if expr.could_extract_minus_sign():
            return "-" + self.parenthesize(-expr, 45)
        num, den = sp.fraction(expr)
        if den != 1:
            return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        coeff, factors = expr.as_coeff_mul()
        sign = HADAMARD_TEX.get(self.nt.hadamard, self.nt.hadamard)
        # the error term (with y) first, then the output, then the rest: (yhat - y) * yhat * (1 - yhat)
        factors = sorted(factors, key=lambda f: (all(x.name != "y" for x in f.free_symbols), not f.is_Symbol))
        parts = [self.parenthesize(f, 45) if f.is_Add else self._print(f) for f in factors]
        body = f" {sign} ".join(parts)
        if coeff == -1:
            return "-" + body
        return body if coeff == 1 else f"{self._print(coeff)} {body}"

    def _print_reading_order(self, expr):
        """A product of components in the order books write it: sum_k w_kj delta_k sigma'(z_j)."""
        if expr.could_extract_minus_sign():
            return "-" + self._print_reading_order(-expr)
        coeff, factors = expr.as_coeff_mul()
        factors = sorted(factors, key=_reading_rank)
        parts = []
        for n, f in enumerate(factors):
            text = self._print(f)
            if f.is_Add or (isinstance(f, sp.Sum) and n < len(factors) - 1):
                text = rf"\left({text}\right)"
            parts.append(text)
        body = " ".join(parts)
        return body if coeff == 1 else f"{self._print(coeff)} {body}"


    def _print_SoftmaxBack(self, expr):
        s, g = self._print(expr.s), self._print(expr.g)
        t = self.nt.transpose
        return (rf"\left(\operatorname{{diag}}({s}) - {s}\,({s})^{{{t}}}\right)\left({g}\right)"
                + (r"\ \text{for each example}" if self.conv.layout != "column" else ""))

    def _print_WithBiasUnit(self, expr):
        return rf"\begin{{bmatrix}} 1 \\ {self._print(expr.arg)} \end{{bmatrix}}"

    def _print_DropBiasRow(self, expr):
        return rf"\left[{self._print(expr.arg)}\right]_{{2:\mathrm{{end}}}}"

    def _print_ZeroBiasColumn(self, expr):
        return rf"\left[{self._print(expr.arg)}\right]_{{\text{{bias column}} = 0}}"

    def _print_ExampleSum(self, expr):
        coeff, rest = expr.arg.as_coeff_mmul() if hasattr(expr.arg, "as_coeff_mmul") else (1, expr.arg)
        front = "" if coeff == 1 else self._print(coeff) + " "
        return rf"{front}\sum_{{t=1}}^{{{self._print(expr.count)}}} {self._print(rest)}"


def layer_text(layer) -> str:
    """A layer index as sources write it: l+1, l-1, L (symbol first)."""
    layer = sym(layer)
    if not layer.is_Add:
        return str(layer)
    const, rest = layer.as_coeff_Add()
    return f"{rest}{'+' if const > 0 else '-'}{abs(const)}" if const else str(rest)


def latex(expr, conv: Convention) -> str:
    """LaTeX for a formula in ``conv``'s notation."""
    return NotationPrinter(conv).doprint(expr)


class _TextPrinter(_PositiveFirst, StrPrinter):
    """Plain text for entrywise output-layer forms: (yhat - y) * yhat * (1 - yhat)."""


    def _print_Symbol(self, expr):
        return {YHAT: "ŷ", Y: "y", Z: "z"}.get(expr, expr.name)

    def _print_Mul(self, expr):
        if expr.could_extract_minus_sign():
            return "-" + self.parenthesize(-expr, 45)
        num, den = sp.fraction(expr)
        if den != 1:
            return f"{self.parenthesize(num, 45)} / {self.parenthesize(den, 51)}"
        factors = sorted(expr.args, key=lambda f: (Y not in f.free_symbols, not f.is_Symbol))
        return "·".join(self.parenthesize(f, 45) for f in factors)

    def _print_Pow(self, expr, rational=False):
        return f"{self.parenthesize(expr.base, 51)}^{self.parenthesize(expr.exp, 51)}"

    def _print_Piecewise(self, expr):
        (value, cond), (other, _) = expr.args
        cond_text = self._print(cond)
        if (value, other) == (1, 0):
            return f"[{cond_text}]"
        return f"({self._print(value)} if {cond_text} else {self._print(other)})"


def text(expr) -> str:
    """A scalar output-layer form as plain text, written per component."""
    return _TextPrinter().doprint(expr)


def output_latex(expr, conv: Convention) -> str:
    """An entrywise output-layer form in ``conv``'s notation, componentwise products as Hadamard."""
    from .layers import Layer
    return latex(Layer(conv).at_output(expr, sp.Symbol("L", integer=True)), conv)
