"""Printing formulas in a convention's notation: a LatexPrinter subclass and a plain-text printer.

Each of our expression classes has a ``_print_<Class>`` method in both printers; SymPy's dispatch finds them.
The notation (symbols, layer superscript style, Hadamard and transpose signs) comes from the convention record.
Inside a ``Componentwise`` formula a product is a Hadamard product, so ``_print_Mul`` joins factors with the
convention's sign there. No regular expressions touch SymPy's output.

``latex(expr, conv)`` and ``text(expr, conv)`` print any formula in any convention. A bare node does not know
its convention, so ``in_notation`` gives the formulas a ``Derivation`` exposes their own: a copy (equal, same
class, printed identically by ``latex``) whose ``str()``, ``repr()`` and ``_repr_latex_`` use that convention.
SymPy looks a printing method up on the object itself (``_sympystr``), and IPython does the same for
``_repr_latex_``, so the copy carries both as attributes; ``NotationPrinter`` and ``NotationText`` ignore them
and print the tree. ``sympy.srepr`` still shows the tree's classes. An expression built from such a copy
(``d.delta.T``, a sub-expression) is a new, bare object: print it with ``text`` or ``latex`` and a convention.
"""

from __future__ import annotations

import types
import unicodedata

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .algebra import Componentwise, LayerSymbol, WithBiasUnit, sym
from .conventions import Convention
from .symbols import YHAT, Y, Z

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


TALL = (r"\frac", r"\sum", r"\begin", r"\left", r"\prod", r"\int")  # what plain parentheses are too short for
EXAMPLE = "t"  # the examples' index, in every section of a document: \sum_{t=1}^{m}, Z_{tk}, y_{kt}
EXAMPLE_LETTERS = ("t", "r", "q")  # the first a convention's own symbols leave free: Bishop's t is the target
EXAMPLE_KINDS = ("z", "a", "delta", "grad_act", "y", "x")  # the quantities each example has its own of
ENTRIES = ("LayerEntry", "ActEntry", "BiasUnitEntry", "ExampleSumEntry", "Partial")
_KIND_RANK = {"W": 3, "delta": 4, "grad_act": 4, "a": 5, "y": 5, "z": 5, "b": 5}


def over_units(lo, hi) -> bool:
    """Whether a sum's limits run over one layer's units (0 .. n_l - 1 or 1 .. n_l) or over the examples (0 .. m - 1):
    then books leave them out."""
    return isinstance(sp.expand(hi - lo + 1), (sp.Indexed, sp.Symbol))


def _reading_rank(f) -> int:
    """Kronecker bracket, sums, error terms, weights, deltas, activations, other factors, sigma' last."""
    name = type(f).__name__
    if isinstance(f, sp.Symbol):  # a count such as N or m, in front as a coefficient is: N P (1 - P)
        return -1
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


def _constant_first(expr) -> tuple:
    """(the constant factor, the other factors) of a product: a number such as 2, sqrt(2) or pi multiplies a
    vector as a scalar does, so it is written in front, never joined to the entries by the elementwise sign."""
    factors = sp.Mul.make_args(expr)
    constant = sp.Mul(*[f for f in factors if not f.free_symbols])
    return constant, [f for f in factors if f.free_symbols]


def _letters(tex: str) -> set[str]:
    """The letters a notation symbol writes, its commands' names left out: \\Theta^{(l)} writes l, E_n writes E, n."""
    return {c for token in _tokens(tex) if token[0] == "chr" for c in token[1] if c.isalpha()}


def example_letter(conv: Convention) -> str:
    """The letter a document gives the example: t, unless the convention's symbols write t already (Bishop's
    targets t_k; then r), so that \\sum_{t=1}^{m} never reads as a sum over the targets."""
    nt = conv.notation
    used = {c for name in ("weight", "bias", "pre", "act", "input", "output", "target", "cost", "loss", "batch",
                           "width") for c in _letters(getattr(nt, name) or "")}
    return next(c for c in EXAMPLE_LETTERS if c not in used)


def activation_letters(problem) -> dict[str, str]:
    """How one document writes each activation, so that one letter never names two functions. The hidden
    activation keeps the convention's letter (the document states which function it is); the output, where it
    is another function, is written by its own name (\\sigma, \\operatorname{id}), or spelled out where that
    name is the convention's letter (Nielsen's sigma for a tanh hidden layer: the output \\operatorname{sigmoid})."""
    hidden, output, letter = problem.hidden, problem.output, problem.convention.notation.sigma
    if hidden.name == output.name:
        return {}
    return {output.name: output.latex if output.latex != letter else rf"\operatorname{{{output.name}}}"}


