"""A parsed formula given meaning under a convention: its left side names a quantity, its right side
becomes a shaped expression of ``algebra`` nodes (vector form) or a scalar expression of components.

Symbols are looked up in the convention's own notation first, then in family aliases (W or w, E/C/J/L for
the cost, sigma/g/f/phi/h for the activation) where the convention does not use that letter for something
else: Goodfellow's a is a pre-activation, Bishop's z an activation. Elementwise arithmetic (Hadamard, +, -,
1 - a, powers, functions) collapses into one ``Componentwise`` node, so shapes are checked once, by name.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import mpmath
import sympy as sp
from sympy.matrices.expressions import HadamardProduct, MatrixExpr, OneMatrix, Transpose

from ..activations import ACTIVATION_ALIASES, ACTIVATIONS, VectorActivation
from ..algebra import (
    BiasUnitEntry,
    Componentwise,
    DropBiasRow,
    Elementwise,
    ExampleSum,
    ExampleSumEntry,
    ExprDerivative,
    LayerEntry,
    LayerSymbol,
    LocalEntry,
    LocalJacobian,
    ShapeMismatch,
    WithBiasUnit,
    ZeroBiasColumn,
    _eval,
    check_shapes,
    same_size,
    sym,
)
from ..errors import DeriveError
from ..layers import Layer, SingleNeurons
from ..problem import Problem
from ..symbols import LAMBDA, L, l
from . import ast
from .ast import ONES

if TYPE_CHECKING:  # read.py sets Meaning.where; meaning itself never reads conditions
    from .conditions import Condition

# written as a derivative's numerator; a calligraphic capital is the same cost ({\cal C} in lecture slides)
COSTS = {"C", "E", "J", "L", "\\mathcal{L}", "\\mathcal{C}", "\\mathcal{E}", "\\mathcal{J}", "\\ell"}
LOSS_LETTERS = {"L", "\\mathcal{L}", "\\ell"}  # a batch's summed losses where the cost has another letter
PER_EXAMPLE = {"x", "n", "i", "t"}  # C_x (Nielsen), E_n (Bishop), L_i (CS231n): one example's loss
FUNCTION_LETTERS = {"\\sigma", "g", "f", "h", "\\phi", "\\varphi"}


def _function_names() -> dict:
    """The activations' names as notes write them, from the registry: each name, its LaTeX (\\tanh,
    \\operatorname{GELU} read as GELU) and its aliases, matched in any case; Octave's sigmoidGradient is the
    derivative. A generic letter (σ, g, f) is never a name: it is the convention's activation."""
    out: dict = {"sigmoidgradient": ("sigmoid", 1)}
    for name, act in ACTIVATIONS.items():
        written = {name, act.latex, act.latex.removeprefix("\\operatorname{").removesuffix("}")}
        out |= {w.lower(): name for w in written if w not in FUNCTION_LETTERS}
    return out | {alias: name for alias, name in ACTIVATION_ALIASES.items()}


FUNCTION_NAMES = _function_names()
# letters that name the same thing in related sources: used only where the convention leaves them free
FAMILY = {"W": "W", "w": "W", "\\Theta": "W", "\\theta": "W", "b": "b", "z": "z", "Z": "z", "a": "a", "A": "a",
          "h": "a", "x": "x", "X": "x", "y": "y", "Y": "y", "t": "y", "\\hat{y}": "out", "P": "out",
          "\\delta": "delta", "dZ": "delta", "dz": "delta", "dA": "grad_act", "da": "grad_act",
          "dW": "grad_weight", "dw": "grad_weight", "D": "grad_weight", "db": "grad_bias",
          # Octave (Ng's ex4): Theta2, delta3 / d3, a2, z2
          "Theta": "W", "delta": "delta", "d": "delta",
          "y^*": "y", "Y^*": "y"}  # y^* (a batch: Y^*) is the target in every source (never Bishop's output y)
SCALARS = {"m": "batch", "N": "batch", "\\lambda": "lambda"}
LOGS = {"ln", "log"}  # \ln and \log, the natural logarithm of a loss
WEIGHTS = ("W", "grad_weight", "accumulated")  # the quantities shaped as a weight, written with its subscripts
FORWARD = {"z", "a", "out"}          # numerators of local derivatives, d z / d w and d a / d z
LOCAL_WRT = {"z", "a", "out", "x", "W", "b"}  # what they may be taken with respect to


class MeaningError(DeriveError):
    """The formula parsed but does not name a quantity this convention knows."""


@dataclass
class Meaning:
    """What a claim says: the quantity on the left, its layer, and both sides as expressions."""

    quantity: str          # delta, delta_out, grad_act, grad_act_out, grad_weight, grad_bias
    layer: sp.Expr         # the layer (label expression in l or L) the left side is about
    lhs: sp.Basic          # LayerSymbol or a component (LayerEntry, LocalEntry); a forward claim's COST, LOSS ...
    rhs: sp.Basic          # MatrixExpr, or a scalar SymPy expression of components
    indices: tuple = ()    # free component indices of the left side
    notes: list = field(default_factory=list)
    depth: int | None = None  # judge on networks of this depth only
    hidden: tuple = ()     # layers (in l) where a function letter is the hidden activation: judged where hidden
    factor: sp.Expr = sp.Integer(1)  # the left side is this times the convention's quantity (dls: dJ/dZ = dZ/m)
    whole: tuple | None = None  # [M]_{i,j} on the left: (M, row, column), the expression whose entry ``lhs`` is
    where: Condition | None = None  # on the free indices: the claim is judged only where it holds


