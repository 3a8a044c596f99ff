"""Claims about the forward pass itself, judged against the forward pass: the forward equations
(z^l = W^l a^{l-1} + b^l, a^l = sigma(z^l), a^1 = x, a^L = softmax(z^L)), an activation's derivative written with
its output (sigma'(z^l) = a^l (1 - a^l)), what the targets satisfy (sum_k y_k = 1) and the cost (C = sum_k ...).

Both sides are read as the right-hand side of a backprop claim is (``meaning``: a vector formula, or components
with free indices) and evaluated on the random networks the gradients are judged on, each from the stored
values of the forward pass (z, a, W, b, x, y) by its own formula. A cost on the left is the network's cost: the
convention's reduced cost of the batch (C, J, L), or one example's loss where it is written per example (C_x,
E_n) or the convention's formulas are of one example. Written with l, a claim is judged at every layer where
its quantities exist (and, where it reads a function letter as the hidden activation, where that layer is
hidden); at none is a failure.
"""

from __future__ import annotations

from itertools import product

import mpmath
import sympy as sp

from ..algebra import LayerEntry, LayerSymbol, evaluate, sym
from ..errors import DeriveError
from ..layers import Layer
from ..symbols import L, l
from . import ast
from .conditions import ConditionError
from .meaning import COSTS, FORWARD, Compiler, Meaning, MeaningError, component, expression_entry, free_indices

GRADIENTS = {"delta", "grad_act", "grad_weight", "grad_bias"}


class Unreached(Exception):
    """The left side's free indices do not reach every component of its quantity (so the claim is not checked
    where it says); a verdict, never a layer to skip."""
COST = sp.Symbol("cost")                 # the left side of C = ...: the convention's reduced cost
LOSS = sp.Symbol("loss")                 # the left side of C_x = ...: one example's loss
LOSSES = sp.Symbol("losses")             # the left side of dls's \mathcal{L} = ...: the examples' losses summed
DATA = FORWARD | {"x", "y", "W", "b"}    # what the forward pass stores


def about_forward(lhs, c: Compiler) -> bool:
    """Whether a claim's left side is about the forward pass: the cost, a forward quantity or parameter, or an
    expression of them (sigma'(z^l), sum_k y_k). A derivative or a gradient on the left is a backprop claim."""
    if isinstance(lhs, ast.Partial | ast.Nabla):
        return False
    if isinstance(lhs, ast.Sym):
        return _is_cost(lhs, c) or (lhs.base in c.letters and c.letters[lhs.base] in DATA and lhs.base not in COSTS)
    symbols = [n for _, n in ast.walk(lhs) if isinstance(n, ast.Sym | ast.Partial | ast.Nabla)]
    return bool(symbols) and all(isinstance(n, ast.Sym) and c.letters.get(n.base) in DATA for n in symbols
                                 if not (isinstance(n, ast.Sym) and n.base in ("m", "N", ast.ONES)))


def _is_cost(sym_: ast.Sym, c: Compiler) -> bool:
    own = c.conv.notation.cost.partition("_")[0]
    return sym_.layer is None and (sym_.base in COSTS or sym_.base == own) and c.letters.get(sym_.base) is None


def _numbering_the_input(claim: ast.Claim, c: Compiler) -> None:
    """a^{0} = x where the convention's input is layer 1 (or a^{1} = x where it is 0) says how the notes number
    their layers: a statement of notation, refused as such rather than failed on its shapes (any other number,
    a^{2} = x, is judged: a mistake)."""
    lhs, rhs = claim.lhs, claim.rhs
    if not (isinstance(lhs, ast.Sym) and isinstance(rhs, ast.Sym) and not lhs.indices and not rhs.indices):
        return
    if c.letters.get(lhs.base) != "a" or c.letters.get(rhs.base) != "x" or lhs.layer is None or rhs.layer is not None:
        return
    written = lhs.layer.offset if lhs.layer.symbol is None else None
    if written in (0, 1) and written != c.conv.input_layer:  # the two numberings sources use (a^2 = x is a mistake)
        raise MeaningError(f"this numbers the input as layer {written}, where {c.conv.name} numbers it "
                           f"{c.conv.input_layer}: it states the notes' notation (which layer is the input), and "
                           "derive checks formulas in the convention's numbering")