class NotationPrinter(_PositiveFirst, LatexPrinter):
    """LaTeX in one convention's notation."""

    def __init__(self, conv: Convention, settings=None, letters: dict[str, str] | None = None):
        super().__init__({"ln_notation": True} | (settings or {}))
        self.conv, self.nt = conv, conv.notation
        self.letters = letters or {}  # activation name -> how it is written (activation_letters); else nt.sigma
        self._hadamard_depth = 0
        self._example: str | None = None  # inside a sum over the examples: the index each term's example carries
        self.example = example_letter(conv)  # the example's letter in this convention (EXAMPLE where it is free)

    # -- leaves
    def sup(self, layer, example: str | None = None) -> str:
        """The layer superscript, with the example after it where one is given: {(l)(t)}, {[l](t)}, {l(t)}."""
        text = self.conv.sup(layer_text(layer))
        return text if example is None else f"{text[:-1]}({example})}}"

    def _per_example(self, expr) -> str | None:
        """The example a layer quantity is marked with inside a sum over the examples; weights and their
        gradients are the same for every example and carry none."""
        return self._example if expr.kind in EXAMPLE_KINDS else None

    def _over_examples(self, count, body, show) -> str:
        """\\sum_{t=1}^{m} and ``body`` with each term's example named: after the layer (\\delta^{(l+1)(t)}), or
        as the only superscript of a quantity without a layer (Ng's y^{(t)}_{k}, the target of example t)."""
        self._example = self.example
        try:
            return rf"\sum_{{{self.example}=1}}^{{{self._print(count)}}} " + show(body)
        finally:
            self._example = None

    def _named(self, template: str, layer, example: str | None = None) -> str:
        return template.replace("@", self.sup(layer, example))

    def _of_example(self, letter: str, example: str | None) -> str:
        """A quantity without a layer superscript, of one example: y^{(t)}; {y^*}^{(t)} where it has a script."""
        if example is None:
            return letter
        return f"{{{letter}}}^{{({example})}}" if "^" in letter else f"{letter}^{{({example})}}"

    def _print_LayerSymbol(self, expr):
        nt, k = self.nt, expr.kind
        ex = self._per_example(expr)
        if k == "y":
            return self._of_example(nt.target, ex)
        if k == "a" and nt.output and expr.layer == sp.Symbol("L", integer=True):
            return self._of_example(nt.output, ex)
        if k == "delta":
            return self._named(nt.delta if self.conv.delta_wrt == "z" else r"\frac{\partial C}{\partial z^@}",
                               expr.layer, ex)
        if k == "grad_act":
            return self._named(nt.grad_act if self.conv.delta_wrt == "z" else nt.delta, expr.layer, ex)
        if k == "grad_weight":
            return self._named(nt.grad_weight, expr.layer)
        if k == "accumulated":  # read only where the notation names it (Ng's Delta^(l)), so it has a letter
            return self._named(nt.accumulator or r"\Delta^@", expr.layer)
        if k == "grad_bias":  # a bias is labelled by the layer it feeds; a source may name it otherwise (UFLDL)
            return self._named(nt.grad_bias, self.conv.bias_index(expr.layer))
        if k == "x":
            return self._of_example(nt.input, ex)
        letter = {"W": nt.weight, "b": nt.bias, "z": nt.pre, "a": nt.act}[k]
        # a bias is labelled by the layer it feeds, named as the source names it (UFLDL's b^(l) feeds l+1)
        return f"{letter}^{self.sup(self.conv.bias_index(expr.layer) if k == 'b' else expr.layer, ex)}"

    def _print_LayerEntry(self, expr):
        i, j = expr.indices
        rows, cols = expr.tensor.shape
        parts = [i] if cols == 1 else ([j] if rows == 1 else [i, j])
        return self._subscript(self._print(expr.tensor), parts)

    def _subscript(self, base: str, indices) -> str:
        texts = [layer_text(x) if x.is_Add else self._print(x) for x in indices]
        idx = ",".join(texts) if any(not x.is_Atom for x in indices) else "".join(texts)
        if r"\frac" in base or r"\nabla" in base:  # a named gradient: take its component as a whole
            return f"{self._paren(base)}_{{{idx}}}"
        return f"{base}_{{{idx}}}"

    def _print_LocalEntry(self, expr):
        return rf"\frac{{\partial {self._print(expr.of)}}}{{\partial {self._print(expr.wrt)}}}"

    def _print_ExprDerivative(self, expr):
        return rf"\frac{{\partial}}{{\partial {self._print(expr.wrt)}}} \left[{self._print(expr.body)}\right]"

    def _print_LocalJacobian(self, expr):
        return rf"\frac{{\partial {self._print(expr.of)}}}{{\partial {self._print(expr.wrt)}}}"

    def _print_ActEntry(self, expr):
        mark = self.nt.prime if expr.order else ""
        return f"{self.letters.get(expr.name, self.nt.sigma)}{mark}{self._paren(self._print(expr.arg))}"

    def _paren(self, inner: str) -> str:
        """(inner) in parentheses sized to it: plain ones around a line of symbols (\\sigma'(z^l), as books
        print it), \\left( \\right) only around something taller (a fraction, a sum, a matrix)."""
        return rf"\left({inner}\right)" if any(tall in inner for tall in TALL) else f"({inner})"

    def _add_parens(self, s) -> str:  # SymPy's parentheses (parenthesize), sized the same way
        return self._paren(s)

    def _add_parens_lspace(self, s) -> str:
        return self._paren(s)

    def _print_log(self, expr, exp=None):
        text = rf"\ln{self._paren(self._print(expr.args[0]))}"
        return text if exp is None else rf"{self._paren(text)}^{{{exp}}}"

    def _print_Abs(self, expr, exp=None):  # \lvert x \rvert: a bare | would end a cell of a Markdown table
        text = rf"\lvert {self._print(expr.args[0])} \rvert"
        return text if exp is None else rf"{self._paren(text)}^{{{exp}}}"

    def _print_sign(self, expr, exp=None):
        return rf"\operatorname{{sgn}}{self._paren(self._print(expr.args[0]))}"

    def _print_BiasUnitEntry(self, expr):
        arg, i, _ = expr.args  # Ng's a_j^(l) with the bias unit a_0 = 1 in front
        return self._subscript(self._print(arg), [i])

    def _print_ExampleSumEntry(self, expr):
        arg, count = expr.args
        coeff, rest = arg.as_independent(*[a for a in arg.atoms(sp.Expr) if type(a).__name__ in ENTRIES])
        front = "" if coeff == 1 else self._print(coeff) + " "
        return front + self._over_examples(count, rest, lambda body: self.parenthesize(body, 40))

    def _print_Pow(self, expr):
        # a component already carries scripts: (a^{L}_{j})^{2}, never a^{L}_{j}^{2}
        if type(expr.base).__name__ in ENTRIES and expr.exp.is_positive:
            return f"{self._paren(self._print(expr.base))}^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Partial(self, expr):
        num, den = expr.args
        top = self.conv.objective(self.conv.delta_of) if num == sp.Symbol("E") else self._print(num)
        return rf"\frac{{\partial {top}}}{{\partial {self._print(den)}}}"

    def _print_Heaviside(self, expr, exp=None):
        # Heaviside's step H(m) as the Iverson bracket [m > 0] (CS231n's indicator of a positive margin)
        return rf"\left[{self._print(expr.args[0])} > 0\right]"

    def _print_KroneckerDelta(self, expr, exp=None):
        # an Iverson bracket: delta is taken by the error terms in these documents
        i, j = expr.args
        return rf"[{self._print(i)} = {self._print(j)}]"

    def _print_Sum(self, expr):
        # sums over units as books write them, without 0-based limits: \sum_i; a merged multiple sum keeps every
        # index (SymPy's Sum(f, (j, ...), (k, ...)) is \sum_j \sum_k f). A sum over more than a layer's units (Ng's
        # i = 0 .. s_l, the bias unit a_0 = 1 with them) writes its limits: \sum_{i=0}^{s_{l}}
        def sign(index, lo, hi):
            if over_units(lo, hi):
                return rf"\sum_{{{self._print(index)}}}"
            return rf"\sum_{{{self._print(index)}={self._print(lo)}}}^{{{self._print(hi)}}}"
        signs = " ".join(sign(*limit) for limit in expr.limits)
        return f"{signs} {self.parenthesize(expr.function, 45)}"

    def _print_Elementwise(self, expr):
        mark = self.nt.prime if expr.order else ""
        return f"{self.letters.get(expr.name, self.nt.sigma)}{mark}{self._paren(self._print(expr.arg))}"

    def _print_Indexed(self, expr):
        # a width n_{l+1}: the layer index written as sources write it
        return f"{self._print(expr.base.label)}_{{{layer_text(expr.indices[0])}}}"

    def _print_Symbol(self, expr, style="plain"):
        # the example (a batch layout's Z_{tk}, a renamed sum's index) in the convention's free letter
        return self.example if expr.name == EXAMPLE else super()._print_Symbol(expr, style)

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}" if expr.shape[0] != 1 else rf"\mathbf{{1}}^{{{self.nt.transpose}}}"

    # -- operators in the convention's signs
    def _print_Transpose(self, expr):
        arg = expr.arg
        inner = self._print(arg)
        if not (arg.is_Symbol or type(arg).__name__ in ("LayerSymbol", "WithBiasUnit")):
            inner = self._paren(inner)
        elif "^" in inner and not isinstance(arg, WithBiasUnit):  # a matrix's brackets hold it already
            inner = f"({inner})"
        return f"{inner}^{{{self.nt.transpose}}}"

    def _print_HadamardProduct(self, expr):
        sign = HADAMARD_TEX.get(self.nt.hadamard, self.nt.hadamard)
        # the activation factor last, as textbooks write it; products in parentheses for the reader
        args = sorted(expr.args, key=lambda a: type(a).__name__ == "Elementwise")
        # a sum written entrywise ((1 - y) ⊙ [m > 0] - y ⊙ (1 M), the SVM's gradient) is one factor too
        parts = [self._paren(self._print(a)) if isinstance(a, (sp.MatAdd, sp.MatMul))
                 or (isinstance(a, Componentwise) and a.expr.is_Add) else self._print(a) for a in args]
        return f" {sign} ".join(parts)

    def _print_Componentwise(self, expr):
        # a product of matrices bound to a placeholder is one factor: y \odot (\mathbf{1} M), not y \odot \mathbf{1} M
        subs = {k: Raw(str(k), self._paren(self._print(v)) if _factor(expr, k) else self._print(v))
                for k, v in expr.bindings.items()}
        self._hadamard_depth += 1
        try:
            return self._print(expr.expr.xreplace(subs))
        finally:
            self._hadamard_depth -= 1

    def _print_Mul(self, expr):
        if not self._hadamard_depth:
            # a product of components, also where they sit inside its factors ((1 - y_k) ln(1 - a_k)): in the order
            # books write it, with parentheses sized to what they hold (SymPy's Mul would write \left( \right))
            if any(type(f).__name__ in ENTRIES or isinstance(f, sp.Sum) for f in expr.args) \
                    and sp.denom(expr) == 1:
                return self._print_reading_order(expr)
            if any(type(a).__name__ in ENTRIES for a in sp.preorder_traversal(expr)):
                return self._print_factors(expr) if sp.denom(expr) == 1 else self._print_quotient(expr)
            return super()._print_Mul(expr)
        if not expr.free_symbols:  # a number: 2 \sqrt{\pi}
            return super()._print_Mul(expr)
        if expr.could_extract_minus_sign():
            return "-" + self.parenthesize(-expr, 45)
        num, den = sp.fraction(expr)
        if den != 1:
            return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        coeff, factors = _constant_first(expr)
        sign = HADAMARD_TEX.get(self.nt.hadamard, self.nt.hadamard)
        # the error term (with y) first, then the output, then the rest: (yhat - y) * yhat * (1 - yhat)
        factors = sorted(factors, key=lambda f: (all(x.name != "y" for x in f.free_symbols), not f.is_Symbol))
        parts = [self.parenthesize(f, 45) if f.is_Add else self._print(f) for f in factors]
        body = f" {sign} ".join(parts)
        if coeff == -1:
            return "-" + body
        return body if coeff == 1 else f"{self._print(coeff)} {body}"

    def _print_factors(self, expr):
        """A product whose components sit inside its factors ((1 - y_k) ln(1 - a_k)), in SymPy's order of factors, with
        parentheses sized to what they hold (SymPy's Mul writes \\left( \\right) around every sum)."""
        if expr.could_extract_minus_sign():
            return "-" + self._print_factors(-expr)
        coeff, factors = expr.as_coeff_Mul()
        parts = [self._paren(self._print(f)) if f.is_Add else self._print(f) for f in sp.Mul.make_args(factors)]
        return " ".join(parts if coeff == 1 else [self._print(coeff), *parts])

    def _print_quotient(self, expr):
        """A quotient of components: \\frac{a_j - y_j}{a_j (1 - a_j)}, its parts printed as products are; a sum
        over the units or examples stays out of the numerator, \\frac{1}{m} \\sum_t ..., as books write a mean."""
        if expr.could_extract_minus_sign():
            return "-" + self._print_quotient(-expr)
        num, den = sp.fraction(expr)
        if isinstance(num, sp.Sum) or (num.is_Mul and any(isinstance(f, sp.Sum) for f in num.args)):
            return rf"\frac{{1}}{{{self._print(den)}}} {self._print(num)}"
        return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"

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
                text = self._paren(text)
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
        return front + self._over_examples(expr.count, rest, self._print)


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


