"""What every judgement shares: the verdict, the random networks it runs on and how their values compare.

``judge`` (backprop claims and local derivatives) and ``forward`` (claims about the forward pass) both judge on
the networks ``_network`` draws (deterministic in problem, depth and seed, each drawn once per process, with its
true gradients from ``truth``), evaluate a component expression with ``value_of``, and report the worst
disagreement as a ``Verdict`` with its ``counterexample``. Below both, so neither imports the other's module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..algebra import sym
from ..problem import Problem
from ..symbols import L, l
from .meaning import Meaning

DEPTH, TRIALS, TOLERANCE = 4, 3, 1e-8


@dataclass
class Verdict:
    """holds / fails, with the worst disagreement found."""

    holds: bool
    reason: str
    counterexample: dict | None = None
    layers_checked: int = 0


def hidden_at(meaning: Meaning, value: int, net) -> bool:
    """Whether every layer where the claim reads a function letter as the hidden activation (sigma'(z^{l+1})) is a
    hidden layer when l = ``value``."""
    return all(net.input_label < int(sym(x).xreplace({l: value, L: net.output_label})) < net.output_label
               for x in meaning.hidden)


NETWORKS = 256  # networks kept per process: a gallery's 28 problems x 3 seeds, with room for variants
_networks: dict = {}


def _network(problem: Problem, depth: int, seed: int, gradients: bool = True, m: int | None = None,
             accumulated: bool = False) -> tuple:
    """The random network a judgement uses, its forward pass, its true gradients (empty if not asked for; with
    ``accumulated``, also the examples' summed weight gradients without the penalty, Ng's Delta^(l)) and its local
    derivatives d x / d y (evaluated when first asked).

    Drawn deterministically from (problem, depth, seed), so each is computed once per process: a lint run
    or a diagnosis judges many formulas on the same few networks, and a claim that needs no gradients shares the
    network (and the local derivatives already taken on it) with those that do. Callers copy what they change.
    """
    from ..truth import LocalDerivatives, ground_truth, summed_losses_gradient
    from ..verification import draw_network
    key = (problem, depth, seed, m)
    with mpmath.workdps(50):
        if key not in _networks:
            if len(_networks) >= NETWORKS:
                _networks.pop(next(iter(_networks)))  # the oldest
            net, fwd = draw_network(problem, depth, seed, m=m)
            local = functools.lru_cache(maxsize=None)(LocalDerivatives(net, fwd))  # chain-rule factors, on demand
            _networks[key] = [net, fwd, None, local, False]
        entry = _networks[key]
        if gradients and entry[2] is None:
            truth = ground_truth(entry[0])
            if problem.convention.delta_sign != 1:  # the convention's delta is -dE/dz: the truth of what it names
                truth = {k: -v if k[0] == "delta" else v for k, v in truth.items()}
            entry[2] = truth
        if gradients and accumulated and not entry[4]:
            entry[2] = entry[2] | summed_losses_gradient(entry[0])
            entry[4] = True
        net, fwd, truth, local, _ = entry
        return net, fwd, truth if truth is not None else {}, local


def worst_of(wants: list, gots: list) -> tuple[int, float]:
    """The position of the largest disagreement and its size relative to the largest true value."""
    scale = max(abs(w) for w in wants) or 1
    worst = max(range(len(wants)), key=lambda n: abs(gots[n] - wants[n]))
    return worst, float(abs(gots[worst] - wants[worst]) / scale)


def value_of(expr, env, bound: dict | None = None):
    """A component expression's value on one network at the working precision. A complex value (the logarithm
    of a negative number, as an edit tried by the diagnosis may write) is kept complex: it differs from every
    real truth, so the claim fails there instead of stopping the judgement."""
    from ..components import _compiled, _concrete
    try:  # compiled once per expression into closures over mpmath (components; SymPy only for unknown nodes)
        value = _compiled(expr)(env, bound or {})
    except (ZeroDivisionError, ValueError, OverflowError):
        value = None  # no number here by mpmath's rules: SymPy's arithmetic says which (zoo, nan, a complex)
    if isinstance(value, bool | None):
        re, im = sp.N(_concrete(expr, env, bound or {}), mpmath.mp.dps).as_real_imag()
        return mpmath.mpf(re) if im == 0 else mpmath.mpc(re, im)
    if isinstance(value, mpmath.mpc):
        return mpmath.mpf(value.real) if value.imag == 0 else value
    return mpmath.mpf(value)


def counterexample(net, layer, component, want, got, err) -> dict:
    """A failing verdict's counterexample: where (network, layer, component), the true and the claimed value."""
    return {"layer": layer, "widths": list(net.widths), "seed": net.seed, "component": component,
            "expected": mpmath.nstr(want, 12), "got": mpmath.nstr(got, 12), "relative_error": float(err)}


def _inside(env, place) -> bool:
    """Whether (kind, layer, row, column) is an entry of a quantity the network has."""
    kind, label, i, j = place
    M = env.tensors.get((kind, label))
    return M is not None and 0 <= i < M.rows and 0 <= j < M.cols
