"""Judging a claim: shapes first, then numbers against ground truth from the forward pass.

The right-hand side is evaluated with the TRUE gradients of the next layer (from ``truth``), never with
the engine's, on several random networks (depth 4, unequal widths, valid targets), at every layer where
the claim applies. It holds if it matches everywhere within tolerance; one mismatch is a counterexample.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from ..algebra import ShapeMismatch, check_shapes, evaluate
from ..chain import L, l
from ..errors import DeriveError
from ..problem import Problem
from .meaning import Meaning

DEPTH, TRIALS, TOLERANCE = 4, 3, 1e-8
TRUTH_KEY = {"delta": "delta", "delta_out": "delta", "grad_act": "grad_act", "grad_act_out": "grad_act",
             "grad_weight": "grad_weight", "grad_bias": "grad_bias"}


@dataclass
class Verdict:
    """holds / fails, with the worst disagreement found."""

    holds: bool
    reason: str
    counterexample: dict | None = None
    layers_checked: int = 0


def shapes(meaning: Meaning) -> str | None:
    """A one-line shape complaint, or None when the two sides conform."""
    try:
        right = check_shapes(meaning.rhs)
    except ShapeMismatch as exc:
        return str(exc)
    left = meaning.lhs.shape
    if any(sp.simplify(a - b) != 0 for a, b in zip(left, right, strict=True)):
        return f"the left side is {left[0]} x {left[1]} but the right side is {right[0]} x {right[1]}"
    return None


def layers_for(meaning: Meaning, net) -> list[int]:
    """Values of l for which the claim's left side is the quantity it names (hidden layers for recursions)."""
    first, last = net.input_label + 1, net.output_label
    if meaning.quantity.endswith("_out") or not meaning.layer.has(l):
        return [None]
    out = []
    for value in range(first - 2, last + 3):
        at = int(meaning.layer.xreplace({l: value, L: last}))
        if meaning.quantity in ("delta", "grad_act") and first <= at < last:
            out.append(value)
        elif meaning.quantity in ("grad_weight", "grad_bias") and first <= at <= last:
            out.append(value)
    return out


def judge(meaning: Meaning, problem: Problem, seed: int = 0, trials: int = TRIALS) -> Verdict:
    """Evaluate both sides on random networks; the first disagreement beyond tolerance is the counterexample."""
    from ..truth import ground_truth
    from ..verify import draw_network, make_env, relative_error

    complaint = shapes(meaning)
    if complaint:
        return Verdict(False, f"shapes do not conform: {complaint}")
    deriv = _derivation(problem)
    worst, checked = None, 0
    with mpmath.workdps(50):
        for t in range(trials):
            net, fwd = draw_network(problem, DEPTH, seed + t)
            truth = ground_truth(net)
            env = make_env(deriv, net, fwd)
            for (q, k), value in truth.items():
                if q in ("delta", "grad_act"):
                    env.tensors[(q, k)] = value  # the next layer's gradients, from the forward pass
            for value in layers_for(meaning, net):
                env.layer_symbols = {L: net.output_label} | ({} if value is None else {l: value})
                at = int(meaning.layer.xreplace(env.layer_symbols))
                want = truth.get((TRUTH_KEY[meaning.quantity], at))
                if want is None:
                    continue
                try:
                    got = evaluate(meaning.rhs, env)
                except DeriveError:
                    continue  # the formula reads a quantity this layer does not have
                checked += 1
                err = relative_error(got, want)
                if worst is None or err > worst[0]:
                    worst = (err, at, net, got, want)
    if checked == 0:
        return Verdict(False, "the claim applies to no layer of a depth-4 network")
    err, at, net, got, want = worst
    if err <= TOLERANCE:
        return Verdict(True, f"matches the forward pass at {checked} layer evaluations (max relative error "
                             f"{err:.1e})", layers_checked=checked)
    i, j = max(((i, j) for i in range(want.rows) for j in range(want.cols)),
               key=lambda ij: abs(got[ij] - want[ij]) if got.rows == want.rows and got.cols == want.cols else 0)
    example = {"layer": at, "widths": list(net.widths), "seed": net.seed, "component": [i, j],
               "expected": mpmath.nstr(want[i, j], 12), "got": mpmath.nstr(got[i, j], 12),
               "relative_error": float(err)}
    return Verdict(False, f"differs from the forward pass at layer {at} (relative error {err:.1e})", example, checked)


_CACHE: dict = {}


def _derivation(problem: Problem):
    """A Derivation only for its Layer symbols (make_env needs the widths' names); cached."""
    from ..chain import derive
    key = (problem.convention, problem.loss.name, problem.output.name, problem.hidden.name)
    if key not in _CACHE:
        _CACHE[key] = derive(problem)
    return _CACHE[key]
