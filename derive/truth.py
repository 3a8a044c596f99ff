"""Ground-truth gradients from the forward pass alone.

Truth never imports the engine (derive.chain, derive.algebra, derive.layers, ...) nor any chain-rule or
backprop formula: every number is a derivative of the objective evaluated by network.py's forward pass,
either as a central difference in mpmath (``method="fd"``) or as an exact SymPy derivative in one
perturbation symbol (``method="sympy"``).

Objectives, with c_delta = 1 if delta_of == "example" else r.scale(m, K) (c_g likewise from grad_of):
    O_delta = c_delta * sum_t E_t              delta = dO_delta/dZ^l, grad_act = dO_delta/dA^l
    O_g = c_g * sum_t E_t + (lambda/2) c_g sum W^2   grad_weight = dO_g/dW, grad_bias = dO_g/db
Each entry is perturbed on its own and only what depends on it is recomputed: a Z or A entry of example t
changes E_t alone (examples are independent), a parameter changes its layer onward for every example, and
its own square in the penalty (the other terms are constants and drop out of the difference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath

from ._lazy import sp
from .errors import DeriveError
from .network import ConcreteNet, MpOps, bias_slot, canon, linear, run_trace, weight_slot

QUANTITIES = ("delta", "grad_act", "grad_weight", "grad_bias")
H = mpmath.mpf("1e-15")  # relative central-difference step: truncation error ~ H^2, far below 1e-15
DPS = 40                 # working digits; rounding error ~ 10^-DPS |O| / H, raised where a gradient is small
SYMPY_DPS = 50
MAX_SYMPY_DEPTH = 3


def scales(net: ConcreteNet, one=mpmath.mpf):
    """(c_delta, c_g): 1 for per-example quantities, else the reduction's r.scale(m, K)."""
    conv, scale = net.conv, net.problem.reduction.scale(one(net.m), net.widths[-1])
    return (1 if conv.delta_of == "example" else scale), (1 if conv.grad_of == "example" else scale)


@dataclass(frozen=True)
class Probe:
    """One scalar to differentiate by: entry (i, j) of a result; ``kind``/``slot`` say where it acts."""

    key: tuple[str, int]   # (quantity, layer label)
    i: int
    j: int
    kind: str              # "Z", "A" (slot = unit k, example t) or "W", "b" (slot = canonical row, col)
    p: int                 # internal position of the layer
    slot: tuple[int, int]
    penalised: bool = False  # a weight (not a bias) under the L2 penalty


def probes(net: ConcreteNet) -> list[Probe]:
    """Every entry of every quantity ``ground_truth`` returns, as a Probe."""
    conv, row = net.conv, net.conv.layout == "row_batch"
    out = []
    for p in range(1, net.depth + 1):
        label, n = net.label(p), net.widths[p]
        for quantity, kind in (("delta", "Z"), ("grad_act", "A")):
            shape = (net.m, n) if row else (n, net.m)
            for i in range(shape[0]):
                for j in range(shape[1]):
                    out.append(Probe((quantity, label), i, j, kind, p, (j, i) if row else (i, j)))
        W = net.weight(label)
        for i in range(W.rows):
            for j in range(W.cols):
                kind, r, c = weight_slot(conv, i, j)
                out.append(Probe(("grad_weight", label), i, j, kind, p, (r, c), kind == "W"))
        b = net.bias(label)
        for i in range(b.rows if b is not None else 0):
            for j in range(b.cols):
                out.append(Probe(("grad_bias", label), i, j, "b", p, bias_slot(conv, i, j)[1:]))
    return out


