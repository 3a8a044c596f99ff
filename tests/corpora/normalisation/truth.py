"""Numeric truth of every claim in claims.toml, decided outside derive.

Each claim's formula is written again below as a Python function of a batch (hand-transcribed from the
source: that transcription is the independent reading). The true value of the quantity it claims is the
central finite difference of the forward definition

    mu = mean(x), var = mean((x - mu)^2), x_hat = (x - mu) / sqrt(var + eps), y = gamma * x_hat + beta,

(statistics over the batch, column-wise, for batchnorm; over the features, row-wise, for layernorm), fed
to the loss l = sum(c * y + d * y^2 / 2), so the upstream gradient dl/dy = c + d * y differs entry by
entry. Batches are m x D with m != D, gamma != 1 (and of both signs), beta != 0, eps in [0.05, 0.2].
A claim holds when it agrees with the finite difference on every draw; a formula that takes other
quantities as given (`uses`) is handed their true values. Run: python tests/corpora/normalisation/truth.py
It prints a table and exits non-zero when a verdict differs from the manifest's `truth`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import tomllib

HERE = Path(__file__).resolve().parent
SIZES = ((4, 3), (3, 5), (5, 2))   # (m, D): never square
SEEDS = (0, 1, 2)
H = 1e-6                           # finite-difference step
TOL = 1e-6                         # relative to 1 + max |truth|


# ----------------------------------------------------------------------------- the forward definition

def _axis(kind: str) -> int:
    return {"batchnorm": 0, "layernorm": 1}[kind]


def _variance(x, mu, ax, unbiased):
    n = x.shape[ax]
    return ((x - mu) ** 2).sum(axis=ax, keepdims=True) / (n - 1 if unbiased else n)


def _draw(kind, m, D, seed):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        kind=kind, ax=_axis(kind),
        x=rng.uniform(-2, 2, (m, D)),
        gamma=rng.uniform(0.5, 2, D) * rng.choice((-1.0, 1.0), D),
        beta=rng.uniform(-1, 1, D),
        eps=float(rng.uniform(0.05, 0.2)),
        c=rng.uniform(-1, 1, (m, D)), d=rng.uniform(0.2, 1, (m, D)))


def _loss(p, y):
    return float(np.sum(p.c * y + 0.5 * p.d * y * y))


def _output(p, x, gamma, beta, unbiased):
    mu = x.mean(axis=p.ax, keepdims=True)
    var = _variance(x, mu, p.ax, unbiased)
    return gamma * (x - mu) / np.sqrt(var + p.eps) + beta


def _fd(f, a):
    """Central finite differences of the scalar f at the array a."""
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += H
        down[idx] -= H
        g[idx] = (f(up) - f(down)) / (2 * H)
    return g


def _truths(p, unbiased):
    """Every quantity's true value, each by finite differences of the forward definition."""
    x, gamma, beta, ax, eps = p.x, p.gamma, p.beta, p.ax, p.eps
    mu = x.mean(axis=ax, keepdims=True)
    var = _variance(x, mu, ax, unbiased)
    xhat = (x - mu) / np.sqrt(var + eps)
    t = {
        "dx": _fd(lambda a: _loss(p, _output(p, a, gamma, beta, unbiased)), x),
        "dgamma": _fd(lambda g: _loss(p, _output(p, x, g, beta, unbiased)), gamma),
        "dbeta": _fd(lambda b: _loss(p, _output(p, x, gamma, b, unbiased)), beta),
        "dxhat": _fd(lambda xh: _loss(p, gamma * xh + beta), xhat),
        "dvar": _fd(lambda v: _loss(p, gamma * (x - mu) / np.sqrt(v + eps) + beta), var),
        "dmu": _fd(lambda u: _loss(p, gamma * (x - u) / np.sqrt(_variance(x, u, ax, unbiased) + eps) + beta), mu),
    }
    # the variance path's term of dx: dl/dsigma^2 times dsigma^2/dx_i with mu held fixed
    dvar_dx = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += H
        down[idx] -= H
        stat = (0, idx[1]) if ax == 0 else (idx[0], 0)
        dvar_dx[idx] = (_variance(up, mu, ax, unbiased)[stat] - _variance(down, mu, ax, unbiased)[stat]) / (2 * H)
    t["dx_var_path"] = np.broadcast_to(t["dvar"], x.shape) * dvar_dx
    return t, mu, var, xhat