# ---------------------------------------------------------------- plain text in a convention's notation
# How each command a notation symbol may use (schema.MATH_COMMANDS) reads as text.
SYMBOL_TEXT = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "partial": "∂", "nabla": "∇", "ell": "ℓ", "imath": "ı", "jmath": "ȷ", "odot": "⊙", "circ": "∘",
    "otimes": "⊗", "oplus": "⊕", "cdot": "·", "ast": "∗", "star": "⋆", "times": "×", "bullet": "•",
    "top": "⊤", "intercal": "⊺", "prime": "′", "dagger": "†", "limits": "", "nolimits": "",
    ",": " ", ";": " ", ":": " ", " ": " ", "!": "", "{": "{", "}": "}", "left": "", "right": "",
}
# accents become combining marks on one letter: \hat{y} -> ŷ
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305", "tilde": "\u0303",
           "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308", "check": "\u030c",
           "breve": "\u0306", "acute": "\u0301", "grave": "\u0300"}
# fonts and wrappers keep their argument: \mathbf{W} -> W
WRAPPERS = {"mathcal", "mathbf", "mathrm", "mathit", "mathsf", "textsf", "mathtt", "mathbb", "mathfrak", "boldsymbol",
            "bm", "text", "textrm", "operatorname", "mathbin", "mathrel", "mathop"}