class Compiler:
    """Turns syntax-tree nodes into expressions for one Problem."""

    def __init__(self, problem: Problem):
        self.problem, self.conv = problem, problem.convention
        self.lay = SingleNeurons(self.conv) if problem.single_neurons else Layer(self.conv)
        self.notes: list[str] = []
        self.numerator: bool | None = None  # the layout a formula with Jacobians is read in (see _vector_rhs)
        self.depth: int | None = None  # a formula written for one network depth (Bishop's i, j, k)
        self.hidden: set = set()  # layers in l where a function letter was read as the hidden activation
        self.last = L  # the output layer: a concrete label when the formula is about one network
        self.resolving = False  # True while a component formula's function argument is read as a vector
        nt = self.conv.notation
        own = {nt.weight: "W", nt.bias: "b", nt.pre: "z", nt.act: "a", nt.input: "x", nt.target: "y"}
        for name, kind in [(nt.delta, "delta"), (nt.grad_act, "grad_act"), (nt.grad_weight, "grad_weight"),
                           (nt.grad_bias, "grad_bias"), (nt.accumulator or "", "accumulated")]:
            base = name.replace("^@", "").replace("@", "")
            if base.isalpha() or base.startswith("\\") and "{" not in base:
                own[base] = kind
        if nt.output:
            own[nt.output] = "out"
        self.letters = dict(own)
        for letter, kind in FAMILY.items():
            self.letters.setdefault(letter, kind)

    def about_depth(self, depth: int | None) -> None:
        """Read the formula as about one network of ``depth`` layers (its output a concrete label), or any (None)."""
        self.depth = depth
        self.last = L if depth is None else sp.Integer(depth + self.conv.input_layer)

    # ---- symbols
    def layer(self, lay: ast.Layer | None, default=None):
        if lay is None:
            if default is None:
                raise MeaningError("a layer superscript is missing")
            return default
        if lay.symbol is None:
            return sp.Integer(lay.offset)
        base = self.last if lay.symbol == "L" else l
        return base + lay.offset

    def kind(self, sym: ast.Sym) -> str:
        kind = self.letters.get(sym.base)
        if kind is None:
            raise MeaningError(f"unknown symbol {sym.base} in the {self.conv.name} convention")
        return kind

    def tensor(self, sym: ast.Sym):
        sym = self.normalise(sym)
        kind, lay = self.kind(sym), self.lay
        if kind == "out":
            return lay.a(self.last if sym.layer is None else self.layer(sym.layer))
        if kind == "x":
            return lay.a(sp.Integer(self.conv.input_layer))
        if kind == "y":
            return lay.y(self.last)
        at = self.layer(sym.layer)
        fed = at - self.conv.offset(kind)  # a parameter's index is its name: Ng's Theta^(l), UFLDL's b^(l) feed l+1
        if kind == "W":
            return lay.W(fed)
        if kind == "b":
            return lay.b(fed)
        if kind in ("grad_weight", "grad_bias", "accumulated"):  # a gradient (or Ng's Delta, shaped as the weight)
            return LayerSymbol(kind, fed, *(lay.b(fed) if kind == "grad_bias" else lay.W(fed)).shape)
        return {"z": lay.z, "a": lay.a, "delta": lay.delta, "grad_act": lay.grad_act}[kind](at)

    def normalise(self, sym: ast.Sym) -> ast.Sym:
        """Layers written in other ways: Octave's delta_3 / z_2, Bishop's index letters, z_j^2 as a power."""
        letters = self.conv.notation.unit_letters
        if sym.layer is None and sym.indices and len(sym.indices) == 1 and sym.indices[0].isdigit() \
                and self.letters.get(sym.base) in ("delta", "a", "z", "W", "b"):
            return ast.Sym(sym.base, ast.Layer(None, int(sym.indices[0]), "suffix"))
        if letters and sym.layer is None and sym.indices and self.letters.get(sym.base) not in ("out", "y"):
            first = sym.indices[self.to_unit(sym.base)]
            if first in letters:  # the unit's letter is its layer (a weight: the layer it feeds)
                at = self.conv.input_layer + letters.index(first)
                self.depth = len(letters) - 1  # the letters describe a network of exactly this depth
                return ast.Sym(sym.base, ast.Layer(None, at, "letter"), sym.indices)
        return sym

    def to_unit(self, base: str) -> int:
        """Which subscript of ``base`` names the unit it feeds: the first, except a weight written from_to."""
        weight = self.letters.get(base) in WEIGHTS
        return -1 if weight and self.conv.weight_indices == "from_to" else 0

    def weight_entry(self, tensor, idx: list, base: int):
        """Component (row, column) of a matrix written with subscripts ``idx`` (a weight's in its order)."""
        if tensor.kind in WEIGHTS and self.conv.weight_indices == "from_to":
            idx = idx[::-1]
        return LayerEntry(tensor, idx[0] - base, idx[1])  # a weight's column index counts the bias as 0

    def broadcast(self, e):
        """A bias vector added to a batch as the convention's forward pass adds it (b 1^T, 1 b); else ``e``."""
        if self.conv.layout == "column" or e.is_scalar:
            return e
        m = e.matrix()
        if isinstance(m, LayerSymbol) and m.kind == "b":
            return Elem.of(self.lay.layout.broadcast(m, self.lay.rows))
        return e

    def is_forward(self, of) -> bool:
        """Whether a derivative's numerator is a forward quantity (z, a, the output), not the cost."""
        return isinstance(of, ast.Sym) and self.letters.get(of.base) in FORWARD and of.base not in COSTS

    def cost_written(self, of, given: tuple = ()) -> bool:
        """Check a derivative's numerator names the cost; True if it is written per example (C_x, E_n, C_0).

        A lowercase l is the loss only with its argument list (l(f(x), y)); alone it is the layer letter.
        """
        own = self.conv.notation.cost
        own_base, _, own_index = own.partition("_")
        loss_l = isinstance(of, ast.Sym) and of.base == "l" and bool(given)
        if not isinstance(of, ast.Sym) or (of.base not in COSTS and of.base != own_base and not loss_l):
            what = unparse_sym(of) if isinstance(of, ast.Sym) else "this numerator"
            raise MeaningError(f"the derivative of {what} is not a gradient of the cost: derive checks "
                               f"derivatives of the cost {own} (\\partial {own} / \\partial ...)")
        if of.layer is not None:
            raise MeaningError(f"the superscript on the cost {unparse_sym(of)} is not used: the cost has no layer")
        if of.indices is None:
            return False
        # C_0, the cost of the example the formulas are written for (3Blue1Brown's notation), is one example's loss
        # where a network holds one example (in a batch it is one column of many); _compile refuses it beside another
        # example. Another number (C_1) names one example among several, and is refused as before.
        numbered = of.indices == ("0",) and self.one_example()
        if len(of.indices) != 1 or of.indices[0] not in PER_EXAMPLE and not numbered:
            raise MeaningError(f"the subscript {','.join(of.indices)} on the cost {of.base} is not used: only "
                               f"one example's loss ({of.base}_x, {of.base}_n, {of.base}_i, {of.base}_0 where the "
                               "formulas are of one example) is read")
        return True

    def one_example(self) -> bool:
        """Whether the convention's formulas are of one example (its networks hold one)."""
        from ..network import default_m
        return default_m(self.conv) == 1

    def objective(self, of, given: tuple = ()) -> str | None:
        """Which objective a derivative's numerator names (conventions.SCALES): "example" for one example's loss
        (C_x, E_n) or a batch's losses summed (dls's \\mathcal{L}), "cost" for a batch's reduced cost (dls's J,
        with the 1/m); None where the letter names the convention's own objective for every gradient."""
        if of is not None and self.cost_written(of, given):
            return "example"
        conv = self.conv
        if conv.layout == "column":  # every formula is about one example: C is that example's cost (Nielsen)
            return None
        if of is None:  # \\nabla_{W^l} with no cost after it: the gradient of the cost
            return "cost"
        if of.base == conv.notation.cost.partition("_")[0]:
            return "cost"
        if of.base == conv.notation.loss or of.base in LOSS_LETTERS:  # dL/dZ: the loss, as its letter says
            return "example"
        if conv.delta_of == conv.grad_of:  # the convention's gradients all have one objective: any cost letter
            return None
        raise MeaningError(f"in the {conv.name} convention {conv.notation.cost} is the cost (with the "
                           f"1/{conv.notation.batch}) and {conv.notation.loss} the sum of the examples' losses; "
                           f"{of.base} is neither: write {conv.notation.cost} or {conv.notation.loss}")

    def gradient_symbol(self, node):
        """A gradient written on the right side: \\partial C/\\partial a^l, \\nabla_a C, as (the convention's
        symbol, its written indices, the factor between them: dJ/dZ is (1/m) dZ in dls)."""
        quantity, at, symbol, indices, factor = quantity_of(node, self)
        return symbol, indices, factor

    def width(self, sym) -> sp.Expr | None:
        """A layer's width written as the convention's letter with the layer as its subscript (n_L, n_{l+1},
        s_2): the number of that layer's units; None for any other symbol."""
        parts = ast.limit_parts(sym) if isinstance(sym, ast.Sym) and sym.indices else None
        if parts is None or parts[0] != self.conv.notation.width or parts[1] is None or parts[2] != 0 \
                or parts[1].symbol not in (None, "l", "L"):  # n_j is no layer's width
            return None
        return self.lay.n(self.layer(parts[1]))

    def activation_derivative(self, node) -> MatrixExpr | None:
        """\\frac{\\partial \\sigma}{\\partial z^l}, \\nabla_{z^l} g: an activation letter differentiated by its own
        layer's pre-activation, the derivative sigma'(z^l) entrywise; None where the numerator is not a function
        letter. Any other denominator is refused: only z^l is the activation's argument."""
        of, wrt = node.of, node.wrt
        if not isinstance(of, ast.Sym) or of.base not in FUNCTION_LETTERS or of.base in self.letters:
            return None
        written = of.base
        if of.layer is not None or of.indices or node.given:
            raise MeaningError(f"the derivative of {unparse_sym(of)} is read as the activation's derivative only as "
                               f"the bare letter (\\frac{{\\partial {written}}}{{\\partial z^l}})")
        if not isinstance(wrt, ast.Sym) or self.letters.get(wrt.base) != "z" or wrt.layer is None or wrt.indices:
            raise MeaningError(f"the derivative of the activation {written} is read by its own layer's "
                               f"pre-activation only (\\frac{{\\partial {written}}}{{\\partial z^l}} = "
                               f"{written}'(z^l), entrywise)")
        z = self.tensor(wrt)
        name = self.activation_at(z)
        if _vector_valued(name):
            raise MeaningError(_jacobian_message(name))
        return Elementwise(name, z, 1)

    # ---- vector form
    def vector(self, node) -> Elem:
        if isinstance(node, ast.Partial) and self.is_forward(node.of):
            if self.numerator is None:  # a layout is tried only for a gradient's formula (see _vector_rhs)
                raise MeaningError("a chain-rule factor such as \\frac{\\partial a^l}{\\partial z^l} is read in "
                                   "the formula of a gradient only: write the forward pass with its parameters")
            return Elem.of(self.jacobian(node))
        if isinstance(node, ast.Nabla) and self.is_forward(node.of):
            raise MeaningError("a Jacobian inside a vector formula is not read yet: write the chain rule in "
                               "components (\\frac{\\partial a^l_j}{\\partial z^l_j} ...)")
        if isinstance(node, ast.Partial | ast.Nabla) and (derivative := self.activation_derivative(node)) is not None:
            return Elem.of(derivative)
        if isinstance(node, ast.Partial | ast.Nabla):
            symbol, indices, factor = self.gradient_symbol(node)
            if indices:
                raise MeaningError("a component on the right of a vector formula")
            return Elem.of(self.in_layout(symbol)).map(lambda e: factor * e)
        if isinstance(node, ast.Sym) and node.base == ONES and node.layer is None and node.indices is None:
            self.batch_written("a vector of ones \\mathbf{1} (over the examples)")
            return Elem.of(OneMatrix(self.lay.batch, 1))  # 1 sums over the examples: dZ 1, 1^T dZ, b 1^T
        if isinstance(node, ast.BiasUnit):
            return Elem.of(WithBiasUnit(self.vector(node.arg).matrix()))
        if isinstance(node, ast.ZeroBiasColumn):
            return Elem.of(ZeroBiasColumn(self.vector(node.arg).matrix()))
        if isinstance(node, ast.Entry):
            raise MeaningError("a component of an expression on the right of a vector formula: write the left side "
                               "with its components too, e.g. \\delta^l_j")
        if isinstance(node, ast.Kronecker):
            raise MeaningError("an Iverson bracket [i = j] compares component indices: it belongs in a component "
                               "formula (write the left side with its components, e.g. \\delta^l_j)")
        if isinstance(node, ast.Sym):
            if node.base in SCALARS and node.indices is None and node.layer is None:
                return Elem.scalar(self.scalar_symbol(node.base))
            if (units := self.width(node)) is not None:  # 1/n_L: a layer's width, a number
                return Elem.scalar(units)
            # Octave's delta_3 is a layer, a_1 is not; indices the normalised symbol keeps are node's own
            if (subscripts := self.normalise(node).indices) and not self.resolving:
                written = unparse_sym(ast.Sym(node.base, node.layer))
                raise MeaningError(f"the subscript {','.join(subscripts)} on {written} is not used: in a vector "
                                   "formula every symbol is a whole vector or matrix (write the left side with "
                                   "components too, e.g. \\delta^L_j)")
            return Elem.of(self.tensor(node))
        if isinstance(node, ast.Num):
            return Elem.scalar(number(node.value))
        if isinstance(node, ast.Neg):
            return self.vector(node.arg).map(lambda e: -e)
        if isinstance(node, ast.Bin):
            a, b = self.vector(node.left), self.vector(node.right)
            op = node.op
            if op == "star":  # elementwise where the source writes it so (deeplearning.ai); Octave's * multiplies
                op = "hadamard" if self.conv.notation.hadamard == "*" else "matmul"
            if op == "matmul" and not (a.is_scalar or b.is_scalar):
                return Elem.of(self.product(a.matrix(), b.matrix()))
            if op in ("+", "-") and not (a.is_scalar or b.is_scalar):  # Z = W A + b: b added to every example
                a, b = self.broadcast(a), self.broadcast(b)
            combine = {"+": sp.Add, "-": lambda x, y: x - y, "hadamard": sp.Mul, "matmul": sp.Mul,
                       "div": lambda x, y: x / y}[op]
            return Elem.combine(a, b, combine, self)
        if isinstance(node, ast.Transpose):
            return Elem.of(Transpose(self.vector(node.arg).matrix()))
        if isinstance(node, ast.Pow):
            base, exp = self.vector(node.base), self.vector(node.exp)
            if not exp.is_scalar:
                raise MeaningError("an exponent must be a number")
            return base.map(lambda e: e ** exp.expr)
        if isinstance(node, ast.Call):
            return Elem.of(self.call(node))
        if isinstance(node, ast.Slice):
            if node.start != 2:
                raise MeaningError("only the bias row can be dropped (2:end)")
            return Elem.of(DropBiasRow(self.vector(node.arg).matrix()))
        if isinstance(node, ast.Sum):
            # a sum over examples: dZ 1 (columns) or 1^T dZ (rows); dZ^{[l](i)} names example i of the sum.
            # Written limits must be every example: 1..m (counted from 1, as (i) is) or 0..m-1; m or N
            if not _over_examples(node, self, written=False):
                written = f"{'' if node.lower is None else unparse_sym(node.lower)}.." \
                          f"{'' if node.upper is None else unparse_sym(node.upper)}"
                batch = self.conv.notation.batch
                raise MeaningError(f"the sum's limits {written} are not the examples; derive checks sums over "
                                   f"all {batch} examples (write \\sum_{{{node.index}=1}}^{{{batch}}} or "
                                   f"\\sum_{{{node.index}}})")
            self.batch_written(f"the sum over {node.index}, the examples")
            body = _drop_index(node.body, {node.index, f"({node.index})"})
            inner = self.vector(body).matrix()
            rows, cols = inner.shape
            if self.conv.layout == "column":  # one example per column vector: each example's value, summed
                return Elem.of(ExampleSum(inner, self.lay.batch))
            if self.conv.layout == "row_batch":
                return Elem.of(OneMatrix(1, rows) * inner)
            return Elem.of(inner * OneMatrix(cols, 1))
        if isinstance(node, ast.Derivative):
            raise MeaningError("the derivative of an expression is read in a component formula: write it with the "
                               "components, e.g. \\delta^L_j = \\frac{\\partial}{\\partial z^L_j} \\left[ ... \\right]")
        if isinstance(node, ast.Indicator | ast.Max):
            raise MeaningError(VALUE_BRACKET if isinstance(node, ast.Indicator) else MAX_OVER)
        raise MeaningError(f"cannot use {type(node).__name__} on the right-hand side")

    def jacobian(self, node: ast.Partial) -> LocalJacobian:
        """A chain-rule factor d u / d v in a vector formula (da^L/dz^L, dz_2/dh) as a matrix of one example's
        derivatives, each of u and v a vector or a number (or v a weight and u a number), in the layout the formula
        is being read in (``numerator``: see ``_vector_rhs``, which tries both)."""
        written = f"\\frac{{\\partial {unparse_sym(node.of)}}}{{\\partial {unparse_sym(node.wrt)}}}"
        if not isinstance(node.wrt, ast.Sym) or self.letters.get(node.wrt.base) not in LOCAL_WRT:
            raise MeaningError("a local derivative is taken with respect to z, a, the input or a weight or bias")
        if any(self.normalise(s).indices for s in (node.of, node.wrt)):
            raise MeaningError(f"the subscripts in {written} are not used: in a vector formula a derivative is of "
                               "whole vectors (write every factor with components to have it read in components)")
        X, Y = self.tensor(node.of), self.tensor(node.wrt)
        if Y.kind == "W" and not _number(Y) and not _number(X):
            raise ShapeMismatch(f"{written}, a derivative of a vector by a matrix, has three indices (one of "
                                f"{unparse_sym(node.of)}'s and two of {unparse_sym(node.wrt)}'s), so a product with it "
                                "is not a matrix product")
        if self.conv.layout != "column" or not self.one_example():
            raise MeaningError(f"{written} of a batch has four indices (an example's and a unit's in each): derive "
                               "reads a Jacobian of one example's vectors, in a convention whose formulas are of one "
                               "example; write the chain rule in components (\\frac{\\partial a^l_j}{\\partial "
                               "z^l_j} ...)")
        if X.kind == "a" and Y.kind == "z" and same_size(X.layer, Y.layer) and (
                not X.layer.has(L) or _symmetric_jacobian(self.problem.output.name)):
            # an activation's Jacobian (diagonal entrywise, diag(s) - s s^T for softmax) is symmetric: its two layouts
            # are one matrix, so the layout a product is read in does not decide anything (log-softmax's
            # I - 1 (e^a)^T is not)
            return LocalJacobian(X, Y, denominator=False)
        return LocalJacobian(X, Y, denominator=not self.numerator)

    def in_layout(self, G):
        """A gradient of the cost as the layout being read writes it: as the convention shapes it (that of its
        variable), or in numerator layout a row (by a vector) or the transpose of its matrix (by a weight)."""
        if not self.numerator or _number(G) or G.kind != "grad_weight" and same_size(G.shape[0], 1):
            return G
        return Transpose(G)

    def scalar_symbol(self, name):
        if SCALARS[name] == "batch":
            self.batch_written(f"the number of examples {name}")
            return self.lay.batch
        if not self.conv.l2:  # lambda would be 0 on every network: its term could not count
            raise MeaningError(f"{name} (L2 regularisation) is not part of the {self.conv.name} convention's cost, "
                               "so its term would be checked as 0; name the regularised cost: a derive directive "
                               "l2=0.1 (with grad_of=cost for a batch), or l2 in a convention file")
        return LAMBDA

    def batch_written(self, what: str) -> None:
        """Refuse a batch quantity where the convention's formulas are of one example (its networks hold one, so
        a 1/m or a sum over the examples would be checked as 1 and could not count)."""
        if self.one_example():
            raise MeaningError(f"{what} has no value in the {self.conv.name} convention, whose formulas are for one "
                               "example; for a batch gradient name it: a derive directive grad_of=cost")

    def product(self, A, B):
        try:
            expr = _times(A, B)
            check_shapes(expr)
            return expr
        except ShapeMismatch:
            if self.conv.bias != "unit":
                raise
        # Ng: a^(l) in a product with delta carries the bias unit a_0 = 1 (the course adds it before Delta)
        fixed = B.xreplace({t: WithBiasUnit(t) for t in B.atoms(LayerSymbol) if t.kind == "a"})
        check_shapes(_times(A, fixed))
        self.notes.append("a^(l) is taken with its bias unit a_0 = 1, as the course adds it")
        return _times(A, fixed)

    def call(self, node: ast.Call):
        prime = node.prime
        if node.fn.lower() in FUNCTION_NAMES and node.fn not in FUNCTION_LETTERS:
            name = FUNCTION_NAMES[node.fn.lower()]
            if isinstance(name, tuple):
                name, prime = name[0], prime + name[1]
        elif node.fn in FUNCTION_LETTERS:
            name = None
        else:
            raise MeaningError(f"unknown function {node.fn}")
        if node.arg is None:  # Wikipedia's (f^l)': f' evaluated at z^l
            arg = self.lay.z(self.layer(node.layer))
        else:
            arg = self.vector(node.arg).matrix()
            if node.layer is not None:  # (f^l)'(z^l): the function's own layer must be its argument's
                at = self.layer(node.layer)
                layers = {t.layer for t in arg.atoms(LayerSymbol) if t.kind in ("z", "a")}
                if layers != {at}:
                    raise MeaningError(f"the function {node.fn}^{self.conv.sup(str(at))} is applied to a quantity of "
                                       "another layer; its superscript would not be used")
        if name is None:
            name = self.activation_at(arg)
        if prime > 1:
            raise MeaningError("second derivatives are not part of backprop")
        if _vector_valued(name) and prime:
            raise MeaningError(_jacobian_message(name))
        if _vector_valued(name) and not self.resolving:  # a map of each example's whole vector
            return Softmax(name, arg, 0, self.lay.layout.class_axis)
        return Elementwise(name, arg, prime)

    def activation_at(self, arg) -> str:
        """The activation a function letter stands for: the output one at layer L, else the hidden one."""
        layers = {t.layer for t in arg.atoms(LayerSymbol) if t.kind in ("z", "a")}
        if layers and all(x.has(L) for x in layers):
            return self.problem.output.name
        generic = {x for x in layers if x.has(l)}
        if generic - self.hidden:  # sigma'(z^{l+1}) is the hidden activation's: a claim about hidden layers l+1
            self.hidden |= generic
            shown = ", ".join(sorted(str(x).replace(" ", "") for x in self.hidden))
            note = f"the activation letter at layer {shown} is the hidden activation: judged where {shown} is hidden"
            self.notes[:] = [n for n in self.notes if not n.startswith("the activation letter at layer")] + [note]
        return self.problem.hidden.name


