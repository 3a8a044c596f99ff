"""Concrete random networks in a convention's own layout, and the forward pass that defines them.

A ConcreteNet holds numbers as a source writes them: weights by the source's weight label (W, or Theta with
its bias column), biases by layer label, X and Y with examples as columns or as rows. ``forward`` is the
definition the ground truth (truth.py) differentiates. Internally every example runs on its own as plain
vectors (``Canon``), in a small number backend (``MpOps`` for mpmath; truth.py adds one for SymPy).
"""

from __future__ import annotations

import dataclasses
import functools
import random
from dataclasses import dataclass, field

import mpmath

from ._lazy import sp
from .errors import DeriveError
from .losses import draw_targets
from .problem import Problem

WIDTHS = (2, 4, 5, 6)  # default widths: 2..6 without 3, the default batch size


@dataclass
class ConcreteNet:
    """A network with numbers, stored exactly as ``problem.convention`` holds them."""

    problem: Problem
    widths: tuple[int, ...]            # n_0 (input) .. n_L (output), internal positions p = 0..L
    m: int                             # examples in the batch
    weights: dict[int, mpmath.matrix]  # by WEIGHT label l + weight_offset (Theta includes its bias column)
    biases: dict[int, mpmath.matrix]   # by LAYER label; empty when the bias is 'unit' or 'none'
    X: mpmath.matrix
    Y: mpmath.matrix
    seed: int = 0

    @property
    def conv(self):
        return self.problem.convention

    @property
    def depth(self) -> int:
        """L, the number of weight layers."""
        return len(self.widths) - 1

    def cost_scale(self, one=mpmath.mpf):
        """The reduction's factor in front of the sum of the examples' losses (1/m for a mean), with ``one``
        the number type (mpmath by default, SymPy's for exact truth)."""
        return self.problem.reduction.scale(one(self.m), self.widths[-1])

    def label(self, p: int) -> int:
        """The layer label of internal position p (p = 0 is the input)."""
        return self.conv.input_layer + p

    def position(self, label: int) -> int:
        return label - self.conv.input_layer

    @property
    def input_label(self) -> int:
        return self.label(0)

    @property
    def output_label(self) -> int:
        return self.label(self.depth)

    @property
    def layer_labels(self) -> list[int]:
        """Labels of every layer after the input (hidden and output)."""
        return [self.label(p) for p in range(1, self.depth + 1)]

    @property
    def hidden_labels(self) -> list[int]:
        return self.layer_labels[:-1]

    def weight(self, label: int) -> mpmath.matrix:
        """The weight matrix that feeds layer ``label`` (stored under the convention's weight label)."""
        return self.weights[self.conv.weight_index(label)]

    def bias(self, label: int) -> mpmath.matrix | None:
        return self.biases.get(label)

    def width(self, label: int) -> int:
        return self.widths[self.position(label)]


# ---------------------------------------------------------------- random networks

def default_m(conv) -> int:
    """1 where a source's formulas are for one example (column layout, per-example gradients), else 3."""
    return 1 if conv.layout == "column" and conv.grad_of == "example" else 3


def default_widths(depth: int, seed: int = 0, m: int = 3, single: bool = False) -> tuple[int, ...]:
    """Widths n_0..n_L in 2..6, neighbours unequal (no square W) and none equal to ``m`` where possible; with
    ``single`` (a Problem of single neurons, whose notes say each layer is one) every width is 1."""
    if single:
        return (1,) * (depth + 1)
    rng = random.Random(f"widths-{seed}")
    choices = [w for w in WIDTHS if w != m] if m in WIDTHS else list(WIDTHS)
    widths = [rng.choice(choices)]
    for _ in range(depth):
        widths.append(rng.choice([w for w in choices if w != widths[-1]]))
    return tuple(widths)


def _matrix(rows: int, cols: int, draw) -> mpmath.matrix:
    M = mpmath.matrix(rows, cols)
    for i in range(rows):
        for j in range(cols):
            M[i, j] = mpmath.mpf(draw())
    return M