def compile_forward(claim: ast.Claim, c: Compiler) -> Meaning:
    """The meaning of a forward-pass claim: quantity "cost" (lhs COST or LOSS) or "forward" (both sides read)."""
    if isinstance(claim.lhs, ast.Sym) and _is_cost(claim.lhs, c):
        named = c.objective(claim.lhs)
        rhs = component(c, claim.rhs)
        unsummed = sorted(free_indices(rhs), key=str)
        if unsummed:
            raise MeaningError(f"the cost is one number, but the right side has the free index "
                               f"{', '.join(map(str, unsummed))}: sum it (\\sum_{unsummed[0]})")
        lhs = LOSS if named == "example" and claim.lhs.indices or c.one_example() else \
            LOSSES if named == "example" else COST
        return Meaning("cost", L, lhs, rhs, (), c.notes, c.depth, tuple(c.hidden))
    _numbering_the_input(claim, c)
    indexed = any(isinstance(n, ast.Sym) and n.indices for _, n in ast.walk(claim.lhs))
    if indexed:
        lhs, rhs = component(c, claim.lhs), component(c, claim.rhs)
        entries = sorted(sym(lhs).atoms(LayerEntry), key=str)
        if not entries:
            raise MeaningError("the left side names no component of the network")
        free = tuple(sorted(free_indices(lhs), key=str))
        extra = free_indices(rhs) - set(free)
        if extra:
            raise MeaningError(f"the index {', '.join(sorted(map(str, extra)))} on the right is not on the left: "
                               "sum it, or write it on the left too")
    else:
        lhs, right = c.vector(claim.lhs).matrix(), c.vector(claim.rhs)
        # a number beside a vector: every entry (ReLU's derivative is 1 for a^l > 0)
        rhs = right.expr * sp.OneMatrix(*lhs.shape) if right.is_scalar else right.matrix()
        free = ()
    layers = [t.layer for t in (sym(lhs).atoms(LayerSymbol) | sym(rhs).atoms(LayerSymbol))]
    layer = l if any(x.has(l) for x in layers) else L
    return Meaning("forward", layer, lhs, rhs, free, c.notes, c.depth, tuple(c.hidden))


def compile_entry(claim: ast.Claim, c: Compiler) -> Meaning:
    """[M]_{i,j} = rhs: an entry of a vector or matrix expression M against a component formula (an identity such
    as [(W^{l+1})^T delta^{l+1}]_j = sum_k w^{l+1}_{kj} delta^{l+1}_k), judged entry by entry on the networks: M
    evaluated from the forward pass and the true gradients, the right side by its components."""
    assert isinstance(claim.lhs, ast.Entry)  # read.compile calls this for a bracketed entry on the left only
    whole, row, col, lhs = expression_entry(c, claim.lhs)
    rhs = component(c, claim.rhs)
    free = tuple(sorted({s for x in (row, col) for s in sym(x).free_symbols}, key=str))
    extra = free_indices(rhs) - set(free)
    if extra:
        raise MeaningError(f"the index {', '.join(sorted(map(str, extra)))} on the right is not on the left: "
                           "sum it, or write it on the left too")
    layers = [t.layer for t in (whole.atoms(LayerSymbol) | sym(rhs).atoms(LayerSymbol))]
    layer = l if any(x.has(l) for x in layers) else L
    return Meaning("forward", layer, lhs, rhs, free, c.notes, c.depth, tuple(c.hidden), whole=(whole, row, col))


