"""The meaning of a parsed formula about one layer kind (batch norm, layer norm, dropout) in a source's letters.

The tree comes from ``parse`` (one grammar for every formula); here each of its parts is given a meaning under
the kind's ``Letters`` or refused with the reason. The letters themselves are read by the same parser
(``parse_expr(r"\\sigma^{2}_{\\mathcal{B}}")``), so a symbol means a quantity when it is written as the source
writes it:

- the left side names one quantity: an adjoint (∂ℓ/∂x̂_i; in CS231n's letters also dx_{ij}, d\\gamma_j, dout,
  dgamma, dxhat) or a forward quantity (x̂_i = ...);
- the right side is an expression over the forward quantities, the parameters, ε (or the keep probability p),
  the sizes (m, N, D ...) and adjoints, with + - products quotients powers √ and sums;
- index letters are bound to axes by the position they take in a quantity's subscript (x_{ij}: i the example,
  j the feature), the same letter must keep its axis, a sum binds its letter for its body (which must use it)
  and its written limits must run over the whole axis (1 to the axis's size);
- an axis a source leaves implicit (Ioffe & Szegedy omit the feature) is the formula's own: the left side's
  index there. A formula with no index at all (dx = dout ⊙ r / p) is read entry by entry.
- a letter written squared in the source (σ²_B, the variance) makes the bare letter its root: σ_B is the
  standard deviation √(σ²_B), so σ_B^2 and σ^2_B both name the variance.

The right side's free indices the left side lacks are read for every value (∀): such a claim holds only if the
right side does not depend on them. Nothing of the text is evaluated: the result is built from SymPy nodes.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass

import sympy as sp

from ..errors import DeriveError
from ..layers.graph import AXES, AXIS_OF, SOURCE, KindGraph, Largest, Letters, adjoint_name
from . import ast

MARKS = {"B", "\\mathcal{B}"}       # the batch's mark on a statistic (μ_B, σ²_{\mathcal{B}}): part of its name
ALIASES = {"\\varepsilon": "\\epsilon"}  # two glyphs of one letter
# the functions a kind's formulas use (softmax's exp and log, an activation's tanh), by the names LaTeX gives them
FUNCTIONS = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "tanh": sp.tanh, "erf": sp.erf}  # erf: GELU's
CONSTANTS = {"\\pi": sp.pi}  # a letter that is a number wherever it has no index (GELU's sqrt(2/pi))
STACKED = ("q", "g")  # the axes of gates stacked side by side (an LSTM's 4H, a GRU's 3H)
AXIS_WORD = {"n": "the example", "k": "the feature", "j": "the output feature or key"}


_INDEX = re.compile(r"[A-Za-z]'*")  # an index letter, primed or not (j, j')


def axis_word(axis: str, letters: Letters) -> str:
    """An axis in words: the example, the feature ..., or by its size in the source's letters (the axis of W')."""
    return AXIS_WORD.get(axis) or f"the axis of {letters.sizes.get(axis, axis)}"


class LayerFormulaError(DeriveError):
    """A formula about a layer kind that cannot be given a meaning; the message says which part and why."""


class ShapeFailure(DeriveError):
    """A formula written as matrices whose shapes do not fit: it has a meaning, and it is wrong."""


def _refuse(message: str) -> LayerFormulaError:
    return LayerFormulaError(message)


@dataclass(frozen=True)
class LayerMeaning:
    """A claim ``lhs = rhs`` about one kind, in the kind's SymPy entries (indices ``layers.graph`` N, K)."""

    kind: KindGraph
    letters: Letters
    quantity: str                 # the node the left side names
    adjoint: bool                 # the left side is ∂ℓ/∂quantity (else the quantity's forward value)
    lhs: sp.Expr                  # its entry at the graph's free indices
    rhs: sp.Expr
    every: tuple                  # (index symbol, axis) the right side has free and the left side does not
    notes: tuple[str, ...] = ()
    where: tuple = ()             # (constant, value): the claim's condition on a stride or padding (if s = 1)

    @property
    def name(self) -> str:
        """The value the left side names, as ground truth keys it ("dx", "dgamma", "xhat")."""
        return adjoint_name(self.quantity) if self.adjoint else self.quantity

    @property
    def axes(self) -> str:
        return self.kind.node(self.quantity).axes

    def reads(self) -> set[str]:
        """The names of every array and scalar the right side reads."""
        out = {e.base.label.name for e in self.rhs.atoms(sp.Indexed)}
        return out | {s.name for s in self.rhs.free_symbols if isinstance(s, sp.Symbol) and not s.is_integer}

    def uses_adjoints(self) -> set[str]:
        """The adjoints the right side names, other than the output's."""
        return {n for n in self.reads() if n.startswith("d") and n != adjoint_name(self.kind.output)}


@dataclass(frozen=True)
class _Symbol:
    """What a letter of the source denotes: a quantity (``power`` > 1: the letter is its ``power``-th root)."""

    quantity: str
    power: int = 1


def arrays(kind: KindGraph) -> dict[str, str]:
    """Every array the kind's formulas read, with its axes (a node's, or one only a formula reads: the mask)."""
    out = {n.name: n.axes for n in kind.nodes}
    for node in kind.nodes:
        for expr in (node.forward, *(r.partial for r in node.reads)):
            if expr is None:
                continue
            for e in expr.atoms(sp.Indexed):
                if all(i in AXIS_OF for i in e.indices):  # a read at computed indices is of a node, listed above
                    out.setdefault(e.base.label.name, "".join(AXIS_OF[i] for i in e.indices))
    return out


