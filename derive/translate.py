"""Translating a formula from one convention's notation into another's, checked with numbers.

The formula is read under the source convention (``formula.meaning``), every layer quantity is rebuilt
through the target convention's ``Layer`` (which renames weights by the layer they feed: Nielsen's
w^{l+1} is Ng's Theta^(l), gives the target's shapes, and shifts concrete layer labels where the input
layer is numbered differently), transposes are pushed through when one source puts examples in columns and
the other in rows, and delta's batch factor is rescaled where the two put the 1/m in different places.
Ng's bias unit is W = Theta without column 0, so W^T x becomes [Theta^T x]_{2:end}. Both the source and the
translation are then judged against each convention's own forward pass: they must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.matrices.expressions import HadamardProduct, MatAdd, MatMul, OneMatrix, Transpose

from .algebra import (
    Componentwise,
    DropBiasRow,
    Elementwise,
    LayerSymbol,
    LocalJacobian,
    ShapeMismatch,
    SoftmaxBack,
    WithBiasUnit,
    ZeroBiasColumn,
    check_shapes,
    sym,
)
from .chain import scales
from .errors import DeriveError
from .layers import Layer


class Untranslatable(DeriveError):
    """The target convention cannot express this quantity; the message says why."""


class SourceFails(Untranslatable):
    """The formula fails in its own convention before any translation (its shapes do not conform)."""


@dataclass
class Translation:
    """The formula in the target's notation, and the verdicts that show the two say the same thing."""

    source: str
    latex: str
    source_verdict: str
    target_verdict: str
    notes: list = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return self.source_verdict == self.target_verdict


def transpose(expr):
    """expr^T with the transpose pushed down to the leaves: (A B)^T = B^T A^T, (A o B)^T = A^T o B^T."""
    if isinstance(expr, Transpose):
        return expr.arg if not isinstance(expr.arg, Transpose) else transpose(expr.arg.arg)
    if isinstance(expr, MatMul):
        coeff, mats = expr.as_coeff_matrices()
        return coeff * MatMul(*[transpose(m) for m in reversed(mats)])
    if isinstance(expr, MatAdd):
        return MatAdd(*[transpose(a) for a in expr.args])
    if isinstance(expr, HadamardProduct):
        return HadamardProduct(*[transpose(a) for a in expr.args])
    if isinstance(expr, Componentwise):
        return Componentwise(expr.expr, {k: transpose(v) for k, v in expr.bindings.items()})
    if isinstance(expr, Elementwise):
        return Elementwise(expr.name, transpose(expr.arg), expr.order)
    if isinstance(expr, SoftmaxBack):
        return SoftmaxBack(transpose(expr.s), transpose(expr.g), 1 - expr.axis)
    if isinstance(expr, OneMatrix):
        return OneMatrix(expr.shape[1], expr.shape[0])
    return Transpose(expr)


def _simplify(expr):
    """Rebuild bottom-up so that double transposes cancel and scalar factors move out of Hadamard products."""
    if isinstance(expr, Transpose):
        inner = _simplify(expr.arg)
        return inner.arg if isinstance(inner, Transpose) else Transpose(inner)
    if isinstance(expr, HadamardProduct):
        coeff, parts = sp.Integer(1), []
        for a in expr.args:
            c, m = _simplify(a).as_coeff_mmul() if isinstance(_simplify(a), MatMul) else (1, _simplify(a))
            coeff, parts = coeff * c, parts + [m.doit() if isinstance(m, MatMul) and len(m.args) == 1 else m]
        return coeff * HadamardProduct(*parts) if coeff != 1 else HadamardProduct(*parts)
    if isinstance(expr, (MatMul, MatAdd)):
        return type(expr)(*[_simplify(a) if getattr(a, "is_Matrix", False) else a for a in expr.args]).doit()
    if isinstance(expr, Componentwise):
        binds = {k: _simplify(v) for k, v in expr.bindings.items()}
        coeff, rest = sp.factor_terms(expr.expr).as_independent(*binds, as_Add=False)
        if len(binds) == 1 and rest in binds:  # c * X written entrywise is the scalar multiple c X
            return _simplify(MatMul(coeff, binds[rest]).doit())
        if coeff != 1:  # a scalar factor in front, so that it can cancel: m ((A - Y)/m) = A - Y
            return _simplify(MatMul(coeff, Componentwise(rest, binds)).doit())
        return Componentwise(expr.expr, binds)
    if isinstance(expr, Elementwise):
        return Elementwise(expr.name, _simplify(expr.arg), expr.order)
    if isinstance(expr, DropBiasRow):
        return DropBiasRow(_simplify(expr.arg))
    return expr


