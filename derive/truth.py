"""Ground-truth gradients from the forward pass alone.

Truth never imports the engine (derive.chain, derive.algebra, derive.layers, derive.components, derive.formula,
...) nor any chain-rule or backprop formula: every number is a derivative of the objective evaluated through
network.py's forward definition, by one of three independent methods:

- ``"reverse"`` (the default): scalar reverse-mode differentiation. The forward pass of every example is
  recorded on a tape (``Tape``, ``Var``), one node per elementary operation of the definition: + - x /,
  powers, the dot product z = sum w a + b, and the functions the registries' SymPy definitions of the
  activations and the loss lambdify to (exp, log, tanh, erf, sqrt, comparisons for Piecewise/Max/Heaviside),
  each with its textbook scalar derivative (``PRIMITIVES``); a name without a rule is refused. Softmax is
  differentiated as written, exp(z_k) / sum_j exp(z_j). One backward sweep per objective gives every entry
  (one sweep for both where the two objectives are the same: equal scales, no penalty): cost linear in depth.
  The sweep runs on mpmath's raw values with the functions mpf's ``*`` and ``+`` call, so its bits are theirs.
  The registries' derivative fields (df, dterm), which are what verification checks, are never read.
- ``"fd"``: central differences in mpmath, one probe per entry, re-running the layers after it (O(depth^2)).
- ``"sympy"``: SymPy derivatives in one perturbation symbol t (depth <= 3), one layer at a time: each
  activation on the perturbed path is replaced by its first-order line x(0) + x'(0) t, which has the same
  derivative at t = 0, so the chain rule loses nothing; x(0) and x'(0) are SymPy Floats of SYMPY_DPS + 10
  digits, so each layer rounds ten digits below the SYMPY_DPS the method reports (the test cases' values were
  the same in every reported digit as when the whole path stayed symbolic).

Why "reverse" is trustworthy: it has no truncation error; the only error is rounding at the working
precision d = DPS + depth + 10 digits (u = 10^-d). The computed adjoint of an entry g differs from the exact
one by at most about N u sum_paths |product of local derivatives| (N: operations on the longest path,
about 5 per layer), i.e. a relative error ~ N u kappa, kappa >= 1 the cancellation among the paths: below
1e-40 unless kappa exceeds 1e8, far under the 1e-20 the documents print as noise and the 1e-9 tolerance
of verification. It shares nothing with the engine's matrix chain rule (no matrix, no transpose, no
formula: only scalar rules on a tape), and tests/test_truth_reverse.py and tests/test_truth.py check it
to 1e-30 against central differences at 90-120 digits (every registered loss x output pair and hidden
activation, every preset convention and reduction, with and without L2, depths 2-5 and 12) and exact SymPy
derivatives, at depth 24 against itself with 40 more digits (no entry moves by 1e-40 of itself), and against
PyTorch autograd where torch is installed.

Objectives, with c_delta = 1 if delta_of == "example" else r.scale(m, K) (c_g likewise from grad_of):
    O_delta = c_delta * sum_t E_t              delta = dO_delta/dZ^l, grad_act = dO_delta/dA^l
    O_g = c_g * sum_t E_t + (lambda/2) c_g sum W^2   grad_weight = dO_g/dW, grad_bias = dO_g/db
For "fd" and "sympy" each entry is perturbed on its own and only what depends on it is recomputed: a Z or A
entry of example t changes E_t alone (examples are independent), a parameter changes its layer onward for
every example, and its own square in the penalty (the other terms are constants and drop out of the
difference).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
from mpmath.libmp import from_float, from_int, mpf_add, mpf_mul

from ._lazy import sp
from .errors import DeriveError
from .losses import Lists, VectorLoss
from .network import Canon, ConcreteNet, Forward, MpOps, bias_slot, canon, linear, run_trace, weight_slot

QUANTITIES = ("delta", "grad_act", "grad_weight", "grad_bias")
H = mpmath.mpf("1e-15")  # relative central-difference step: truncation error ~ H^2, far below 1e-15
DPS = 40                 # working digits; rounding error ~ 10^-DPS |O| / H, raised where a gradient is small
SYMPY_DPS = 50
MAX_SYMPY_DEPTH = 3
METHODS = ("reverse", "fd", "sympy")


def scales(net: ConcreteNet, one=mpmath.mpf):
    """(c_delta, c_g): 1 for per-example quantities, else the reduction's r.scale(m, K)."""
    conv, scale = net.conv, net.cost_scale(one)
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
        if b is not None:  # no bias at this layer: no probes
            for i in range(b.rows):
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


