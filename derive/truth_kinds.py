"""Ground truth for one layer on its own (batch normalisation, layer normalisation, inverted dropout).

Each kind's forward pass is written again here from its definition, over ``layer_inputs``' concrete input,
and recorded on ``truth``'s scalar tape (+ - x /, sqrt, each with its textbook derivative), at DPS digits:

    batchnorm  mu_k = (1/m) sum_n x_nk,  var_k = (1/m) sum_n (x_nk - mu_k)^2     (1/(m-1) when unbiased)
    layernorm  mu_n = (1/D) sum_k x_nk,  var_n = (1/D) sum_k (x_nk - mu_n)^2     (1/(D-1) when unbiased)
    both       xhat = (x - mu) / sqrt(var + eps),  y_nk = gamma_k xhat_nk + beta_k
    dropout    y = mask x / keep

then one backward sweep from the loss ``layer_inputs.loss(inp, y)`` gives every adjoint. Reverse mode gives an
interior node the derivative of the loss by that node cut into a leaf, everything before it held fixed and
everything after it recomputed: dxhat with xhat a leaf, dvar with var a leaf that feeds xhat (mu fixed), dmu with
mu a leaf that feeds var and xhat, which are the meanings of Ioffe & Szegedy's (2015, section 3) chain-rule
equations; dx, dgamma, dbeta are total derivatives.

Why it is trustworthy: it shares nothing with the engine (``derive.layers``' local derivatives, the generic
reverse pass) nor with any published backward formula: no formula of the paper is written here, only scalar
rules on a tape. It has no truncation error; the only error is rounding at DPS = 50 digits (u = 10^-50): an
adjoint of N operations per path (N about 2n + 10, n the statistic's sample size) with cancellation kappa
among the paths is off by at most about N u kappa relative, below 1e-40 for kappa < 1e8 (batch norm's dx is
such a cancellation: its column sums are exactly 0). tests/test_truth_kinds.py checks every returned adjoint,
the intermediate ones with their cut node perturbed, to 1e-30 against central differences at 80 digits of a
forward written again in the test, and against PyTorch autograd in float64 where torch is installed.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath

from .errors import DeriveError
from .layer_inputs import LayerInput, loss
from .truth import PRIMITIVES, Tape, Var, _sum

DPS = 50  # working digits of the forward pass and the backward sweep
_sqrt = PRIMITIVES["sqrt"]  # d/dx sqrt x = 1 / (2 sqrt x)


def _values(rows) -> tuple:
    """A matrix (or vector) of tape nodes as tuples of their values."""
    return tuple(_values(r) if isinstance(r, list | tuple) else (r.v if isinstance(r, Var) else r) for r in rows)


def _adjoints(adj: list, rows) -> tuple:
    """The adjoints of a matrix (or vector) of tape nodes, in its shape; mpf zero where nothing flowed."""
    return tuple(_adjoints(adj, r) if isinstance(r, list | tuple) else mpmath.mpf(adj[r.i]) for r in rows)


def _normalisation(inp: LayerInput, axis: int) -> dict[str, tuple]:
    """Batch norm (statistics over the examples, axis 0) or layer norm (over the features, axis 1)."""
    m, D = inp.m, inp.D
    tape = Tape()
    x = [[tape.var(v) for v in row] for row in inp.x]
    gamma, beta = [tape.var(v) for v in inp.gamma], [tape.var(v) for v in inp.beta]
    n = (m, D)[axis]                                  # sample size of one statistic
    if inp.unbiased and n < 2:
        raise DeriveError(f"the n - 1 variance of {inp.kind} needs n >= 2 entries per statistic, got {n}")
    divisor = mpmath.mpf(n - 1 if inp.unbiased else n)
    stat = (lambda r, k: k) if axis == 0 else (lambda r, k: r)  # entry (r, k) is normalised by statistic g
    members = [[(r, k) for r in range(m) for k in range(D) if stat(r, k) == g] for g in range((D, m)[axis])]
    mu = [_sum([x[r][k] for r, k in group]) / mpmath.mpf(n) for group in members]
    centred = [[x[r][k] - mu[stat(r, k)] for k in range(D)] for r in range(m)]
    var = [_sum([centred[r][k] * centred[r][k] for r, k in group]) / divisor for group in members]
    std = [_sqrt(v + inp.eps) for v in var]
    xhat = [[centred[r][k] / std[stat(r, k)] for k in range(D)] for r in range(m)]
    y = [[gamma[k] * xhat[r][k] + beta[k] for k in range(D)] for r in range(m)]
    adj = tape.backward(loss(inp, y))
    out = {"x": tuple(inp.x), "mu": _values(mu), "var": _values(var), "xhat": _values(xhat), "y": _values(y)}
    for name, nodes in (("dy", y), ("dxhat", xhat), ("dvar", var), ("dmu", mu), ("dx", x),
                        ("dgamma", gamma), ("dbeta", beta)):
        out[name] = _adjoints(adj, nodes)
    return out


def _dropout(inp: LayerInput) -> dict[str, tuple]:
    """Inverted dropout with the given mask: y = mask x / keep."""
    tape = Tape()
    x = [[tape.var(v) for v in row] for row in inp.x]
    y = [[xi * keep / inp.keep for xi, keep in zip(xr, mr)] for xr, mr in zip(x, inp.mask)]
    adj = tape.backward(loss(inp, y))
    return {"x": tuple(inp.x), "y": _values(y), "dy": _adjoints(adj, y), "dx": _adjoints(adj, x)}


KIND_TRUTH: dict[str, Callable[[LayerInput], dict[str, tuple]]] = {
    "batchnorm": lambda inp: _normalisation(inp, axis=0),
    "layernorm": lambda inp: _normalisation(inp, axis=1),
    "dropout": _dropout,
}


def kind_truth(inp: LayerInput) -> dict[str, tuple]:
    """Forward values and the loss's adjoints of one layer, from its definition, at DPS digits.

    Matrices are tuples of m row tuples, vectors tuples. Batch and layer norm: "x", "mu", "var", "xhat", "y",
    "dy", "dxhat", "dvar", "dmu", "dx", "dgamma", "dbeta" (mu, var, dmu, dvar: one per feature for batch norm,
    one per example for layer norm); dropout: "x", "y", "dy", "dx".

    Raises:
        DeriveError: the input's kind has no ground truth here, or an n - 1 variance has n < 2.
    """
    rule = KIND_TRUTH.get(inp.kind)
    if rule is None:
        raise DeriveError(f"no ground truth for layer kind {inp.kind!r}; known: {', '.join(KIND_TRUTH)}")
    with mpmath.workdps(DPS):
        return rule(inp)