class _Context:
    """A forward pass in one number backend, ready to re-run from any perturbed entry."""

    def __init__(self, net: ConcreteNet, ops, num, one) -> None:
        self.ops, self.cn = ops, canon(net, num)
        self.trace = run_trace(ops, self.cn)
        self.c_delta, self.c_g = scales(net, one)
        self.half_lam = num(mpmath.mpf(net.conv.l2)) / 2
        self.vector_at = {net.depth: not net.problem.output.elementwise}  # softmax mixes a layer's units

    def base(self, pr: Probe):
        """The unperturbed value of the probed entry."""
        x, y = pr.slot
        if pr.kind in ("Z", "A"):
            return (self.trace.zs if pr.kind == "Z" else self.trace.as_)[pr.p][y][x]
        return self.cn.W[pr.p][x][y] if pr.kind == "W" else self.cn.b[pr.p][x]

    def objective(self, pr: Probe, value):
        """The part of O_delta or O_g that depends on the probed entry, with the entry set to ``value``."""
        ops, cn, tr, p = self.ops, self.cn, self.trace, pr.p
        if pr.kind in ("Z", "A"):
            k, t = pr.slot
            v = list((tr.zs if pr.kind == "Z" else tr.as_)[p][t])
            v[k] = value
            return self.c_delta * self._tail(p, v if pr.kind == "A" else self._act(p, v, t, k), t)
        r, c = pr.slot
        row, bias = list(cn.W[p][r]), cn.b[p][r]
        if pr.kind == "W":
            row[c] = value
        else:
            bias = value
        losses = []
        for t, a in enumerate(tr.as_[p - 1]):
            z = list(tr.zs[p][t])
            z[r] = ops.dot(row, a) + bias  # z^p_r = sum_c W_rc a_c + b_r; the other rows are unchanged
            losses.append(self._tail(p, self._act(p, z, t, r), t))
        penalty = self.half_lam * self.c_g * value * value if pr.penalised else 0
        return self.c_g * ops.total(losses) + penalty

    def _act(self, p: int, z: list, t: int, k: int) -> list:
        """a^p of example t after only z^p_k changed: f(z_k) in place for an elementwise f, else f(z)."""
        if self.vector_at.get(p):
            return self.ops.act(p, z)
        a = list(self.trace.as_[p][t])
        a[k] = self.ops.act(p, [z[k]])[0]
        return a

    def _tail(self, p: int, a: list, t: int):
        """E_t given a^p of example t: layers p+1..L, then the loss.

        Where a layer's activations equal the unperturbed ones exactly (a ReLU clipped the change to 0),
        the rest of the pass is the unperturbed one and E_t is taken from it.
        """
        ops, cn, tr = self.ops, self.cn, self.trace
        for q in range(p, len(cn.W)):
            if q > p:
                a = ops.act(q, linear(ops, cn, q, a))
            if a == tr.as_[q][t]:
                return tr.losses[t]
        return ops.loss(a, cn.ys[t])


def ground_truth(net: ConcreteNet, method: str = "fd") -> dict[tuple[str, int], mpmath.matrix]:
    """dO/d(every Z, A, W, b entry) of ``net``, keyed (quantity, layer label), shaped as the convention holds them.

    Args:
        net: a concrete network.
        method: "fd" (central differences in mpmath, relative error ~1e-20) or "sympy" (exact symbolic
            derivatives in one perturbation symbol, numbers carried as 60-digit SymPy Floats; depth <= 3).

    Returns:
        {("delta", l): dO_delta/dZ^l, ("grad_act", l): dO_delta/dA^l, ("grad_weight", l): dO_g/dW feeding l,
        ("grad_bias", l): dO_g/db^l} for every layer l after the input, as mpmath matrices.
    """
    if method == "fd":
        entry = _fd_entries
    elif method == "sympy":
        if net.depth > MAX_SYMPY_DEPTH:
            raise DeriveError(f"method 'sympy' is for depth <= {MAX_SYMPY_DEPTH} (got {net.depth}); use 'fd'")
        entry = _sympy_entries
    else:
        raise DeriveError(f"unknown ground-truth method {method!r} (known: fd, sympy)")
    prs = probes(net)
    out = {}
    for pr, value in zip(prs, entry(net, prs)):
        if pr.key not in out:
            out[pr.key] = mpmath.matrix(*_shape(net, pr.key))
        out[pr.key][pr.i, pr.j] = value
    return out