def ground_truth(net: ConcreteNet, method: str = "reverse") -> dict[tuple[str, int], mpmath.matrix]:
    """dO/d(every Z, A, W, b entry) of ``net``, keyed (quantity, layer label), shaped as the convention holds them.

    Args:
        net: a concrete network.
        method: "reverse" (reverse-mode differentiation of the forward pass in mpmath at DPS + depth + 10
            digits, one forward and one backward sweep; rounding only, relative error ~1e-45), "fd"
            (central differences in mpmath, relative error ~1e-20, O(depth^2)) or "sympy" (exact symbolic
            derivatives in one perturbation symbol, numbers carried as 60-digit SymPy Floats; depth <= 3).

    Returns:
        {("delta", l): dO_delta/dZ^l, ("grad_act", l): dO_delta/dA^l, ("grad_weight", l): dO_g/dW feeding l,
        ("grad_bias", l): dO_g/db^l} for every layer l after the input, as mpmath matrices.
    """
    entry: Callable[[ConcreteNet, list[Probe]], list]
    if method == "reverse":
        entry = _reverse_entries
    elif method == "fd":
        entry = _fd_entries
    elif method == "sympy":
        if net.depth > MAX_SYMPY_DEPTH:
            raise DeriveError(f"method 'sympy' is for depth <= {MAX_SYMPY_DEPTH} (got {net.depth}); use 'fd'")
        entry = _sympy_entries
    else:
        raise DeriveError(f"unknown ground-truth method {method!r} (known: {', '.join(METHODS)})")
    prs = probes(net)
    return _matrices(net, prs, entry(net, prs))


def _matrices(net: ConcreteNet, prs: list[Probe], values: list, name: str | None = None) -> dict:
    """The probes' values as the matrices they are entries of, keyed (quantity, layer label), or (``name``, label)."""
    out: dict = {}
    for pr, value in zip(prs, values):
        key = pr.key if name is None else (name, pr.key[1])
        if key not in out:
            out[key] = mpmath.matrix(*_shape(net, pr.key))
        out[key][pr.i, pr.j] = value
    return out