def random_network(problem: Problem, widths: tuple[int, ...] | int = 2, m: int | None = None,
                   seed: int = 0) -> ConcreteNet:
    """A deterministic random network (``random.Random(seed)``) in the convention's layout.

    Args:
        problem: the convention, loss and activations.
        widths: n_0..n_L, or an int depth L for ``default_widths(L, seed, m)``.
        m: batch size; ``default_m(convention)`` if None.
        seed: the only source of randomness.
    """
    conv = problem.convention
    m = default_m(conv) if m is None else m
    widths = default_widths(widths, seed, m) if isinstance(widths, int) else tuple(widths)
    if len(widths) < 2 or min(widths) < 1 or m < 1:
        raise DeriveError(f"a network needs at least two layers of width >= 1 and m >= 1, got {widths}, m={m}")
    rng = random.Random(seed)
    row = conv.layout == "row_batch"
    weights, biases = {}, {}
    for p in range(1, len(widths)):
        n_in, n_out, label = widths[p - 1], widths[p], conv.input_layer + p
        std = n_in ** -0.5  # fan-in scaling keeps deep networks out of saturation
        if conv.bias == "unit":  # Theta = [b | W]: column 0 multiplies the bias unit a_0 = 1
            W = _matrix(n_out, n_in + 1, lambda s=std: rng.gauss(0, s))
            for i in range(n_out):
                W[i, 0] = mpmath.mpf(rng.uniform(-0.5, 0.5))
        else:
            W = _matrix(*((n_in, n_out) if row else (n_out, n_in)), lambda s=std: rng.gauss(0, s))
            if conv.bias == "vector":
                biases[label] = _matrix(*((1, n_out) if row else (n_out, 1)), lambda: rng.uniform(-0.5, 0.5))
        if p == len(widths) - 1 and problem.loss.spread != 1:  # the output layer drawn wider for the loss's pieces
            W = W * problem.loss.spread
            if label in biases:
                biases[label] = biases[label] * problem.loss.spread
        weights[conv.weight_index(label)] = W
    xs = [[rng.uniform(-1, 1) for _ in range(widths[0])] for _ in range(m)]
    ys = draw_targets(problem.loss.target, rng, widths[-1], m)
    return ConcreteNet(problem, widths, m, weights, biases, from_examples(xs, conv.layout),
                       from_examples(ys, conv.layout), seed)


# ---------------------------------------------------------------- layouts <-> per-example vectors

def to_examples(M: mpmath.matrix, layout: str) -> list[list]:
    """The per-example vectors of a layer matrix: its columns, or its rows for row_batch."""
    if layout == "row_batch":
        return [[M[t, k] for k in range(M.cols)] for t in range(M.rows)]
    return [[M[k, t] for k in range(M.rows)] for t in range(M.cols)]


def from_examples(vecs: list[list], layout: str) -> mpmath.matrix:
    """Inverse of ``to_examples``."""
    m, n = len(vecs), len(vecs[0])
    if layout == "row_batch":
        M = mpmath.matrix(m, n)
        for t, k in _grid(m, n):
            M[t, k] = vecs[t][k]
    else:
        M = mpmath.matrix(n, m)
        for t, k in _grid(m, n):
            M[k, t] = vecs[t][k]
    return M


def _grid(rows: int, cols: int):
    return ((i, j) for i in range(rows) for j in range(cols))


def weight_slot(conv, i: int, j: int) -> tuple[str, int, int]:
    """Where stored weight entry (i, j) sits in the canonical z = W a + b: ("W", row, col) or ("b", row, 0)."""
    if conv.bias == "unit":
        return ("b", i, 0) if j == 0 else ("W", i, j - 1)
    return ("W", j, i) if conv.layout == "row_batch" else ("W", i, j)


def bias_slot(conv, i: int, j: int) -> tuple[str, int, int]:
    """Where stored bias entry (i, j) sits in the canonical b."""
    return ("b", j if conv.layout == "row_batch" else i, 0)


@dataclass
class Canon:
    """The network as z_t = W a_t + b per example t: W[p] is n_p rows of n_{p-1}, b[p] has n_p entries."""

    W: list          # index p = 1..L (W[0] is None)
    b: list
    xs: list         # per example input vectors
    ys: list         # per example targets


def canon(net: ConcreteNet, num=lambda x: x) -> Canon:
    """The canonical form of ``net``, each number passed through ``num`` (e.g. to SymPy)."""
    conv = net.conv
    W: list = [None]  # W[0] and b[0]: no weight feeds the input
    b: list = [None]
    for p in range(1, net.depth + 1):
        label, n_in, n_out = net.label(p), net.widths[p - 1], net.widths[p]
        Wp = [[None] * n_in for _ in range(n_out)]
        bp = [num(mpmath.mpf(0))] * n_out
        stored = net.weight(label)
        for i, j in _grid(stored.rows, stored.cols):
            kind, r, c = weight_slot(conv, i, j)
            if kind == "W":
                Wp[r][c] = num(stored[i, j])
            else:
                bp[r] = num(stored[i, j])
        if conv.bias == "vector":
            stored = net.biases[label]
            for i, j in _grid(stored.rows, stored.cols):
                bp[bias_slot(conv, i, j)[1]] = num(stored[i, j])
        W.append(Wp)
        b.append(bp)
    xs = [[num(x) for x in v] for v in to_examples(net.X, conv.layout)]
    return Canon(W, b, xs, [[num(y) for y in v] for v in to_examples(net.Y, conv.layout)])


