"""``derive.check``: does a pasted backprop formula hold under a convention? If not, why, and what holds.

parse (never evaluates user text) -> meaning under the convention -> judge (shapes, then numbers against
forward-pass truth) -> diagnose (the nearest common mistake that makes it hold). Invalid input is a
verdict, not an exception.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .errors import DeriveError


@dataclass
class CheckResult:
    """The verdict on one formula."""

    verdict: str                      # "holds" | "fails" | "invalid"
    formula: str
    convention: str
    quantity: str | None = None
    reason: str = ""
    counterexample: dict | None = None
    diagnosis: dict | None = None     # {mistake, message, corrected}
    condition: str | None = None      # holds only when this is true (softmax + cross-entropy: sum_k y_k = 1)
    notes: list = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def text(self) -> str:
        lines = [f"{self.verdict}: {self.reason}"]
        if self.condition:
            lines.append(f"  condition: {self.condition}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.counterexample:
            c = self.counterexample
            lines.append(f"  counterexample: layer {c['layer']}, widths {c['widths']}, seed {c['seed']}, "
                         f"component {c['component']}: expected {c['expected']}, got {c['got']}")
        if self.diagnosis:
            lines.append(f"  likely mistake ({self.diagnosis['mistake']}): {self.diagnosis['message']}")
            lines.append(f"  corrected: {self.diagnosis['corrected']}")
        return "\n".join(lines)


def check(formula: str, convention="nielsen", loss: str = "mse", output: str = "sigmoid",
          hidden: str = "sigmoid", diagnose: bool = True) -> CheckResult:
    """Judge ``formula`` (LaTeX or Octave-style) as a claim about a backprop quantity under ``convention``."""
    from .formula.diagnose import diagnose as find_mistake
    from .formula.judge import judge
    from .formula.meaning import compile_claim
    from .formula.parse import parse
    from .output_layer import analyse
    from .problem import Problem

    name = convention if isinstance(convention, str) else getattr(convention, "name", repr(convention))
    try:
        if not isinstance(formula, str):
            raise DeriveError(f"the formula must be a string, not {type(formula).__name__}")
        problem = Problem.make(convention, loss, output, hidden)
        claim = parse(formula)
    except DeriveError as exc:
        return CheckResult("invalid", formula, name, reason=str(exc))

    def attempt(c):
        meaning = compile_claim(c, problem)
        return meaning, judge(meaning, problem)

    try:
        meaning, verdict = attempt(claim)
    except DeriveError as exc:
        from .algebra import ShapeMismatch
        if not isinstance(exc, ShapeMismatch):
            return CheckResult("invalid", formula, name, reason=str(exc))
        from .printing import NotationPrinter
        meaning, verdict = None, None
        reason = f"shapes do not conform: {exc.describe(NotationPrinter(problem.convention).doprint)}"
    else:
        reason = verdict.reason
    result = CheckResult("holds" if verdict and verdict.holds else "fails", formula, name,
                         quantity=meaning.quantity if meaning else None, reason=reason,
                         counterexample=verdict.counterexample if verdict else None,
                         notes=list(meaning.notes) if meaning else [])
    if result.holds and meaning.quantity == "delta_out":
        od = analyse(problem.loss.name, problem.output.name)
        if od.condition:
            result.condition = od.condition_latex
    if not result.holds and diagnose:
        def holds(candidate) -> bool:
            m, v = attempt(candidate)
            return v.holds
        result.diagnosis = find_mistake(claim, problem, holds)
    return result