def summed_losses_gradient(net: ConcreteNet) -> dict[tuple[str, int], mpmath.matrix]:
    """d(sum over the examples of their losses)/dW for every weight, without the L2 penalty, keyed
    ("accumulated", weight label) and shaped as the convention holds the weight: what Ng's algorithm accumulates
    in Delta^(l) (Delta := Delta + delta^(l+1) (a^(l))^T, one example at a time), whatever the convention's
    reduction or penalty. The same tape as ``ground_truth``'s reverse mode: O_delta is c_delta times the summed
    losses and carries no penalty, so its adjoints over c_delta are the sum's."""
    prs = [pr for pr in probes(net) if pr.key[0] == "grad_weight"]
    return _matrices(net, prs, _reverse_entries(net, prs, summed=True), "accumulated")


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
        self._canon: Canon | None = None

    STEP = "1e-25"

    def __call__(self, of: tuple, wrt: tuple):
        kind, label, i, j = of
        self._read(self.base, kind, label, i, j)  # a quantity the forward pass has
        with mpmath.workdps(LOCAL_DPS):
            up, down, h = self.passes(wrt, stop=label)
            value = (self._read(up, kind, label, i, j) - self._read(down, kind, label, i, j)) / (2 * h)
        return +value

    def passes(self, wrt: tuple, stop: int | None = None) -> tuple:
        """(forward pass with ``wrt`` moved up by h, moved down by h, h): for a central difference of anything the
        forward pass determines (an expression of its quantities, as well as one of them). With ``stop`` (a layer
        label) the passes end at that layer: enough for a quantity of it or of an earlier layer."""
        with mpmath.workdps(LOCAL_DPS):
            h = mpmath.mpf(self.STEP)
            key = (wrt, None) if (wrt, None) in self.moved else (wrt, stop)
            if key not in self.moved:
                self.moved[key] = (self._move(wrt, h, stop), self._move(wrt, -h, stop))
            return (*self.moved[key], h)

    @staticmethod
    def _read(f, kind: str, label: int, i: int, j: int):
        table = f.Z if kind == "z" else f.A
        if kind not in ("z", "a") or label not in table:
            raise DeriveError(f"no forward quantity {kind} at layer {label}")
        return table[label][i, j]

    def _move(self, wrt: tuple, step, stop: int | None = None):
        """The forward pass with the ``wrt`` entry moved by ``step`` (a layer override or a changed parameter), to
        layer ``stop`` (a label; None: to the loss)."""
        import dataclasses
        net, (wkind, wlabel, r, c) = self.net, wrt
        if wkind in ("z", "a"):
            table = self.base.Z if wkind == "z" else self.base.A
            if wlabel not in table:
                raise DeriveError(f"no forward quantity {wkind} at layer {wlabel}")
            M = table[wlabel].copy()
            M[r, c] += step
            return self.forward(net, override=(wkind.upper(), wlabel, M), base=self.base, stop=stop)
        params = {"W": net.weights, "b": net.biases}.get(wkind)
        if params is None or wlabel not in params:
            raise DeriveError(f"no parameter {wkind} at layer {wlabel}")
        M = params[wlabel].copy()
        M[r, c] += step
        changed = {**params, wlabel: M}
        moved = dataclasses.replace(net, weights=changed) if wkind == "W" else dataclasses.replace(net, biases=changed)
        return self._rerun(moved, wkind, wlabel, r, c, step, stop)

    def _rerun(self, moved: ConcreteNet, wkind: str, wlabel: int, r: int, c: int, step, stop: int | None):
        """The forward pass of ``moved`` (this network with one parameter entry moved by ``step``): the layers
        before the one the parameter feeds are this network's, so only that layer and those after it run again,
        on the canonical form with the same entry moved (the same sum, rounded the same way, as canon(moved))."""
        net = self.net
        if self._canon is None:
            self._canon = canon(net)
        cn = self._canon
        if wkind == "W":
            p = next(q for q in range(1, net.depth + 1) if net.conv.weight_index(net.label(q)) == wlabel)
            kind, i, j = weight_slot(net.conv, r, c)
        else:
            p = net.position(wlabel)
            kind, i, j = bias_slot(net.conv, r, c)
        W, b = list(cn.W), list(cn.b)
        if kind == "W":
            W[p] = [list(row) for row in W[p]]
            W[p][i][j] = W[p][i][j] + step
        else:
            b[p] = list(b[p])
            b[p][i] = b[p][i] + step
        return Forward(moved, run_trace(MpOps(moved), Canon(W, b, cn.xs, cn.ys), start=p, base=self.base.trace,
                                        stop=None if stop is None else net.position(stop)))


def _shape(net: ConcreteNet, key: tuple[str, int]) -> tuple[int, int]:
    quantity, label = key
    if quantity == "grad_weight":
        W = net.weight(label)
        return W.rows, W.cols
    if quantity == "grad_bias":
        b = net.bias(label)
        assert b is not None  # probes() makes a grad_bias probe only where the layer has a bias
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


# ---------------------------------------------------------------- reverse mode on the forward pass