FRACTIONS = {"frac", "dfrac", "tfrac"}
TRANSPOSE_MARKS = {"T", "⊤", "⊺"}  # written as a superscript T: (W^l)ᵀ


def _tokens(tex: str) -> list:
    """LaTeX as ('cmd', name) and ('chr', c) tokens; a space after a control word ends it and is dropped."""
    out, i = [], 0
    while i < len(tex):
        c = tex[i]
        if c == "\\" and i + 1 < len(tex):
            j = i + 1
            while j < len(tex) and tex[j].isalpha():
                j += 1
            if j == i + 1:  # a control symbol: \, \{ ...
                out.append(("cmd", tex[j]))
                i = j + 1
                continue
            out.append(("cmd", tex[i + 1:j]))
            while j < len(tex) and tex[j] == " ":
                j += 1
            i = j
            continue
        out.append(("chr", c))
        i += 1
    return out


def _width(s: str) -> int:
    return sum(not unicodedata.combining(c) for c in s)


def _one_group(s: str) -> bool:
    """(l+1) or [l]: one bracketed group, whose opening bracket closes at the end."""
    if len(s) < 2 or s[0] + s[-1] not in ("()", "[]"):
        return False
    depth = 0
    for n, c in enumerate(s):
        depth += (c in "([") - (c in ")]")
        if depth == 0:
            return n == len(s) - 1
    return False