LOCAL_DPS = 60  # a local derivative by central difference: step 1e-25, truncation ~1e-50, rounding ~1e-35


class LocalDerivatives:
    """d(of)/d(wrt) on one network by central differences through the forward pass (network.py) alone; the
    two perturbed forward passes of each ``wrt`` entry are run once and read for every ``of``.

    ``of`` is (kind, layer, row, column) of a forward quantity ("z" or "a") as the convention stores it;
    ``wrt`` likewise of a forward quantity, a weight ("W", stored under the weight's own label) or a bias
    ("b"). A quantity that ``of`` does not depend on (an earlier layer, another example) gives 0.
    """

    def __init__(self, net: ConcreteNet, fwd=None) -> None:
        from .network import forward
        self.net, self.forward = net, forward
        with mpmath.workdps(LOCAL_DPS):
            self.base = fwd if fwd is not None else forward(net)
        self.moved: dict = {}

    def __call__(self, of: tuple, wrt: tuple):
        kind, label, i, j = of
        with mpmath.workdps(LOCAL_DPS):
            h = mpmath.mpf("1e-25")
            if wrt not in self.moved:
                self.moved[wrt] = (self._move(wrt, h), self._move(wrt, -h))
            up, down = self.moved[wrt]
            value = (self._read(up, kind, label, i, j) - self._read(down, kind, label, i, j)) / (2 * h)
        return +value

    @staticmethod
    def _read(f, kind: str, label: int, i: int, j: int):
        table = f.Z if kind == "z" else f.A
        if kind not in ("z", "a") or label not in table:
            raise DeriveError(f"no forward quantity {kind} at layer {label}")
        return table[label][i, j]

    def _move(self, wrt: tuple, step):
        """The forward pass with the ``wrt`` entry moved by ``step`` (a layer override or a changed parameter)."""
        import dataclasses
        net, (wkind, wlabel, r, c) = self.net, wrt
        if wkind in ("z", "a"):
            table = self.base.Z if wkind == "z" else self.base.A
            if wlabel not in table:
                raise DeriveError(f"no forward quantity {wkind} at layer {wlabel}")
            M = table[wlabel].copy()
            M[r, c] += step
            return self.forward(net, override=(wkind.upper(), wlabel, M), base=self.base)
        params = {"W": net.weights, "b": net.biases}.get(wkind)
        if params is None or wlabel not in params:
            raise DeriveError(f"no parameter {wkind} at layer {wlabel}")
        M = params[wlabel].copy()
        M[r, c] += step
        field = "weights" if wkind == "W" else "biases"
        return self.forward(dataclasses.replace(net, **{field: {**params, wlabel: M}}))


def _shape(net: ConcreteNet, key: tuple[str, int]) -> tuple[int, int]:
    quantity, label = key
    if quantity == "grad_weight":
        W = net.weight(label)
        return W.rows, W.cols
    if quantity == "grad_bias":
        b = net.bias(label)
        return b.rows, b.cols
    n = net.width(label)
    return (net.m, n) if net.conv.layout == "row_batch" else (n, net.m)


# ---------------------------------------------------------------- central differences in mpmath

def _fd_entries(net: ConcreteNet, prs: list[Probe]) -> list:
    # a perturbation at position p passes through L - p layers, each of which may shrink it (sigmoid' <= 1/4):
    # start with a digit per layer in hand, and raise the precision where the difference is still too small
    with mpmath.workdps(DPS + net.depth + 10):
        ctx = _Context(net, MpOps(net), lambda x: x, mpmath.mpf)
    return [_central(ctx, pr, DPS + net.depth - pr.p) for pr in prs]


