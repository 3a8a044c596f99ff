"""Derivation steps as data: each line is an equation computed by SymPy and a one-line reason.

The output layer: the chain rule over the outputs, the activation's Jacobian (diagonal, or softmax's
diag(s) - s s^T), the Kronecker delta collapsing the sum, the loss derivative substituted and the
cancellation carried out by ``cancel``. The hidden layer: the forward equation in components,
differentiated by one component (``index_diff``), the Kronecker delta collapsed, the vectorized form.
Every step that ends in a formula the engine also derived is checked against it numerically in ``doc``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import sympy as sp

from .activations import Activation
from .algebra import ActEntry, BiasUnitEntry, Elementwise, LayerEntry, sym
from .chain import Derivation
from .index_diff import collapse, index_diff
from .losses import Components, VectorLoss
from .symbols import WIDTH, YHAT, L, Y, i, j, k, l, t


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


def targets_sum(lay, tex) -> str:
    """The condition softmax + cross-entropy needs, in the convention's notation: sum_k y_k = 1 (each example)."""
    return f"{tex(sp.Sum(entry(lay, lay.y(L), k), (k, 0, lay.n(L) - 1)))} = 1"


def one_based(exprs):
    """Index forms as a source that counts units from 1 writes them (Ng: z^(l)_1 is the first unit, column 0 of
    Theta multiplies the bias unit): each component's row shifted by one and each free unit index (one written
    as a row) back by one, so that z_j is unit j and Theta_{kj} multiplies it. ``exprs`` are one line's sides."""
    shift = {r: r - 1 for e in exprs for x in sym(e).atoms(LayerEntry)
             if isinstance(r := x.indices[0], sp.Symbol) and r != t}

    def fix(e):
        if isinstance(e, LayerEntry):
            row, col = e.indices
            return LayerEntry(e.tensor, row.xreplace(shift) + 1, col.xreplace(shift))
        if isinstance(e, BiasUnitEntry):
            arg, i, col = e.args  # its index counts the bias unit as 0 already
            return BiasUnitEntry(arg, i.xreplace(shift), col)
        if isinstance(e, sp.KroneckerDelta):  # [j - 1 = i - 1] is [i = j]
            diff = sp.expand(e.args[0].xreplace(shift) - e.args[1].xreplace(shift))
            plus = sp.Add(*[a for a in sp.Add.make_args(diff) if not a.could_extract_minus_sign()])
            return sp.KroneckerDelta(plus, plus - diff)
        if isinstance(e, sp.Sum):
            body, (index, lo, hi) = e.function, e.limits[0]
            step = 1 if index in shift else 0
            return sp.Sum(fix(body), (index, lo + step, hi + step))
        if not e.args or isinstance(e, sp.Symbol):
            return e
        args = [fix(a) for a in e.args]
        return e.func(*args, evaluate=False) if isinstance(e, sp.Add | sp.Mul | sp.Pow) else e.func(*args)
    return [fix(sym(e)) for e in exprs]


def _shown(d: Derivation, tex):
    """``tex`` of one line's two sides as the convention writes indices (from 1 where a bias unit is unit 0)."""
    if d.problem.convention.bias != "unit":
        return lambda *sides: [tex(x) for x in sides]
    return lambda *sides: [tex(x) for x in one_based(sides)]


def _line(show, lhs, rhs, why: str) -> Line:
    left, right = show(lhs, rhs)
    return Line(left, right, why)


def _rename(expr, names=("i", "r", "q")):
    dummies = sorted(expr.atoms(sp.Dummy), key=lambda d: d.dummy_index)
    return expr.xreplace({d: sp.Symbol(n, integer=True, nonnegative=True) for d, n in zip(dummies, names)})


def _as_matrix(act, lay, tex) -> str:
    """A vector output's Jacobian as a matrix, in the convention's letters for the output (softmax's diag(a^L) -
    a^L (a^L)^T), where the output is one example's vector; a batch layout's output is a matrix, whose columns'
    Jacobians differ."""
    if lay.rows != 1:
        return ""
    out = lay.a(L)
    return f" ${act.written(tex(out), tex(sp.Transpose(out)))}$"


