"""A formula about one layer kind judged against ground truth, and its mistake named when it fails.

``judge``: on several drawn inputs (``layer_inputs.draw``: unequal m and D, γ ≠ 1, β ≠ 0, ε ~ 0.1, a non-uniform
upstream gradient; three shapes and seeds), every entry of the left side's quantity is compared with
``truth_kinds.kind_truth`` (the forward written again from the definition and differentiated on a tape),
the right side evaluated with truth's value of every quantity it names. It holds if every entry agrees within
TOLERANCE, relative to the largest true entry of its draw; else the worst entry is the counterexample.

``diagnose``: the known mistakes are edits of the kind's graph (``MISTAKES``: one record each), re-derived by the
one reverse pass (``backward``) and evaluated on the same inputs; a mistake whose formula for the quantity differs
from truth and agrees with the user's is named. The corrected formula is the kind's own, in the source's letters
(``kind_printing``). Dropping the mean's path through the variance changes nothing (∂σ²/∂μ = −(2/m) Σ(x − μ) = 0
exactly), so such a formula holds; ``harmless_notes`` says so, telling the two apart at values where the
forward pass's identities do not hold.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..backward import evaluate, expand, reverse_pass
from ..errors import DeriveError
from ..layer_inputs import outputs
from ..layers.graph import AXES, BOUND, KindGraph, Local, Node, adjoint_name
from ..truth_kinds import DPS
from .layer_meaning import LayerFormulaError, LayerMeaning, arrays, axis_word
from .verdict import TOLERANCE

DRAWS = ((4, 3, 0), (3, 5, 1), (5, 2, 2))  # (m, D, seed): never square, every axis of size 2 or more


@dataclass(frozen=True)
class LayerVerdict:
    holds: bool
    reason: str
    counterexample: dict | None = None


# ---------------------------------------------------------------- numbers
def _counts(m: int, D: int) -> dict[str, int]:
    """The size of each axis on a draw of m examples of D features (a dense layer's H outputs: ``outputs(D)``)."""
    return {"n": m, "k": D, "j": outputs(D)}


def _bindings(meaning: LayerMeaning, count: dict[str, int]):
    """Every binding of the left side's indices and of the right side's other free ones (with the sizes)."""
    sizes = {AXES[a][1]: c for a, c in count.items()}
    symbols = [AXES[a][0] for a in meaning.axes] + [s for s, _ in meaning.every]
    axes = list(meaning.axes) + [a for _, a in meaning.every]
    for combo in itertools.product(*(range(1, count[a] + 1) for a in axes)):
        yield {**sizes, **dict(zip(symbols, combo))}


def _value(expr, values: dict, at: dict):
    """``expr``'s number, or None where it has none (a division by zero, the root of a negative number)."""
    try:
        v = evaluate(expr, values, at)
    except (ZeroDivisionError, ValueError, KeyError, IndexError):
        return None
    if isinstance(v, mpmath.mpc):
        return v.real if v.imag == 0 else None
    return v


def _draws(meaning: LayerMeaning, unbiased: bool, where: dict | None = None):
    """Each drawn input's numbers; with ``where`` ({stride: 1}), only the inputs whose constants have those values
    (and only those the claim's own condition allows). A convolution's or a pooling's stride and padding held fixed
    by the claim (its notation or its condition) are drawn so: every draw has them, at its own sizes and numbers."""
    where = {**dict(meaning.where), **(where or {})}
    geometry = tuple(sorted((s.name, int(v)) for s, v in meaning.where if s.name in GEOMETRY))
    for key, values, count in _drawn(meaning.kind.name, unbiased, geometry):
        if where and any(values.get(s.name) != v for s, v in where.items()):
            continue
        yield key, values, count


GEOMETRY = ("stride", "pad")  # the constants a draw may be given (layer_inputs.draw's stride and pad)


@functools.lru_cache(maxsize=16)
def _drawn(kind: str, unbiased: bool, geometry: tuple = ()) -> tuple:
    """The drawn inputs of ``kind`` with truth's values, computed once (a diagnosis judges many candidates on them;
    nothing mutates them); ``geometry`` ((name, value) of stride and pad): drawn with those (a draw whose kernel then
    does not fit is left out)."""
    from ..kind_verification import counts_of, values_of
    from ..layer_inputs import draw
    from ..truth_kinds import kind_truth
    out = []
    for m, D, seed in DRAWS:
        try:
            inp = draw(kind, m, D, seed, unbiased, **dict(geometry))
        except DeriveError:
            continue
        out.append(((m, D, seed), values_of(inp, kind_truth(inp)), counts_of(inp)))
    return tuple(out)


def _where(meaning: LayerMeaning, at: dict) -> dict:
    """An entry's indices in the source's letters: {"i": 2, "j": 1}."""
    out = {}
    shift = 1 - meaning.letters.base  # the entry as the notes count it
    for a in meaning.axes:
        out[meaning.letters.index[a][0]] = int(at[AXES[a][0]]) - shift
    for s, a in meaning.every:
        out[f"{axis_word(a, meaning.letters)} (every)"] = int(at[s]) - shift
    return out


def judge(meaning: LayerMeaning, unbiased: bool = False, where: dict | None = None) -> LayerVerdict:
    """Every entry on every draw (those ``where`` says) against ground truth; the worst disagreement is the
    counterexample."""
    worst = None
    entries = used = 0
    with mpmath.workdps(DPS):
        for (m, D, seed), values, count in _draws(meaning, unbiased, where):
            used += 1
            rows = []
            for at in _bindings(meaning, count):
                rows.append((at, evaluate(meaning.lhs, values, at), _value(meaning.rhs, values, at)))
            scale = max(abs(w) for _, w, _ in rows) or 1
            for at, want, got in rows:
                entries += 1
                err = float("inf") if got is None else float(abs(got - want) / scale)
                if err > TOLERANCE and (worst is None or err > worst[0]):
                    worst = (err, (m, D, seed), at, want, got)
    if not used:
        stated = ", ".join(f"{c.name} = {v}" for c, v in meaning.where)
        raise LayerFormulaError(f"no drawn input has {stated}: the condition leaves nothing to judge the formula on")
    if worst is None:
        return LayerVerdict(True, f"matches ground truth at all {entries} entries of {used} drawn input"
                                  f"{'s' if used != 1 else ''} (relative error within {TOLERANCE:g})")
    err, (m, D, seed), at, want, got = worst
    example = {"kind": meaning.kind.name, "m": m, "D": D, "seed": seed, "entry": _where(meaning, at),
               "expected": mpmath.nstr(want, 12), "got": "no number" if got is None else mpmath.nstr(got, 12),
               "relative_error": err}
    return LayerVerdict(False, f"differs from ground truth (relative error {err:.3g} at m={m}, D={D}, seed {seed})",
                        example)


# ---------------------------------------------------------------- the known mistakes, as edits of the graph
def _reads(kind: KindGraph, change: Callable[[Node, Local], Local | None]) -> KindGraph | None:
    """The graph with each node's reads passed through ``change`` (None drops the read); None when none changed."""
    nodes, changed = [], False
    for node in kind.nodes:
        reads = []
        for r in node.reads:
            new = change(node, r)
            changed |= new != r
            if new is not None:
                reads.append(new)
        nodes.append(dataclasses.replace(node, reads=tuple(reads)))
    return dataclasses.replace(kind, nodes=tuple(nodes)) if changed else None


def _drop(reads: dict[str, set[str]]) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph with the named nodes no longer reading the named sources (None when none of them does)."""
    return lambda kind, unbiased: _reads(kind, lambda n, r: None if r.source in reads.get(n.name, set()) else r)


def _partial(node: str, source: str, value) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph with one local partial replaced (γ's factor in y = γ x̂ + β as 1)."""
    return lambda kind, unbiased: _reads(
        kind, lambda n, r: Local(r.source, value) if n.name == node and r.source == source else r)


def _other_variance(kind: KindGraph, unbiased: bool) -> KindGraph | None:
    """The same normalisation with the other variance's divisor (n - 1 for 1/n, or back)."""
    from ..layers import STATISTICS
    return _kind(kind.name, not unbiased) if kind.name in STATISTICS else None


@dataclass(frozen=True)
class Mistake:
    name: str
    message: str
    edit: Callable[[KindGraph, bool], KindGraph | None]
    harmless: bool = False   # the edit changes nothing on any input: a formula with it holds


def _step_back(source: str) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph with every read of ``source`` at the step before dropped (``Local.own``): the path from a state
    through the next step forgotten."""
    return lambda kind, unbiased: _reads(kind, lambda node, r: None if r.source == source and r.own else r)


def _left_out(name: str) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph with ``name`` read nowhere and its entries 0 in every partial (h0's term in ∂a/∂W_h)."""
    def change(node: Node, r: Local) -> Local | None:
        if r.source == name:
            return None
        zero = r.partial.replace(lambda e: isinstance(e, sp.Indexed) and e.base.label.name == name,
                                 lambda e: sp.Integer(0))
        return r if zero == r.partial else dataclasses.replace(r, partial=zero)
    return lambda kind, unbiased: _reads(kind, change) if any(n.name == name for n in kind.nodes) else None


def _ignored(constant: str, value: int) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph whose partials take ``constant`` (the stride, the padding) as ``value``; the forward keeps it."""
    def edit(kind: KindGraph, unbiased: bool) -> KindGraph | None:
        symbol = next((c for c in kind.constants if c.name == constant), None)
        if symbol is None:
            return None
        return _reads(kind, lambda node, r: dataclasses.replace(r, partial=r.partial.xreplace({symbol: value})))
    return edit


def _no_derivative(kind: KindGraph, unbiased: bool) -> KindGraph | None:
    """Each activation of one read (a gate's σ(a), h = tanh(a)) with its local derivative left out: the partial
    as its Kronecker deltas alone."""
    def change(node: Node, r: Local) -> Local:
        if node.forward is None or len(node.reads) != 1 or not isinstance(node.forward, (sp.Pow, sp.tanh)):
            return r
        deltas = sp.Mul(*(f for f in sp.Mul.make_args(r.partial) if isinstance(f, sp.KroneckerDelta)))
        return dataclasses.replace(r, partial=deltas)
    return _reads(kind, change)


def _no_routing(kind: KindGraph, unbiased: bool) -> KindGraph | None:
    """Max pooling's bracket [x_t = y_i] left out of the partial: every entry of a window gets its gradient."""
    def change(node: Node, r: Local) -> Local:
        unrouted = r.partial.replace(lambda e: isinstance(e, sp.Piecewise) and len(e.args) == 2
                                     and isinstance(e.args[0][1], sp.Eq), lambda e: e.args[0][0])
        return r if unrouted == r.partial else dataclasses.replace(r, partial=unrouted)
    return _reads(kind, change)


def _unscaled(kind: KindGraph, unbiased: bool) -> KindGraph | None:
    """Attention's scores' partials without their 1/√d: the scale forgotten in the backward pass."""
    root = sp.sqrt(AXES["k"][1])
    def change(node: Node, r: Local) -> Local:
        return r if node.name != "S" else dataclasses.replace(r, partial=r.partial * root)
    return _reads(kind, change) if kind.name in ("attention", "masked_attention") else None


def _keep_missing(kind: KindGraph, unbiased: bool) -> KindGraph | None:
    """Inverted dropout's partial r / p as the mask alone (the 1/p forgotten)."""
    mask = sp.IndexedBase("mask")[AXES["n"][0], AXES["k"][0]]
    return _partial("y", "x", mask)(kind, unbiased) if kind.name == "dropout" else None


MISTAKES = (
    Mistake("mu and var treated as constants", "μ and σ² are functions of x too: the paths from x through the "
            "mean and the variance are missing", _drop({"mu": {"x"}, "var": {"x"}})),
    Mistake("the mean's path through the variance missing", "σ² depends on μ: the term ∂ℓ/∂σ² · ∂σ²/∂μ is missing "
            "(it is exactly zero, as Σ(x − μ) = 0)", _drop({"var": {"mu"}}), harmless=True),
    Mistake("the other variance", "the variance's divisor: the forward pass divides by one count, the formula by "
            "the other (n - 1 against n)", _other_variance),
    Mistake("a missing gamma", "y = γ x̂ + β: ∂ℓ/∂x̂ = γ ∂ℓ/∂y, the factor γ is missing", _partial("y", "xhat", 1)),
    Mistake("the keep probability missing", "inverted dropout divides by p: y = r x / p, so ∂ℓ/∂x = r ∂ℓ/∂y / p",
            _keep_missing),
    Mistake("the next step's path forgotten", "the state at step t also feeds step t + 1: the gradient coming back "
            "from step t + 1 (through the recurrent weights) is missing, not just the upstream one", _step_back("h")),
    Mistake("the cell state not carried back", "c at step t feeds c at step t + 1 through the forget gate: the term "
            "of ∂ℓ/∂c at step t + 1 times f at step t + 1 is missing", _step_back("c")),
    Mistake("the initial state left out", "the first step reads the initial state h0: its term (in the recurrent "
            "weights' gradient, [t = 1] h0) is missing", _left_out("h0")),
    Mistake("the stride ignored", "the windows start every s positions: the backward pass must place each window's "
            "gradient at s(i - 1) + u - p, as the forward pass reads it, not at (i - 1) + u - p",
            _ignored("stride", 1)),
    Mistake("the padding ignored", "the forward pass reads the input shifted by the padding p: the backward pass "
            "must shift back by p", _ignored("pad", 0)),
    Mistake("the 1/sqrt(d) missing", "the scores are S = Q K^T / √d: dQ = dS K / √d and dK = dS^T Q / √d keep the "
            "scale", _unscaled),
    Mistake("the gradient sent to every entry of the window", "max pooling passes each window's gradient to its "
            "largest entry only ([x_t = y_i]), not to every entry it covers", _no_routing),
    Mistake("an activation's derivative missing", "a gate's σ′ (or the state's tanh′) is left out of the chain rule",
            _no_derivative),
)


def _unflipped(kind: KindGraph, expr):
    """A convolution's kernel read with its taps the other way round (w at U + 1 - u): the kernel not flipped."""
    taps = [a for a in kind.node("W").axes if a in "uU"] if any(n.name == "W" for n in kind.nodes) else []
    if not taps or not kind.constants:
        return None
    places = [kind.node("W").axes.index(a) for a in taps]

    def flip(e):
        idx = list(e.indices)
        for at, axis in zip(places, taps):
            idx[at] = AXES[axis][1] + 1 - idx[at]
        return e.base[tuple(idx)]
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base.label.name == "W", flip)


def _transposed(kind: KindGraph, expr):
    """A square weight (the recurrent W_h, H by H) read with its two indices swapped: used untransposed."""
    square = [n.name for n in kind.nodes if n.forward is None and len(n.axes) == 2 and n.name != "x"
              and AXES[n.axes[0]][1] == AXES[n.axes[1]][1]]
    if not square:
        return None
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base.label.name in square,
                        lambda e: e.base[e.indices[::-1]])