class Mapper:
    """Rebuilds source quantities in the target convention."""

    def __init__(self, src, dst, problem):
        self.src, self.dst = src, dst
        self.ls, self.ld = Layer(src), Layer(dst)
        self.flip = (src.layout == "row_batch") != (dst.layout == "row_batch")
        self.shift = dst.input_layer - src.input_layer
        cs, _ = scales(self.ls, problem)
        from .problem import Problem
        cd, _ = scales(self.ld, Problem(dst, problem.loss, problem.output, problem.hidden))
        self.delta_ratio = (cs / cd).xreplace({self.ls.batch: self.ld.batch})  # delta_src = ratio * delta_dst
        self.notes: list[str] = []

    def label(self, layer):
        layer = sym(layer)
        return layer + self.shift if layer.is_Integer else layer  # generic l and L name the same layers

    def symbol(self, t: LayerSymbol):
        """The target's version of one source quantity (transposed when the layouts differ)."""
        kind, lay = t.kind, self.ld
        if kind == "W":  # named by the layer it feeds: Nielsen's w^{l+1} is Ng's Theta^(l)
            new = lay.W(self.label(t.layer - self.src.weight_offset))
            return transpose(new) if self.flip else new
        if kind in ("grad_weight", "grad_bias"):
            raise Untranslatable("translate the weight gradient through its formula's right-hand side")
        if kind == "b" and self.dst.bias != "vector":
            raise Untranslatable(f"{self.dst.name} has no separate bias vector")
        build = {"z": lay.z, "a": lay.a, "y": lay.y, "delta": lay.delta, "grad_act": lay.grad_act, "b": lay.b}[kind]
        new = build(self.label(t.layer))
        if kind in ("delta", "grad_act"):
            new = self.delta_ratio * new
        return transpose(new) if self.flip else new

    def expr(self, e):
        """The whole right-hand side in the target, in the target's orientation."""
        if self.src.bias == "unit" and self.dst.bias != "unit":
            e = self._theta_to_weights(e)
        subs = {t: self.symbol(t) for t in e.atoms(LayerSymbol)}
        out = _simplify(e.xreplace(subs).xreplace({self.ls.batch: self.ld.batch}))
        if self.flip:
            out = _simplify(transpose(out))
        if self.src.bias != "unit" and self.dst.bias == "unit":
            out = self._weights_to_theta(out)
        return out

    def _weights_to_theta(self, e):
        """W^T x with Ng's Theta: [Theta^T x]_{2:end} (W is Theta without its bias column)."""
        out = e.replace(lambda x: isinstance(x, MatMul) and len(x.args) == 2 and isinstance(x.args[0], Transpose)
                        and isinstance(x.args[0].arg, LayerSymbol) and x.args[0].arg.kind == "W",
                        lambda x: DropBiasRow(x))
        if any(t.kind == "W" for t in _outside_drop(out)):
            raise Untranslatable(f"{self.dst.name} folds the bias into Theta: only W^T x has a direct counterpart")
        self.notes.append("W^T x is Ng's (Theta^T x) without the bias row, delta(2:end)")
        return out

    def _theta_to_weights(self, e):
        """[Theta^T x]_{2:end} is W^T x; Theta anywhere else carries the bias column, which has no counterpart."""
        if any(t.kind == "W" for t in _outside_drop(e)) or e.atoms(WithBiasUnit) or e.atoms(ZeroBiasColumn):
            raise Untranslatable(f"{self.dst.name} has no bias unit: only [Theta^T x]_(2:end) has a direct counterpart")
        self.notes.append("Ng's (Theta^T x) without the bias row is W^T x")
        return e.replace(lambda x: isinstance(x, DropBiasRow), lambda x: x.arg)


def _outside_drop(e):
    if isinstance(e, DropBiasRow):
        return set()
    found = {e} if isinstance(e, LayerSymbol) else set()
    for a in getattr(e, "args", ()):
        found |= _outside_drop(a)
    return found