def _vector_valued(name: str) -> bool:
    """Whether the registry's activation of this name maps a whole vector (softmax, log-softmax)."""
    return not ACTIVATIONS[name].elementwise


@functools.cache
def _symmetric_jacobian(name: str) -> bool:
    """Whether the activation's Jacobian is symmetric: an elementwise one's (diagonal) and softmax's are."""
    rec = ACTIVATIONS[name]
    if not isinstance(rec, VectorActivation):
        return True
    s = sp.symbols("s0:2")
    return sp.simplify(rec.jac_out(s, 0, 1) - rec.jac_out(s, 1, 0)) == 0


def _jacobian_message(name: str) -> str:
    rec = ACTIVATIONS[name]
    assert isinstance(rec, VectorActivation), "only a vector-valued activation has a Jacobian of its own"
    return f"{name}'s derivative is a Jacobian (${rec.jacobian}$), not an entrywise factor"


class Softmax(Elementwise):
    """softmax(Z) or log-softmax(Z), a vector-valued activation of the registry by name: each example's vector
    mapped along the units' axis (``axis``, the layout's class axis), never entrywise. Printed and shape-checked as
    an activation; evaluated by its own rule below."""

    def __new__(cls, name, arg, order, axis):
        return MatrixExpr.__new__(cls, sp.Symbol(str(name)), arg, sp.Integer(order), sp.Integer(axis))

    axis = property(lambda self: int(self.args[3]))