FORMS = (  # mistakes in how a formula is written out, applied to the kind's own formulas
    ("the kernel not flipped", "the full convolution of the upstream gradient takes the kernel flipped (w at U + 1 - "
     "u, for each spatial axis): correlating with the kernel as it is gives another sum", _unflipped),
    ("a weight untransposed", "the recurrent weight enters the backward pass transposed: its two indices are the "
     "other way round", _transposed),
)
STRIDE_ONE = ("the stride-1 form for every stride", "the full convolution with the flipped kernel is dX only where "
              "the stride is 1 (the formula holds on those inputs); with a stride s, dX is the scatter-sum over the "
              "windows that read each position, Σ_i Σ_u [t = s(i - 1) + u - p] w dout")
WRONG_AXIS = "a sum over the wrong axis"


def _candidates(kind: KindGraph, quantity: str) -> list[sp.Expr]:
    """The quantity's formulas in a graph: its one chain-rule step and its expansion down to ∂ℓ/∂y."""
    equations = reverse_pass(kind)
    out = [e.rhs for e in equations if e.of == quantity]
    expanded = expand(kind, equations)
    if quantity in expanded:
        out.append(expanded[quantity])
    return out


def _swap_axes(expr):
    """Every Σ over one axis as the Σ over the other, the entries read along the other axis (a column's sum as
    the row's): the sum over the wrong axis."""
    def swap(s):
        if len(s.limits) != 1:
            return s
        (index, _, _), = s.limits
        axis = next((a for a, b in BOUND.items() if b == index), None)
        if axis not in ("n", "k"):
            return s
        other = "k" if axis == "n" else "n"
        body = s.function.xreplace({index: AXES[axis][0], AXES[other][0]: BOUND[other]})
        return sp.Sum(body, (BOUND[other], 1, AXES[other][1]))
    return expr.replace(lambda e: isinstance(e, sp.Sum), swap)