class Tape:
    """A Wengert list: node i's parents as (j, d node_i / d node_j); creation order is a topological order."""

    def __init__(self) -> None:
        self.parents: list[tuple] = []

    def var(self, value, parents: tuple = ()) -> Var:
        """A new node of value ``value``; ``parents`` are (node index, local derivative) pairs."""
        self.parents.append(parents)
        return Var(self, value, len(self.parents) - 1)

    def backward(self, root: Var) -> list:
        """d root / d node for every node: the chain rule, once, in reverse creation order from ``root``."""
        make = mpmath.mp.make_mpf
        return [0 if x is None else make(x) for x in self.adjoints(root)]

    def adjoints(self, root: Var) -> list:
        """``backward`` as mpmath's raw values (None for an exact zero): the same sums of the same products, each
        rounded once at the working precision by the functions mpf's ``*`` and ``+`` call, so every bit is
        theirs (both round correctly, so which of them forms a product, of an int or of an mpf, does not
        matter), without an mpf object made for each of them."""
        prec, rnd = mpmath.mp._prec_rounding
        adj: list = [None] * len(self.parents)
        adj[root.i] = ONE
        parents = self.parents
        for i in range(root.i, -1, -1):
            g = adj[i]
            if g is not None and g[1]:  # an exact zero (a dead ReLU) passes nothing on
                for j, local in parents[i]:
                    d = mpf_mul(g, _raw(local), prec, rnd)
                    a = adj[j]
                    adj[j] = d if a is None else mpf_add(a, d, prec, rnd)
        return adj


ONE = from_int(1)


def _raw(x) -> tuple:
    """A local derivative (an mpf, or an int or float constant such as 1 or -1) as mpmath's raw value, exactly."""
    raw = getattr(x, "_mpf_", None)
    if raw is not None:
        return raw
    if isinstance(x, int):
        return from_int(x)
    if isinstance(x, float):
        return from_float(x)
    raise DeriveError(f"a local derivative {x!r} on the tape is not a real number")


def _value(x):
    return x.v if isinstance(x, Var) else x


def _node(value, *edges) -> Var:
    """A node of ``value`` whose parents are the Vars among ``edges`` = (operand, d value / d operand)."""
    tape = next(x.tape for x, _ in edges if isinstance(x, Var))
    return tape.var(value, tuple((x.i, d) for x, d in edges if isinstance(x, Var)))


class Var:
    """A scalar of the forward pass on a tape: value ``v``, node index ``i``. Each operator computes its value
    and, beside it, its textbook local derivatives; comparisons compare values (a branch is locally constant)."""

    __slots__ = ("tape", "v", "i")
    # compared by value, like the numbers it stands for; unhashable as Python documents it (mypy reads object's
    # __hash__ as a method that None cannot override)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, tape: Tape, v, i: int) -> None:
        self.tape, self.v, self.i = tape, v, i

    def __repr__(self) -> str:
        return f"Var({self.v}, #{self.i})"

    def __add__(self, other):  # d(x + y) = dx + dy
        return _node(self.v + _value(other), (self, 1), (other, 1))

    __radd__ = __add__

    def __sub__(self, other):  # d(x - y) = dx - dy
        return _node(self.v - _value(other), (self, 1), (other, -1))

    def __rsub__(self, other):
        return _node(_value(other) - self.v, (other, 1), (self, -1))

    def __neg__(self):
        return _node(-self.v, (self, -1))

    def __pos__(self):
        return self

    def __mul__(self, other):  # d(x y) = y dx + x dy
        y = _value(other)
        return _node(self.v * y, (self, y), (other, self.v))

    __rmul__ = __mul__

    def __truediv__(self, other):  # d(x / y) = dx / y - (x / y^2) dy
        y = _value(other)
        y = mpmath.mpf(y) if isinstance(y, int) else y  # 1 / 3 as a Python float would keep 53 bits of it
        q = self.v / y
        return _node(q, (self, 1 / y), (other, -q / y))

    def __rtruediv__(self, other):
        q = _value(other) / self.v
        return _node(q, (other, 1 / self.v), (self, -q / self.v))

    def __pow__(self, other):
        return _power(self, other)

    def __rpow__(self, other):
        return _power(other, self)

    def __abs__(self):  # d|x| = sign(x) dx
        return _node(abs(self.v), (self, mpmath.sign(self.v)))

    def __lt__(self, other):
        return self.v < _value(other)

    def __le__(self, other):
        return self.v <= _value(other)

    def __gt__(self, other):
        return self.v > _value(other)

    def __ge__(self, other):
        return self.v >= _value(other)

    def __eq__(self, other):
        return self.v == _value(other)

    def __ne__(self, other):
        return self.v != _value(other)