def _env(p, unbiased):
    t, mu, var, xhat = _truths(p, unbiased)
    x = p.x
    std = np.sqrt(var + p.eps)
    e = SimpleNamespace(
        x=x, gamma=p.gamma, beta=p.beta, eps=p.eps, mu=mu, var=var, std=std, istd=1 / std, xmu=x - mu,
        xhat=xhat, y=p.gamma * xhat + p.beta, n=x.shape[p.ax], N=x.shape[0], D=x.shape[1], ax=p.ax)
    e.dy = p.c + p.d * e.y                   # dl/dy of the loss (the layer's upstream gradient)
    e.dxhat, e.dvar, e.dmu = t["dxhat"], t["dvar"], t["dmu"]   # the true values, for `uses`
    return e, t


# ----------------------------------------------------------------------------- the claims, transcribed

def S0(a):
    """Sum over the batch (axis 0), keeping the row axis: a batchnorm statistic's shape (1, D)."""
    return a.sum(axis=0, keepdims=True)


def S1(a):
    """Sum over the features (axis 1), keeping the column axis: a layernorm statistic's shape (m, 1)."""
    return a.sum(axis=1, keepdims=True)


def _kratzert_dmu(e):
    dxmu1 = e.dxhat * e.istd
    dsq = 1. / e.N * np.ones((e.N, e.D)) * e.dvar
    dxmu2 = 2 * e.xmu * dsq
    return dxmu1, dxmu2, -1 * np.sum(dxmu1 + dxmu2, axis=0)


def _kratzert_dx(e):
    dxmu1, dxmu2, _ = _kratzert_dmu(e)
    dx1 = dxmu1 + dxmu2
    dx2 = 1. / e.N * np.ones((e.N, e.D)) * e.dmu
    return dx1 + dx2


def _kratzert_dvar(e):
    divar = np.sum(e.dxhat * e.xmu, axis=0)
    dsqrtvar = -1. / (e.std ** 2) * divar
    return 0.5 * 1. / np.sqrt(e.var + e.eps) * dsqrtvar


def _zlotus_dmu(e):
    dvar_dmean = -2. / e.N * np.sum(e.x - e.mu, axis=0)
    dout_dmean = np.sum(e.dxhat * (1 / np.sqrt(e.var + e.eps)) * (-1), axis=0)
    return dout_dmean + e.dvar * dvar_dmean


def _zlotus_dx_analytic(e):
    dout_dx = e.dxhat * (1 / np.sqrt(e.var + e.eps))
    dvar_dx = 2. / e.N * (e.x - e.mu)
    dmean_dx = 1. / e.N * np.ones([e.N, e.D])
    return dout_dx + e.dmu * dmean_dx + e.dvar * dvar_dx


def _zlotus_dx_graph(e):
    N, D = e.N, e.D
    dout_dxhat = e.gamma * e.dy
    dout_dstdinv = np.sum(dout_dxhat * e.xmu, axis=0)
    dout_dstd = -1 * dout_dstdinv / (e.std ** 2)
    dout_dvar = dout_dstd * 1 / (2 * e.std)
    dout_dxcenterdsq = dout_dvar * np.ones((N, D)) / N
    dout_dxcenter = dout_dxhat * e.istd + dout_dxcenterdsq * 2 * e.xmu
    dout_dmean = -1 * np.sum(dout_dxcenter, axis=0)
    return 1 * dout_dxcenter + dout_dmean * np.ones((N, D)) / N


def _zb_dvar_simple(e):
    dinv = np.sum(e.dxhat * e.xmu, axis=0)
    dstd = dinv * (-e.std ** (-2))
    return dstd * (0.5 * (e.var + e.eps) ** (-0.5))


def _sk_same(e):          # "for j = i": delta_i gamma ((m-1)/(m sigma) - (x_i - mu)^2 / (N sigma^3))
    m, s = e.N, e.std
    return e.dy * e.gamma * ((m - 1) / (m * s) - e.xmu ** 2 / (m * s ** 3))


def _sk_other(e):         # "for j != i": sum over j != i of delta_j gamma (-1/(m sigma) - (x_j-mu)(x_i-mu)/(N sigma^3))
    m, s, d, g = e.N, e.std, e.dy, e.gamma
    every = np.zeros_like(e.x)
    for i in range(m):
        for j in range(m):
            if j != i:
                every[i] += d[j] * g * (-1 / (m * s[0]) - e.xmu[j] * e.xmu[i] / (m * s[0] ** 3))
    return every