def _agrees(meaning: LayerMeaning, candidate, unbiased: bool, where: dict | None = None) -> tuple[bool, bool]:
    """(the candidate matches the user's right side, it differs from truth) on every draw (``where`` says)."""
    same, differs = True, False
    with mpmath.workdps(DPS):
        for _, values, count in _draws(meaning, unbiased, where):
            rows = []
            for at in _bindings(meaning, count):
                c = _value(candidate, values, at)
                if c is None:
                    return False, False
                rows.append((evaluate(meaning.lhs, values, at), _value(meaning.rhs, values, at), c))
            scale = max(abs(w) for w, _, _ in rows) or 1
            for want, got, c in rows:
                if got is None or abs(got - c) / scale > TOLERANCE:
                    same = False
                if abs(c - want) / scale > TOLERANCE:
                    differs = True
            if not same:
                return False, differs
    return same, differs


def diagnose(meaning: LayerMeaning, unbiased: bool = False) -> dict:
    """The known mistake a failing formula makes (or None), and the corrected formula in the source's letters."""
    corrected = corrected_formula(meaning, unbiased)
    if meaning.adjoint:
        bound = {AXES[a][0] for a in meaning.axes} | {s for s, _ in meaning.every}
        # (name, message, candidate, where): a closed form that holds only where its constants are ``when``'s
        # (the flipped kernel at stride 1) is compared with the user's formula on those inputs only
        tries: list[tuple[str, str, sp.Expr, dict | None]] = [
            (mk.name, mk.message, c, None) for mk in MISTAKES if not mk.harmless
                 for g in [mk.edit(meaning.kind, unbiased)] if g is not None
                 for c in _candidates(g, meaning.quantity)]
        own = [(c, None) for c in _candidates(_kind(meaning.kind.name, unbiased), meaning.quantity)] + \
            [(c.rhs, c.when or None) for c in meaning.kind.compact if c.of == meaning.quantity]
        tries += [(name, message, edited, where) for name, message, form in FORMS for c, where in own
                  for edited in [form(meaning.kind, c)] if edited is not None and edited != c]
        tries += [(WRONG_AXIS, "each Σ runs over the other axis (the features of a row against the examples of a "
                   "column)", _swap_axes(c), where) for c, where in own]
        for name, message, candidate, where in tries:
            sizes = {size for _, size in AXES.values()}
            free = {s for s in candidate.free_symbols if isinstance(s, sp.Symbol) and s.is_integer} - sizes \
                - set(meaning.kind.constants)
            if not free <= bound:
                continue
            same, differs = _agrees(meaning, candidate, unbiased, where)
            if same and differs:
                return {"mistake": name, "message": message, "corrected": corrected}
        for c in meaning.kind.compact:
            if c.of == meaning.quantity and c.when and _holds_where(meaning, c.when, unbiased):
                return {"mistake": STRIDE_ONE[0], "message": STRIDE_ONE[1], "corrected": corrected}
    return {"mistake": None, "message": "not one of the known mistakes", "corrected": corrected}