def _power(x, y) -> Var:
    # d(x^y) = y x^(y-1) dx + x^y ln(x) dy; the second term only where the exponent is on the tape
    xv, yv = _value(x), _value(y)
    v = xv ** yv
    dx = yv * xv ** (yv - 1) if isinstance(x, Var) else 0
    dy = v * mpmath.log(xv) if isinstance(y, Var) else 0
    return _node(v, (x, dx), (y, dy))


def _unary(f, df):
    """A function of one argument on the tape: f on numbers, df(x, f(x)) its derivative."""
    def apply(x):
        if not isinstance(x, Var):
            return f(x)
        y = f(x.v)
        return x.tape.var(y, ((x.i, df(x.v, y)),))
    return apply


def _dot(ws: list, xs: list, b) -> Var:
    """z = sum_c w_c x_c + b as one node: dz/dw_c = x_c, dz/dx_c = w_c, dz/db = 1."""
    wv, xv = [_value(w) for w in ws], [_value(x) for x in xs]
    edges = [(w, x) for w, x in zip(ws, xv)] + [(x, w) for x, w in zip(xs, wv)] + [(b, 1)]
    return _node(mpmath.fdot(wv, xv) + _value(b), *edges)


def _sum(xs: list):
    """sum_k x_k as one node: d/dx_k = 1 (mpmath.fsum, as the forward pass sums)."""
    if not any(isinstance(x, Var) for x in xs):
        return mpmath.fsum(xs)
    return _node(mpmath.fsum(_value(x) for x in xs), *((x, 1) for x in xs))


# What the registries' SymPy definitions lambdify to (network.py's MpmathPrinter code), each name with its
# textbook derivative; a definition that uses any other name is refused, never evaluated without its rule.
PRIMITIVES = {
    "exp": _unary(mpmath.exp, lambda x, y: y),                    # d/dx e^x = e^x
    "log": _unary(mpmath.log, lambda x, y: 1 / x),                # d/dx ln x = 1/x
    "tanh": _unary(mpmath.tanh, lambda x, y: 1 - y * y),          # d/dx tanh x = 1 - tanh^2 x
    "erf": _unary(mpmath.erf, lambda x, y: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)),  # 2/sqrt(pi) e^-x^2
    "sqrt": _unary(mpmath.sqrt, lambda x, y: 1 / (2 * y)),        # d/dx sqrt x = 1 / (2 sqrt x)
    "abs": abs,                                                   # Var.__abs__: d|x| = sign(x)
    "sign": _unary(mpmath.sign, lambda x, y: 0),                  # piecewise constant
    "max": max, "min": min,                                       # Max, Min: the branch taken, by comparison
    "mpf": mpmath.mpf, "pi": mpmath.pi, "e": mpmath.e,            # constants at the working precision
}


def _compile(args, expr, what: str):
    """``expr`` lambdified to code over PRIMITIVES, printed as network.py's forward pass prints it."""
    from sympy.printing.pycode import MpmathPrinter
    printer = MpmathPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                             "user_functions": {}})
    f = sp.lambdify(args, expr, modules=[dict(PRIMITIVES)], printer=printer)
    unknown = sorted(set(f.__code__.co_names) - set(PRIMITIVES))
    if unknown:
        raise DeriveError(f"reverse-mode truth has no derivative rule for {', '.join(unknown)} (in {what});"
                          " add one to truth.PRIMITIVES, or use method 'fd'")

    def checked(*xs):
        out = f(*xs)
        for v in out if isinstance(out, list) else [out]:
            if not isinstance(v, Var | mpmath.mpf | int):
                raise DeriveError(f"{what} gave {v!r} on the tape (a Piecewise without a branch here?)")
        return out
    return checked


@functools.cache
def _tape_elementwise(rec):
    z = sp.Symbol("z")
    return _compile(z, rec.f(z), f"activation {rec.name}")