def _parsed(text: str):
    from .parse import parse_expr
    return _plain_powers(parse_expr(text))


def _plain_powers(node):
    """σ^{2}_B as the parser reads it (a symbol with a plain numeric "layer") is a power: a single layer has no
    layers. Applied to the letters and to the user's tree alike."""
    if isinstance(node, ast.Sym) and node.layer is not None and node.layer.symbol is None \
            and node.layer.style == "plain":
        return ast.Pow(dataclasses.replace(node, layer=None), ast.Num(str(node.layer.offset)))
    if dataclasses.is_dataclass(node) and not isinstance(node, ast.Layer):
        return dataclasses.replace(node, **{f.name: _plain_powers(getattr(node, f.name))
                                            for f in dataclasses.fields(node) if f.init})
    return node


def _letter_key(node) -> tuple[str, int, bool] | None:
    """(base, power, marked) of a source's symbol: \\mu_{\\mathcal{B}} -> ("\\mu", 1, True); a name written with
    a subscript or a numbered superscript keeps it: W_{h} -> ("W_{h}", 1, False), h^{(0)} -> ("h^{(0)}", 1, False)."""
    power = 1
    if isinstance(node, ast.Pow) and isinstance(node.exp, ast.Num) and node.exp.value.isdigit():
        power, node = int(node.exp.value), node.base
    if not isinstance(node, ast.Sym):
        return None
    if node.layer is not None:
        name = _numbered(node)
        return None if name is None or node.indices else (name, power, False)
    indices = node.indices or ()
    if len(indices) == 1 and indices[0] not in MARKS and not isinstance(indices[0], ast.IndexExpr):
        return f"{node.base}_{{{indices[0]}}}", power, False
    if any(i not in MARKS for i in indices):
        return None
    return ALIASES.get(node.base, node.base), power, bool(indices)


def _numbered(node: ast.Sym) -> str | None:
    """The name of a symbol with a superscript, as one word: h^{(0)} (Goodfellow's initial state), and a source's
    layer marks on a single layer's quantities (z^{l}, \\delta^{l+1}, b^{l-1}: the letters a notation declares)."""
    lay = node.layer
    if lay is None:
        return None
    if lay.symbol is None and lay.style == "paren":
        return f"{node.base}^{{({lay.offset})}}"
    return _show(dataclasses.replace(node, indices=None))