@_eval.register
def _(expr: Softmax, env):
    z = _eval(expr.arg, env)
    rows, cols = (z.rows, z.cols) if expr.axis == 0 else (z.cols, z.rows)
    at = (lambda k, t: (k, t)) if expr.axis == 0 else (lambda k, t: (t, k))
    out = mpmath.matrix(z.rows, z.cols)
    for t in range(cols):
        values = _vector_function(expr.name, rows)(*[z[at(k, t)] for k in range(rows)])  # the registry's definition
        for k in range(rows):
            out[at(k, t)] = values[k]
    return out


@functools.cache
def _vector_function(name: str, rows: int):
    zs = sp.symbols(f"z0:{rows}")
    return sp.lambdify(zs, ACTIVATIONS[name].f(list(zs)), "mpmath")


class Elem:
    """An elementwise expression under construction: a scalar formula over placeholder-bound matrices."""

    def __init__(self, expr, binds: dict):
        self.expr, self.binds = expr, binds

    @classmethod
    def of(cls, matrix) -> Elem:
        p = sp.Dummy("m")
        return cls(p, {p: matrix})

    @classmethod
    def scalar(cls, value) -> Elem:
        return cls(sym(value), {})

    @property
    def is_scalar(self) -> bool:
        return not self.binds

    def map(self, fn) -> Elem:
        return Elem(fn(self.expr), self.binds)

    @staticmethod
    def combine(a: Elem, b: Elem, fn, compiler: Compiler) -> Elem:
        binds = a.binds | b.binds
        shapes = {p: m.shape for p, m in binds.items()}
        if len({tuple(s) for s in shapes.values()}) > 1 and compiler.conv.bias == "unit":
            binds = _drop_bias_rows(binds, compiler)
        return Elem(fn(a.expr, b.expr), binds)

    def matrix(self) -> MatrixExpr:
        if not self.binds:
            raise MeaningError("a number where a vector or matrix was expected")
        if len(self.binds) == 1 and self.expr in self.binds:
            return self.binds[self.expr]
        out = Componentwise(self.expr, self.binds)
        check_shapes(out)
        if isinstance(self.expr, sp.Mul) and all(isinstance(f, sp.Dummy) for f in self.expr.args):
            return HadamardProduct(*[self.binds[f] for f in self.expr.args])
        return out


def _drop_bias_rows(binds: dict, compiler: Compiler) -> dict:
    """Ng: (Theta^(l))^T delta^(l+1) has s_l + 1 rows, the first for the bias unit; the course drops it."""
    rows = [m.shape[0] for m in binds.values()]
    fixed = {}
    for p, m in binds.items():
        if any(same_size(m.shape[0], r + 1) for r in rows):
            fixed[p] = DropBiasRow(m)
            note = "the bias component of (Theta^(l))^T delta^(l+1) must be dropped, as the course does (delta(2:end))"
            if note not in compiler.notes:
                compiler.notes.append(note)
        else:
            fixed[p] = m
    return fixed