def _caffe(e, extra):
    Y, g = e.xhat, e.dxhat
    base = g - g.mean(0) - (g * Y).mean(0) * Y
    return (base + extra(Y, g)) / np.sqrt(e.var + e.eps)


def _knet(e):
    dyivar = e.dy * e.istd
    return dyivar


def _triton_dx(e):
    wdy = e.gamma * e.dy
    mean1 = S1(e.xhat * wdy) / e.n
    mean2 = S1(wdy) / e.n
    return (wdy - (e.xhat * mean1 + mean2)) * e.istd


def _ascend(e):
    H_ = e.n
    pd_xl = e.dxhat
    pd_var = np.sum(((-0.5) * pd_xl * (e.x - e.mu) * np.power((e.var + e.eps), (-1.5))), 1, keepdims=True)
    pd_mean = (np.sum(((-1.0) * pd_xl * np.power((e.var + e.eps), (-0.5))), 1, keepdims=True)
               + e.dvar * (1.0 / H_) * np.sum(((-2.0) * (e.x - e.mu)), 1, keepdims=True))
    pd_x = pd_xl * np.power((e.var + e.eps), (-0.5)) + e.dvar * (2.0 / H_) * (e.x - e.mu) + e.dmu * (1.0 / H_)
    return pd_var, pd_mean, pd_x


def _nemotron_dx(e):
    F, g = e.n, e.dxhat
    return {
        "elementwise": (1 / F) * (g * (1 / np.sqrt(e.var + e.eps)) - e.xhat / (e.var + e.eps) * g * e.xhat),
        "row-dot": (1 / F) * (g * (1 / np.sqrt(e.var + e.eps)) - e.xhat / (e.var + e.eps) * S1(g * e.xhat)),
    }


def _k78_dvar(e):
    df7 = e.dy * e.gamma
    df6 = np.sum(df7 * e.xmu, axis=0, keepdims=True)
    df5 = df6 * (-1.0 / (e.std ** 2))
    return df5 * (1.0 / (2 * np.sqrt(e.var + e.eps)))


def _k78_dx(e):
    B = e.N
    df7, df4, f2, f6 = e.dxhat, e.dvar, e.xmu, e.istd
    df3 = np.ones_like(e.x) * df4 / B
    df2 = df3 * 2 * f2 + df7 * f6
    df1 = -np.sum(df2, axis=0, keepdims=True)
    return df2 + np.ones_like(e.x) * df1 / B


def _aidge_dx(e):
    g = e.dy * e.gamma                     # each row is one example's vector of d features
    d = e.n
    out = np.zeros_like(e.x)
    for r in range(e.N):
        xh = e.xhat[r][:, None]
        P = np.eye(d) - np.ones((d, d)) / d - xh @ xh.T / d
        out[r] = (1 / e.std[r, 0]) * (P @ g[r])
    return out