def _holds_where(meaning: LayerMeaning, where: dict, unbiased: bool) -> bool:
    """Whether the formula holds on every draw whose constants are ``where``'s (there being one)."""
    if not any(True for _ in _draws(meaning, unbiased, where)):
        return False
    return judge(meaning, unbiased, where).holds


def _kind(name: str, unbiased: bool) -> KindGraph:
    from ..layers import kind
    return kind(name, unbiased)


def corrected_formula(meaning: LayerMeaning, unbiased: bool = False) -> str:
    """The kind's own formula for the left side, in its source's letters: the one chain-rule step when the user's
    right side names intermediate adjoints, else the closed form (or the expansion down to ∂ℓ/∂y)."""
    from ..kind_printing import latex
    kind = _kind(meaning.kind.name, unbiased)
    node = kind.node(meaning.quantity)
    if not meaning.adjoint:
        lhs, rhs = node.entry, node.forward
    else:
        lhs = node.adjoint
        equations = reverse_pass(kind)
        step = next(e.rhs for e in equations if e.of == meaning.quantity)
        closed = next((c.rhs for c in kind.compact if c.of == meaning.quantity), None)
        if meaning.uses_adjoints():
            rhs = step
        else:
            rhs = closed if closed is not None else expand(kind, equations)[meaning.quantity]
    if rhs is None:
        return ""
    letters = dataclasses.replace(meaning.letters, base=1)  # the printer counts from 1
    note = r" \quad \text{(indices counted from 1)}" if meaning.letters.base != 1 else ""
    return f"{latex(lhs, letters, rhs)} = {latex(rhs, letters, lhs)}{note}"