class _Reader:
    """One claim's reading: the letters' table, the index letters' axes, the notes."""

    def __init__(self, kind: KindGraph, letters: Letters, elementwise: bool) -> None:
        self.kind, self.letters, self.elementwise = kind, letters, elementwise
        self.arrays = arrays(kind)
        self.symbols: dict[str, _Symbol] = {}
        self.marked: set[str] = set()  # quantities a source writes with the batch's mark
        for source in kind.letters:
            for name, text in source.symbols.items():
                key = _letter_key(_parsed(text))
                if key and key[2]:
                    self.marked.add(name)
        for name, text in letters.symbols.items():
            key = _letter_key(_parsed(text))
            if key is None:
                raise DeriveError(f"the {letters.source} letter of {name} ({text}) is not a symbol")
            self.symbols[key[0]] = _Symbol(name, key[1])
        self.names = {}  # a d-name other than d + symbol (dout) -> quantity
        for name, text in letters.names.items():
            key = _letter_key(_parsed(text))
            if key is not None and key[1] == 1:
                self.names[key[0]] = name
        self.sizes = {letters.sizes[a]: AXES[a][1] for a in AXES if a in letters.sizes}
        self.size_trees = {_parsed(text): size for text, size in self.sizes.items()}  # 4H, W', \\mathit{WW}
        self.size_forms = {}  # (base, subscripts) of each size as the grammar reads it: d_k is d with index k
        for text, size in self.sizes.items():
            node = _parsed(text)
            if isinstance(node, ast.Sym) and node.layer is None:
                self.size_forms[(ALIASES.get(node.base, node.base), tuple(node.indices or ()))] = size
        self.scalars = {s.name for s in kind.constants}
        self.constants = {s.name: s for s in kind.constants}  # a stride, a padding: integers in an index
        self.axis_of: dict[sp.Symbol, str] = {}
        for axis, (index, _) in AXES.items():
            self.axis_of[index] = axis
        self.lhs_mode = False
        self.lhs_letters: dict[str, sp.Symbol] = {}
        self.free: dict[str, sp.Symbol] = {}      # right-side letters the left side does not bind
        self.fresh = itertools.count(1)
        self.notes: list[str] = []
        self.shift = 1 - letters.base  # derive's index minus the notes' (1 where the notes count from 0)

    # ---------------------------------------------------------------- symbols
    def known(self) -> str:
        return ", ".join(sorted([self.letters.symbols[q] for q in self.letters.symbols if q != "loss"] +
                                list(self.letters.names.values())))

    def is_loss(self, node) -> bool:
        if not isinstance(node, ast.Sym) or node.layer is not None or node.indices:
            return False
        losses = {_parsed(L.symbols["loss"]) for L in (*self.kind.letters, self.letters) if "loss" in L.symbols}
        return any(isinstance(s, ast.Sym) and s.base == node.base for s in losses)

    def quantity_of(self, base: str) -> tuple[str, int, bool] | None:
        """(quantity, power, adjoint) the base of a symbol names, or None."""
        base = ALIASES.get(base, base)
        if base in self.symbols:
            s = self.symbols[base]
            return s.quantity, s.power, False
        if base in self.names:  # a letter of its own for an adjoint: CS231n's dout, Goodfellow's G, Nielsen's \delta
            return self.names[base], 1, True
        if self.letters.adjoint == "d":
            rest = base[1:] if base.startswith("d") else None
            if rest and rest in self.kind.names:
                return rest, 1, True          # dgamma, dxhat: d + the quantity's name (CS231n's code)
            if rest and rest in self.symbols and self.symbols[rest].power == 1:
                return self.symbols[rest].quantity, 1, True   # dx: d + the letter
        return None

    def index_symbol(self, letter: str, axis: str, scope: dict, written: str) -> sp.Symbol:
        if letter in scope:
            sym = scope[letter]
        elif self.lhs_mode:
            sym = AXES[axis][0]
            if any(s == sym for s in self.lhs_letters.values()):
                raise _refuse(f"the left side {written} uses two letters for {axis_word(axis, self.letters)}")
            self.lhs_letters[letter] = sym
            scope[letter] = sym
        else:
            sym = self.free.setdefault(letter, sp.Symbol(f"{letter}_free{next(self.fresh)}", integer=True,
                                                         positive=True))
        known = self.axis_of.get(sym)
        if known is None:
            self.axis_of[sym] = axis
        elif known != axis and AXES[known][1] != AXES[axis][1]:
            if not {known, axis} & set(STACKED):
                raise _refuse(f"index {letter} is {axis_word(known, self.letters)} elsewhere but "
                              f"{axis_word(axis, self.letters)} in {written}")
            # a gate read at the stacked index (an LSTM's i at q, as da = di ... hstacks them): past its end 0
            self.notes.append(f"index {letter} is {axis_word(known, self.letters)} but is read at "
                              f"{axis_word(axis, self.letters)} in {written}: an entry past its end reads as 0")
        return sym

    def entry(self, node: ast.Sym, scope: dict):
        """A symbol's value: a quantity's entry (or its root), an adjoint's, a scalar, a size."""
        written = _show(node)
        base = ALIASES.get(node.base, node.base)
        if base in CONSTANTS and not node.indices and node.layer is None and self.quantity_of(base) is None:
            return CONSTANTS[base]
        indices = list(node.indices or ())
        marks = [i for i in indices if i in MARKS]
        letters = [i for i in indices if i not in MARKS]
        if node.layer is None and (base, tuple(indices)) in self.size_forms:
            return self.size_forms[(base, tuple(indices))]
        numbered = _numbered(node)
        found = self.quantity_of(numbered) if numbered is not None else None
        if found is None:
            numbered, found = None, self.quantity_of(base)
        if found is None:
            if base == self.letters.prefix and self.letters.adjoint == "d":
                raise _refuse(f"{written}: {base} is read only before a quantity (d\\gamma_j, dx_{{ij}})")
            raise _refuse(f"unknown symbol {written} in {self.kind.name}'s {self.letters.source} letters "
                          f"(known: {self.known()})")
        quantity, power, adjoint = found
        if numbered:
            node = dataclasses.replace(node, layer=None)
        if quantity == "loss":
            raise _refuse(f"the loss {written} itself on the right side: a backward formula reads its adjoints")
        if marks and quantity not in self.marked:
            raise _refuse(f"subscript {marks[0]} on {written}: the batch's mark belongs to the statistics")
        if quantity in self.scalars or quantity not in self.arrays:
            if letters or node.layer is not None:
                raise _refuse(f"{written}: {quantity} is one number, it takes no index")
            return sp.Symbol(quantity, positive=True) if quantity in self.scalars else sp.Symbol(quantity)
        hidden = None
        if node.layer is not None:
            lay = node.layer
            if lay.symbol is None or lay.offset or lay.style != "paren":
                raise _refuse(f"superscript on {written}: a single layer has no layers (an index of an axis the "
                              "letters leave implicit is written ^{(j)})")
            hidden = lay.symbol
        value = self.bind(quantity, letters, hidden, scope, written, adjoint)
        return value if power == 1 else value ** sp.Rational(1, power)

    def bind(self, quantity: str, letters: list, hidden, scope: dict, written: str, adjoint: bool):
        axes = self.arrays[quantity]
        shown = [a for a in axes if a in self.letters.shown]
        implicit = [a for a in axes if a not in shown]
        for letter in letters + ([hidden] if hidden else []):
            if (isinstance(letter, ast.IndexExpr) or letter.isdigit()) and not self.lhs_mode:
                continue  # read below, from its tree (a number: that entry, h_{0} a_{1j})
            if not _INDEX.fullmatch(letter):
                where = "on the left side an index is a letter (it names the entry the formula gives)" \
                    if isinstance(letter, ast.IndexExpr) or self.lhs_mode \
                    else "an index is a letter or arithmetic of letters (a concrete entry is not read)"
                raise _refuse(f"index {letter} of {written}: {where}")
            if letter in self.sizes:
                raise _refuse(f"index {letter} of {written}: {letter} is a size in these letters")
        if hidden is not None:
            if len(implicit) != 1:
                raise _refuse(f"superscript ({hidden}) on {written}: it has no axis these letters leave implicit")
            pairs = list(zip(shown, letters)) + [(implicit[0], hidden)]
            if len(letters) != len(shown):
                raise _refuse(self._count(written, quantity, shown, letters))
        elif len(letters) == len(shown):
            pairs = list(zip(shown, letters))
        elif implicit and len(letters) == len(axes):
            pairs = list(zip(axes, letters))
        elif not letters and self.elementwise:
            pairs = []
        else:
            raise _refuse(self._count(written, quantity, shown, letters))
        if len({p[1] for p in pairs}) != len(pairs):
            raise _refuse(f"{written} uses one index letter for two axes")
        # a computed index or a number as the notes count (from letters.base), made derive's (from 1)
        at = {a: self.computed(letter.tree, scope, written) + self.shift if isinstance(letter, ast.IndexExpr)
              else sp.Integer(int(letter)) + self.shift if letter.isdigit()
              else self.index_symbol(letter, a, scope, written) for a, letter in pairs}
        idx = tuple(at.get(a, AXES[a][0]) for a in axes)
        for a in axes:
            if a not in at:
                self.axis_of.setdefault(AXES[a][0], a)
        return sp.IndexedBase(adjoint_name(quantity) if adjoint else quantity)[idx]

    def computed(self, tree, scope: dict, written: str):
        """A computed index's value (s(k - 1) + m - p, t + 1, j + 2H): index letters bound elsewhere, the sizes,
        the kind's integer constants (stride, padding) and whole numbers, with + - and products."""
        if isinstance(tree, ast.Num):
            return sp.Integer(int(tree.value))
        if isinstance(tree, ast.Neg):
            return -self.computed(tree.arg, scope, written)
        if isinstance(tree, ast.Bin):
            a, b = self.computed(tree.left, scope, written), self.computed(tree.right, scope, written)
            return a + b if tree.op == "+" else a - b if tree.op == "-" else a * b
        letter = tree.base
        if letter in scope:
            return scope[letter] - self.shift  # the index as the notes count it
        if (letter, ()) in self.size_forms:
            return self.size_forms[(letter, ())]
        found = self.quantity_of(letter)
        if found is not None and found[0] in self.constants:
            return self.constants[found[0]]
        if found is not None:
            raise _refuse(f"{letter} in the index of {written} is a quantity of the layer, not an index")
        if not _INDEX.fullmatch(letter):
            raise _refuse(f"{letter} in the index of {written} is not an index letter")
        return self.free.setdefault(letter, sp.Symbol(f"{letter}_free{next(self.fresh)}", integer=True,
                                                      positive=True)) - self.shift

    def kronecker(self, node: ast.Kronecker, scope: dict):
        """[u = s(k - 1) + m - p]: 1 where the two indices are equal, else 0."""
        written = _show(node)
        sides = []
        for side in (node.left, node.right):
            tree = side.tree if isinstance(side, ast.IndexExpr) else \
                ast.Num(side) if side.isdigit() else ast.Sym(side)
            sides.append(self.computed(tree, scope, written))
        return sp.KroneckerDelta(*sides)

    def _count(self, written: str, quantity: str, shown: list, letters: list) -> str:
        want = " and ".join(axis_word(a, self.letters) for a in shown) or "no index"
        return (f"{written} has {len(letters)} index{'es' if len(letters) != 1 else ''}; in {self.letters.source} "
                f"letters {quantity} takes {len(shown)} ({want})")

    # ---------------------------------------------------------------- expressions
    def expr(self, node, scope: dict):
        if node in self.size_trees:
            return self.size_trees[node]
        if isinstance(node, ast.Kronecker):
            return self.kronecker(node, scope)
        if isinstance(node, ast.Indicator):  # [x_t = y_i]: 1 where the two values are equal; [y > 0] where positive
            compare = {"=": sp.Eq, ">": sp.Gt, "<": sp.Lt, "≥": sp.Ge, "≤": sp.Le}[node.op]
            return sp.Piecewise((1, compare(self.expr(node.left, scope), self.expr(node.right, scope))), (0, True))
        if isinstance(node, ast.Num):
            return _number(node.value)
        if isinstance(node, ast.Sym):
            return self.entry(node, scope)
        if isinstance(node, ast.Neg):
            return -self.expr(node.arg, scope)
        if isinstance(node, ast.Bin):
            if node.op in ("matmul", "hadamard", "star"):
                return self.product(node, scope)
            a, b = self.expr(node.left, scope), self.expr(node.right, scope)
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "div":
                if b == 0:
                    raise _refuse("a division by zero")
                return a / b
            raise _refuse(f"operator {node.op} is not read in a layer's formula")
        if isinstance(node, ast.Pow):
            exp = self.expr(node.exp, scope)
            if not exp.is_Number:
                raise _refuse(f"the exponent {_show(node.exp)} is not a number")
            return self.expr(node.base, scope) ** exp
        if isinstance(node, ast.Sum | ast.Max):
            return self.total(node, scope)
        if isinstance(node, ast.Partial):
            return self.partial(node, scope)
        if isinstance(node, ast.Call) and node.fn in FUNCTIONS and not node.prime and node.layer is None:
            return FUNCTIONS[node.fn](self.expr(node.arg, scope))
        raise _refuse(f"{_describe(node)} has no meaning in a {self.kind.name} layer's formula")

    def product(self, node, scope: dict):
        """A product's factors, each a number; d before a quantity (CS231n's d\\gamma_j) is its adjoint."""
        factors = _factors(node)
        out, n = sp.Integer(1), 0
        while n < len(factors):
            f = factors[n]
            if self._prefix(f) and "d" not in self.sizes:
                if n + 1 == len(factors):
                    raise _refuse("d at the end of a product: d is read only before a quantity (d\\gamma_j)")
                out *= self.adjoint_of(factors[n + 1], scope)
                n += 2
                continue
            out *= self.expr(f, scope)
            n += 1
        return out

    def _prefix(self, f) -> bool:
        """``f`` is the adjoint's mark before a quantity (CS231n's d; a notation's \\delta)."""
        return (self.letters.adjoint == "d" and isinstance(f, ast.Sym) and f.base == self.letters.prefix
                and not f.indices and f.layer is None)

    def adjoint_of(self, node, scope: dict):
        value = self.expr(node, scope)
        if isinstance(value, sp.Indexed) and value.base.label.name in self.arrays \
                and value.base.label.name in self.kind.names:
            return sp.IndexedBase(adjoint_name(value.base.label.name))[value.indices]
        raise _refuse(f"the derivative by {_show(node)}: it is not a quantity of the {self.kind.name} layer")

    def partial(self, node: ast.Partial, scope: dict):
        if not self.is_loss(node.of) and self.lhs_mode:
            want = self.letters.symbols.get("loss", "the loss")
            raise _refuse(f"\\partial {_show(node.of)} on the left side: only the loss ({want}) is differentiated "
                          "there (a formula gives an adjoint or a forward quantity)")
        if not self.is_loss(node.of):
            return self.local(node, scope)
        for arg in node.given:  # J(V, K): what the loss depends on, named; each must be one of the layer's
            found = self.quantity_of(arg.base) if isinstance(arg, ast.Sym) and not arg.indices \
                and arg.layer is None else None
            if found is None or found[2] or found[0] == "loss" or found[0] not in self.arrays | self.constants:
                raise _refuse(f"the argument {_show(arg)} of the loss {_show(node.of)}: the loss's arguments name "
                              "the layer's quantities (J(V, K))")
        return self.adjoint_of(node.wrt, scope)

    def local(self, node: ast.Partial, scope: dict):
        """∂A/∂B of two quantities, A computed from B directly (∂y_i/∂γ, a chain rule's local factor): the partial
        the kind's graph keeps beside A's forward formula, at the written entries of A and B (0 where they differ on
        an axis they share). Read only where B reaches A by that read alone, so that the partial is the derivative
        whatever the source means by it; the loss's arguments and other quantities are refused with the reason."""
        want = self.letters.symbols.get("loss", "the loss")
        if node.given:
            raise _refuse(f"an argument list on {_show(node.of)}: only the loss ({want}) takes one")
        of, wrt = self.expr(node.of, scope), self.expr(node.wrt, scope)
        names = self.kind.names
        if not isinstance(of, sp.Indexed) or of.base.label.name not in names or \
                self.kind.node(of.base.label.name).forward is None:
            raise _refuse(f"\\partial {_show(node.of)} in a numerator: the loss ({want}) or a quantity the layer "
                          "computes is differentiated")
        if not isinstance(wrt, sp.Indexed) or wrt.base.label.name not in names:
            raise _refuse(f"the derivative of {_show(node.of)} by {_show(node.wrt)}: not a quantity of the "
                          f"{self.kind.name} layer")
        a, b = self.kind.node(of.base.label.name), self.kind.node(wrt.base.label.name)
        reads = [r for r in a.reads if r.source == b.name]
        if len(reads) != 1:
            raise _refuse(f"the local derivative {_show(node)}: {_show(node.of)} is not computed from "
                          f"{_show(node.wrt)} directly (write the chain rule's factors)")
        others = [r.source for r in a.reads if r.source != b.name and b.name in self.kind.ancestors(r.source)]
        if a.name in self.kind.ancestors(b.name):  # a recurrence: a[t] reads h[t - 1], which an earlier a made
            raise _refuse(f"the local derivative {_show(node)}: {_show(node.of)} and {_show(node.wrt)} feed each "
                          "other across the steps, so the partial and the total derivative differ (write which)")
        if others:
            via = self.letters.symbols.get(others[0], others[0])
            raise _refuse(f"the local derivative {_show(node)}: {_show(node.of)} depends on {_show(node.wrt)} through "
                          f"{via} as well, so the partial and the total derivative differ (write which)")
        read = reads[0]
        at_a = dict(zip(a.axes, of.indices))
        at_b = dict(zip(b.axes, wrt.indices))
        swap, factor = {}, sp.Integer(1)
        for axis, value in at_a.items():
            swap[AXES[axis][0]] = value
        for axis, value in at_b.items():
            if axis not in at_a:
                swap[AXES[axis][0]] = value
            elif axis in read.own:
                swap[SOURCE[axis]] = value
            else:
                factor *= sp.KroneckerDelta(at_a[axis], value)
        return factor * read.partial.xreplace(swap)

    def total(self, node, scope: dict):
        """Σ (or a max pool's max, ``ast.Max``) over an index letter's range, which its use or its limit names."""
        letter = node.index
        if not _INDEX.fullmatch(letter) or letter in self.sizes:
            raise _refuse(f"the sum's index {letter} is not an index letter")
        bound = sp.Symbol(f"{letter}_sum{next(self.fresh)}", integer=True, positive=True)
        body = self.expr(node.body, {**scope, letter: bound})
        axis = self.axis_of.get(bound)
        if axis is None and body.has(bound) and node.upper is not None:
            # Σ_{u=1}^{PW} over a tap read only inside computed indices: the range its upper limit names
            upper = self.expr(node.upper, scope) + self.shift
            axis = next((a for a in self.letters.sizes if AXES[a][1] == upper), None)
            if axis is not None:
                self.axis_of[bound] = axis
        if axis is None and body.has(bound):
            raise _refuse(f"the sum over {letter}: {letter} appears only inside computed indices or brackets, so "
                          "what it runs over is not known")
        if axis is None:
            raise _refuse(f"the sum over {letter}: its body has no index {letter}")
        size = AXES[axis][1]
        first = self.letters.base
        if node.lower is not None and self.expr(node.lower, scope) != first:
            raise _refuse(f"the sum over {letter} starts at {_show(node.lower)}: {letter} is "
                          f"{axis_word(axis, self.letters)}, counted from {first}")
        if node.upper is not None and sp.simplify(self.expr(node.upper, scope) + self.shift - size) != 0:
            want = self.letters.sizes.get(axis, str(size)) + (" - 1" if first == 0 else "")
            raise _refuse(f"the sum over {letter} ends at {_show(node.upper)}: {letter} is "
                          f"{axis_word(axis, self.letters)}, which runs to {want}")
        return (Largest if isinstance(node, ast.Max) else sp.Sum)(body, (bound, 1, size))

    # ---------------------------------------------------------------- a formula without indices: matrices
    def matrix_axes(self, value) -> tuple:
        """The axes an entry spans as a matrix: its written (shown) axes in the quantity's order."""
        if not isinstance(value, sp.Indexed):
            return ()
        return tuple(a for a in (AXIS_OF.get(i) for i in value.indices) if a is not None and a in self.letters.shown)

    def shape_words(self, axes: tuple) -> str:
        return " by ".join(self.letters.sizes.get(a, a) for a in axes) or "a number"

    def shaped(self, node, scope: dict) -> tuple:
        """(entry, axes) of a formula written without indices, read as matrix algebra: a symbol is its array (rows
        and columns its written axes), juxtaposition and \\cdot a matrix product where the inner axes chain (else
        entrywise where the shapes are equal, else a shape failure), ⊙ and * entrywise, ^T a transpose."""
        if isinstance(node, ast.Transpose):
            value, axes = self.shaped(node.arg, scope)
            if len(axes) > 2:
                raise _refuse(f"a transpose of {_show(node.arg)}, which has {len(axes)} axes")
            return value, axes[::-1]
        if isinstance(node, ast.Neg):
            value, axes = self.shaped(node.arg, scope)
            return -value, axes
        if isinstance(node, ast.Bin) and node.op == "matmul":
            return self.chain(_matmul_factors(node), scope)
        if isinstance(node, ast.Bin) and node.op in ("+", "-", "hadamard", "star", "div"):
            (a, ax), (b, bx) = self.shaped(node.left, scope), self.shaped(node.right, scope)
            if node.op == "div" and bx:
                raise ShapeFailure(f"a division by {_show(node.right)}, a {self.shape_words(bx)} array")
            if ax and bx and ax != bx:
                raise ShapeFailure(f"{_show(node)} combines a {self.shape_words(ax)} array with a "
                                   f"{self.shape_words(bx)} one entry by entry")
            if node.op == "div" and b == 0:
                raise _refuse("a division by zero")
            value = a + b if node.op == "+" else a - b if node.op == "-" else a / b if node.op == "div" else a * b
            return value, ax or bx
        if isinstance(node, ast.Pow):
            value, axes = self.shaped(node.base, scope)
            exp = self.expr(node.exp, scope)
            if not exp.is_Number:
                raise _refuse(f"the exponent {_show(node.exp)} is not a number")
            return value ** exp, axes
        if isinstance(node, ast.Call) and node.fn in FUNCTIONS and not node.prime and node.layer is None:
            value, axes = self.shaped(node.arg, scope)
            return FUNCTIONS[node.fn](value), axes
        if isinstance(node, ast.Sum):
            raise _refuse("a sum in a formula written without indices: its index has nothing to bind")
        value = self.expr(node, scope)
        return value, self.matrix_axes(value)

    def chain(self, factors: list, scope: dict) -> tuple:
        """A product written side by side, left to right: scalars scale; two arrays whose inner axes chain (P's
        keys with V's keys) multiply as matrices, a sum over the shared axis; CS231n's d before a quantity is its
        adjoint."""
        value, axes, n, ones = sp.Integer(1), (), 0, False
        while n < len(factors):
            f = factors[n]
            if _ones(f):  # A 1: the sums over A's last axis (its rows' sums); 1^T A: over A's first
                row = isinstance(f, ast.Transpose)
                if axes and not row:
                    value, axes = self._summed(value, axes[-1]), axes[:-1]
                elif not axes and row and not ones:
                    ones = True
                else:
                    raise _refuse(f"a vector of ones {ast.ONES} here makes an outer product (a broadcast), which is "
                                  "not read: A 1 sums A's rows, 1^T A its columns")
                n += 1
                continue
            if self._prefix(f) and n + 1 < len(factors):
                after, flip = factors[n + 1], False
                if isinstance(after, ast.Transpose):  # \delta A^T: the adjoint of A, transposed
                    after, flip = after.arg, True
                b = self.adjoint_of(after, scope)
                bx, n = self.matrix_axes(b), n + 2
                bx = bx[::-1] if flip else bx
            else:
                b, bx = self.shaped(f, scope)
                n += 1
            if ones and bx:
                b, bx, ones = self._summed(b, bx[0]), bx[1:], False
            if not axes or not bx:
                value, axes = value * b, axes or bx
                continue
            inner, first = axes[-1], bx[0]
            if inner == first or AXES[inner][1] == AXES[first][1]:
                bound = sp.Symbol(f"contracted{next(self.fresh)}", integer=True, positive=True)
                term = value.xreplace({AXES[inner][0]: bound}) * b.xreplace({AXES[first][0]: bound})
                result = axes[:-1] + bx[1:]
                if len(set(result)) != len(result):
                    raise _refuse("a matrix product whose result has one axis twice")
                value, axes = sp.Sum(term, (bound, 1, AXES[inner][1])), result
                self.axis_of[bound] = inner
            elif axes == bx:
                self.notes.append("a product of two arrays of one shape written side by side is read entry by entry "
                                  "(their shapes do not chain as a matrix product)")
                value = value * b
            else:
                raise ShapeFailure(f"a product of a {self.shape_words(axes)} array and a {self.shape_words(bx)} "
                                   "one: the inner sizes differ (a transpose may be missing)")
        if ones:
            raise _refuse(f"a vector of ones {ast.ONES} with no array beside it to sum")
        return value, axes

    def _summed(self, value, axis: str):
        """``value`` summed over ``axis`` (its index there the axis's own, as an array's entry has it)."""
        bound = sp.Symbol(f"contracted{next(self.fresh)}", integer=True, positive=True)
        self.axis_of[bound] = axis
        return sp.Sum(value.xreplace({AXES[axis][0]: bound}), (bound, 1, AXES[axis][1]))

    # ---------------------------------------------------------------- the claim
    def condition(self, claim: ast.Claim) -> tuple:
        """A condition on one of the kind's constants written after the formula (\\text{if } s = 1, (s = 1),
        \\text{for } \\mathrm{stride} = 1): ((constant, value),), judged on the inputs where it holds. Any other
        condition is refused; other prose after the formula (a tag, a remark) claims nothing."""
        text = claim.condition or claim.annotation
        if not text:
            return ()
        plain = re.sub(r"\\(?:text|textrm|mbox|hbox)\s*\{([^{}]*)\}", r" \1 ", text)
        plain = re.sub(r"\\(?:q?quad|[,;:! ])(?![A-Za-z])|[(),.]", " ", plain).strip()
        m = re.fullmatch(r"(?:(?:if|for|when|where|with|only|at)\s+)*(.+?)\s*=\s*([0-9]+)", plain, re.IGNORECASE)
        constant = None
        if m is not None:
            try:
                node = _parsed(m.group(1))
            except DeriveError:
                node = None
            found = self.quantity_of(node.base) if isinstance(node, ast.Sym) and not node.indices else None
            if found is None and re.fullmatch(r"[A-Za-z]+", m.group(1)):
                found = self.quantity_of(m.group(1))
            if found is not None and found[0] in self.constants:
                constant = self.constants[found[0]]
        if constant is None or m is None:
            if claim.condition:
                raise _refuse(f"the condition {claim.condition}: a layer's formula takes a condition on a constant "
                              "only (if s = 1)")
            return ()
        return ((constant, int(m.group(2))),)

    def claim(self, claim: ast.Claim) -> LayerMeaning:
        if claim.op not in ("=", ":="):
            raise _refuse(f"relation {claim.op}: a formula about a layer claims lhs = rhs")
        where = tuple(self.letters.fixed) + self.condition(claim)
        scope: dict = {}
        self.lhs_mode = True
        lhs = self.expr(_plain_powers(claim.lhs), scope)
        self.lhs_mode = False
        quantity, adjoint = self.named(lhs, claim.lhs)
        if claim.shape is not None:  # \in \mathbb{R}^{M \times d}: the left side's written axes, in order
            stated = tuple(self.expr(d, {}) for d in claim.shape)
            want = self.matrix_axes(lhs) if self.elementwise else ()  # an entry is a number
            if stated != tuple(AXES[a][1] for a in want):
                raise ShapeFailure(f"the stated shape {' by '.join(_show(d) for d in claim.shape) or 'a number'} "
                                   f"is not {_show(claim.lhs)}'s, {self.shape_words(want)}")
        if self.elementwise:  # no index anywhere: the arrays as matrices (products chain, ⊙ entrywise, ^T)
            rhs, axes = self.shaped(_plain_powers(claim.rhs), scope)
            want = self.matrix_axes(lhs)
            if axes and axes != want:
                raise ShapeFailure(f"the right side is {self.shape_words(axes)}, the left side "
                                   f"{self.shape_words(want)}" + (": a transpose is missing or extra"
                                                                   if sorted(axes) == sorted(want) else ""))
        else:
            rhs = self.expr(_plain_powers(claim.rhs), scope)
        if not isinstance(rhs, sp.Expr):
            raise _refuse("the right side is not a number")
        lhs_free = set(lhs.indices) if isinstance(lhs, sp.Indexed) else set()
        rhs = self.one_example(rhs, lhs_free)
        unplaced = sorted(letter for letter, s in self.free.items() if s not in self.axis_of)
        if unplaced:
            raise _refuse(f"index {unplaced[0]} appears only inside computed indices or brackets: what it runs over "
                          "is not known (name it in a plain position, or sum over it)")
        found = self._every(rhs, lhs_free)
        rhs = rhs.xreplace({s: AXES[self.axis_of[s]][0] for s, _ in found if s in self._renamed})
        every = tuple((AXES[a][0], a) if s in self._renamed else (s, a) for s, a in found)
        notes = list(dict.fromkeys(self.notes))
        if every:
            words = ", ".join(axis_word(a, self.letters) for _, a in every)
            notes.append(f"the right side depends on {words}, which the left side does not name: read for every "
                         "value (a sum over it may be missing)")
        notes += [f"judged only where {c.name} = {v}, as the {why} says: on the drawn inputs with that {c.name}"
                  for c, v in where for why in ["notation" if (c, v) in self.letters.fixed else
                                                "condition after the formula"]]
        if self.letters.base != 1:
            notes.append(f"indices counted from {self.letters.base}, as the notation says")
        return LayerMeaning(self.kind, self.letters, quantity, adjoint, lhs, rhs, every, tuple(notes), where)

    def one_example(self, rhs, lhs_free: set):
        """A formula written for one example, in letters that leave the example implicit, about a quantity the
        examples share (a kernel, a bias): each example's loss adds, so the batch's gradient is the sum over the
        examples of the formula's right side. Read so only where it is unambiguous: the formula writes no example
        index at all, and every quantity of the forward pass is an example's own (no statistic over the batch)."""
        n = AXES["n"][0]
        if "n" in self.letters.shown or n in lhs_free or n not in rhs.free_symbols:
            return rhs
        if any(axis == "n" and s != n for s, axis in self.axis_of.items()):
            return rhs  # an example index written somewhere: the formula is not one example's
        if any("n" not in node.axes for node in self.kind.nodes if node.forward is not None):
            return rhs  # a statistic over the batch (batch norm's mean): the examples do not add
        bound = sp.Symbol(f"example{next(self.fresh)}", integer=True, positive=True)
        self.axis_of[bound] = "n"
        self.notes.append("the formula names no example: it is read for one example, and the gradient of what the "
                          "examples share as the sum of each example's (the loss adds over the examples)")
        return sp.Sum(rhs.xreplace({n: bound}), (bound, 1, AXES["n"][1]))

    def _every(self, rhs, lhs_free: set) -> list:
        """The right side's free indices the left side lacks, with their axes; a placeholder whose axis the left
        side lacks and whose axis's own index is unused is renamed to it (``_renamed``)."""
        free = [s for s in rhs.free_symbols if s.is_integer and s not in lhs_free and s in self.axis_of]
        free.sort(key=lambda s: s.name)
        self._renamed: set = set()
        own = {index for index, _ in AXES.values()}
        taken = {self.axis_of[s] for s in free if s in own}
        lhs_axes = {self.axis_of[s] for s in lhs_free}
        for s in free:
            axis = self.axis_of[s]
            if s not in own and axis not in taken and axis not in lhs_axes:
                self._renamed.add(s)
                taken.add(axis)
        return [(s, self.axis_of[s]) for s in free]

    def named(self, lhs, written) -> tuple[str, bool]:
        nodes = self.kind.names
        if isinstance(lhs, sp.Indexed):
            name = lhs.base.label.name
            if name in nodes:
                return name, False
            if name.startswith("d") and name[1:] in nodes:
                return name[1:], True
        raise _refuse(f"the left side {_show(written)} names no quantity of the {self.kind.name} layer "
                      "(an adjoint such as \\frac{\\partial \\ell}{\\partial x_i}, or a forward quantity)")


