"""Judging a claim: shapes first, then numbers against ground truth from the forward pass.

The right-hand side is evaluated with the TRUE gradients of the next layer (from ``truth``), never with
the engine's, on several random networks (depth 4, unequal widths, valid targets), at every layer where
the claim applies. It holds if it matches everywhere within tolerance; one mismatch is a counterexample.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from ..algebra import LayerEntry, LayerSymbol, ShapeMismatch, check_shapes, evaluate, same_size, shape_text, sym
from ..errors import DeriveError
from ..layers import Layer
from ..problem import Problem
from ..symbols import L, l
from .conditions import ConditionError
from .meaning import Meaning
from .verdict import DEPTH, TOLERANCE, TRIALS, Verdict, _inside, _network, counterexample, hidden_at, value_of, worst_of

TRUTH_KEY = {"delta": "delta", "delta_out": "delta", "grad_act": "grad_act", "grad_act_out": "grad_act",
             "grad_weight": "grad_weight", "grad_bias": "grad_bias", "accumulated": "accumulated"}


def shapes(meaning: Meaning, name=str) -> str | None:
    """A one-line shape complaint (symbols written by ``name``), or None when the two sides conform."""
    if meaning.indices or not getattr(meaning.lhs, "is_Matrix", False):
        return None  # components are scalars; their ranges are checked when evaluated
    try:
        right = check_shapes(meaning.rhs)
        left = check_shapes(meaning.lhs) if meaning.quantity == "forward" else meaning.lhs.shape
    except ShapeMismatch as exc:
        return exc.describe(name)
    if not all(same_size(a, b) for a, b in zip(left, right, strict=True)):
        return f"the left side is {shape_text(left, name)} but the right side is {shape_text(right, name)}"
    return None


def accumulates(meaning: Meaning) -> bool:
    """Whether the claim names Ng's Delta^(l) (the examples' summed weight gradients), on either side."""
    return meaning.quantity == "accumulated" or \
        any(t.kind == "accumulated" for t in sym(meaning.rhs).atoms(LayerSymbol))  # a component's tensor too


def layers_for(meaning: Meaning, net) -> list[int | None]:
    """Values of l for which the claim's left side is the quantity it names (hidden layers for recursions); [None]
    for a claim not written with l."""
    first, last = net.input_label + 1, net.output_label
    if meaning.quantity.endswith("_out") or not meaning.layer.has(l):
        return [None]
    out: list[int | None] = []
    for value in range(first - 2, last + 3):
        at = int(meaning.layer.xreplace({l: value, L: last}))
        if not hidden_at(meaning, value, net):
            continue
        if meaning.quantity in ("delta", "grad_act") and first <= at < last:
            out.append(value)
        elif meaning.quantity in ("grad_weight", "grad_bias", "accumulated") and first <= at <= last:
            out.append(value)
    return out


def judge(meaning: Meaning, problem: Problem, seed: int = 0, trials: int = TRIALS, m: int | None = None) -> Verdict:
    """Evaluate both sides on random networks (``m`` examples each, default the convention's); the first
    disagreement beyond tolerance is the counterexample."""
    from ..verification import make_env, relative_error

    def name(x) -> str:  # the printer (and its module) only for a complaint
        from ..printing import NotationPrinter
        return NotationPrinter(problem.convention).doprint(x)
    complaint = shapes(meaning, name)
    if complaint:
        return Verdict(False, f"shapes do not conform: {complaint}")
    if meaning.quantity == "local":
        return _judge_local(meaning, problem, seed, trials, m)
    if meaning.quantity in ("forward", "cost"):  # a claim about the forward pass, judged against it
        from .forward import judge_forward
        return judge_forward(meaning, problem, seed, trials, m)
    layer = Layer(problem.convention)
    worst: tuple | None = None
    checked = 0
    with mpmath.workdps(50):
        for t in range(trials):
            net, fwd, truth, local = _network(problem, meaning.depth or DEPTH, seed + t, m=m,
                                              accumulated=accumulates(meaning))
            env = make_env(layer, net, fwd)
            env.tensors.update(truth)  # other layers' gradients, from the forward pass (never the engine)
            env.local = local  # chain-rule factors such as d a^L_j / d z^L_j
            for value in layers_for(meaning, net):
                env.layer_symbols = {L: net.output_label} | ({} if value is None else {l: value})
                at = int(meaning.layer.xreplace(env.layer_symbols))
                want = truth.get((TRUTH_KEY[meaning.quantity], at))
                if want is None:
                    continue
                if meaning.factor != 1:  # the left side is a multiple of the truth's quantity: dJ/dZ = dZ / m
                    want = want * value_of(meaning.factor, env)
                try:
                    got, judged = _components(meaning, env, want) if meaning.indices else \
                        (evaluate(meaning.rhs, env), None)
                except IndexError:  # a component index runs past the end of a vector or matrix
                    return Verdict(False, f"an index runs past the end of a vector or matrix at layer {at} "
                                          f"(widths {list(net.widths)})", layers_checked=checked)
                except DeriveError:
                    continue  # the formula reads a quantity this layer does not have
                if judged == set():
                    continue  # the claim's condition holds at no component of this layer
                checked += 1
                err = relative_error(got, want) if judged is None else error_at(got, want, judged)
                if worst is None or err > worst[0]:
                    worst = (err, at, net, got, want, judged)
    if checked == 0:
        if meaning.where is not None:
            raise ConditionError(f"the condition {meaning.where.text()} holds at no component the formula names")
        return Verdict(False, f"the claim applies to no layer of a depth-{meaning.depth or DEPTH} network")
    assert worst is not None  # set at the first evaluation checked, and checked > 0
    err, at, net, got, want, judged = worst
    if err <= TOLERANCE:
        return Verdict(True, f"matches the forward pass at {checked} layer evaluations (max relative error "
                             f"{err:.1e})", layers_checked=checked)
    places = sorted(judged) if judged is not None else [(i, j) for i in range(want.rows) for j in range(want.cols)]
    i, j = max(places, key=lambda ij: abs(got[ij] - want[ij]) if got.rows == want.rows and got.cols == want.cols
               else 0)
    example = counterexample(net, at, [i, j], want[i, j], got[i, j], err)
    return Verdict(False, f"differs from the forward pass at layer {at} (relative error {err:.1e})", example, checked)


def error_at(got, want, places) -> float:
    """max |got - want| / max |want| over the components at ``places`` only (absolute where the truth is zero there):
    a claim under a condition is compared where it holds, and scaled by the values it is about."""
    diff = max(abs(got[p] - want[p]) for p in places)
    scale = max(abs(want[p]) for p in places)
    return float(diff / scale) if scale > mpmath.mpf(10) ** (-30) else float(diff)


def _components(meaning: Meaning, env, want) -> tuple:
    """The right side at every value of the left side's free indices (and, per example, every example), and the
    components judged: those where the claim's condition holds (None when it has none; every component then)."""
    from itertools import product

    entry, free = meaning.lhs, meaning.indices
    per_example = entry.tensor.shape[1] == 1 and want.cols > 1
    got, covered, judged = mpmath.matrix(want.rows, want.cols), set(), set()
    span = max(want.rows, want.cols) + 2
    for values in product(range(-1, span), repeat=len(free)):  # bases shift indices by one: over-cover
        bound = dict(zip(free, values, strict=True))
        row = int(sym(entry.indices[0]).xreplace(bound))
        cols = range(want.cols) if per_example else [int(sym(entry.indices[1]).xreplace(bound))]
        for col in cols:
            if not (0 <= row < want.rows and 0 <= col < want.cols) or (row, col) in covered:
                continue
            covered.add((row, col))
            if meaning.where is not None and not meaning.where.holds(bound):
                continue  # the indices reach this component, but the claim is not about it
            env.example = col if per_example else None
            try:
                got[row, col] = value_of(meaning.rhs, env, bound)
            finally:
                env.example = None
            judged.add((row, col))
    if len(covered) != want.rows * want.cols:
        raise DeriveError("the formula's indices do not reach every component")
    return got, (None if meaning.where is None else judged)


def _judge_local(meaning: Meaning, problem: Problem, seed: int, trials: int, m: int | None = None) -> Verdict:
    """d x / d y = rhs: every component the free indices reach, at every layer where the claim applies."""
    from itertools import product

    from ..components import _placer
    from ..verification import make_env
    layer, entry = Layer(problem.convention), meaning.lhs
    placers = [_placer(e) for e in (entry.of, entry.wrt)]
    needs_gradients = any(e.tensor.kind in TRUTH_KEY for e in sym(meaning.rhs).atoms(LayerEntry))
    wants, gots, where, checked = [], [], [], 0
    # each entry's (row, column) as plain functions of the free indices: most values of the indices fall outside
    # the two quantities, and telling so needs no SymPy (the values inside are then placed as always)
    sides = [(e, [sp.lambdify(meaning.indices, sym(x), "math") for x in e.indices]) for e in (entry.of, entry.wrt)]
    with mpmath.workdps(50):
        for t in range(trials):
            net, fwd, truth, local = _network(problem, meaning.depth or DEPTH, seed + t, gradients=needs_gradients,
                                              m=m, accumulated=accumulates(meaning))
            env = make_env(layer, net, fwd)
            env.local = local
            env.tensors.update(truth)  # a gradient on the right (delta^l_j): the forward pass's, never the engine's
            first, last = net.input_label + 1, net.output_label
            values = [None] if not meaning.layer.has(l) else range(first - 2, last + 3)
            span = max(net.widths) + 2
            # one example at a time where vectors hold one (column layout); a batch matrix's entries name theirs
            examples = range(net.m) if problem.convention.layout == "column" else [None]
            for value in values:
                env.layer_symbols = {L: last} | ({} if value is None else {l: value})
                try:
                    at = env.layer(meaning.layer)
                except DeriveError:
                    continue
                if value is not None and not (first <= at < last and hidden_at(meaning, value, net)):
                    continue  # written with l: a hidden layer, as the recursions are
                found = 0
                sizes = [_size(env, e) for e, _ in sides]
                if None in sizes:
                    continue  # this layer has no such quantity
                for point in product(*_index_ranges(meaning.indices, sides, sizes, span)):
                    if not all(0 <= row(*point) < rows and (each or 0 <= col(*point) < cols)
                               for (_, (row, col)), (rows, cols, each) in zip(sides, sizes, strict=True)):
                        continue
                    bound = dict(zip(meaning.indices, point))
                    if meaning.where is not None and not meaning.where.holds(bound):
                        continue  # the claim is not about these components
                    for example in examples:
                        env.example = example
                        try:
                            of, wrt = (place(env, bound) for place in placers)
                            if not all(_inside(env, p) for p in (of, wrt)):
                                continue
                            want = local(of, wrt)  # env.local, which algebra.Env types as None
                        except DeriveError:
                            continue  # this layer has no such quantity (a bias in a convention without one)
                        try:
                            got = value_of(meaning.rhs, env, bound)
                        except IndexError:
                            return Verdict(False, f"an index runs past the end of a vector or matrix at layer {at}")
                        finally:
                            env.example = None
                        wants.append(want)
                        gots.append(got)
                        where.append((at, bound, example, net))
                        found += 1
                checked += found > 0
    if not checked:
        if meaning.where is not None:
            raise ConditionError(f"the condition {meaning.where.text()} holds at no component the formula names")
        return Verdict(False, f"the claim applies to no layer of a depth-{meaning.depth or DEPTH} network")
    worst, err = worst_of(wants, gots)
    if err <= TOLERANCE:
        return Verdict(True, f"matches the forward pass at {len(wants)} components over {checked} layer evaluations "
                             f"(max relative error {err:.1e})", layers_checked=checked)
    at, bound, example, net = where[worst]
    shown = ", ".join(f"{k} = {v}" for k, v in bound.items())
    counter = counterexample(net, at, shown, wants[worst], gots[worst], err)
    return Verdict(False, f"differs from the forward pass at layer {at}, {shown} (relative error {err:.1e})",
                   counter, checked)


def _index_ranges(indices, sides, sizes, span: int) -> list[range]:
    """The values each free index takes in the loop over components: -1 .. span (bases shift indices by one),
    narrowed to 0 .. n - 1 where an index is itself a row (or a column, not one per example) of a quantity of
    n rows: other values place that quantity's entry outside it, which the loop skips anyway."""
    ranges = {k: range(-1, span) for k in indices}
    for (e, _), (rows, cols, each) in zip(sides, sizes, strict=True):
        for x, n in ((e.indices[0], rows), (None if each else e.indices[1], cols)):
            if x in ranges:
                r = ranges[x]
                ranges[x] = range(max(r.start, 0), min(r.stop, n))
    return [ranges[k] for k in indices]


def _size(env, e: LayerEntry):
    """(rows, columns, one column per example) of the quantity an entry reads at this layer, or None."""
    from ..algebra import per_example
    try:
        M = env.tensors.get((e.tensor.kind, env.layer(e.tensor.layer)))
    except DeriveError:
        return None
    return None if M is None else (M.rows, M.cols, per_example(e.tensor) and M.cols > 1)