# ---------------------------------------------------------------- the left-hand side
def quantity_of(lhs, c: Compiler):
    """(quantity, layer, LayerSymbol, written indices, factor) named by a left-hand side: the value written is
    ``factor`` times the convention's symbol (a derivative of the cost where the convention's symbol is of the
    examples' losses: dls's dJ/dZ is (1/m) dZ)."""
    node = lhs
    named = None
    if isinstance(node, ast.Partial | ast.Nabla):
        wrt = node.wrt
        # \nabla_{W^l} and \nabla W^l with no cost after them: the gradient of the cost
        named = c.objective(None if isinstance(node, ast.Nabla) and node.of is None else node.of, node.given)
        if not isinstance(wrt, ast.Sym):
            raise MeaningError("the derivative must be taken with respect to one symbol")
        kind = {"W": "grad_weight", "b": "grad_bias", "z": "delta", "a": "grad_act", "out": "grad_act"}.get(c.kind(wrt))
        if kind is None:
            raise MeaningError(f"a derivative with respect to {wrt.base} is not a backprop quantity")
        # J(W, b; x, y), J(\Theta), L(\hat{y}, y): the cost's argument list is notation for the cost, read only
        # when it names parameters and data (and, for a weight's or a bias's gradient, that parameter)
        for arg in node.given:
            if isinstance(arg, ast.Call):  # l(f(x), y): the network's function of its input is its output
                assert isinstance(arg.arg, ast.Sym)  # parse's arglist admits a function of a plain symbol only
                if c.letters.get(arg.arg.base) != "x":
                    raise MeaningError(f"the cost's argument {unparse_sym(arg)} is a function of "
                                       f"{unparse_sym(arg.arg)}, not of the input: only the network's output "
                                       "f(x) is read there")
                continue
            output = c.letters.get(arg.base) == "a" and arg.layer is not None and arg.layer.symbol == "L" \
                and arg.layer.offset == 0
            if arg.indices or c.letters.get(arg.base) not in ("W", "b", "x", "y", "out") and not output:
                raise MeaningError(f"the cost's argument list names its parameters and data, as in J(W, b; x, y): "
                                   f"{unparse_sym(arg)} is neither; write the cost without it")
        if node.given and c.kind(wrt) in ("W", "b") and c.kind(wrt) not in {c.letters.get(a.base) for a in node.given
                                                                          if isinstance(a, ast.Sym)} \
                and not any(isinstance(a, ast.Call) for a in node.given):  # f(x) depends on every parameter
            raise MeaningError(f"the derivative is by {unparse_sym(wrt)} but the cost is written as a function of "
                               f"{', '.join(unparse_sym(a) for a in node.given)} only; write the cost without its "
                               "arguments, or with them all (J(W, b; x, y))")
        _given_layers(node.given, wrt, c)
        sym = wrt
    elif isinstance(node, ast.Sym):
        kind = c.kind(node)
        if kind not in ("delta", "grad_act", "grad_weight", "grad_bias", "accumulated"):
            raise MeaningError(f"the left-hand side {node.base} is not a gradient: write delta, dW, dC/dw, ...")
        sym = node
    else:
        raise MeaningError("the left-hand side must name one quantity: delta^l, dW, dC/dw^l_{jk} ...")
    sym = c.normalise(sym)
    indices = sym.indices  # Octave's delta_2: the "index" was the layer
    bare = sym.layer is None and isinstance(node, ast.Partial | ast.Nabla)  # Nielsen's \nabla_a C is at L
    if bare and kind == "grad_weight" and c.conv.weight_offset:  # Theta^{(L)} would feed no layer
        raise MeaningError(f"the derivative by {unparse_sym(sym)} needs the weight's layer ({c.conv.notation.weight}"
                           f"^{c.conv.sup('l')}): without one it is the gradient of every layer's weights")
    default = c.last if c.kind(sym) == "out" or bare else None
    at = c.layer(sym.layer, default=default)
    at = at - c.conv.offset(kind)  # a parameter's index names it; it feeds layer index - offset
    lay = c.lay
    symbol = {"delta": lambda: lay.delta(at), "grad_act": lambda: lay.grad_act(at),
              "grad_bias": lambda: LayerSymbol("grad_bias", at, *lay.b(at).shape),
              "grad_weight": lambda: LayerSymbol("grad_weight", at, *lay.W(at).shape),
              "accumulated": lambda: LayerSymbol("accumulated", at, *lay.W(at).shape)}[kind]()
    factor = sp.Integer(1)
    own = c.conv.grad_of if kind in ("grad_weight", "grad_bias") else c.conv.delta_of
    if named == "example" and own == "cost":
        what = "one example's loss" if node.of.indices else "the sum of the examples' losses"
        raise MeaningError(f"the numerator {unparse_sym(node.of)} is {what}, but in the {c.conv.name} convention "
                           f"this gradient is of the cost {c.conv.notation.cost} (with the "
                           f"1/{c.conv.notation.batch}); write {c.conv.notation.cost}")
    if named == "cost" and own == "example":
        factor = sp.Integer(1) * c.problem.reduction.scale(lay.batch, lay.n(L))
        note = (f"{c.conv.notation.cost} is {factor} times the sum of the examples' losses {c.conv.notation.loss}: "
                f"a derivative of {c.conv.notation.cost} is read as {factor} times the convention's gradient")
        if note not in c.notes:
            c.notes.append(note)
    if kind in ("delta", "grad_act") and at == c.last:
        kind += "_out"
    return kind, at, symbol, indices, factor


def _given_layers(given: tuple, wrt: ast.Sym, c: Compiler) -> None:
    """A cost written as a function of some layers' parameters, C(W^L): the derivative must be by one of them
    (a weight of layer L), or the argument list would not be used (C(W^{L-1}) by w^L_{jk} is refused)."""
    layered = [a for a in given
               if isinstance(a, ast.Sym) and a.layer is not None and c.letters.get(a.base) in ("W", "b")]
    if not layered:
        return
    at = lambda s: (c.letters.get(s.base), c.layer(c.normalise(s).layer))
    if c.letters.get(wrt.base) in ("W", "b") and wrt.layer is not None and at(wrt) in {at(a) for a in layered}:
        return
    raise MeaningError(f"the cost is written as a function of {', '.join(unparse_sym(a) for a in layered)} only, "
                       f"but the derivative is by {unparse_sym(wrt)}; write the cost without its arguments, or with "
                       "the parameter the derivative is by")


# ---------------------------------------------------------------- component form
def number(text: str) -> sp.Rational:
    """An exact number from the parser's digits ("2", "0.5"): read by Fraction, never by SymPy's parser."""
    value = Fraction(text)
    return sp.Rational(value.numerator, value.denominator)


VALUE_BRACKET = ("an Iverson bracket of two values ([x = y], max pooling's routing; [y > 0], ReLU's step) is read in a "
                 "layer's formula only (--layer maxpool1d ...); a network's formula compares indices, [i = j], and a "
                 "value in a condition after it (\text{for } a^l > 0)")
MAX_OVER = ("a max over an index (\\max_{u}, a max pool's forward) is read in a layer's formula only (--layer "
            "maxpool1d ...)")
_OFFSET = re.compile(r"([A-Za-z]+)([+-])([0-9]+)")


def index_expr(text: str) -> sp.Expr:
    """An index as written: "j", "j+1", "k-1", "0". A network's formula takes no computed one (s(k-1)+m-p is a
    layer kind's, read by ``layer_meaning``): it is refused, never read in part."""
    written, text = text, text.replace(" ", "")
    if (m := _OFFSET.fullmatch(text)) is not None:
        return sp.Symbol(m.group(1), integer=True) + (int(m.group(3)) if m.group(2) == "+" else -int(m.group(3)))
    if isinstance(written, ast.IndexExpr) or any(op in text for op in "+-*'"):
        raise MeaningError(f"the index {text} is computed: a network's formula takes a letter, a number or a letter "
                           "plus or minus a number (computed indices are read for a layer kind, --layer)")
    return sp.Integer(int(text)) if text.isdigit() else sp.Symbol(text, integer=True)