def _central(ctx: _Context, pr: Probe, dps: int, rounds: int = 4):
    """(O(x + h) - O(x - h)) / 2h with h = H |x| (H at x = 0), at a precision where rounding costs < 1e-17.

    A step relative to x keeps ln(yhat) smooth across the step when yhat is tiny, and stays on one side of
    a ReLU kink when z is close to it.
    """
    x0, zeros = ctx.base(pr), 0
    h = H * abs(x0) if x0 else H
    for last in range(rounds - 1, -1, -1):
        with mpmath.workdps(dps):
            xp, xm = x0 + h, x0 - h
            fp, fm = ctx.objective(pr, xp), ctx.objective(pr, xm)
            diff = fp - fm
            # rounding noise ~ 1000 ulp of |O|; accept when it is below 1e-17 of the difference
            need = max(abs(fp), abs(fm)) * mpmath.mpf(10) ** (20 - dps)
            if abs(diff) >= need or not last or zeros:
                return +(diff / (xp - xm))
        if diff:
            dps += int(math.ceil(float(mpmath.log10(need / abs(diff))))) + 5
        else:  # exactly equal: a true zero, or a change lost below the last digit; twice exactly equal is 0
            dps, zeros = 2 * dps, 1


# ---------------------------------------------------------------- exact derivatives in SymPy

def _sympy_entries(net: ConcreteNet, prs: list[Probe]) -> list:
    # SymPy Floats of SYMPY_DPS + 10 digits hold the network's binary fractions exactly; everything not
    # depending on t collapses to such numbers, so only the perturbed path stays symbolic
    t = sp.Symbol("t", real=True)
    ctx = _Context(net, SymOps(net, t), lambda x: sp.Float(x, SYMPY_DPS + 10), sp.Integer)
    values = []
    for pr in prs:
        d = sp.diff(ctx.objective(pr, ctx.base(pr) + t), t).xreplace({t: 0})
        with mpmath.workdps(SYMPY_DPS):
            values.append(mpmath.mpf(sp.N(d, SYMPY_DPS)))
    return values


def _exact(expr):
    """``expr`` with its Floats (e.g. leaky_relu's 0.01) replaced by the binary fractions they stand for."""
    return expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})


class SymOps:
    """Forward-pass arithmetic on SymPy numbers with the registries' definitions applied directly.

    ``t`` is the perturbation symbol. A Piecewise (ReLU-type) is replaced by the branch that holds at t = 0:
    its conditions are strict, so that branch holds near t = 0 and the derivative there is exact.
    """

    def __init__(self, net: ConcreteNet, t) -> None:
        self.depth, self.problem, self.t = net.depth, net.problem, t
        self._z, self._yh, self._y = sp.Dummy("z"), sp.Dummy("yhat"), sp.Dummy("y")
        self._f = {rec.name: _exact(rec.f(self._z)) for rec in (net.problem.hidden, net.problem.output)
                   if rec.elementwise}
        self._term = _exact(net.problem.loss.term(self._yh, self._y))

    @staticmethod
    def dot(row, a):
        return sp.Add(*[w * x for w, x in zip(row, a)])

    def act(self, p: int, z: list) -> list:
        rec = self.problem.output if p == self.depth else self.problem.hidden
        if rec.elementwise:
            return [self._local(self._f[rec.name], x) for x in z]
        return rec.f(list(z))

    def _local(self, f, x):
        """f(x) near t = 0: each Piecewise of f replaced by its branch active at x(0)."""
        if f.has(sp.Piecewise):
            x0 = x.xreplace({self.t: 0})
            f = f.replace(lambda e: isinstance(e, sp.Piecewise),
                          lambda e: next(b for b, c in e.args if c.xreplace({self._z: x0}) == sp.true))
        return f.xreplace({self._z: x})

    def loss(self, a: list, y: list):
        return sp.Add(*[self._term.xreplace({self._yh: yh, self._y: yk}) for yh, yk in zip(a, y)])

    @staticmethod
    def total(values):
        return sp.Add(*values)