def output_steps(d: Derivation, tex) -> list[Line]:
    """dE/dz^L_j by the chain rule, ending in the textbook form."""
    lay, od, act = d.layer, d.output, d.problem.output
    show = _shown(d, tex)
    cost = sp.Symbol("E")
    yh = lambda u: entry(lay, lay.a(L), u)
    yt = lambda u: entry(lay, lay.y(L), u)
    zL = lambda u: entry(lay, lay.z(L), u)
    # where delta is of the reduced cost (CS231n's dZ has the 1/N), the cost's derivative carries its factor
    c = sym(d.problem.reduction.scale(lay.batch, lay.n(L))) if d.problem.convention.delta_of == "cost" else 1
    rec = d.problem.loss
    if isinstance(rec, VectorLoss):  # the whole vector's gradient (the SVM's), one component, sums over the classes
        whole = rec.grad(Components(lay.n(L), ("k", "i")), yh, yt)
        grad = lambda u: c * whole(u)  # noqa: E731
    else:
        grad = lambda u: c * od.grad.xreplace({YHAT: yh(u), Y: yt(u), WIDTH: lay.n(L)})  # noqa: E731
    differentiate = "differentiate the loss" if c == 1 else f"differentiate the cost (${tex(c)}$ times the sum of " \
        "the examples' losses)"
    line = partial(_line, show)
    more = lambda rhs, why, lhs: Line("", show(lhs, rhs)[1], why)  # noqa: E731  (continues the line above)
    over_outputs = sp.Sum(Partial(cost, yh(k)) * Partial(yh(k), zL(j)), (k, 0, lay.n(L) - 1))
    named = lambda x: show(x)[0]  # noqa: E731  (an entry in the convention's letters, for the prose)
    lines = [line(Partial(cost, zL(j)), over_outputs,
                  f"chain rule: ${named(zL(j))}$ reaches the loss through every output ${named(yh(k))}$")]
    if isinstance(act, Activation):
        local = ActEntry(act.name, zL(k), 1) * sp.KroneckerDelta(k, j)
        lines.append(line(Partial(yh(k), zL(j)), local, "the activation acts entrywise, so its Jacobian is diagonal"))
        summed = collapse(sp.Sum(Partial(cost, yh(k)) * local, (k, 0, lay.n(L) - 1)))
        lines.append(line(Partial(cost, zL(j)), summed, f"only the term with $k$ equal to ${tex(j)}$ survives"))
        lines.append(line(Partial(cost, yh(j)), grad(j), differentiate))
        if act.df_out is not None:
            lines.append(line(ActEntry(act.name, zL(j), 1), act.df_out(yh(j)),
                              "the derivative written with the output"))
            product = sp.Mul(grad(j), act.df_out(yh(j)), evaluate=False)
        else:
            product = sp.Mul(grad(j), act.df(zL(j)), evaluate=False)
        lines.append(line(Partial(cost, zL(j)), product, "substitute both"))
        if isinstance(rec, VectorLoss):  # no textbook form of its own: the product, its factor 1 dropped
            final = sp.Mul(*product.args)
        else:
            assert od.form is not None, "an elementwise output always has a textbook form"
            final = c * od.form.xreplace({YHAT: yh(j), Y: yt(j), sp.Symbol("z"): zL(j), WIDTH: lay.n(L)})
        if show(final)[0] != show(product)[0]:  # a line that prints as the one above says nothing new
            lines.append(more(final, "cancel" if od.canonical else "simplify", Partial(cost, zL(j))))
        return lines
    # a vector-valued output: d yhat_k / d z_j from the record's Jacobian written with the outputs (softmax's
    # yhat_k ([k = j] - yhat_j), log-softmax's [k = j] - e^{yhat_j}): not diagonal
    local = act.jac_out(_Entries(yh), k, j)
    lines.append(line(Partial(yh(k), zL(j)), local, f"{act.name}'s Jacobian{_as_matrix(act, lay, tex)} is not "
                      "diagonal, since every output depends on every pre-activation"))
    bracket = sp.KroneckerDelta(k, j)
    own = sp.expand((local.subs(bracket, 1) - local.subs(bracket, 0)).xreplace({k: j}))  # what the bracket keeps
    across, per_k = local.subs(bracket, 0).as_independent(k, as_Add=False)  # the rest: a factor in j times one in k
    sum_k = sp.Sum(Partial(cost, yh(k)) * per_k, (k, 0, lay.n(L) - 1))
    split = Partial(cost, yh(j)) * own + across * sum_k
    lines.append(line(Partial(cost, zL(j)), split,
                      "split the sum; in the first part only the term with $k$ equal to $j$ survives"))
    inner = sp.factor_terms(sp.Sum(sp.cancel(grad(k) * per_k), (k, 0, lay.n(L) - 1)))
    subst = sp.cancel(grad(j) * own) + across * inner
    lines.append(more(subst, f"{differentiate} and substitute", Partial(cost, zL(j))))
    if od.condition:
        sum_y = sp.Sum(yt(k), (k, 0, lay.n(L) - 1))
        given = subst.xreplace({sum_y: 1})
        if given == subst:  # the targets' sum sits inside the terms (label smoothing's): the sums split first
            given = _split_sums(subst).xreplace({sum_y: 1})
        lines.append(more(given, f"the targets sum to one: ${targets_sum(lay, tex)}$", Partial(cost, zL(j))))
        if od.form is not None and not od.canonical:  # the closed form, written as the analysis found it
            final = c * od.form.xreplace({YHAT: yh(j), Y: yt(j), WIDTH: lay.n(L)})
            if sp.expand(given - final) != 0 or given != final:
                lines.append(more(final, "simplify", Partial(cost, zL(j))))
    return lines


class _Entries:
    """The outputs' components as a record's Jacobian indexes them: ``s[u]`` is yhat_u of the convention's layer."""

    def __init__(self, entry_of) -> None:
        self.entry_of = entry_of

    def __getitem__(self, unit):
        return self.entry_of(unit)