def _number(text: str):
    if re.fullmatch(r"[0-9]+", text):
        return sp.Integer(int(text))
    m = re.fullmatch(r"([0-9]*)\.([0-9]+)", text)
    if m:
        return sp.Rational(int(m.group(1) or "0") * 10 ** len(m.group(2)) + int(m.group(2)), 10 ** len(m.group(2)))
    raise _refuse(f"number {text} is not read")


def _ones(node) -> bool:
    """``node`` is a vector of ones, \\mathbf{1} (or its transpose)."""
    node = node.arg if isinstance(node, ast.Transpose) else node
    return isinstance(node, ast.Sym) and node.base == ast.ONES and not node.indices and node.layer is None


def _matmul_factors(node) -> list:
    """The factors of a product written side by side or with \\cdot, in order (⊙ and * stay inside)."""
    if isinstance(node, ast.Bin) and node.op == "matmul":
        return _matmul_factors(node.left) + _matmul_factors(node.right)
    return [node]


def _factors(node) -> list:
    """The factors of a product in the order written (a product of numbers: ⊙, *, juxtaposition alike)."""
    if isinstance(node, ast.Bin) and node.op in ("matmul", "hadamard", "star"):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _show(node) -> str:
    from .unparse import latex
    try:
        return latex(node)
    except Exception:  # noqa: BLE001 - a message's quotation: any node we cannot print is named by its class
        return type(node).__name__


