"""``derive.check``: does a pasted backprop formula hold under a convention? If not, why, and what holds.

parse (never evaluates user text) -> meaning under the convention -> judge (shapes, then numbers against
forward-pass truth) -> diagnose (the nearest common mistake that makes it hold). Invalid input is a
verdict, not an exception.

A one-line chain ``\\delta^L = \\frac{\\partial C}{\\partial z^L} = (a^L - y) \\odot \\sigma'(z^L)`` is judged link by
link (each relation between two neighbouring sides is a claim); it holds only if every link does. A link whose
left side is an expression rather than a quantity (``... = (a^L - y) \\odot \\sigma'(z^L) = \\nabla_a C \\odot
\\sigma'(z^L)``) is judged against the nearest side before it that names a quantity, when every link in between
holds: if Q = B and Q = C both hold, so does B = C, and if Q = B holds but Q = C does not, B = C fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from .errors import DeriveError


@dataclass
class CheckResult:
    """The verdict on one formula (for a chain, on all its links; ``links`` has one entry per link)."""

    verdict: str                      # "holds" | "fails" | "invalid"
    formula: str
    convention: str
    quantity: str | None = None
    reason: str = ""
    counterexample: dict | None = None
    diagnosis: dict | None = None     # {mistake, message, corrected}
    condition: str | None = None      # holds only when this is true (softmax + cross-entropy: sum_k y_k = 1)
    notes: list = field(default_factory=list)
    links: list = field(default_factory=list)  # a chain's links: {formula, verdict, reason}; empty for one claim
    beside: bool = False              # the links are formulas written side by side on the line (a = b \qquad c = d)
    cases: bool = False               # the links are the cases of a cases block (lhs = \begin{cases} ... \end{cases})

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        import json
        return json.dumps(self.to_dict(), indent=2)

    def text(self) -> str:
        lines = [f"{self.verdict}: {self.reason}"]
        for n, link in enumerate(self.links, 1):
            word = "case" if self.cases else "formula" if self.beside else "link"
            lines.append(f"  {word} {n} of {len(self.links)} {link['verdict']}: "
                         f"{link['formula']}"
                         + (f" ({link['reason']})" if link["reason"] else ""))
        if self.condition:
            lines.append(f"  condition: {self.condition}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.counterexample and "entry" in self.counterexample:  # one layer kind's (layer_check)
            c = self.counterexample
            entry = ", ".join(f"{k}={v}" for k, v in c["entry"].items())
            lines.append(f"  counterexample: {c['kind']} with m={c['m']}, D={c['D']}, seed {c['seed']}, entry "
                         f"{entry}: expected {c['expected']}, got {c['got']}")
        elif self.counterexample:
            c = self.counterexample
            lines.append(f"  counterexample: layer {c['layer']}, widths {c['widths']}, seed {c['seed']}, "
                         f"component {c['component']}: expected {c['expected']}, got {c['got']}")
        if self.diagnosis and self.diagnosis["mistake"] is None:
            lines.append(f"  corrected: {self.diagnosis['corrected']}")
        elif self.diagnosis:
            lines.append(f"  likely mistake ({self.diagnosis['mistake']}): {self.diagnosis['message']}")
            lines.append(f"  corrected: {self.diagnosis['corrected']}")
        return "\n".join(lines)


def check(formula: str, convention=None, loss: str = "mse", output: str = "sigmoid",
          hidden: str = "sigmoid", diagnose: bool = True, *, activation: str | None = None,
          single_neurons: bool = False, layer: str | None = None, unbiased: bool = False) -> CheckResult:
    """Judge ``formula`` (LaTeX or Octave-style) as a claim about a backprop quantity under ``convention``
    (default: nielsen).

    ``output`` is the output layer's activation; ``activation=`` is the same argument under the command line's
    name. A chain ``a = b = c`` is judged link by link; the result's ``links`` lists each link's verdict. With
    ``single_neurons`` (notes that say each layer is one neuron) it is judged on networks of width 1, where every
    quantity and every derivative is a number.

    With ``layer`` (batchnorm, layernorm, dropout) the formula is about that one layer on its own, in the letters
    of ``convention``, one of the kind's notations (default: its first; ``derive.layer_check``); ``unbiased``
    normalises by the n - 1 variance.
    """
    if unbiased and layer is None:
        raise DeriveError("unbiased is for layer='batchnorm' or 'layernorm'")
    if layer is not None:
        from .layer_check import check_layer
        return CheckResult(**check_layer(formula, layer, convention, diagnose=diagnose, unbiased=unbiased))
    convention = "nielsen" if convention is None else convention
    output = activation if activation is not None else output
    from .formula.parse import cases, formulas
    from .problem import Problem

    name = convention if isinstance(convention, str) else getattr(convention, "name", repr(convention))
    try:
        if not isinstance(formula, str):
            raise DeriveError(f"the formula must be a string, not {type(formula).__name__}")
        problem = Problem.make(convention, loss, output, hidden, single_neurons)
        quotient = _quotient(formula, name)
        if quotient:
            return quotient
        split = cases(formula)
        if split:
            return _check_cases(formula, [formulas(case) for case in split], problem, name, diagnose)
        parts = formulas(formula)
    except DeriveError as exc:
        return CheckResult("invalid", formula, name, reason=str(exc))
    if len(parts) > 1:
        return _check_beside(formula, parts, problem, name, diagnose)
    return _check_formula(formula, parts[0][1], problem, name, diagnose)


def _check_formula(formula: str, links: list, problem, name: str, diagnose: bool) -> CheckResult:
    """The verdict on one formula: a claim, or a chain judged link by link."""
    if len(links) == 1:
        return _check_claim(formula, links[0][1], problem, name, diagnose)
    return _check_chain(formula, links, problem, name, diagnose)


def _check_claim(formula: str, claim, problem, name: str, diagnose: bool) -> CheckResult:
    """The verdict on one claim (a formula, or one link of a chain)."""
    from .formula.judge import judge
    from .formula.read import compile_claim

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
        if meaning.where is not None:
            reason = f"{reason}, judged where {meaning.where.text()} (the formula's condition)"
    result = CheckResult("holds" if verdict and verdict.holds else "fails", formula, name,
                         quantity=meaning.quantity if meaning else None, reason=reason,
                         counterexample=verdict.counterexample if verdict else None,
                         notes=list(meaning.notes) if meaning else [])
    if problem.single_neurons:
        result.notes.append("judged on networks of one neuron per layer, where every quantity is a number")
    if verdict and not verdict.holds:
        note = _one_example(meaning, problem)
        if note:
            result.notes.append(note)
    if result.holds and meaning.quantity == "delta_out" and not problem.output.elementwise:
        # only a vector-valued output's analysis can hold under a condition (softmax: sum_k y_k = 1); an
        # elementwise pair's never does, so its exact SymPy analysis is not run for a verdict that needs nothing
        # from it (tests/test_startup.py holds every elementwise pair to that)
        from .output_layer import analyse
        od = analyse(problem.loss.name, problem.output.name)
        if od.condition:
            result.condition = od.condition_latex
    if not result.holds and diagnose:
        from .formula.diagnose import diagnose as find_mistake

        def holds(candidate) -> bool:
            m, v = attempt(candidate)
            return v.holds
        result.diagnosis = find_mistake(claim, problem, holds)
    return result


def _quotient(formula: str, name: str) -> CheckResult | None:
    """A fraction with a differential below and none above (\\frac{C}{\\partial w}) is a quotient, not the derivative
    it was meant to be: the formula fails as written, the mistake named (formula/quotients.py)."""
    from .formula.quotients import meant, quotient_as_derivative
    found = quotient_as_derivative(formula)
    if found is None:
        return None
    written, derivative = found
    return CheckResult("fails", formula, name,
                       reason=f"${written}$ is a quotient, not a derivative: its denominator is a differential and "
                              "its numerator is not",
                       diagnosis={"mistake": "numerator without its differential",
                                  "message": f"write the derivative ${derivative}$", "corrected": meant(formula)})


def _one_example(meaning, problem) -> str | None:
    """Where the convention's networks carry a batch, whether the claim holds for one example (m = 1): a
    per-example formula copied into a batch convention. A note for the reader, never a verdict."""
    from .formula.judge import judge
    from .network import default_m
    conv = problem.convention
    if default_m(conv) == 1 or not judge(meaning, problem, m=1).holds:
        return None
    m = conv.notation.batch
    return (f"holds for one example ({m} = 1), not for a batch: in {conv.name} this quantity is of a batch of "
            f"{m} examples; write the batch formula (the sum over the examples, with the 1/{m} where the "
            "convention puts it)")


def _check_beside(formula: str, parts: list, problem, name: str, diagnose: bool) -> CheckResult:
    """Formulas written side by side on one line (a = b,\\qquad c = d): each judged as if it were alone, the line
    holding only if every one does; ``links`` has one entry per formula, and the first failing one is the reason."""
    total = len(parts)
    results = [_check_formula(text, links, problem, name, diagnose) for text, links in parts]
    rows = [{"formula": text, "verdict": r.verdict, "reason": r.reason} for (text, _), r in zip(parts, results)]
    return _combined(formula, name, results, rows, f"all {total} formulas on the line hold",
                     "formula {n} of {total} on the line", beside=True)[0]


def _check_cases(formula: str, split: list, problem, name: str, diagnose: bool) -> CheckResult:
    """A cases block (lhs = \\begin{cases} e_1 \\text{ if } c_1 \\\\ e_2 \\text{ otherwise} \\end{cases}): one claim per
    case, each judged where its condition holds (the last case's "otherwise" where no earlier one does); the
    formula holds only if every case does, and the first failing case is the reason."""
    total = len(split)
    results: list[CheckResult] = []
    rows: list[dict] = []
    earlier: list = []
    for n, parts in enumerate(split, 1):
        text, links = parts[0]
        condition = links[0][1].condition
        if results and results[-1].verdict == "invalid":  # "otherwise" depends on every case before it
            result = CheckResult("invalid", text, name, reason=f"not judged: case {n - 1} cannot be checked")
        elif len(parts) > 1 or not condition:
            why = "has a second formula beside it" if len(parts) > 1 else \
                "states no condition (write \\text{if } i = j, or \\text{otherwise} for the last case)"
            result = CheckResult("invalid", text, name, reason=f"the case {why}")
        else:
            links = [(t, replace(claim, excluded=tuple(earlier))) for t, claim in links]
            result = _check_formula(text, links, problem, name, diagnose)
            earlier.append(condition)
        results.append(result)
        rows.append({"formula": text, "verdict": result.verdict, "reason": result.reason})
    return _combined(formula, name, results, rows, f"all {total} cases hold, each where its condition does",
                     "case {n} of {total}", cases=True)[0]


def _combined(formula: str, name: str, results: list, rows: list, holds: str, part: str,
              **flags) -> tuple[CheckResult, int | None]:
    """One verdict for several parts (a chain's links, formulas side by side, a cases block's cases): it holds if
    every part does (``holds`` says so, with the parts' conditions); else it is the first failing part's, or the
    first unread one's, "``part`` fails: its reason". Also the number of that part (None when all hold)."""
    total = len(results)
    quantity = next((r.quantity for r in results if r.quantity), None)
    notes = list(dict.fromkeys(note for r in results for note in r.notes))
    failing = next((n for n, r in enumerate(results, 1) if r.verdict == "fails"), None)
    unread = next((n for n, r in enumerate(results, 1) if r.verdict == "invalid"), None)
    if failing is None and unread is None:
        conditions = list(dict.fromkeys(r.condition for r in results if r.condition))
        return CheckResult("holds", formula, name, quantity=quantity, reason=holds,
                           condition="; ".join(conditions) or None, notes=notes, links=rows, **flags), None
    bad = failing or unread
    assert bad is not None  # one of them is a number: not every part held
    result = results[bad - 1]
    word = "fails" if failing else "cannot be checked"
    return CheckResult(result.verdict, formula, name, quantity=quantity,
                       reason=f"{part.format(n=bad, total=total)} {word}: {result.reason}",
                       counterexample=result.counterexample, diagnosis=result.diagnosis, notes=notes, links=rows,
                       **flags), bad


def _names_quantity(side) -> bool:
    """Whether a side of a chain can be the left side of a claim: a symbol or a derivative, not an expression."""
    from .formula import ast
    return isinstance(side, ast.Sym | ast.Partial | ast.Nabla)


def _check_chain(formula: str, links: list, problem, name: str, diagnose: bool) -> CheckResult:
    """Every link of a chain judged; the chain holds only if all do, and the first failing link is the reason."""
    from .formula.unparse import latex
    total, results, rows = len(links), [], []
    anchor = None  # (number of the side, the side) that names a quantity, every link since holding
    for n, (text, claim) in enumerate(links, 1):
        judged = claim
        if _names_quantity(claim.lhs):
            result = _check_claim(text, claim, problem, name, diagnose=False)
        elif anchor is not None:
            judged = replace(claim, lhs=anchor[1])
            result = _check_claim(text, judged, problem, name, diagnose=False)
            result.reason = f"read as {latex(judged)}, its left side being equal to side {anchor[0]} by the links " \
                            f"before it: {result.reason}"
        else:
            result = CheckResult("invalid", text, name, reason="its left side is an expression, and no side before "
                                 "it that names a quantity is shown equal to it; write the link with the quantity "
                                 "on its left")
        results.append((judged, result))
        rows.append({"formula": text, "verdict": result.verdict, "reason": result.reason})
        if _names_quantity(claim.lhs):
            anchor = (n, claim.lhs) if result.holds else None
        elif not result.holds:
            anchor = None
    out, bad = _combined(formula, name, [r for _, r in results], rows, f"all {total} links hold", "link {n} of {total}")
    if bad is not None and out.verdict == "fails" and diagnose:  # the links were judged without: diagnose the one
        out.diagnosis = _check_claim(links[bad - 1][0], results[bad - 1][0], problem, name, diagnose=True).diagnosis
    return out