def component(c: Compiler, node):
    """A scalar SymPy expression of components (LayerEntry), sums over units made explicit. In a batch layout a
    quantity's two indices are its matrix's (unit and example, as the convention stores it: Z_{jt}, A_{tj})."""
    base = 1 if c.conv.bias == "unit" else 0  # Ng counts units from 1; column 0 of Theta is the bias unit
    if isinstance(node, ast.Partial | ast.Nabla) and c.is_forward(node.of):
        return LocalEntry(*(_entry_of(c, x, "a local derivative") for x in (node.of, node.wrt)))
    if isinstance(node, ast.Derivative):
        return _expression_derivative(c, node)
    if isinstance(node, ast.Partial | ast.Nabla):
        symbol, indices, factor = c.gradient_symbol(node)
        if not indices:
            raise MeaningError("a vector on the right of a component formula")
        name = node.wrt.base if isinstance(node.wrt, ast.Sym) else "the gradient"
        return factor * _component_entry(c, symbol, ast.Sym(name, None, indices))
    if isinstance(node, ast.Sym):
        if (units := c.width(node)) is not None:  # 1/n_L: a layer's width, a number
            return units
        if node.indices is None:
            if node.base in SCALARS and node.layer is None:
                return c.scalar_symbol(node.base)
            raise MeaningError(f"{node.base} needs a component index here (the left side is a component)")
        if c.conv.notation.unit_letters and node.layer and node.layer.symbol is None:
            # Bishop writes no layers: z_j^2 is a square
            return component(c, ast.Pow(ast.Sym(node.base, None, node.indices), ast.Num(str(node.layer.offset))))
        return _component_entry(c, c.tensor(node), node)
    if isinstance(node, ast.Num):
        return number(node.value)
    if isinstance(node, ast.Kronecker):  # [i = j]
        return sp.KroneckerDelta(index_expr(node.left), index_expr(node.right))
    if isinstance(node, ast.Entry):  # [(W^{l+1})^T delta^{l+1}]_j: a component of an expression
        return expression_entry(c, node)[3]
    if isinstance(node, ast.Neg):
        return -component(c, node.arg)
    if isinstance(node, ast.Bin):
        a, b = component(c, node.left), component(c, node.right)
        return {"+": a + b, "-": a - b, "div": a / b}.get(node.op, a * b)
    if isinstance(node, ast.Pow):
        return component(c, node.base) ** component(c, node.exp)
    if isinstance(node, ast.Call) and node.fn in LOGS:  # the loss's logarithm, \ln(1 - a^L_k)
        if node.prime or node.layer is not None:
            raise MeaningError(f"{node.fn} takes no prime or superscript here")
        return sp.log(component(c, node.arg))
    if isinstance(node, ast.Call):
        from ..algebra import ActEntry
        c.resolving = True  # the argument's vector only names the activation; its components are read below
        try:
            vec = c.call(ast.Call(node.fn, ast.Sym("z", ast.Layer("l", 0)), node.prime, node.layer)
                         if node.arg is None else node)
        finally:
            c.resolving = False
        arg = component(c, node.arg) if node.arg is not None else None
        if arg is None:
            raise MeaningError("(f^l)' needs an argument in component form")
        if _vector_valued(vec.name):
            raise MeaningError(f"{vec.name} of one component: {vec.name} maps a whole vector (write {vec.name}(z^L) "
                               "in a vector formula)")
        return ActEntry(vec.name, arg, vec.order)
    if isinstance(node, ast.Sum):
        marked = _drop_index(node.body, {f"({node.index})"})  # \delta^{(l)(t)}_j: example t's delta_j
        if marked != node.body and c.conv.layout == "column":
            if not _over_examples(node, c, written=False):
                raise MeaningError(f"the sum over {node.index} marks its terms' examples ({node.index}) but its limits "
                                   f"are not the examples: write \\sum_{{{node.index}=1}}^{{{c.conv.notation.batch}}}")
            body = component(c, marked)
            if body.has(sp.Symbol(node.index, integer=True)):
                raise MeaningError(f"{node.index} names the examples of the sum and also a unit")
            c.batch_written(f"the sum over {node.index}, the examples")
            return ExampleSumEntry(body, c.lay.batch)
        body = component(c, node.body)
        k = sp.Symbol(node.index, integer=True)
        uses = [(e.tensor.shape[pos], pos, ix == k - (base if pos == 0 else 0)) for e in body.atoms(LayerEntry)
                for pos, ix in enumerate(e.indices) if ix.has(k) and e.tensor.shape[pos] != 1]
        sizes = [u[0] for u in uses]
        if not sizes and c.conv.layout == "column" and _over_examples(node, c):
            # one example per column vector: \sum_{t=1}^{m} delta_j a_k sums each example's value
            c.batch_written(f"the sum over {node.index}, the examples")
            return ExampleSumEntry(body, c.lay.batch)
        if not sizes:
            raise MeaningError(f"the sum over {node.index} runs over nothing indexed by {node.index}")
        size, base = _sum_range(uses, base)
        if node.lower is not None or node.upper is not None:
            # written limits must be every unit the index runs over: first..last in the convention's own
            # counting (from `base`: 0, or 1 where a_0 is Ng's bias unit), or 1..n counted from 1 as textbooks
            # do, when the body uses the index as it is (w_{jk}, not w_{j,k+1}). n is the width of the layer
            # (n_l, n^{[l]}, s_{l+1} in the convention's letter), K the output's; any other limit is refused.
            out = c.last if c.depth is None else sp.Integer(c.conv.input_layer + c.depth)

            def means(limit, want) -> bool:  # not written, or a number or a width (plus or minus a number)
                if limit is None:
                    return True
                name, lay, offset = ast.limit_parts(limit) or ("", None, 0)
                if name is None:
                    value = sp.Integer(offset)
                elif name == c.conv.notation.width and lay is not None and lay.symbol in (None, "l", "L"):
                    value = c.lay.n(c.layer(lay)) + offset
                elif name == "K" and lay is None:  # the output's units (Bishop's K)
                    value = c.lay.n(out) + offset
                elif SCALARS.get(name) == "batch" and lay is None:  # the examples, in a batch layout
                    value = c.lay.batch + offset
                else:
                    return False
                return sp.expand(value - want) == 0

            full = means(node.lower, base) and means(node.upper, size - 1 + base) or \
                means(node.lower, 1) and means(node.upper, size) and ast.index_used_plainly(node.body, node.index)
            if not full:
                written = f"{'' if node.lower is None else unparse_sym(node.lower)}.." \
                          f"{'' if node.upper is None else unparse_sym(node.upper)}"
                width = f"{size.base}_{{{str(size.indices[0]).replace(' ', '')}}}" if isinstance(size, sp.Indexed) \
                    else f"{c.conv.notation.width}_l"
                raise MeaningError(f"the sum's limits {written} are not the layer's units; derive checks sums over "
                                   f"all units (write \\sum_{{{node.index}}} or \\sum_{{{node.index}=1}}^{{{width}}})")
        return sp.Sum(body, (k, base, size - 1 + base))
    if isinstance(node, ast.Indicator | ast.Max):
        raise MeaningError(VALUE_BRACKET if isinstance(node, ast.Indicator) else MAX_OVER)
    raise MeaningError(f"cannot use {type(node).__name__} in a component formula")


EXPRESSION_DATA = {"z", "a", "y", "W", "b"}  # what an expression differentiated by the forward pass may read


def _expression_derivative(c: Compiler, node: ast.Derivative) -> ExprDerivative:
    """\\frac{\\partial}{\\partial z_i} [expr]: an explicit expression of forward quantities, targets and parameters
    differentiated by one component of z or a, which the forward pass values (moved at that component, the expression
    evaluated again); anything else in the expression (a gradient, a derivative) is refused."""
    wrt = _entry_of(c, node.wrt, "the derivative of an expression")
    if wrt.tensor.kind not in ("z", "a"):
        raise MeaningError("the derivative of an expression is read with respect to a component of z or a (one "
                           "forward quantity), not a parameter or the input")
    body = component(c, node.body)
    read = {e.tensor.kind for e in sym(body).atoms(LayerEntry)}
    if not read <= EXPRESSION_DATA or sym(body).atoms(LocalEntry, ExprDerivative, ExampleSumEntry):
        raise MeaningError("the expression differentiated may read only the forward pass, the targets and the "
                           "parameters (z, a, y, W, b), not a gradient or a derivative")
    if not read & {"z", "a"}:
        raise MeaningError("the expression differentiated does not depend on the forward pass")
    return ExprDerivative(body, wrt)


def _component_entry(c: Compiler, tensor, node: ast.Sym):
    """The component of ``tensor`` that ``node``'s subscripts name (Ng's units counted from 1)."""
    base = 1 if c.conv.bias == "unit" else 0
    assert node.indices is not None  # both callers (in component) refuse a symbol without a subscript first
    idx = [index_expr(i) for i in node.indices]
    if tensor.shape[0] == 1 and tensor.shape[1] != 1:  # a row vector (CS231n's b): its one index is the column
        if len(idx) != 1:
            raise MeaningError(f"{node.base} is a vector: one index")
        return LayerEntry(tensor, 0, idx[0])
    if tensor.shape[1] == 1:
        if len(idx) != 1:
            raise MeaningError(f"{node.base} is a vector: one index")
        if base and tensor.kind == "a" and not tensor.layer.has(L) and tensor.layer != c.last:
            return BiasUnitEntry(tensor, idx[0], 0)  # Ng: a_0 = 1 is the bias unit, a_1.. the units
        return LayerEntry(tensor, idx[0] - base, 0)
    if len(idx) != 2:
        raise MeaningError(f"{node.base} is a matrix: two indices")
    return c.weight_entry(tensor, idx, base)


