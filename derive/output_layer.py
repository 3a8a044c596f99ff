"""The output layer: dE/dz^L for a loss and output activation, decided exactly against yhat - y.

Per component k, with yhat_k = f(z_k): dE/dz_k = dl/dyhat_k * f'(z_k), and for a vector-valued output (softmax,
log-softmax) dE/dz_j = sum_k dl/dyhat_k * J_kj, J the record's Jacobian written with the outputs. Written with the
outputs, these are rational functions of yhat and y (with e^yhat for log-softmax), so ``cancel`` decides equality
with yhat - y exactly (a canonical form, not a hope that ``simplify`` finds it). Where the derivative has no output
form (silu, gelu) or the residual is not zero, a concrete point where the residual is non-zero proves the pair is
not canonical. Two weaker outcomes are proved the same way: a piecewise loss whose derivative is yhat - y on one of
its pieces (huber + identity: where |yhat - y| <= 1) says where, with a witness outside; a vector-valued output
whose dE/dz is, per component, its probability minus the loss's target (log-softmax + nll: e^yhat - y; label
smoothing: yhat - y'), under the condition if one is needed, gets that closed form instead of the Jacobian product.
A loss of the whole output vector (CS231n's multiclass SVM) is decided on K = 3 outputs from its record's gradient
times f'(z): its residual against yhat - y cancels exactly, or a witness point shows it does not.
If no proof is found the pair is reported as undecided (an error), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from .activations import ACTIVATIONS, Activation
from .errors import DeriveError
from .losses import LOSSES, TARGETS, Lists, Loss, VectorLoss, accepts
from .symbols import WIDTH, YHAT, Y, Z

K = 3  # a vector-valued output is decided on K = 3 components, symbolically in all of them

# Conditions under which a residual may vanish: (text, LaTeX, substitution on the K-vector targets).
_ys = sp.symbols(f"y1:{K + 1}")
CONDITIONS = [
    ("sum_k y_k = 1", r"\sum_k y_k = 1", {_ys[-1]: 1 - sum(_ys[:-1])}),
]
# Points for witnesses: pre-activations; the targets are each target kind's own (losses.TARGETS)
_ZS = [sp.Rational(-13, 10), sp.Rational(-2, 5), sp.Rational(7, 20), sp.Rational(9, 10), sp.Rational(17, 10)]


@dataclass(frozen=True)
class OutputDelta:
    """dE/dz^L for one loss and output activation, in textbook form, with the verdict on yhat - y."""

    loss: str
    activation: str
    grad: sp.Expr           # dE/dyhat_k, in yhat and y
    form: sp.Expr | None    # dE/dz_k componentwise in yhat, y, z (None for a non-canonical softmax pair)
    canonical: bool         # equals yhat - y (under ``condition`` if one is given)
    condition: str | None = None
    condition_latex: str | None = None
    extra: sp.Expr | None = None  # the factor left over: form = (yhat - y) * extra, where that holds
    witness: tuple | None = None  # (z, y, residual value) proving non-canonical
    vector: bool = False    # softmax: dE/dz = yhat * (g - <yhat, g>), g = grad
    whole: bool = False     # a loss of the whole output vector (the SVM's): grad is dE/dyhat_1 of K = 3 outputs
    region: sp.Basic | None = None  # where a piecewise form equals yhat - y (huber + identity: |yhat - y| <= 1)

    def summary(self) -> str:
        given = f" (given {self.condition})" if self.condition else ""
        if self.canonical:
            return "yhat - y" + given
        if self.whole:
            return f"dE/dz_1 = {self.grad} * f'(z_1) over K = 3 outputs"
        if self.form is None:
            return f"yhat * (g - <yhat, g>), g = {self.grad}"
        return str(self.form) + given + (f"; yhat - y only where {self.region}" if self.region is not None else "")


def tidy(expr: sp.Expr) -> sp.Expr:
    """Cancel and factor a rational expression, writing (yhat - 1) as (1 - yhat) with the sign moved out; an
    expression with logarithms (the focal loss's) is tidied coefficient by coefficient of each logarithm."""
    if not expr.free_symbols:
        return expr
    if not expr.is_rational_function():
        logs = sorted(expr.atoms(sp.log), key=str)
        if not logs or expr.has(sp.Piecewise):
            return expr
        parts = sp.collect(sp.expand(expr), logs, evaluate=False)
        if any(c.has(sp.log) for c in parts.values()):
            return expr
        return sp.Add(*[tidy(c) * g for g, c in parts.items()])
    expr = sp.factor(sp.cancel(sp.together(expr)))
    coeff, factors = _factor_list(sp.numer(expr))
    dcoeff, dfactors = _factor_list(sp.denom(expr))
    sign = 1

    def orient(f, e):
        # linear factors read yhat - y and 1 - yhat; an odd power moves the sign out
        nonlocal sign
        if e % 2 == 0 or sp.degree(f, YHAT) != 1:
            return f ** e
        a = f.coeff(YHAT)
        b = sp.expand(f - a * YHAT)
        if (f.has(Y) and a.is_negative) or (not f.has(Y) and a.is_positive and b.is_number and b.is_negative):
            sign = -sign
            return (-f) ** e
        return f ** e

    num = sp.Mul(*[orient(f, e) for f, e in factors])
    den = sp.Mul(*[orient(f, e) for f, e in dfactors])
    scale = sign * coeff / dcoeff
    if scale != 1 and isinstance(num, sp.Add):  # 2 (yhat - y), not SymPy's distributed 2 yhat - 2 y
        return sp.Mul(scale, num, evaluate=False) / den
    return scale * num / den


def _factor_list(expr):
    return (expr, []) if expr.is_number else sp.factor_list(expr)


def _is_zero(expr) -> bool:
    try:
        return sp.cancel(sp.together(expr)) == 0
    except sp.PolynomialError:
        return False


def _witness(residual_at, target_kind):
    """A sample point where the residual is clearly non-zero, or None."""
    for z in _ZS:
        for y in map(sp.Rational, TARGETS[target_kind].points):
            value = residual_at(z, y)
            if value is not None and abs(value) > 1e-12:
                return (z, y, value)
    return None


def _gradient(loss: Loss, yh, y, width):
    """dl/dyhat of one component, tidied on the plain target, then on the target the loss reads (label smoothing's
    (1 - alpha) y + alpha/K stays written as it is, not multiplied out into one fraction)."""
    target = loss.target_map(y, width)
    grad = tidy(loss.dterm(yh, y))
    return grad if target == y else grad.xreplace({y: target})  # (2 (yhat - y) stays unevaluated where it reads y)


@cache
def analyse(loss_name: str, act_name: str) -> OutputDelta:
    """Decide dE/dz^L for a registered loss and output activation."""
    loss, act = LOSSES[loss_name], ACTIVATIONS[act_name]
    if not accepts(loss, act.range):
        raise DeriveError(f"loss {loss_name} is not defined for {act_name} outputs")
    if isinstance(loss, VectorLoss):
        if not isinstance(act, Activation):
            raise DeriveError(f"loss {loss_name} reads the whole output vector; a vector-valued {act_name} output "
                              "is not derived with it")
        return _whole(loss, act)
    if not isinstance(act, Activation):
        return _vector(loss, act)
    return _elementwise(loss, act)


def _region(grad: sp.Expr, product: sp.Expr):
    """Where a piecewise loss's product equals yhat - y: the condition of the piece of ``grad`` (the loss's own
    Piecewise, not the activation's) on which the residual cancels exactly, earlier pieces excluded; else None."""
    pieces = list(grad.atoms(sp.Piecewise))
    if len(pieces) != 1:
        return None
    (pw,) = pieces
    for i, (value, cond) in enumerate(pw.args):
        if cond is not sp.true and _is_zero(product.xreplace({pw: value}) - (YHAT - Y)):
            return sp.And(cond, *[sp.Not(c) for _, c in pw.args[:i]])
    return None


def _elementwise(loss: Loss, act: Activation) -> OutputDelta:
    outputs = sp.Integer(1) * loss.scale(WIDTH)  # 1, or 1/n_L where the loss is a mean over the outputs
    term = _gradient(loss, YHAT, Y, WIDTH)
    grad = outputs * term
    local = act.df_out(YHAT) if act.df_out else act.df(Z)
    product = grad * local
    residual = product - (YHAT - Y)
    if _is_zero(residual):
        return OutputDelta(loss.name, act.name, grad, YHAT - Y, True, extra=sp.Integer(1))

    def at(z, y):  # a mean over the outputs at n_L = 2 (at n_L = 1 it is the sum)
        val = residual.subs({Y: y, Z: z, WIDTH: 2}).subs(YHAT, act.f(z))
        return complex(sp.N(val, 30)).real if val.is_finite is not False else None

    witness = _witness(at, loss.target)
    if witness is None:
        raise DeriveError(f"could not decide whether dE/dz for {loss.name} + {act.name} is yhat - y")
    # textbook form: keep the record's own f'(z) factor unless the loss gradient's denominator cancels it
    form = tidy(term * local) if act.df_out and sp.denom(sp.together(term)) != 1 else \
        term if local == 1 else term * local
    ratio = sp.cancel(grad / (YHAT - Y))
    extra = None if ratio.has(Y) else (local if ratio == 1 else tidy(ratio * local))
    return OutputDelta(loss.name, act.name, grad, outputs * form, False, extra=extra, witness=witness,
                       region=_region(grad, product))


def _vector(loss: Loss, act) -> OutputDelta:
    s = sp.symbols(f"s1:{K + 1}")
    outputs = sp.Integer(1) * loss.scale(WIDTH)  # 1, or 1/n_L where the loss is a mean over the outputs
    g = [outputs * loss.d_at(s[k], _ys[k], WIDTH) for k in range(K)]
    # component j = 0 of J^T g, from the record's Jacobian written with the outputs, with n_L = K
    d0 = sp.sympify(sum(g[k] * act.jac_out(s, k, 0) for k in range(K))).xreplace({WIDTH: K})
    grad = outputs * _gradient(loss, YHAT, Y, WIDTH)

    def holds(candidate):  # (True, condition) where d0 equals the candidate outright or under a condition
        residual = d0 - candidate
        if _is_zero(residual):
            return True, None
        return next(((True, c) for c in CONDITIONS if _is_zero(residual.xreplace(c[2]))), (False, None))

    canonical, cond = holds(s[0] - _ys[0])
    text, latex = (cond[0], cond[1]) if cond else (None, None)
    if canonical:
        return OutputDelta(loss.name, act.name, grad, YHAT - Y, True, text, latex, vector=True, extra=sp.Integer(1))
    zs = [sp.Rational(-2, 5), sp.Rational(7, 10), sp.Rational(3, 2)]
    sv = act.f(zs)
    targets = [sp.Rational(y) for y in TARGETS[loss.target].vector]
    value = complex(sp.N((d0 - (s[0] - _ys[0])).subs(dict(zip(s, sv, strict=True)))
                         .subs(dict(zip(_ys, targets, strict=True))), 30)).real
    if abs(value) <= 1e-12:
        raise DeriveError(f"could not decide whether dE/dz for {loss.name} + {act.name} is yhat - y")
    witness = (tuple(zs), tuple(targets), value)
    # per component, the output's probability minus the target the loss reads: e^yhat - y, yhat - y'
    closed, cond = holds(act.probability(s[0]) - loss.target_map(_ys[0], K))
    if closed:
        form = act.probability(YHAT) - loss.target_map(Y, WIDTH)
        text, latex = (cond[0], cond[1]) if cond else (None, None)
        return OutputDelta(loss.name, act.name, grad, form, False, text, latex, vector=True, witness=witness)
    return OutputDelta(loss.name, act.name, grad, None, False, vector=True, witness=witness)


def _whole(loss: VectorLoss, act: Activation) -> OutputDelta:
    """A loss of the whole output vector (CS231n's SVM) after an elementwise activation: dE/dz_1 = dE/dyhat_1 f'(z_1)
    from the record's gradient on K = 3 outputs, against yhat_1 - y_1: equal only if the residual cancels exactly,
    else a witness (scores and a one-hot target) where it is clearly not 0 and no margin sits on its kink."""
    s, zs = sp.symbols(f"s1:{K + 1}"), sp.symbols(f"z1:{K + 1}")
    g = loss.grad(Lists(), list(s), list(_ys))
    local = act.df_out(s[0]) if act.df_out else act.df(zs[0])
    residual = g[0] * local - (s[0] - _ys[0])
    if _is_zero(residual):
        return OutputDelta(loss.name, act.name, g[0], YHAT - Y, True, extra=sp.Integer(1), whole=True)
    targets = [sp.Rational(y) for y in TARGETS[loss.target].vector]
    for shift in _ZS:  # the witness's pre-activations, moved until no margin is 0
        point = [sp.Rational(-2, 5) + shift, sp.Rational(7, 10), sp.Rational(3, 2)]
        outputs = [act.f(z) for z in point]
        if any(m == 0 for m in loss.margins(outputs, targets)):
            continue
        at = dict(zip(s, outputs, strict=True)) | dict(zip(zs, point, strict=True)) | dict(zip(_ys, targets))
        value = complex(sp.N(residual.xreplace(at), 30)).real
        if abs(value) > 1e-12:
            return OutputDelta(loss.name, act.name, g[0], None, False, witness=(tuple(point), tuple(targets), value),
                               whole=True)
    raise DeriveError(f"could not decide whether dE/dz for {loss.name} + {act.name} is yhat - y")


def table(loss: str | None = None) -> list[OutputDelta]:
    """Every valid loss x output-activation pair (of ``loss`` only, where one is named), in registry order."""
    return [analyse(lo, a) for lo in LOSSES if loss in (None, lo)
            for a, rec in ACTIVATIONS.items() if accepts(LOSSES[lo], rec.range)]