def script(mark: str, body: str) -> str:
    """A superscript or subscript as text: ^l, ^(l), ^[l], ^{l+1}."""
    return f"{mark}{body}" if _width(body) == 1 or _one_group(body) else f"{mark}{{{body}}}"


def _fraction_part(s: str) -> str:
    """A numerator or denominator in parentheses if it has an operator outside its brackets: (a + b)/m."""
    depth, loose = 0, False
    for c in s:
        depth += (c in "([{") - (c in ")]}")
        loose |= depth == 0 and c in " +-/"
    return f"({s})" if loose else s


class _SymbolReader:
    """Reads a notation symbol's LaTeX (a short string the schema checked) into text, one token at a time."""

    def __init__(self, tex: str):
        self.tokens, self.pos = _tokens(tex), 0

    def read(self, close: bool = False) -> str:
        out = []
        while self.pos < len(self.tokens):
            kind, value = self.tokens[self.pos]
            if close and (kind, value) == ("chr", "}"):
                self.pos += 1
                break
            self.pos += 1
            if kind == "chr" and value in "^_":
                out.append(script(value, self.argument()))
            elif kind == "chr" and value == "{":
                out.append(self.read(close=True))
            elif kind == "cmd":
                out.append(self.command(value))
            else:
                out.append(value)
        return "".join(out)

    def argument(self) -> str:
        while self.pos < len(self.tokens) and self.tokens[self.pos] == ("chr", " "):
            self.pos += 1
        if self.pos >= len(self.tokens):
            return ""
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if (kind, value) == ("chr", "{"):
            return self.read(close=True)
        return self.command(value) if kind == "cmd" else value

    def command(self, name: str) -> str:
        if name in ACCENTS:
            arg = self.argument()
            return arg + ACCENTS[name] if _width(arg) == 1 else f"{name}({arg})"
        if name in WRAPPERS:
            return self.argument()
        if name in FRACTIONS:
            num, den = self.argument(), self.argument()
            return f"{_fraction_part(num)}/{_fraction_part(den)}"
        return SYMBOL_TEXT.get(name, name)


def symbol_text(tex: str) -> str:
    r"""A notation symbol's LaTeX as plain text: ``\Theta^{(l)}`` -> Θ^(l), ``\frac{\partial C}{\partial a^{l}}``
    -> ∂C/∂a^l, ``\hat{y}`` -> ŷ, ``\nabla_{a^{l}} J`` -> ∇_{a^l} J."""
    return unicodedata.normalize("NFC", " ".join(_SymbolReader(tex).read().split()))  # ŷ as one character


class RawText(sp.Dummy):
    """A placeholder that prints as the given text (a bound matrix inside an entrywise formula)."""

    def __new__(cls, name, shown):
        obj = super().__new__(cls, name)
        obj._shown = shown
        return obj


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

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_sign(self, expr):
        return f"sgn({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr):
        (value, cond), (other, _) = expr.args
        cond_text = self._print(cond)
        if (value, other) == (1, 0):
            return f"[{cond_text}]"
        return f"({self._print(value)} if {cond_text} else {self._print(other)})"