def _describe(node) -> str:
    what = {ast.Call: "a function call", ast.Transpose: "a transpose", ast.Entry: "an entry of an expression",
            ast.Slice: "a slice", ast.Kronecker: "a Kronecker delta", ast.Nabla: "a gradient \\nabla",
            ast.Derivative: "a derivative operator", ast.BiasUnit: "a bias unit"}.get(type(node), type(node).__name__)
    return f"{what} ({_show(node)})"


def _indexed_anywhere(node, sizes: dict) -> bool:
    """Whether any symbol of the tree writes an index letter or a sum binds one (a size's own subscript, d_k, is
    part of its name)."""
    for _, x in ast.walk(node):
        if isinstance(x, ast.Sum):
            return True
        if isinstance(x, ast.Sym) and x.layer is None and (ALIASES.get(x.base, x.base), tuple(x.indices or ())) \
                in sizes:
            continue
        if isinstance(x, ast.Sym) and (any(i not in MARKS for i in (x.indices or ())) or
                                       (x.layer is not None and x.layer.symbol is not None)):
            return True
    return False


def read(claim: ast.Claim, kind: KindGraph, letters: Letters) -> LayerMeaning:
    """The claim's meaning about ``kind`` in ``letters``; a LayerFormulaError says what cannot be read."""
    reader = _Reader(kind, letters, False)
    reader.elementwise = not any(_indexed_anywhere(side, reader.size_forms) for side in (claim.lhs, claim.rhs))
    return reader.claim(claim)
