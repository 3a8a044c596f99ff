"""An architecture's derived formulas on concrete networks, every quantity of every step against ground truth.

Four checks per step, each the worst relative error over every entry of every trial, reported per kind and
quantity (with the step where it was worst):

- *forward*: the kinds' forward formulas, chained through the architecture, against the truth's forward pass;
- *chain rule*: each equation's right side with the truth's values (the true adjoints after it), against the
  true adjoint of its left side;
- *end to end*: every adjoint computed by the formulas alone from the loss's ∂ℓ/∂y, step by step back through
  the fan-out sums, against the truth (the output's gradient of a step read twice is the sum of two paths);
- *closed form*: a kind's known one-line form with the truth's values.

The truth is ``truth_kinds.network_truth``: the forward definition of every kind, written again on one scalar
tape for the whole network and differentiated in one backward sweep; it shares nothing with the graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath

from .arch_backward import ArchDerivation, backward, forward, sizes_of
from .architectures import draw
from .backward import array, flat
from .kind_verification import relative_error
from .layers.graph import adjoint_name
from .limits import SEED, TRIALS
from .truth_kinds import DPS, network_truth

TOLERANCE = 1e-9
CHECKS = ("forward", "chain rule", "end to end", "closed form")
BATCHES = (4, 3, 5)   # examples per trial: never the same as every width


@dataclass(frozen=True)
class ArchReport:
    """Worst relative error per (check, kind, quantity), with the step it came from."""

    spec: str
    steps: int
    batches: tuple[int, ...]
    errors: dict = field(default_factory=dict)   # (check, kind, quantity) -> (error, step)
    tolerance: float = TOLERANCE

    @property
    def ok(self) -> bool:
        return all(e <= self.tolerance for e, _ in self.errors.values())

    def text(self, every: bool = False) -> str:
        """For a terminal: per kind and check, the worst quantity (``every``: each quantity on its own line);
        a failing row always shows its quantity and step."""
        lines = [f"{self.spec}: {self.steps} steps; truth: reverse-mode differentiation of the forward definition "
                 f"at {DPS} digits, one tape for the whole network; {len(self.batches)} random "
                 f"batch{'es' if len(self.batches) > 1 else ''} of " + ", ".join(map(str, self.batches)) + " examples"]
        rows: dict = {}
        for (c, k, q), (e, s) in self.errors.items():
            key = (c, k, q) if every or e > self.tolerance else (c, k)
            if key not in rows or e > rows[key][0]:
                rows[key] = (e, s, q, sum(1 for (c2, k2, _) in self.errors if (c2, k2) == (c, k)))
        labels = {key: f"{key[0]}: {key[1]}" + (f" {'d' + key[2] if key[0] != 'forward' else key[2]}"
                                                if len(key) == 3 else "") for key in rows}
        width = max((len(t) for t in labels.values()), default=0)
        for key, (e, s, q, n) in rows.items():
            what = f"(step {s})" if len(key) == 3 else f"(worst of {n}: {'d' + q if key[0] != 'forward' else q}, " \
                                                        f"step {s})"
            verdict = "ok" if e <= self.tolerance else "FAIL"
            lines.append(f"  {labels[key]:{width}}  max rel. error {e:.2e} {what}  {verdict}")
        lines.append("verified" if self.ok else f"FAILED: some error exceeds {self.tolerance:g}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"architecture": self.spec, "steps": self.steps, "batches": list(self.batches),
                "tolerance": self.tolerance, "ok": self.ok,
                "max_relative_error": {f"{c}: {k} {q}": {"error": e, "step": s}
                                       for (c, k, q), (e, s) in self.errors.items()}}


def _error(got, want) -> float:
    return relative_error(flat(got), flat(want))


def check_trial(ad: ArchDerivation, m: int, seed: int) -> dict:
    """{(check, kind, quantity): (relative error, step)} on one drawn network."""
    with mpmath.workdps(DPS):
        inp = draw(ad.architecture, m, seed)
        truth = network_truth(inp)
        own = backward(ad, inp, forward(ad, inp))
        out: dict = {}

        def note(check, s, quantity, e):
            key = (check, s.kind.name, quantity)
            if e >= out.get(key, (-1.0, 0))[0]:
                out[key] = (e, s.step.index)

        for s, mine, true in zip(ad.steps, own, truth):
            sizes = sizes_of(ad.architecture, s.step, m)
            given = dict(inp.params[s.step.index - 1]) | true
            for node in s.kind.nodes:
                if node.forward is not None:
                    note("forward", s, node.name, _error(mine[node.name], true[node.name]))
            note("end to end", s, "y", _error(mine["dy"], true["dy"]))
            for eq in s.derivation.equations:
                axes = s.kind.node(eq.of).axes
                want = true[adjoint_name(eq.of)]
                note("chain rule", s, eq.of, _error(array(eq.rhs, axes, given, sizes), want))
                note("end to end", s, eq.of, _error(mine[adjoint_name(eq.of)], want))
            for closed in s.derivation.closed:
                axes = s.kind.node(closed.form.of).axes
                note("closed form", s, closed.form.of,
                     _error(array(closed.form.rhs, axes, given, sizes), true[adjoint_name(closed.form.of)]))
        return out


def verify_architecture(ad: ArchDerivation, trials: int = 3, seed: int = 0) -> ArchReport:
    """Every formula of ``ad`` on ``trials`` random networks (batches of 4, 3, 5 examples ...)."""
    TRIALS.check(trials)
    SEED.check(seed)
    errors: dict = {}
    batches = []
    for t in range(trials):
        m = BATCHES[t % len(BATCHES)]
        batches.append(m)
        for key, (e, step) in check_trial(ad, m, seed + t).items():
            if e >= errors.get(key, (-1.0, 0))[0]:
                errors[key] = (e, step)
    order = {c: i for i, c in enumerate(CHECKS)}
    return ArchReport(ad.architecture.spec, len(ad.steps), tuple(batches),
                      dict(sorted(errors.items(), key=lambda kv: order[kv[0][0]])))