@functools.cache
def _tape_vector(rec, k: int):
    zs = sp.symbols(f"z0:{k}")
    return _compile(zs, rec.f(list(zs)), f"activation {rec.name}")


@functools.cache
def _tape_term(loss, k: int):
    """The loss's term of one of K outputs, on its mapped target (label smoothing's), compiled onto the tape."""
    yh, y = sp.symbols("yhat y")
    return _compile((yh, y), loss.at(yh, y, sp.Integer(k)), f"loss {loss.name}")


@functools.cache
def _tape_example(loss, k: int):
    """A loss of the whole output vector (CS231n's SVM), one example of K outputs, compiled onto the tape from the
    registry's definition (``value``; its ``grad`` is never read): f(s_0 .. s_{K-1}, y_0 .. y_{K-1})."""
    s, y = sp.symbols(f"s0:{k}"), sp.symbols(f"y0:{k}")
    return _compile((*s, *y), loss.value(Lists(), list(s), list(y)), f"loss {loss.name}")


def _losses(problem, k: int, outputs: list, targets: list) -> list:
    """E_t of every example before the loss's scale(K): the sum of its terms, or a whole-vector loss's value."""
    if not problem.loss.elementwise:
        example = _tape_example(problem.loss, k)
        return [example(*a, *y) for a, y in zip(outputs, targets)]
    term = _tape_term(problem.loss, k)
    return [_sum([term(yh, yk) for yh, yk in zip(a, y)]) for a, y in zip(outputs, targets)]


@dataclass
class Recording:
    """The forward pass of every example on one tape: parameters W[p][r][c], b[p][r] (canonical z = W a + b),
    per-example zs[p][t][k], as_[p][t][k] (as_[0] is the input, constants) and the two objectives."""

    tape: Tape
    W: list
    b: list
    zs: list
    as_: list
    O_delta: Var   # c_delta sum_t E_t
    O_g: Var       # c_g sum_t E_t + (lambda/2) c_g sum W^2


def record(net: ConcreteNet) -> Recording:
    """Run the forward pass of ``net`` on a tape at the caller's precision: the registries' definitions of the
    activations and the loss, lambdified over PRIMITIVES, and the objectives as ``probes`` define them."""
    tape, cn, problem = Tape(), canon(net), net.problem
    # indexed by canonical layer p = 1 .. depth, as Recording holds them: entry 0 is a placeholder (as_[0] the input)
    W: list = [None] + [[[tape.var(w) for w in row] for row in Wp] for Wp in cn.W[1:]]
    b: list = [None] + [[tape.var(x) for x in bp] for bp in cn.b[1:]]
    zs: list = [None]
    as_: list = [cn.xs]
    for p in range(1, net.depth + 1):
        rec = problem.output if p == net.depth else problem.hidden
        f = _tape_elementwise(rec) if rec.elementwise else _tape_vector(rec, net.widths[p])
        zp, ap = [], []
        for a in as_[p - 1]:
            z = [_dot(row, a, bi) for row, bi in zip(W[p], b[p])]  # z^p_r = sum_c W_rc a_c + b_r
            out = [f(x) for x in z] if rec.elementwise else f(*z)
            # a^p as nodes of their own (identity gives back z, ReLU a constant 0), so dO/dA is read off them
            zp.append(z)
            ap.append([tape.var(_value(x), ((x.i, 1),) if isinstance(x, Var) else ()) for x in out])
        zs.append(zp)
        as_.append(ap)
    E = _sum(_losses(problem, net.widths[-1], as_[-1], cn.ys))  # sum_t E_t
    outputs = problem.loss.scale(mpmath.mpf(net.widths[-1]))  # E_t = scale(K) sum_k term: 1/K for a mean
    if outputs != 1:
        E = outputs * E
    c_delta, c_g = scales(net)
    lam = mpmath.mpf(net.conv.l2)
    # one objective where the two are the same (the same scale, no penalty): its one sweep gives both
    O_delta = c_delta * E
    O_g = O_delta if c_g == c_delta and not lam else c_g * E
    if lam:  # (lambda/2) c_g sum W^2 over canonical W: biases, and Theta's bias column, excluded
        O_g = O_g + lam / 2 * c_g * _sum([w * w for Wp in W[1:] for row in Wp for w in row])
    return Recording(tape, W, b, zs, as_, O_delta, O_g)