def expression_entry(c: Compiler, node: ast.Entry) -> tuple:
    """(M, row, column, M[row, column]) for [M]_i or [M]_{i,j}: the component of a vector or matrix expression that
    the subscripts name, as SymPy writes the entry of our nodes (a product's entry is a sum over a dummy index)."""
    if c.conv.bias == "unit":
        raise MeaningError("an entry of an expression is not read where units are counted from 1 beside the bias "
                           "unit a_0: write the formula with its components on symbols")
    whole = c.vector(node.arg).matrix()
    if whole.atoms(Softmax):
        raise MeaningError("an entry of softmax(z) (or log-softmax(z)) depends on the whole vector: write the "
                           "formula in vector form")
    rows, cols = check_shapes(whole)
    idx = [index_expr(i) for i in node.indices]
    one_row, one_col = same_size(rows, 1), same_size(cols, 1)
    if one_row and one_col:
        raise MeaningError("the expression in brackets is a number: it has no components to index")
    want = 1 if one_row or one_col else 2
    if len(idx) != want:
        kind = "vector: one index" if want == 1 else "matrix: two indices"
        raise MeaningError(f"the expression in brackets is a {kind}, not {len(idx)}")
    row, col = (0, idx[0]) if one_row else (idx[0], 0) if one_col else (idx[0], idx[1])
    return whole, row, col, whole[row, col]


def free_indices(expr) -> set:
    """The free component indices of a component expression (summed ones excluded)."""
    out = set()
    places = [x for e in sym(expr).atoms(LayerEntry) for x in e.indices]
    places += [x for d in sym(expr).atoms(sp.KroneckerDelta) for x in d.args]  # [j = p]
    for x in places:
        out |= {s for s in sym(x).free_symbols if s.is_integer and not isinstance(s, sp.Indexed)}
    free = sym(expr).free_symbols
    return {s for s in out if s in free}


def written_size(node, c: Compiler) -> sp.Expr:
    """A dimension as a shape writes it (\\mathbb{R}^{d_l \\times 1}): a number, a layer's width in the convention's
    letter (n_l, n^{[l]}, d_{l+1}, plus or minus a number) or the number of examples (m, N)."""
    name, lay, offset = ast.limit_parts(node) or ("", None, 0)
    if name is None:
        return sp.Integer(offset)
    if name == c.conv.notation.width and lay is not None and lay.symbol in (None, "l", "L"):
        return c.lay.n(c.layer(lay)) + offset
    if SCALARS.get(name) == "batch" and lay is None:
        c.batch_written(f"the number of examples {name} in the stated shape")
        return c.lay.batch + offset
    raise MeaningError(f"the dimension {unparse_sym(node)} of the stated shape is neither a number nor a layer's "
                       f"width ({c.conv.notation.width}_l in the {c.conv.name} convention) nor the number of examples")


def _stated_shape(dims: tuple, meaning: Meaning, problem: Problem) -> None:
    """Check the shape stated after a formula (\\in \\mathbb{R}^{d_l \\times 1}) against the left side's quantity:
    () is a number, (n,) a vector of n entries, (rows, columns) a matrix. A wrong shape is a ShapeMismatch (the
    claim fails, as a product that does not conform does); a shape derive cannot size is refused."""
    if meaning.quantity == "local":
        raise MeaningError("a shape stated after a derivative of a forward quantity is not read: write the formula "
                           "without it")
    c = Compiler(problem)
    c.about_depth(meaning.depth)  # a formula about one network: its L is that network's output
    stated = [written_size(d, c) for d in dims]
    if meaning.indices or meaning.quantity == "cost":
        actual = (sp.Integer(1), sp.Integer(1))  # a component, or the cost: a number
    elif meaning.quantity == "forward":
        actual = check_shapes(meaning.lhs)
    else:
        actual = meaning.lhs.shape
    rows, cols = actual
    if len(stated) == 0:
        fits = same_size(rows, 1) and same_size(cols, 1)
    elif len(stated) == 1:  # a vector of n entries, a column or a row
        fits = same_size(rows, stated[0]) and same_size(cols, 1) or same_size(rows, 1) and same_size(cols, stated[0])
    else:
        fits = same_size(rows, stated[0]) and same_size(cols, stated[1])
    if fits:
        return

    def message() -> str:
        from ..printing import NotationPrinter
        name = NotationPrinter(problem.convention).doprint
        shown = "R^{" + " \\times ".join(name(x) for x in stated) + "}" if stated else "R (a number)"
        return f"the shape stated after the formula, {shown}, is not the left side's: it is {name(rows)} x " \
               f"{name(cols)}"
    raise ShapeMismatch(message)


def written_layers(node, c: Compiler) -> set[int]:
    """Concrete layers a formula writes (delta^(3), dZ^{[2]}, Octave's Theta2 and delta_3), as the layers the
    quantities sit at (a weight: the layer it feeds)."""
    out = set()
    for _, n in ast.walk(node):
        if isinstance(n, ast.Sym):
            sym = c.normalise(n)
            if sym.layer is not None and sym.layer.symbol is None and sym.layer.style != "letter":
                out.add(sym.layer.offset - c.conv.offset(c.letters.get(sym.base, "")))  # a letter not read: 0
    return out


def _layer_letters(claim: ast.Claim) -> set[str]:
    """The letters of the generic layers a claim writes (l in w^{l+1}, k in h^{(k)}), L (the output) left out."""
    out, stack = set(), [claim]
    while stack:
        node = stack.pop()
        for _, n in ast.walk(node):
            if isinstance(n, ast.Layer) and n.symbol not in (None, "L"):
                out.add(n.symbol)
            if isinstance(n, ast.Partial | ast.Nabla):
                stack.extend(n.given)  # a cost's argument list, J(W^{(l)}), is not entered by walk
    return out


def _one_example_only(claim: ast.Claim, c: Compiler) -> None:
    """C_0 (the example at hand) is one example's loss only where no other example's is named beside it:
    dC_0/dw = dC_x/dw compares two examples, which one network of one example cannot tell apart."""
    own = c.conv.notation.cost.partition("_")[0]
    costs = {(n.base, n.indices) for _, n in ast.walk(claim) if isinstance(n, ast.Sym) and n.indices and
             (n.base in COSTS or n.base == own)}
    numbered = [(base, ix) for base, ix in costs if ix == ("0",)]
    if numbered and len({ix for _, ix in costs}) > 1:
        shown = ", ".join(sorted(f"{base}_{''.join(ix)}" for base, ix in costs))
        base, ix = numbered[0]
        raise MeaningError(f"the cost is written for several examples ({shown}): derive reads a numbered cost such "
                           f"as {base}_{ix[0]} as one example's loss only where no other example is named")


def _number(t) -> bool:
    return all(same_size(d, 1) for d in t.shape)


def _in_layout(c: Compiler, claim: ast.Claim, lhs, numerator: bool):
    """The right side read in one layout, as the convention's quantity ``lhs``: where the layout writes the left side
    transposed (a gradient written as a derivative is a row in numerator layout), the right side is transposed."""
    c.numerator = numerator
    try:
        rhs = c.vector(claim.rhs).matrix()
        check_shapes(rhs)
        written = c.in_layout(lhs) if isinstance(claim.lhs, ast.Partial | ast.Nabla) else lhs
    finally:
        c.numerator = None
    return rhs if written == lhs else Transpose(rhs)


def _vector_rhs(c: Compiler, claim: ast.Claim, lhs):
    """The right side of a vector formula. A Jacobian in it (d z_2 / d h) is a matrix whose layout the notes do not
    write: numerator ([du_i/dv_j], a gradient of the cost a row) or denominator (its transpose, a gradient shaped as
    its variable, as the convention's are). Both readings are tried, and the formula is read in the one whose
    shapes fit the product and the left side (a number, as in a chain of single neurons, is the same in both);
    where both fit and differ the layout is not fixed, and the formula is refused."""
    jacobians = [n for _, n in ast.walk(claim.rhs) if isinstance(n, ast.Partial) and c.is_forward(n.of)]
    if not jacobians:
        return c.vector(claim.rhs).matrix()
    undefined = None  # a factor that is no matrix (a vector by a matrix) fails the product, once every one is read
    for node in jacobians:
        try:
            c.jacobian(node)
        except ShapeMismatch as exc:
            undefined = undefined or exc
    if undefined:
        raise undefined
    fits: dict = {}
    for numerator in (True, False):
        try:
            rhs = _in_layout(c, claim, lhs, numerator)
        except ShapeMismatch:
            continue
        if all(same_size(a, b) for a, b in zip(check_shapes(rhs), lhs.shape, strict=True)):
            fits.setdefault(rhs, numerator)
    if not fits:  # no reading fits: the numerator layout's shape complaint is the verdict's
        return _in_layout(c, claim, lhs, True)
    if len(fits) > 1:
        raise MeaningError("the layout of the Jacobians in this product is not fixed: it fits both numerator "
                           "layout (\\partial u_i/\\partial v_j) and denominator layout; write the chain rule in "
                           "components")
    rhs, numerator = next(iter(fits.items()))
    if any(not _number(J) for J in rhs.atoms(LocalJacobian)):
        c.notes.append(f"read in {'numerator' if numerator else 'denominator'} layout (the Jacobian "
                       f"{'[du_i/dv_j]' if numerator else '[du_j/dv_i]'}), the one layout whose shapes fit the product")
    return rhs


