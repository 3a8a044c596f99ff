"""The truth of every claim in claims.toml, decided numerically and independently of derive.

Nothing here imports derive. A small fully connected network is built with mpmath (40 digits) at random unequal
widths; every derivative a claim talks about (of the cost, of one example's loss, of one forward quantity by
another) is a central finite difference of the forward pass; and each claim has a hand-written evaluator that
computes its sides, in the notation and convention of the file it comes from, from forward-pass quantities and
those finite differences, with tiny matrix helpers that refuse products of the wrong shapes.

A claim holds when every side of it agrees with the true value on every network, example and layer it applies
to; it fails on the first disagreement, on a product whose shapes do not conform, or on a term that has no
numeric meaning as written (a fraction whose numerator is not a differential, an index out of range).

    python tests/real_notes/truth.py            # per claim: numeric verdict, and whether it agrees with the manifest
    python tests/real_notes/truth.py --verbose  # also the reason of each failing claim

Internal numbering: layers 0..L, layer 0 is the input, W[l] (n_l x n_{l-1}) and b[l] feed layer l; vectors are
columns. Each evaluator translates its file's numbering (Nielsen's input layer 1, Ng's and UFLDL's W^{(l)} that
maps layer l to l+1, Bishop's a for the pre-activation, row vectors) into this one.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import mpmath as mp

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "claims.toml"

mp.mp.dps = 40
STEP = mp.mpf(10) ** -15          # central differences: error ~ STEP^2, far below TOL at 40 digits
TOL = mp.mpf(10) ** -12           # relative agreement required of every entry


class ShapeError(Exception):
    """A product, sum or Hadamard product of matrices whose shapes do not conform."""


class Undefined(Exception):
    """A term with no numeric meaning as written."""


class Mismatch(Exception):
    """A side of the claim differs from the true value."""


# ---------------------------------------------------------------- tiny matrices (lists of rows of mpf)
def zeros(r: int, c: int) -> list:
    return [[mp.mpf(0)] * c for _ in range(r)]


def shape(A) -> tuple:
    return len(A), len(A[0])


def col(values) -> list:
    return [[mp.mpf(v)] for v in values]


def T(A) -> list:
    r, c = shape(A)
    return [[A[i][j] for i in range(r)] for j in range(c)]


def mm(A, B) -> list:
    (r, k), (k2, c) = shape(A), shape(B)
    if k != k2:
        raise ShapeError(f"product of a {r}x{k} and a {k2}x{c} matrix")
    return [[mp.fsum(A[i][t] * B[t][j] for t in range(k)) for j in range(c)] for i in range(r)]


def had(A, B) -> list:
    if shape(A) != shape(B):
        raise ShapeError(f"element-wise product of a {shape(A)} and a {shape(B)} matrix")
    return [[x * y for x, y in zip(ra, rb)] for ra, rb in zip(A, B)]


def add(A, B) -> list:
    if shape(A) != shape(B):
        raise ShapeError(f"sum of a {shape(A)} and a {shape(B)} matrix")
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(A, B)]


def sub(A, B) -> list:
    return add(A, sc(-1, B))


def sc(c, A) -> list:
    return [[c * x for x in r] for r in A]


def ew(f, A) -> list:
    return [[f(x) for x in r] for r in A]


def hstack(cols) -> list:
    return [[c[i][0] for c in cols] for i in range(len(cols[0]))]


def column(A, j) -> list:
    return [[r[j]] for r in A]


def ones(n) -> list:
    return col([1] * n)


def num(x) -> mp.mpf:
    """A 1x1 matrix as a number (a scalar network's quantities)."""
    if isinstance(x, list):
        if shape(x) != (1, 1):
            raise ShapeError(f"a {shape(x)} matrix used as a number")
        return x[0][0]
    return x


# ---------------------------------------------------------------- activations and losses
def _sigmoid(x):
    return 1 / (1 + mp.e ** (-x))


ELEMENTWISE = {
    "sigmoid": _sigmoid,
    "tanh": mp.tanh,
    "relu": lambda x: x if x > 0 else mp.mpf(0),
    "identity": lambda x: x,
}


def activate(name: str, z: list) -> list:
    if name == "softmax":
        top = max(r[0] for r in z)
        e = [mp.e ** (r[0] - top) for r in z]
        s = mp.fsum(e)
        return col([v / s for v in e])
    f = ELEMENTWISE[name]
    return [[f(r[0])] for r in z]


def loss(name: str, a: list, y: list):
    """One example's loss. mse = 1/2 sum (a-y)^2; sse = sum (a-y)^2 (no 1/2); mse_per_output = the mse divided by
    the number of outputs; bce and cce as usual."""
    av, yv = [r[0] for r in a], [r[0] for r in y]
    if name == "mse":
        return mp.fsum((p - t) ** 2 for p, t in zip(av, yv)) / 2
    if name == "sse":
        return mp.fsum((p - t) ** 2 for p, t in zip(av, yv))
    if name == "mse_per_output":
        return mp.fsum((p - t) ** 2 for p, t in zip(av, yv)) / 2 / len(av)
    if name == "bce":
        return -mp.fsum(t * mp.log(p) + (1 - t) * mp.log(1 - p) for p, t in zip(av, yv))
    if name == "cce":
        return -mp.fsum(t * mp.log(p) for p, t in zip(av, yv))
    raise KeyError(name)


# ---------------------------------------------------------------- the network and its finite differences
def _grad(f, v: list) -> list:
    """Central differences of a scalar function of a column vector."""
    out = []
    for i in range(len(v)):
        up = [r[:] for r in v]
        dn = [r[:] for r in v]
        up[i][0] += STEP
        dn[i][0] -= STEP
        out.append([(f(up) - f(dn)) / (2 * STEP)])
    return out


class Net:
    """A random network with a batch of m examples, and lazily cached finite differences of its forward pass."""

    def __init__(self, widths, hidden="sigmoid", output="sigmoid", loss_name="mse", m=3, seed=0,
                 reduction="mean", l2=0, bias=True):
        rng = random.Random(seed)
        self.widths, self.L, self.m = list(widths), len(widths) - 1, m
        self.hidden, self.output, self.loss_name = hidden, output, loss_name
        self.reduction, self.l2, self.bias = reduction, mp.mpf(l2), bias
        u = lambda lo, hi: mp.mpf(rng.uniform(lo, hi))
        self.W = [None] + [[[u(-1.2, 1.2) for _ in range(widths[l - 1])] for _ in range(widths[l])]
                           for l in range(1, self.L + 1)]
        self.b = [None] + [[[u(-0.5, 0.5) if bias else mp.mpf(0)] for _ in range(widths[l])]
                           for l in range(1, self.L + 1)]
        self.X = [[[u(-1, 1)] for _ in range(widths[0])] for _ in range(m)]
        nL = widths[-1]
        if loss_name == "cce":
            self.Y = []
            for _ in range(m):
                k = rng.randrange(nL)
                self.Y.append(col([1 if i == k else 0 for i in range(nL)]))
        else:
            self.Y = [[[u(0.05, 0.95)] for _ in range(nL)] for _ in range(m)]
        self.ex = range(m)
        self.cache: dict = {}
        self.fw = [self.run(n) for n in self.ex]

    # the forward pass, optionally with z or a of one layer replaced (to differentiate by it)
    def act_name(self, l):
        return self.output if l == self.L else self.hidden

    def run(self, n, W=None, b=None, override=None):
        W, b = W or self.W, b or self.b
        a, zs, as_ = self.X[n], [None], [self.X[n]]
        if override and override[0] == 0:
            a = override[2]
            as_[0] = a
        for l in range(1, self.L + 1):
            z = add(mm(W[l], a), b[l])
            if override and override[0] == l and override[1] == "z":
                z = override[2]
            a = activate(self.act_name(l), z)
            if override and override[0] == l and override[1] == "a":
                a = override[2]
            zs.append(z)
            as_.append(a)
        return zs, as_

    def E(self, n, **kw):
        zs, as_ = self.run(n, **kw)
        return loss(self.loss_name, as_[-1], self.Y[n])

    def J(self, W=None, b=None, only=None, override=None):
        """The cost: the reduction of the examples' losses, plus (l2/2) sum W^2 when l2 is set. With only=n and an
        override, example n's forward pass has that override (the cost as a function of one example's z or a)."""
        total = []
        for n in self.ex:
            total.append(self.E(n, W=W, b=b, override=override if n == only else None))
        c = mp.fsum(total)
        if self.reduction == "mean":
            c /= self.m
        if self.l2:
            ws = W or self.W
            c += self.l2 / 2 * mp.fsum(x ** 2 for l in range(1, self.L + 1) for r in ws[l] for x in r)
        return c

    def _memo(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    # forward quantities of example n
    def z(self, n, l):
        return self.fw[n][0][l]

    def a(self, n, l):
        return self.fw[n][1][l]

    def Z(self, l):
        return hstack([self.z(n, l) for n in self.ex])

    def A(self, l):
        return hstack([self.a(n, l) for n in self.ex])

    def Yb(self):
        return hstack(self.Y)

    # finite differences of one example's loss E_n
    def delta(self, n, l):
        """dE_n/dz^l (a column)."""
        return self._memo(("delta", n, l), lambda: _grad(lambda v: self.E(n, override=(l, "z", v)), self.z(n, l)))

    def dE_da(self, n, l):
        """dE_n/da^l (a column)."""
        return self._memo(("dEda", n, l), lambda: _grad(lambda v: self.E(n, override=(l, "a", v)), self.a(n, l)))

    def dE_dW(self, n, l):
        return self._memo(("dEdW", n, l), lambda: self._param_grad(lambda W, b: self.E(n, W=W, b=b), l, "W"))

    def dE_db(self, n, l):
        return self._memo(("dEdb", n, l), lambda: self._param_grad(lambda W, b: self.E(n, W=W, b=b), l, "b"))

    # finite differences of the cost J
    def dJ_dW(self, l):
        return self._memo(("dJdW", l), lambda: self._param_grad(lambda W, b: self.J(W=W, b=b), l, "W"))

    def dJ_db(self, l):
        return self._memo(("dJdb", l), lambda: self._param_grad(lambda W, b: self.J(W=W, b=b), l, "b"))

    def dJ_dz(self, n, l):
        """dJ/dz^l of example n (a column): the cost's derivative by one column of Z^l."""
        return self._memo(("dJdz", n, l),
                          lambda: _grad(lambda v: self.J(only=n, override=(l, "z", v)), self.z(n, l)))

    def dJ_da(self, n, l):
        return self._memo(("dJda", n, l),
                          lambda: _grad(lambda v: self.J(only=n, override=(l, "a", v)), self.a(n, l)))

    def _param_grad(self, f, l, which):
        P = self.W if which == "W" else self.b
        r, c = shape(P[l])
        out = zeros(r, c)
        for i in range(r):
            for j in range(c):
                vals = []
                for s in (STEP, -STEP):
                    Q = [None] + [[row[:] for row in P[k]] for k in range(1, self.L + 1)]
                    Q[l][i][j] += s
                    vals.append(f(Q, self.b) if which == "W" else f(self.W, Q))
                out[i][j] = (vals[0] - vals[1]) / (2 * STEP)
        return out

    # finite differences of forward quantities by forward quantities (example n)
    def jac_a_z(self, n, l):
        """[i][j] = d a^l_i / d z^l_j."""
        def compute():
            cols = []
            for j in range(self.widths[l]):
                up = [r[:] for r in self.z(n, l)]
                dn = [r[:] for r in self.z(n, l)]
                up[j][0] += STEP
                dn[j][0] -= STEP
                cols.append(sc(1 / (2 * STEP), sub(activate(self.act_name(l), up), activate(self.act_name(l), dn))))
            return hstack(cols)
        return self._memo(("jaz", n, l), compute)

    def _jac_next(self, n, l, kind):
        """[k][i] = d z^{l+1}_k / d (z or a)^l_i."""
        def compute():
            base = self.z(n, l) if kind == "z" else self.a(n, l)
            cols = []
            for i in range(len(base)):
                up = [r[:] for r in base]
                dn = [r[:] for r in base]
                up[i][0] += STEP
                dn[i][0] -= STEP
                zu = self.run(n, override=(l, kind, up))[0][l + 1]
                zd = self.run(n, override=(l, kind, dn))[0][l + 1]
                cols.append(sc(1 / (2 * STEP), sub(zu, zd)))
            return hstack(cols)
        return self._memo(("jn", n, l, kind), compute)

    def jac_z_z(self, n, l):
        return self._jac_next(n, l, "z")

    def jac_z_a(self, n, l):
        return self._jac_next(n, l, "a")

    def dz_dW(self, n, l):
        """t[j][p][q] = d z^l_j / d W^l_{pq} (example n)."""
        def compute():
            r, c = shape(self.W[l])
            t = [[[None] * c for _ in range(r)] for _ in range(self.widths[l])]
            for p in range(r):
                for q in range(c):
                    zz = []
                    for s in (STEP, -STEP):
                        Q = [None] + [[row[:] for row in self.W[k]] for k in range(1, self.L + 1)]
                        Q[l][p][q] += s
                        zz.append(self.run(n, W=Q)[0][l])
                    for j in range(self.widths[l]):
                        t[j][p][q] = (zz[0][j][0] - zz[1][j][0]) / (2 * STEP)
            return t
        return self._memo(("dzdW", n, l), compute)

    def dz_db(self, n, l):
        """[j][p] = d z^l_j / d b^l_p."""
        def compute():
            cols = []
            for p in range(self.widths[l]):
                zz = []
                for s in (STEP, -STEP):
                    Q = [None] + [[row[:] for row in self.b[k]] for k in range(1, self.L + 1)]
                    Q[l][p][0] += s
                    zz.append(self.run(n, b=Q)[0][l])
                cols.append(sc(1 / (2 * STEP), sub(zz[0], zz[1])))
            return hstack(cols)
        return self._memo(("dzdb", n, l), compute)

    def dact(self, l, x):
        """The derivative of layer l's (element-wise) activation at the number x."""
        name = self.act_name(l)
        if name == "softmax":
            raise Undefined("sigma' of a softmax layer taken element-wise")
        f = ELEMENTWISE[name]
        return (f(x + STEP) - f(x - STEP)) / (2 * STEP)

    def dact_vec(self, l, z):
        return ew(lambda x: self.dact(l, x), z)

    def hidden_layers(self):
        return range(1, self.L)

    def layers(self):
        return range(1, self.L + 1)


# ---------------------------------------------------------------- comparing a side with the truth
def chk(label: str, got, want) -> None:
    got = got if isinstance(got, list) else [[got]]
    want = want if isinstance(want, list) else [[want]]
    if shape(got) != shape(want):
        raise Mismatch(f"{label}: a {shape(got)[0]}x{shape(got)[1]} side for a {shape(want)[0]}x{shape(want)[1]} "
                       "quantity")
    scale = max([abs(x) for r in want for x in r] + [mp.mpf(1)])
    for i, (rg, rw) in enumerate(zip(got, want)):
        for j, (g, w) in enumerate(zip(rg, rw)):
            if abs(g - w) > TOL * scale:
                raise Mismatch(f"{label}: entry [{i}][{j}] is {mp.nstr(g, 8)}, the forward pass gives {mp.nstr(w, 8)}")


# nets an evaluator runs on: (widths, seed); keyword settings are added per evaluator
DEFAULT_NETS = (((3, 4, 2, 5, 3), 1), ((2, 5, 3, 4), 2))
TWO_LAYER = (((3, 4, 3), 5), ((2, 5, 4), 6))            # x -> hidden -> output (a one-hidden-layer network)
CHAIN = (((1, 1, 1, 1), 7), ((1, 1, 1), 8))              # one neuron per layer
ONE_OUTPUT = (((3, 4, 2, 1), 9), ((2, 3, 1), 10))        # a single output unit
NG_FOUR = (((3, 5, 4, 2), 11), ((2, 4, 3, 3), 12))       # Ng's four-layer example (layers 1..4)

EVALUATORS: dict = {}


def evaluator(name, nets=DEFAULT_NETS, **settings):
    """Register fn(net) as the evaluator `name`: it raises Mismatch, ShapeError or Undefined when the claim fails."""
    def deco(fn):
        EVALUATORS[name] = (fn, nets, settings)
        return fn
    return deco


# ================================================================ the evaluators
# ---------------------------------------------------------------- Nielsen's four equations and their steps
@evaluator("bp1_vec")
def _bp1_vec(net):
    """delta^L = nabla_a C (.) sigma'(z^L), also in components delta^L_j = dC/da^L_j sigma'(z^L_j)."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", had(net.dE_da(n, L), net.dact_vec(L, net.z(n, L))), net.delta(n, L))


@evaluator("bp2_vec")
def _bp2_vec(net):
    """delta^l = ((w^{l+1})^T delta^{l+1}) (.) sigma'(z^l), also its component forms sigma'(z^l_k) sum_i
    w^{l+1}_{ik} delta^{l+1}_i."""
    for n in net.ex:
        for l in net.hidden_layers():
            rhs = had(mm(T(net.W[l + 1]), net.delta(n, l + 1)), net.dact_vec(l, net.z(n, l)))
            chk(f"n={n} l={l}", rhs, net.delta(n, l))


@evaluator("bp3")
def _bp3(net):
    """dC/db^l_j = delta^l_j (and the vector dC/db^l = delta^l)."""
    for n in net.ex:
        for l in net.layers():
            chk(f"n={n} l={l}", net.delta(n, l), net.dE_db(n, l))


@evaluator("bp4")
def _bp4(net):
    """dC/dw^l_{jk} = a^{l-1}_k delta^l_j (the same as delta^l (a^{l-1})^T)."""
    for n in net.ex:
        for l in net.layers():
            chk(f"n={n} l={l}", mm(net.delta(n, l), T(net.a(n, l - 1))), net.dE_dW(n, l))


@evaluator("bp3_bp4")
def _bp3_bp4(net):
    """dC/dw_{ij} = delta_i a_j together with dC/db_i = delta_i (two relations in one display)."""
    _bp4(net)
    _bp3(net)


@evaluator("dC_da_mse", loss_name="mse")
def _dc_da_mse(net):
    """dC/da^L_j = a^L_j - y_j, nabla_a C = a^L - y (quadratic cost with 1/2)."""
    for n in net.ex:
        chk(f"n={n}", sub(net.a(n, net.L), net.Y[n]), net.dE_da(n, net.L))


@evaluator("dC_da_sse", loss_name="sse")
def _dc_da_sse(net):
    """nabla_a C = 2(a^L - y) for C = sum (y - a)^2."""
    for n in net.ex:
        chk(f"n={n}", sc(2, sub(net.a(n, net.L), net.Y[n])), net.dE_da(n, net.L))


@evaluator("bp1_sse", loss_name="sse")
def _bp1_sse(net):
    """delta^L = 2(a^L - y) (.) sigma'(z^L) for C = sum (y - a)^2."""
    L = net.L
    for n in net.ex:
        rhs = had(sc(2, sub(net.a(n, L), net.Y[n])), net.dact_vec(L, net.z(n, L)))
        chk(f"n={n}", rhs, net.delta(n, L))


@evaluator("bp1_mse")
def _bp1_mse(net):
    """delta^L = (a^L - y) (.) sigma'(z^L) for the quadratic cost with 1/2 (y may be written y^* or t)."""
    L = net.L
    for n in net.ex:
        rhs = had(sub(net.a(n, L), net.Y[n]), net.dact_vec(L, net.z(n, L)))
        chk(f"n={n}", rhs, net.delta(n, L))


def _markus_row(net, side):
    L = net.L
    for n in net.ex:
        d = net.delta(n, L)
        for i in range(net.widths[L]):
            zi, yi, f = net.z(n, L)[i][0], net.Y[n][i][0], ELEMENTWISE[net.output]
            chk(f"n={n} i={i}", side(net, n, i, zi, yi, f), d[i][0])


def _fd_term(f, zi, yi):
    term = lambda v: (yi - f(v)) ** 2 / 2
    return (term(zi + STEP) - term(zi - STEP)) / (2 * STEP)


@evaluator("mk_term_of_a")
def _mk_term_of_a(net):
    """delta_i^(L) = d/dz_i^(L) [1/2 (y_i^* - a_i^(L))^2] (the derivative of one term of the loss)."""
    _markus_row(net, lambda net, n, i, zi, yi, f: _fd_term(f, zi, yi))


@evaluator("mk_term_of_sigma")
def _mk_term_of_sigma(net):
    """delta_i^(L) = d/dz_i^(L) [1/2 (y_i^* - sigma(z_i^(L)))^2]."""
    _markus_row(net, lambda net, n, i, zi, yi, f: _fd_term(f, zi, yi))


@evaluator("mk_neg_form")
def _mk_neg_form(net):
    """delta_i^(L) = -(y_i^* - sigma(z_i^(L))) sigma'(z_i^(L))."""
    _markus_row(net, lambda net, n, i, zi, yi, f: -(yi - f(zi)) * net.dact(net.L, zi))


@evaluator("mk_a_minus_y")
def _mk_a_minus_y(net):
    """delta_i^(L) = (a_i^(L) - y_i^*) sigma'(z_i^(L))."""
    _markus_row(net, lambda net, n, i, zi, yi, f: (net.a(n, net.L)[i][0] - yi) * net.dact(net.L, zi))


@evaluator("mk_yhat_minus_y")
def _mk_yhat_minus_y(net):
    """delta_i^(L) = (yhat_i - y_i^*) sigma'(z_i^(L)), yhat = a^(L)."""
    _mk_a_minus_y(net)


@evaluator("delta_out_a_minus_y")
def _delta_out_a_minus_y(net):
    """delta^L = a^L - y (canonical pairs: bce + sigmoid, cce + softmax)."""
    for n in net.ex:
        chk(f"n={n}", sub(net.a(n, net.L), net.Y[n]), net.delta(n, net.L))


@evaluator("softmax_cce_steps", output="softmax", loss_name="cce")
def _softmax_cce_steps(net):
    """ezalos: dL/do_i = -sum_k y_k dlog p_k/do_i = -sum_k y_k (1/p_k) dp_k/do_i
    = -y_i(1-p_i) - sum_{k!=i} y_k (1/p_k) (-p_k p_i) = -y_i(1-p_i) + sum_{k!=i} y_k p_i
    = -y_i + y_i p_i + sum_{k!=i} y_k p_i = p_i (sum_k y_k) - y_i = p_i - y_i,
    with o the logits z^L and p = softmax(o); y one-hot."""
    L = net.L
    for n in net.ex:
        d, p, y, o = net.delta(n, L), net.a(n, L), net.Y[n], net.z(n, L)
        J = net.jac_a_z(n, L)                       # J[k][i] = dp_k/do_i
        K = range(net.widths[L])
        for i in K:
            dlog = []
            for k in K:
                up = [r[:] for r in o]
                dn = [r[:] for r in o]
                up[i][0] += STEP
                dn[i][0] -= STEP
                dlog.append((mp.log(activate("softmax", up)[k][0]) - mp.log(activate("softmax", dn)[k][0]))
                            / (2 * STEP))
            yi, pi = y[i][0], p[i][0]
            sides = [
                -mp.fsum(y[k][0] * dlog[k] for k in K),
                -mp.fsum(y[k][0] / p[k][0] * J[k][i] for k in K),
                -yi * (1 - pi) - mp.fsum(y[k][0] / p[k][0] * (-p[k][0] * pi) for k in K if k != i),
                -yi * (1 - pi) + mp.fsum(y[k][0] * pi for k in K if k != i),
                -yi + yi * pi + mp.fsum(y[k][0] * pi for k in K if k != i),
                pi * mp.fsum(y[k][0] for k in K) - yi,
                pi - yi,
            ]
            for s, v in enumerate(sides):
                chk(f"n={n} i={i} side {s + 2}", v, d[i][0])


@evaluator("dz_dw")
def _dz_dw(net):
    """dz^l_j/dw^l_{jk} = a^{l-1}_k (every layer)."""
    for n in net.ex:
        for l in net.layers():
            t = net.dz_dW(n, l)
            for j in range(net.widths[l]):
                for k in range(net.widths[l - 1]):
                    chk(f"n={n} l={l} j={j} k={k}", net.a(n, l - 1)[k][0], t[j][j][k])


@evaluator("dz_dw_out")
def _dz_dw_out(net):
    """dz^L_j/dw^L_{jk} = a^{L-1}_k (the output layer)."""
    n_, L = net.ex, net.L
    for n in n_:
        t = net.dz_dW(n, L)
        for j in range(net.widths[L]):
            for k in range(net.widths[L - 1]):
                chk(f"n={n} j={j} k={k}", net.a(n, L - 1)[k][0], t[j][j][k])


@evaluator("dz_db_one")
def _dz_db_one(net):
    """dz^l_j/db^l_j = 1."""
    for n in net.ex:
        for l in net.layers():
            g = net.dz_db(n, l)
            for j in range(net.widths[l]):
                chk(f"n={n} l={l} j={j}", 1, g[j][j])


@evaluator("dz_db_one_out")
def _dz_db_one_out(net):
    for n in net.ex:
        g = net.dz_db(n, net.L)
        for j in range(net.widths[net.L]):
            chk(f"n={n} j={j}", 1, g[j][j])


@evaluator("chain_w_delta_a")
def _chain_w_delta_a(net):
    """dC/dw^l_{jk} = dC/dz^l_j dz^l_j/dw^l_{jk} = delta^l_j a^{l-1}_k."""
    for n in net.ex:
        for l in net.layers():
            g, t, d, a = net.dE_dW(n, l), net.dz_dW(n, l), net.delta(n, l), net.a(n, l - 1)
            for j in range(net.widths[l]):
                for k in range(net.widths[l - 1]):
                    chk(f"n={n} l={l} chain", d[j][0] * t[j][j][k], g[j][k])
                    chk(f"n={n} l={l} product", d[j][0] * a[k][0], g[j][k])


@evaluator("chain_w")
def _chain_w(net):
    """dL/dw_{ij} = dL/dz_i dz_i/dw_{ij} (the chain rule through the pre-activation)."""
    for n in net.ex:
        for l in net.layers():
            g, t, d = net.dE_dW(n, l), net.dz_dW(n, l), net.delta(n, l)
            for i in range(net.widths[l]):
                for j in range(net.widths[l - 1]):
                    chk(f"n={n} l={l}", d[i][0] * t[i][i][j], g[i][j])


@evaluator("dL_dw_dLdz_a")
def _dl_dw_dldz_a(net):
    """dL/dw_{ij} = dL/dz_i a_j."""
    for n in net.ex:
        for l in net.layers():
            chk(f"n={n} l={l}", mm(net.delta(n, l), T(net.a(n, l - 1))), net.dE_dW(n, l))


@evaluator("chain_b")
def _chain_b(net):
    """dL/db_i = dL/dz_i dz_i/db_i (= 1 x dC/dz_j = delta_j)."""
    for n in net.ex:
        for l in net.layers():
            g, t, d = net.dE_db(n, l), net.dz_db(n, l), net.delta(n, l)
            for i in range(net.widths[l]):
                chk(f"n={n} l={l} chain", d[i][0] * t[i][i], g[i][0])
                chk(f"n={n} l={l} 1 x delta", 1 * d[i][0], g[i][0])


@evaluator("bp1_chain_sum")
def _bp1_chain_sum(net):
    """dC/dz^L_k = sum_i dC/da^L_i da^L_i/dz^L_k."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", mm(T(net.jac_a_z(n, L)), net.dE_da(n, L)), net.delta(n, L))


@evaluator("bp1_chain_diag")
def _bp1_chain_diag(net):
    """dC/dz^L_k = dC/da^L_k da^L_k/dz^L_k (and delta_j^L = dC/dz_j^L = dC/da_j^L da_j^L/dz_j^L)."""
    L = net.L
    for n in net.ex:
        J, g, d = net.jac_a_z(n, L), net.dE_da(n, L), net.delta(n, L)
        for k in range(net.widths[L]):
            chk(f"n={n} k={k}", g[k][0] * J[k][k], d[k][0])


@evaluator("delta_chain_diag_all")
def _delta_chain_diag_all(net):
    """delta^l_j = dC/da^l_j da^l_j/dz^l_j = dC/da^l_j sigma'(z^l_j), at every layer."""
    for n in net.ex:
        for l in net.layers():
            J, g, d = net.jac_a_z(n, l), net.dE_da(n, l), net.delta(n, l)
            for k in range(net.widths[l]):
                chk(f"n={n} l={l} k={k} chain", g[k][0] * J[k][k], d[k][0])
                chk(f"n={n} l={l} k={k} sigma'", g[k][0] * net.dact(l, net.z(n, l)[k][0]), d[k][0])


@evaluator("bad_index_sse", loss_name="sse")
def _bad_index_sse(net):
    """blackkeys17: dC/da^L_k = 2(a^L_i - y_i), with i free on the right (read for every pair k, i)."""
    L = net.L
    for n in net.ex:
        g = net.dE_da(n, L)
        for k in range(net.widths[L]):
            for i in range(net.widths[L]):
                chk(f"n={n} k={k} i={i}", 2 * (net.a(n, L)[i][0] - net.Y[n][i][0]), g[k][0])


@evaluator("bp2_chain_z")
def _bp2_chain_z(net):
    """delta^l_j = sum_k dC/dz^{l+1}_k dz^{l+1}_k/dz^l_j = sum_k delta^{l+1}_k dz^{l+1}_k/dz^l_j."""
    for n in net.ex:
        for l in net.hidden_layers():
            chk(f"n={n} l={l}", mm(T(net.jac_z_z(n, l)), net.delta(n, l + 1)), net.delta(n, l))


@evaluator("bp2_chain_za")
def _bp2_chain_za(net):
    """dC/dz^l_k = sum_i dC/dz^{l+1}_i dz^{l+1}_i/da^l_k da^l_k/dz^l_k."""
    for n in net.ex:
        for l in net.hidden_layers():
            ja, jz = net.jac_z_a(n, l), net.jac_a_z(n, l)
            d1, d = net.delta(n, l + 1), net.delta(n, l)
            for k in range(net.widths[l]):
                v = mp.fsum(d1[i][0] * ja[i][k] for i in range(net.widths[l + 1])) * jz[k][k]
                chk(f"n={n} l={l} k={k}", v, d[k][0])


@evaluator("dz_next_da")
def _dz_next_da(net):
    """dz^{l+1}_i/da^l_k = w^{l+1}_{ik}."""
    for n in net.ex:
        for l in range(0, net.L):
            chk(f"n={n} l={l}", net.W[l + 1], net.jac_z_a(n, l))


@evaluator("dz_next_dz")
def _dz_next_dz(net):
    """dz^{l+1}_k/dz^l_i = w^{l+1}_{ki} sigma'(z^l_i)."""
    for n in net.ex:
        for l in net.hidden_layers():
            J = net.jac_z_z(n, l)
            for k in range(net.widths[l + 1]):
                for i in range(net.widths[l]):
                    chk(f"n={n} l={l}", net.W[l + 1][k][i] * net.dact(l, net.z(n, l)[i][0]), J[k][i])


@evaluator("dC_da_hidden")
def _dc_da_hidden(net):
    """dC/da^l_j = sum_q w^{l+1}_{qj} delta^{l+1}_q (hidden layers)."""
    for n in net.ex:
        for l in net.hidden_layers():
            chk(f"n={n} l={l}", mm(T(net.W[l + 1]), net.delta(n, l + 1)), net.dE_da(n, l))


@evaluator("sigmoid_derivative_out")
def _sigmoid_derivative_out(net):
    """da^L_j/dz^L_j = sigma(z^L_j)(1 - sigma(z^L_j)) = a^L_j (1 - a^L_j)."""
    L = net.L
    for n in net.ex:
        J = net.jac_a_z(n, L)
        for j in range(net.widths[L]):
            s = _sigmoid(net.z(n, L)[j][0])
            chk(f"n={n} j={j} sigma(1-sigma)", s * (1 - s), J[j][j])
            chk(f"n={n} j={j} a(1-a)", net.a(n, L)[j][0] * (1 - net.a(n, L)[j][0]), J[j][j])


@evaluator("sigmoid_derivative_all")
def _sigmoid_derivative_all(net):
    """da^l_j/dz^l_j = a^l_j(1 - a^l_j) = sigma(z^l_j)(1 - sigma(z^l_j)), every layer."""
    for n in net.ex:
        for l in net.layers():
            J = net.jac_a_z(n, l)
            for j in range(net.widths[l]):
                s = _sigmoid(net.z(n, l)[j][0])
                chk(f"n={n} l={l} a(1-a)", net.a(n, l)[j][0] * (1 - net.a(n, l)[j][0]), J[j][j])
                chk(f"n={n} l={l} sigma(1-sigma)", s * (1 - s), J[j][j])


@evaluator("da_dz_is_dact")
def _da_dz_is_dact(net):
    """da/dz = sigma'(z) (scalar network)."""
    for n in net.ex:
        for l in net.layers():
            chk(f"n={n} l={l}", net.dact(l, num(net.z(n, l))), num(net.jac_a_z(n, l)))


# ---------------------------------------------------------------- cost versus per-example gradients
@evaluator("sum_cost_mean_grad_w", reduction="sum")
def _sum_cost_mean_grad_w(net):
    """blackkeys17: with C = sum_x C_x, dC/dw_k = (1/n) sum_x dC_x/dw_k (every weight)."""
    for l in net.layers():
        chk(f"l={l}", sc(mp.mpf(1) / net.m, _sum_mats([net.dE_dW(n, l) for n in net.ex])), net.dJ_dW(l))


@evaluator("sum_cost_mean_grad_b", reduction="sum")
def _sum_cost_mean_grad_b(net):
    """blackkeys17: with C = sum_x C_x, dC/db_k = (1/n) sum_x dC_x/db_k (every bias)."""
    for l in net.layers():
        chk(f"l={l}", sc(mp.mpf(1) / net.m, _sum_mats([net.dE_db(n, l) for n in net.ex])), net.dJ_db(l))


def _sum_mats(ms):
    out = ms[0]
    for x in ms[1:]:
        out = add(out, x)
    return out


@evaluator("mean_cost_mean_grad")
def _mean_cost_mean_grad(net):
    """dJ/dTheta = (1/N) sum_n dL_n/dTheta, with J the mean of the examples' losses."""
    for l in net.layers():
        chk(f"l={l} weights", sc(mp.mpf(1) / net.m, _sum_mats([net.dE_dW(n, l) for n in net.ex])), net.dJ_dW(l))
        chk(f"l={l} biases", sc(mp.mpf(1) / net.m, _sum_mats([net.dE_db(n, l) for n in net.ex])), net.dJ_db(l))


# ---------------------------------------------------------------- MarkusThill (single example, then batches)
@evaluator("chain_z_next_sum")
def _chain_z_next_sum(net):
    """dL/dz_i^(l) = sum_k dL/dz_k^(l+1) dz_k^(l+1)/dz_i^(l) (written out term by term, or as the sum)."""
    _bp2_chain_z(net)


@evaluator("transpose_as_row_sum")
def _transpose_as_row_sum(net):
    """(W^(l+1))^T delta^(l+1) = sum_k w_k delta_k, w_k the k-th row of W^(l+1) as a column; and its i-th component
    [(W^(l+1))^T delta^(l+1)]_i = sum_k w_{k,i} delta_k."""
    for n in net.ex:
        for l in net.hidden_layers():
            W, d = net.W[l + 1], net.delta(n, l + 1)
            lhs = mm(T(W), d)
            rows = [sc(d[k][0], T([W[k]])) for k in range(net.widths[l + 1])]
            chk(f"n={n} l={l}", _sum_mats(rows), lhs)
            for i in range(net.widths[l]):
                chk(f"n={n} l={l} i={i}", mp.fsum(W[k][i] * d[k][0] for k in range(net.widths[l + 1])), lhs[i][0])


@evaluator("outer_entry")
def _outer_entry(net):
    """[delta^(l) (a^(l-1))^T]_{i,j} = delta_i^(l) a_j^(l-1)."""
    for n in net.ex:
        for l in net.layers():
            P = mm(net.delta(n, l), T(net.a(n, l - 1)))
            for i in range(net.widths[l]):
                for j in range(net.widths[l - 1]):
                    chk(f"n={n} l={l}", net.delta(n, l)[i][0] * net.a(n, l - 1)[j][0], P[i][j])


@evaluator("bias_grad_column")
def _bias_grad_column(net):
    """dL/db^(l) = delta^(l), a d_l x 1 column."""
    for n in net.ex:
        for l in net.layers():
            if shape(net.delta(n, l)) != (net.widths[l], 1):
                raise Mismatch("delta is not a column")
            chk(f"n={n} l={l}", net.delta(n, l), net.dE_db(n, l))


def _Delta(net, l):
    """The per-example deltas of the batch as the columns of one matrix."""
    return hstack([net.delta(n, l) for n in net.ex])


@evaluator("batch_bp2")
def _batch_bp2(net):
    """Delta^(l) = ((W^(l+1))^T Delta^(l+1)) (.) sigma'(Z^(l)), Delta's columns the examples' deltas."""
    for l in net.hidden_layers():
        rhs = had(mm(T(net.W[l + 1]), _Delta(net, l + 1)), net.dact_vec(l, net.Z(l)))
        chk(f"l={l}", rhs, _Delta(net, l))


@evaluator("batch_dW_mean")
def _batch_dw_mean(net):
    """dJ/dW^(l) = (1/N) Delta^(l) (A^(l-1))^T, J the mean over the batch."""
    for l in net.layers():
        chk(f"l={l}", sc(mp.mpf(1) / net.m, mm(_Delta(net, l), T(net.A(l - 1)))), net.dJ_dW(l))


@evaluator("batch_db_mean")
def _batch_db_mean(net):
    """dJ/db^(l) = (1/N) Delta^(l) 1."""
    for l in net.layers():
        chk(f"l={l}", sc(mp.mpf(1) / net.m, mm(_Delta(net, l), ones(net.m))), net.dJ_db(l))


@evaluator("batch_bp1_mse")
def _batch_bp1_mse(net):
    """Delta^(L) = (A^(L) - Y^*) (.) sigma'(Z^(L))."""
    L = net.L
    chk("batch", had(sub(net.A(L), net.Yb()), net.dact_vec(L, net.Z(L))), _Delta(net, L))


# ---------------------------------------------------------------- jonaslalin: derivatives of the batch cost J
def _dJ_dZ(net, l):
    return hstack([net.dJ_dz(i, l) for i in net.ex])


@evaluator("jl_dw_scalar")
def _jl_dw_scalar(net):
    """dJ/dw_{j,k} = sum_i dJ/dz_{j,i} dz_{j,i}/dw_{j,k} = sum_i dJ/dz_{j,i} a_{k,i}^{[l-1]}."""
    for l in net.layers():
        g = net.dJ_dW(l)
        for j in range(net.widths[l]):
            for k in range(net.widths[l - 1]):
                s1 = mp.fsum(net.dJ_dz(i, l)[j][0] * net.dz_dW(i, l)[j][j][k] for i in net.ex)
                s2 = mp.fsum(net.dJ_dz(i, l)[j][0] * net.a(i, l - 1)[k][0] for i in net.ex)
                chk(f"l={l} chain", s1, g[j][k])
                chk(f"l={l} product", s2, g[j][k])


@evaluator("jl_db_scalar")
def _jl_db_scalar(net):
    """dJ/db_j = sum_i dJ/dz_{j,i} dz_{j,i}/db_j = sum_i dJ/dz_{j,i}."""
    for l in net.layers():
        g = net.dJ_db(l)
        for j in range(net.widths[l]):
            chk(f"l={l} chain", mp.fsum(net.dJ_dz(i, l)[j][0] * net.dz_db(i, l)[j][j] for i in net.ex), g[j][0])
            chk(f"l={l} sum", mp.fsum(net.dJ_dz(i, l)[j][0] for i in net.ex), g[j][0])


@evaluator("jl_dW_matrix")
def _jl_dw_matrix(net):
    """dJ/dW^{[l]} = sum_i dJ/dz_{:,i} a_{:,i}^T = dJ/dZ^{[l]} (A^{[l-1]})^T."""
    for l in net.layers():
        g = net.dJ_dW(l)
        chk(f"l={l} sum", _sum_mats([mm(net.dJ_dz(i, l), T(net.a(i, l - 1))) for i in net.ex]), g)
        chk(f"l={l} matrix", mm(_dJ_dZ(net, l), T(net.A(l - 1))), g)


@evaluator("jl_db_vector")
def _jl_db_vector(net):
    """dJ/db^{[l]} = sum_i dJ/dz_{:,i} = the row sums of dJ/dZ^{[l]} (a column)."""
    for l in net.layers():
        chk(f"l={l} sum", _sum_mats([net.dJ_dz(i, l) for i in net.ex]), net.dJ_db(l))
        chk(f"l={l} axis=1", mm(_dJ_dZ(net, l), ones(net.m)), net.dJ_db(l))


@evaluator("jl_dz_scalar")
def _jl_dz_scalar(net):
    """dJ/dz_{j,i} = sum_p dJ/da_{p,i} da_{p,i}/dz_{j,i} (any activation, softmax included)."""
    for i in net.ex:
        for l in net.layers():
            Jm, ga = net.jac_a_z(i, l), net.dJ_da(i, l)
            for j in range(net.widths[l]):
                v = mp.fsum(ga[p][0] * Jm[p][j] for p in range(net.widths[l]))
                chk(f"i={i} l={l} j={j}", v, net.dJ_dz(i, l)[j][0])


@evaluator("jl_dz_vector")
def _jl_dz_vector(net):
    """dJ/dz_{:,i} = M dJ/da_{:,i} with M[j][p] = da_{p,i}/dz_{j,i} (the file's matrix of partials)."""
    for i in net.ex:
        for l in net.layers():
            chk(f"i={i} l={l}", mm(T(net.jac_a_z(i, l)), net.dJ_da(i, l)), net.dJ_dz(i, l))


@evaluator("jl_da_prev_scalar")
def _jl_da_prev_scalar(net):
    """dJ/da_{k,i}^{[l-1]} = sum_j dJ/dz_{j,i} dz_{j,i}/da_{k,i}^{[l-1]} = sum_j dJ/dz_{j,i} w_{j,k}."""
    for i in net.ex:
        for l in range(2, net.L + 1):
            Jz, g = net.jac_z_a(i, l - 1), net.dJ_da(i, l - 1)
            for k in range(net.widths[l - 1]):
                s1 = mp.fsum(net.dJ_dz(i, l)[j][0] * Jz[j][k] for j in range(net.widths[l]))
                s2 = mp.fsum(net.dJ_dz(i, l)[j][0] * net.W[l][j][k] for j in range(net.widths[l]))
                chk(f"i={i} l={l} chain", s1, g[k][0])
                chk(f"i={i} l={l} weights", s2, g[k][0])


@evaluator("jl_dA_prev")
def _jl_da_prev(net):
    """dJ/dA^{[l-1]} = (W^{[l]})^T dJ/dZ^{[l]}."""
    for l in range(2, net.L + 1):
        chk(f"l={l}", mm(T(net.W[l]), _dJ_dZ(net, l)), hstack([net.dJ_da(i, l - 1) for i in net.ex]))


# ---------------------------------------------------------------- steven2358 (UFLDL: W^{(l)} maps layer l to l+1)
# UFLDL's layer l is internal l-1 (input a^{(1)} = x), and its W^{(l)}, b^{(l)} feed layer l+1, i.e. internal W[l].
@evaluator("uf_cost_grad_l2", l2=mp.mpf("0.3"))
def _uf_cost_grad_l2(net):
    """dJ(W,b)/dW^{(l)}_{ij} = [1/m sum_k dJ(W,b;x^(k),y^(k))/dW^{(l)}_{ij}] + lambda W^{(l)}_{ij}."""
    for l in net.layers():
        rhs = add(sc(mp.mpf(1) / net.m, _sum_mats([net.dE_dW(k, l) for k in net.ex])), sc(net.l2, net.W[l]))
        chk(f"W^({l})", rhs, net.dJ_dW(l))


@evaluator("uf_bias_grad_wrong_target", l2=mp.mpf("0.3"))
def _uf_bias_grad_wrong_target(net):
    """dJ(W,b)/db^{(l)}_i = 1/m sum_k dJ(W,b; x^(k), y^(i))/db^{(l)}_i: the target's index is i, the bias unit."""
    for l in net.layers():
        g = net.dJ_db(l)
        for i in range(net.widths[l]):
            if i >= net.m:
                raise Undefined(f"y^(i) with i = {i + 1} > m = {net.m}: the target index is the unit index")
            vals = []
            for k in net.ex:
                def loss_k(bb, k=k, i=i):
                    zs, as_ = net.run(k, b=bb)
                    return loss(net.loss_name, as_[-1], net.Y[i])
                vals.append(net._param_grad(lambda W, b, f=loss_k: f(b), l, "b")[i][0])
            chk(f"b^({l})_{i}", mp.fsum(vals) / net.m, g[i][0])


@evaluator("uf_chain_w")
def _uf_chain_w(net):
    """dJ(W,b;x,y)/dW^{(l)}_{ij} = dJ/dz_i^{(l+1)} dz_i^{(l+1)}/dW^{(l)}_{ij}."""
    _chain_w(net)


@evaluator("uf_chain_b")
def _uf_chain_b(net):
    """dJ(W,b;x,y)/db_i^{(l)} = dJ/dz_i^{(l+1)}."""
    for n in net.ex:
        for l in net.layers():
            chk(f"n={n} l={l}", net.delta(n, l), net.dE_db(n, l))


@evaluator("uf_dz_db_one")
def _uf_dz_db_one(net):
    """dz_i^{(l+1)} / db_i^{(l)} = 1."""
    _dz_db_one(net)


@evaluator("uf_dz_dw_wrong")
def _uf_dz_dw_wrong(net):
    """dz_i^{(l+1)}/dW_{ij}^{(l)} = a_i^{(l)} (the source unit is j, not i)."""
    for n in net.ex:
        for l in net.layers():
            t = net.dz_dW(n, l)
            for i in range(net.widths[l]):
                for j in range(net.widths[l - 1]):
                    if i >= net.widths[l - 1]:
                        raise Undefined(f"a_i^(l) with i = {i + 1} > s_l = {net.widths[l - 1]}")
                    chk(f"n={n} l={l} i={i} j={j}", net.a(n, l - 1)[i][0], t[i][i][j])


@evaluator("uf_dJ_da_out", loss_name="mse")
def _uf_dj_da_out(net):
    """dJ/da_i^{(n_l)} = a_i^{(n_l)} - y_i."""
    _dc_da_mse(net)


@evaluator("uf_dJ_da_hidden")
def _uf_dj_da_hidden(net):
    """dJ/da_i^{(l)} = sum_j dJ/dz_j^{(l+1)} dz_j^{(l+1)}/da_i^{(l)} = sum_j delta_j^{(l+1)} W_{ji}^{(l)}."""
    for n in net.ex:
        for l in net.hidden_layers():
            Jz = net.jac_z_a(n, l)
            d1 = net.delta(n, l + 1)
            chk(f"n={n} l={l} chain", mm(T(Jz), d1), net.dE_da(n, l))
            chk(f"n={n} l={l} weights", mm(T(net.W[l + 1]), d1), net.dE_da(n, l))


# ---------------------------------------------------------------- XanNotZan: the cost averaged over the outputs
@evaluator("xz_dC_da", loss_name="mse_per_output")
def _xz_dc_da(net):
    """dC/da_j^L = (1/n_L)(a_j^L - y_j)."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", sc(mp.mpf(1) / net.widths[L], sub(net.a(n, L), net.Y[n])), net.dE_da(n, L))


@evaluator("xz_out_w_chain", loss_name="mse_per_output")
def _xz_out_w_chain(net):
    """dC/dw_jk^L = dC/da_j^L da_j^L/dz_j^L dz_j^L/dw_jk^L, and = (1/n_L)(a_j - y_j) a_j(1 - a_j) a_k^{L-1}
    (sigmoid)."""
    L = net.L
    for n in net.ex:
        g, ga, Jm, t = net.dE_dW(n, L), net.dE_da(n, L), net.jac_a_z(n, L), net.dz_dW(n, L)
        a, y, ap = net.a(n, L), net.Y[n], net.a(n, L - 1)
        for j in range(net.widths[L]):
            for k in range(net.widths[L - 1]):
                chk(f"n={n} chain", ga[j][0] * Jm[j][j] * t[j][j][k], g[j][k])
                v = (a[j][0] - y[j][0]) / net.widths[L] * a[j][0] * (1 - a[j][0]) * ap[k][0]
                chk(f"n={n} product", v, g[j][k])


@evaluator("xz_out_w_product", loss_name="mse_per_output")
def _xz_out_w_product(net):
    """(the continuation line) = (1/n_L)(a_j^L - y_j) . a_j^L(1 - a_j^L) . a_k^{L-1} = dC/dw_jk^L."""
    _xz_out_w_chain(net)


@evaluator("xz_out_b_chain", loss_name="mse_per_output")
def _xz_out_b_chain(net):
    """dC/db_j^L = dC/da_j^L da_j^L/dz_j^L dz_j^L/db_j^L = (1/n_L)(a_j - y_j) a_j(1 - a_j) . 1."""
    L = net.L
    for n in net.ex:
        g, ga, Jm, t = net.dE_db(n, L), net.dE_da(n, L), net.jac_a_z(n, L), net.dz_db(n, L)
        a, y = net.a(n, L), net.Y[n]
        for j in range(net.widths[L]):
            chk(f"n={n} chain", ga[j][0] * Jm[j][j] * t[j][j], g[j][0])
            chk(f"n={n} product", (a[j][0] - y[j][0]) / net.widths[L] * a[j][0] * (1 - a[j][0]) * 1, g[j][0])


@evaluator("xz_bp1", loss_name="mse_per_output")
def _xz_bp1(net):
    """delta^L = (1/n_L)(a^L - y) (.) dsigma/dz^L, the last factor the vector of sigma'(z^L_j)."""
    L = net.L
    for n in net.ex:
        rhs = had(sc(mp.mpf(1) / net.widths[L], sub(net.a(n, L), net.Y[n])), net.dact_vec(L, net.z(n, L)))
        chk(f"n={n}", rhs, net.delta(n, L))


@evaluator("xz_grad_entry")
def _xz_grad_entry(net):
    """(nabla W^l)_{jk} = delta_j^l . a_k^{l-1} = dC/dw_jk^l, with nabla W^l = delta^l (a^{l-1})^T."""
    for n in net.ex:
        for l in net.layers():
            P = mm(net.delta(n, l), T(net.a(n, l - 1)))
            g = net.dE_dW(n, l)
            for j in range(net.widths[l]):
                for k in range(net.widths[l - 1]):
                    chk(f"n={n} l={l} entry", net.delta(n, l)[j][0] * net.a(n, l - 1)[k][0], P[j][k])
                    chk(f"n={n} l={l} gradient", net.delta(n, l)[j][0] * net.a(n, l - 1)[k][0], g[j][k])


@evaluator("xz_bias_delta_one")
def _xz_bias_delta_one(net):
    """dC/db_j^l = delta_j^l . 1 = delta_j^l."""
    _bp3(net)


# ---------------------------------------------------------------- RugessNome: one hidden layer (H), output (O)
# internal: x = a[0], H = layer 1, O = layer 2 (TWO_LAYER nets), softmax output, cce, y one-hot (y the class index)
@evaluator("rg_softmax_jacobian_cases", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_softmax_jacobian_cases(net):
    """da_i^(O)/dz_j^(O) = a_i (1 - a_i) if i = j, -a_i a_j otherwise."""
    O = net.L
    for n in net.ex:
        J, a = net.jac_a_z(n, O), net.a(n, O)
        for i in range(net.widths[O]):
            for j in range(net.widths[O]):
                v = a[i][0] * (1 - a[i][0]) if i == j else -a[i][0] * a[j][0]
                chk(f"n={n} i={i} j={j}", v, J[i][j])


@evaluator("rg_out_chain_sum", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_out_chain_sum(net):
    """dl/dz_i^(O) = sum_j dl/da_j^(O) da_j^(O)/dz_i^(O)."""
    _bp1_chain_sum(net)


@evaluator("rg_dz_db_kronecker", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_dz_db_kronecker(net):
    """dz_i^(O)/db_j^(O) = 1_{i=j}."""
    for n in net.ex:
        g = net.dz_db(n, net.L)
        for i in range(net.widths[net.L]):
            for j in range(net.widths[net.L]):
                chk(f"n={n} i={i} j={j}", 1 if i == j else 0, g[i][j])


@evaluator("rg_out_bias", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_out_bias(net):
    """dl/db_i^(O) = dl/dz_i^(O)."""
    for n in net.ex:
        chk(f"n={n}", net.delta(n, net.L), net.dE_db(n, net.L))


@evaluator("rg_out_weight_sum", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_out_weight_sum(net):
    """dl/dW_ij^(O) = sum_k dl/dz_k^(O) dz_k^(O)/dW_ij^(O)."""
    O = net.L
    for n in net.ex:
        g, t, d = net.dE_dW(n, O), net.dz_dW(n, O), net.delta(n, O)
        for i in range(net.widths[O]):
            for j in range(net.widths[O - 1]):
                chk(f"n={n}", mp.fsum(d[k][0] * t[k][i][j] for k in range(net.widths[O])), g[i][j])


@evaluator("rg_dz_dw_zero", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_dz_dw_zero(net):
    """for all i != k, dz_k^(O)/dW_ij^(O) = 0."""
    O = net.L
    for n in net.ex:
        t = net.dz_dW(n, O)
        for k in range(net.widths[O]):
            for i in range(net.widths[O]):
                if i != k:
                    for j in range(net.widths[O - 1]):
                        chk(f"n={n} k={k} i={i} j={j}", 0, t[k][i][j])


@evaluator("rg_out_weight_chain", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_out_weight_chain(net):
    """dl/dW_ij^(O) = dl/dz_i^(O) dz_i^(O)/dW_ij^(O)."""
    O = net.L
    for n in net.ex:
        g, t, d = net.dE_dW(n, O), net.dz_dW(n, O), net.delta(n, O)
        for i in range(net.widths[O]):
            for j in range(net.widths[O - 1]):
                chk(f"n={n}", d[i][0] * t[i][i][j], g[i][j])


@evaluator("rg_out_weight", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_out_weight(net):
    """dl/dW_ij^(O) = dl/dz_i^(O) a_j^(H)."""
    O = net.L
    for n in net.ex:
        chk(f"n={n}", mm(net.delta(n, O), T(net.a(n, O - 1))), net.dE_dW(n, O))


@evaluator("rg_hidden_act_chain", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_act_chain(net):
    """dl/da_i^(H) = sum_j dl/dz_j^(O) dz_j^(O)/da_i^(H)."""
    for n in net.ex:
        chk(f"n={n}", mm(T(net.jac_z_a(n, 1)), net.delta(n, 2)), net.dE_da(n, 1))


@evaluator("rg_hidden_act_weights", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_act_weights(net):
    """dl/da_i^(H) = sum_j dl/dz_j^(O) W_ji^(O); in vector form nabla_{a^(H)} l = (W^(O))' nabla_{z^(O)} l."""
    for n in net.ex:
        chk(f"n={n}", mm(T(net.W[2]), net.delta(n, 2)), net.dE_da(n, 1))


@evaluator("rg_hidden_z_chain_sum", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_z_chain_sum(net):
    """dl/dz_i^H = sum_j dl/da_j^(H) da_j^(H)/dz_i^H."""
    for n in net.ex:
        chk(f"n={n}", mm(T(net.jac_a_z(n, 1)), net.dE_da(n, 1)), net.delta(n, 1))


@evaluator("rg_hidden_z_diag", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_z_diag(net):
    """dl/dz_i^H = dl/da_i^(H) g'(z_i^H); nabla_{z^(H)} l = nabla_{a^(H)} l (.) nabla_{z^H} g (g' element-wise)."""
    for n in net.ex:
        chk(f"n={n}", had(net.dE_da(n, 1), net.dact_vec(1, net.z(n, 1))), net.delta(n, 1))


@evaluator("rg_hidden_z_full", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_z_full(net):
    """nabla_{z^(H)} l = (W^(O))' nabla_{z^(O)} l (.) nabla_{z^H} g."""
    for n in net.ex:
        rhs = had(mm(T(net.W[2]), net.delta(n, 2)), net.dact_vec(1, net.z(n, 1)))
        chk(f"n={n}", rhs, net.delta(n, 1))


@evaluator("rg_hidden_bias", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_bias(net):
    """dl/db_i^(H) = dl/dz_i^(H)."""
    for n in net.ex:
        chk(f"n={n}", net.delta(n, 1), net.dE_db(n, 1))


@evaluator("rg_hidden_weight", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_hidden_weight(net):
    """dl/dW_ij^(H) = dl/dz_i^(H) x_j."""
    for n in net.ex:
        chk(f"n={n}", mm(net.delta(n, 1), T(net.X[n])), net.dE_dW(n, 1))


def _class(net, n):
    return next(k for k in range(net.widths[net.L]) if net.Y[n][k][0] == 1)


@evaluator("rg_cce_dl_da", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_cce_dl_da(net):
    """dl/da_i^(O) = -1_{i=y} / f(x)_y, y the class index."""
    O = net.L
    for n in net.ex:
        y = _class(net, n)
        v = col([-(1 if i == y else 0) / net.a(n, O)[y][0] for i in range(net.widths[O])])
        chk(f"n={n}", v, net.dE_da(n, O))


@evaluator("rg_cce_dl_dz_chain", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_cce_dl_dz_chain(net):
    """dl/dz_i^(O) = sum_j dl/da_j da_j/dz_i = -1/f(x)_y da_y^(O)/dz_i^(O)."""
    O = net.L
    for n in net.ex:
        y, J, d = _class(net, n), net.jac_a_z(n, O), net.delta(n, O)
        chk(f"n={n} sum", mm(T(J), net.dE_da(n, O)), d)
        for i in range(net.widths[O]):
            chk(f"n={n} i={i}", -1 / net.a(n, O)[y][0] * J[y][i], d[i][0])


@evaluator("rg_cce_dl_dz_cases", nets=TWO_LAYER, output="softmax", loss_name="cce")
def _rg_cce_dl_dz_cases(net):
    """dl/dz_i^(O) = a_y - 1 if i = y, a_i otherwise."""
    O = net.L
    for n in net.ex:
        y, a, d = _class(net, n), net.a(n, O), net.delta(n, O)
        for i in range(net.widths[O]):
            chk(f"n={n} i={i}", a[y][0] - 1 if i == y else a[i][0], d[i][0])


@evaluator("rg_general_out", output="softmax", loss_name="cce")
def _rg_general_out(net):
    """delta^(L) = (J^(L))' nabla_{a^(L)} l, J^(L) the Jacobian of the output activation."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", mm(T(net.jac_a_z(n, L)), net.dE_da(n, L)), net.delta(n, L))


@evaluator("rg_general_hidden", output="softmax", loss_name="cce")
def _rg_general_hidden(net):
    """delta^(l) = (J^(l))' x (W^(l+1))' delta^(l+1)."""
    for n in net.ex:
        for l in net.hidden_layers():
            rhs = mm(T(net.jac_a_z(n, l)), mm(T(net.W[l + 1]), net.delta(n, l + 1)))
            chk(f"n={n} l={l}", rhs, net.delta(n, l))


# ---------------------------------------------------------------- Bishop: a_j pre-activation, z_j = h(a_j)
# Bishop's a is the internal z, Bishop's z the internal a; j a hidden unit of layer l, k the units of layer l+1.
@evaluator("bishop_555", bias=False)
def _bishop_555(net):
    """delta_j = dE_n/da_j = sum_k dE_n/da_k da_k/da_j."""
    _bp2_chain_z(net)


@evaluator("bishop_556", bias=False)
def _bishop_556(net):
    """delta_j = h'(a_j) sum_k w_kj delta_k."""
    _bp2_vec(net)


@evaluator("bishop_dak_daj", bias=False)
def _bishop_dak_daj(net):
    """da_k/da_j = w_kj h'(a_j)."""
    _dz_next_dz(net)


@evaluator("bishop_typo_numerator", bias=False)
def _bishop_typo_numerator(net):
    """dE/da_j = sum_k \\frac{E}{\\partial a_k} da_k/da_j = h'(a_j) sum w_kj delta_k: the middle factor is E divided by
    a differential, not a derivative."""
    _bp2_vec(net)  # the last side holds
    raise Undefined("\\frac{E}{\\partial a_k} has no differential in its numerator: it is not a derivative")


@evaluator("asker_dak_daj_typo", bias=False)
def _asker_dak_daj_typo(net):
    """The asker's model (a is a unit's output, a_k = h(sum_j' w_{j'->k} a_j')): da_k/da_j = h'(sum_j' w_{j'->k} a_j)
    w_{j->k}, the argument of h' summing a_j (not a_j') times every weight into k."""
    for n in net.ex:
        for l in net.hidden_layers():
            J = net.jac_z_a(n, l)    # [k][j] = dz^{l+1}_k / da^l_j
            for k in range(net.widths[l + 1]):
                for j in range(net.widths[l]):
                    arg = mp.fsum(net.W[l + 1][k][jp] for jp in range(net.widths[l])) * net.a(n, l)[j][0]
                    true = net.dact(l + 1, net.z(n, l + 1)[k][0]) * J[k][j]     # d a^{l+1}_k / d a^l_j
                    chk(f"n={n} l={l} k={k} j={j}", net.dact(l + 1, arg) * net.W[l + 1][k][j], true)


@evaluator("asker_recursion", bias=False)
def _asker_recursion(net):
    """The asker's model: dE/da_j = sum_k h'(sum_j' w_{j'->k} a_j') w_{j->k} dE/da_k, a the units' outputs."""
    for n in net.ex:
        for l in range(1, net.L - 1):   # j and k both hidden units, h the hidden activation
            g = net.dE_da(n, l + 1)
            v = col([mp.fsum(net.dact(l + 1, net.z(n, l + 1)[k][0]) * net.W[l + 1][k][j] * g[k][0]
                             for k in range(net.widths[l + 1])) for j in range(net.widths[l])])
            chk(f"n={n} l={l}", v, net.dE_da(n, l))


# ---------------------------------------------------------------- row vectors (CS231n layout), one example
# z_2 = h W_2 + b_2 with h a row: W_2 (notes) = the transpose of the internal W[2]; delta_1 = dJ/dz_2 as a row.
def _row(v):
    return T(v)


@evaluator("row_delta_out", nets=(((3, 4, 5), 13), ((4, 2, 3), 14)), output="softmax", loss_name="cce")
def _row_delta_out(net):
    """dJ/dz_2 = yhat - y (= delta_1)."""
    for n in net.ex:
        chk(f"n={n}", _row(sub(net.a(n, 2), net.Y[n])), _row(net.delta(n, 2)))


@evaluator("row_dJ_dh", nets=(((3, 4, 5), 13), ((4, 2, 3), 14)), output="softmax", loss_name="cce")
def _row_dj_dh(net):
    """dJ/dh = delta_1 dz_2/dh = delta_1 W_2^T (rows; dz_2/dh the D_y x H Jacobian)."""
    for n in net.ex:
        d1, want = _row(net.delta(n, 2)), _row(net.dE_da(n, 1))
        chk(f"n={n} Jacobian", mm(d1, net.jac_z_a(n, 1)), want)
        W2 = T(net.W[2])                                  # H x D_y
        chk(f"n={n} W_2^T", mm(d1, T(W2)), want)


@evaluator("row_dJ_dW2_tensor", nets=(((3, 4, 5), 13), ((4, 2, 3), 14)), output="softmax", loss_name="cce")
def _row_dj_dw2_tensor(net):
    """dJ/dW_2 = dz_2/dW_2 dJ/dz_2 = h^T delta_1: the last side holds, the middle multiplies a three-index array."""
    for n in net.ex:
        chk(f"n={n} h^T delta_1", mm(T(_row(net.a(n, 1))), _row(net.delta(n, 2))), T(net.dE_dW(n, 2)))
    raise Undefined("dz_2/dW_2 has three indices (D_y x H x D_y): dz_2/dW_2 dJ/dz_2 is not a matrix product")


@evaluator("row_dJ_dW2_wrong_order", nets=(((3, 4, 5), 13), ((4, 2, 3), 14)), output="softmax", loss_name="cce")
def _row_dj_dw2_wrong_order(net):
    """dJ/dW_2 = dJ/dz_2 dz_2/dW_2 = delta_1 h^T: with rows, delta_1 h^T is 1 x D_y times H x 1."""
    for n in net.ex:
        chk(f"n={n}", mm(_row(net.delta(n, 2)), T(_row(net.a(n, 1)))), T(net.dE_dW(n, 2)))


# ---------------------------------------------------------------- Ng (bias unit; Theta^{(l)} maps layer l to l+1)
@evaluator("ng_delta3", nets=NG_FOUR)
def _ng_delta3(net):
    """delta^(3) = (Theta^(3))^T delta^(4) .* g'(z^(3)) in the four-layer network, the bias component of
    (Theta^(3))^T delta^(4) dropped as the course does: Theta^(3) = [b^(3) W] feeds layer 4 (internal 3)."""
    for n in net.ex:
        theta = [[net.b[3][i][0]] + net.W[3][i] for i in range(net.widths[3])]
        back = mm(T(theta), net.delta(n, 3))[1:]           # rows 2:end
        chk(f"n={n}", had(back, net.dact_vec(2, net.z(n, 2))), net.delta(n, 2))


@evaluator("ng_scalar_output_chain", nets=ONE_OUTPUT, loss_name="bce")
def _ng_scalar_output_chain(net):
    """dJ/dTheta^(L-1) = dJ/da^(L) da^(L)/dz^(L) dz^(L)/dTheta^(L-1), one output unit: Theta^(L-1) is the row
    [b, w] into it and dz^(L)/dTheta^(L-1) = [1, (a^(L-1))^T]."""
    L = net.L
    for n in net.ex:
        dJda = num(net.dE_da(n, L))
        dadz = num(net.jac_a_z(n, L))
        dzdtheta = [[mp.mpf(1)] + [v[0] for v in net.a(n, L - 1)]]
        want = [[num(net.dE_db(n, L))] + net.dE_dW(n, L)[0]]
        chk(f"n={n}", sc(dJda * dadz, dzdtheta), want)


# ---------------------------------------------------------------- scalar chains (one neuron per layer)
@evaluator("undefined_fraction", nets=CHAIN, loss_name="sse", bias=False)
def _undefined_fraction(net):
    """\\frac{Co}{dw_L} and the like: a numerator without its differential is not a derivative."""
    raise Undefined("a fraction such as \\frac{Co}{dw_L} has no d in its numerator: it is a quotient, not a derivative")


@evaluator("chain_w_scalar", nets=CHAIN, loss_name="sse")
def _chain_w_scalar(net):
    """dC0/dw^(L) = dC0/da^(L) da^(L)/dz^(L) dz^(L)/dw^(L)."""
    L = net.L
    for n in net.ex:
        v = num(net.dE_da(n, L)) * num(net.jac_a_z(n, L)) * net.dz_dW(n, L)[0][0][0]
        chk(f"n={n}", v, num(net.dE_dW(n, L)))


@evaluator("dC0_da_scalar", nets=CHAIN, loss_name="sse")
def _dc0_da_scalar(net):
    """dC0/da^(L) = 2(a^(L) - y)."""
    for n in net.ex:
        chk(f"n={n}", 2 * (num(net.a(n, net.L)) - num(net.Y[n])), num(net.dE_da(n, net.L)))


@evaluator("da_dz_scalar", nets=CHAIN, loss_name="sse")
def _da_dz_scalar(net):
    """da^(L)/dz^(L) = sigma'(z^(L))."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", net.dact(L, num(net.z(n, L))), num(net.jac_a_z(n, L)))


@evaluator("dz_dw_scalar", nets=CHAIN, loss_name="sse")
def _dz_dw_scalar(net):
    """dz^(L)/dw^(L) = a^(L-1)."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", num(net.a(n, L - 1)), net.dz_dW(n, L)[0][0][0])


@evaluator("dC0_dw_scalar", nets=CHAIN, loss_name="sse")
def _dc0_dw_scalar(net):
    """dC0/dw^(L) = 2(a^(L) - y) sigma'(z^(L)) a^(L-1)."""
    L = net.L
    for n in net.ex:
        v = 2 * (num(net.a(n, L)) - num(net.Y[n])) * net.dact(L, num(net.z(n, L))) * num(net.a(n, L - 1))
        chk(f"n={n}", v, num(net.dE_dW(n, L)))


@evaluator("chain_b_scalar", nets=CHAIN, loss_name="sse")
def _chain_b_scalar(net):
    """dC0/db^(L) = dC0/da^(L) da^(L)/dz^(L) dz^(L)/db^(L)."""
    L = net.L
    for n in net.ex:
        v = num(net.dE_da(n, L)) * num(net.jac_a_z(n, L)) * num(net.dz_db(n, L))
        chk(f"n={n}", v, num(net.dE_db(n, L)))


@evaluator("dC0_db_scalar", nets=CHAIN, loss_name="sse")
def _dc0_db_scalar(net):
    """dC0/db^(L) = 2(a^(L) - y) sigma'(z^(L)) x 1."""
    L = net.L
    for n in net.ex:
        v = 2 * (num(net.a(n, L)) - num(net.Y[n])) * net.dact(L, num(net.z(n, L))) * 1
        chk(f"n={n}", v, num(net.dE_db(n, L)))


@evaluator("chain_a_prev_scalar", nets=CHAIN, loss_name="sse")
def _chain_a_prev_scalar(net):
    """dC0/da^(L-1) = dC0/da^(L) da^(L)/dz^(L) dz^(L)/da^(L-1)."""
    L = net.L
    for n in net.ex:
        v = num(net.dE_da(n, L)) * num(net.jac_a_z(n, L)) * num(net.jac_z_a(n, L - 1))
        chk(f"n={n}", v, num(net.dE_da(n, L - 1)))


@evaluator("mislabelled_db_scalar", nets=CHAIN, loss_name="sse")
def _mislabelled_db_scalar(net):
    """dC0/db^(L) = 2(a^(L) - y) sigma'(z^(L)) w^(L) (the left side names the bias; the right is dC0/da^(L-1))."""
    L = net.L
    for n in net.ex:
        v = 2 * (num(net.a(n, L)) - num(net.Y[n])) * net.dact(L, num(net.z(n, L))) * num(net.W[L])
        chk(f"n={n}", v, num(net.dE_db(n, L)))


@evaluator("mean_over_examples_scalar", nets=CHAIN, loss_name="sse")
def _mean_over_examples_scalar(net):
    """dC/dw^(L) = (1/n) sum_k dC_k/dw^(L), C the average of the examples' costs."""
    L = net.L
    chk("mean", mp.fsum(num(net.dE_dW(k, L)) for k in net.ex) / net.m, num(net.dJ_dW(L)))


# ---------------------------------------------------------------- DLS batches (dZ, dA per example; dW of the cost)
@evaluator("dls_dZ")
def _dls_dz(net):
    """dZ^[l] = dA^[l] * g'^[l](Z^[l]), * element-wise; dA, dZ the columns' per-example gradients."""
    for l in net.layers():
        dA = hstack([net.dE_da(n, l) for n in net.ex])
        chk(f"l={l}", had(dA, net.dact_vec(l, net.Z(l))), _Delta(net, l))


@evaluator("dls_dW_star")
def _dls_dw_star(net):
    """dW^[l] = 1/m * dZ^[l] * A^[l-1]^T with * the element-wise product this file declares one line above."""
    for l in net.layers():
        chk(f"l={l}", sc(mp.mpf(1) / net.m, had(_Delta(net, l), T(net.A(l - 1)))), net.dJ_dW(l))


@evaluator("dls_db")
def _dls_db(net):
    """db^[l] = 1/m * np.sum(dZ^[l], axis=1, keepdims=True): the row sums of dZ over the batch, over m."""
    for l in net.layers():
        chk(f"l={l}", sc(mp.mpf(1) / net.m, mm(_Delta(net, l), ones(net.m))), net.dJ_db(l))


@evaluator("dls_dA_star")
def _dls_da_star(net):
    """dA^[l-1] = W^[l]^T * dZ^[l] with * element-wise (as declared above)."""
    for l in range(2, net.L + 1):
        chk(f"l={l}", had(T(net.W[l]), _Delta(net, l)), hstack([net.dE_da(n, l - 1) for n in net.ex]))


# ---------------------------------------------------------------- a held-out page (Nemotron-CC-Math), W^(l) into l
@evaluator("dot_for_hadamard_out")
def _dot_for_hadamard_out(net):
    """delta^(L) = (yhat - y) . sigma'(z^(L)), the dot product of two vectors: a number, not the output layer's
    vector of deltas (with the elementwise product it would be BP1)."""
    L = net.L
    for n in net.ex:
        dot = mm(T(net.dE_da(n, L)), net.dact_vec(L, net.z(n, L)))
        chk(f"n={n}", dot, net.delta(n, L))


@evaluator("outer_next_layer")
def _outer_next_layer(net):
    """dE/dW^(l) = delta^(l+1) (a^(l))^T, where W^(l) feeds layer l: the gradient of W^(l+1), one layer off."""
    for n in net.ex:
        for l in net.hidden_layers():
            chk(f"n={n} l={l}", mm(net.delta(n, l + 1), T(net.a(n, l))), net.dE_dW(n, l))


@evaluator("bias_next_layer")
def _bias_next_layer(net):
    """dE/db^(l) = delta^(l+1), where b^(l) feeds layer l: the gradient of b^(l+1), one layer off."""
    for n in net.ex:
        for l in net.hidden_layers():
            chk(f"n={n} l={l}", net.delta(n, l + 1), net.dE_db(n, l))


@evaluator("da_dz_output_component")
def _da_dz_output_component(net):
    """da^L_j/dz^L_j = sigma'(z^L_j), each output unit (its Jacobian's diagonal, by central differences)."""
    L = net.L
    for n in net.ex:
        jac, z = net.jac_a_z(n, L), net.z(n, L)
        for j in range(net.widths[L]):
            chk(f"n={n} j={j}", net.dact(L, z[j][0]), jac[j][j])


# ---------------------------------------------------------------- CompPhysics slides (targets t, activation f)
@evaluator("cp_out_w_first")
def _cp_out_w_first(net):
    """dC/dw_jk^L = (a_j^L - t_j) da_j^L/dw_jk^L, with da_j^L/dw_jk^L by finite differences."""
    L = net.L
    for n in net.ex:
        g = net.dE_dW(n, L)
        for j in range(net.widths[L]):
            for k in range(net.widths[L - 1]):
                dadw = net.jac_a_z(n, L)[j][j] * net.dz_dW(n, L)[j][j][k]
                chk(f"n={n}", (net.a(n, L)[j][0] - net.Y[n][j][0]) * dadw, g[j][k])


@evaluator("cp_da_dw")
def _cp_da_dw(net):
    """da_j^L/dw_jk^L = da_j^L/dz_j^L dz_j^L/dw_jk^L = a_j^L(1 - a_j^L) a_k^{L-1} (sigmoid): each side against the
    finite difference of a_j^L by w_jk^L."""
    L = net.L
    for n in net.ex:
        for j in range(net.widths[L]):
            for k in range(net.widths[L - 1]):
                vals = []
                for s in (STEP, -STEP):
                    Q = [None] + [[row[:] for row in net.W[i]] for i in range(1, net.L + 1)]
                    Q[L][j][k] += s
                    vals.append(net.run(n, W=Q)[1][L][j][0])
                true = (vals[0] - vals[1]) / (2 * STEP)
                chk(f"n={n} chain", net.jac_a_z(n, L)[j][j] * net.dz_dW(n, L)[j][j][k], true)
                a = net.a(n, L)[j][0]
                chk(f"n={n} product", a * (1 - a) * net.a(n, L - 1)[k][0], true)


@evaluator("cp_out_w_product")
def _cp_out_w_product(net):
    """dC/dw_jk^L = (a_j^L - t_j) a_j^L(1 - a_j^L) a_k^{L-1}."""
    L = net.L
    for n in net.ex:
        a, t = net.a(n, L), net.Y[n]
        v = mm(col([(a[j][0] - t[j][0]) * a[j][0] * (1 - a[j][0]) for j in range(net.widths[L])]), T(net.a(n, L - 1)))
        chk(f"n={n}", v, net.dE_dW(n, L))


@evaluator("cp_delta_out")
def _cp_delta_out(net):
    """delta_j^L = a_j^L(1 - a_j^L)(a_j^L - t_j) = f'(z_j^L) dC/d(a_j^L)."""
    L = net.L
    for n in net.ex:
        a, t, d = net.a(n, L), net.Y[n], net.delta(n, L)
        chk(f"n={n} product", col([a[j][0] * (1 - a[j][0]) * (a[j][0] - t[j][0]) for j in range(net.widths[L])]), d)
        chk(f"n={n} f' dC/da", had(net.dact_vec(L, net.z(n, L)), net.dE_da(n, L)), d)


@evaluator("cp_out_w_delta")
def _cp_out_w_delta(net):
    """dC/dw_jk^L = delta_j^L a_k^{L-1}."""
    L = net.L
    for n in net.ex:
        chk(f"n={n}", mm(net.delta(n, L), T(net.a(n, L - 1))), net.dE_dW(n, L))


@evaluator("cp_recursion_wkj_under_wij")
def _cp_recursion_wkj_under_wij(net):
    """delta_j^l = sum_k delta_k^{l+1} w_{kj}^{l+1} f'(z_j^l), read with the forward equation the slide recalls,
    z_j^{l+1} = sum_i w_{ij}^{l+1} a_i^l + b_j^{l+1}: w_{ij}^{l+1} connects unit i of layer l to unit j of l+1, so
    w_{kj}^{l+1} is the internal W[l+1][j][k]."""
    for n in net.ex:
        for l in net.hidden_layers():
            d, d1, W = net.delta(n, l), net.delta(n, l + 1), net.W[l + 1]
            for j in range(net.widths[l]):
                terms = []
                for k in range(net.widths[l + 1]):
                    if j >= net.widths[l + 1] or k >= net.widths[l]:
                        raise Undefined(f"w_{{kj}}^{{l+1}} with k = {k + 1}, j = {j + 1}: no such weight "
                                        f"(layer l has {net.widths[l]} units, layer l+1 {net.widths[l + 1]})")
                    terms.append(d1[k][0] * W[j][k])
                chk(f"n={n} l={l} j={j}", mp.fsum(terms) * net.dact(l, net.z(n, l)[j][0]), d[j][0])


@evaluator("cp_dz_dw_ij")
def _cp_dz_dw_ij(net):
    """dz_j^l/dw_ij^l = a_i^{l-1}, w_ij^l connecting unit i of layer l-1 to unit j of layer l (W[l][j][i])."""
    for n in net.ex:
        for l in net.layers():
            t = net.dz_dW(n, l)
            for j in range(net.widths[l]):
                for i in range(net.widths[l - 1]):
                    chk(f"n={n} l={l} i={i} j={j}", net.a(n, l - 1)[i][0], t[j][j][i])


@evaluator("cp_dz_da_ji")
def _cp_dz_da_ji(net):
    """dz_j^l/da_i^{l-1} = w_ji^l in the same convention (w_ji^l = W[l][i][j])."""
    for n in net.ex:
        for l in range(2, net.L + 1):
            J = net.jac_z_a(n, l - 1)
            for j in range(net.widths[l]):
                for i in range(net.widths[l - 1]):
                    if j >= net.widths[l - 1] or i >= net.widths[l]:
                        raise Undefined(f"w_ji^l with j = {j + 1}, i = {i + 1}: no such weight")
                    chk(f"n={n} l={l} i={i} j={j}", net.W[l][i][j], J[j][i])


# ================================================================ running the manifest
def load_manifest(path: Path = MANIFEST) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


_NETS: dict = {}


def _net(widths, seed, settings) -> Net:
    key = (tuple(widths), seed, tuple(sorted(settings.items())))
    if key not in _NETS:
        _NETS[key] = Net(widths, seed=seed, **settings)
    return _NETS[key]


def judge(evaluator_name: str, loss_name: str, output: str, hidden: str) -> tuple[str, str]:
    """(verdict, reason) of one evaluator with this loss and these activations: 'holds', or 'fails' with the
    first failure. The evaluator's own settings (a reduction, an L2 term, no biases) are kept."""
    fn, nets, settings = EVALUATORS[evaluator_name]
    settings = {**settings, "loss_name": loss_name, "output": output, "hidden": hidden}
    for widths, seed in nets:
        net = _net(widths, seed, settings)
        try:
            fn(net)
        except (Mismatch, ShapeError, Undefined) as exc:
            kind = {Mismatch: "differs", ShapeError: "shapes", Undefined: "undefined"}[type(exc)]
            return "fails", f"{kind}: {exc} (widths {list(widths)})"
    return "holds", ""


def check_setting(claim: dict) -> None:
    """An evaluator that fixes a loss or an activation must agree with the manifest's problem for the claim."""
    _, _, settings = EVALUATORS[claim["evaluator"]]
    for key, field in (("loss_name", "loss"), ("output", "output"), ("hidden", "hidden")):
        if key in settings and settings[key] != claim[field]:
            raise ValueError(f"{claim['id']}: evaluator {claim['evaluator']} is for {field} = {settings[key]}, "
                             f"the manifest says {claim[field]}")


def judge_claim(claim: dict) -> tuple[str, str]:
    check_setting(claim)
    return judge(claim["evaluator"], claim["loss"], claim["output"], claim["hidden"])


MODELLED = {"loss": {"mse", "sse", "mse_per_output", "bce", "cce"},
            "act": {"sigmoid", "tanh", "relu", "identity", "softmax"}}


def judge_under_lint_setting(claim: dict) -> tuple[str, str] | None:
    """The claim's truth when the problem is the one derive is given in the benchmark's second mode (the
    manifest's `lint` loss and activations; the same evaluator, so the same reading of the notation), or None
    when this script does not model that problem."""
    lint = claim["lint"]
    if lint["loss"] not in MODELLED["loss"] or not {lint["output"], lint["hidden"]} <= MODELLED["act"]:
        return None
    return judge(claim["evaluator"], lint["loss"], lint["output"], lint["hidden"])


def run(manifest: dict | None = None) -> list[dict]:
    """Every claim with a holds/fails verdict in the manifest: {id, manifest, numeric, reason, agrees}."""
    manifest = manifest or load_manifest()
    rows = []
    for claim in manifest["claim"]:
        if claim["verdict"] == "not-a-claim":
            continue
        verdict, reason = judge_claim(claim)
        rows.append({"id": claim["id"], "manifest": claim["verdict"], "numeric": verdict, "reason": reason,
                     "agrees": verdict == claim["verdict"]})
    return rows


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in argv
    rows = run()
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        mark = "agrees" if r["agrees"] else "DISAGREES with the manifest"
        print(f"{r['id']:<{width}}  {r['numeric']:<5}  {mark}")
        if verbose and r["reason"]:
            print(f"{'':<{width}}    {r['reason']}")
    bad = [r for r in rows if not r["agrees"]]
    counts = {v: sum(r["numeric"] == v for r in rows) for v in ("holds", "fails")}
    print(f"\n{len(rows)} claims judged: {counts['holds']} hold, {counts['fails']} fail; "
          f"{len(bad)} disagree with the manifest")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