def _split_sums(expr):
    """Each sum over the units split by linearity, its constants in front: sum_k (a y_k + b) = a sum_k y_k + n b."""
    def split(e):
        terms = [term.as_independent(*e.variables, as_Add=False) for term in sp.Add.make_args(sp.expand(e.function))]
        return sp.Add(*[coeff * sp.Sum(rest, *e.limits).doit() for coeff, rest in terms])
    return expr.replace(lambda e: isinstance(e, sp.Sum), split)


def _no_bias_term(expr):
    """A sum whose first term is zero written without it: the bias unit's (i = 0 of Ng's sum over [1; a]), whose
    value 1 depends on no pre-activation; the sum then runs over the layer's units, as the next step's does."""
    def shorter(s):
        (index, lo, hi), = s.limits
        return sp.Sum(s.function, (index, lo + 1, hi)) if s.function.xreplace({index: lo}) == 0 else s
    return expr.replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1, shorter)


def _bias_unit(d: Derivation, tex, layer, row) -> tuple[str, str, str]:
    """What the forward equation's and the derivative's reasons add where a bias unit is unit 0 of the layer below
    (Ng): the sum runs from i = 0, a_0 = 1 the bias unit that column 0 of the weight multiplies; a_0 depends on no
    pre-activation, and the vectorized form drops its row. Empty where the bias is a vector."""
    if d.problem.convention.bias != "unit":
        return "", "", ""
    lay = d.layer
    a0, w0 = tex(BiasUnitEntry(lay.a(layer), 0, 0)), tex(LayerEntry(lay.W(layer + 1), row, 0))
    return (f"; the sum starts at 0, the bias unit ${a0}$ (always 1), whose weight ${w0}$ is the bias",
            f", and the bias unit ${a0}$ on none, whose term drops out",
            "; the first row, the bias unit's, is dropped ($2:\\mathrm{end}$, counted from 1 as Octave does)")


def hidden_steps(d: Derivation, tex) -> tuple[list[Line], sp.Expr]:
    """delta^l_j by the chain rule through layer l+1, in components, then vectorized."""
    lay, hidden = d.layer, d.problem.hidden.name
    show = _shown(d, tex)
    line = partial(_line, show)
    cost = sp.Symbol("E")
    z_next = lambda u: entry(lay, lay.z(l + 1), u)
    z_here = entry(lay, lay.z(l), j)
    named = lambda x: show(x)[0]  # noqa: E731  (an entry in the convention's letters, for the prose)
    forward = _rename(lay.pre_activation(l + 1)[z_next(k).indices])
    local = _no_bias_term(index_diff(forward, z_here, {lay.a(l): (hidden, lay.z(l))}))
    collapsed = collapse(local)
    delta_next = entry(lay, lay.delta(l + 1), k)
    result = sp.Sum(collapsed * delta_next, (k, 0, lay.n(l + 1) - 1))
    sum_from, on_none, dropped = _bias_unit(d, tex, l, k)
    return [
        line(entry(lay, lay.delta(l), j),
             sp.Sum(Partial(cost, z_next(k)) * Partial(z_next(k), z_here), (k, 0, lay.n(l + 1) - 1)),
             f"chain rule: ${named(z_here)}$ reaches the loss only through the next layer's pre-activations"),
        line(z_next(k), forward, "the forward equation, one component" + sum_from),
        line(Partial(z_next(k), z_here), local,
             f"differentiate; ${named(entry(lay, lay.a(l), i))}$ depends on ${named(z_here)}$ only when $i$ is $j$"
             f"{on_none} (the bracket $[i = j]$ is 1 then and 0 otherwise: a Kronecker delta)"),
        Line("", show(Partial(z_next(k), z_here), collapsed)[1], "only the term with $i$ equal to $j$ survives"),
        line(entry(lay, lay.delta(l), j), result, "substitute into step 1"),
        Line(tex(lay.delta(l)), tex(d.delta),
             "the sum over $k$ is a matrix product with the transposed weight; the common factor "
             f"${tex(Elementwise(hidden, lay.z(l), 1))}$ multiplies entry by entry{dropped}"),
    ], result


def weight_steps(d: Derivation, tex) -> list[Line]:
    """dE/dW_jk: the pre-activation is linear in the weight."""
    lay = d.layer
    show = _shown(d, tex)
    fed = l - d.problem.convention.weight_offset  # written in the weight's own index, as the gradient is
    w = d.layer.W(fed)
    wj = LayerEntry(w, j, k) if lay.layout.class_axis == 0 else LayerEntry(w, k, j)
    z_row = entry(lay, lay.z(fed), sp.Symbol("p", integer=True, nonnegative=True))
    forward = _rename(lay.pre_activation(fed)[z_row.indices])
    local = collapse(index_diff(forward, wj))
    sum_from, _, _ = _bias_unit(d, tex, fed - 1, sp.Symbol("p", integer=True, nonnegative=True))
    return [
        _line(show, z_row, forward, "the forward equation, one component" + sum_from),
        _line(show, Partial(z_row, wj), local, "the pre-activation is linear in the weight"),
    ]
