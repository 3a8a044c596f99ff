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
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..backward import evaluate, expand, reverse_pass
from ..layer_inputs import outputs
from ..layers.graph import AXES, BOUND, KindGraph, Local, adjoint_name
from ..truth_kinds import DPS
from .layer_meaning import AXIS_WORD, LayerMeaning, arrays
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


def _draws(meaning: LayerMeaning, unbiased: bool):
    from ..kind_verification import counts_of, values_of
    from ..layer_inputs import draw
    from ..truth_kinds import kind_truth
    for m, D, seed in DRAWS:
        inp = draw(meaning.kind.name, m, D, seed, unbiased)
        yield (m, D, seed), values_of(inp, kind_truth(inp)), counts_of(inp)


def _where(meaning: LayerMeaning, at: dict) -> dict:
    """An entry's indices in the source's letters: {"i": 2, "j": 1}."""
    out = {}
    for a in meaning.axes:
        out[meaning.letters.index[a][0]] = int(at[AXES[a][0]])
    for s, a in meaning.every:
        out[f"{AXIS_WORD[a]} (every)"] = int(at[s])
    return out


def judge(meaning: LayerMeaning, unbiased: bool = False) -> LayerVerdict:
    """Every entry on every draw against ground truth; the worst disagreement is the counterexample."""
    worst = None
    entries = 0
    with mpmath.workdps(DPS):
        for (m, D, seed), values, count in _draws(meaning, unbiased):
            rows = []
            for at in _bindings(meaning, count):
                rows.append((at, evaluate(meaning.lhs, values, at), _value(meaning.rhs, values, at)))
            scale = max(abs(w) for _, w, _ in rows) or 1
            for at, want, got in rows:
                entries += 1
                err = float("inf") if got is None else float(abs(got - want) / scale)
                if err > TOLERANCE and (worst is None or err > worst[0]):
                    worst = (err, (m, D, seed), at, want, got)
    if worst is None:
        return LayerVerdict(True, f"matches ground truth at all {entries} entries of {len(DRAWS)} drawn inputs "
                                  f"(relative error within {TOLERANCE:g})")
    err, (m, D, seed), at, want, got = worst
    example = {"kind": meaning.kind.name, "m": m, "D": D, "seed": seed, "entry": _where(meaning, at),
               "expected": mpmath.nstr(want, 12), "got": "no number" if got is None else mpmath.nstr(got, 12),
               "relative_error": err}
    return LayerVerdict(False, f"differs from ground truth (relative error {err:.3g} at m={m}, D={D}, seed {seed})",
                        example)


# ---------------------------------------------------------------- the known mistakes, as edits of the graph
def _drop(reads: dict[str, set[str]]) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph with the named nodes no longer reading the named sources (None when none of them does)."""
    def edit(kind: KindGraph, unbiased: bool) -> KindGraph | None:
        changed = False
        nodes = []
        for node in kind.nodes:
            keep = tuple(r for r in node.reads if r.source not in reads.get(node.name, set()))
            changed |= len(keep) != len(node.reads)
            nodes.append(dataclasses.replace(node, reads=keep))
        return dataclasses.replace(kind, nodes=tuple(nodes)) if changed else None
    return edit


def _partial(node: str, source: str, value) -> Callable[[KindGraph, bool], KindGraph | None]:
    """The graph with one local partial replaced (γ's factor in y = γ x̂ + β as 1)."""
    def edit(kind: KindGraph, unbiased: bool) -> KindGraph | None:
        names = {n.name for n in kind.nodes}
        if node not in names or not any(r.source == source for r in kind.node(node).reads):
            return None
        nodes = tuple(dataclasses.replace(n, reads=tuple(Local(r.source, value) if r.source == source else r
                                                         for r in n.reads)) if n.name == node else n
                      for n in kind.nodes)
        return dataclasses.replace(kind, nodes=nodes)
    return edit


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
)
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
        (index, _, _), = s.limits
        axis = next((a for a, b in BOUND.items() if b == index), None)
        if axis is None:
            return s
        other = "k" if axis == "n" else "n"
        body = s.function.xreplace({index: AXES[axis][0], AXES[other][0]: BOUND[other]})
        return sp.Sum(body, (BOUND[other], 1, AXES[other][1]))
    return expr.replace(lambda e: isinstance(e, sp.Sum), swap)


def _agrees(meaning: LayerMeaning, candidate, unbiased: bool) -> tuple[bool, bool]:
    """(the candidate matches the user's right side, it differs from truth) on every draw."""
    same, differs = True, False
    with mpmath.workdps(DPS):
        for _, values, count in _draws(meaning, unbiased):
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
        tries = [(mk.name, mk.message, c) for mk in MISTAKES if not mk.harmless
                 for g in [mk.edit(meaning.kind, unbiased)] if g is not None
                 for c in _candidates(g, meaning.quantity)]
        tries += [(WRONG_AXIS, "each Σ runs over the other axis (the features of a row against the examples of a "
                   "column)", _swap_axes(c)) for c in _candidates(_kind(meaning.kind.name, unbiased), meaning.quantity)
                  + [c.rhs for c in meaning.kind.compact if c.of == meaning.quantity]]
        for name, message, candidate in tries:
            sizes = {size for _, size in AXES.values()}
            free = {s for s in candidate.free_symbols if isinstance(s, sp.Symbol) and s.is_integer} - sizes
            if not free <= bound:
                continue
            same, differs = _agrees(meaning, candidate, unbiased)
            if same and differs:
                return {"mistake": name, "message": message, "corrected": corrected}
    return {"mistake": None, "message": "not one of the known mistakes", "corrected": corrected}


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
    return f"{latex(lhs, meaning.letters, rhs)} = {latex(rhs, meaning.letters, lhs)}"


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