def judge_forward(meaning: Meaning, problem, seed: int, trials: int, m: int | None = None):
    """Both sides on random networks at every layer where the claim applies; the worst disagreement decides."""
    from ..verification import make_env
    from .verdict import DEPTH, TOLERANCE, Verdict, _network, counterexample, hidden_at, worst_of
    layer = Layer(problem.convention)
    needs = any(t.kind in GRADIENTS for side in (meaning.lhs, meaning.rhs) for t in sym(side).atoms(LayerSymbol)) \
        or any(e.tensor.kind in GRADIENTS for side in (meaning.lhs, meaning.rhs) for e in sym(side).atoms(LayerEntry))
    wants, gots, where, checked = [], [], [], 0
    shown = sorted(sym(meaning.lhs).atoms(LayerSymbol), key=str)
    with mpmath.workdps(50):
        for t in range(trials):
            net, fwd, truth, local = _network(problem, meaning.depth or DEPTH, seed + t, gradients=needs, m=m)
            env = make_env(layer, net, fwd)
            env.tensors.update(truth)
            env.local = local
            last = net.output_label
            values = [None] if not meaning.layer.has(l) else range(net.input_label - 2, last + 3)
            for value in values:
                if value is not None and not hidden_at(meaning, value, net):
                    continue
                env.layer_symbols = {L: last} | ({} if value is None else {l: value})
                try:
                    pairs = _pairs(meaning, env, net, fwd)
                except ConditionError:
                    raise  # the condition cannot restrict this claim: refused with its reason
                except DeriveError:
                    continue  # a quantity this layer does not have (z at the input, a layer past the output)
                except IndexError:
                    return Verdict(False, f"an index runs past the end of a vector or matrix (widths "
                                          f"{list(net.widths)})", layers_checked=checked)
                except Unreached as exc:
                    return Verdict(False, str(exc), layers_checked=checked)
                if not pairs:
                    continue  # the claim's condition holds at no entry of this layer
                checked += 1
                on = env.layer(shown[0].layer) if shown else last  # the layer the left side is about
                for want, got, at in pairs:
                    wants.append(want)
                    gots.append(got)
                    where.append((on, at, net))
    if not checked:
        if meaning.where is not None:
            raise ConditionError(f"the condition {meaning.where.text()} holds at no component the formula names")
        return Verdict(False, f"the claim applies to no layer of a depth-{meaning.depth or DEPTH} network")
    worst, err = worst_of(wants, gots)
    what = "the forward pass's cost" if meaning.quantity == "cost" else "the forward pass"
    if err <= TOLERANCE:
        return Verdict(True, f"matches {what} at {len(wants)} values over {checked} evaluations (max relative "
                             f"error {err:.1e})", layers_checked=checked)
    on, at, net = where[worst]
    counter = counterexample(net, on, at, wants[worst], gots[worst], err)
    return Verdict(False, f"differs from {what} at layer {on} (relative error {err:.1e})", counter, checked)


def _pairs(meaning: Meaning, env, net, fwd) -> list:
    """(left, right, where) for every value the claim compares on one network at one layer."""
    from .verdict import value_of
    if meaning.quantity == "cost":
        number = lambda: value_of(meaning.rhs, env)  # noqa: E731
        if meaning.lhs == COST:  # the reduced cost, with its L2 penalty where the convention has one
            from ..network import l2_penalty
            return [(fwd.cost() + l2_penalty(net, net.cost_scale()), number(), "the cost")]
        if meaning.lhs == LOSSES:
            return [(mpmath.fsum(fwd.per_example_losses), number(), "the sum of the losses")]
        out = []
        for t, loss in enumerate(fwd.per_example_losses):  # one example's loss, example by example
            env.example = t
            try:
                out.append((loss, number(), f"example {t}"))
            finally:
                env.example = None
        return out
    if meaning.whole is not None:
        return _entry_pairs(meaning, env, net)
    if getattr(meaning.lhs, "is_Matrix", False):
        want, got = evaluate(meaning.lhs, env), evaluate(meaning.rhs, env)
        if (want.rows, want.cols) != (got.rows, got.cols):
            raise DeriveError("the two sides differ in shape here")
        where = meaning.where
        values = {v: evaluate(v.expr, env) for v in where.each_value()} if where is not None else {}
        if any((M.rows, M.cols) != (want.rows, want.cols) for M in values.values()):
            raise ConditionError("the condition's value is not of the left side's shape: it cannot say which of the "
                                 "left side's entries the claim is about")
        return [(want[i, j], got[i, j], f"[{i}, {j}]") for i in range(want.rows) for j in range(want.cols)
                if where is None or where.holds({}, at=lambda v, i=i, j=j: values[v][i, j])]
    return _component_pairs(meaning, env, net)