CLAIMS = {
    "is-01": lambda e: e.dy * e.gamma,
    "is-02": lambda e: S0(e.dxhat * (e.x - e.mu) * (-1 / 2) * (e.var + e.eps) ** (-3 / 2)),
    "is-03": lambda e: S0(e.dxhat * -1 / np.sqrt(e.var + e.eps)) + e.dvar * S0(-2 * (e.x - e.mu)) / e.N,
    "is-04": lambda e: e.dxhat / np.sqrt(e.var + e.eps) + e.dvar * 2 * (e.x - e.mu) / e.N + e.dmu / e.N,
    "is-05": lambda e: S0(e.dy * e.xhat),
    "is-06": lambda e: S0(e.dy),
    "kr-01": lambda e: np.sum(e.dy, axis=0),
    "kr-02": lambda e: np.sum(e.dy * e.xhat, axis=0),
    "kr-03": lambda e: e.dy * e.gamma,
    "kr-04": _kratzert_dvar,
    "kr-05": lambda e: _kratzert_dmu(e)[2],
    "kr-06": _kratzert_dx,
    "zl-01": lambda e: (e.gamma * e.istd / e.N) * (e.N * e.dy - np.sum(e.dy * e.xmu, axis=0) * e.xmu * e.istd ** 2
                                                  - np.sum(e.dy, axis=0)),
    "zl-02": lambda e: np.sum(e.dxhat * (e.x - e.mu) * (-0.5) * (e.var + e.eps) ** (-1.5), axis=0),
    "zl-03": _zlotus_dmu,
    "zl-04": _zlotus_dx_analytic,
    "zl-05": _zlotus_dx_graph,
    "zb-01": lambda e: e.gamma * (e.var + e.eps) ** (-1.5) * (-0.5) * S0(e.dy * e.xmu),
    "zb-02": lambda e: 1. / e.N * e.gamma * (e.var + e.eps) ** (-1.5) * np.sum(e.dy * e.xmu, axis=0) * e.xmu,
    "zb-03": lambda e: -e.gamma * (e.var + e.eps) ** (-0.5) * S0(e.dy),
    "zb-04": lambda e: 1. / e.N * e.gamma * (e.var + e.eps) ** (-0.5) * (
        e.N * e.dy - e.xmu * np.sum(e.dy * e.xmu, axis=0) / (e.var + e.eps) - np.sum(e.dy, axis=0)),
    "zb-05": _zb_dvar_simple,
    "sk-01": lambda e: S0(e.dy * e.xhat),
    "sk-02": lambda e: S0(e.dy),
    "sk-03": _sk_same,
    "sk-04": _sk_other,
    "sk-05": lambda e: e.gamma / (e.N * e.std) * (e.N * e.dy - S0(e.dy) - e.xhat * S0(e.dy * e.xhat)),
    "cf-01": lambda e: _caffe(e, lambda Y, g: 0 * Y),
    "cf-02": lambda e: _caffe(e, lambda Y, g: -(g.mean(0) * Y.mean(0))),
    "cf-03": lambda e: _caffe(e, lambda Y, g: (g * Y).mean(0) * Y.mean(0)),
    "dk-01": lambda e: S0(e.dxhat) * (-1. / np.sqrt(e.var + e.eps)),
    "dk-02": lambda e: e.dxhat * 1. / np.sqrt(e.var + e.eps) + e.dvar * 2. * (e.x - e.mu) / e.N + e.dmu / e.N,
    "kn-01": lambda e: S0(e.xmu * _knet(e)),
    "kn-02": lambda e: S0(e.dy),
    "kn-03": lambda e: -0.5 * S0(_knet(e) * e.xmu * e.istd ** 2),
    "kn-04": lambda e: -S0(_knet(e)) - 2 * e.dvar * S0(e.xmu) / e.N,
    "kn-05": lambda e: _knet(e) + e.dvar * 2 * e.xmu / e.N + e.dmu / e.N,
    "tr-01": _triton_dx,
    "tr-02": lambda e: np.sum(e.dy * e.xhat, axis=0),
    "tr-03": lambda e: np.sum(e.dy, axis=0),
    "as-01": lambda e: e.dy * e.gamma,
    "as-02": lambda e: _ascend(e)[0],
    "as-03": lambda e: _ascend(e)[1],
    "as-04": lambda e: _ascend(e)[2],
    "yy-01": lambda e: np.sum(e.dy * e.xhat, axis=0),
    "yy-02": lambda e: np.sum(e.dy, axis=0),
    "yy-03": lambda e: e.dy * e.gamma,
    "yy-04": lambda e: S1(e.dxhat * (e.x - e.mu) * (-0.5 * (e.var + e.eps) ** (-1.5))),
    "yy-05": lambda e: -1 / np.sqrt(e.var + e.eps) * S1(e.dxhat),
    "nm-01": lambda e: e.gamma * e.dy,
    "nm-02": _nemotron_dx,
    "hg-01": lambda e: np.sum(e.dy, axis=0),
    "hg-02": lambda e: np.sum(e.dy * e.xhat, axis=0),
    "hg-03": lambda e: np.sum(e.dy * e.xhat, axis=0),
    "hg-04": lambda e: e.dy * e.gamma,
    "hg-05": lambda e: e.dy * e.gamma,
    "rd-01": lambda e: np.sum(e.dxhat * (e.x - e.mu) * -0.5 * np.power(e.var + e.eps, -1.5), axis=0, keepdims=True),
    "rd-02": lambda e: (np.sum(e.dxhat * -e.istd, axis=0, keepdims=True)
                        + e.dvar * (np.sum(-2.0 * (e.x - e.mu)) / float(e.N))),
    "rd-03": lambda e: (e.dxhat * e.istd) + (e.dvar * ((2. / e.N) * (e.x - e.mu))) + (e.dmu / float(e.N)),
    "rd-04": lambda e: np.sum(e.dy * e.xhat, axis=0, keepdims=True),
    "te-01": lambda e: e.istd * (e.dxhat - e.dxhat.mean(0) - e.xhat * (e.dxhat * e.xhat).mean(0)),
    "k7-01": lambda e: np.sum(e.dy, axis=0),
    "k7-02": _k78_dvar,
    "k7-03": _k78_dx,
    "ai-01": _aidge_dx,
    "ai-02": lambda e: np.sum(e.dy * e.xhat, axis=0),
    "ai-03": lambda e: np.sum(e.dy, axis=0),
}