class NotationText(_TextPrinter):
    """Plain text in one convention's notation: ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), [(Θ^(l))ᵀ δ^(l+1)]_{2:end}.

    A symbol is the same LaTeX ``NotationPrinter`` writes, read as text (``symbol_text``); the operators are
    the convention's signs. Scalar output-layer forms print as ``_TextPrinter`` prints them.
    """

    # never a formula's own print hook (``in_notation``): this printer prints the tree in ITS convention
    printmethod = "_derive_text"

    def __init__(self, conv: Convention, settings=None):
        super().__init__(settings)
        self.conv, self.nt, self._tex = conv, conv.notation, NotationPrinter(conv)
        self._hadamard_depth = 0

    def _print_Basic(self, expr) -> str:
        if type(expr).__module__.startswith("derive."):  # a node of ours without a text form: a bug, not a guess
            raise TypeError(f"internal error: no plain-text form for {type(expr).__name__}")
        return super()._print_Basic(expr)

    def _transposed(self, inner: str) -> str:
        mark = symbol_text(self.nt.transpose)
        return inner + ("ᵀ" if mark in TRANSPOSE_MARKS else script("^", mark))

    # -- leaves: the LaTeX NotationPrinter writes, read as text
    def _print_LayerSymbol(self, expr):
        return symbol_text(self._tex._print_LayerSymbol(expr))

    def _print_Indexed(self, expr):
        return symbol_text(self._tex._print(expr.base.label)) + script("_", layer_text(expr.indices[0]))

    def _print_Symbol(self, expr):
        if expr in (YHAT, Y, Z):
            return super()._print_Symbol(expr)
        if expr.name == EXAMPLE:
            return self._tex.example
        return SYMBOL_TEXT.get(expr.name) or symbol_text(expr.name)

    def _print_Dummy(self, expr):
        return expr._shown if isinstance(expr, RawText) else expr.name

    def _print_RawText(self, expr):
        return expr._shown

    def _print_OneMatrix(self, expr):
        return "𝟏" if expr.shape[0] != 1 else self._transposed("𝟏")

    def _print_ZeroMatrix(self, expr):
        return "0"

    # -- components
    def _subscript(self, base: str, indices) -> str:
        texts = [layer_text(x) if x.is_Add else self._print(x) for x in indices]
        idx = ",".join(texts) if any(not x.is_Atom for x in indices) else "".join(texts)
        if "/" in base or "∇" in base:  # a named gradient: take its component as a whole
            base = f"({base})"
        return base + script("_", idx)

    def _print_LayerEntry(self, expr):
        i, j = expr.indices
        rows, cols = expr.tensor.shape
        return self._subscript(self._print(expr.tensor), [i] if cols == 1 else ([j] if rows == 1 else [i, j]))

    def _print_BiasUnitEntry(self, expr):
        arg, i, _ = expr.args
        return self._subscript(self._print(arg), [i])

    def _print_ActEntry(self, expr):
        return f"{self._activation(expr.order)}({self._print(expr.arg)})"

    def _print_ExampleSumEntry(self, expr):
        arg, count = expr.args
        coeff, rest = arg.as_independent(*[a for a in arg.atoms(sp.Expr) if type(a).__name__ in ENTRIES])
        front = "" if coeff == 1 else self._coefficient(coeff) + " "
        return f"{front}Σ{script('_', self._tex.example + '=1')}{script('^', self._print(count))} " \
            + self.parenthesize(rest, 40)

    def _print_LocalEntry(self, expr):
        return f"∂{self._print(expr.of)}/∂{self._print(expr.wrt)}"

    def _print_ExprDerivative(self, expr):
        return f"∂/∂{self._print(expr.wrt)} [{self._print(expr.body)}]"

    def _print_LocalJacobian(self, expr):
        return f"∂{self._print(expr.of)}/∂{self._print(expr.wrt)}"

    def _print_Partial(self, expr):
        num, den = expr.args
        top = symbol_text(self.conv.objective(self.conv.delta_of)) if num == sp.Symbol("E") else self._print(num)
        return f"∂{top}/∂{self._print(den)}"

    def _print_KroneckerDelta(self, expr):
        i, j = expr.args
        return f"[{self._print(i)} = {self._print(j)}]"

    def _print_Sum(self, expr):
        def sign(index, lo, hi):
            if over_units(lo, hi):
                return f"Σ{script('_', self._print(index))}"
            return f"Σ{script('_', f'{self._print(index)}={self._print(lo)}')}{script('^', self._print(hi))}"
        signs = " ".join(sign(*limit) for limit in expr.limits)
        return f"{signs} {self.parenthesize(expr.function, 45)}"

    def _print_Pow(self, expr, rational=False):
        if type(expr.base).__name__ in (*ENTRIES, "RawText") and expr.exp.is_positive:
            base = self._print(expr.base)
            if any(c in base for c in "^_ "):  # a component already carries scripts: (a^L_j)^2
                return f"({base})^{self.parenthesize(expr.exp, 51)}"
        return super()._print_Pow(expr, rational)

    def _print_Mul(self, expr):
        if self._hadamard_depth:
            return self._entrywise_product(expr)
        if any(type(f).__name__ in ENTRIES or isinstance(f, sp.Sum) for f in expr.args):
            if sp.denom(expr) == 1:
                return self._reading_order(expr)
            if not expr.could_extract_minus_sign():
                num, den = sp.fraction(expr)
                return f"{self._operand(num)} / {self._operand(den)}"
        return super()._print_Mul(expr)

    def _entrywise_product(self, expr):
        """Inside an entrywise formula a product is a Hadamard product: (a^L - y) ⊙ a^L ⊙ (1 - a^L)."""
        if not expr.free_symbols:  # a number: 2 pi^(1/2)
            return super()._print_Mul(expr)
        if expr.could_extract_minus_sign():
            return "-" + self.parenthesize(-expr, 45)
        num, den = sp.fraction(expr)
        if den != 1:
            return f"{self._operand(num)} / {self._operand(den)}"
        coeff, factors = _constant_first(expr)
        sign = symbol_text(self.nt.hadamard)
        factors = sorted(factors, key=lambda f: (all(x.name != "y" for x in f.free_symbols), not f.is_Symbol))
        body = f" {sign} ".join(self.parenthesize(f, 45) if f.is_Add else self._print(f) for f in factors)
        if coeff == -1:
            return "-" + body
        return body if coeff == 1 else f"{self._print(coeff)} {body}"

    def _operand(self, x) -> str:
        s = self._print(x)
        return f"({s})" if x.is_Add or isinstance(x, sp.Sum) or (x.is_Mul and " " in s) else s

    def _reading_order(self, expr):
        """A product of components in the order books write it: Σ_k w_kj δ_k σ'(z_j)."""
        if expr.could_extract_minus_sign():
            return "-" + self._reading_order(-expr)
        coeff, factors = expr.as_coeff_mul()
        factors = sorted(factors, key=_reading_rank)
        parts = []
        for n, f in enumerate(factors):
            s = self._print(f)
            if f.is_Add or (isinstance(f, sp.Sum) and n < len(factors) - 1):
                s = f"({s})"
            parts.append(s)
        body = " ".join(parts)
        return body if coeff == 1 else f"{self._coefficient(coeff)} {body}"

    def _coefficient(self, c) -> str:
        """A scalar factor in front of a matrix: (1/m), (λ/m), 2."""
        num, den = sp.fraction(c)
        if den == 1:
            s = self._print(num)
            return f"({s})" if num.is_Add else s
        tight = [f"({self._print(x)})" if (x.is_Add or x.is_Mul) else self._print(x) for x in (num, den)]
        return f"({tight[0]}/{tight[1]})"

    # -- matrix operators in the convention's signs
    def _activation(self, order: int) -> str:
        return symbol_text(self.nt.sigma) + (symbol_text(self.nt.prime) if order else "")

    def _print_Elementwise(self, expr):
        return f"{self._activation(expr.order)}({self._print(expr.arg)})"

    def _grouped(self, expr, last: bool = False) -> bool:
        """Whether a matrix factor needs parentheses inside a product: sums, Hadamard products, a - b, and a
        sum over examples or a softmax product that other factors follow."""
        name = type(expr).__name__
        return (isinstance(expr, (sp.MatAdd, sp.HadamardProduct))
                or (name in ("SoftmaxBack", "ExampleSum") and not last)
                or (name == "Componentwise" and (expr.expr.is_Add or expr.expr.could_extract_minus_sign())))

    def _print_MatMul(self, expr):
        coeff, mats = expr.as_coeff_matrices()
        sign = ""
        if coeff.could_extract_minus_sign():
            sign, coeff = "-", -coeff
        parts = [] if coeff == 1 else [self._coefficient(coeff)]
        for n, m in enumerate(mats):
            s = self._print(m)
            grouped = self._grouped(m, last=n == len(mats) - 1) and (len(mats) > 1 or parts)
            # an entrywise product of matrices times another matrix: ((1 - y) ⊙ [m > 0]) 𝟏
            grouped = grouped or (len(mats) > 1 and isinstance(m, Componentwise) and _entrywise_product(m))
            parts.append(f"({s})" if grouped else s)
        return sign + " ".join(parts)

    def _print_MatAdd(self, expr):
        terms = _positive_first(list(expr.args))
        out = self._print(terms[0])
        for t in terms[1:]:
            out += f" - {self._print(-t)}" if t.could_extract_minus_sign() else f" + {self._print(t)}"
        return out

    def _print_HadamardProduct(self, expr):
        sign = symbol_text(self.nt.hadamard)
        args = sorted(expr.args, key=lambda a: type(a).__name__ == "Elementwise")
        parts = [f"({self._print(a)})" if isinstance(a, sp.MatMul) or self._grouped(a) else self._print(a)
                 for a in args]
        return f" {sign} ".join(parts)

    def _print_Transpose(self, expr):
        arg, inner = expr.arg, self._print(expr.arg)
        if isinstance(arg, WithBiasUnit):
            pass  # already bracketed: [1; a^(l)]ᵀ
        elif arg.is_Symbol or isinstance(arg, LayerSymbol):
            if any(c in inner for c in "^_ /"):
                inner = f"({inner})"
        else:
            inner = f"({inner})"
        return self._transposed(inner)

    def _print_Heaviside(self, expr):
        return f"[{self._print(expr.args[0])} > 0]"  # Heaviside's step H(m) as the bracket [m > 0]

    def _print_Componentwise(self, expr):
        subs = {k: RawText(str(k), f"({self._print(v)})" if _factor(expr, k) else self._print(v))
                for k, v in expr.bindings.items()}
        self._hadamard_depth += 1
        try:
            return self._print(expr.expr.xreplace(subs))
        finally:
            self._hadamard_depth -= 1

    def _print_SoftmaxBack(self, expr):
        s = self._print(expr.s)
        return (f"(diag({s}) - {s} {self._print(sp.Transpose(expr.s))}) ({self._print(expr.g)})"
                + (" for each example" if self.conv.layout != "column" else ""))

    def _print_WithBiasUnit(self, expr):
        return f"[1; {self._print(expr.arg)}]"

    def _print_DropBiasRow(self, expr):
        return f"[{self._print(expr.arg)}]_{{2:end}}"

    def _print_ZeroBiasColumn(self, expr):
        return f"[{self._print(expr.arg)}]_{{bias column = 0}}"

    def _print_ExampleSum(self, expr):
        coeff, rest = expr.arg.as_coeff_mmul() if hasattr(expr.arg, "as_coeff_mmul") else (1, expr.arg)
        front = "" if coeff == 1 else self._coefficient(coeff) + " "
        return f"{front}Σ{script('_', self._tex.example + '=1')}{script('^', self._print(expr.count))} " \
            + self._print(rest)