# ---------------------------------------------------------------- the mpmath backend

@functools.cache
def _elementwise(rec):
    z = sp.Symbol("z")
    return sp.lambdify(z, rec.f(z), "mpmath")


@functools.cache
def _vector(rec, k: int):
    zs = sp.symbols(f"z0:{k}")
    return sp.lambdify(zs, rec.f(list(zs)), "mpmath")


@functools.cache
def _term(loss, k: int):
    yh, y = sp.symbols("yhat y")
    return sp.lambdify((yh, y), loss.at(yh, y, sp.Integer(k)), "mpmath")


@functools.cache
def _example(loss, k: int):
    """A whole-vector loss of one example of K outputs (CS231n's SVM): f(s_0 .. s_{K-1}, y_0 .. y_{K-1})."""
    from .losses import Lists
    s, y = sp.symbols(f"s0:{k}"), sp.symbols(f"y0:{k}")
    return sp.lambdify((*s, *y), loss.value(Lists(), list(s), list(y)), "mpmath")


class MpOps:
    """Forward-pass arithmetic in mpmath at the caller's precision (SymPy definitions, lambdified once)."""

    def __init__(self, net: ConcreteNet) -> None:
        self.depth = net.depth
        self.hidden, self.output, self.loss_rec = net.problem.hidden, net.problem.output, net.problem.loss

    @staticmethod
    def dot(row, a):
        return mpmath.fdot(row, a)

    def act(self, p: int, z: list) -> list:
        """a^p = f(z^p): the output activation at p = L, the hidden one before."""
        rec = self.output if p == self.depth else self.hidden
        if rec.elementwise:
            f = _elementwise(rec)
            return [mpmath.mpf(f(x)) for x in z]
        return [mpmath.mpf(x) for x in _vector(rec, len(z))(*z)]

    def loss(self, a: list, y: list):
        """E_t = scale(K) sum_k l(yhat_k, y_k) (scale 1, or 1/K for a mean over the K outputs)."""
        if not self.loss_rec.elementwise:  # a loss of the whole vector
            return mpmath.mpf(_example(self.loss_rec, len(a))(*a, *y))
        term = _term(self.loss_rec, len(a))
        return self.loss_rec.scale(mpmath.mpf(len(a))) * mpmath.fsum(term(yh, yk) for yh, yk in zip(a, y))

    @staticmethod
    def total(values):
        return mpmath.fsum(values)


# ---------------------------------------------------------------- the forward pass

def linear(ops, cn: Canon, p: int, a: list) -> list:
    """z^p = W^p a^{p-1} + b^p for one example."""
    return [ops.dot(row, a) + bi for row, bi in zip(cn.W[p], cn.b[p])]


@dataclass
class Trace:
    """Per-example vectors of one forward pass: zs[p][t], as_[p][t] for p = 0..L (zs[0] is None)."""

    zs: list
    as_: list
    losses: list = field(default_factory=list)


def run_trace(ops, cn: Canon, start: int = 0, base: Trace | None = None, z0: list | None = None,
              a0: list | None = None, changed: set | None = None, stop: int | None = None) -> Trace:
    """Forward pass of every example, reusing ``base`` for positions before ``start``.

    ``z0`` (per example z^start) or ``a0`` (per example a^start) overrides that layer; cost is linear in depth.
    ``changed``: the examples the override changes; the others keep ``base``'s vectors at every layer, as the
    examples of a forward pass are independent (one entry moved recomputes one example, not the batch).
    ``stop``: the last position computed; the trace then ends there and has no losses (a quantity of that layer
    or an earlier one needs nothing after it).
    """
    if changed is not None and base is not None and len(changed) < len(cn.xs):
        full = run_trace(ops, _examples(cn, sorted(changed)), start, _examples_of(base, sorted(changed)),
                         _subset(z0, changed), _subset(a0, changed), stop=stop)
        return _merged(base, full, sorted(changed))
    zs: list = []
    as_: list = []
    last = len(cn.W) - 1 if stop is None else stop
    for p in range(last + 1):
        if base is not None and p < start:
            z, a = base.zs[p], base.as_[p]
        else:
            if p == 0:
                z = None
            elif p == start and z0 is not None:
                z = z0
            else:
                z = [linear(ops, cn, p, v) for v in as_[p - 1]]
            if p == start and a0 is not None:
                a = a0
            else:
                a = cn.xs if p == 0 else [ops.act(p, v) for v in z]
        zs.append(z)
        as_.append(a)
    if last < len(cn.W) - 1:
        return Trace(zs, as_, [])
    return Trace(zs, as_, [ops.loss(a, y) for a, y in zip(as_[-1], cn.ys)])