# ----------------------------------------------------------------------------- judging

def _agrees(value, truth) -> bool:
    value = np.asarray(value, dtype=float)
    if value.size == truth.size:
        value = value.reshape(truth.shape)
    else:
        try:
            value = np.broadcast_to(value, truth.shape)
        except ValueError:
            return False
    return bool(np.max(np.abs(value - truth)) <= TOL * (1 + np.max(np.abs(truth))))


def verdict(claim) -> str:
    """holds | fails | ambiguous (readings disagree) for one manifest claim, over every draw."""
    unbiased = claim.get("variance", "biased") == "unbiased"
    per_reading: dict[str, bool] = {}
    for (m, D), seed in zip(SIZES, SEEDS):
        e, t = _env(_draw(claim["kind"], m, D, seed), unbiased)
        got = CLAIMS[claim["id"]](e)
        readings = got if isinstance(got, dict) else {"": got}
        for name, value in readings.items():
            ok = _agrees(value, t[claim["quantity"]])
            per_reading[name] = per_reading.get(name, True) and ok
    if all(per_reading.values()):
        return "holds"
    if not any(per_reading.values()):
        return "fails"
    return "ambiguous"


def _self_check() -> None:
    """The finite differences against a closed form they were not built from (Ioffe & Szegedy's compact dx)."""
    for kind in ("batchnorm", "layernorm"):
        for (m, D), seed in zip(SIZES, SEEDS):
            p = _draw(kind, m, D, seed)
            e, t = _env(p, False)
            mean = (lambda a: a.mean(0, keepdims=True)) if kind == "batchnorm" else (lambda a: a.mean(1, keepdims=True))
            g = e.dy * e.gamma
            compact = e.istd * (g - mean(g) - e.xhat * mean(g * e.xhat))
            assert _agrees(compact, t["dx"]), (kind, m, D)
            # negative controls: the judge must reject the classic mistakes on these draws
            assert not _agrees(g * e.istd, t["dx"]), "mu and sigma^2 treated as constants"
            assert not _agrees(e.istd * (e.dy - mean(e.dy) - e.xhat * mean(e.dy * e.xhat)), t["dx"]), "gamma dropped"
            n = e.n
            bessel = e.istd * (g - mean(g) - n / (n - 1) * e.xhat * mean(g * e.xhat))
            assert not _agrees(bessel, t["dx"]), "the n-1 variance's dx on the 1/n forward"
            eu, tu = _env(p, True)   # the n-1 forward: the same formula now holds
            gu = eu.dy * eu.gamma
            assert _agrees(eu.istd * (gu - mean(gu) - n / (n - 1) * eu.xhat * mean(gu * eu.xhat)), tu["dx"])


def main() -> int:
    claims = tomllib.loads((HERE / "claims.toml").read_text(encoding="utf-8"))["claim"]
    ids = [c["id"] for c in claims]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    assert set(ids) == set(CLAIMS), f"manifest and transcriptions differ: {set(ids) ^ set(CLAIMS)}"
    _self_check()
    bad = []
    print(f"{'id':7} {'kind':10} {'quantity':12} {'manifest':9} {'numeric':9}")
    for c in claims:
        v = verdict(c)
        mark = "" if v == c["truth"] else "   <-- DISAGREES"
        if mark:
            bad.append(c["id"])
        print(f"{c['id']:7} {c['kind']:10} {c['quantity']:12} {c['truth']:9} {v:9}{mark}")
    holds = sum(c["truth"] == "holds" for c in claims)
    sources = len({c["url"] for c in claims})
    print(f"\n{len(claims)} claims, {holds} hold, {len(claims) - holds} fail, {sources} sources")
    if bad:
        print("disagreements:", ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