# ---------------------------------------------------------------- a harmless omission, noted
def _generic(kind: KindGraph, m: int, D: int, seed: int) -> dict:
    """Independent random numbers for every array, adjoint and scalar: values at which the forward pass's
    identities (Σ(x − μ) = 0) do not hold, so two formulas equal only by them differ."""
    rng = random.Random(seed)
    size = _counts(m, D)

    def grid(axes):
        if not axes:
            return mpmath.mpf(rng.uniform(0.5, 2))
        return tuple(grid(axes[1:]) for _ in range(size[axes[0]]))
    out = {}
    for name, axes in arrays(kind).items():
        out[name] = grid(axes)
        out[adjoint_name(name)] = grid(axes)
    for s in kind.constants:
        out[s.name] = mpmath.mpf(rng.uniform(0.5, 2))
    return out


def harmless_notes(meaning: LayerMeaning, unbiased: bool = False) -> list[str]:
    """For a formula that holds: the harmless mistakes it makes (the same as the edited graph's step at values the
    forward pass does not constrain, unlike the kind's own)."""
    notes: list[str] = []
    if not meaning.adjoint or meaning.every:
        return notes
    kind = _kind(meaning.kind.name, unbiased)
    own = _candidates(kind, meaning.quantity)[:1]
    for mk in MISTAKES:
        if not mk.harmless:
            continue
        edited = mk.edit(kind, unbiased)
        if edited is None or not own:
            continue
        theirs = _candidates(edited, meaning.quantity)[:1]
        if not theirs or _same_generic(meaning, own[0], meaning.rhs) or not _same_generic(meaning, theirs[0],
                                                                                         meaning.rhs):
            continue
        notes.append(f"{mk.name}: {mk.message}; the formula holds all the same")
    return notes


def _same_generic(meaning: LayerMeaning, a, b) -> bool:
    with mpmath.workdps(DPS):
        for seed, (m, D) in enumerate(((4, 3), (3, 5))):
            values = _generic(meaning.kind, m, D, seed)
            for at in _bindings(meaning, _counts(m, D)):
                x, y = _value(a, values, at), _value(b, values, at)
                if x is None or y is None or abs(x - y) > TOLERANCE * max(abs(x), 1):
                    return False
    return True
