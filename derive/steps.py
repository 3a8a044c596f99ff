"""Derivation steps as data: each line is an equation computed by SymPy and a one-line reason.

The output layer: the chain rule over the outputs, the activation's Jacobian (diagonal, or softmax's
diag(s) - s s^T), the Kronecker delta collapsing the sum, the loss derivative substituted and the
cancellation carried out by ``cancel``. The hidden layer: the forward equation in components,
differentiated by one component (``index_diff``), the Kronecker delta collapsed, the vectorized form.
Every step that ends in a formula the engine also derived is checked against it numerically in ``doc``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .algebra import ActEntry, LayerEntry
from .chain import Derivation, L, l
from .index_diff import collapse, index_diff
from .output_layer import YHAT, Y

# unit indices: j in layer l, k in layer l+1, i summed inside the forward equation; t the example
j, k, t = (sp.Symbol(n, integer=True, nonnegative=True) for n in "jkt")


@dataclass(frozen=True)
class Line:
    """One displayed equation: left side, right side (LaTeX) and why it holds."""

    lhs: str
    rhs: str
    why: str


class Partial(sp.Expr):
    """d(num)/d(den), printed as a fraction of partials."""

    is_commutative = True

    def __new__(cls, num, den):
        return super().__new__(cls, num, den)


def entry(layer, tensor, unit):
    """Component ``unit`` of a layer quantity, for example t where the layout holds a batch."""
    if layer.rows == 1:
        return LayerEntry(tensor, unit, 0)
    return LayerEntry(tensor, unit, t) if layer.layout.class_axis == 0 else LayerEntry(tensor, t, unit)


def _rename(expr, names=("i", "r", "q")):
    dummies = sorted(expr.atoms(sp.Dummy), key=lambda d: d.dummy_index)
    return expr.xreplace({d: sp.Symbol(n, integer=True, nonnegative=True) for d, n in zip(dummies, names)})


def output_steps(d: Derivation, tex) -> list[Line]:
    """dE/dz^L_j by the chain rule, ending in the textbook form."""
    lay, od, act = d.layer, d.output, d.problem.output
    cost = sp.Symbol("E")
    yh = lambda u: entry(lay, lay.a(L), u)
    yt = lambda u: entry(lay, lay.y(L), u)
    zL = lambda u: entry(lay, lay.z(L), u)
    grad = lambda u: od.grad.xreplace({YHAT: yh(u), Y: yt(u)})
    over_outputs = sp.Sum(Partial(cost, yh(k)) * Partial(yh(k), zL(j)), (k, 0, lay.n(L) - 1))
    lines = [Line(tex(Partial(cost, zL(j))), tex(over_outputs),
                  "chain rule: $z^L_j$ reaches the loss through every output $\\hat y_k$")]
    if act.elementwise:
        local = ActEntry(act.name, zL(k), 1) * sp.KroneckerDelta(k, j)
        lines.append(Line(tex(Partial(yh(k), zL(j))), tex(local),
                          "the activation acts entrywise, so its Jacobian is diagonal"))
        summed = collapse(sp.Sum(Partial(cost, yh(k)) * local, (k, 0, lay.n(L) - 1)))
        lines.append(Line(tex(Partial(cost, zL(j))), tex(summed), f"only the term $k = {tex(j)}$ survives"))
        lines.append(Line(tex(Partial(cost, yh(j))), tex(grad(j)), "differentiate the loss"))
        if act.df_out is not None:
            lines.append(Line(tex(ActEntry(act.name, zL(j), 1)), tex(act.df_out(yh(j))),
                              "the derivative written with the output"))
            product = sp.Mul(grad(j), act.df_out(yh(j)), evaluate=False)
        else:
            product = sp.Mul(grad(j), act.df(zL(j)), evaluate=False)
        lines.append(Line(tex(Partial(cost, zL(j))), tex(product), "substitute both"))
        final = od.form.xreplace({YHAT: yh(j), Y: yt(j), sp.Symbol("z"): zL(j)})
        if sp.expand(product - final) != 0 or product != final:
            lines.append(Line("", tex(final), "cancel" if od.canonical else "simplify"))
        return lines
    # softmax: d yhat_k / d z_j = yhat_k ([k = j] - yhat_j): not diagonal
    local = yh(k) * (sp.KroneckerDelta(k, j) - yh(j))
    lines.append(Line(tex(Partial(yh(k), zL(j))), tex(local), "softmax's Jacobian is $\\mathrm{diag}(s) - s s^T$"))
    sum_k = sp.Sum(Partial(cost, yh(k)) * yh(k), (k, 0, lay.n(L) - 1))
    split = Partial(cost, yh(j)) * yh(j) - yh(j) * sum_k
    lines.append(Line(tex(Partial(cost, zL(j))), tex(split), "split the sum; in the first part only $k = j$ survives"))
    inner = sp.factor_terms(sp.Sum(sp.cancel(grad(k) * yh(k)), (k, 0, lay.n(L) - 1)))
    subst = sp.cancel(grad(j) * yh(j)) - yh(j) * inner
    lines.append(Line("", tex(subst), "differentiate the loss and substitute"))
    if od.canonical and od.condition:
        sum_y = sp.Sum(yt(k), (k, 0, lay.n(L) - 1))
        lines.append(Line("", tex(subst.xreplace({sum_y: 1})),
                          f"the targets sum to one: ${od.condition_latex}$"))
    return lines


def hidden_steps(d: Derivation, tex) -> list[Line]:
    """delta^l_j by the chain rule through layer l+1, in components, then vectorized."""
    lay, hidden = d.layer, d.problem.hidden.name
    cost = sp.Symbol("E")
    z_next = lambda u: entry(lay, lay.z(l + 1), u)
    z_here = entry(lay, lay.z(l), j)
    forward = _rename(lay.pre_activation(l + 1)[z_next(k).indices])
    local = index_diff(forward, z_here, {lay.a(l): (hidden, lay.z(l))})
    collapsed = collapse(local)
    delta_next = entry(lay, lay.delta(l + 1), k)
    result = sp.Sum(collapsed * delta_next, (k, 0, lay.n(l + 1) - 1))
    return [
        Line(tex(entry(lay, lay.delta(l), j)),
             tex(sp.Sum(Partial(cost, z_next(k)) * Partial(z_next(k), z_here), (k, 0, lay.n(l + 1) - 1))),
             "chain rule: $z^l_j$ reaches the loss only through the next layer's pre-activations"),
        Line(tex(z_next(k)), tex(forward), "the forward equation, one component"),
        Line(tex(Partial(z_next(k), z_here)), tex(local),
             "differentiate; $a^l_i$ depends on $z^l_j$ only when $i = j$ ($[i = j]$ is the Kronecker delta)"),
        Line("", tex(collapsed), "only the term $i = j$ survives"),
        Line(tex(entry(lay, lay.delta(l), j)), tex(result), "substitute into the first line"),
        Line(tex(lay.delta(l)), tex(d.delta),
             "the sum over $k$ is a matrix product with the transposed weight; the common factor "
             f"${d.problem.convention.notation.sigma}'$ multiplies entry by entry"),
    ], result


def weight_steps(d: Derivation, tex) -> list[Line]:
    """dE/dW_jk: the pre-activation is linear in the weight."""
    lay = d.layer
    fed = l - d.problem.convention.weight_offset  # written in the weight's own index, as the gradient is
    w = d.layer.W(fed)
    wj = LayerEntry(w, j, k) if lay.layout.class_axis == 0 else LayerEntry(w, k, j)
    z_row = entry(lay, lay.z(fed), sp.Symbol("p", integer=True, nonnegative=True))
    forward = _rename(lay.pre_activation(fed)[z_row.indices])
    local = collapse(index_diff(forward, wj))
    return [
        Line(tex(z_row), tex(forward), "the forward equation, one component"),
        Line(tex(Partial(z_row, wj)), tex(local), "the pre-activation is linear in the weight"),
    ]