def _factor(expr, name) -> bool:
    r"""Whether a Componentwise formula's placeholder ``name`` is bound to a product of two or more matrices (1 M: the
    SVM's sum over the classes) and multiplies something entrywise: y \odot (1 M), in parentheses."""
    v = expr.bindings[name]
    return isinstance(v, sp.MatMul) and len(v.as_coeff_matrices()[1]) > 1 and any(
        name in m.args and any(not f.is_number for f in m.args if f != name)
        for m in sp.preorder_traversal(expr.expr) if isinstance(m, sp.Mul))


def _entrywise_product(expr) -> bool:
    """Whether a Componentwise formula multiplies two or more of its matrices (printed with the Hadamard sign)."""
    return expr.expr.is_Mul and sum(1 for f in expr.expr.args if f.free_symbols & set(expr.bindings)) > 1


# The notation a formula prints in when no convention is given: the Notation record's defaults.
GENERIC = Convention("generic", "derive's default notation")


def text(expr, conv: Convention | None = None) -> str:
    """A formula as plain text in ``conv``'s notation (the default notation without one).

    A scalar output-layer form prints per component, as the table writes it: (ŷ - y)·ŷ·(1 - ŷ).
    """
    if conv is None and not getattr(expr, "is_Matrix", False):
        return _TextPrinter().doprint(expr)
    return NotationText(conv or GENERIC).doprint(expr)