def translate(formula: str, source, target, loss: str = "mse", output: str = "sigmoid",
              hidden: str = "sigmoid") -> Translation:
    """Rewrite ``formula`` from ``source``'s notation into ``target``'s and check both against truth."""
    from .conventions import Convention, convention
    from .formula.judge import judge
    from .formula.meaning import Meaning
    from .formula.parse import parse
    from .formula.read import compile_claim
    from .printing import NotationPrinter
    from .problem import Problem

    src = source if isinstance(source, Convention) else convention(source)
    dst = target if isinstance(target, Convention) else convention(target)
    p_src = Problem.make(src, loss, output, hidden)
    p_dst = Problem.make(dst, loss, output, hidden)
    try:
        meaning = compile_claim(parse(formula), p_src)
    except ShapeMismatch as exc:
        raise SourceFails(f"the formula does not conform in {src.name}, so it fails there: "
                             f"{exc.describe(NotationPrinter(src).doprint)}") from None
    if meaning.indices:
        raise Untranslatable("component forms depend on how each source numbers units: translate the vector form")
    if sym(meaning.rhs).atoms(LocalJacobian):
        raise Untranslatable("a chain-rule factor such as \\frac{\\partial a^l}{\\partial z^l} is a Jacobian of one "
                             "example's vectors, whose layout and batch differ between conventions: translate the "
                             "formula written with transposes and \\odot")
    of = {"example": "one example's loss", "cost": "the batch cost"}
    if meaning.quantity in ("grad_weight", "grad_bias") and src.grad_of != dst.grad_of:
        raise Untranslatable(f"{src.name} writes parameter gradients of {of[src.grad_of]}, "
                             f"{dst.name} of {of[dst.grad_of]}: the two are different quantities")
    if meaning.quantity == "grad_bias" and dst.bias != "vector":
        raise Untranslatable(f"{dst.name} has no separate bias vector, so no bias gradient")
    if meaning.quantity == "grad_weight" and (src.bias == "unit") != (dst.bias == "unit"):
        raise Untranslatable("Theta's gradient holds the bias gradient in column 0; the other convention keeps two")
    mapper = Mapper(src, dst, p_src)
    rhs = mapper.expr(meaning.rhs)
    lay = Layer(dst)
    at = mapper.label(meaning.layer)
    kind = meaning.quantity.removesuffix("_out")
    if kind in ("delta", "grad_act"):
        lhs = {"delta": lay.delta, "grad_act": lay.grad_act}[kind](at)
        rhs = _simplify((mapper.delta_ratio ** -1 * rhs).doit()) if mapper.delta_ratio != 1 else rhs
    elif kind == "grad_weight":
        lhs = LayerSymbol("grad_weight", at, *lay.W(at).shape)
    else:
        lhs = LayerSymbol("grad_bias", at, *lay.b(at).shape)
    check_shapes(rhs)
    if mapper.delta_ratio != 1 and any(t.kind in ("delta", "grad_act") for t in sym(meaning.rhs).atoms(LayerSymbol)):
        name = lambda c: c.notation.delta.replace("^@", "").replace("@", "")
        mapper.notes.append(f"the batch factor moves: in {src.name} {name(src)} is the gradient of "
                            f"{of[src.delta_of]}, in {dst.name} {name(dst)} is the gradient of {of[dst.delta_of]} "
                            f"(reduced with 1/{dst.notation.batch if dst.delta_of == 'cost' else src.notation.batch}"
                            "), so the factor passes between the formula and the gradient it uses")
    target_meaning = Meaning(meaning.quantity, at, lhs, rhs, (), list(mapper.notes), meaning.depth)
    tex = NotationPrinter(dst).doprint
    if kind == "grad_weight":  # written with the weight's own index, as the target names it
        lhs = LayerSymbol("grad_weight", at + dst.weight_offset, *lhs.shape)
    text = f"{tex(lhs)} = {tex(rhs)}"
    verdict = lambda m, p: "holds" if judge(m, p).holds else "fails"  # noqa: E731
    key = (formula, p_src)  # the source's meaning is compile_claim(parse(formula), p_src): its verdict, once
    if key not in _source_verdicts:
        if len(_source_verdicts) >= SOURCE_VERDICTS:
            _source_verdicts.pop(next(iter(_source_verdicts)))  # the oldest
        _source_verdicts[key] = verdict(meaning, p_src)
    return Translation(formula, text, _source_verdicts[key], verdict(target_meaning, p_dst), mapper.notes)


# A document translates its recursion into every other convention: the source side is the same formula
# under the same problem each time, judged once per process on the same networks, and its verdict reused.
SOURCE_VERDICTS = 256
_source_verdicts: dict = {}