def _at(env, bound: dict):
    """A condition's value (a^l_j in "for a^l_j > 0") at the entry judged: where the free indices take ``bound``."""
    from .verdict import value_of
    return lambda v: value_of(v.expr, env, bound)


def _entry_pairs(meaning: Meaning, env, net) -> list:
    """[M]_{i,j} = rhs: every entry of M (each example's, where vectors hold one) against the right side at the
    indices that name it; the indices must reach every entry (Unreached otherwise)."""
    from .verdict import value_of
    assert meaning.whole is not None  # _pairs calls this only for a claim with a bracketed entry on the left
    whole, row, col = meaning.whole
    at = [sp.lambdify(meaning.indices, sym(x), "math") for x in (row, col)]
    examples = range(net.m) if net.conv.layout == "column" else [None]
    out = []
    for example in examples:
        env.example = example
        try:
            M = evaluate(whole, env)
            covered = set()
            for values in product(range(-1, max(M.rows, M.cols) + 2), repeat=len(meaning.indices)):
                place = tuple(int(f(*values)) for f in at)
                if not (0 <= place[0] < M.rows and 0 <= place[1] < M.cols) or place in covered:
                    continue
                covered.add(place)
                bound = dict(zip(meaning.indices, values, strict=True))
                if meaning.where is not None and not meaning.where.holds(bound, _at(env, bound)):
                    continue  # reached, but not an entry the claim is about
                out.append((M[place], value_of(meaning.rhs, env, bound), ", ".join(f"{k} = {v}" for k, v in
                                                                                   bound.items())))
        finally:
            env.example = None
        if len(covered) != M.rows * M.cols:
            raise Unreached("the left side's indices do not reach every entry of the expression in brackets")
    return out


def _component_pairs(meaning: Meaning, env, net) -> list:
    """Every component the left side's free indices reach (each example of a per-example vector), both sides.
    A value of the free indices outside the left side's quantities is not one the claim is about; a right side
    that reads past the end of a vector there is an IndexError (a failure)."""
    from ..components import _place
    from .verdict import _inside, value_of
    free = set(meaning.indices)
    entries = [e for e in sorted(sym(meaning.lhs).atoms(LayerEntry), key=str)
               if set().union(*(sym(x).free_symbols for x in e.indices)) <= free]
    examples = range(net.m) if net.conv.layout == "column" else [None]
    out, covered = [], set()
    span = max(net.widths) + max(net.m, 1) + 2
    value = lambda side, bound: value_of(side, env, bound)  # noqa: E731
    for values in product(range(-1, span), repeat=len(meaning.indices)):
        bound = dict(zip(meaning.indices, values, strict=True))
        for example in examples:
            env.example = example
            try:
                places = [_place(e, env, bound) for e in entries]
                if not all(_inside(env, p) for p in places):
                    continue
                if meaning.where is not None and not meaning.where.holds(bound, _at(env, bound)):
                    covered.update(places[:1])  # reached, but not a component the claim is about
                    continue
                try:
                    want = value(meaning.lhs, bound)
                except IndexError:
                    continue  # not a component of the left side's quantities
                got = value(meaning.rhs, bound)
            finally:
                env.example = None
            if places:
                covered.add(places[0])
            out.append((want, got, ", ".join(f"{k} = {v}" for k, v in bound.items())))
    if entries:
        kind, label = entries[0].tensor.kind, env.layer(entries[0].tensor.layer)
        M = env.tensors.get((kind, label))
        if M is None:
            raise DeriveError(f"no {kind} at layer {label}")
        if len(covered) != M.rows * M.cols:
            raise Unreached(f"the left side's indices do not reach every component of {kind} at layer {label}")
    if not out:
        raise DeriveError("no component of the left side at this layer")
    return out

