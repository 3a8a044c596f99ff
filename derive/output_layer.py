"""The output layer: dE/dz^L for a loss and output activation, decided exactly against yhat - y.

Per component k, with yhat_k = f(z_k): dE/dz_k = dl/dyhat_k * f'(z_k), and for softmax
dE/dz_j = sum_k dl/dyhat_k * s_k (delta_kj - s_j). Written with the outputs, these are rational
functions of yhat and y, so ``cancel`` decides equality with yhat - y exactly (a canonical form, not a
hope that ``simplify`` finds it). Where the derivative has no output form (silu, gelu) or the residual is
not zero, a concrete point where the residual is non-zero proves the pair is not canonical. If neither
proof is found the pair is reported as undecided (an error), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from .activations import ACTIVATIONS, Activation
from .errors import DeriveError
from .losses import LOSSES, Loss, accepts
from .symbols import WIDTH, YHAT, Y, Z

K = 3  # softmax is decided on K = 3 components, symbolically in all of them

# Conditions under which a residual may vanish: (text, LaTeX, substitution on the K-vector targets).
_ys = sp.symbols(f"y1:{K + 1}")
CONDITIONS = [
    ("sum_k y_k = 1", r"\sum_k y_k = 1", {_ys[-1]: 1 - sum(_ys[:-1])}),
]
# Points for witnesses: pre-activations, and valid targets per loss target kind.
_ZS = [sp.Rational(-13, 10), sp.Rational(-2, 5), sp.Rational(7, 20), sp.Rational(9, 10), sp.Rational(17, 10)]
_TARGETS = {"real": [sp.Rational(3, 10), sp.Rational(-1, 2)], "unit": [sp.Rational(3, 10), sp.Rational(4, 5)],
            "onehot": [0, 1], "count": [0, 2]}


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

    def summary(self) -> str:
        if self.canonical:
            return "yhat - y" + (f" (given {self.condition})" if self.condition else "")
        if self.form is None:
            return f"yhat * (g - <yhat, g>), g = {self.grad}"
        return str(self.form)


def tidy(expr: sp.Expr) -> sp.Expr:
    """Cancel and factor a rational expression, writing (yhat - 1) as (1 - yhat) with the sign moved out."""
    if not expr.free_symbols or not expr.is_rational_function():
        return expr
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
        for y in _TARGETS[target_kind]:
            value = residual_at(z, y)
            if value is not None and abs(value) > 1e-12:
                return (z, y, value)
    return None


@cache
def analyse(loss_name: str, act_name: str) -> OutputDelta:
    """Decide dE/dz^L for a registered loss and output activation."""
    loss, act = LOSSES[loss_name], ACTIVATIONS[act_name]
    if not accepts(loss, act.range):
        raise DeriveError(f"loss {loss_name} is not defined for {act_name} outputs")
    if not isinstance(act, Activation):
        return _softmax(loss, act)
    return _elementwise(loss, act)


def _elementwise(loss: Loss, act: Activation) -> OutputDelta:
    outputs = sp.Integer(1) * loss.scale(WIDTH)  # 1, or 1/n_L where the loss is a mean over the outputs
    term = tidy(loss.dterm(YHAT, Y))
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
    return OutputDelta(loss.name, act.name, grad, outputs * form, False, extra=extra, witness=witness)


def _softmax(loss: Loss, act) -> OutputDelta:
    s = sp.symbols(f"s1:{K + 1}")
    outputs = sp.Integer(1) * loss.scale(WIDTH)  # 1, or 1/n_L where the loss is a mean over the outputs
    g = [outputs * loss.dterm(s[k], _ys[k]) for k in range(K)]
    # component j = 0 of (diag(s) - s s^T) g, from the record's Jacobian written with the outputs
    d0 = sum(g[k] * act.jac_out(s, k, 0) for k in range(K))
    residual = d0 - (s[0] - _ys[0])
    grad = outputs * tidy(loss.dterm(YHAT, Y))
    if _is_zero(residual):
        return OutputDelta(loss.name, act.name, grad, YHAT - Y, True, vector=True, extra=sp.Integer(1))
    for text, latex, subs in CONDITIONS:
        if _is_zero(residual.xreplace(subs)):
            return OutputDelta(loss.name, act.name, grad, YHAT - Y, True, text, latex, vector=True,
                               extra=sp.Integer(1))
    zs = [sp.Rational(-2, 5), sp.Rational(7, 10), sp.Rational(3, 2)]
    sv = act.f(zs)
    targets = {"onehot": [1, 0, 0], "unit": [sp.Rational(3, 10)] * K, "count": [2, 0, 1],
               "real": [sp.Rational(1, 2), sp.Rational(-1, 3), sp.Rational(1, 5)]}[loss.target]
    value = complex(sp.N(residual.subs(dict(zip(s, sv, strict=True)))
                         .subs(dict(zip(_ys, targets, strict=True))).subs(WIDTH, K), 30)).real
    if abs(value) <= 1e-12:
        raise DeriveError(f"could not decide whether dE/dz for {loss.name} + {act.name} is yhat - y")
    return OutputDelta(loss.name, act.name, grad, None, False, vector=True, witness=(tuple(zs), tuple(targets), value))


def table() -> list[OutputDelta]:
    """Every valid loss x output-activation pair, in registry order."""
    return [analyse(lo, a) for lo in LOSSES for a, rec in ACTIVATIONS.items() if accepts(LOSSES[lo], rec.range)]