def _text_hook(expr, printer=None, **_settings) -> str:
    """``str()`` of a formula from ``in_notation``: SymPy's printer hands itself in; the formula's own
    convention decides, not the printer's settings."""
    return text(expr, expr._notation)


def _latex_hook(expr) -> str:
    """``_repr_latex_`` of a formula from ``in_notation``, as SymPy writes it for Jupyter."""
    return rf"$\displaystyle {latex(expr, expr._notation)}$"


def in_notation(expr, conv: Convention):
    """A copy of ``expr`` that prints in ``conv``'s notation: ``str()``/``repr()`` as text, ``_repr_latex_``.

    The copy is equal to ``expr``, of the same class, with the same arguments, and ``latex`` / ``text`` print
    it exactly as they print ``expr``. ``None`` stays ``None``; an object that cannot carry attributes is
    returned as it is. A pickled or deep-copied formula comes back bare (SymPy pickles the arguments only).
    """
    if expr is None:
        return None
    copy = expr.func(*expr.args)
    if type(copy) is not type(expr) or copy.args != expr.args or not hasattr(copy, "__dict__"):
        return expr
    copy._notation = conv
    copy._sympystr = types.MethodType(_text_hook, copy)
    copy._repr_latex_ = types.MethodType(_latex_hook, copy)
    return copy


def equations(d) -> list:
    """A Derivation's formulas as (name, left side, right side), each side an expression of ``d``'s layer."""
    lay, (l, L) = d.layer, sp.symbols("l L", integer=True)
    lhs = {"delta_out": lay.delta(L), "grad_act_out": lay.grad_act(L), "delta": lay.delta(l),
           "grad_act": lay.grad_act(l), "grad_act_from_delta": lay.grad_act(l), "delta_from_grad_act": lay.delta(l)}
    out = []
    for name, rhs in d.formulas().items():
        left = lhs.get(name) or LayerSymbol(name, l, *rhs.shape)  # grad_weight, grad_bias: named by the weight
        out.append((name, left, rhs))
    return out


def derivation_text(d) -> str:
    """Every formula of a Derivation as text in its convention's notation, one per line."""
    conv = d.problem.convention
    lines = [d.problem.label()]
    for name, left, right in equations(d):
        lines.append(f"  {name:20} {text(left, conv)} = {text(right, conv)}")
    return "\n".join(lines)


def derivation_latex(d) -> str:
    """Every formula of a Derivation as one LaTeX align* in its convention's notation (Jupyter's ``_repr_latex_``)."""
    conv = d.problem.convention
    rows = [f"{latex(left, conv)} &= {latex(right, conv)}" for _, left, right in equations(d)]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def derivation_markdown(d) -> str:
    """A Derivation in Markdown (Jupyter's ``_repr_markdown_``): its problem and every formula, in its convention's
    notation; ``derive.document(d)`` is the whole verified derivation."""
    conv = d.problem.convention
    lines = [f"**{d.problem.label()}**", ""]
    lines += [f"- {name}: ${latex(left, conv)} = {latex(right, conv)}$" for name, left, right in equations(d)]
    return "\n".join(lines) + "\n"


def output_latex(expr, conv: Convention) -> str:
    """An entrywise output-layer form in ``conv``'s notation, componentwise products as Hadamard."""
    from .layers import Layer
    return latex(Layer(conv).at_output(expr, sp.Symbol("L", integer=True)), conv)