def _entry_of(c: Compiler, sym, what: str) -> LayerEntry:
    """One component of a forward quantity or parameter, as a local derivative names it (z^l_j, w^l_{jk})."""
    if not isinstance(sym, ast.Sym) or c.letters.get(sym.base) not in LOCAL_WRT:
        raise MeaningError(f"{what} is taken of and with respect to z, a, the input or a weight or bias")
    if not sym.indices:
        raise MeaningError(f"{what} in a component formula needs its components: "
                           f"write {unparse_sym(sym)} with an index")
    entry = component(c, sym)
    if isinstance(entry, BiasUnitEntry):  # the bias unit is a constant: a_0 names no unit to vary
        tensor, i, col = entry.args
        entry = LayerEntry(tensor, i - 1, col)
    if not isinstance(entry, LayerEntry):
        raise MeaningError(f"{what} is taken of one component")
    return entry


def _compile_local(claim: ast.Claim, c: Compiler) -> Meaning:
    """d(forward quantity)/d(forward quantity or parameter) = rhs, judged against the forward pass.

    In components (dz^l_j/dw^l_{jk} = a^{l-1}_k) both sides are read entry by entry. In vector form
    (da^l/dz^l = sigma'(z^l)) the left side is the Jacobian [d x_j / d y_k]: a right side of that shape is
    compared entry by entry; a vector of the numerator's shape is read as a diagonal Jacobian, so its
    off-diagonal entries are claimed zero and checked too.
    """
    # read.compile sends only a derivative whose numerator is a forward quantity (Compiler.is_forward: a symbol)
    assert isinstance(claim.lhs, ast.Partial | ast.Nabla) and isinstance(claim.lhs.of, ast.Sym)
    of, wrt = claim.lhs.of, claim.lhs.wrt
    if of.indices or (isinstance(wrt, ast.Sym) and wrt.indices):
        of_e, wrt_e = _entry_of(c, of, "a local derivative"), _entry_of(c, wrt, "a local derivative")
        free = []
        for e in (of_e, wrt_e):
            for x in e.indices:
                free += [s for s in sorted(sym(x).free_symbols, key=str) if s not in free]
        rhs = component(c, claim.rhs)
        extra = free_indices(rhs) - set(free)
        if extra:
            raise MeaningError(f"the index {', '.join(sorted(map(str, extra)))} on the right is not on the left: "
                               "sum it, or write it on the left too")
        return Meaning("local", of_e.tensor.layer, LocalEntry(of_e, wrt_e), rhs, tuple(free), c.notes, c.depth,
                       tuple(c.hidden))
    if not isinstance(wrt, ast.Sym) or c.letters.get(wrt.base) not in LOCAL_WRT:
        raise MeaningError("a local derivative is taken with respect to z, a, the input or a weight or bias")
    X, Y = c.tensor(of), c.tensor(wrt)
    if c.conv.layout != "column" or X.shape[1] != 1 or Y.shape[1] != 1:
        raise MeaningError("a derivative of a vector by a matrix, or in a batch layout, is a tensor with more "
                           "than two indices: write it in components (\\frac{\\partial z^l_j}"
                           "{\\partial w^l_{jk}} = ...)")
    j, k = sp.Symbol("j", integer=True), sp.Symbol("k", integer=True)
    rhs = c.vector(claim.rhs).matrix()
    rows, cols = check_shapes(rhs)
    same = same_size
    if same(rows, X.shape[0]) and same(cols, Y.shape[0]) and not same(cols, 1):
        entry = rhs[j, k]
    elif same(rows, X.shape[0]) and same(cols, 1) and same(X.shape[0], Y.shape[0]):
        entry = sp.KroneckerDelta(j, k) * rhs[j, 0]
        c.notes.append("a vector on the right of a Jacobian is read as its diagonal: the other entries are 0")
    else:
        raise MeaningError("the right side has neither the Jacobian's shape nor the numerator's")
    lhs = LocalEntry(LayerEntry(X, j, 0), LayerEntry(Y, k, 0))
    return Meaning("local", X.layer, lhs, entry, (j, k), c.notes, c.depth, tuple(c.hidden))


def _times(A, B):
    """A B; factors whose sizes are numbers that differ (1 x 1 by 2 x 1) are a ShapeMismatch, as symbolic ones are."""
    from sympy.matrices.exceptions import ShapeError
    try:
        return A * B
    except ShapeError:
        raise ShapeMismatch(f"cannot multiply {A} ({A.shape[0]} x {A.shape[1]}) by {B} ({B.shape[0]} x "
                            f"{B.shape[1]})", ((A, A.shape), (B, B.shape))) from None


def _sum_range(uses: list, base: int) -> tuple:
    """(how many values, the first value as written) of a sum's index from its uses (size, position, plain).

    A row counts from ``base``; a weight's column index counts Ng's bias column as 0, so a sum over it alone
    starts at 0 (z_k = sum_i Theta_{ki} a_i includes the bias). A sum that reads both a row and a column with the
    same last value (sum_i [i = j] Theta_{ki} g'(z_i)) runs where every quantity it reads exists: from 1.
    """
    plain = [u for u in uses if u[2]] or uses
    ranges = {(sp.simplify(size - 1 + (base if pos == 0 else 0)), base if pos == 0 else 0) for size, pos, _ in plain}
    if len(ranges) > 1 and len({hi for hi, _ in ranges}) == 1:
        hi, first = next(iter(ranges))[0], max(lo for _, lo in ranges)
        return hi - first + 1, first
    if len({hi for hi, _ in ranges}) > 1:  # sum_j dC/dz^L_j W^L_{ij}: j counts rows of one and columns of the other
        # a wrong formula, not an unreadable one (sum_k w_{jk} delta_k for w_{kj}): it fails, and is diagnosed
        raise ShapeMismatch("a summed index runs over the units of two different layers (a row of one quantity "
                            "and a column of another of a different size): the sum has no one range")
    size, pos, _ = plain[0]
    return size, base if pos == 0 else 0


def _over_examples(node: ast.Sum, c: Compiler, written: bool = True) -> bool:
    """Whether a sum's limits are every example, 1..m (or 0..m-1), m or N as the convention writes it (plus or
    minus a number); with ``written`` False a limit left out stands for its end."""
    m = c.lay.batch

    def means(limit, want) -> bool:
        if limit is None:
            return not written
        parts = ast.limit_parts(limit)
        if parts is None or parts[1] is not None or parts[0] is not None and SCALARS.get(parts[0]) != "batch":
            return False
        return sp.expand(parts[2] + (m if parts[0] else 0) - want) == 0

    return any(means(node.lower, lo) and means(node.upper, hi) for lo, hi in ((1, m), (0, m - 1)))


def _drop_index(tree, names: set):
    """``tree`` with the component indices in ``names`` removed from its symbols."""
    import dataclasses

    def drop(s):
        if not s.indices:
            return s
        return dataclasses.replace(s, indices=tuple(i for i in s.indices if i not in names) or None)
    return ast.map_symbols(tree, drop)


def _mentions(tree, node) -> bool:
    """Whether ``node`` occurs in ``tree`` (a left side repeated on the right is an update, not a claim)."""
    return any(n == node for _, n in ast.walk(tree))


def unparse_sym(sym) -> str:
    """A symbol as the user wrote it, for messages."""
    from .unparse import latex
    return latex(sym)


def _with_bias_unit(rhs, lhs, c: Compiler):
    """Ng: in D = delta^(l+1) (a^(l))^T / m and Delta += delta^(l+1) (a^(l))^T the activation carries its bias unit
    a_0 = 1 (ex4, step 4)."""
    try:
        cols = check_shapes(rhs)[1]
    except ShapeMismatch:
        return rhs
    if not same_size(lhs.shape[1], cols + 1):
        return rhs
    fixed = rhs.xreplace({t: WithBiasUnit(t) for t in rhs.atoms(LayerSymbol) if t.kind == "a"})
    c.notes.append("a^(l) is taken with its bias unit a_0 = 1, as the course adds it")
    return fixed


__all__ = ["Meaning", "MeaningError", "LayerEntry"]
