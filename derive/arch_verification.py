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

import itertools
from dataclasses import dataclass, field

import mpmath

from .arch_backward import ArchDerivation, backward, forward, sizes_of
from .architectures import Step, draw
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
    ties: int = 0        # the entries left out: a max pool's inputs at a tie for their window's largest

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
        if self.ties:
            lines.append(f"  left out: {self.tie_words()}")
        lines.append("verified" if self.ok else f"FAILED: some error exceeds {self.tolerance:g}")
        return "\n".join(lines)

    def tie_words(self) -> str:
        """What was left out at a max pool's ties, in words ("" if nothing)."""
        if not self.ties:
            return ""
        return (f"{self.ties} input entr{'y' if self.ties == 1 else 'ies'} of a max pool that tie for their "
                "window's largest (a ReLU's zeros), in its dx and in the dy of the step before: the loss has no "
                "derivative by a tied entry; the truth, as PyTorch, passes a window's gradient to the first of "
                "them, the formula's bracket to each")

    def to_dict(self) -> dict:
        return {"architecture": self.spec, "steps": self.steps, "batches": list(self.batches),
                "tolerance": self.tolerance, "ok": self.ok, "tied_entries_left_out": self.ties,
                "max_relative_error": {f"{c}: {k} {q}": {"error": e, "step": s}
                                       for (c, k, q), (e, s) in self.errors.items()}}


def _masked(values, skip: frozenset, at: tuple = ()):
    """``values`` (nested tuples) with the entries at the indices ``skip`` holds set to 0."""
    if not isinstance(values, tuple):
        return mpmath.mpf(0) if at in skip else values
    return tuple(_masked(v, skip, (*at, i)) for i, v in enumerate(values))


def _error(got, want, skip: frozenset = frozenset()) -> float:
    if skip:
        got, want = _masked(got, skip), _masked(want, skip)
    return relative_error(flat(got), flat(want))


def ties(step: Step, x) -> frozenset:
    """The entries of a max pool's input x (0-based indices) that tie for their window's largest: the max is not
    differentiable there (moving one tied entry up raises the window's max, moving it down does not), so the
    loss has no derivative by them. A ReLU before the pool makes such ties common: a window of its zeros."""
    if step.kind not in ("maxpool1d", "maxpool2d"):
        return frozenset()
    stride, taps = dict(step.options)["stride"], step.taps
    out = set()
    for n, example in enumerate(x):
        for k, channel in enumerate(example):
            sizes, inner = [], channel
            while isinstance(inner, tuple):
                sizes.append(len(inner))
                inner = inner[0]
            origins = itertools.product(*(range(0, t - u + 1, stride) for t, u in zip(sizes, taps)))
            for origin in origins:
                window = [tuple(o + u for o, u in zip(origin, offset))
                          for offset in itertools.product(*map(range, taps))]
                values = [_entry(channel, at) for at in window]
                top = [at for at, v in zip(window, values) if v == max(values)]
                if len(top) > 1:
                    out |= {(n, k, *at) for at in top}
    return frozenset(out)


def _entry(values, at: tuple):
    for i in at:
        values = values[i]
    return values


def check_trial(ad: ArchDerivation, m: int, seed: int) -> tuple[dict, int]:
    """({(check, kind, quantity): (relative error, step)}, the entries left out at a max pool's tie) on one drawn
    network."""
    with mpmath.workdps(DPS):
        inp = draw(ad.architecture, m, seed)
        truth = network_truth(inp)
        own = backward(ad, inp, forward(ad, inp))
        out: dict = {}
        # a tied input of a max pool: its gradient (the pool's dx, the step before's dy) has no value to check
        skip: dict = {}
        for s in ad.steps:
            tied = ties(s.step, truth[s.step.index - 1]["x"])
            if tied:
                skip[(s.step.index, "x")] = tied
                skip[(s.step.reads[0], "y")] = skip.get((s.step.reads[0], "y"), frozenset()) | tied

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
            note("end to end", s, "y", _error(mine["dy"], true["dy"], skip.get((s.step.index, "y"), frozenset())))
            for eq in s.derivation.equations:
                axes = s.kind.node(eq.of).axes
                want, left_out = true[adjoint_name(eq.of)], skip.get((s.step.index, eq.of), frozenset())
                note("chain rule", s, eq.of, _error(array(eq.rhs, axes, given, sizes), want, left_out))
                note("end to end", s, eq.of, _error(mine[adjoint_name(eq.of)], want, left_out))
            for closed in s.derivation.closed:
                if any(given.get(str(constant)) != value for constant, value in closed.form.when.items()):
                    continue  # the form holds only where its constants have these values (a convolution's stride 1)
                axes = s.kind.node(closed.form.of).axes
                note("closed form", s, closed.form.of,
                     _error(array(closed.form.rhs, axes, given, sizes), true[adjoint_name(closed.form.of)]))
        return out, sum(len(t) for (_, q), t in skip.items() if q == "x")


def verify_architecture(ad: ArchDerivation, trials: int = 3, seed: int = 0) -> ArchReport:
    """Every formula of ``ad`` on ``trials`` random networks (batches of 4, 3, 5 examples ...)."""
    TRIALS.check(trials)
    SEED.check(seed)
    errors: dict = {}
    batches, tied = [], 0
    for t in range(trials):
        m = BATCHES[t % len(BATCHES)]
        batches.append(m)
        found, left_out = check_trial(ad, m, seed + t)
        tied += left_out
        for key, (e, step) in found.items():
            if e >= errors.get(key, (-1.0, 0))[0]:
                errors[key] = (e, step)
    order = {c: i for i, c in enumerate(CHECKS)}
    return ArchReport(ad.architecture.spec, len(ad.steps), tuple(batches),
                      dict(sorted(errors.items(), key=lambda kv: order[kv[0][0]])), ties=tied)