def _subset(vectors: list | None, keep) -> list | None:
    return None if vectors is None else [vectors[t] for t in sorted(keep)]


def _examples(cn: Canon, keep: list) -> Canon:
    """The network's canonical form with only the examples ``keep``."""
    return dataclasses.replace(cn, xs=[cn.xs[t] for t in keep], ys=[cn.ys[t] for t in keep])


def _examples_of(trace: Trace, keep: list) -> Trace:
    pick = lambda layer: None if layer is None else [layer[t] for t in keep]  # noqa: E731
    return Trace([pick(z) for z in trace.zs], [pick(a) for a in trace.as_], [trace.losses[t] for t in keep])


def _merged(base: Trace, part: Trace, keep: list) -> Trace:
    """``base`` with the examples ``keep`` replaced by ``part``'s (in that order)."""
    def merge(old, new):
        if old is None:
            return None
        out = list(old)
        for t, v in zip(keep, new):
            out[t] = v
        return out
    whole = len(part.zs) == len(base.zs)  # else part stopped early: so does the merge, without losses
    return Trace([merge(o, n) for o, n in zip(base.zs, part.zs)], [merge(o, n) for o, n in zip(base.as_, part.as_)],
                 merge(base.losses, part.losses) if whole else [])


@dataclass
class Forward:
    """One forward pass in the convention's layout: Z[label], A[label] (A[input label] = X) and the losses."""

    net: ConcreteNet
    trace: Trace

    @functools.cached_property
    def Z(self) -> dict[int, mpmath.matrix]:
        lay = self.net.conv.layout
        return {self.net.label(p): from_examples(z, lay) for p, z in enumerate(self.trace.zs) if p > 0}

    @functools.cached_property
    def A(self) -> dict[int, mpmath.matrix]:
        lay = self.net.conv.layout
        return {self.net.label(p): from_examples(a, lay) for p, a in enumerate(self.trace.as_)}

    @property
    def output(self) -> mpmath.matrix:
        return self.A[self.net.output_label]

    @property
    def per_example_losses(self) -> list:
        """E_t = sum_k l(yhat_k, y_k) for t = 1..m."""
        return list(self.trace.losses)

    def objective(self, c=1):
        """c * sum_t E_t (no regularisation; see ``l2_penalty``)."""
        return c * mpmath.fsum(self.trace.losses)

    def cost(self):
        """The reduced cost r.scale(m, K) * sum_t E_t, without regularisation."""
        return self.objective(self.net.cost_scale())


def forward(net: ConcreteNet, *, override: tuple[str, int, mpmath.matrix] | None = None,
            base: Forward | None = None, stop: int | None = None) -> Forward:
    """Run the forward pass at the caller's mpmath precision.

    Args:
        net: the network.
        override: ``("Z", label, M)`` or ``("A", label, M)`` replaces that layer's matrix (layout shape) and
            recomputes only from there on; ``("A", input label, M)`` replaces X.
        base: an earlier ``forward(net)`` whose layers before the override are reused.
        stop: with an override, the last layer label computed (the pass then has no layers after it, nor losses).
    """
    ops, cn = MpOps(net), canon(net)
    if override is None:
        return Forward(net, run_trace(ops, cn))
    kind, label, M = override
    p = net.position(label)
    if kind not in ("Z", "A") or not (0 if kind == "A" else 1) <= p <= net.depth:
        raise DeriveError(f"cannot override {kind} at layer {label}")
    vecs = [[mpmath.mpf(x) for x in v] for v in to_examples(M, net.conv.layout)]
    if len(vecs) != net.m or len(vecs[0]) != net.widths[p]:
        raise DeriveError(f"override {kind}{label}: expected {net.widths[p]} units x {net.m} examples")
    before = base.trace if base is not None else None
    changed = None
    if before is not None:  # the examples whose vectors the override moves: only they are recomputed
        old = before.zs[p] if kind == "Z" else before.as_[p]
        changed = {t for t, (v, w) in enumerate(zip(vecs, old)) if v != list(w)}
    return Forward(net, run_trace(ops, cn, p, before, changed=changed,
                                  stop=None if stop is None else net.position(stop),
                                  **({"z0": vecs} if kind == "Z" else {"a0": vecs})))


def l2_penalty(net: ConcreteNet, c=1):
    """(lambda/2) * c * sum of squared weights, biases (and Theta's bias column) excluded."""
    lam = mpmath.mpf(net.conv.l2)
    if not lam:
        return mpmath.mpf(0)
    cn = canon(net)
    return lam / 2 * c * mpmath.fsum(w * w for Wp in cn.W[1:] for row in Wp for w in row)