def _reverse_entries(net: ConcreteNet, prs: list[Probe], summed: bool = False) -> list:
    # one forward pass on the tape, one backward sweep per objective; precision as the fd forward context.
    # ``summed``: a weight's or bias's entry of the summed losses (O_delta over c_delta, no penalty), not of O_g
    with mpmath.workdps(DPS + net.depth + 10):
        r = record(net)
        d_delta = r.tape.adjoints(r.O_delta)
        d_g = r.tape.adjoints(r.O_g) if r.O_g is not r.O_delta and not summed else d_delta
        c_delta = scales(net)[0]
        values, make, zero = [], mpmath.mp.make_mpf, mpmath.mpf(0)
        for pr in prs:
            x, y = pr.slot
            if pr.kind in ("Z", "A"):  # slot = (unit, example)
                node, adj = (r.zs if pr.kind == "Z" else r.as_)[pr.p][y][x], d_delta
            else:  # slot = canonical (row, column)
                node, adj = (r.W[pr.p][x][y] if pr.kind == "W" else r.b[pr.p][x]), d_g
            raw = adj[node.i]  # already rounded to the working precision by the sweep's last operation
            value = zero if raw is None else make(raw)
            values.append(value / c_delta if summed and pr.kind not in ("Z", "A") else value)
    return values


# ---------------------------------------------------------------- exact derivatives in SymPy

def _sympy_entries(net: ConcreteNet, prs: list[Probe]) -> list:
    # SymPy Floats of SYMPY_DPS + 10 digits hold the network's binary fractions exactly; everything not
    # depending on t collapses to such numbers, and each activation on the perturbed path to its first-order
    # Taylor line in t (SymOps._first_order), so SymPy differentiates one layer's formulas at a time
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
        rec, k = net.problem.loss, sp.Integer(net.widths[-1])
        self._term = None if isinstance(rec, VectorLoss) else _exact(rec.at(self._yh, self._y, k))
        self._outputs = net.problem.loss.scale(sp.Integer(net.widths[-1]))  # 1/K for a mean over the outputs

    @staticmethod
    def dot(row, a):
        return sp.Add(*[w * x for w, x in zip(row, a)])

    def act(self, p: int, z: list) -> list:
        rec = self.problem.output if p == self.depth else self.problem.hidden
        if rec.elementwise:
            return [self._first_order(self._local(self._f[rec.name], x)) for x in z]
        return [self._first_order(x) for x in rec.f(list(z))]

    def _first_order(self, x):
        """x(0) + x'(0) t: the same value and first derivative at t = 0 as ``x`` (the chain rule is exact on it),
        so the next layer composes a line in t, not the whole path so far (a path of exps through every layer
        made SymPy's derivative spend most of its time deciding signs)."""
        if not getattr(x, "free_symbols", None):
            return x
        t = self.t
        return x.xreplace({t: 0}) + sp.diff(x, t).xreplace({t: 0}) * t

    def _local(self, f, x):
        """f(x) near t = 0: each Piecewise of f replaced by its branch active at x(0)."""
        if f.has(sp.Piecewise):
            x0 = x.xreplace({self.t: 0})
            f = f.replace(lambda e: isinstance(e, sp.Piecewise),
                          lambda e: next(b for b, c in e.args if c.xreplace({self._z: x0}) == sp.true))
        return f.xreplace({self._z: x})

    def loss(self, a: list, y: list):
        rec, term = self.problem.loss, self._term
        if isinstance(rec, VectorLoss) or term is None:  # a whole-vector loss, on the example's values as they are
            assert isinstance(rec, VectorLoss)
            return self._outputs * rec.value(Lists(), list(a), [sp.Rational(v) for v in y])
        return self._outputs * sp.Add(*[term.xreplace({self._yh: yh, self._y: yk}) for yh, yk in zip(a, y)])

    @staticmethod
    def total(values):
        return sp.Add(*values)
